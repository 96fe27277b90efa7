package meter

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRegistryCRUD(t *testing.T) {
	s, _ := newTestStore(t, nil)
	m := testMeter(t, "M1", 1)
	if err := s.Add(m); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get("M1")
	if err != nil {
		t.Fatal(err)
	}
	want := m
	want.Energy = EnergyElectricity
	want.Link = LinkSpec{Kind: LinkTCP, Framing: FramingWrapper, Address: "127.0.0.1:4059"}
	want.Addresses = Addresses{Server: 1}
	want.Associations = []MeterAssociation{{"public", 16}, {"management", 1}, {"technician", 17}}
	want.Added, want.Updated = testNow, testNow
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Get\n got %+v\nwant %+v", got, want)
	}
	if sap, ok := got.ClientSAP("management"); !ok || sap != 1 {
		t.Errorf("ClientSAP(management) = %d, %v", sap, ok)
	}

	// Values are copies.
	got.Gas.Channel = 3
	got.Associations[0].ClientSAP = 99
	again, _ := s.Get("M1")
	if again.Gas.Channel != 1 || again.Associations[0].ClientSAP != 16 {
		t.Error("Get returned shared memory")
	}

	if err := s.Add(m); !errors.Is(err, ErrMeterExists) {
		t.Errorf("second Add: %v", err)
	}
	m2 := testMeter(t, "M2", 2)
	m2.EAN = m.EAN
	if err := s.Add(m2); !errors.Is(err, ErrEANInUse) {
		t.Errorf("Add with a taken EAN: %v", err)
	}
	m2 = testMeter(t, "M2", 2)
	m2.Gas.EAN = m.Gas.EAN
	if err := s.Add(m2); !errors.Is(err, ErrEANInUse) {
		t.Errorf("Add with a taken gas EAN: %v", err)
	}
	if _, err := s.Get("M2"); !errors.Is(err, ErrUnknownMeter) {
		t.Errorf("a failed Add stored the meter: %v", err)
	}
	if err := s.Add(testMeter(t, "M2", 2)); err != nil {
		t.Fatal(err)
	}

	// ByEAN finds the meter by its EAN and by its gas meter's.
	for _, e := range []string{m.EAN, m.Gas.EAN} {
		b, err := s.ByEAN(e)
		if err != nil || b.ID != "M1" {
			t.Errorf("ByEAN(%s) = %s, %v", e, b.ID, err)
		}
	}
	if en, ok := got.EnergyOf(m.Gas.EAN); !ok || en != EnergyGas {
		t.Errorf("EnergyOf(gas) = %s, %v", en, ok)
	}
	if en, ok := got.EnergyOf(m.EAN); !ok || en != EnergyElectricity {
		t.Errorf("EnergyOf(own) = %s, %v", en, ok)
	}
	if _, ok := got.EnergyOf("541448800000999993"); ok {
		t.Error("EnergyOf(other)")
	}

	// Put replaces, keeps Added, moves the EAN index.
	later := testNow.Add(time.Hour)
	s.now = fixedClock(later)
	m.EAN = ean(t, "54144880000099999")
	m.Gas = nil
	m.Link = LinkSpec{Device: "/dev/ttyUSB0", Optical: true}
	m.Addresses.Physical = 17
	if err := s.Put(m); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Get("M1")
	if !got.Added.Equal(testNow) || !got.Updated.Equal(later) || got.Gas != nil ||
		got.Link != (LinkSpec{Kind: LinkSerial, Framing: FramingHDLC, Device: "/dev/ttyUSB0", Optical: true}) ||
		got.Addresses != (Addresses{Server: 1, Physical: 17, HDLCSize: 4}) {
		t.Errorf("after Put: %+v", got)
	}
	if _, err := s.ByEAN(testMeter(t, "M1", 1).EAN); !errors.Is(err, ErrUnknownMeter) {
		t.Errorf("old EAN still indexed: %v", err)
	}
	if b, err := s.ByEAN(m.EAN); err != nil || b.ID != "M1" {
		t.Errorf("new EAN: %v", err)
	}

	list, err := s.List()
	if err != nil || len(list) != 2 || list[0].ID != "M1" || list[1].ID != "M2" {
		t.Errorf("List = %v, %v", list, err)
	}

	if err := s.PutKeys("M1", testKeys(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("M1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("M1"); !errors.Is(err, ErrUnknownMeter) {
		t.Errorf("Get after Remove: %v", err)
	}
	if _, err := s.ByEAN(m.EAN); !errors.Is(err, ErrUnknownMeter) {
		t.Errorf("ByEAN after Remove: %v", err)
	}
	if err := s.Remove("M1"); !errors.Is(err, ErrUnknownMeter) {
		t.Errorf("second Remove: %v", err)
	}
	// Registered again, the meter has no keys from before.
	if err := s.Add(m); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Keys("M1"); !errors.Is(err, ErrNoKeys) {
		t.Errorf("keys survived Remove: %v", err)
	}
}

func TestMeterValidation(t *testing.T) {
	s, _ := newTestStore(t, nil)
	tests := []struct {
		name string
		edit func(m *Meter)
		want error
		says string
	}{
		{"empty id", func(m *Meter) { m.ID = "" }, ErrInvalidMeter, "want 1 to 64"},
		{"space in id", func(m *Meter) { m.ID = "M 1" }, ErrInvalidMeter, "character 2"},
		{"long id", func(m *Meter) { m.ID = strings.Repeat("x", 65) }, ErrInvalidMeter, "want 1 to 64"},
		{"check digit", func(m *Meter) { m.EAN = m.EAN[:17] + string('0'+(m.EAN[17]-'0'+1)%10) }, ErrEANCheckDigit, "check digit"},
		{"unknown profile", func(m *Meter) { m.Profile = "x" }, ErrUnknownProfile, `"x"`},
		{"energy", func(m *Meter) { m.Energy = EnergyGas }, ErrInvalidMeter, "for electricity meters"},
		{"no link", func(m *Meter) { m.Link = LinkSpec{} }, ErrInvalidMeter, "no link"},
		{"bad kind", func(m *Meter) { m.Link.Kind = "radio" }, ErrInvalidMeter, `kind "radio"`},
		{"tcp without port", func(m *Meter) { m.Link.Address = "meter.local" }, ErrInvalidMeter, "host:port"},
		{"serial wrapper", func(m *Meter) { m.Link = LinkSpec{Device: "/dev/ttyS0", Framing: FramingWrapper} }, ErrInvalidMeter, "want hdlc"},
		{"serial no device", func(m *Meter) { m.Link = LinkSpec{Kind: LinkSerial} }, ErrInvalidMeter, "without a device"},
		{"concentrator no id", func(m *Meter) { m.Link = LinkSpec{Kind: LinkConcentrator} }, ErrInvalidMeter, "without a concentrator"},
		{"bad framing", func(m *Meter) { m.Link.Framing = "ppp" }, ErrInvalidMeter, `framing "ppp"`},
		{"hdlc size 3", func(m *Meter) { m.Link.Framing = FramingHDLC; m.Addresses.HDLCSize = 3 }, ErrInvalidMeter, "size 3"},
		{"physical too big", func(m *Meter) {
			m.Link.Framing = FramingHDLC
			m.Addresses = Addresses{Physical: 200, HDLCSize: 2}
		}, ErrInvalidMeter, "does not fit"},
		{"hdlc size on wrapper", func(m *Meter) { m.Addresses.HDLCSize = 4 }, ErrInvalidMeter, "HDLC address size on a wrapper"},
		{"unknown association", func(m *Meter) { m.Associations = []MeterAssociation{{"admin", 2}} }, ErrInvalidMeter, `"admin"`},
		{"SAP 127", func(m *Meter) { m.Associations = []MeterAssociation{{"public", 127}} }, ErrInvalidMeter, "client SAP 127"},
		{"association twice", func(m *Meter) { m.Associations = []MeterAssociation{{"public", 16}, {"public", 18}} }, ErrInvalidMeter, "twice"},
		{"system title", func(m *Meter) { m.SystemTitle = Hex{1, 2, 3} }, ErrInvalidMeter, "3 bytes"},
		{"gas channel", func(m *Meter) { m.Gas.Channel = 5 }, ErrInvalidMeter, "channel 5"},
		{"gas EAN", func(m *Meter) { m.Gas.EAN = "541448900000000000" }, ErrEAN, "gas meter"},
		{"gas EAN is the meter's", func(m *Meter) { m.Gas.EAN = m.EAN }, ErrInvalidMeter, "the meter's EAN"},
	}
	for _, tt := range tests {
		m := testMeter(t, "M1", 1)
		tt.edit(&m)
		err := s.Add(m)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s: %v, want %v saying %q", tt.name, err, tt.want, tt.says)
		}
	}
	if list, _ := s.List(); len(list) != 0 {
		t.Errorf("invalid meters stored: %v", list)
	}
	// A concentrator meter gets the defaults.
	m := testMeter(t, "DCM1", 1)
	m.Link = LinkSpec{Concentrator: "dc7"}
	m.SystemTitle = Hex{0x48, 0x45, 0x53, 0, 0, 0, 0, 1}
	if err := s.Add(m); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get("DCM1")
	if got.Link != (LinkSpec{Kind: LinkConcentrator, Framing: FramingWrapper, Concentrator: "dc7", ConcentratorMeter: "DCM1"}) {
		t.Errorf("concentrator link %+v", got.Link)
	}
	if got.SystemTitle.String() != "4845530000000001" {
		t.Errorf("system title %s", got.SystemTitle)
	}
}
