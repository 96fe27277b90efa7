package apdu

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)

// trailing lists the recorded APDUs that carry bytes after their end: the
// clock responses of the recorded server, with 18 bytes after the
// date-time (see the vectors' README).
var trailing = map[string]map[string]int{
	"hdlc_none_get":           {"[6] S->C wire": 18},
	"hdlc_lls_get_set_action": {"[6] S->C wire": 18},
	"wrapper_none_get":        {"[4] S->C wire": 18},
	"hdlc_hls_gmac_ciphered":  {"[16] S->C deciphered": 18},
}

// TestVectorsRoundTrip decodes every APDU of every recorded session and
// checks that it re-encodes to the same bytes. The recordings use canonical
// lengths throughout, so the canonical re-encoding is byte-identical.
func TestVectorsRoundTrip(t *testing.T) {
	total := 0
	for file, apdus := range allVectorAPDUs(t) {
		for _, r := range apdus {
			total++
			a, n, err := Decode(r.APDU)
			if err != nil {
				t.Errorf("%s %s (%s): %v", file, r, r.Note, err)
				continue
			}
			if extra := len(r.APDU) - n; extra != trailing[file][r.String()] {
				t.Errorf("%s %s: %d bytes after the APDU, want %d", file, r, extra, trailing[file][r.String()])
			}
			if got := a.Append(nil); !bytes.Equal(got, r.APDU[:n]) {
				t.Errorf("%s %s: re-encoded\n%X\nwant\n%X", file, r, got, r.APDU[:n])
			}
			if len(a.Fields()) == 0 && a.Tag() != TagRLRQ {
				t.Errorf("%s %s: no fields", file, r)
			}
			if !strings.HasPrefix(Format(a), a.Name()+"\n") {
				t.Errorf("%s %s: Format does not start with the name", file, r)
			}
		}
	}
	if total < 100 {
		t.Errorf("only %d recorded APDUs", total)
	}
}

// vectorAPDU returns the decoded APDU of a recorded session.
func vectorAPDU(t *testing.T, file, key string) APDU {
	t.Helper()
	for _, r := range allVectorAPDUs(t)[file] {
		if r.String() == key {
			a, err := Parse(r.APDU)
			if err != nil {
				t.Fatalf("%s %s: %v", file, key, err)
			}
			return a
		}
	}
	t.Fatalf("%s: no APDU %s", file, key)
	return nil
}

func as[T any](t *testing.T, a APDU) T {
	t.Helper()
	v, ok := a.(T)
	if !ok {
		t.Fatalf("%s is %T, want %T", a.Name(), a, v)
	}
	return v
}

var (
	clock    = dlms.MustOBIS("0-0:1.0.0.255")
	energy   = dlms.MustOBIS("1-0:1.8.0.255")
	assocLN  = dlms.MustOBIS("0-0:40.0.0.255")
	breaker  = dlms.MustOBIS("0-0:96.3.10.255")
	invokeC1 = InvokeIDAndPriority(0xC1)
)

// Conformance blocks of the recorded sessions.
const (
	// Proposed by the Gurux clients: general-protection,
	// general-block-transfer, delta-value-encoding, the three block
	// transfers, multiple-references, access, get, set, selective-access,
	// action.
	proposedGurux = ConformanceGeneralProtection | ConformanceGeneralBlockTransfer | ConformanceDeltaValueEncoding |
		ConformanceBlockTransferWithGetOrRead | ConformanceBlockTransferWithSetOrWrite | ConformanceBlockTransferWithAction |
		ConformanceMultipleReferences | ConformanceAccess | ConformanceGet | ConformanceSet |
		ConformanceSelectiveAccess | ConformanceAction
)

func TestVectorAssociationNoAuthentication(t *testing.T) {
	for _, file := range []string{"hdlc_none_get", "wrapper_none_get", "hdlc_none_block_transfer"} {
		aarqKey, aareKey := "[3] C->S wire", "[4] S->C wire"
		if file == "wrapper_none_get" {
			aarqKey, aareKey = "[1] C->S wire", "[2] S->C wire"
		}
		aarq := as[*AARQ](t, vectorAPDU(t, file, aarqKey))
		if aarq.ApplicationContext != ContextLN || aarq.Mechanism != MechanismNone || aarq.ACSERequirements ||
			aarq.CallingAuthenticationValue != nil || aarq.CallingAPTitle != nil {
			t.Errorf("%s: AARQ %+v", file, aarq)
		}
		ir, err := aarq.InitiateRequest()
		if err != nil {
			t.Fatal(err)
		}
		want := InitiateRequest{DLMSVersion: 6, Conformance: proposedGurux, MaxReceivePDUSize: 0xFFFF}
		if ir.DedicatedKey != nil || ir.ResponseNotAllowed || ir.QualityOfService != nil ||
			ir.DLMSVersion != want.DLMSVersion || ir.Conformance != want.Conformance || ir.MaxReceivePDUSize != want.MaxReceivePDUSize {
			t.Errorf("%s: InitiateRequest %+v, want %+v", file, ir, want)
		}
		if got := uint32(ir.Conformance); got != 0x621E5D {
			t.Errorf("%s: proposed conformance %06X, want 621E5D", file, got)
		}

		aare := as[*AARE](t, vectorAPDU(t, file, aareKey))
		if aare.Result != ResultAccepted || aare.Diagnostic != (Diagnostic{Value: DiagNull}) || aare.Err() != nil {
			t.Errorf("%s: AARE result %v, diagnostic %v, err %v", file, aare.Result, aare.Diagnostic, aare.Err())
		}
		resp, err := aare.InitiateResponse()
		if err != nil {
			t.Fatal(err)
		}
		if resp.DLMSVersion != 6 || resp.Conformance != ConformanceGet|ConformanceSet || resp.MaxReceivePDUSize != 512 || resp.VAAName != VAANameLN {
			t.Errorf("%s: InitiateResponse %+v", file, resp)
		}
	}
}

func TestVectorLLS(t *testing.T) {
	const file = "hdlc_lls_get_set_action"
	aarq := as[*AARQ](t, vectorAPDU(t, file, "[3] C->S wire"))
	if aarq.Mechanism != MechanismLLS || !aarq.ACSERequirements || string(aarq.CallingAuthenticationValue) != "Gurux" {
		t.Errorf("AARQ mechanism %v, acse requirements %v, password %q", aarq.Mechanism, aarq.ACSERequirements, aarq.CallingAuthenticationValue)
	}
	if s := Format(aarq); strings.Contains(s, "Gurux") || strings.Contains(strings.ToLower(s), "4775727578") {
		t.Errorf("Format shows the password:\n%s", s)
	}
	aare := as[*AARE](t, vectorAPDU(t, file, "[4] S->C wire"))
	resp, err := aare.InitiateResponse()
	if err != nil {
		t.Fatal(err)
	}
	wantConf := ConformanceBlockTransferWithGetOrRead | ConformanceBlockTransferWithSetOrWrite | ConformanceBlockTransferWithAction |
		ConformanceMultipleReferences | ConformanceGet | ConformanceSet | ConformanceSelectiveAccess | ConformanceAction
	if resp.Conformance != wantConf || uint32(resp.Conformance) != 0x001E1D {
		t.Errorf("negotiated conformance %v, want %v", resp.Conformance, wantConf)
	}
	if got, want := strings.Join(resp.Conformance.Names(), ","),
		"block-transfer-with-get-or-read,block-transfer-with-set-or-write,block-transfer-with-action,multiple-references,get,set,selective-access,action"; got != want {
		t.Errorf("conformance names %s, want %s", got, want)
	}

	get := as[*GetRequestNormal](t, vectorAPDU(t, file, "[5] C->S wire"))
	if *get != (GetRequestNormal{Invoke: invokeC1, Attribute: AttributeDescriptor{ClassID: dlms.ClassClock, Instance: clock, Attribute: 2}}) {
		t.Errorf("GET %+v", get)
	}
	if get.Invoke.InvokeID() != 1 || !get.Invoke.Confirmed() || !get.Invoke.High() {
		t.Errorf("invoke %v", get.Invoke)
	}
	clockResp := as[*GetResponseNormal](t, vectorAPDU(t, file, "[6] S->C wire"))
	if d := clockResp.Result.Data; clockResp.Result.IsAccessResult || d.Tag != axdr.TagOctetString ||
		!bytes.Equal(d.Bytes, unhex(t, "07EA0B1B0502240500000000")) {
		t.Errorf("clock %+v", clockResp.Result)
	}
	get = as[*GetRequestNormal](t, vectorAPDU(t, file, "[7] C->S wire"))
	if get.Attribute != (AttributeDescriptor{ClassID: dlms.ClassRegister, Instance: energy, Attribute: 2}) {
		t.Errorf("GET %+v", get.Attribute)
	}
	value := as[*GetResponseNormal](t, vectorAPDU(t, file, "[8] S->C wire"))
	if d := value.Result.Data; d.Tag != axdr.TagDoubleLongUnsigned || d.Uint != 123494 || value.Result.Err() != nil {
		t.Errorf("energy %+v", value.Result)
	}
	scaler := as[*GetResponseNormal](t, vectorAPDU(t, file, "[10] S->C wire"))
	if d := scaler.Result.Data; d.Tag != axdr.TagStructure || len(d.Items) != 2 ||
		d.Items[0].Tag != axdr.TagInteger || d.Items[0].Int != 0 || d.Items[1].Tag != axdr.TagEnum || d.Items[1].Uint != 30 {
		t.Errorf("scaler_unit %+v", d)
	}
	set := as[*SetRequestNormal](t, vectorAPDU(t, file, "[11] C->S wire"))
	if set.Attribute != (AttributeDescriptor{ClassID: dlms.ClassClock, Instance: clock, Attribute: 2}) || set.Access != nil ||
		set.Value.Tag != axdr.TagOctetString || len(set.Value.Bytes) != 12 {
		t.Errorf("SET %+v", set)
	}
	if r := as[*SetResponseNormal](t, vectorAPDU(t, file, "[12] S->C wire")); r.Result != dlms.DataAccessSuccess || r.Invoke != invokeC1 {
		t.Errorf("SET response %+v", r)
	}
	action := as[*ActionRequestNormal](t, vectorAPDU(t, file, "[13] C->S wire"))
	if action.Method != (MethodDescriptor{ClassID: dlms.ClassClock, Instance: clock, Method: 3}) ||
		action.Parameters == nil || action.Parameters.Tag != axdr.TagInteger || action.Parameters.Int != 0 {
		t.Errorf("ACTION %+v", action)
	}
	if r := as[*ActionResponseNormal](t, vectorAPDU(t, file, "[14] S->C wire")); r.Result.Result != dlms.ActionSuccess || r.Result.Return != nil || r.Result.Err() != nil {
		t.Errorf("ACTION response %+v", r)
	}
	if r := as[*RLRQ](t, vectorAPDU(t, file, "[15] C->S wire")); r.Reason == nil || *r.Reason != ReleaseRequestNormal || r.UserInformation != nil {
		t.Errorf("RLRQ %+v", r)
	}
	if r := as[*RLRE](t, vectorAPDU(t, file, "[16] S->C wire")); r.Reason == nil || *r.Reason != ReleaseResponseNormal {
		t.Errorf("RLRE %+v", r)
	}
}

func TestVectorWrongPassword(t *testing.T) {
	const file = "hdlc_lls_wrong_password"
	aarq := as[*AARQ](t, vectorAPDU(t, file, "[3] C->S wire"))
	if aarq.Mechanism != MechanismLLS || string(aarq.CallingAuthenticationValue) != "wrong" {
		t.Errorf("AARQ %+v", aarq)
	}
	aare := as[*AARE](t, vectorAPDU(t, file, "[4] S->C wire"))
	if aare.Result != ResultRejectedPermanent || aare.Diagnostic != (Diagnostic{Value: DiagAuthenticationFailure}) {
		t.Errorf("AARE result %v, diagnostic %v", aare.Result, aare.Diagnostic)
	}
	err := aare.Err()
	var ae *AssociationError
	if !errors.As(err, &ae) || ae.Result != ResultRejectedPermanent || ae.Diagnostic.Value != DiagAuthenticationFailure || ae.ServiceError != nil {
		t.Fatalf("Err() = %v", err)
	}
	if got, want := err.Error(), "association rejected-permanent (acse-service-user: authentication-failure)"; got != want {
		t.Errorf("Err() = %q, want %q", got, want)
	}
}

func TestVectorBlockTransfer(t *testing.T) {
	const file = "hdlc_none_block_transfer"
	var raw []byte
	var next uint32 = 1
	for _, r := range allVectorAPDUs(t)[file] {
		a, err := Parse(r.APDU)
		if err != nil {
			t.Fatal(err)
		}
		switch a := a.(type) {
		case *GetResponseWithDatablock:
			if a.BlockNumber != next || a.IsAccessResult || a.Err() != nil {
				t.Fatalf("%s: block %d (result %v), want block %d", r, a.BlockNumber, a.AccessResult, next)
			}
			if a.LastBlock != (next == 10) {
				t.Errorf("%s: block %d last-block %v", r, next, a.LastBlock)
			}
			raw = append(raw, a.Raw...)
		case *GetRequestNext:
			if a.BlockNumber != next {
				t.Errorf("%s: get-request-next acknowledges block %d, want %d", r, a.BlockNumber, next)
			}
			next++
		}
	}
	if next != 10 {
		t.Fatalf("saw %d blocks, want 10", next)
	}
	// The blocks joined are the association's object list.
	list, n, err := axdr.Decode(raw)
	if err != nil || n != len(raw) {
		t.Fatalf("object list: %d of %d bytes, %v", n, len(raw), err)
	}
	if list.Tag != axdr.TagArray || len(list.Items) < 50 {
		t.Fatalf("object list is %v with %d items", list.Tag, len(list.Items))
	}
	first := list.Items[0]
	if first.Tag != axdr.TagStructure || first.Items[0].Uint != uint64(dlms.ClassAssociationLN) ||
		!bytes.Equal(first.Items[2].Bytes, assocLN[:]) {
		t.Errorf("first object %v", first)
	}
}

func TestVectorCiphered(t *testing.T) {
	const file = "hdlc_hls_gmac_ciphered"
	clientST, serverST := []byte("GURUX123"), []byte("ABCDEFGH")

	aarq := as[*AARQ](t, vectorAPDU(t, file, "[11] C->S wire"))
	if aarq.ApplicationContext != ContextLNCiphered || !aarq.ApplicationContext.Ciphered() ||
		!bytes.Equal(aarq.CallingAPTitle, clientST) || aarq.Mechanism != MechanismHLSGMAC ||
		!aarq.ACSERequirements || len(aarq.CallingAuthenticationValue) != 16 {
		t.Errorf("AARQ %+v", aarq)
	}
	if _, err := aarq.InitiateRequest(); !errors.Is(err, ErrCiphered) {
		t.Errorf("InitiateRequest() err = %v, want ErrCiphered", err)
	}
	ui := as[*Ciphered](t, mustParse(t, aarq.UserInformation))
	if ui.Type != TagGloInitiateRequest || ui.SecurityControl != 0x30 || ui.InvocationCounter != 146 || len(ui.Ciphertext) != 14+12 {
		t.Errorf("user-information %+v", ui)
	}
	if !ui.SecurityControl.Authenticated() || !ui.SecurityControl.Encrypted() || ui.SecurityControl.Suite() != 0 {
		t.Errorf("security control %v", ui.SecurityControl)
	}
	// The challenge is not a secret: Format shows it.
	if s := Format(aarq); !strings.Contains(s, "calling-authentication-value: cff90e26dbb21f2e7a85496e4392c097 (16 bytes)") {
		t.Errorf("Format hides the HLS challenge:\n%s", s)
	}
	plain := as[*InitiateRequest](t, vectorAPDU(t, file, "[11] C->S deciphered"))
	if plain.Conformance != ConformanceGeneralProtection|ConformanceBlockTransferWithGetOrRead|ConformanceBlockTransferWithSetOrWrite|
		ConformanceBlockTransferWithAction|ConformanceMultipleReferences|ConformanceAccess|ConformanceGet|ConformanceSet|
		ConformanceSelectiveAccess|ConformanceAction || plain.MaxReceivePDUSize != 0xFFFF {
		t.Errorf("deciphered InitiateRequest %+v", plain)
	}

	aare := as[*AARE](t, vectorAPDU(t, file, "[12] S->C wire"))
	if aare.Result != ResultAccepted || aare.Diagnostic.Value != DiagAuthenticationRequired || aare.Err() != nil ||
		!bytes.Equal(aare.RespondingAPTitle, serverST) || aare.Mechanism != MechanismHLSGMAC || !aare.ACSERequirements ||
		len(aare.RespondingAuthenticationValue) != 16 {
		t.Errorf("AARE %+v", aare)
	}
	if _, err := aare.InitiateResponse(); !errors.Is(err, ErrCiphered) {
		t.Errorf("InitiateResponse() err = %v, want ErrCiphered", err)
	}
	if ui := as[*Ciphered](t, mustParse(t, aare.UserInformation)); ui.Type != TagGloInitiateResponse || ui.InvocationCounter != 80 {
		t.Errorf("AARE user-information %+v", ui)
	}

	glo := as[*Ciphered](t, vectorAPDU(t, file, "[13] C->S wire"))
	if glo.Type != TagGloActionRequest || glo.SystemTitle != nil || glo.SecurityControl != 0x30 || glo.InvocationCounter != 148 {
		t.Errorf("glo-action-request %+v", glo)
	}
	reply := as[*ActionRequestNormal](t, vectorAPDU(t, file, "[13] C->S deciphered"))
	if reply.Method != (MethodDescriptor{ClassID: dlms.ClassAssociationLN, Instance: assocLN, Method: 1}) ||
		reply.Parameters == nil || reply.Parameters.Tag != axdr.TagOctetString ||
		!bytes.Equal(reply.Parameters.Bytes[:5], []byte{0x10, 0, 0, 0, 0x93}) {
		t.Errorf("reply_to_HLS_authentication %+v", reply)
	}
	answer := as[*ActionResponseNormal](t, vectorAPDU(t, file, "[14] S->C deciphered"))
	if r := answer.Result; r.Result != dlms.ActionSuccess || r.Return == nil || r.Return.IsAccessResult ||
		r.Return.Data.Tag != axdr.TagOctetString || len(r.Return.Data.Bytes) != 17 {
		t.Errorf("HLS answer %+v", answer.Result)
	}

	for _, c := range []struct {
		key string
		st  []byte
		ic  uint32
	}{
		{"[15] C->S wire", clientST, 149}, {"[16] S->C wire", serverST, 84},
		{"[22]-[28] S->C wire", serverST, 87}, {"[108] S->C wire", serverST, 100},
	} {
		g := as[*Ciphered](t, vectorAPDU(t, file, c.key))
		if g.Type != TagGeneralGloCiphering || !bytes.Equal(g.SystemTitle, c.st) || g.SecurityControl != 0x30 || g.InvocationCounter != c.ic {
			t.Errorf("%s: %+v", c.key, g)
		}
	}
	last := as[*GetResponseWithDatablock](t, vectorAPDU(t, file, "[102] S->C deciphered"))
	if !last.LastBlock || last.BlockNumber != 11 || len(last.Raw) != 0x67 {
		t.Errorf("last block %+v", last)
	}
	off := as[*ActionRequestNormal](t, vectorAPDU(t, file, "[105] C->S deciphered"))
	if off.Method != (MethodDescriptor{ClassID: dlms.ClassDisconnectControl, Instance: breaker, Method: 1}) {
		t.Errorf("disconnect %+v", off.Method)
	}

	exc := as[*ExceptionResponse](t, vectorAPDU(t, file, "[110] S->C wire"))
	want := &dlms.ExceptionError{State: dlms.StateServiceNotAllowed, Service: dlms.ServiceNotSupported}
	if err := exc.Err(); !errors.Is(err, want) {
		t.Errorf("exception %v, want %v", err, want)
	}
}

func mustParse(t *testing.T, b []byte) APDU {
	t.Helper()
	a, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
