package apdu

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)

var (
	register   = dlms.MustOBIS("1-0:1.8.0.255")
	profile    = dlms.MustOBIS("1-0:99.1.0.255")
	eventCode  = dlms.MustOBIS("0-0:96.11.0.255")
	dateTime1  = []byte{0x07, 0xEA, 0x0B, 0x1B, 0x05, 0x02, 0x24, 0x05, 0x00, 0x00, 0x00, 0x00}
	from, to   = axdr.OctetString(unhexS("07EA0B1AFF000000FF800000")), axdr.OctetString(unhexS("07EA0B1BFF000000FF800000"))
	gmacST     = unhexS("4D4D4D0000BC614E")
	gmacText   = unhexS("411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B")
	entryAll   = Entry{FromEntry: 1, ToEntry: 0, FromValue: 1, ToValue: 0}.Access()
	clockRange = Range{Restrict: CaptureObject{ClassID: dlms.ClassClock, Instance: clock, Attribute: 2}, From: from, To: to}.Access()
	breakerM1  = MethodDescriptor{ClassID: dlms.ClassDisconnectControl, Instance: breaker, Method: 1}
	breakerM2  = MethodDescriptor{ClassID: dlms.ClassDisconnectControl, Instance: breaker, Method: 2}
	int0       = axdr.Int8(0)
)

func unhexS(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// encodeTests covers every APDU variant: the value, and its encoding.
var encodeTests = []struct {
	name string
	a    APDU
	want string
}{
	// ACSE
	{"AARQ LLS (as recorded)", &AARQ{
		ApplicationContext: ContextLN, ACSERequirements: true, Mechanism: MechanismLLS,
		CallingAuthenticationValue: []byte("Gurux"),
		UserInformation:            (&InitiateRequest{DLMSVersion: 6, Conformance: 0x621E5D, MaxReceivePDUSize: 0xFFFF}).Append(nil),
	}, "6033 A109060760857405080101 8A020780 8B0760857405080201 AC07 8005 4775727578 BE10 040E 01000000065F1F0400621E5DFFFF"},
	{"AARQ every component", &AARQ{
		ApplicationContext: ContextLNCiphered, CalledAPTitle: []byte{1, 2}, CalledAEQualifier: []byte{3},
		CallingAPTitle: []byte("GURUX123"), CallingAEQualifier: []byte{4}, CallingAEInvocationID: new(int32(5)),
		ACSERequirements: true, Mechanism: MechanismHLSGMAC, CallingAuthenticationValue: []byte{0xAA, 0xBB},
		UserInformation: unhexS("21053000000001"),
	}, "604A A109060760857405080103 A204040201 02 A30304 0103 A60A0408 4755525558313233 A7030401 04 A903020105" +
		" 8A020780 8B0760857405080205 AC048002AABB BE09 0407 21053000000001"},
	{"AARQ long authentication value", &AARQ{ApplicationContext: ContextSN, CallingAuthenticationValue: bytes.Repeat([]byte{0xAB}, 200)},
		"6081D9 A109060760857405080102 AC81CB 8081C8" + strings.Repeat("AB", 200)},
	{"AARE accepted (as recorded)", &AARE{
		ApplicationContext: ContextLN, UserInformation: unhexS("0800065F1F0400001E1D02000007"),
	}, "6129 A109060760857405080101 A203020100 A305A103020100 BE10 040E 0800065F1F0400001E1D02000007"},
	{"AARE rejected, no user-information", &AARE{
		ApplicationContext: ContextLN, Result: ResultRejectedPermanent, Diagnostic: Diagnostic{Value: DiagAuthenticationFailure},
	}, "6117 A109060760857405080101 A203020101 A305A10302010D"},
	{"AARE provider diagnostic", &AARE{
		ApplicationContext: ContextLN, Result: ResultRejectedTransient, Diagnostic: Diagnostic{Provider: true, Value: DiagNoCommonACSEVersion},
	}, "6117 A109060760857405080101 A203020102 A305A203020102"},
	{"AARE HLS", &AARE{
		ApplicationContext: ContextLNCiphered, Diagnostic: Diagnostic{Value: DiagAuthenticationRequired},
		RespondingAPTitle: []byte("ABCDEFGH"), RespondingAEQualifier: []byte{9}, ACSERequirements: true,
		Mechanism: MechanismHLSGMAC, RespondingAuthenticationValue: []byte{1, 2, 3, 4}, UserInformation: []byte{0x28, 0x00},
	}, "6143 A109060760857405080103 A203020100 A305A10302010E A40A04084142434445464748 A503040109 88020780" +
		" 890760857405080205 AA06800401020304 BE0404022800"},
	{"AARE rejected with a ConfirmedServiceError", &AARE{
		ApplicationContext: ContextLN, Result: ResultRejectedPermanent, Diagnostic: Diagnostic{Value: DiagNoReasonGiven},
		UserInformation: []byte{0x0E, 0x01, 0x06, 0x01},
	}, "611F A109060760857405080101 A203020101 A305A103020101 BE06 0404 0E010601"},
	{"RLRQ normal", &RLRQ{Reason: new(ReleaseRequestNormal)}, "6203 800100"},
	{"RLRQ empty", &RLRQ{}, "6200"},
	{"RLRQ urgent with user-information", &RLRQ{Reason: new(ReleaseRequestUrgent), UserInformation: []byte{0xAA, 0xBB}},
		"6209 800101 BE040402AABB"},
	{"RLRE not finished", &RLRE{Reason: new(ReleaseResponseNotFinished)}, "6303 800101"},
	{"RLRE user-defined", &RLRE{Reason: new(ReleaseResponseUserDefined)}, "6303 80011E"},

	// xDLMS initiate
	{"InitiateRequest (as recorded)", &InitiateRequest{DLMSVersion: 6, Conformance: 0x621E5D, MaxReceivePDUSize: 0xFFFF},
		"01 00 00 00 06 5F1F0400621E5D FFFF"},
	{"InitiateRequest every field", &InitiateRequest{
		DedicatedKey: unhexS("000102030405060708090A0B0C0D0E0F"), ResponseNotAllowed: true, QualityOfService: new(int8(3)),
		DLMSVersion: 6, Conformance: ConformanceGet | ConformanceSet | ConformanceAction, MaxReceivePDUSize: 0x0400,
	}, "01 01 10 000102030405060708090A0B0C0D0E0F 0100 0103 06 5F1F0400000019 0400"},
	{"InitiateResponse (as recorded)", &InitiateResponse{DLMSVersion: 6, Conformance: 0x001E1D, MaxReceivePDUSize: 512, VAAName: VAANameLN},
		"08 00 06 5F1F0400001E1D 0200 0007"},
	{"InitiateResponse with QoS", &InitiateResponse{QualityOfService: new(int8(-1)), DLMSVersion: 6, Conformance: 0x000018, MaxReceivePDUSize: 200, VAAName: 0xFA00},
		"08 01FF 06 5F1F0400000018 00C8 FA00"},
	{"ConfirmedServiceError", &ConfirmedServiceError{Service: 1, Class: 6, Code: 1}, "0E 01 06 01"},

	// GET
	{"get-request-normal", &GetRequestNormal{Invoke: invokeC1, Attribute: AttributeDescriptor{ClassID: dlms.ClassClock, Instance: clock, Attribute: 2}},
		"C001C1 0008 0000010000FF 02 00"},
	{"get-request-normal, entry descriptor", &GetRequestNormal{
		Invoke: invokeC1, Attribute: AttributeDescriptor{ClassID: dlms.ClassProfileGeneric, Instance: profile, Attribute: 2}, Access: &entryAll,
	}, "C001C1 0007 0100630100FF 02 01 02 0204 0600000001 0600000000 120001 120000"},
	{"get-request-normal, range descriptor", &GetRequestNormal{
		Invoke: NewInvoke(2, false), Attribute: AttributeDescriptor{ClassID: dlms.ClassProfileGeneric, Instance: profile, Attribute: 2}, Access: &clockRange,
	}, "C00142 0007 0100630100FF 02 01 01 0204 0204 120008 09060000010000FF 0F02 120000" +
		" 090C07EA0B1AFF000000FF800000 090C07EA0B1BFF000000FF800000 0100"},
	{"get-request-next", &GetRequestNext{Invoke: invokeC1, BlockNumber: 5}, "C002C1 00000005"},
	{"get-request-with-list", &GetRequestWithList{Invoke: invokeC1, Attributes: []AttributeWithSelection{
		{Attribute: AttributeDescriptor{ClassID: dlms.ClassRegister, Instance: register, Attribute: 2}},
		{Attribute: AttributeDescriptor{ClassID: dlms.ClassProfileGeneric, Instance: profile, Attribute: 2}, Access: &entryAll},
	}}, "C003C1 02 0003 0100010800FF 02 00 0007 0100630100FF 02 01 02 0204 0600000001 0600000000 120001 120000"},
	{"get-response-normal, data", &GetResponseNormal{Invoke: invokeC1, Result: GetDataResult{Data: axdr.Uint32(123494)}},
		"C401C1 00 060001E266"},
	{"get-response-normal, data-access-result", &GetResponseNormal{Invoke: invokeC1,
		Result: GetDataResult{AccessResult: dlms.DataAccessObjectUndefined, IsAccessResult: true}}, "C401C1 01 04"},
	{"get-response-with-datablock, raw-data", &GetResponseWithDatablock{Invoke: invokeC1, BlockNumber: 1, Raw: []byte{0xAA, 0xBB, 0xCC}},
		"C402C1 00 00000001 00 03AABBCC"},
	{"get-response-with-datablock, data-access-result", &GetResponseWithDatablock{Invoke: invokeC1, LastBlock: true, BlockNumber: 2,
		AccessResult: dlms.DataAccessDataBlockUnavailable, IsAccessResult: true}, "C402C1 01 00000002 01 0E"},
	{"get-response-with-list", &GetResponseWithList{Invoke: invokeC1, Results: []GetDataResult{
		{Data: axdr.Uint16(5)}, {AccessResult: dlms.DataAccessReadWriteDenied, IsAccessResult: true},
	}}, "C403C1 02 00120005 0103"},

	// SET
	{"set-request-normal", &SetRequestNormal{Invoke: invokeC1, Attribute: AttributeDescriptor{ClassID: dlms.ClassClock, Instance: clock, Attribute: 2},
		Value: axdr.OctetString(dateTime1)}, "C101C1 0008 0000010000FF 02 00 090C07EA0B1B0502240500000000"},
	{"set-request-with-first-datablock", &SetRequestWithFirstDatablock{Invoke: invokeC1,
		Attribute: AttributeDescriptor{ClassID: dlms.ClassProfileGeneric, Instance: profile, Attribute: 3}, Access: &entryAll,
		Block: DataBlock{BlockNumber: 1, Raw: []byte{1, 2, 3}}},
		"C102C1 0007 0100630100FF 03 01 02 0204 0600000001 0600000000 120001 120000 00 00000001 03010203"},
	{"set-request-with-datablock", &SetRequestWithDatablock{Invoke: invokeC1, Block: DataBlock{LastBlock: true, BlockNumber: 2, Raw: []byte{4, 5}}},
		"C103C1 01 00000002 020405"},
	{"set-request-with-list", &SetRequestWithList{Invoke: invokeC1,
		Attributes: []AttributeWithSelection{
			{Attribute: AttributeDescriptor{ClassID: dlms.ClassClock, Instance: clock, Attribute: 2}},
			{Attribute: AttributeDescriptor{ClassID: dlms.ClassRegister, Instance: register, Attribute: 3}},
		},
		Values: []axdr.Data{axdr.OctetString(dateTime1), axdr.Structure(int0, axdr.Enum(30))}},
		"C104C1 02 0008 0000010000FF 02 00 0003 0100010800FF 03 00 02 090C07EA0B1B0502240500000000 0202 0F00 161E"},
	{"set-request-with-list-and-first-datablock", &SetRequestWithListAndFirstDatablock{Invoke: invokeC1,
		Attributes: []AttributeWithSelection{{Attribute: AttributeDescriptor{ClassID: dlms.ClassClock, Instance: clock, Attribute: 2}}},
		Block:      DataBlock{BlockNumber: 1, Raw: []byte{0xAA, 0xBB}}},
		"C105C1 01 0008 0000010000FF 02 00 00 00000001 02AABB"},
	{"set-response-normal", &SetResponseNormal{Invoke: invokeC1, Result: dlms.DataAccessReadWriteDenied}, "C501C1 03"},
	{"set-response-datablock", &SetResponseDatablock{Invoke: invokeC1, BlockNumber: 1}, "C502C1 00000001"},
	{"set-response-last-datablock", &SetResponseLastDatablock{Invoke: invokeC1, BlockNumber: 2}, "C503C1 00 00000002"},
	{"set-response-last-datablock-with-list", &SetResponseLastDatablockWithList{Invoke: invokeC1,
		Results: []dlms.DataAccessResult{dlms.DataAccessSuccess, dlms.DataAccessReadWriteDenied}, BlockNumber: 2}, "C504C1 02 0003 00000002"},
	{"set-response-with-list", &SetResponseWithList{Invoke: invokeC1,
		Results: []dlms.DataAccessResult{dlms.DataAccessSuccess, dlms.DataAccessObjectUnavailable}}, "C505C1 02 000B"},

	// ACTION
	{"action-request-normal, no parameters", &ActionRequestNormal{Invoke: invokeC1, Method: breakerM1},
		"C301C1 0046 000060030AFF 01 00"},
	{"action-request-normal, parameters", &ActionRequestNormal{Invoke: invokeC1, Method: breakerM2, Parameters: &int0},
		"C301C1 0046 000060030AFF 02 01 0F00"},
	{"action-request-next-pblock", &ActionRequestNextPblock{Invoke: invokeC1, BlockNumber: 1}, "C302C1 00000001"},
	{"action-request-with-list", &ActionRequestWithList{Invoke: invokeC1, Methods: []MethodDescriptor{breakerM1, breakerM2},
		Parameters: []axdr.Data{int0, axdr.Null()}}, "C303C1 02 0046000060030AFF01 0046000060030AFF02 02 0F00 00"},
	{"action-request-with-first-pblock", &ActionRequestWithFirstPblock{Invoke: invokeC1, Method: breakerM1,
		Block: DataBlock{BlockNumber: 1, Raw: []byte{0xAA, 0xBB}}}, "C304C1 0046000060030AFF01 00 00000001 02AABB"},
	{"action-request-with-list-and-first-pblock", &ActionRequestWithListAndFirstPblock{Invoke: invokeC1, Methods: []MethodDescriptor{breakerM1},
		Block: DataBlock{LastBlock: true, BlockNumber: 1, Raw: []byte{0xAA}}}, "C305C1 01 0046000060030AFF01 01 00000001 01AA"},
	{"action-request-with-pblock", &ActionRequestWithPblock{Invoke: invokeC1, Block: DataBlock{BlockNumber: 2, Raw: []byte{}}},
		"C306C1 00 00000002 00"},
	{"action-response-normal", &ActionResponseNormal{Invoke: invokeC1}, "C701C1 00 00"},
	{"action-response-normal, return data", &ActionResponseNormal{Invoke: invokeC1,
		Result: ActionResult{Return: &GetDataResult{Data: axdr.Uint8(5)}}}, "C701C1 00 01 00 1105"},
	{"action-response-normal, return data-access-result", &ActionResponseNormal{Invoke: invokeC1,
		Result: ActionResult{Result: dlms.ActionObjectUnavailable, Return: &GetDataResult{AccessResult: dlms.DataAccessObjectUndefined, IsAccessResult: true}}},
		"C701C1 0B 01 01 04"},
	{"action-response-with-pblock", &ActionResponseWithPblock{Invoke: invokeC1, Block: DataBlock{BlockNumber: 1, Raw: []byte{0xAA, 0xBB}}},
		"C702C1 00 00000001 02AABB"},
	{"action-response-with-list", &ActionResponseWithList{Invoke: invokeC1, Results: []ActionResult{
		{}, {Result: dlms.ActionReadWriteDenied},
	}}, "C703C1 02 0000 0300"},
	{"action-response-next-pblock", &ActionResponseNextPblock{Invoke: invokeC1, BlockNumber: 3}, "C704C1 00000003"},

	// Errors and notifications
	{"exception-response", &ExceptionResponse{StateError: dlms.StateServiceNotAllowed, ServiceError: dlms.ServiceNotSupported}, "D8 01 02"},
	{"exception-response, invocation counter", &ExceptionResponse{StateError: dlms.StateServiceUnknown,
		ServiceError: dlms.ServiceInvocationCounterError, InvocationCounter: 16}, "D8 02 06 00000010"},
	{"data-notification", &DataNotification{Invoke: 1, DateTime: dateTime1, Body: axdr.Structure(axdr.Uint32(123494))},
		"0F 00000001 0C07EA0B1B0502240500000000 0201 060001E266"},
	{"data-notification, no date-time", &DataNotification{Invoke: LongPriorityHigh | 2, DateTime: []byte{}, Body: axdr.Uint8(0)},
		"0F 80000002 00 1100"},
	{"event-notification-request", &EventNotificationRequest{
		Attribute: AttributeDescriptor{ClassID: dlms.ClassData, Instance: eventCode, Attribute: 2}, Value: axdr.Uint16(1)},
		"C2 00 0001 0000600B00FF 02 120001"},
	{"event-notification-request, time", &EventNotificationRequest{Time: dateTime1,
		Attribute: AttributeDescriptor{ClassID: dlms.ClassData, Instance: eventCode, Attribute: 2}, Value: axdr.Uint16(1)},
		"C2 01 07EA0B1B0502240500000000 0001 0000600B00FF 02 120001"},

	// Ciphered
	{"glo-get-request (Green Book example)", &Ciphered{Type: TagGloGetRequest, SecurityControl: 0x30, InvocationCounter: 0x01234567,
		Ciphertext: gmacText}, "C8 1E 30 01234567 411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B"},
	{"ded-action-response, empty", &Ciphered{Type: TagDedActionResponse, SecurityControl: SecurityEncrypted, InvocationCounter: 9,
		Ciphertext: []byte{}}, "D7 05 20 00000009"},
	{"general-glo-ciphering", &Ciphered{Type: TagGeneralGloCiphering, SystemTitle: gmacST, SecurityControl: 0x30,
		InvocationCounter: 0x01234567, Ciphertext: gmacText},
		"DB 08 4D4D4D0000BC614E 1E 30 01234567 411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B"},
	{"general-ciphering", &Ciphered{Type: TagGeneralCiphering, TransactionID: []byte{1}, SystemTitle: gmacST,
		RecipientSystemTitle: unhexS("4D4D4D0000000001"), DateTime: []byte{}, OtherInformation: []byte{},
		KeyInfo: []byte{0x01, 0x00, 0x02, 0xAA, 0xBB}, SecurityControl: 0x30, InvocationCounter: 1, Ciphertext: []byte{0xFF}},
		"DD 0101 08 4D4D4D0000BC614E 08 4D4D4D0000000001 00 00 01 01 00 02AABB 06 30 00000001 FF"},
}

func TestAppend(t *testing.T) {
	for _, tt := range encodeTests {
		t.Run(tt.name, func(t *testing.T) {
			want := unhex(t, tt.want)
			prefix := []byte{0xEE, 0xFF}
			got := tt.a.Append(prefix)
			if !bytes.Equal(got[:2], prefix) || !bytes.Equal(got[2:], want) {
				t.Fatalf("Append:\n got %X\nwant EEFF%X", got, want)
			}
			if Tag(want[0]) != tt.a.Tag() {
				t.Errorf("Tag() = %v, encoding starts with %02X", tt.a.Tag(), want[0])
			}
			b, n, err := Decode(want)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if n != len(want) {
				t.Errorf("Decode took %d of %d bytes", n, len(want))
			}
			if b.Name() != tt.a.Name() {
				t.Errorf("decoded a %s, want a %s", b.Name(), tt.a.Name())
			}
			if got, want := Format(b), Format(tt.a); got != want {
				t.Errorf("decoded:\n%s\nwant:\n%s", got, want)
			}
			if got := b.Append(nil); !bytes.Equal(got, want) {
				t.Errorf("re-encoded %X", got)
			}
		})
	}
}

// TestLenient decodes non-canonical encodings that meters send: each
// decodes, and re-encodes canonically.
func TestLenient(t *testing.T) {
	for _, tt := range []struct {
		name, in, canonical string
	}{
		{"AARQ with long-form BER lengths",
			"608121 A18109060760857405080101 BE82001104810E01000000065F1F0400621E5DFFFF",
			"601D A109060760857405080101 BE10040E01000000065F1F0400621E5DFFFF"},
		{"AARE with protocol-version, explicit mechanism none and implementation-information",
			"6129 80020780 A109060760857405080101 A203020100 A305A103020100 890760857405080200 9D03414243",
			"6117 A109060760857405080101 A203020100 A305A103020100"},
		{"AARE diagnostic with a non-minimal INTEGER",
			"6118 A109060760857405080101 A203020101 A306A1040202000D",
			"6117 A109060760857405080101 A203020101 A305A10302010D"},
		{"AARQ with ACSE requirements without the authentication bit",
			"600F A109060760857405080101 8A020700",
			"600B A109060760857405080101"},
		{"InitiateRequest with response-allowed TRUE written out",
			"01 00 0101 00 06 5F1F0400621E5D FFFF",
			"01 00 00 00 06 5F1F0400621E5D FFFF"},
		{"InitiateResponse with a long-form conformance length",
			"08 00 06 5F1F810400001E1D 0200 0007",
			"08 00 06 5F1F0400001E1D 0200 0007"},
		{"datablock with a non-minimal length and a 0xFF boolean",
			"C402C1 FF 00000001 00 8103AABBCC",
			"C402C1 01 00000001 00 03AABBCC"},
		{"get-request-with-list with a non-minimal count",
			"C003C1 8101 0003 0100010800FF 02 00",
			"C003C1 01 0003 0100010800FF 02 00"},
		{"optional present with a flag other than 1",
			"C001C1 0007 0100630100FF 02 FF 02 0204 0600000001 0600000000 120001 120000",
			"C001C1 0007 0100630100FF 02 01 02 0204 0600000001 0600000000 120001 120000"},
		{"event-notification-request with the time as a tagged octet-string",
			"C2 090C 07EA0B1B0502240500000000 0001 0000600B00FF 02 120001",
			"C2 01 07EA0B1B0502240500000000 0001 0000600B00FF 02 120001"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := unhex(t, tt.in)
			a, n, err := Decode(in)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(in) {
				t.Errorf("took %d of %d bytes", n, len(in))
			}
			if got, want := a.Append(nil), unhex(t, tt.canonical); !bytes.Equal(got, want) {
				t.Errorf("re-encoded\n%X\nwant\n%X", got, want)
			}
		})
	}
}
