package sim

import (
	"cmp"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/dlms/session"
	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/transport"
	"github.com/openhes/hes/transport/tcp"
)

// The helpers of the tests of the server side: a small fleet on a frozen
// virtual clock, served on loopback, and the head-end's own client (the
// meter package over the transport links) to talk to it.

// srvTime is the virtual instant the test fleets start at: a Tuesday
// morning in winter time.
var srvTime = time.Date(2026, 3, 10, 9, 30, 0, 0, Brussels)

// srvClientTitle is the system title of the test head-end.
var srvClientTitle = []byte("HESCLI01")

// srvStart serves a fleet of size meters, all with a gas meter, three days
// of history and a frozen clock, with cfg's ports.
func srvStart(t testing.TB, size int, cfg Config) *Server {
	t.Helper()
	if cfg.Fleet == nil {
		f, err := NewFleet(FleetConfig{Seed: 7, Size: size, GasShare: 1, Start: srvTime, History: 3 * 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Fleet = f
	}
	return StartTest(t, cfg)
}

// srvCtx returns a context that ends with the test, or after 10 s.
func srvCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// srvAssoc is one of the profile's associations, as a test client opens it.
type srvAssoc struct {
	name string
	sap  uint16
	cfg  func(d *Device) meter.Config
}

var srvAssocs = []srvAssoc{
	{"public", 16, func(*Device) meter.Config { return meter.Config{} }},
	{"technician", 17, func(d *Device) meter.Config {
		return meter.Config{Auth: meter.MechanismLLS, Password: d.Keys().LLSPassword}
	}},
	{"management", 1, srvManagement},
}

// srvManagement is the configuration of the management client of d: HLS-GMAC,
// authenticated and encrypted, with the device's current keys.
func srvManagement(d *Device) meter.Config {
	k := d.Keys()
	st := d.Meter().Identity().SystemTitle
	return meter.Config{
		Auth:              meter.MechanismHLSGMAC,
		Policy:            security.PolicyAuthenticatedEncrypted,
		Keys:              k.SecurityKeys(),
		SystemTitle:       srvClientTitle,
		ServerSystemTitle: st[:],
		Counter:           security.NewMemoryCounter(d.InvocationCounter() + 1),
	}
}

// srvHDLC dials the shared port of s (or addr when not empty) and connects
// an HDLC link to device d for client SAP sap.
func srvHDLC(t testing.TB, addr string, d *Device, sap uint16, tune func(*transport.HDLCConfig)) (*transport.HDLCLink, error) {
	t.Helper()
	cfg := transport.HDLCConfig{
		Client: uint8(sap), Logical: 1, Physical: d.Meter().Identity().PhysicalAddress,
		FrameTimeout: time.Second,
	}
	if tune != nil {
		tune(&cfg)
	}
	return tcp.DialHDLC(srvCtx(t), addr, cfg)
}

// srvWrapper dials the port of device d with the wrapper; the link waits
// timeout for an answer (0: 2 s).
func srvWrapper(t testing.TB, s *Server, d *Device, sap uint16, timeout time.Duration) (*transport.WrapperLink, error) {
	t.Helper()
	addr, ok := s.MeterAddr(d.Meter().ID())
	if !ok {
		t.Fatalf("meter %s has no port", d.Meter().ID())
	}
	return tcp.DialWrapper(srvCtx(t), addr, transport.WrapperConfig{Client: sap, Server: 1, Timeout: cmp.Or(timeout, 2*time.Second)})
}

// srvConnect opens an association over link and closes it with the test.
func srvConnect(t testing.TB, link meter.Link, cfg meter.Config) *meter.Client {
	t.Helper()
	c, err := meter.Connect(srvCtx(t), link, cfg)
	if err != nil {
		link.Close()
		t.Fatalf("associate: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// srvDevice returns the device of meter id.
func srvDevice(t testing.TB, s *Server, id string) *Device {
	t.Helper()
	d, err := s.Device(id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDeviceOpenAddresses(t *testing.T) {
	s := srvStart(t, 2, Config{})
	d := srvDevice(t, s, "SIM000001")
	pa := d.Meter().Identity().PhysicalAddress
	for _, tc := range []struct {
		peer transport.Peer
		want bool
	}{
		{transport.Peer{Framing: transport.FramingHDLC, Client: 16, Logical: 1, Physical: pa, AddressSize: 4}, true},
		{transport.Peer{Framing: transport.FramingHDLC, Client: 16, Logical: 1, AddressSize: 1}, true},
		{transport.Peer{Framing: transport.FramingHDLC, Client: 16, Logical: 1, Physical: pa + 1, AddressSize: 4}, false},
		{transport.Peer{Framing: transport.FramingHDLC, Client: 16, Logical: 2, Physical: pa, AddressSize: 4}, false},
		{transport.Peer{Framing: transport.FramingWrapper, Client: 1, Logical: 1}, true},
		{transport.Peer{Framing: transport.FramingWrapper, Client: 1, Logical: 17}, false},
	} {
		sess, ok := d.Open(context.Background(), tc.peer)
		if ok != tc.want {
			t.Errorf("Open(%v) = %v, want %v", tc.peer, ok, tc.want)
		}
		if ok {
			sess.Close()
		}
	}
	// On the shared port, the physical address picks the meter.
	other := srvDevice(t, s, "SIM000002")
	if got := s.deviceOf(transport.Peer{Framing: transport.FramingHDLC, Logical: 1, Physical: other.Meter().Identity().PhysicalAddress}); got != other {
		t.Errorf("deviceOf the second address = %v", got)
	}
	if got := s.deviceOf(transport.Peer{Framing: transport.FramingWrapper, Logical: 1}); got != nil {
		t.Errorf("a wrapper peer on the shared port found %v", got.Meter().ID())
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := Start(context.Background(), Config{}); err == nil {
		t.Error("Start without a fleet or a start time succeeded")
	}
	f, err := NewFleet(FleetConfig{Seed: 1, Size: 1, Start: srvTime})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(context.Background(), Config{Fleet: f, Framing: "serial"}); err == nil {
		t.Error("Start with framing serial succeeded")
	}
	if _, err := Start(context.Background(), Config{Fleet: f, Listen: "127.0.0.1:notaport"}); err == nil {
		t.Error("Start on a bad address succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Start(ctx, Config{Fleet: f}); !errors.Is(err, context.Canceled) {
		t.Errorf("Start with a cancelled context: %v", err)
	}
	s := StartTest(t, Config{Fleet: f})
	if _, err := s.Device("SIM000009"); !errors.Is(err, ErrUnknownMeter) {
		t.Errorf("Device(unknown): %v", err)
	}
	if _, ok := s.MeterAddr("SIM000001"); ok {
		t.Error("MeterAddr without meter ports")
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// srvExpectedRoles are the roles each association of the default profile
// sees in its object list (the current association included).
var srvExpectedRoles = map[string]int{
	"public":     4,  // clock, logical device name, invocation counter, current association
	"technician": 15, // the clock, names, registers, profiles and gas volume it reads
	"management": 27, // the 25 objects of the profile and the event log with its event code
}

func TestEveryObjectEveryAssociation(t *testing.T) {
	s := srvStart(t, 1, Config{Listen: "127.0.0.1:0", MeterPorts: true})
	d := srvDevice(t, s, "SIM000001")
	ctx := srvCtx(t)
	for _, framing := range []transport.Framing{transport.FramingHDLC, transport.FramingWrapper} {
		for _, a := range srvAssocs {
			t.Run(framing.String()+"/"+a.name, func(t *testing.T) {
				var link meter.Link
				var err error
				if framing == transport.FramingHDLC {
					link, err = srvHDLC(t, s.Addr(), d, a.sap, nil)
				} else {
					link, err = srvWrapper(t, s, d, a.sap, 0)
				}
				if err != nil {
					t.Fatal(err)
				}
				c := srvConnect(t, link, a.cfg(d))
				list, err := c.ReadObjectList(ctx, session.CurrentAssociation)
				if err != nil {
					t.Fatal(err)
				}
				if len(list) != srvExpectedRoles[a.name] {
					t.Errorf("object list of %d objects, want %d", len(list), srvExpectedRoles[a.name])
				}
				seen := map[dlms.OBIS]bool{}
				reads := 0
				for _, o := range list {
					seen[o.OBIS] = true
					for _, ar := range o.Attributes {
						if !ar.Mode.CanRead() {
							continue
						}
						if _, err := c.Get(ctx, o.Class, o.OBIS, ar.Attribute); err != nil {
							t.Errorf("get %v %v attr %d: %v", o.Class, o.OBIS, ar.Attribute, err)
						}
						reads++
					}
				}
				t.Logf("%d attributes read", reads)
				// What the association does not see is out of its scope.
				for _, o := range s.Profile().Objects() {
					if seen[o.OBIS] {
						continue
					}
					_, err := c.Get(ctx, o.Class, o.OBIS, 2)
					if !errors.Is(err, dlms.DataAccessScopeOfAccessViolated) {
						t.Errorf("get %v attr 2, not in the object list: %v", o.OBIS, err)
					}
				}
			})
		}
	}
}
