package sim

import (
	"testing"
	"time"
)

// at returns a Brussels local time.
func at(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, Brussels)
}

func newMeter(t testing.TB, cfg MeterConfig) *Meter {
	t.Helper()
	if cfg.Identity.ID == "" {
		cfg.Identity = NewIdentity(1, 0)
	}
	m, err := NewMeter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fixedMeter is a meter with a gas meter that uses exactly wh and dm3 a day
// from its commissioning at start.
func fixedMeter(t testing.TB, start time.Time, wh, dm3 int64) *Meter {
	t.Helper()
	m := newMeter(t, MeterConfig{Seed: 5, Start: start, Gas: &GasMeter{Channel: 1, EAN: fleetEAN(1, 1)}})
	if err := m.SetConsumption(start, Consumption{Fixed: true, WhPerDay: wh, GasDm3PerDay: dm3}); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNewMeterErrors(t *testing.T) {
	start := at(2026, 3, 1, 0, 0, 0)
	bad := []MeterConfig{
		{},
		{Start: start, Gas: &GasMeter{Channel: 5}},
		{Start: start, Bands: &TimeBands{NightStart: time.Minute}},
		{Start: start, Household: &Household{Shape: 9}},
		{Start: start, Household: &Household{AnnualWh: -1}},
		{Start: start, Base: Registers{ImportDay: -5}},
		{Start: start, PushDelay: 25 * time.Hour},
		{Start: start, Location: time.FixedZone("odd", 7*60)},
	}
	for i, cfg := range bad {
		if _, err := NewMeter(cfg); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
}

// TestFixedDaily checks that the fixed mode uses exactly the configured
// amounts per local day, split between the bands as documented (evenly over
// the quarter-hours: 60 of 96 are day on a weekday), across the change to
// summer time (a 23-hour Sunday) and back (a 25-hour Sunday).
func TestFixedDaily(t *testing.T) {
	for _, tt := range []struct {
		name  string
		start time.Time
		days  int
	}{
		{"march", at(2026, 3, 20, 0, 0, 0), 20},
		{"october", at(2026, 10, 16, 0, 0, 0), 20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := fixedMeter(t, tt.start, 6000, 1234)
			now := tt.start.AddDate(0, 0, tt.days)
			dv := m.DailyValuesByEntry(now, 1, 0)
			if len(dv) != tt.days {
				t.Fatalf("%d daily values, want %d", len(dv), tt.days)
			}
			prev := Registers{}
			prevClock := tt.start
			for i, v := range dv {
				day := prevClock // the local day the entry closes
				wantLen := 24 * time.Hour
				if day.Month() == time.March && day.Day() == 29 {
					wantLen = 23 * time.Hour
				} else if day.Month() == time.October && day.Day() == 25 {
					wantLen = 25 * time.Hour
				}
				if got := v.Clock.Sub(prevClock); got != wantLen {
					t.Errorf("entry %d at %v: %v after the previous one, want %v", i, v.Clock, got, wantLen)
				}
				if h, mi, s := v.Clock.Clock(); h|mi|s != 0 {
					t.Errorf("entry %d captured at %v, not at midnight", i, v.Clock)
				}
				wantDay, wantNight := int64(3750), int64(2250)
				if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
					wantDay, wantNight = 0, 6000
				}
				gotDay, gotNight := v.ImportDay-prev.ImportDay, v.ImportNight-prev.ImportNight
				if gotDay != wantDay || gotNight != wantNight {
					t.Errorf("%s: %d Wh day + %d Wh night, want %d + %d", day.Format("Mon 2006-01-02"), gotDay, gotNight, wantDay, wantNight)
				}
				if g := v.GasDm3 - prev.GasDm3; g != 1234 {
					t.Errorf("%s: %d dm³ of gas, want 1234", day.Format("2006-01-02"), g)
				}
				if v.ExportTotal() != 0 {
					t.Errorf("fixed mode exported %d Wh", v.ExportTotal())
				}
				if !v.GasCaptured.Equal(v.Clock) {
					t.Errorf("gas captured at %v, entry at %v", v.GasCaptured, v.Clock)
				}
				prev, prevClock = v.Registers, v.Clock
			}
		})
	}
}

// TestThirtyDays runs a household with PV and gas through thirty days
// across the change to summer time and checks the daily captures against
// the registers computed again at each midnight.
func TestThirtyDays(t *testing.T) {
	start := at(2026, 3, 10, 0, 0, 0)
	h := NewHousehold(77, true)
	m := newMeter(t, MeterConfig{Seed: 77, Start: start, Household: &h, Gas: &GasMeter{Channel: 1, EAN: fleetEAN(1, 1)},
		Base: Registers{ImportDay: 1_000_000, ImportNight: 2_000_000, ExportDay: 30_000, ExportNight: 500, GasDm3: 4_000_000}})
	now := start.AddDate(0, 0, 30).Add(5 * time.Hour)
	if n := m.DailyEntries(now); n != 30 {
		t.Fatalf("DailyEntries = %d, want 30", n)
	}
	dv := m.DailyValues(now, start, now)
	if len(dv) != 30 {
		t.Fatalf("%d daily values in range, want 30", len(dv))
	}
	prev := m.RegistersAt(now, start)
	if prev != (Registers{ImportDay: 1_000_000, ImportNight: 2_000_000, ExportDay: 30_000, ExportNight: 500, GasDm3: 4_000_000}) {
		t.Fatalf("registers at commissioning %+v", prev)
	}
	var exported int64
	for i, v := range dv {
		want := start.AddDate(0, 0, i+1)
		if !v.Clock.Equal(want) {
			t.Fatalf("entry %d at %v, want %v", i, v.Clock, want)
		}
		if again := m.RegistersAt(now, v.Clock); again != v.Registers {
			t.Errorf("entry %d: %+v, registers at %v: %+v", i, v.Registers, v.Clock, again)
		}
		r := v.Registers
		if r.ImportDay < prev.ImportDay || r.ImportNight < prev.ImportNight || r.ExportDay < prev.ExportDay ||
			r.ExportNight < prev.ExportNight || r.GasDm3 < prev.GasDm3 {
			t.Errorf("entry %d goes down: %+v after %+v", i, r, prev)
		}
		if d := r.ImportTotal() - prev.ImportTotal(); d < 1000 || d > 40000 {
			t.Errorf("entry %d: implausible day of %d Wh", i, d)
		}
		exported += r.ExportTotal() - prev.ExportTotal()
		prev = r
	}
	if exported == 0 {
		t.Error("a PV household exported nothing in thirty spring days")
	}
	// The entries by number are the same captures.
	byEntry := m.DailyValuesByEntry(now, 1, 0)
	for i := range byEntry {
		if byEntry[i] != dv[i] {
			t.Fatalf("entry %d by number %+v, by range %+v", i+1, byEntry[i], dv[i])
		}
	}
	if two := m.DailyValuesByEntry(now, 29, 30); len(two) != 2 || two[1] != dv[29] {
		t.Fatalf("entries 29..30: %+v", two)
	}
}

// TestDeterminism checks that the registers do not depend on how often the
// meter is looked at, and that the seed alone decides them.
func TestDeterminism(t *testing.T) {
	start := at(2026, 1, 5, 0, 0, 0)
	cfg := MeterConfig{Seed: 1234, Start: start, Gas: &GasMeter{Channel: 1, EAN: fleetEAN(1, 1)}}
	h := NewHousehold(1234, true)
	cfg.Household = &h
	stepped, jumped := newMeter(t, cfg), newMeter(t, cfg)
	end := start.Add(3*24*time.Hour + 17*time.Minute + 3*time.Second)
	var seen []Registers
	for now := start; now.Before(end); now = now.Add(7*time.Minute + 11*time.Second) {
		seen = append(seen, stepped.Registers(now))
	}
	final := stepped.Registers(end)
	if got := jumped.Registers(end); got != final {
		t.Fatalf("jumped %+v, stepped %+v", got, final)
	}
	// The past, computed again from the history, is what was seen.
	i := 0
	for now := start; now.Before(end); now = now.Add(7*time.Minute + 11*time.Second) {
		if got := jumped.RegistersAt(end, now); got != seen[i] {
			t.Fatalf("at %v: computed again %+v, seen %+v", now, got, seen[i])
		}
		i++
	}
	other := cfg
	other.Seed = 1235
	if newMeter(t, other).Registers(end) == final {
		t.Fatal("another seed gave the same registers")
	}
}

func TestBreakerStopsConsumption(t *testing.T) {
	start := at(2026, 2, 2, 0, 0, 0)
	m := fixedMeter(t, start, 9600, 0) // 400 W
	t1 := start.Add(36 * time.Hour)
	if tr, err := m.RemoteDisconnect(t1, Breaker); err != nil || tr != 'b' {
		t.Fatalf("remote disconnect: %v, %v", tr, err)
	}
	frozen := m.Registers(t1)
	if frozen.ImportTotal() != 9600+4800 {
		t.Fatalf("after 36 h at 400 W: %d Wh", frozen.ImportTotal())
	}
	t2 := t1.Add(48 * time.Hour)
	if got := m.Registers(t2); got != frozen {
		t.Fatalf("breaker open, registers moved from %+v to %+v", frozen, got)
	}
	if p, _ := m.Power(t2); p != 0 {
		t.Fatalf("breaker open, power %d W", p)
	}
	if tr, err := m.RemoteReconnect(t2, Breaker); err != nil || tr != 'd' {
		t.Fatalf("remote reconnect in mode 1: %v, %v", tr, err)
	}
	t3 := t2.Add(time.Hour)
	if got := m.Registers(t3); got != frozen {
		t.Fatal("armed breaker let energy through")
	}
	if r := m.Press(t3); r.Breaker != 'e' || r.SafetyTest {
		t.Fatalf("press: %+v", r)
	}
	if got := m.Registers(t3.Add(time.Hour)); got.ImportTotal() != frozen.ImportTotal()+400 {
		t.Fatalf("one hour after reconnection: %d Wh, want %d", got.ImportTotal(), frozen.ImportTotal()+400)
	}
	if p, _ := m.Power(t3.Add(time.Hour)); p != 400 {
		t.Fatalf("power %d W, want 400", p)
	}
	wantEvents := []EventCode{EventRemoteDisconnection, EventRemoteConnection, EventReadyForReconnection, EventManualConnection}
	checkEvents(t, m.Events(t3.Add(time.Hour)), wantEvents)

	// In mode 2 a remote reconnection closes the breaker at once.
	if err := m.SetControlMode(t3, Breaker, 2); err != nil {
		t.Fatal(err)
	}
	t4 := t3.Add(2 * time.Hour)
	if tr, _ := m.RemoteDisconnect(t4, Breaker); tr != 'b' {
		t.Fatalf("remote disconnect: %v", tr)
	}
	if tr, _ := m.RemoteReconnect(t4.Add(time.Hour), Breaker); tr != 'a' {
		t.Fatalf("remote reconnect in mode 2: %v", tr)
	}
	r4 := m.Registers(t4)
	if got := m.Registers(t4.Add(2 * time.Hour)); got.ImportTotal() != r4.ImportTotal()+400 {
		t.Fatalf("mode 2: %d Wh after 1 h open and 1 h closed, want %d", got.ImportTotal()-r4.ImportTotal(), 400)
	}
}

func checkEvents(t *testing.T, got []Event, want []EventCode) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range got {
		if got[i].Code != want[i] {
			t.Fatalf("event %d is %v (%d), want %v (%d); all %v", i, got[i].Code, got[i].Code, want[i], want[i], got)
		}
	}
}

func TestPressManualDisconnect(t *testing.T) {
	start := at(2026, 2, 2, 0, 0, 0)
	m := fixedMeter(t, start, 2400, 0)
	t1 := start.Add(time.Hour)
	if r := m.Press(t1); r.Breaker != 'f' {
		t.Fatalf("press on a closed breaker in mode 1: %+v", r)
	}
	if sw, _ := m.Switch(t1, Breaker); sw.State != ReadyForReconnection || sw.Output {
		t.Fatalf("breaker %+v", sw)
	}
	if r := m.Press(t1.Add(time.Hour)); r.Breaker != 'e' {
		t.Fatalf("second press: %+v", r)
	}
	if got := m.Registers(t1.Add(2 * time.Hour)).ImportTotal(); got != 200 {
		t.Fatalf("2 h at 100 W with 1 h open: %d Wh, want 200", got)
	}
	// Mode 3 has no manual disconnection.
	if err := m.SetControlMode(t1.Add(2*time.Hour), Breaker, 3); err != nil {
		t.Fatal(err)
	}
	if r := m.Press(t1.Add(3 * time.Hour)); r.Breaker != 0 {
		t.Fatalf("press in mode 3: %+v", r)
	}
	// Mode 0 forces the breaker closed and keeps it so.
	if _, err := m.RemoteDisconnect(t1.Add(4*time.Hour), Breaker); err != nil {
		t.Fatal(err)
	}
	if err := m.SetControlMode(t1.Add(5*time.Hour), Breaker, 0); err != nil {
		t.Fatal(err)
	}
	if sw, _ := m.Switch(t1.Add(5*time.Hour), Breaker); sw.State != Connected {
		t.Fatalf("mode 0: %+v", sw)
	}
	if _, err := m.RemoteDisconnect(t1.Add(6*time.Hour), Breaker); err == nil {
		t.Fatal("remote disconnect in mode 0 accepted")
	}
	if err := m.SetControlMode(t1, Breaker, 7); err == nil {
		t.Fatal("control mode 7 accepted")
	}
}

func TestLimiterCaps(t *testing.T) {
	start := at(2026, 2, 2, 0, 0, 0)
	m := fixedMeter(t, start, 96000, 0) // 4000 W
	if err := m.SetLimiter(start, Limiter{ThresholdW: 2300, MinOver: time.Minute, MinUnder: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if p, _ := m.Power(start.Add(time.Hour)); p != 2300 {
		t.Fatalf("limited power %d W, want 2300", p)
	}
	if got := m.Registers(start.Add(24 * time.Hour)).ImportTotal(); got != 2300*24 {
		t.Fatalf("a day at the 2300 W limit: %d Wh", got)
	}
	if sw, _ := m.Switch(start.Add(24*time.Hour), Breaker); sw.State != Connected {
		t.Fatalf("the household's own use tripped the limiter: %+v", sw)
	}
	if err := m.SetLimiter(start.Add(24*time.Hour), Limiter{ThresholdW: LimiterOff}); err != nil {
		t.Fatal(err)
	}
	if got := m.Registers(start.Add(48 * time.Hour)).ImportTotal(); got != 2300*24+96000 {
		t.Fatalf("limit lifted: %d Wh, want %d", got, 2300*24+96000)
	}

	// A household under a 300 W limit never draws more than 75 Wh a quarter.
	h := newMeter(t, MeterConfig{Seed: 3, Start: start})
	if err := h.SetLimiter(start, Limiter{ThresholdW: 300}); err != nil {
		t.Fatal(err)
	}
	free := newMeter(t, MeterConfig{Seed: 3, Start: start})
	end := start.AddDate(0, 0, 7)
	lv := h.LoadValuesByEntry(end, 1, 0)
	capped := false
	for i := 1; i < len(lv); i++ {
		if d := lv[i].ImportWh - lv[i-1].ImportWh; d > 75 {
			t.Fatalf("quarter to %v: %d Wh under a 300 W limit", lv[i].Clock, d)
		}
	}
	if lim, all := h.Registers(end).ImportTotal(), free.Registers(end).ImportTotal(); lim < all {
		capped = true
	}
	if !capped {
		t.Fatal("the limit took nothing off a winter week")
	}
	if err := h.SetLimiter(end, Limiter{ThresholdW: -1}); err == nil {
		t.Fatal("negative threshold accepted")
	}
}

func TestLimiterTrips(t *testing.T) {
	start := at(2026, 2, 2, 0, 0, 0)
	m := fixedMeter(t, start, 24000, 0) // 1000 W
	lim := Limiter{ThresholdW: 2300, MinOver: time.Minute, MinUnder: 2 * time.Minute}
	t0 := start.Add(time.Hour)
	if err := m.SetLimiter(t0, lim); err != nil {
		t.Fatal(err)
	}
	if err := m.SetExtraLoad(t0, 2000, time.Hour); err != nil {
		t.Fatal(err)
	}
	if sw, _ := m.Switch(t0.Add(59*time.Second), Breaker); sw.State != Connected {
		t.Fatalf("tripped before the minimum duration: %+v", sw)
	}
	tripped := t0.Add(time.Minute)
	if sw, _ := m.Switch(tripped, Breaker); sw.State != ReadyForReconnection {
		t.Fatalf("not tripped after the minimum duration: %+v", sw)
	}
	atTrip := m.Registers(tripped)
	if want := int64(1000 + 3000*60/3600); atTrip.ImportTotal() != want {
		t.Fatalf("at the trip %d Wh, want %d", atTrip.ImportTotal(), want)
	}
	if got := m.Registers(tripped.Add(30 * time.Minute)); got != atTrip {
		t.Fatal("tripped breaker let energy through")
	}
	// The customer presses while the load is still on: it trips again.
	press := tripped.Add(30 * time.Minute)
	if r := m.Press(press); r.Breaker != 'e' {
		t.Fatalf("press: %+v", r)
	}
	if sw, _ := m.Switch(press.Add(time.Minute), Breaker); sw.State != ReadyForReconnection {
		t.Fatalf("no second trip: %+v", sw)
	}
	// After the load, a press reconnects for good.
	after := t0.Add(2 * time.Hour)
	m.Press(after)
	if sw, _ := m.Switch(after.Add(time.Hour), Breaker); sw.State != Connected {
		t.Fatalf("after the load: %+v", sw)
	}
	checkEvents(t, m.Events(after.Add(time.Hour)), []EventCode{
		EventLimiterChanged,
		EventLimiterExceeded, EventLocalDisconnection, EventReadyForReconnection, EventLimiterOK,
		EventManualConnection,
		EventLimiterExceeded, EventLocalDisconnection, EventReadyForReconnection, EventLimiterOK,
		EventManualConnection,
	})
	if s := m.Status(after); s.ExtraLoadW != 0 {
		t.Fatalf("extra load still on: %+v", s)
	}
}

func TestLimiterLocalReconnect(t *testing.T) {
	start := at(2026, 2, 2, 0, 0, 0)
	m := fixedMeter(t, start, 0, 0)
	t0 := start.Add(time.Hour)
	if err := m.SetControlMode(t0, Breaker, 5); err != nil {
		t.Fatal(err)
	}
	if err := m.SetLimiter(t0, Limiter{ThresholdW: 2300, MinOver: time.Minute, MinUnder: 2 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if err := m.SetExtraLoad(t0, 3000, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	// Cycles of 1 min on, 2 min off while the load lasts: on during
	// [0,1), [3,4), [6,7), [9,10) minutes, then reconnected at 12 for good.
	if got, want := m.Registers(t0.Add(time.Hour)).ImportTotal(), int64(4*3000*60/3600); got != want {
		t.Fatalf("%d Wh through the cycles, want %d", got, want)
	}
	if sw, _ := m.Switch(t0.Add(time.Hour), Breaker); sw.State != Connected {
		t.Fatalf("not reconnected locally: %+v", sw)
	}
	n := 0
	for _, e := range m.Events(t0.Add(time.Hour)) {
		if e.Code == EventLocalReconnection {
			n++
		}
	}
	if n != 4 {
		t.Fatalf("%d local reconnections, want 4", n)
	}
}

func TestValveSafetyTest(t *testing.T) {
	start := at(2026, 2, 2, 0, 0, 0)
	m := fixedMeter(t, start, 2400, 9600) // 100 W, 400 dm³ an hour
	t1 := start.Add(time.Hour)
	if tr, err := m.RemoteDisconnect(t1, Valve); err != nil || tr != 'b' {
		t.Fatalf("valve remote disconnect: %v, %v", tr, err)
	}
	gas := m.Registers(t1).GasDm3
	if gas != 400 {
		t.Fatalf("gas after 1 h: %d dm³", gas)
	}
	t2 := t1.Add(24 * time.Hour)
	if tr, _ := m.RemoteReconnect(t2, Valve); tr != 'd' {
		t.Fatalf("valve remote reconnect: %v", tr)
	}
	r := m.Press(t2)
	if !r.SafetyTest || r.Breaker != 0 || !r.ValveOpensAt.Equal(t2.Add(12*time.Minute)) {
		t.Fatalf("press: %+v", r)
	}
	if s := m.Status(t2); s.Gas == nil || !s.Gas.SafetyTestEnds.Equal(t2.Add(12*time.Minute)) {
		t.Fatalf("status during the test: %+v", s.Gas)
	}
	if sw, _ := m.Switch(t2.Add(12*time.Minute-time.Second), Valve); sw.State != ReadyForReconnection {
		t.Fatalf("valve before the end of the test: %+v", sw)
	}
	if got := m.Registers(t2.Add(12*time.Minute - time.Second)).GasDm3; got != gas {
		t.Fatalf("gas flowed during the safety test: %d", got)
	}
	if sw, _ := m.Switch(t2.Add(12*time.Minute), Valve); sw.State != Connected || !sw.Output {
		t.Fatalf("valve after the test: %+v", sw)
	}
	if got := m.Registers(t2.Add(72 * time.Minute)).GasDm3; got != gas+400 {
		t.Fatalf("gas an hour after opening: %d, want %d", got, gas+400)
	}
	if sw, _ := m.Switch(t2, Breaker); sw.State != Connected {
		t.Fatalf("the press for the valve moved the breaker: %+v", sw)
	}
	checkEvents(t, m.Events(t2.Add(time.Hour)), []EventCode{EventValveRemoteClose, EventValveRemoteOpen, EventValveManualOpen})

	// A remote disconnection during the test cancels it.
	t3 := t2.Add(2 * time.Hour)
	m.RemoteDisconnect(t3, Valve)
	m.RemoteReconnect(t3, Valve)
	m.Press(t3)
	m.RemoteDisconnect(t3.Add(5*time.Minute), Valve)
	if sw, _ := m.Switch(t3.Add(time.Hour), Valve); sw.State != Disconnected {
		t.Fatalf("cancelled test opened the valve: %+v", sw)
	}

	noGas := newMeter(t, MeterConfig{Start: start})
	if _, err := noGas.RemoteDisconnect(t1, Valve); err != ErrNoGas {
		t.Fatalf("valve of a meter without gas: %v", err)
	}
	if _, err := noGas.GasReading(t1); err != ErrNoGas {
		t.Fatalf("gas reading without gas: %v", err)
	}
}

func TestClockDrift(t *testing.T) {
	start := at(2026, 2, 2, 0, 0, 0)
	m := fixedMeter(t, start, 9600, 960)
	t1 := start.Add(12 * time.Hour)
	m.SetClockOffset(t1, 90*time.Second)
	if got := m.Clock(t1); !got.Equal(t1.Add(90 * time.Second)) {
		t.Fatalf("clock %v", got)
	}
	dv := m.DailyValuesByEntry(start.Add(48*time.Hour), 1, 0)
	if len(dv) != 2 {
		t.Fatalf("%d entries", len(dv))
	}
	// The meter captured at its midnight, 90 s before the true one.
	if !dv[0].Clock.Equal(at(2026, 2, 3, 0, 0, 0)) {
		t.Fatalf("capture clock %v", dv[0].Clock)
	}
	early := at(2026, 2, 2, 23, 58, 30)
	if want := m.RegistersAt(start.Add(48*time.Hour), early); dv[0].Registers != want {
		t.Fatalf("capture %+v, registers at %v %+v", dv[0].Registers, early, want)
	}
	if dv[0].ImportTotal() != 9600-10 { // 90 s at 400 W short of a full day
		t.Fatalf("capture %d Wh", dv[0].ImportTotal())
	}
	// The head-end sets the clock right.
	t2 := start.Add(50 * time.Hour)
	m.SetClock(t2, t2)
	if off := m.ClockOffset(t2); off != 0 {
		t.Fatalf("offset after SetClock %v", off)
	}
	ev := m.Events(t2)
	if len(ev) != 2 || ev[0].Code != EventClockAdjustedOld || !ev[0].Time.Equal(t2.Add(90*time.Second)) ||
		ev[1].Code != EventClockAdjustedNew || !ev[1].Time.Equal(t2) {
		t.Fatalf("events %v", ev)
	}
	ci := m.ClockInfo(t2)
	if !ci.Time.Equal(t2) || ci.DST || !ci.DSTBegin.Equal(time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)) ||
		!ci.DSTEnd.Equal(time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("clock info %+v", ci)
	}
	if !m.ClockInfo(at(2026, 7, 1, 0, 0, 0)).DST {
		t.Fatal("no summer time in July")
	}
}

func TestGasReading(t *testing.T) {
	start := at(2026, 2, 2, 0, 0, 0)
	m := fixedMeter(t, start, 0, 2400) // 100 dm³ an hour
	now := start.Add(5*time.Hour + 42*time.Minute)
	g, err := m.GasReading(now)
	if err != nil {
		t.Fatal(err)
	}
	if !g.Captured.Equal(start.Add(5*time.Hour)) || g.VolumeDm3 != 500 {
		t.Fatalf("gas reading %+v", g)
	}
	if live := m.Registers(now).GasDm3; live != 570 {
		t.Fatalf("live volume %d", live)
	}
}

func TestLoadProfile(t *testing.T) {
	start := at(2026, 3, 28, 0, 0, 0)
	h := NewHousehold(8, true)
	m := newMeter(t, MeterConfig{Seed: 8, Start: start, Household: &h, LoadEntries: 150})
	now := start.Add(47 * time.Hour) // through the 23-hour Sunday
	if n := m.LoadEntries(now); n != 150 {
		t.Fatalf("LoadEntries = %d, want the capacity 150", n)
	}
	day := m.LoadValues(now, at(2026, 3, 29, 0, 0, 0), at(2026, 3, 30, 0, 0, 0))
	if len(day) != 93 { // 92 quarter-hours, both ends included
		t.Fatalf("%d load values on the 23-hour day", len(day))
	}
	dv := m.DailyValues(now, at(2026, 3, 29, 0, 0, 0), at(2026, 3, 30, 0, 0, 0))
	if len(dv) != 2 {
		t.Fatalf("%d daily values", len(dv))
	}
	if day[0].ImportWh != dv[0].ImportTotal() || day[92].ImportWh != dv[1].ImportTotal() ||
		day[92].ExportWh != dv[1].ExportTotal() {
		t.Fatalf("load profile ends %+v %+v, daily values %+v %+v", day[0], day[92], dv[0], dv[1])
	}
	for i := 1; i < len(day); i++ {
		if day[i].Clock.Sub(day[i-1].Clock) != 15*time.Minute || day[i].ImportWh < day[i-1].ImportWh {
			t.Fatalf("load values %d, %d: %+v %+v", i-1, i, day[i-1], day[i])
		}
	}
	last := m.LoadValuesByEntry(now, 150, 0)
	if len(last) != 1 || !last[0].Clock.Equal(now) {
		t.Fatalf("newest entry %+v", last)
	}
}

func TestDailyCapacity(t *testing.T) {
	start := at(2026, 1, 1, 0, 0, 0)
	m := newMeter(t, MeterConfig{Seed: 8, Start: start, DailyEntries: 10})
	now := start.AddDate(0, 0, 40)
	if n := m.DailyEntries(now); n != 10 {
		t.Fatalf("DailyEntries = %d", n)
	}
	first := m.DailyValuesByEntry(now, 1, 1)
	if len(first) != 1 || !first[0].Clock.Equal(start.AddDate(0, 0, 31)) {
		t.Fatalf("oldest entry %+v", first)
	}
	if got := m.DailyValues(now, start, start.AddDate(0, 0, 30)); len(got) != 0 {
		t.Fatalf("%d entries older than the capacity", len(got))
	}
	if got := m.DailyValuesByEntry(now, 5, 3); len(got) != 0 {
		t.Fatalf("entries 5..3: %d", len(got))
	}
	if got := m.DailyValuesByEntry(now, 8, 99); len(got) != 3 {
		t.Fatalf("entries 8..99: %d", len(got))
	}
	fresh := newMeter(t, MeterConfig{Seed: 8, Start: start})
	if got := fresh.DailyEntries(start.Add(time.Hour)); got != 0 {
		t.Fatalf("entries an hour after commissioning: %d", got)
	}
}

func TestEventLogBounded(t *testing.T) {
	start := at(2026, 1, 1, 0, 0, 0)
	m := newMeter(t, MeterConfig{Seed: 8, Start: start})
	now := start
	for i := 0; i < 60; i++ {
		now = now.Add(time.Minute)
		m.RemoteDisconnect(now, Breaker)
		m.RemoteReconnect(now, Breaker)
		m.Press(now)
	}
	ev := m.Events(now)
	if len(ev) != EventLogSize {
		t.Fatalf("%d events", len(ev))
	}
	if ev[len(ev)-1].Code != EventManualConnection || !ev[len(ev)-1].Time.Equal(now) {
		t.Fatalf("newest event %+v", ev[len(ev)-1])
	}
}

func TestPush(t *testing.T) {
	start := at(2026, 1, 1, 0, 0, 0)
	m := newMeter(t, MeterConfig{Seed: 8, Start: start, PushDelay: time.Hour + 5*time.Minute, Gas: &GasMeter{Channel: 1, EAN: fleetEAN(1, 1)}})
	next := m.NextPush(start.Add(10 * time.Hour))
	if !next.Equal(at(2026, 1, 2, 1, 5, 0)) {
		t.Fatalf("next push %v", next)
	}
	if again := m.NextPush(next); !again.Equal(at(2026, 1, 3, 1, 5, 0)) {
		t.Fatalf("push after %v: %v", next, again)
	}
	p := m.PushContent(next)
	if !p.Clock.Equal(next) || p.Registers != m.Registers(next) || !p.Gas.Captured.Equal(at(2026, 1, 2, 1, 0, 0)) {
		t.Fatalf("push %+v", p)
	}
	// On the day summer time starts, the push comes an hour after 00:00
	// plus the delay (local 02:05 does not exist, the instant is the same).
	if got := m.NextPush(at(2026, 3, 28, 12, 0, 0)); !got.Equal(at(2026, 3, 29, 0, 0, 0).Add(65 * time.Minute)) {
		t.Fatalf("push on the 23-hour day %v", got)
	}
}

func TestDisplayAndStatus(t *testing.T) {
	start := at(2026, 1, 1, 0, 0, 0)
	m := newMeter(t, MeterConfig{Seed: 8, Start: start})
	upd := at(2026, 1, 1, 6, 30, 0)
	m.SetBalanceUpdate(upd.UTC())
	m.SetBalance(-150)
	m.SetEmergencyCredit(1350)
	d := m.Display()
	if !d.LastUpdate.Equal(upd) || d.LastUpdate.Location() != Brussels || d.BalanceCents != -150 || d.EmergencyCents != 1350 {
		t.Fatalf("display %+v", d)
	}
	s := m.Status(start.Add(3 * time.Hour))
	if s.Display != d || s.ID != "SIM000001" || s.Tariff != 2 || s.Breaker.State != Connected || s.Gas != nil ||
		s.ImportW <= 0 || s.Registers != m.Registers(start.Add(3*time.Hour)) || s.Limiter != DefaultLimiter() {
		t.Fatalf("status %+v", s)
	}
	if tariff := m.Tariff(at(2026, 1, 2, 12, 0, 0)); tariff != 1 {
		t.Fatalf("tariff on a Friday noon %d", tariff)
	}
}

func TestReplace(t *testing.T) {
	start := at(2026, 1, 1, 0, 0, 0)
	m := newMeter(t, MeterConfig{Seed: 8, Start: start, Base: Registers{ImportDay: 5000, ImportNight: 5000}, Gas: &GasMeter{Channel: 1, EAN: fleetEAN(1, 1)}})
	t1 := start.Add(30 * time.Hour)
	gas := m.Registers(t1).GasDm3
	m.Replace(t1)
	r := m.Registers(t1)
	if r.ImportTotal() != 0 || r.ExportTotal() != 0 || r.GasDm3 != gas {
		t.Fatalf("after replacement %+v (gas before %d)", r, gas)
	}
	dv := m.DailyValuesByEntry(start.Add(72*time.Hour), 1, 0)
	if dv[0].ImportTotal() <= 10000 || dv[1].ImportTotal() >= dv[0].ImportTotal() || dv[2].ImportTotal() <= dv[1].ImportTotal() {
		t.Fatalf("daily values around the replacement %+v", dv)
	}
	if f := m.Faults(); !f.Replaced || !f.ReplacedAt.Equal(t1) {
		t.Fatalf("faults %+v", f)
	}
	m.SetFaults(Faults{Silent: true})
	if f := m.Faults(); !f.Silent || !f.Replaced {
		t.Fatalf("SetFaults lost the replacement: %+v", f)
	}
}
