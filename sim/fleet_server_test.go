package sim

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.uber.org/goleak"

	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/transport"
	"github.com/openhes/hes/transport/tcp"
)

// srvDial is how the head-end reaches the simulated meters of an inventory:
// TCP to the meter's address, in its framing, with the client SAP of the
// association.
func srvDial(ctx context.Context, m meter.Meter, association string) (meter.Link, error) {
	sap, ok := m.ClientSAP(association)
	if !ok {
		return nil, fmt.Errorf("meter %s has no association %q", m.ID, association)
	}
	if m.Link.Framing == meter.FramingWrapper {
		return tcp.DialWrapper(ctx, m.Link.Address, transport.WrapperConfig{Client: sap, Server: m.Addresses.Server})
	}
	return tcp.DialHDLC(ctx, m.Link.Address, transport.HDLCConfig{
		Client: uint8(sap), Logical: m.Addresses.Server, Physical: m.Addresses.Physical,
		AddressSize: m.Addresses.HDLCSize, FrameTimeout: time.Second,
	})
}

// TestInventoryRoundTrip imports the inventory of a running simulator into
// the head-end's store and reads every meter through the store's sessions.
func TestInventoryRoundTrip(t *testing.T) {
	for _, cfg := range []Config{{}, {MeterPorts: true}, {MeterPorts: true, Framing: meter.FramingHDLC}} {
		t.Run(fmt.Sprintf("ports %v %s", cfg.MeterPorts, cfg.Framing), func(t *testing.T) {
			f, err := NewFleet(FleetConfig{Seed: 5, Size: 4, GasShare: 0.5, Start: srvTime, History: 2 * 24 * time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			cfg.Fleet = f
			s := StartTest(t, cfg)
			var buf bytes.Buffer
			if err := s.WriteInventory(&buf); err != nil {
				t.Fatal(err)
			}
			db, err := bolt.Open(filepath.Join(t.TempDir(), "hes.db"), 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			sealer, err := meter.NewKeySealer(meter.NewSecret(bytes.Repeat([]byte{9}, 32)))
			if err != nil {
				t.Fatal(err)
			}
			store, err := meter.OpenStore(db, sealer, nil)
			if err != nil {
				t.Fatal(err)
			}
			if n, err := store.ImportInventory(&buf); err != nil || n != 4 {
				t.Fatalf("imported %d: %v", n, err)
			}
			sessions, err := meter.NewSessions(store, meter.SessionsConfig{Dial: srvDial, SystemTitle: srvClientTitle})
			if err != nil {
				t.Fatal(err)
			}
			ctx := srvCtx(t)
			for _, d := range s.Devices() {
				id := d.Meter().ID()
				m, err := store.Get(id)
				if err != nil {
					t.Fatal(err)
				}
				st := d.Meter().Identity().SystemTitle
				if !bytes.Equal(m.SystemTitle, st[:]) || m.Addresses.Physical != d.Meter().Identity().PhysicalAddress {
					t.Errorf("stored %+v", m)
				}
				if k, err := store.Keys(id); err != nil || !k.EK.Equal(d.Keys().EK) || !k.LLSPassword.Equal(d.Keys().LLSPassword) {
					t.Errorf("stored keys of %s: %v", id, err)
				}
				err = sessions.Do(ctx, id, 5*time.Second, func(ctx context.Context, sess *meter.Session) error {
					o, err := sess.Object(meter.RoleImportTotal)
					if err != nil {
						return err
					}
					q, err := sess.ReadRegister(ctx, o.OBIS)
					if want := d.Meter().Registers(f.Now()).ImportTotal(); err == nil && q.Value != want {
						return fmt.Errorf("import %v, want %d Wh", q, want)
					}
					return err
				})
				if err != nil {
					t.Errorf("session with %s: %v", id, err)
				}
			}
		})
	}
}

// TestFleet2000 serves 2,000 meters on one port and reads a few of them at
// once, each through its physical address.
func TestFleet2000(t *testing.T) {
	if testing.Short() {
		t.Skip("a fleet of 2,000 meters")
	}
	f, err := NewFleet(FleetConfig{Seed: 2000, Size: 2000, GasShare: 0.3, PVShare: 0.2, Start: srvTime, History: 2 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s := StartTest(t, Config{Fleet: f})
	inv := s.Inventory()
	if len(inv.Meters) != 2000 || inv.Meters[1999].Address != s.Addr() {
		t.Fatalf("inventory of %d meters", len(inv.Meters))
	}
	ctx := srvCtx(t)
	var wg sync.WaitGroup
	for _, i := range []int{0, 1, 499, 1000, 1500, 1998, 1999} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := s.Devices()[i]
			link, err := srvHDLC(t, s.Addr(), d, 1, nil)
			if err != nil {
				t.Error(err)
				return
			}
			c, err := meter.Connect(ctx, link, srvManagement(d))
			if err != nil {
				link.Close()
				t.Error(err)
				return
			}
			defer c.Close(ctx)
			name, err := c.ReadDataString(ctx, obis(t, meter.RoleEAN))
			if err != nil || name != d.Meter().Identity().EAN {
				t.Errorf("meter %d: EAN %q, %v", i, name, err)
			}
		}()
	}
	wg.Wait()
}

// TestCloseEndsEverything starts every part of a Server, uses it, closes
// it and checks that no goroutine of it is left.
func TestCloseEndsEverything(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	sink := newPushSink(t)
	f, err := NewFleet(FleetConfig{Seed: 8, Size: 3, GasShare: 1, Start: srvTime, History: 24 * time.Hour, Speed: 1})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(context.Background(), Config{Fleet: f, MeterPorts: true, Listen: "127.0.0.1:0", Push: PushConfig{Address: sink.ln.Addr().String()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ServeOptical("SIM000002"); err != nil {
		t.Logf("no optical port: %v", err)
	}
	d := srvDevice(t, s, "SIM000001")
	link, err := srvHDLC(t, s.Addr(), d, 16, nil)
	if err != nil {
		t.Fatal(err)
	}
	wl, err := srvWrapper(t, s, d, 16, 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := meter.Connect(srvCtx(t), wl, meter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f.Advance(24 * time.Hour) // the pushes of the next midnight
	for range 3 {
		sink.next(t)
	}
	// Close with a link and an association still open.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	link.Close()
	c.Close(context.Background())
	sink.ln.Close()
}
