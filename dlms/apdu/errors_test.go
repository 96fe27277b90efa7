package apdu

import (
	"errors"
	"strings"
	"testing"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/ber"
)

func TestDecodeErrors(t *testing.T) {
	for _, tt := range []struct {
		name   string
		in     string
		want   error
		apdu   string
		field  string
		offset int
	}{
		{"empty", "", ErrShort, "apdu", "", 0},
		{"unknown tag", "99 01", ErrUnknownTag, "apdu(0x99)", "", 0},
		{"unknown GET choice", "C0 09 C1", ErrChoice, "get-request", "", 1},
		{"GET without choice", "C0", ErrShort, "get-request", "", 1},
		{"GET descriptor cut", "C001C1 0008 000001", ErrShort, "get-request-normal", "cosem-attribute-descriptor.instance-id", 5},
		{"GET access selector cut", "C001C1 0008 0000010000FF 02 01", ErrShort, "get-request-normal", "access-selection.access-selector", 13},
		{"GET access parameters bad", "C001C1 0008 0000010000FF 02 01 02 63", axdr.ErrUnknownTag, "get-request-normal", "access-selection.access-parameters", 14},
		{"GET with-list count too large", "C003C1 05 0003 0100010800FF 02 00", ErrShort, "get-request-with-list", "attribute-descriptor-list", 3},
		{"GET with-list count malformed", "C003C1 85", axdr.ErrLength, "get-request-with-list", "attribute-descriptor-list", 3},
		{"GET with-list item cut", "C003C1 02 0007 0100630100FF 02 01 02 0204 0600000001 0600000000 120001 120000 0003 0100",
			ErrShort, "get-request-with-list", "attribute-descriptor-list[1].cosem-attribute-descriptor.instance-id", 35},
		{"SET with-list value bad", "C104C1 01 0003 0100010800FF 02 00 01 63", axdr.ErrUnknownTag, "set-request-with-list", "value-list[0]", 15},
		{"ACTION with-list count too large", "C303C1 02 0046000060030AFF01 0046", ErrShort, "action-request-with-list",
			"cosem-method-descriptor-list", 3},
		{"ACTION response with-list return cut", "C703C1 02 0000 0001", ErrShort, "action-response-with-list",
			"list-of-responses[1].return-parameters", 8},
		{"GET response with-list choice", "C403C1 02 0104 07 00", ErrChoice, "get-response-with-list", "result[1]", 6},
		{"GET response data cut", "C401C1 00 0600", axdr.ErrShort, "get-response-normal", "result.data", 4},
		{"GET response unknown result choice", "C401C1 07", ErrChoice, "get-response-normal", "result", 3},
		{"datablock raw-data cut", "C402C1 00 00000001 00 05AABB", ErrShort, "get-response-with-datablock", "raw-data", 9},
		{"datablock unknown result choice", "C402C1 00 00000001 02", ErrChoice, "get-response-with-datablock", "result", 8},
		{"SET value missing", "C101C1 0008 0000010000FF 02 00", axdr.ErrShort, "set-request-normal", "value", 13},
		{"SET response results cut", "C505C1 03 0000", ErrShort, "set-response-with-list", "result", 3},
		{"unknown SET choice", "C106", ErrChoice, "set-request", "", 1},
		{"unknown SET response choice", "C500", ErrChoice, "set-response", "", 1},
		{"ACTION parameters missing", "C301C1 0046000060030AFF01 01", axdr.ErrShort, "action-request-normal", "method-invocation-parameters", 13},
		{"ACTION response return cut", "C701C1 00 01", ErrShort, "action-response-normal", "single-response.return-parameters", 5},
		{"unknown ACTION choice", "C307", ErrChoice, "action-request", "", 1},
		{"unknown ACTION response choice", "C705", ErrChoice, "action-response", "", 1},
		{"exception counter cut", "D8 01 06 0000", ErrShort, "exception-response", "invocation-counter", 3},
		{"data-notification date-time cut", "0F 00000001 0C 07EA", ErrShort, "data-notification", "date-time", 5},
		{"event-notification time cut", "C2 01 07EA", ErrShort, "event-notification-request", "time", 2},
		{"conformance tag", "08 00 06 5F1E0400001E1D 0200 0007", ErrValue, "initiate-response", "negotiated-conformance", 3},
		{"conformance size", "08 00 06 5F1F0300001E 0200 0007", ErrValue, "initiate-response", "negotiated-conformance", 5},
		{"ciphered content too short", "C8 03 300000", ErrShort, "glo-get-request", "ciphered-content", 2},
		{"ciphered length too large", "C8 1E 30", ErrShort, "glo-get-request", "ciphered-content", 1},
		{"general-ciphering bad key-info", "DD 00 00 00 00 00 01 07", ErrChoice, "general-ciphering", "key-info", 7},
		{"AARQ truncated", "6020 A109", ber.ErrShort, "AARQ", "", 0},
		{"AARQ without context", "6005 BE0304 0100", ErrValue, "AARQ", "application-context-name", 0},
		{"AARQ foreign context OID", "600B A109 0607 2A8648CE3D0201", ErrValue, "AARQ", "application-context-name", 4},
		{"AARQ context not an OID", "6005 A103 040100", ber.ErrTag, "AARQ", "application-context-name", 4},
		{"AARQ user-information not an octet-string", "6010 A109060760857405080101 BE03 0201 00", ber.ErrTag, "AARQ", "user-information", 15},
		{"AARQ indefinite length", "6080 0000", ber.ErrIndefinite, "AARQ", "", 0},
		{"AARE without result", "610B A109060760857405080101", ErrValue, "AARE", "result", 0},
		{"AARE unknown diagnostic source", "6117 A109060760857405080101 A203020101 A305A70302010D", ErrChoice, "AARE", "result-source-diagnostic", 20},
		{"RLRQ reason too long", "6204 8002 0100", ErrValue, "RLRQ", "reason", 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Decode(unhex(t, tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %T, want *Error", err)
			}
			if e.APDU != tt.apdu || e.Field != tt.field || e.Offset != tt.offset {
				t.Errorf("err = %v\nwant APDU %q field %q offset %d", err, tt.apdu, tt.field, tt.offset)
			}
		})
	}
}

func TestTypedParsers(t *testing.T) {
	get := unhex(t, "C001C100080000010000FF0200")
	if r, err := ParseGetRequest(get); err != nil || r.Name() != "get-request-normal" {
		t.Errorf("ParseGetRequest = %v, %v", r, err)
	}
	for name, parse := range map[string]func([]byte) error{
		"ParseAARQ":             func(b []byte) error { _, err := ParseAARQ(b); return err },
		"ParseAARE":             func(b []byte) error { _, err := ParseAARE(b); return err },
		"ParseRLRQ":             func(b []byte) error { _, err := ParseRLRQ(b); return err },
		"ParseRLRE":             func(b []byte) error { _, err := ParseRLRE(b); return err },
		"ParseInitiateRequest":  func(b []byte) error { _, err := ParseInitiateRequest(b); return err },
		"ParseInitiateResponse": func(b []byte) error { _, err := ParseInitiateResponse(b); return err },
		"ParseGetResponse":      func(b []byte) error { _, err := ParseGetResponse(b); return err },
		"ParseSetRequest":       func(b []byte) error { _, err := ParseSetRequest(b); return err },
		"ParseSetResponse":      func(b []byte) error { _, err := ParseSetResponse(b); return err },
		"ParseActionRequest":    func(b []byte) error { _, err := ParseActionRequest(b); return err },
		"ParseActionResponse":   func(b []byte) error { _, err := ParseActionResponse(b); return err },
		"ParseCiphered":         func(b []byte) error { _, err := ParseCiphered(b); return err },
	} {
		if err := parse(get); !errors.Is(err, ErrUnknownTag) && !errors.Is(err, ber.ErrTag) {
			t.Errorf("%s(GET-request) = %v, want a tag error", name, err)
		}
	}
	if _, err := ParseUserInformation(get); !errors.Is(err, ErrUnknownTag) {
		t.Errorf("ParseUserInformation(GET-request) = %v, want ErrUnknownTag", err)
	}
}

// TestNoSecretInErrors checks that an error about a malformed AARQ does not
// show its password.
func TestNoSecretInErrors(t *testing.T) {
	in := unhex(t, "6033A1090607608574050801018A0207808B0760857405080201AC0780054775727578BE10040E01000000065F1F0400621E5DFFFF")
	for n := range len(in) {
		_, err := ParseAARQ(in[:n])
		if err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
		if s := err.Error(); strings.Contains(s, "Gurux") || strings.Contains(strings.ToLower(s), "4775727578") {
			t.Fatalf("error shows the password: %s", s)
		}
	}
	// A broken mechanism OID right after the password.
	bad := unhex(t, "6018 A109060760857405080101 AC0780054775727578 8B02 2A03")
	_, err := ParseAARQ(bad)
	if !errors.Is(err, ErrValue) || strings.Contains(err.Error(), "4775727578") {
		t.Fatalf("err = %v", err)
	}
}

func TestAssociationErrors(t *testing.T) {
	rejected := &AARE{ApplicationContext: ContextLN, Result: ResultRejectedPermanent, Diagnostic: Diagnostic{Value: DiagNoReasonGiven},
		UserInformation: []byte{0x0E, 0x01, 0x06, 0x01}}
	err := rejected.Err()
	var cse *dlms.ConfirmedServiceError
	if !errors.As(err, &cse) || *cse != (dlms.ConfirmedServiceError{Service: 1, Class: 6, Code: 1}) {
		t.Fatalf("Err() = %v, want a ConfirmedServiceError inside", err)
	}
	if got, want := err.Error(), "association rejected-permanent (acse-service-user: no-reason-given): confirmed service error: service 1, initiate error 1"; got != want {
		t.Errorf("Err() = %q\nwant %q", got, want)
	}
	if _, err := rejected.InitiateResponse(); !errors.As(err, &cse) {
		t.Errorf("InitiateResponse() = %v, want the ConfirmedServiceError", err)
	}
	var ae *AssociationError
	noInfo := &AARE{Result: ResultRejectedTransient, Diagnostic: Diagnostic{Provider: true, Value: DiagNoCommonACSEVersion}}
	if err := noInfo.Err(); !errors.As(err, &ae) || errors.Unwrap(err) != nil ||
		err.Error() != "association rejected-transient (acse-service-provider: no-common-acse-version)" {
		t.Errorf("Err() = %v", err)
	}
	if _, err := noInfo.InitiateResponse(); !errors.Is(err, ErrValue) {
		t.Errorf("InitiateResponse() without user-information = %v, want ErrValue", err)
	}
	if _, err := (&AARQ{UserInformation: []byte{0x08, 0x00}}).InitiateRequest(); !errors.As(err, new(*Error)) {
		t.Errorf("InitiateRequest() of a truncated InitiateResponse = %v", err)
	}
	if _, err := (&AARQ{UserInformation: unhex(t, "0800065F1F0400001E1D02000007")}).InitiateRequest(); !errors.Is(err, ErrValue) {
		t.Errorf("InitiateRequest() of an InitiateResponse = %v, want ErrValue", err)
	}

	exc := &ExceptionResponse{StateError: dlms.StateServiceNotAllowed, ServiceError: dlms.ServiceInvocationCounterError, InvocationCounter: 7}
	if !errors.Is(exc.Err(), &dlms.ExceptionError{State: dlms.StateServiceNotAllowed, Service: dlms.ServiceInvocationCounterError}) {
		t.Errorf("exception Err() = %v", exc.Err())
	}
	if err := (GetDataResult{AccessResult: dlms.DataAccessReadWriteDenied, IsAccessResult: true}).Err(); !errors.Is(err, dlms.DataAccessReadWriteDenied) {
		t.Errorf("GetDataResult.Err() = %v", err)
	}
	if err := (GetDataResult{Data: axdr.Null()}).Err(); err != nil {
		t.Errorf("GetDataResult.Err() of data = %v", err)
	}
	if err := (ActionResult{Result: dlms.ActionTemporaryFailure}).Err(); !errors.Is(err, dlms.ActionTemporaryFailure) {
		t.Errorf("ActionResult.Err() = %v", err)
	}
	if err := (&ConfirmedServiceError{Service: 6, Class: 5, Code: 1}).Err(); err.Error() != "confirmed service error: service 6, access error 1" {
		t.Errorf("ConfirmedServiceError.Err() = %v", err)
	}
}
