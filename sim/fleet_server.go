package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/transport"
	"github.com/openhes/hes/transport/tcp"
)

// Config configures a Server.
type Config struct {
	// Fleet is the fleet to serve. When nil, Start builds one from
	// FleetConfig.
	Fleet       *Fleet
	FleetConfig FleetConfig

	// Profile is the meter profile the meters serve; the zero Profile
	// means DefaultProfile.
	Profile meter.Profile

	// Listen is the TCP address of the port that every meter shares: HDLC
	// only, each meter at its physical address (the lower HDLC address of
	// its Identity), the profile's server address as upper address.
	// "127.0.0.1:0" picks a free port. When both Listen and MeterPorts are
	// left empty, Listen is "127.0.0.1:0".
	Listen string
	// MeterPorts gives every meter a TCP port of its own on MeterHost
	// (127.0.0.1 when empty), at BasePort plus its index (free ports when
	// BasePort is 0). Such a port answers both framings: the wrapper with
	// the profile's server address as wPort, and HDLC at the meter's
	// physical address.
	MeterPorts bool
	MeterHost  string
	BasePort   int
	// Framing is what the inventory says of the meters' own ports:
	// meter.FramingWrapper (the default) or meter.FramingHDLC. The shared
	// port is always HDLC.
	Framing meter.Framing

	// MaxPDU is the server-max-receive-pdu-size of the meters; 0 means
	// session.DefaultServerMaxPDU.
	MaxPDU uint16
	// Inactivity drops an HDLC link, and closes a connection, on which the
	// client sent nothing for that long; 0 means two minutes, a negative
	// value never.
	Inactivity time.Duration
	// Rand is the source of the HLS challenges, safe for concurrent use;
	// crypto/rand when nil.
	Rand io.Reader
	// CounterStart is the first invocation counter of every meter; 0
	// derives it from the real time, sixteen values a second since
	// 2024, so that a simulator restarted with the same seed does not
	// reuse counter values that a head-end saw.
	CounterStart uint32

	// Push configures the daily push of the meters; the zero value pushes
	// nothing.
	Push PushConfig

	// ConnError, if set, is told why a connection ended abnormally.
	ConnError func(remote net.Addr, err error)
}

// Server serves a fleet of simulated meters over TCP: on a port they share,
// and on ports of their own, with their daily pushes and optionally an
// optical port on a pseudo-terminal. It is the simulator's counterpart of
// net/http/httptest.Server: Start it, point the head-end at Addr or at
// its Inventory, drive the fleet's virtual time and meters through Fleet,
// and Close it.
type Server struct {
	cfg     Config
	fleet   *Fleet
	devices []*Device
	byID    map[string]*Device
	index   map[*Device]int
	byPhys  map[uint16]*Device

	shared *tcp.Server
	ports  []*tcp.Server // by meter index, when MeterPorts
	pusher *pusher

	mu       sync.Mutex
	opticals map[*Optical]struct{}
	closed   bool
}

// counterEpoch is the origin of the invocation counters derived from the
// real time.
var counterEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Start builds the devices of the fleet and starts serving them. The
// context bounds nothing but the start: Close stops the Server.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f := cfg.Fleet
	if f == nil {
		var err error
		if f, err = NewFleet(cfg.FleetConfig); err != nil {
			return nil, err
		}
	}
	if cfg.Profile.Name == "" {
		p, err := meter.LookupProfile(DefaultProfile)
		if err != nil {
			return nil, err
		}
		cfg.Profile = p
	}
	switch cfg.Framing {
	case "":
		cfg.Framing = meter.FramingWrapper
	case meter.FramingWrapper, meter.FramingHDLC:
	default:
		return nil, fmt.Errorf("sim: unknown framing %q", cfg.Framing)
	}
	if cfg.Listen == "" && !cfg.MeterPorts {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.MeterHost == "" {
		cfg.MeterHost = "127.0.0.1"
	}
	if cfg.Inactivity == 0 {
		cfg.Inactivity = 2 * time.Minute
	}
	if cfg.CounterStart == 0 {
		cfg.CounterStart = uint32(max(1, time.Since(counterEpoch)/time.Second*16))
	}
	s := &Server{
		cfg: cfg, fleet: f,
		byID: map[string]*Device{}, index: map[*Device]int{}, byPhys: map[uint16]*Device{},
		opticals: map[*Optical]struct{}{},
	}
	dcfg := &DeviceConfig{
		Profile: cfg.Profile, Now: f.Clock().Now, Rand: cfg.Rand, MaxPDU: cfg.MaxPDU,
		CounterStart: cfg.CounterStart, PushDestination: cfg.Push.Address,
	}
	if cfg.Push.Address != "" {
		s.pusher = newPusher(s, cfg.Push)
		dcfg.Push = s.pusher.sendNow
	}
	cats := map[uint8]*catalog{}
	for _, m := range f.Meters() {
		ch := uint8(1)
		if g, ok := m.Gas(); ok {
			ch = uint8(g.Channel)
		}
		cat := cats[ch]
		if cat == nil {
			var err error
			if cat, err = newCatalog(cfg.Profile, ch); err != nil {
				return nil, err
			}
			cats[ch] = cat
		}
		d := newDevice(m, cat, dcfg)
		s.index[d] = len(s.devices)
		s.devices = append(s.devices, d)
		s.byID[m.ID()] = d
		if pa := m.Identity().PhysicalAddress; s.byPhys[pa] == nil {
			s.byPhys[pa] = d
		}
	}
	if err := s.listen(); err != nil {
		s.Close()
		return nil, err
	}
	if s.pusher != nil {
		s.pusher.start()
	}
	return s, nil
}

// StartTest starts a Server for a test and closes it when the test ends.
// It fails the test when the Server does not start.
func StartTest(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("sim: start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// listen opens the shared port and the meters' own ports.
func (s *Server) listen() error {
	base := transport.ServeOptions{}
	if s.cfg.Inactivity > 0 {
		base.Inactivity, base.IdleTimeout = s.cfg.Inactivity, s.cfg.Inactivity
	}
	if s.cfg.Listen != "" {
		sh, err := tcp.Listen(s.cfg.Listen, handlerFunc(s.open), tcp.Options{
			ConnOptions: func(net.Addr) transport.ServeOptions {
				return newWireFaults(nil, s.deviceOf).options(base)
			},
			ConnError: s.cfg.ConnError,
		})
		if err != nil {
			return fmt.Errorf("sim: %w", err)
		}
		s.shared = sh
	}
	if !s.cfg.MeterPorts {
		return nil
	}
	s.ports = make([]*tcp.Server, len(s.devices))
	for i, d := range s.devices {
		port := 0
		if s.cfg.BasePort != 0 {
			port = s.cfg.BasePort + i
		}
		addr := net.JoinHostPort(s.cfg.MeterHost, strconv.Itoa(port))
		srv, err := tcp.Listen(addr, d, tcp.Options{
			ConnOptions: func(net.Addr) transport.ServeOptions { return newWireFaults(d, nil).options(base) },
			ConnError:   s.cfg.ConnError,
		})
		if err != nil {
			return fmt.Errorf("sim: meter %s: %w", d.m.ID(), err)
		}
		s.ports[i] = srv
	}
	return nil
}

// handlerFunc makes a function a transport.Handler.
type handlerFunc func(ctx context.Context, p transport.Peer) (transport.Session, bool)

func (h handlerFunc) Open(ctx context.Context, p transport.Peer) (transport.Session, bool) {
	return h(ctx, p)
}

// open routes a link on the shared port to the meter at its physical
// address.
func (s *Server) open(ctx context.Context, p transport.Peer) (transport.Session, bool) {
	d := s.deviceOf(p)
	if d == nil {
		return nil, false
	}
	return d.Open(ctx, p)
}

// deviceOf returns the meter that an HDLC peer on the shared port
// addresses.
func (s *Server) deviceOf(p transport.Peer) *Device {
	if p.Framing != transport.FramingHDLC {
		return nil
	}
	return s.byPhys[p.Physical]
}

// Addr returns the address of the shared port, "" without one.
func (s *Server) Addr() string {
	if s.shared == nil {
		return ""
	}
	return s.shared.Addr().String()
}

// MeterAddr returns the address of the port of meter id, and false when
// the meters have no ports of their own or id is unknown.
func (s *Server) MeterAddr(id string) (string, bool) {
	d := s.byID[id]
	if d == nil || s.ports == nil || s.ports[s.index[d]] == nil {
		return "", false
	}
	return s.ports[s.index[d]].Addr().String(), true
}

// Fleet returns the fleet: its virtual clock (Advance), its meters (Press,
// SetConsumption, ApplyFaults, Status).
func (s *Server) Fleet() *Fleet { return s.fleet }

// Profile returns the meter profile that the meters serve.
func (s *Server) Profile() meter.Profile { return s.cfg.Profile }

// Device returns the device of meter id.
func (s *Server) Device(id string) (*Device, error) {
	d := s.byID[id]
	if d == nil {
		return nil, fmt.Errorf("sim: %w: %q", ErrUnknownMeter, id)
	}
	return d, nil
}

// Devices returns the devices, in the order of the fleet's meters.
func (s *Server) Devices() []*Device { return append([]*Device(nil), s.devices...) }

// Inventory lists the meters as the head-end imports them
// (meter.Store.ImportInventory): their address (their own port when they
// have one, else the shared port with HDLC), framing, physical address,
// system title, current keys and gas meter.
func (s *Server) Inventory() meter.Inventory {
	framing := meter.FramingHDLC
	if s.ports != nil {
		framing = s.cfg.Framing
	}
	addrs := make(map[*Meter]string, len(s.devices))
	for i, d := range s.devices {
		switch {
		case s.ports != nil && s.ports[i] != nil:
			addrs[d.m] = s.ports[i].Addr().String()
		case s.shared != nil:
			addrs[d.m] = s.shared.Addr().String()
		}
	}
	inv := s.fleet.Inventory(InventoryOptions{
		Profile: s.cfg.Profile.Name,
		Link:    meter.LinkTCP,
		Framing: framing,
		Address: func(m *Meter) string { return addrs[m] },
	})
	for i := range inv.Meters {
		if d := s.byID[inv.Meters[i].ID]; d != nil {
			inv.Meters[i].Keys = meter.NewInventoryKeys(d.Keys())
		}
	}
	return inv
}

// WriteInventory writes the Inventory as JSON (meter.WriteInventory).
func (s *Server) WriteInventory(w io.Writer) error {
	return meter.WriteInventory(w, s.Inventory())
}

// Close stops serving: the ports, the pushes and the optical ports. It
// returns when every goroutine of the Server has ended.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	opticals := s.opticals
	s.opticals = nil
	s.mu.Unlock()
	var errs []error
	if s.pusher != nil {
		s.pusher.stop()
	}
	for o := range opticals {
		errs = append(errs, o.Close())
	}
	if s.shared != nil {
		errs = append(errs, s.shared.Close())
	}
	for _, p := range s.ports {
		if p != nil {
			errs = append(errs, p.Close())
		}
	}
	return errors.Join(errs...)
}
