package cli

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openhes/hes/meter"
)

// commissionJSON runs hes commission --json and decodes its report; the
// command may fail.
func commissionJSON(t *testing.T, o *outputs, store string, args ...string) (commissionReport, string, int) {
	t.Helper()
	out, stderr, status := o.hes(t, store, append([]string{"commission", "--json"}, args...)...)
	var rep commissionReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("commission --json: %v in %q (stderr %q)", err, out, stderr)
	}
	return rep, stderr, status
}

var commissionSteps = []string{"associate", "identity", "clock", "breaker", "register", "transfer keys", "verify keys", "store keys"}

func stepNames(r commissionReport) []string {
	var names []string
	for _, s := range r.Steps {
		names = append(names, s.Step)
	}
	return names
}

// TestCommission commissions a simulated meter that has its factory keys
// and a clock 90 s ahead: the meter is registered with its EAN, its clock
// set, its own keys installed, verified and stored, and the head-end reads
// it with them.
func TestCommission(t *testing.T) {
	store := fleetStore(t)
	s := startFleet(t, 2, nil)
	f := s.Fleet()
	var o outputs
	factory := fleetKeys(t, s, "SIM000001")
	factoryFile := keysFile(t, factory)
	m := f.Meters()[0]
	m.SetClockOffset(f.Now(), 90*time.Second)
	addr, _ := s.MeterAddr("SIM000001")

	rep, stderr, status := commissionJSON(t, &o, store, "--id", "MTR00001", "--tcp", addr, "--factory-keys-file", factoryFile)
	if status != ExitOK {
		t.Fatalf("commission: status %d, %s\n%+v", status, stderr, rep)
	}
	if !rep.Commissioned || rep.FailedStep != "" || !slices.Equal(stepNames(rep), commissionSteps) {
		t.Errorf("report %+v", rep)
	}
	for _, st := range rep.Steps {
		if !st.OK || st.Result == "" {
			t.Errorf("step %+v", st)
		}
	}
	ident := m.Identity()
	if rep.EAN != ident.EAN || !slices.Equal(rep.SystemTitle, ident.SystemTitle[:]) || rep.Registered != "added" ||
		rep.Profile != defaultMeterProfile || rep.LogicalDeviceName == "" {
		t.Errorf("identity in %+v", rep)
	}
	if !rep.ClockSet || rep.ClockDrift < 85 || rep.ClockDrift > 95 {
		t.Errorf("clock: drift %v s, set %v", rep.ClockDrift, rep.ClockSet)
	}
	if off := m.ClockOffset(f.Now()); off.Abs() > 2*time.Second {
		t.Errorf("the meter's clock is %s off after the commissioning", off)
	}
	if rep.Breaker == nil || rep.Breaker.State != "connected" || !rep.Breaker.Output || rep.InvocationCounter == nil {
		t.Errorf("breaker %+v, invocation counter %v", rep.Breaker, rep.InvocationCounter)
	}

	cur, pending := storedKeys(t, store, "MTR00001")
	dev, _ := s.Device("SIM000001")
	if !sameKeys(cur, dev.Keys()) || pending {
		t.Error("the store's keys are not the meter's")
	}
	if cur.EK.Equal(factory.EK) || cur.AK.Equal(factory.AK) || cur.KEK.Equal(factory.KEK) {
		t.Error("the meter kept a factory key")
	}
	if err := associateWith(t, addr, factory); err == nil {
		t.Error("the meter still takes its factory keys")
	}
	withMeterStore(t, store, func(st *meter.Store) {
		got, err := st.Get("MTR00001")
		if err != nil {
			t.Fatal(err)
		}
		if got.EAN != ident.EAN || got.Link.Kind != meter.LinkTCP || got.Link.Address != addr || got.Link.Framing != meter.FramingWrapper {
			t.Errorf("registered %+v", got)
		}
	})
	if rep := pollJSON(t, store, "--meters", "MTR00001"); rep.Read != 1 {
		t.Errorf("poll of the commissioned meter: %+v", rep)
	}

	// The factory keys no longer open the meter: commissioning it again
	// stops at the association, and changes nothing.
	rep, stderr, status = commissionJSON(t, &o, store, "--id", "MTR00001", "--tcp", addr, "--factory-keys-file", factoryFile)
	if status != ExitFailure || rep.Commissioned || rep.FailedStep != "associate" {
		t.Errorf("second commissioning: status %d, %+v", status, rep)
	}
	oneLineError(t, stderr, "commission MTR00001: step associate failed")
	if again, _ := storedKeys(t, store, "MTR00001"); !sameKeys(again, cur) {
		t.Error("a failed commissioning changed the keys")
	}
	o.noKeys(t, factory, cur)
}

// TestCommissionRegistered commissions a meter imported with its factory
// keys: the registry entry is updated, and the table tells each step.
func TestCommissionRegistered(t *testing.T) {
	store := fleetStore(t)
	s := startFleet(t, 1, nil)
	importFleet(t, store, s)
	factory := fleetKeys(t, s, "SIM000001")
	addr, _ := s.MeterAddr("SIM000001")
	var o outputs
	out := o.must(t, store, "commission", "--id", "SIM000001", "--tcp", addr, "--factory-keys-file", keysFile(t, factory))
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "STEP ") || !strings.Contains(out, "\nregister       updated, profile be-elec-default") ||
		!strings.HasSuffix(out, "meter SIM000001 commissioned: EAN "+s.Fleet().Meters()[0].Identity().EAN+", its own keys installed and verified\n") {
		t.Errorf("commission:\n%s", out)
	}
	for _, step := range commissionSteps {
		if !strings.Contains(out, "\n"+step+" ") {
			t.Errorf("the table lacks step %s", step)
		}
	}
	cur, _ := storedKeys(t, store, "SIM000001")
	dev, _ := s.Device("SIM000001")
	if !sameKeys(cur, dev.Keys()) || cur.EK.Equal(factory.EK) {
		t.Error("the store's keys are not the meter's new keys")
	}
	o.noKeys(t, factory, cur)
}

// TestCommissionFailures stops at the step that fails, with the meter and
// the store as they were.
func TestCommissionFailures(t *testing.T) {
	store := fleetStore(t)
	s := startFleet(t, 2, nil)
	factory := fleetKeys(t, s, "SIM000002")
	addr, _ := s.MeterAddr("SIM000002")
	var o outputs

	// A wrong EAN: refused at the identity step, nothing registered.
	rep, stderr, status := commissionJSON(t, &o, store, "--id", "MTR2", "--ean", eanM1, "--tcp", addr, "--factory-keys-file", keysFile(t, factory))
	if status != ExitFailure || rep.FailedStep != "identity" || len(rep.Steps) != 2 {
		t.Errorf("wrong EAN: status %d, %+v", status, rep)
	}
	oneLineError(t, stderr, "step identity failed: the meter reports EAN "+s.Fleet().Meters()[1].Identity().EAN+", not "+eanM1)
	o.refused(t, store, "unknown meter", "meters", "show", "MTR2")

	// Another meter's keys: the association fails.
	rep, stderr, status = commissionJSON(t, &o, store, "--id", "MTR2", "--tcp", addr, "--factory-keys-file", keysFile(t, fleetKeys(t, s, "SIM000001")))
	if status != ExitFailure || rep.FailedStep != "associate" {
		t.Errorf("wrong keys: status %d, %+v", status, rep)
	}
	oneLineError(t, stderr, "step associate failed")
	dev, _ := s.Device("SIM000002")
	if !sameKeys(dev.Keys(), factory) {
		t.Error("the meter's keys changed")
	}

	for _, tt := range []struct {
		want string
		args []string
	}{
		{"required flag", []string{"commission", "--tcp", addr, "--factory-keys-file", "x"}},
		{"say where the meter is", []string{"commission", "--id", "X", "--factory-keys-file", keysFile(t, factory)}},
		{"missing ak", []string{"commission", "--id", "X", "--tcp", addr, "--factory-keys-file", keysFile(t, meter.Keys{EK: factory.EK, KEK: factory.KEK})}},
	} {
		_, stderr, status := hes(t, store, tt.args...)
		if status != ExitBadUse {
			t.Errorf("%v: status %d", tt.args, status)
		}
		oneLineError(t, stderr, tt.want)
	}
}

// TestCommissionOptical commissions a meter through its optical port (a
// pseudo-terminal), as a technician on site does: the meter is registered
// on that line, and the head-end reads it there with the new keys.
func TestCommissionOptical(t *testing.T) {
	store := fleetStore(t)
	s := startFleet(t, 1, nil)
	opt, err := s.ServeOptical("SIM000001")
	if err != nil {
		t.Skipf("no optical port: %v", err)
	}
	m := s.Fleet().Meters()[0]
	var o outputs
	rep, stderr, status := commissionJSON(t, &o, store, "--id", "MTR00009", "--serial", opt.Path, "--optical",
		"--physical", strconv.Itoa(int(m.Identity().PhysicalAddress)), "--factory-keys-file", keysFile(t, fleetKeys(t, s, "SIM000001")))
	if status != ExitOK || !rep.Commissioned {
		t.Fatalf("commission: status %d, %s\n%+v", status, stderr, rep)
	}
	withMeterStore(t, store, func(st *meter.Store) {
		got, err := st.Get("MTR00009")
		if err != nil {
			t.Fatal(err)
		}
		if got.Link.Kind != meter.LinkSerial || got.Link.Device != opt.Path || !got.Link.Optical || got.Addresses.Physical != m.Identity().PhysicalAddress {
			t.Errorf("registered %+v", got)
		}
	})
	if rep := pollJSON(t, store, "--meters", "MTR00009"); rep.Read != 1 {
		t.Errorf("poll over the optical port: %+v", rep)
	}
}
