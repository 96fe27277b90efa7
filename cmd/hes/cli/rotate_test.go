package cli

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/sim"
	"github.com/openhes/hes/transport"
	"github.com/openhes/hes/transport/tcp"
)

// associateWith opens and releases a management association with the
// meter at addr (its own port, wrapper) under keys, as a client other than
// the head-end would, and returns why it failed.
func associateWith(t *testing.T, addr string, keys meter.Keys) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pub, err := tcp.DialWrapper(ctx, addr, transport.WrapperConfig{Client: sapPublic, Server: 1})
	if err != nil {
		t.Fatal(err)
	}
	ic, err := meter.ReadInvocationCounter(ctx, pub)
	if err != nil {
		t.Fatal(err)
	}
	link, err := tcp.DialWrapper(ctx, addr, transport.WrapperConfig{Client: sapManagement, Server: 1})
	if err != nil {
		t.Fatal(err)
	}
	c, err := meter.Connect(ctx, link, meter.Config{
		Auth: meter.MechanismHLSGMAC, Policy: security.PolicyAuthenticatedEncrypted, Keys: keys.SecurityKeys(),
		SystemTitle: []byte("TESTTOOL"), Counter: security.NewMemoryCounter(ic + 1),
	})
	if err != nil {
		link.Close()
		return err
	}
	return c.Close(ctx)
}

// fleetKeys returns the keys of meter id in the fleet's inventory.
func fleetKeys(t *testing.T, s *sim.Server, id string) meter.Keys {
	t.Helper()
	for _, m := range s.Inventory().Meters {
		if m.ID == id {
			k, err := m.Keys.Parse()
			if err != nil {
				t.Fatal(err)
			}
			return k
		}
	}
	t.Fatalf("no meter %s in the inventory", id)
	return meter.Keys{}
}

// storedKeys returns the current keys of meter id and whether it has
// pending keys.
func storedKeys(t *testing.T, store, id string) (cur meter.Keys, pending bool) {
	t.Helper()
	withMeterStore(t, store, func(s *meter.Store) {
		var err error
		if cur, err = s.Keys(id); err != nil {
			t.Fatal(err)
		}
		st, err := s.KeyStatus(id)
		if err != nil {
			t.Fatal(err)
		}
		pending = st.Pending
	})
	return cur, pending
}

// sameKeys reports whether a and b hold the same EK, AK, KEK and LLS
// password.
func sameKeys(a, b meter.Keys) bool {
	return a.EK.Equal(b.EK) && a.AK.Equal(b.AK) && a.KEK.Equal(b.KEK) && a.LLSPassword.Equal(b.LLSPassword)
}

func TestKeysRotate(t *testing.T) {
	store := fleetStore(t)
	s := startFleet(t, 3, nil)
	importFleet(t, store, s)
	var o outputs

	old := fleetKeys(t, s, "SIM000001")
	out := o.must(t, store, "keys", "rotate", "SIM000001")
	if out != "keys of meter SIM000001 rotated (command 1): 3 keys transferred and verified\n" {
		t.Errorf("rotate: %q", out)
	}
	cur, pending := storedKeys(t, store, "SIM000001")
	dev, err := s.Device("SIM000001")
	if err != nil {
		t.Fatal(err)
	}
	if !sameKeys(cur, dev.Keys()) || pending {
		t.Error("the store's keys are not the meter's")
	}
	if cur.EK.Equal(old.EK) || cur.AK.Equal(old.AK) || cur.KEK.Equal(old.KEK) || !cur.LLSPassword.Equal(old.LLSPassword) {
		t.Error("EK, AK and KEK should be new, the LLS password kept")
	}
	addr, _ := s.MeterAddr("SIM000001")
	if err := associateWith(t, addr, old); err == nil {
		t.Error("the meter still takes its old keys")
	} else if r := meter.ReasonOf(err); r != meter.ReasonAuthentication && r != meter.ReasonDeciphering && r != meter.ReasonAssociation {
		t.Errorf("old keys: %v (%s)", err, r)
	}
	if err := associateWith(t, addr, cur); err != nil {
		t.Errorf("new keys: %v", err)
	}
	if rep := pollJSON(t, store, "--meters", "SIM000001"); rep.Read != 1 {
		t.Errorf("poll with the new keys: %+v", rep)
	}

	var rep rotateReport
	if err := json.Unmarshal([]byte(o.must(t, store, "keys", "rotate", "SIM000002", "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Rotated || rep.Keys != "new" || rep.Command.State != meter.StateDone || rep.Command.Kind != meter.CmdKeyChange || rep.Command.Origin != "agent:agent-1" {
		t.Errorf("rotate --json: %+v", rep)
	}
	o.noKeys(t, old, cur, dev.Keys())
}

// TestKeysRotateFailure rotates the keys of a meter that refuses every
// association: the key change is given up, and the old keys stay in use.
func TestKeysRotateFailure(t *testing.T) {
	store := fleetStore(t)
	s := startFleet(t, 1, nil)
	importFleet(t, store, s)
	old := fleetKeys(t, s, "SIM000001")
	m := s.Fleet().Meters()[0]
	m.SetFaults(sim.Faults{RefuseAssociation: true})

	_, stderr, status := hes(t, store, "keys", "rotate", "SIM000001", "--attempts", "2", "--backoff", "50ms")
	if status != ExitFailure {
		t.Errorf("status %d, want %d", status, ExitFailure)
	}
	oneLineError(t, stderr, "failed (association_refused)")
	oneLineError(t, stderr, "the meter keeps its keys, and so does the store")
	cur, pending := storedKeys(t, store, "SIM000001")
	if !sameKeys(cur, old) || pending {
		t.Errorf("the store changed keys (pending %v)", pending)
	}
	dev, _ := s.Device("SIM000001")
	if !sameKeys(dev.Keys(), old) {
		t.Error("the meter changed keys")
	}
	m.SetFaults(sim.Faults{})
	if rep := pollJSON(t, store, "--meters", "SIM000001"); rep.Read != 1 {
		t.Errorf("poll with the old keys: %+v", rep)
	}
}

// TestKeysRotateRefused checks that a rotation never overwrites keys that
// an earlier key change staged.
func TestKeysRotateRefused(t *testing.T) {
	store := fleetStore(t)
	s := startFleet(t, 1, nil)
	importFleet(t, store, s)
	var id uint64
	withHeadEnd(t, store, func(h *headEnd) {
		c, err := stageKeyChange(h, "SIM000001", "test", 1)
		if err != nil {
			t.Fatal(err)
		}
		id = c.ID
	})
	refusedHes(t, store, "key change under way, command 1", "keys", "rotate", "SIM000001")
	mustHes(t, store, "cmd", "cancel", "1")
	refusedHes(t, store, "hes cmd retry 1 checks whether the meter uses them", "keys", "rotate", "SIM000001")
	refusedHes(t, store, "unknown meter", "keys", "rotate", "SIM000009")
	if id != 1 {
		t.Errorf("command %d", id)
	}
}
