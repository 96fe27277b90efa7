package meter

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openhes/hes/dlms"
)

// fastPoller returns a poller with short time-outs and retries.
func (b *bench) poller(cfg PollerConfig) *Poller {
	b.t.Helper()
	if cfg.Now == nil {
		cfg.Now = b.now
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Backoff == (Backoff{}) {
		cfg.Backoff = Backoff{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond, Jitter: 0.5}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(1, 2))
	}
	p, err := NewPoller(b.sess, cfg)
	if err != nil {
		b.t.Fatal(err)
	}
	return p
}

// wantDay checks that meter id has a reading of quality q for each daily
// register on day, and returns them by register.
func (b *bench) wantDay(id, day string, q Quality) map[dlms.OBIS]Reading {
	b.t.Helper()
	rs, err := b.store.Readings(id, day, day)
	if err != nil {
		b.t.Fatal(err)
	}
	got := map[dlms.OBIS]Reading{}
	for _, r := range rs {
		got[r.Register] = r
	}
	for _, reg := range fakeDailyRoles {
		if r, ok := got[reg]; !ok || r.Quality != q {
			b.t.Errorf("%s on %s, %v: %+v, want quality %s", id, day, reg, r, q)
		}
	}
	if len(got) != len(fakeDailyRoles) {
		b.t.Errorf("%s on %s: %d readings, want %d", id, day, len(got), len(fakeDailyRoles))
	}
	return got
}

func TestPollerReadsEveryMeterOnce(t *testing.T) {
	b := newBench(t, Limits{})
	var devs []*fakeDevice
	for n := 1; n <= 5; n++ {
		_, d := b.addMeter(n, nil)
		// The day before was read already: only the day itself is missing.
		rows := d.rows
		for _, row := range rows[len(rows)-12 : len(rows)-1] {
			b.putRow(d.id, row, QualityRead)
		}
		devs = append(devs, d)
	}
	var reads []string
	var mu sync.Mutex
	p := b.poller(PollerConfig{Observer: Observer{ReadDone: func(id string, r Reason, _ time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if r == "" {
			reads = append(reads, id)
		}
	}}})
	var progress []Progress
	sum, err := p.RunCycle(context.Background(), benchDay, CycleOptions{Progress: func(pr Progress) { progress = append(progress, pr) }})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 5 || sum.Failed != 0 || sum.AlreadyRead != 0 || sum.Retries != 0 || sum.CaughtUp != 0 || sum.Estimated != 0 {
		t.Errorf("summary %+v", sum)
	}
	slices.Sort(reads)
	if want := []string{"M001", "M002", "M003", "M004", "M005"}; !slices.Equal(reads, want) {
		t.Errorf("reads %v, want %v", reads, want)
	}
	if len(progress) != 5 || progress[4].Done != 5 || progress[4].Total != 5 {
		t.Errorf("progress %+v", progress)
	}
	for i, d := range devs {
		got := b.wantDay(d.id, benchDay, QualityRead)
		last := d.rows[len(d.rows)-1]
		if got[obisImportDay].Value != last.indexes[0] || got[obisGasVolume].Value != last.gas || got[obisGasVolume].Scaler != -3 {
			t.Errorf("%s: import day %+v, gas %+v, want %d Wh and %d dm³", d.id, got[obisImportDay], got[obisGasVolume], last.indexes[0], last.gas)
		}
		midnight, _ := dayStart(benchDay, b.loc)
		if !got[obisImportDay].CapturedAt.Equal(midnight) || !got[obisGasVolume].CapturedAt.Equal(midnight.Add(-time.Hour)) {
			t.Errorf("%s: captured at %v and %v", d.id, got[obisImportDay].CapturedAt, got[obisGasVolume].CapturedAt)
		}
		if d.sessions != 1 || len(d.rangeReads) != 1 {
			t.Errorf("meter %d: %d sessions, %d range reads, want 1 and 1", i+1, d.sessions, len(d.rangeReads))
		}
		st, _ := p.Status(benchDay, d.id)
		if st.State != PollDone || st.Attempts != 1 || st.Breaker == nil || st.Breaker.State != Connected || st.GasValve == nil {
			t.Errorf("%s: status %+v", d.id, st)
		}
	}

	// Run again: every meter was read, none is contacted.
	sum, err = p.RunCycle(context.Background(), benchDay, CycleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 0 || sum.AlreadyRead != 5 {
		t.Errorf("second run: %+v", sum)
	}
	for _, d := range devs {
		if d.sessions != 1 {
			t.Errorf("%s: %d sessions after the second run", d.id, d.sessions)
		}
	}
}

// putRow stores the readings of a profile row, as an earlier cycle did.
func (b *bench) putRow(id string, row dayRow, q Quality) {
	b.t.Helper()
	at, _ := dayStart(row.day, b.loc)
	var rs []Reading
	for i, reg := range fakeIndexRegs {
		rs = append(rs, Reading{MeterID: id, Day: row.day, Register: reg, Value: row.indexes[i], Unit: UnitWattHour, Quality: q, CapturedAt: at})
	}
	rs = append(rs, Reading{MeterID: id, Day: row.day, Register: obisGasVolume, Value: row.gas, Scaler: -3, Unit: UnitCubicMetre, Quality: q, CapturedAt: at})
	if _, err := b.store.PutReadings(rs...); err != nil {
		b.t.Fatal(err)
	}
}

func TestPollerCatchesUpMissedDays(t *testing.T) {
	b := newBench(t, Limits{})
	_, d := b.addMeter(1, nil)
	// Read up to 4 days before; the 3 days after were missed.
	rows := d.rows
	for _, row := range rows[:len(rows)-4] {
		b.putRow(d.id, row, QualityRead)
	}
	p := b.poller(PollerConfig{})
	sum, err := p.RunCycle(context.Background(), benchDay, CycleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 1 || sum.CaughtUp != 3 {
		t.Errorf("summary %+v", sum)
	}
	// One range read, from the first missed day.
	if len(d.rangeReads) != 1 {
		t.Fatalf("%d range reads", len(d.rangeReads))
	}
	from, _ := d.rangeReads[0].From.DateTime()
	fromT, _ := from.AsTime()
	firstMissed, _ := dayStart(addDays(benchDay, -3), b.loc)
	if !fromT.Equal(firstMissed.Add(-time.Hour)) {
		t.Errorf("range from %v, want an hour before %v", fromT, firstMissed)
	}
	for i := 3; i >= 0; i-- {
		day := addDays(benchDay, -i)
		got := b.wantDay(d.id, day, QualityRead)
		if want := rows[len(rows)-1-i].indexes[1]; got[obisImportNgt].Value != want {
			t.Errorf("%s: import night %d, want %d", day, got[obisImportNgt].Value, want)
		}
	}
	st, _ := p.Status(benchDay, d.id)
	if want := []string{addDays(benchDay, -3), addDays(benchDay, -2), addDays(benchDay, -1)}; !slices.Equal(st.CaughtUp, want) {
		t.Errorf("caught up %v, want %v", st.CaughtUp, want)
	}
}

func TestReadDailyIdempotent(t *testing.T) {
	b := newBench(t, Limits{})
	m, d := b.addMeter(1, nil)
	read := func() DailyRead {
		var res DailyRead
		err := b.sess.Do(context.Background(), m.ID, time.Second, func(ctx context.Context, s *Session) error {
			var err error
			res, err = ReadDaily(ctx, s, benchDay, ReadOptions{Now: b.now, MaxCatchUp: 3})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := read()
	if first.Stored.Added != 4*5 || first.From != addDays(benchDay, -3) {
		t.Errorf("first read: from %s, stored %+v", first.From, first.Stored)
	}
	all, _ := b.store.Readings(m.ID, "2000-01-01", "2100-01-01")
	if len(all) != 4*5 {
		t.Errorf("%d readings stored, want 20: the catch-up goes back MaxCatchUp days", len(all))
	}
	// As after a crash before the poll status was saved: read again.
	second := read()
	if len(second.Readings) != 0 || second.From != "" || len(d.rangeReads) != 1 {
		t.Errorf("second read offered %d readings from %q, %d range reads", len(second.Readings), second.From, len(d.rangeReads))
	}
	again, _ := b.store.Readings(m.ID, "2000-01-01", "2100-01-01")
	if !slices.EqualFunc(all, again, func(a, b Reading) bool { return a == b }) {
		t.Error("the readings changed")
	}
}

func TestPollerFallsBackToInstantaneous(t *testing.T) {
	b := newBench(t, Limits{})
	_, d := b.addMeter(1, nil)
	d.withRows(addDays(benchDay, -14), addDays(benchDay, -1)) // no row for today's midnight yet
	p := b.poller(PollerConfig{Read: ReadOptions{MaxCatchUp: 1}})
	sum, err := p.RunCycle(context.Background(), benchDay, CycleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 1 || sum.Estimated != 1 || sum.CaughtUp != 1 {
		t.Errorf("summary %+v", sum)
	}
	b.wantDay(d.id, addDays(benchDay, -1), QualityRead)
	got := b.wantDay(d.id, benchDay, QualityEstimated)
	if got[obisExportNgt].Value != d.instant[3] || got[obisGasVolume].Value != d.gas {
		t.Errorf("estimates %+v, %+v, want %d and %d", got[obisExportNgt], got[obisGasVolume], d.instant[3], d.gas)
	}
	if at := got[obisImportDay].CapturedAt; at.Sub(b.now()).Abs() > time.Minute {
		t.Errorf("estimate captured at %v, want the meter's time of reading", at)
	}
	st, _ := p.Status(benchDay, d.id)
	if !st.Estimated {
		t.Errorf("status %+v", st)
	}

	// The row appears later (a catch-up the next day): it replaces the
	// estimate.
	d.withRows(addDays(benchDay, -14), benchDay)
	err = b.sess.Do(context.Background(), d.id, time.Second, func(ctx context.Context, s *Session) error {
		_, err := ReadDaily(ctx, s, addDays(benchDay, 1), ReadOptions{Now: b.now, MaxCatchUp: 2})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got = b.wantDay(d.id, benchDay, QualityRead)
	if want := d.rows[len(d.rows)-1].indexes[3]; got[obisExportNgt].Value != want {
		t.Errorf("export night %d, want %d", got[obisExportNgt].Value, want)
	}
}

func TestPollerCorrectsClockDrift(t *testing.T) {
	b := newBench(t, Limits{})
	_, fast := b.addMeter(1, nil)
	_, fine := b.addMeter(2, nil)
	fast.offset = 3 * time.Minute
	fine.offset = 2 * time.Second
	var set []string
	p := b.poller(PollerConfig{Read: ReadOptions{DriftThreshold: 10 * time.Second}, Observer: Observer{
		ClockSet: func(id string, drift time.Duration) {
			if drift < 2*time.Minute {
				t.Errorf("clock set with drift %v", drift)
			}
			set = append(set, id)
		}}})
	sum, err := p.RunCycle(context.Background(), benchDay, CycleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.ClockSet != 1 || !slices.Equal(set, []string{"M001"}) {
		t.Errorf("summary %+v, clocks set %v", sum, set)
	}
	if fast.offset.Abs() > time.Second {
		t.Errorf("meter 1 still %v off", fast.offset)
	}
	if fine.offset != 2*time.Second {
		t.Errorf("meter 2 was set: %v off", fine.offset)
	}
	st, _ := p.Status(benchDay, "M001")
	if !st.ClockSet || st.Drift < 2*time.Minute {
		t.Errorf("status %+v", st)
	}
}

func TestPollerFlagsImplausibleReadings(t *testing.T) {
	b := newBench(t, Limits{})
	_, d := b.addMeter(1, nil)
	rows := d.rows
	for _, row := range rows[:len(rows)-2] {
		b.putRow(d.id, row, QualityRead)
	}
	// Yesterday the import day index went down; today export night
	// jumped by 2 MWh.
	rows[len(rows)-2].indexes[0] = rows[len(rows)-3].indexes[0] - 1
	rows[len(rows)-1].indexes[3] = rows[len(rows)-2].indexes[3] + 2_000_000
	p := b.poller(PollerConfig{})
	if _, err := p.RunCycle(context.Background(), benchDay, CycleOptions{}); err != nil {
		t.Fatal(err)
	}
	yesterday, _ := b.store.Readings(d.id, addDays(benchDay, -1), addDays(benchDay, -1))
	today, _ := b.store.Readings(d.id, benchDay, benchDay)
	quality := func(rs []Reading, reg dlms.OBIS) Quality {
		for _, r := range rs {
			if r.Register == reg {
				return r.Quality
			}
		}
		return ""
	}
	for _, c := range []struct {
		rs   []Reading
		reg  dlms.OBIS
		want Quality
	}{
		{yesterday, obisImportDay, QualityImplausible},
		{yesterday, obisImportNgt, QualityRead},
		{today, obisImportDay, QualityRead}, // compared with the day before yesterday: 2 days of growth
		{today, obisExportNgt, QualityImplausible},
		{today, obisGasVolume, QualityRead},
	} {
		if got := quality(c.rs, c.reg); got != c.want {
			t.Errorf("%v: %s, want %s", c.reg, got, c.want)
		}
	}
}

func TestPollerFailingMeterDoesNotDelayOthers(t *testing.T) {
	b := newBench(t, Limits{Global: 3})
	for n := 1; n <= 6; n++ {
		b.addMeter(n, nil)
	}
	b.fleet.device("M002").dialErr = errors.New("connection refused")
	b.fleet.device("M004").silent = true
	var mu sync.Mutex
	retries := map[string][]Reason{}
	start := time.Now()
	finished := map[string]time.Duration{}
	p := b.poller(PollerConfig{Timeout: 150 * time.Millisecond, MaxAttempts: 3, Observer: Observer{
		Retry: func(id string, r Reason) { mu.Lock(); retries[id] = append(retries[id], r); mu.Unlock() },
	}})
	sum, err := p.RunCycle(context.Background(), benchDay, CycleOptions{Progress: func(pr Progress) {
		finished[pr.MeterID] = time.Since(start)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 4 || sum.Failed != 2 || sum.Failures["M002"] != ReasonLink || sum.Failures["M004"] != ReasonTimeout {
		t.Errorf("summary %+v", sum)
	}
	if sum.Retries != 4 || !slices.Equal(retries["M002"], []Reason{ReasonLink, ReasonLink}) || len(retries["M004"]) != 2 {
		t.Errorf("retries %d: %v", sum.Retries, retries)
	}
	if got := sum.ByReason(); got[ReasonLink] != 1 || got[ReasonTimeout] != 1 {
		t.Errorf("by reason %v", got)
	}
	for _, id := range []string{"M001", "M003", "M005", "M006"} {
		if finished[id] >= 150*time.Millisecond {
			t.Errorf("%s finished after %v: it waited for the silent meter", id, finished[id])
		}
	}
	if finished["M004"] < 3*150*time.Millisecond {
		t.Errorf("the silent meter was given up after %v", finished["M004"])
	}
	st, _ := p.Status(benchDay, "M002")
	if st.State != PollFailed || st.Reason != ReasonLink || st.Attempts != 3 || st.LastError == "" {
		t.Errorf("status %+v", st)
	}
	// The failed meters' registers are stored as missing for the day.
	b.wantDay("M004", benchDay, QualityMissing)
	// Each attempt dials the public association (to read the invocation
	// counter, never read under this key) and the management one.
	if n := b.fleet.device("M002").dials; n != 2*3 {
		t.Errorf("%d dials of the failing meter, want 6", n)
	}
}

func TestPollerGivesUpAtTheWindowEnd(t *testing.T) {
	b := newBench(t, Limits{Global: 1})
	b.addMeter(1, nil)
	b.addMeter(2, nil)
	b.fleet.device("M001").silent = true
	p := b.poller(PollerConfig{Timeout: 100 * time.Millisecond})
	sum, err := p.RunCycle(context.Background(), benchDay, CycleOptions{Until: b.now().Add(50 * time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	// The silent meter took the only slot past the window's end: the
	// other never had its turn.
	if sum.Failures["M001"] != ReasonTimeout || sum.Failures["M002"] != ReasonNotReached {
		t.Errorf("summary %+v", sum)
	}
	if st, _ := p.Status(benchDay, "M002"); st.State != PollFailed || st.Attempts != 0 || st.LastError == "" {
		t.Errorf("status %+v", st)
	}
}

func TestPollerRespectsLimits(t *testing.T) {
	limits := Limits{Global: 5, PerLink: 2, PerConcentrator: 3}
	b := newBench(t, limits)
	for n := 1; n <= 6; n++ {
		b.addMeter(n, func(m *Meter) { m.Link.Address = "gateway:4059" })
	}
	for n := 7; n <= 12; n++ {
		b.addMeter(n, func(m *Meter) {
			m.Link = LinkSpec{Kind: LinkConcentrator, Concentrator: "C1"}
		})
	}
	for _, d := range b.fleet.devices {
		d.delay = 2 * time.Millisecond
	}
	p := b.poller(PollerConfig{})
	sum, err := p.RunCycle(context.Background(), benchDay, CycleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 12 {
		t.Fatalf("summary %+v", sum)
	}
	f := b.fleet
	if got := f.max["tcp gateway:4059"]; got != limits.PerLink {
		t.Errorf("at most %d sessions on the gateway, want %d", got, limits.PerLink)
	}
	if got := f.max["conc C1"]; got != limits.PerConcentrator {
		t.Errorf("at most %d sessions through the concentrator, want %d", got, limits.PerConcentrator)
	}
	if f.maxAll != limits.Global {
		t.Errorf("at most %d sessions at once, want %d", f.maxAll, limits.Global)
	}
	for k, n := range f.max {
		if k[:5] == "meter" && n > 1 {
			t.Errorf("%s had %d sessions at once", k, n)
		}
	}
}

func TestPollerRestartsWhereItStopped(t *testing.T) {
	limits := Limits{Global: 2}
	b := newBench(t, limits)
	for n := 1; n <= 8; n++ {
		_, d := b.addMeter(n, nil)
		d.delay = 3 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := b.poller(PollerConfig{})
	sum, err := p.RunCycle(ctx, benchDay, CycleOptions{Progress: func(pr Progress) {
		if pr.Done == 3 {
			cancel() // the process is stopped in the middle
		}
	}})
	if !errors.Is(err, context.Canceled) || sum.Read < 3 || sum.Read == 8 || sum.Failed != 0 {
		t.Fatalf("first run: %+v, %v", sum, err)
	}
	sessions := map[string]int{}
	done := map[string]bool{}
	statuses, _ := p.Statuses(benchDay)
	for id, d := range b.fleet.devices {
		sessions[id] = d.sessions
		done[id] = statuses[id].State == PollDone
	}

	b.reopen(limits)
	p = b.poller(PollerConfig{})
	sum2, err := p.RunCycle(context.Background(), benchDay, CycleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum2.AlreadyRead != sum.Read || sum.Read+sum2.Read != 8 || sum2.Failed != 0 {
		t.Errorf("second run %+v after %+v", sum2, sum)
	}
	statuses, _ = p.Statuses(benchDay)
	for id, d := range b.fleet.devices {
		if statuses[id].State != PollDone {
			t.Errorf("%s: %+v", id, statuses[id])
		}
		if done[id] && d.sessions != sessions[id] {
			t.Errorf("%s was read again", id)
		}
	}
	rs, _ := b.store.ReadingsOn(benchDay)
	if len(rs) != 8*len(fakeDailyRoles) {
		t.Errorf("%d readings of the day, want %d", len(rs), 8*len(fakeDailyRoles))
	}
}

func TestDayIndexes(t *testing.T) {
	b := newBench(t, Limits{})
	m, d := b.addMeter(1, nil)
	d.valveState = 0
	p := b.poller(PollerConfig{})
	if _, err := p.RunCycle(context.Background(), benchDay, CycleOptions{}); err != nil {
		t.Fatal(err)
	}
	last := d.rows[len(d.rows)-1]
	elec, err := b.store.DayIndexes(m.EAN, benchDay)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"1-0:1.8.1": last.indexes[0], "1-0:1.8.2": last.indexes[1], "1-0:2.8.1": last.indexes[2], "1-0:2.8.2": last.indexes[3]}
	if !maps.Equal(elec.Registers, want) || elec.Quality != QualityRead || elec.Energy != EnergyElectricity ||
		elec.Breaker == nil || elec.Breaker.State != Connected || len(elec.Missing) != 0 {
		t.Errorf("electricity %+v", elec)
	}
	gas, err := b.store.DayIndexes(m.Gas.EAN, benchDay)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(gas.Registers, map[string]int64{"0-1:24.2.3": last.gas}) || gas.Energy != EnergyGas ||
		gas.Breaker == nil || gas.Breaker.State != Disconnected {
		t.Errorf("gas %+v", gas)
	}
	// The consumption of the day before is the difference of two readings.
	prev, err := b.store.DayIndexes(m.EAN, addDays(benchDay, -1))
	if err != nil || elec.Registers["1-0:1.8.1"]-prev.Registers["1-0:1.8.1"] != 5000 || prev.Breaker != nil {
		t.Errorf("day before: %+v, %v", prev, err)
	}
	if _, err := b.store.DayIndexes(m.EAN, addDays(benchDay, 1)); !errors.Is(err, ErrNoReading) {
		t.Errorf("next day: %v", err)
	}
	if _, err := b.store.DayIndexes(ean(t, "54144880000099999"), benchDay); !errors.Is(err, ErrUnknownMeter) {
		t.Errorf("unknown EAN: %v", err)
	}
	// A day stored as missing has no reading.
	if _, err := b.store.PutReadings(Reading{MeterID: m.ID, Day: "2026-01-01", Register: obisImportDay, Quality: QualityMissing}); err != nil {
		t.Fatal(err)
	}
	if r, err := b.store.DayIndexes(m.EAN, "2026-01-01"); !errors.Is(err, ErrNoReading) || len(r.Missing) != 1 {
		t.Errorf("missing day: %+v, %v", r, err)
	}
	if RegisterName(dlms.MustOBIS("1-0:1.8.0.101")) != "1-0:1.8.0.101" {
		t.Error("register name of a billing period")
	}
}

func TestPollerRunsInTheWindow(t *testing.T) {
	b := newBench(t, Limits{})
	b.addMeter(1, nil)
	b.addMeter(2, nil)
	cycles := make(chan Summary, 1)
	p := b.poller(PollerConfig{OnCycle: func(s Summary) { cycles <- s }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	select {
	case s := <-cycles:
		if s.Day != benchDay || s.Read != 2 {
			t.Errorf("cycle %+v", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no cycle ran inside the window")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("run: %v", err)
	}
}

func TestPollerReadsTheMetersAsked(t *testing.T) {
	b := newBench(t, Limits{})
	for n := 1; n <= 3; n++ {
		b.addMeter(n, nil)
	}
	p := b.poller(PollerConfig{})
	sum, err := p.RunCycle(context.Background(), benchDay, CycleOptions{Meters: []string{"M003", "M001", "M003"}})
	if err != nil || sum.Meters != 2 || sum.Read != 2 {
		t.Fatalf("%+v, %v", sum, err)
	}
	if d := b.fleet.device("M002"); d.sessions != 0 {
		t.Error("a meter not asked for was read")
	}
	if _, err := p.RunCycle(context.Background(), benchDay, CycleOptions{Meters: []string{"M001", "M404"}}); !errors.Is(err, ErrUnknownMeter) {
		t.Errorf("unknown meter: %v", err)
	}
	if _, err := p.RunCycle(context.Background(), "10 March", CycleOptions{}); err == nil {
		t.Error("bad day accepted")
	}
	if st, _ := p.Status(benchDay, "M002"); st.State != PollPending || st.Attempts != 0 {
		t.Errorf("status of a meter not tried: %+v", st)
	}
}
