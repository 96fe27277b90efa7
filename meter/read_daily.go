package meter

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
)

// The daily read.
//
// The reading "of day D" is the value of each index register at D 00:00
// local time (Europe/Brussels by default): the row that the meter's daily
// values profile captured at that midnight. The consumption of day D is
// thus reading(D+1) − reading(D), which is what the settlement charges.
// A profile row belongs to the day whose midnight is nearest to its clock
// column, when it is within CaptureTolerance of it; other rows are
// ignored.
//
// ReadDaily reads, in one management session:
//
//  1. the clock, and its drift from the head-end's clock; a drift above
//     ReadOptions.DriftThreshold is corrected at once (SET of the time);
//  2. the daily values profile by range, from the first day that lacks a
//     reading of quality "read" (at most MaxCatchUp days before D, never
//     before the meter was registered) to D: missed days are caught up;
//  3. when the profile has no row for D 00:00 and D is today, the
//     instantaneous index registers, stored for D with quality
//     "estimated" and the time the meter read them as capture time;
//  4. the breaker's control state (and the gas valve's), returned, not
//     stored as readings.
//
// A value that is lower than the previous reading of its register, or
// that exceeds it by more than MaxDaily per day, is stored as
// "implausible". A day of the range without any value for a register is
// stored as "missing". Storing is idempotent (Store.PutReadings): a
// reading replaces a stored one only with a better quality.

// ReadOptions tune ReadDaily.
type ReadOptions struct {
	// Now is the head-end's clock; time.Now when nil.
	Now func() time.Time
	// MaxCatchUp is how many days before the day read the profile is
	// searched for missed days; 0 means 10, a negative value none.
	MaxCatchUp int
	// DriftThreshold is the clock drift above which the meter's clock is
	// set; 0 means 10 s, a negative value never sets it.
	DriftThreshold time.Duration
	// CaptureTolerance is how far from midnight a profile row may be
	// captured and still count as that midnight's; 0 means 1 h.
	CaptureTolerance time.Duration
	// MaxDaily is, per unit, the largest plausible increase of an index in
	// one day; nil means 1000 kWh for Wh and 200 m³ for m3. An index in a
	// unit without an entry is only checked for going down.
	MaxDaily map[Unit]Quantity
	// Logger receives the events of the read; the zero Logger logs
	// nothing.
	Logger zerolog.Logger
}

// DefaultMaxDaily is the default of ReadOptions.MaxDaily.
var DefaultMaxDaily = map[Unit]Quantity{
	UnitWattHour:   {Value: 1000, Scaler: 3, Unit: UnitWattHour},
	UnitCubicMetre: {Value: 200, Scaler: 0, Unit: UnitCubicMetre},
}

func (o ReadOptions) withDefaults() ReadOptions {
	if o.Now == nil {
		o.Now = time.Now
	}
	switch {
	case o.MaxCatchUp == 0:
		o.MaxCatchUp = 10
	case o.MaxCatchUp < 0:
		o.MaxCatchUp = 0
	}
	if o.DriftThreshold == 0 {
		o.DriftThreshold = 10 * time.Second
	}
	if o.CaptureTolerance <= 0 {
		o.CaptureTolerance = time.Hour
	}
	if o.MaxDaily == nil {
		o.MaxDaily = DefaultMaxDaily
	}
	return o
}

// DailyRead is what ReadDaily did.
type DailyRead struct {
	MeterID string `json:"meter_id"`
	EAN     string `json:"ean"`
	Day     string `json:"day"`
	// Drift is how far the meter's clock was ahead of the head-end's
	// (behind when negative); ClockSet tells that it was corrected.
	Drift    time.Duration `json:"drift"`
	ClockSet bool          `json:"clock_set"`
	// From is the first day that the profile was read for (Day when
	// nothing was missing before it); empty when every reading was there.
	From string `json:"from,omitempty"`
	// Readings are the readings offered to the store, Stored what it did
	// with them.
	Readings []Reading  `json:"readings"`
	Stored   PutSummary `json:"stored"`
	// CaughtUp are the days before Day that got a value.
	CaughtUp []string `json:"caught_up,omitempty"`
	// Estimated tells that Day's indexes come from the instantaneous
	// registers; Missing lists the registers that Day has no value for.
	Estimated bool        `json:"estimated"`
	Missing   []dlms.OBIS `json:"missing,omitempty"`
	// Breaker and GasValve are the disconnect controls' states, nil when
	// not read; BreakerError says why when a read failed.
	Breaker      *BreakerState `json:"breaker,omitempty"`
	GasValve     *BreakerState `json:"gas_valve,omitempty"`
	BreakerError string        `json:"breaker_error,omitempty"`
}

// ReadDaily runs the daily read of day (YYYY-MM-DD, the store's time
// zone) in session s and stores the readings; see the comment at the top
// of this file. It fails when the clock, the profile (unless the fallback
// replaces it) or the store fails; the breaker's state is read on a best
// effort basis.
func ReadDaily(ctx context.Context, s *Session, day string, opts ReadOptions) (DailyRead, error) {
	opts = opts.withDefaults()
	m, st := s.Meter, s.store
	loc := st.Location()
	res := DailyRead{MeterID: m.ID, EAN: m.EAN, Day: day}
	target, err := dayStart(day, loc)
	if err != nil {
		return res, err
	}
	log := opts.Logger.With().Str("meter_id", m.ID).Str("ean", m.EAN).Str("day", day).Logger()

	// 1. The clock.
	clock, err := s.Object(RoleClock)
	if err != nil {
		return res, err
	}
	if res.Drift, err = s.Drift(ctx, clock.OBIS, opts.Now); err != nil {
		return res, fmt.Errorf("meter %q: reading the clock: %w", m.ID, err)
	}
	meterNow := func() time.Time { return opts.Now().Add(res.Drift) }
	if opts.DriftThreshold > 0 && res.Drift.Abs() > opts.DriftThreshold {
		if err := s.SetTime(ctx, clock.OBIS, opts.Now()); err != nil {
			return res, fmt.Errorf("meter %q: setting the clock (drift %v): %w", m.ID, res.Drift, err)
		}
		res.ClockSet = true
		meterNow = opts.Now
		log.Warn().Dur("drift", res.Drift).Msg("meter: clock corrected")
	}

	// 2. The days that lack a reading.
	regs, err := dailyRegisters(m, s.Profile)
	if err != nil {
		return res, err
	}
	first := addDays(day, -opts.MaxCatchUp)
	if !m.Added.IsZero() {
		if added := st.Day(m.Added); added > first {
			first = min(added, day)
		}
	}
	stored, err := st.Readings(m.ID, addDays(first, -opts.MaxCatchUp-1), day)
	if err != nil {
		return res, err
	}
	have := map[dayRegister]Reading{}
	for _, r := range stored {
		have[dayRegister{r.Day, r.Register}] = r
	}
	var todo []string // the days of the range without a read value for every register
	for d := first; d <= day; d = addDays(d, 1) {
		for _, o := range regs {
			if have[dayRegister{d, o.OBIS}].Quality != QualityRead {
				todo = append(todo, d)
				break
			}
		}
	}
	got := map[dayRegister]Reading{}
	var profileErr error
	if len(todo) > 0 {
		res.From = todo[0]
		if pr, ok := s.Profile.Object(RoleDailyValues); ok {
			from, _ := dayStart(res.From, loc)
			buf, err := s.ReadProfileByRange(ctx, pr.OBIS, from.Add(-opts.CaptureTolerance), target.Add(opts.CaptureTolerance))
			if err == nil {
				err = profileReadings(ctx, s, buf, regs, res.From, day, opts.CaptureTolerance, got, log)
			}
			if err != nil {
				if ReasonOf(err) != ReasonData {
					return res, fmt.Errorf("meter %q: reading the daily values: %w", m.ID, err)
				}
				profileErr = err
				log.Warn().Err(err).Msg("meter: daily values unreadable")
			}
		}
	}

	// 3. The fallback for today.
	if slices.Contains(todo, day) && st.Day(opts.Now()) == day {
		for _, o := range regs {
			k := dayRegister{day, o.OBIS}
			if _, ok := got[k]; ok || have[k].Quality == QualityRead {
				continue
			}
			r, err := instantReading(ctx, s, o, day, meterNow)
			if err != nil {
				if ReasonOf(err) != ReasonData {
					return res, fmt.Errorf("meter %q: reading %v: %w", m.ID, o.OBIS, err)
				}
				log.Warn().Err(err).Str("register", o.OBIS.String()).Msg("meter: register unreadable")
				continue
			}
			got[k] = r
			res.Estimated = true
		}
	}
	if profileErr != nil && len(got) == 0 {
		return res, fmt.Errorf("meter %q: reading the daily values: %w", m.ID, profileErr)
	}

	// The readings to store: checked, and the gaps marked missing.
	for _, d := range todo {
		filled := false
		for _, o := range regs {
			k := dayRegister{d, o.OBIS}
			r, ok := got[k]
			if !ok {
				if have[k].Quality == "" {
					r = Reading{MeterID: m.ID, Day: d, Register: o.OBIS, Scaler: o.ScalerUnit.Scaler, Unit: o.ScalerUnit.Unit, Quality: QualityMissing}
					res.Readings = append(res.Readings, r)
				}
				if d == day && have[k].Quality != QualityRead && have[k].Quality != QualityEstimated {
					res.Missing = append(res.Missing, o.OBIS)
				}
				continue
			}
			filled = true
			res.Readings = append(res.Readings, r)
		}
		if filled && d != day {
			res.CaughtUp = append(res.CaughtUp, d)
		}
	}
	checkPlausible(res.Readings, stored, opts.MaxDaily, log)
	if len(res.Readings) > 0 {
		if res.Stored, err = st.PutReadings(res.Readings...); err != nil {
			return res, err
		}
	}
	log.Debug().Int("added", res.Stored.Added).Int("replaced", res.Stored.Replaced).Int("kept", res.Stored.Kept).
		Strs("caught_up", res.CaughtUp).Bool("estimated", res.Estimated).Msg("meter: daily values stored")

	// 4. The breaker and the gas valve.
	res.Breaker, res.GasValve, res.BreakerError = readBreakers(ctx, s, log)
	return res, nil
}

// dayRegister names a reading.
type dayRegister struct {
	day string
	reg dlms.OBIS
}

// dayStart returns 00:00 of day in loc.
func dayStart(day string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, day, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("meter: day %q: want YYYY-MM-DD", day)
	}
	return t, nil
}

// addDays returns the date n days after day (YYYY-MM-DD), which must be
// valid.
func addDays(day string, n int) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}

// daysBetween returns the number of days from a to b.
func daysBetween(a, b string) int {
	ta, err1 := time.Parse(time.DateOnly, a)
	tb, err2 := time.Parse(time.DateOnly, b)
	if err1 != nil || err2 != nil {
		return 0
	}
	return int(tb.Sub(ta).Hours()+12) / 24
}

// dailyRegisters returns the index registers of a daily reading of m: the
// registers that its daily values profile captures (the gas volume only
// when m has a gas meter, on its channel), or the index roles of the
// profile when it has no daily values.
func dailyRegisters(m Meter, p Profile) ([]Object, error) {
	var roles []Role
	if dv, ok := p.Object(RoleDailyValues); ok {
		for _, co := range dv.Capture {
			if co.Attribute == 2 && co.DataIndex == 0 && (co.Class == dlms.ClassRegister || co.Class == dlms.ClassExtendedRegister) {
				roles = append(roles, co.Role)
			}
		}
	} else {
		roles = []Role{RoleImportDay, RoleImportNight, RoleExportDay, RoleExportNight, RoleGasVolume}
	}
	var out []Object
	for _, r := range roles {
		o, ok := p.Object(r)
		if !ok {
			continue
		}
		if o.Channel != 0 {
			if m.Gas == nil {
				continue
			}
			o = o.OnChannel(m.Gas.Channel)
		}
		out = append(out, o)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("meter %q: %w: profile %s has no index register", m.ID, ErrUnsupported, p.Name)
	}
	return out, nil
}

// profileReadings turns the rows of the daily values buffer into readings
// of days from to to, into got.
func profileReadings(ctx context.Context, s *Session, buf *ProfileBuffer, regs []Object, from, to string,
	tolerance time.Duration, got map[dayRegister]Reading, log zerolog.Logger) error {
	clockCol := buf.ClockColumn()
	if clockCol < 0 {
		return fmt.Errorf("%w: the daily values capture no clock", ErrValue)
	}
	type column struct {
		reg     Object
		value   int
		capture int // the capture time column of an extended register, or -1
		su      ScalerUnit
	}
	var cols []column
	for _, o := range regs {
		c := buf.Column(o.Class, o.OBIS, 2)
		if c < 0 {
			continue
		}
		capture := -1
		if o.Class == dlms.ClassExtendedRegister {
			capture = buf.Column(o.Class, o.OBIS, 5)
		}
		cols = append(cols, column{reg: o, value: c, capture: capture})
	}
	if len(buf.Rows) == 0 || len(cols) == 0 {
		return nil
	}
	// The meter's scaler_unit wins over the profile's nominal one.
	objs := make([]Object, len(cols))
	for i, c := range cols {
		objs[i] = c.reg
	}
	units, err := scalerUnits(ctx, s.Client, objs)
	if err != nil {
		return err
	}
	for i := range cols {
		cols[i].su = units[i]
	}
	loc := s.store.Location()
	for row := range buf.Rows {
		at, err := buf.Time(row, clockCol)
		if err != nil {
			log.Warn().Err(err).Int("row", row).Msg("meter: daily values row without a time")
			continue
		}
		d, ok := nearestMidnight(at, loc, tolerance)
		if !ok || d < from || d > to {
			continue
		}
		for _, c := range cols {
			if v, ok := buf.Value(row, c.value); !ok || !v.IsInteger() {
				continue // null-data: no value that day
			}
			q, err := buf.Quantity(row, c.value, c.su)
			if err != nil {
				return err
			}
			captured := at
			if c.capture >= 0 {
				if t, err := buf.Time(row, c.capture); err == nil {
					captured = t
				}
			}
			got[dayRegister{d, c.reg.OBIS}] = Reading{
				MeterID: s.Meter.ID, Day: d, Register: c.reg.OBIS, Value: q.Value, Scaler: q.Scaler, Unit: q.Unit,
				Quality: QualityRead, CapturedAt: captured,
			}
		}
	}
	return nil
}

// nearestMidnight returns the day whose 00:00 in loc is nearest to t, and
// whether t is within tolerance of it.
func nearestMidnight(t time.Time, loc *time.Location, tolerance time.Duration) (string, bool) {
	local := t.In(loc)
	day := local.Format(time.DateOnly)
	start, _ := dayStart(day, loc)
	next, _ := dayStart(addDays(day, 1), loc)
	if next.Sub(local) < local.Sub(start) {
		day, start = addDays(day, 1), next
	}
	return day, t.Sub(start).Abs() <= tolerance
}

// scalerUnits reads the scaler_unit of each register, in one request when
// the association has the with-list services.
func scalerUnits(ctx context.Context, c *Client, regs []Object) ([]ScalerUnit, error) {
	out := make([]ScalerUnit, len(regs))
	if len(regs) > 1 && c.HasListServices() {
		list := make([]apdu.AttributeWithSelection, len(regs))
		for i, o := range regs {
			list[i].Attribute = apdu.AttributeDescriptor{ClassID: o.Class, Instance: o.OBIS, Attribute: 3}
		}
		values, errs, err := c.GetList(ctx, list)
		if err != nil {
			return nil, err
		}
		for i, o := range regs {
			if errs[i] != nil {
				return nil, errs[i]
			}
			if out[i], err = asScalerUnit(values[i]); err != nil {
				return nil, badValue(o.Class, o.OBIS, 3, err)
			}
		}
		return out, nil
	}
	for i, o := range regs {
		su, err := c.ReadScalerUnit(ctx, o.Class, o.OBIS)
		if err != nil {
			return nil, err
		}
		out[i] = su
	}
	return out, nil
}

// instantReading reads the instantaneous value of register o as an
// estimated reading of day.
func instantReading(ctx context.Context, s *Session, o Object, day string, meterNow func() time.Time) (Reading, error) {
	r := Reading{MeterID: s.Meter.ID, Day: day, Register: o.OBIS, Quality: QualityEstimated}
	var q Quantity
	if o.Class == dlms.ClassExtendedRegister {
		x, err := s.ReadExtendedRegister(ctx, o.OBIS)
		if err != nil {
			return r, err
		}
		q, r.CapturedAt = x.Quantity, x.Captured
	} else {
		var err error
		if q, err = s.ReadRegister(ctx, o.OBIS); err != nil {
			return r, err
		}
	}
	if r.CapturedAt.IsZero() {
		r.CapturedAt = meterNow()
	}
	r.Value, r.Scaler, r.Unit = q.Value, q.Scaler, q.Unit
	return r, nil
}

// checkPlausible marks as implausible each new reading (read or estimated)
// that is lower than the previous value of its register, or above it by
// more than the daily maximum of its unit per day between them. The
// previous value is the latest read or estimated reading of an earlier
// day, new or stored: a new reading counts for its day when the store will
// take it (a better quality than the stored one). An implausible value is
// never a reference.
func checkPlausible(news []Reading, stored []Reading, maxDaily map[Unit]Quantity, log zerolog.Logger) {
	type entry struct {
		r   Reading
		new int // index in news, or -1
	}
	byReg := map[dlms.OBIS]map[string]entry{}
	add := func(r Reading, i int) {
		days := byReg[r.Register]
		if days == nil {
			days = map[string]entry{}
			byReg[r.Register] = days
		}
		if old, ok := days[r.Day]; !ok || r.Quality.Better(old.r.Quality) {
			days[r.Day] = entry{r, i}
		}
	}
	for _, r := range stored {
		add(r, -1)
	}
	for i, r := range news {
		add(r, i)
	}
	for reg, days := range byReg {
		order := make([]string, 0, len(days))
		for d := range days {
			order = append(order, d)
		}
		slices.Sort(order)
		var prev Quantity
		prevDay := ""
		for _, d := range order {
			e := days[d]
			if e.r.Quality != QualityRead && e.r.Quality != QualityEstimated {
				continue
			}
			q := Quantity{Value: e.r.Value, Scaler: e.r.Scaler, Unit: e.r.Unit}
			if e.new >= 0 && prevDay != "" {
				if why := implausible(prev, q, daysBetween(prevDay, d), maxDaily); why != "" {
					news[e.new].Quality = QualityImplausible
					log.Warn().Str("register", reg.String()).Str("reading_day", d).Str("value", q.String()).
						Str("previous", prev.String()).Str("previous_day", prevDay).Str("why", why).Msg("meter: implausible reading")
					continue
				}
			}
			prev, prevDay = q, d
		}
	}
}

// implausible says why an index going from prev to cur in days days is
// not plausible, or returns "".
func implausible(prev, cur Quantity, days int, maxDaily map[Unit]Quantity) string {
	if prev.Unit != cur.Unit {
		return ""
	}
	sc := min(prev.Scaler, cur.Scaler)
	a, err1 := prev.Int(sc)
	b, err2 := cur.Int(sc)
	if err1 != nil || err2 != nil {
		return ""
	}
	if b < a {
		return "index went down"
	}
	limit, ok := maxDaily[cur.Unit]
	if !ok || days <= 0 {
		return ""
	}
	l, err := limit.Int(sc)
	if err != nil || l <= 0 {
		return ""
	}
	if l > math.MaxInt64/int64(days) {
		return ""
	}
	if b-a > l*int64(days) {
		return fmt.Sprintf("increase above %v a day", limit)
	}
	return ""
}

// readBreakers reads the states of the breaker and of the gas valve; a
// failure is returned as text.
func readBreakers(ctx context.Context, s *Session, log zerolog.Logger) (breaker, valve *BreakerState, failure string) {
	read := func(r Role) *BreakerState {
		o, err := s.Object(r)
		if err != nil {
			return nil // no such control on this meter
		}
		b, err := s.ReadBreaker(ctx, o.OBIS)
		if err != nil {
			log.Warn().Err(err).Str("object", string(r)).Msg("meter: disconnect control unreadable")
			if failure == "" {
				failure = err.Error()
			}
			return nil
		}
		return &b
	}
	return read(RoleBreaker), read(RoleGasValve), failure
}
