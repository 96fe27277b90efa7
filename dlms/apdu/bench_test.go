package apdu

import (
	"testing"

	"github.com/openhes/hes/dlms"
)

var (
	benchGet = &GetRequestNormal{
		Invoke:    NewInvoke(1, true),
		Attribute: AttributeDescriptor{ClassID: dlms.ClassRegister, Instance: dlms.MustOBIS("1-0:1.8.0.255"), Attribute: 2},
	}
	benchAARQ = &AARQ{
		ApplicationContext:         ContextLN,
		ACSERequirements:           true,
		Mechanism:                  MechanismLLS,
		CallingAuthenticationValue: []byte("Gurux"),
		UserInformation:            (&InitiateRequest{DLMSVersion: DLMSVersion, Conformance: 0x621E5D, MaxReceivePDUSize: 0xFFFF}).Append(nil),
	}
	benchInitiate = &InitiateRequest{DLMSVersion: DLMSVersion, Conformance: 0x621E5D, MaxReceivePDUSize: 0xFFFF}
)

// TestEncodeAllocs checks that encoding into a caller's buffer does not
// allocate.
func TestEncodeAllocs(t *testing.T) {
	buf := make([]byte, 0, 256)
	for _, a := range []APDU{benchGet, benchAARQ, benchInitiate, &GetRequestNext{Invoke: 0xC1, BlockNumber: 3},
		&SetRequestNormal{Invoke: 0xC1, Attribute: benchGet.Attribute}, &RLRQ{Reason: new(ReleaseRequestNormal)}} {
		if n := testing.AllocsPerRun(100, func() { buf = a.Append(buf[:0]) }); n != 0 {
			t.Errorf("%s: %v allocations, want 0", a.Name(), n)
		}
	}
}

func BenchmarkAppendGetRequestNormal(b *testing.B) {
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = benchGet.Append(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkAppendAARQ(b *testing.B) {
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		buf = benchAARQ.Append(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkAppendAARQWithInitiate(b *testing.B) {
	buf := make([]byte, 0, 128)
	ui := make([]byte, 0, 32)
	aarq := *benchAARQ
	b.ReportAllocs()
	for b.Loop() {
		ui = benchInitiate.Append(ui[:0])
		aarq.UserInformation = ui
		buf = aarq.Append(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkParseGetResponseNormal(b *testing.B) {
	in := unhexS("C401C100060001E266")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAARE(b *testing.B) {
	in := unhexS("6129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F0400001E1D02000007")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseGetRequestWithList(b *testing.B) {
	in := (&GetRequestWithList{Invoke: 0xC1, Attributes: []AttributeWithSelection{
		{Attribute: benchGet.Attribute}, {Attribute: benchGet.Attribute}, {Attribute: benchGet.Attribute},
	}}).Append(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}
