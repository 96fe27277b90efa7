package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/openhes/hes/meter"
)

var fleetStart = at(2026, 3, 1, 0, 0, 0)

func newFleet(t testing.TB, cfg FleetConfig) *Fleet {
	t.Helper()
	if cfg.Start.IsZero() {
		cfg.Start = fleetStart
	}
	f, err := NewFleet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFleetIdentityAndShares(t *testing.T) {
	f := newFleet(t, FleetConfig{Seed: 11, Size: 2000, GasShare: 0.4, PVShare: 0.2, History: 24 * time.Hour})
	if f.Len() != 2000 {
		t.Fatalf("Len %d", f.Len())
	}
	eans := map[string]bool{}
	gas, pv := 0, 0
	for i, m := range f.Meters() {
		id := m.Identity()
		if id.ID != MeterID(i) {
			t.Fatalf("meter %d has id %s", i, id.ID)
		}
		all := []string{id.EAN}
		if g, ok := m.Gas(); ok {
			gas++
			if g.Channel != 1 {
				t.Fatalf("%s gas on channel %d", id.ID, g.Channel)
			}
			all = append(all, g.EAN)
		}
		for _, ean := range all {
			if err := meter.ValidEAN(ean); err != nil || ean[:5] != "54144" || eans[ean] {
				t.Fatalf("%s: EAN %s (%v, repeated %v)", id.ID, ean, err, eans[ean])
			}
			eans[ean] = true
			if byEAN, err := f.MeterByEAN(ean); err != nil || byEAN != m {
				t.Fatalf("MeterByEAN(%s) = %v, %v", ean, byEAN, err)
			}
		}
		if m.Household().PVPeakW > 0 {
			pv++
		}
	}
	if gas < 700 || gas > 900 {
		t.Errorf("%d of 2000 meters with gas at a 40%% share", gas)
	}
	if pv < 320 || pv > 480 {
		t.Errorf("%d of 2000 households with PV at a 20%% share", pv)
	}
	if _, err := f.Meter("SIM999999"); !errors.Is(err, ErrUnknownMeter) {
		t.Errorf("unknown id: %v", err)
	}
	if _, err := f.MeterByEAN("541440000000000000"); !errors.Is(err, ErrUnknownMeter) {
		t.Errorf("unknown EAN: %v", err)
	}
}

func TestFleetDeterminism(t *testing.T) {
	cfg := FleetConfig{Seed: 5, Size: 50, GasShare: 0.5, PVShare: 0.3, PushDelay: time.Hour, PushSpread: 30 * time.Minute, History: 10 * 24 * time.Hour}
	a, b := newFleet(t, cfg), newFleet(t, cfg)
	a.Advance(36 * time.Hour)
	b.Advance(12 * time.Hour)
	b.Statuses() // look at b half-way: it must not change anything
	b.Advance(24 * time.Hour)
	if sa, sb := a.Statuses(), b.Statuses(); !reflect.DeepEqual(sa, sb) {
		t.Fatal("two fleets of the same config differ")
	}
	other := cfg
	other.Seed = 6
	c := newFleet(t, other)
	c.Advance(36 * time.Hour)
	if reflect.DeepEqual(a.Statuses()[0].Registers, c.Statuses()[0].Registers) {
		t.Fatal("another seed gave the same registers")
	}
	for _, m := range a.Meters() {
		if d := m.PushDelay(); d < time.Hour || d > 90*time.Minute {
			t.Fatalf("%s push delay %v", m.ID(), d)
		}
	}
}

// TestFleetSafetyTestAtSpeed checks that the valve's twelve minutes are meter
// time: at 3600 times real time they last 0.2 s of real time.
func TestFleetSafetyTestAtSpeed(t *testing.T) {
	real := &fakeReal{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	f := newFleet(t, FleetConfig{Seed: 3, Size: 20, GasShare: 1, Speed: 3600, RealTime: real.now, History: time.Hour})
	m := f.Meters()[0]
	if _, err := m.RemoteDisconnect(f.Now(), Valve); err != nil {
		t.Fatal(err)
	}
	if _, err := m.RemoteReconnect(f.Now(), Valve); err != nil {
		t.Fatal(err)
	}
	r, err := f.Press(m.ID())
	if err != nil || !r.SafetyTest {
		t.Fatalf("press: %+v, %v", r, err)
	}
	real.sleep(199 * time.Millisecond)
	if s, _ := f.Status(m.ID()); s.Gas.Valve.State != ReadyForReconnection {
		t.Fatalf("valve after 199 ms real: %+v", s.Gas.Valve)
	}
	real.sleep(time.Millisecond)
	if s, _ := f.Status(m.ID()); s.Gas.Valve.State != Connected {
		t.Fatalf("valve after 200 ms real: %+v", s.Gas.Valve)
	}
}

func TestFleetSetConsumption(t *testing.T) {
	f := newFleet(t, FleetConfig{Seed: 3, Size: 3})
	id := f.Meters()[1].ID()
	if err := f.SetConsumption(id, Consumption{Fixed: true, WhPerDay: 6000}); err != nil {
		t.Fatal(err)
	}
	before, _ := f.Status(id)
	f.Advance(24 * time.Hour)
	after, _ := f.Status(id)
	if d := after.Registers.ImportTotal() - before.Registers.ImportTotal(); d != 6000 {
		t.Fatalf("a fixed day used %d Wh", d)
	}
	if !after.Consumption.Fixed || after.Consumption.WhPerDay != 6000 {
		t.Fatalf("consumption %+v", after.Consumption)
	}
	if err := f.SetConsumption(id, Consumption{Fixed: true, WhPerDay: -1}); err == nil {
		t.Fatal("negative consumption accepted")
	}
	if err := f.SetConsumption("nope", Consumption{}); !errors.Is(err, ErrUnknownMeter) {
		t.Fatalf("unknown meter: %v", err)
	}
}

func TestNewFleetErrors(t *testing.T) {
	for i, cfg := range []FleetConfig{
		{Size: 1},
		{Start: fleetStart, Size: -1},
		{Start: fleetStart, GasShare: 1.5},
		{Start: fleetStart, PushDelay: 20 * time.Hour, PushSpread: 5 * time.Hour},
		{Start: fleetStart, Bands: &TimeBands{NightStart: 7 * time.Minute}, Size: 1},
	} {
		if _, err := NewFleet(cfg); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
}

func TestInventory(t *testing.T) {
	f := newFleet(t, FleetConfig{Seed: 21, Size: 30, GasShare: 0.5})
	var buf bytes.Buffer
	err := f.WriteInventory(&buf, InventoryOptions{Link: meter.LinkTCP, Address: func(m *Meter) string { return "127.0.0.1:4059" }})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Meters []map[string]json.RawMessage `json:"meters"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Meters) != 30 {
		t.Fatalf("%d meters", len(doc.Meters))
	}
	withGas := 0
	for _, e := range doc.Meters {
		var keys []string
		for k := range e {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		want := []string{"address", "ean", "energy", "framing", "id", "keys", "link", "physical_address", "profile", "system_title"}
		if _, ok := e["gas"]; ok {
			withGas++
			want = append(want, "gas")
			sort.Strings(want)
		}
		if !reflect.DeepEqual(keys, want) {
			t.Fatalf("entry fields %v, want %v", keys, want)
		}
	}
	if withGas == 0 || withGas == 30 {
		t.Fatalf("%d of 30 entries with gas", withGas)
	}

	inv := f.Inventory(InventoryOptions{Framing: meter.FramingWrapper, Profile: "test"})
	m := f.Meters()[0]
	e := inv.Meters[0]
	id := m.Identity()
	if e.ID != id.ID || e.EAN != id.EAN || e.Energy != meter.EnergyElectricity || e.Profile != "test" ||
		e.Framing != meter.FramingWrapper || e.Address != "" || e.PhysicalAddress != 16 ||
		e.SystemTitle.String() != "4845530000000001" {
		t.Fatalf("entry %+v", e)
	}
	keys, err := e.Keys.Parse()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(keys.EK.Bytes(), id.Keys.EK[:]) || !bytes.Equal(keys.AK.Bytes(), id.Keys.AK[:]) ||
		!bytes.Equal(keys.KEK.Bytes(), id.Keys.KEK[:]) || !bytes.Equal(keys.HLSSecret.Bytes(), id.Keys.HLSSecret[:]) ||
		string(keys.LLSPassword.Bytes()) != id.Keys.LLSPassword {
		t.Fatal("inventory keys do not read back")
	}
	def := f.Inventory(InventoryOptions{}).Meters[0]
	if def.Profile != DefaultProfile || def.Framing != meter.FramingHDLC {
		t.Fatalf("defaults %+v", def)
	}
}

// TestInventoryImports checks that the head-end's store imports the
// inventory as written.
func TestInventoryImports(t *testing.T) {
	f := newFleet(t, FleetConfig{Seed: 21, Size: 20, GasShare: 0.5})
	var buf bytes.Buffer
	if err := f.WriteInventory(&buf, InventoryOptions{Link: meter.LinkTCP, Address: func(*Meter) string { return "127.0.0.1:4059" }}); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(t.TempDir(), "hes.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sealer, err := meter.NewKeySealer(meter.NewSecret(bytes.Repeat([]byte{7}, 16)))
	if err != nil {
		t.Fatal(err)
	}
	store, err := meter.OpenStore(db, sealer, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := store.ImportInventory(&buf)
	if err != nil || n != 20 {
		t.Fatalf("imported %d: %v", n, err)
	}
	for _, m := range f.Meters() {
		got, err := store.Get(m.ID())
		if err != nil {
			t.Fatal(err)
		}
		g, hasGas := m.Gas()
		if got.EAN != m.Identity().EAN || (got.Gas != nil) != hasGas || (hasGas && got.Gas.EAN != g.EAN) {
			t.Fatalf("stored %+v for %s", got, m.ID())
		}
		keys, err := store.Keys(m.ID())
		want := m.Identity().Keys
		if err != nil || !bytes.Equal(keys.EK.Bytes(), want.EK[:]) {
			t.Fatalf("stored keys of %s: %v", m.ID(), err)
		}
	}
}

// TestIdleMeterMemory measures what an idle meter costs: a fleet of 2,000
// meters, built and not yet looked at, must hold under 64 KiB a meter.
func TestIdleMeterMemory(t *testing.T) {
	before := heap()
	f := newFleet(t, FleetConfig{Seed: 1, Size: 2000, GasShare: 0.4, PVShare: 0.2})
	after := heap()
	per := (int64(after) - int64(before)) / int64(f.Len())
	t.Logf("idle meter: %d bytes", per)
	if per > 64<<10 {
		t.Fatalf("an idle meter costs %d bytes, over 64 KiB", per)
	}
	runtime.KeepAlive(f)
}

func heap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
