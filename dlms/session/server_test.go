package session

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
)

// The server refuses InitiateRequests that it cannot serve, with the
// ConfirmedServiceError of the standard.
func TestServerNegotiation(t *testing.T) {
	aarq := func(ir *apdu.InitiateRequest) []byte {
		a := &apdu.AARQ{ApplicationContext: apdu.ContextLN, UserInformation: ir.Append(nil)}
		return a.Append(nil)
	}
	tests := []struct {
		name string
		req  []byte
		cse  *apdu.ConfirmedServiceError // nil: accepted
		max  int                         // the negotiated maximum of the answers
	}{
		{"DLMS version 5", aarq(&apdu.InitiateRequest{DLMSVersion: 5, Conformance: DefaultConformance, MaxReceivePDUSize: 1024}),
			&apdu.ConfirmedServiceError{Service: 1, Class: 6, Code: 1}, 0},
		{"no common conformance", aarq(&apdu.InitiateRequest{DLMSVersion: 6, Conformance: apdu.ConformanceDataNotification, MaxReceivePDUSize: 1024}),
			&apdu.ConfirmedServiceError{Service: 1, Class: 6, Code: 2}, 0},
		{"client max PDU of 11", aarq(&apdu.InitiateRequest{DLMSVersion: 6, Conformance: DefaultConformance, MaxReceivePDUSize: 11}),
			&apdu.ConfirmedServiceError{Service: 1, Class: 6, Code: 3}, 0},
		{"no InitiateRequest", (&apdu.AARQ{ApplicationContext: apdu.ContextLN}).Append(nil),
			&apdu.ConfirmedServiceError{Service: 1, Class: 6, Code: 0}, 0},
		{"client max PDU of 300", aarq(&apdu.InitiateRequest{DLMSVersion: 6, Conformance: DefaultConformance, MaxReceivePDUSize: 300}), nil, 300},
		{"no client limit", aarq(&apdu.InitiateRequest{DLMSVersion: 6, Conformance: DefaultConformance}), nil, 1024},
	}
	for _, tc := range tests {
		s, err := NewServer(serverConfig(newTestModel(), 0))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := s.Handle(sapPublic, tc.req)
		aare, perr := apdu.ParseAARE(resp)
		if perr != nil {
			t.Fatalf("%s: % X: %v", tc.name, resp, perr)
		}
		if tc.cse == nil {
			ir, _ := aare.InitiateResponse()
			if err != nil || aare.Result != apdu.ResultAccepted || ir == nil || ir.MaxReceivePDUSize != DefaultServerMaxPDU || s.assocs[sapPublic].maxPDU != tc.max {
				t.Errorf("%s: %v, %+v, %+v", tc.name, err, aare, ir)
			}
			continue
		}
		var ae *apdu.AssociationError
		if !errors.As(aare.Err(), &ae) || ae.ServiceError == nil || *ae.ServiceError != dlms.ConfirmedServiceError(*tc.cse) || err == nil {
			t.Errorf("%s: %v (%v), want %v", tc.name, aare.Err(), err, tc.cse)
		}
		if s.State(sapPublic) != NonAssociated {
			t.Errorf("%s: state %v", tc.name, s.State(sapPublic))
		}
	}
	s, _ := NewServer(serverConfig(newTestModel(), 0))
	if resp, err := s.Handle(sapPublic, mustHex("6005A103")); err == nil || resp[0] != byte(apdu.TagAARE) {
		t.Errorf("truncated AARQ: % X, %v", resp, err)
	}
	if resp, err := s.Handle(sapPublic, nil); resp != nil || err == nil {
		t.Errorf("empty request: % X, %v", resp, err)
	}
}

func TestObjectList(t *testing.T) {
	l := newLink(t, ClientConfig{}, serverConfig(newTestModel(), 0), sapPublic)
	l.open()
	list, err := l.get(objectList, nil)
	if err != nil {
		t.Fatal(err)
	}
	entries := map[dlms.OBIS]axdr.Data{}
	for _, e := range list.Items {
		obis, err := dlms.OBISFromBytes(e.Items[2].Bytes)
		if err != nil || len(e.Items) != 4 {
			t.Fatalf("entry %v", e)
		}
		entries[obis] = e
	}
	if _, ok := entries[hiddenObis]; ok {
		t.Errorf("the hidden object is listed")
	}
	// structure {class 15, version 1, 0-0:40.0.0.255, {attributes 1 and 2 readable, method 1 not (no HLS)}}
	want := axdr.Structure(axdr.Uint16(15), axdr.Uint8(1), axdr.OctetString(CurrentAssociation[:]), axdr.Structure(
		axdr.Array(
			axdr.Structure(axdr.Int8(1), axdr.Enum(1), axdr.Null()), axdr.Structure(axdr.Int8(2), axdr.Enum(1), axdr.Null()),
			axdr.Structure(axdr.Int8(3), axdr.Enum(0), axdr.Null()), axdr.Structure(axdr.Int8(4), axdr.Enum(0), axdr.Null()),
			axdr.Structure(axdr.Int8(5), axdr.Enum(0), axdr.Null()), axdr.Structure(axdr.Int8(6), axdr.Enum(0), axdr.Null()),
			axdr.Structure(axdr.Int8(7), axdr.Enum(0), axdr.Null()), axdr.Structure(axdr.Int8(8), axdr.Enum(0), axdr.Null()),
			axdr.Structure(axdr.Int8(9), axdr.Enum(0), axdr.Null())),
		axdr.Array(
			axdr.Structure(axdr.Int8(1), axdr.Enum(0)), axdr.Structure(axdr.Int8(2), axdr.Enum(0)),
			axdr.Structure(axdr.Int8(3), axdr.Enum(0)), axdr.Structure(axdr.Int8(4), axdr.Enum(0)))))
	if got := list.Items[0]; !got.Equal(want) {
		t.Errorf("current association entry\n%v\nwant\n%v", got, want)
	}
	readOnlyEntry := axdr.Structure(axdr.Uint16(1), axdr.Uint8(0), axdr.OctetString(readOnlyObis[:]), axdr.Structure(
		axdr.Array(axdr.Structure(axdr.Int8(1), axdr.Enum(1), axdr.Null()), axdr.Structure(axdr.Int8(2), axdr.Enum(1), axdr.Null())),
		axdr.Array()))
	if got := entries[readOnlyObis]; !got.Equal(readOnlyEntry) {
		t.Errorf("read-only object entry %v", got)
	}
	breaker := entries[breakerObis].Items[3].Items
	if len(breaker[0].Items) != 4 || !breaker[0].Items[0].Equal(axdr.Structure(axdr.Int8(1), axdr.Enum(3), axdr.Null())) ||
		len(breaker[1].Items) != 2 || !breaker[1].Items[1].Equal(axdr.Structure(axdr.Int8(2), axdr.Enum(1))) {
		t.Errorf("disconnect control entry %v", entries[breakerObis])
	}
	// The logical name of the current association.
	if v, err := l.get(apdu.AttributeDescriptor{ClassID: dlms.ClassAssociationLN, Instance: CurrentAssociation, Attribute: 1}, nil); err != nil || !bytes.Equal(v.Bytes, CurrentAssociation[:]) {
		t.Errorf("logical name %v, %v", v, err)
	}
	if _, err := l.get(apdu.AttributeDescriptor{ClassID: dlms.ClassAssociationLN, Instance: CurrentAssociation, Attribute: 3}, nil); !errors.Is(err, dlms.DataAccessReadWriteDenied) {
		t.Errorf("attribute 3 of the current association: %v", err)
	}
}

// A link that drops leaves the server without the association: the
// client's next request gets an exception.
func TestServerReset(t *testing.T) {
	l := newLink(t, ClientConfig{}, serverConfig(newTestModel(), 0), sapPublic)
	l.open()
	l.s.Reset(sapPublic)
	if l.s.State(sapPublic) != NonAssociated || l.s.State(99) != NonAssociated {
		t.Fatalf("state %v", l.s.State(sapPublic))
	}
	_, err := l.get(energy, nil)
	if want := (&dlms.ExceptionError{State: dlms.StateServiceNotAllowed, Service: dlms.ServiceOperationNotPossible}); !errors.Is(err, want) {
		t.Errorf("GET after the reset: %v", err)
	}
	if l.c.State() != StateAssociated {
		t.Errorf("client state %v", l.c.State())
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&InvokeIDError{Want: 3, Got: 2}, "session: response with invoke id 2, want 3"},
		{&PDUSizeError{APDU: "get-request-with-list", Size: 300, Max: 128}, "session: get-request-with-list of 300 bytes exceeds the maximum PDU size 128"},
		{&BlockError{APDU: "get-response-with-datablock", Want: 2, Got: 4}, "session: get-response-with-datablock: block number 4, want 2"},
		{&BlockError{APDU: "block", Reason: "the transfer exceeds 10 bytes"}, "session: block: the transfer exceeds 10 bytes"},
		{stateError("Get", StateIdle), "session: Get: not allowed in this state: idle"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%q, want %q", got, tc.want)
		}
	}
	// No secret in an error: a wrong password, wrong keys.
	for _, sap := range []uint16{sapLLS, sapHLS} {
		cfg := ClientConfig{Mechanism: apdu.MechanismLLS, Password: []byte("s3cret-pass")}
		if sap == sapHLS {
			cfg = hlsClient(0)
			cfg.Keys.Encryption = []byte("s3cret-key-bytes")
		}
		l := newLink(t, cfg, serverConfig(newTestModel(), 0), sap)
		aarq, _ := l.c.Open()
		_, serr := l.s.Handle(sap, aarq)
		if serr == nil {
			t.Fatalf("client SAP %d: no error", sap)
		}
		for _, err := range []error{serr} {
			msg := strings.ToUpper(err.Error())
			if strings.Contains(msg, "S3CRET") || strings.Contains(msg, "GURUX") || strings.Contains(msg, fmt.Sprintf("%X", "s3cret")) {
				t.Errorf("server error %v", err)
			}
		}
	}
}
