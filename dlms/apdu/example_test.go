package apdu_test

import (
	"encoding/hex"
	"fmt"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
)

func ExampleParse() {
	// A GET-response from a meter: the value of 1-0:1.8.0.255.
	b, _ := hex.DecodeString("C401C100060001E266")
	a, err := apdu.Parse(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	switch r := a.(type) {
	case *apdu.GetResponseNormal:
		if err := r.Result.Err(); err != nil {
			fmt.Println("refused:", err)
			return
		}
		fmt.Println(r.Invoke.InvokeID(), r.Result.Data.Uint)
	}
	// Output: 1 123494
}

func ExampleGetRequestNormal_Append() {
	req := &apdu.GetRequestNormal{
		Invoke:    apdu.NewInvoke(1, true),
		Attribute: apdu.AttributeDescriptor{ClassID: dlms.ClassClock, Instance: dlms.MustOBIS("0-0:1.0.0.255"), Attribute: 2},
	}
	buf := make([]byte, 0, 64)
	buf = req.Append(buf)
	fmt.Printf("%X\n", buf)
	// Output: C001C100080000010000FF0200
}

func ExampleAARQ() {
	initiate := &apdu.InitiateRequest{
		DLMSVersion:       apdu.DLMSVersion,
		Conformance:       apdu.ConformanceGet | apdu.ConformanceSet | apdu.ConformanceAction | apdu.ConformanceBlockTransferWithGetOrRead,
		MaxReceivePDUSize: 1024,
	}
	aarq := &apdu.AARQ{
		ApplicationContext:         apdu.ContextLN,
		ACSERequirements:           true,
		Mechanism:                  apdu.MechanismLLS,
		CallingAuthenticationValue: []byte("12345678"),
		UserInformation:            initiate.Append(nil),
	}
	fmt.Printf("%X\n", aarq.Append(nil))
	// Output: 6036A1090607608574050801018A0207808B0760857405080201AC0A80083132333435363738BE10040E01000000065F1F04000010190400
}

func ExampleRange() {
	// The rows of a load profile captured on 27 November 2026.
	day := apdu.Range{
		Restrict: apdu.CaptureObject{ClassID: dlms.ClassClock, Instance: dlms.MustOBIS("0-0:1.0.0.255"), Attribute: 2},
		From:     axdr.OctetString([]byte{0x07, 0xEA, 0x0B, 0x1B, 0xFF, 0, 0, 0, 0xFF, 0x80, 0, 0}),
		To:       axdr.OctetString([]byte{0x07, 0xEA, 0x0B, 0x1B, 0xFF, 23, 59, 59, 0xFF, 0x80, 0, 0}),
	}
	access := day.Access()
	req := &apdu.GetRequestNormal{
		Invoke:    apdu.NewInvoke(2, true),
		Attribute: apdu.AttributeDescriptor{ClassID: dlms.ClassProfileGeneric, Instance: dlms.MustOBIS("1-0:99.1.0.255"), Attribute: 2},
		Access:    &access,
	}
	fmt.Printf("%X\n", req.Append(nil))
	// Output: C001C200070100630100FF0201010204020412000809060000010000FF0F02120000090C07EA0B1BFF000000FF800000090C07EA0B1BFF173B3BFF8000000100
}

func ExampleFormat() {
	b, _ := hex.DecodeString("6117A109060760857405080101A203020101A305A10302010D")
	a, _ := apdu.Parse(b)
	fmt.Print(apdu.Format(a))
	fmt.Println(a.(*apdu.AARE).Err())
	// Output:
	// AARE
	//   application-context-name: LN (2.16.756.5.8.1.1)
	//   result: 1 (rejected-permanent)
	//   result-source-diagnostic: 13 (acse-service-user: authentication-failure)
	// association rejected-permanent (acse-service-user: authentication-failure)
}
