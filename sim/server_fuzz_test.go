package sim

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/session"
	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/transport"
)

// fuzzDevice returns a device with a gas meter, a fixed instant, and a
// session of the technician (LLS) that already associated, with the
// requests of a real client as seeds.
func fuzzDevice(t testing.TB) (*Device, [][]byte) {
	t.Helper()
	f, err := NewFleet(FleetConfig{Seed: 9, Size: 1, GasShare: 1, Start: srvTime, History: 2 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDevice(f.Meters()[0], DeviceConfig{Now: f.Now, Rand: bytes.NewReader(bytes.Repeat([]byte{1}, 1<<16))})
	if err != nil {
		t.Fatal(err)
	}
	c, err := session.NewClient(session.ClientConfig{Mechanism: apdu.MechanismLLS, Password: d.Keys().LLSPassword.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	sess, _ := d.Open(context.Background(), transport.Peer{Framing: transport.FramingWrapper, Client: 17, Logical: 1})
	var seeds [][]byte
	exchange := func(req []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, req)
		resp := sess.Serve(context.Background(), transport.Request{APDU: req})
		if _, _, err := c.Receive(resp); err != nil {
			t.Fatal(err)
		}
	}
	exchange(c.Open())
	daily := obis(t, meter.RoleDailyValues)
	clock := obis(t, meter.RoleClock)
	rg := apdu.Range{
		Restrict: apdu.CaptureObject{ClassID: dlms.ClassClock, Instance: clock, Attribute: 2},
		From:     axdr.DateTimeData(axdr.DateTimeOf(srvTime.AddDate(0, 0, -2))), To: axdr.DateTimeData(axdr.DateTimeOf(srvTime)),
	}
	exchange(c.Get(apdu.AttributeDescriptor{ClassID: dlms.ClassProfileGeneric, Instance: daily, Attribute: 2}, ptr(rg.Access())))
	exchange(c.Get(apdu.AttributeDescriptor{ClassID: dlms.ClassProfileGeneric, Instance: daily, Attribute: 2}, ptr(apdu.Entry{FromEntry: 1, ToEntry: 2, FromValue: 1, ToValue: 3}.Access())))
	exchange(c.Set(apdu.AttributeDescriptor{ClassID: dlms.ClassClock, Instance: clock, Attribute: 2}, axdr.DateTimeData(axdr.DateTimeOf(srvTime))))
	exchange(c.Get(apdu.AttributeDescriptor{ClassID: dlms.ClassAssociationLN, Instance: session.CurrentAssociation, Attribute: 2}, nil))
	return d, seeds
}

// FuzzDeviceRequest feeds any request to an associated technician's
// session: the device answers without panicking, and keeps answering.
func FuzzDeviceRequest(f *testing.F) {
	d, seeds := fuzzDevice(f)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Add([]byte{0xC0, 0x01, 0xC1, 0x00, 0x07, 0x01, 0x00, 0x63, 0x02, 0x00, 0xFF, 0x02, 0x01, 0x02, 0x02, 0x04, 0x06, 0x00, 0x00, 0x00, 0x01, 0x06, 0x00, 0x00, 0x00, 0x00, 0x12, 0x00, 0x09, 0x12, 0x00, 0x00})
	peer := transport.Peer{Framing: transport.FramingWrapper, Client: 17, Logical: 1}
	f.Fuzz(func(t *testing.T, req []byte) {
		sess, ok := d.Open(context.Background(), peer)
		if !ok {
			t.Fatal("device closed")
		}
		defer sess.Close()
		if resp := sess.Serve(context.Background(), transport.Request{Peer: peer, APDU: seeds[0]}); len(resp) == 0 || resp[0] != byte(apdu.TagAARE) {
			t.Fatalf("AARQ answered % x", resp)
		}
		sess.Serve(context.Background(), transport.Request{Peer: peer, APDU: req})
		if resp := sess.Serve(context.Background(), transport.Request{Peer: peer, APDU: seeds[len(seeds)-1]}); len(resp) == 0 {
			t.Fatal("no answer after the fuzzed request")
		}
	})
}
