package apdu

import (
	"errors"
	"strings"
	"testing"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)

func TestInvoke(t *testing.T) {
	for _, tt := range []struct {
		v    InvokeIDAndPriority
		id   uint8
		conf bool
		high bool
		s    string
	}{
		{NewInvoke(1, true), 1, true, true, "0xC1 (invoke-id 1, confirmed, high priority)"},
		{NewInvoke(0x1F, false), 15, true, false, "0x4F (invoke-id 15, confirmed, normal priority)"},
		{0x81, 1, false, true, "0x81 (invoke-id 1, unconfirmed, high priority)"},
	} {
		if tt.v.InvokeID() != tt.id || tt.v.Confirmed() != tt.conf || tt.v.High() != tt.high || tt.v.String() != tt.s {
			t.Errorf("%#x: id %d confirmed %v high %v %q", uint8(tt.v), tt.v.InvokeID(), tt.v.Confirmed(), tt.v.High(), tt.v.String())
		}
	}
	l := LongPriorityHigh | LongServiceClassConfirmed | LongSelfDescriptive | LongBreakOnError | 0x123456
	if l.InvokeID() != 0x123456 || !l.High() || !l.Confirmed() || !l.SelfDescriptive() || !l.BreakOnError() {
		t.Errorf("%v", l)
	}
	if got, want := l.String(), "0xF0123456 (invoke-id 1193046, confirmed, high priority, self-descriptive, break on error)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := LongInvokeIDAndPriority(1).String(), "0x00000001 (invoke-id 1, unconfirmed, normal priority)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestConformance(t *testing.T) {
	// Bit 0 of the standard is the most significant of the 24 bits.
	for _, tt := range []struct {
		c    Conformance
		bits uint32
		name string
	}{
		{ConformanceReservedZero, 0x800000, "reserved-zero"},
		{ConformanceGeneralProtection, 0x400000, "general-protection"},
		{ConformanceAttribute0SupportedWithSet, 0x008000, "attribute0-supported-with-set"},
		{ConformanceBlockTransferWithGetOrRead, 0x001000, "block-transfer-with-get-or-read"},
		{ConformanceDataNotification, 0x000080, "data-notification"},
		{ConformanceGet, 0x000010, "get"},
		{ConformanceAction, 0x000001, "action"},
	} {
		if uint32(tt.c) != tt.bits || len(tt.c.Names()) != 1 || tt.c.Names()[0] != tt.name {
			t.Errorf("%s: %06X %v", tt.name, uint32(tt.c), tt.c.Names())
		}
	}
	if got, want := (ConformanceGet | ConformanceSet).String(), "0x000018 (get, set)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := Conformance(0).String(); got != "0x000000" {
		t.Errorf("String() = %q", got)
	}
	if n := len(Conformance(0xFFFFFF).Names()); n != 24 {
		t.Errorf("%d names for 24 bits", n)
	}
}

func TestSelectors(t *testing.T) {
	r := Range{
		Restrict: CaptureObject{ClassID: dlms.ClassClock, Instance: clock, Attribute: 2},
		From:     from, To: to,
		Selected: []CaptureObject{
			{ClassID: dlms.ClassClock, Instance: clock, Attribute: 2},
			{ClassID: dlms.ClassRegister, Instance: register, Attribute: 2, DataIndex: 1},
		},
	}
	got, err := ParseRange(r.Access())
	if err != nil {
		t.Fatal(err)
	}
	if got.Restrict != r.Restrict || len(got.Selected) != 2 || got.Selected[1] != r.Selected[1] ||
		string(got.From.Bytes) != string(from.Bytes) || string(got.To.Bytes) != string(to.Bytes) {
		t.Errorf("ParseRange = %+v", got)
	}
	e := Entry{FromEntry: 10, ToEntry: 20, FromValue: 1, ToValue: 3}
	if got, err := ParseEntry(e.Access()); err != nil || got != e {
		t.Errorf("ParseEntry = %+v, %v", got, err)
	}
	// Integer fields of other integer types are accepted.
	loose := SelectiveAccess{Selector: SelectorEntry, Parameters: axdr.Structure(axdr.Uint8(1), axdr.Uint16(0), axdr.Int8(1), axdr.Uint32(0))}
	if got, err := ParseEntry(loose); err != nil || got != (Entry{FromEntry: 1, FromValue: 1}) {
		t.Errorf("ParseEntry(loose) = %+v, %v", got, err)
	}
	for _, s := range []SelectiveAccess{
		{Selector: SelectorRange, Parameters: axdr.Null()},
		{Selector: SelectorEntry, Parameters: axdr.Null()},
		{Selector: SelectorRange, Parameters: axdr.Structure(axdr.Null(), from, to, axdr.Array())},
		{Selector: SelectorRange, Parameters: axdr.Structure(
			axdr.Structure(axdr.Uint16(8), axdr.OctetString([]byte{1, 2}), axdr.Int8(2), axdr.Uint16(0)), from, to, axdr.Array())},
		{Selector: SelectorEntry, Parameters: axdr.Structure(axdr.Int8(-1), axdr.Uint32(0), axdr.Uint16(1), axdr.Uint16(0))},
		{Selector: SelectorEntry, Parameters: axdr.Structure(axdr.Uint32(1), axdr.Uint32(0), axdr.Uint32(1<<16), axdr.Uint16(0))},
	} {
		_, err1 := ParseRange(s)
		_, err2 := ParseEntry(s)
		if !errors.Is(err1, ErrValue) || !errors.Is(err2, ErrValue) {
			t.Errorf("%+v: ParseRange %v, ParseEntry %v", s, err1, err2)
		}
	}
	if _, err := ParseRange(e.Access()); !errors.Is(err, ErrValue) {
		t.Errorf("ParseRange(entry) = %v", err)
	}
}

func TestNames(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{TagGetRequest.String(), "get-request"},
		{TagGeneralGloCiphering.String(), "general-glo-ciphering"},
		{Tag(0x99).String(), "apdu(0x99)"},
		{ContextLNCiphered.String(), "LN with ciphering"},
		{ApplicationContext(9).String(), "context(9)"},
		{MechanismHLSGMAC.String(), "HLS-GMAC"},
		{Mechanism(9).String(), "mechanism(9)"},
		{ResultRejectedTransient.String(), "rejected-transient"},
		{Diagnostic{Value: 99}.String(), "acse-service-user: 99"},
		{ReleaseRequestUrgent.String(), "urgent"},
		{ReleaseResponseNotFinished.String(), "not-finished"},
		{SecurityControl(0x30).String(), "0x30 (suite 0, authenticated, encrypted)"},
		{SecurityControl(0xC1).String(), "0xC1 (suite 1, broadcast key, compressed)"},
		{AttributeDescriptor{ClassID: dlms.ClassClock, Instance: clock, Attribute: 2}.String(), "Clock 0-0:1.0.0.255 attribute 2"},
		{breakerM1.String(), "Disconnect control 0-0:96.3.10.255 method 1"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	ciphered := 0
	for i := range 256 {
		tag := Tag(i)
		if tag.Ciphered() {
			ciphered++
			if !tag.Known() {
				t.Errorf("%v is ciphered but unknown", tag)
			}
		}
	}
	if ciphered != 23 {
		t.Errorf("%d ciphered tags, want 23", ciphered)
	}
}

func TestFormat(t *testing.T) {
	a := &GetRequestNormal{Invoke: invokeC1, Attribute: AttributeDescriptor{ClassID: dlms.ClassClock, Instance: clock, Attribute: 2}}
	want := `get-request-normal
  invoke-id-and-priority: 0xC1 (invoke-id 1, confirmed, high priority)
  cosem-attribute-descriptor
    class-id: 8 (Clock)
    instance-id: 0-0:1.0.0.255
    attribute-id: 2
  access-selection: absent
`
	if got := Format(a); got != want {
		t.Errorf("Format:\n%s\nwant:\n%s", got, want)
	}
	aare := &AARE{ApplicationContext: ContextLN, Result: ResultRejectedPermanent, Diagnostic: Diagnostic{Value: DiagAuthenticationFailure},
		UserInformation: []byte{0x0E, 0x01, 0x06, 0x01}}
	want = `AARE
  application-context-name: LN (2.16.756.5.8.1.1)
  result: 1 (rejected-permanent)
  result-source-diagnostic: 13 (acse-service-user: authentication-failure)
  user-information: 0e010601 (4 bytes)
    confirmed-service-error
      confirmed-service-error: 1
      service-error: 6
      value: 1
`
	if got := Format(aare); got != want {
		t.Errorf("Format:\n%s\nwant:\n%s", got, want)
	}
	secret := &InitiateRequest{DedicatedKey: []byte("0123456789ABCDEF"), DLMSVersion: 6}
	if got := Format(secret); !strings.Contains(got, "dedicated-key: (16 bytes, not shown)") || strings.Contains(got, "0123456789") {
		t.Errorf("Format shows the dedicated key:\n%s", got)
	}
	// An unknown class shows its number only.
	get := &GetRequestNormal{Attribute: AttributeDescriptor{ClassID: 9999}}
	if got := Format(get); !strings.Contains(got, "class-id: 9999\n") {
		t.Errorf("Format:\n%s", got)
	}
}
