package sim

import "time"

// DailyValue is an entry of the daily values profile (1-0:99.2.0), captured
// at local midnight by the meter's clock.
type DailyValue struct {
	Clock time.Time // capture time
	Registers
	GasCaptured time.Time // capture time of the gas volume; zero without a gas meter
}

// LoadValue is an entry of the 15-minute load profile (1-0:99.1.0).
type LoadValue struct {
	Clock    time.Time // end of the quarter-hour, by the meter's clock
	ImportWh int64     // 1-0:1.8.0 at Clock
	ExportWh int64     // 1-0:2.8.0 at Clock
}

// A profile's captures are numbered by an id: the civil day number of a
// daily capture's local midnight, the quarter-hour number of a load
// profile capture.
type profileKind uint8

const (
	dailyProfile profileKind = iota
	loadProfile
)

// dayNum returns the civil day number of meter time mt in the meter's zone.
func (m *Meter) dayNum(mt int64) int64 {
	y, mo, d := time.Unix(mt, 0).In(m.loc).Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// midnight returns the local midnight of civil day number n.
func (m *Meter) midnight(n int64) int64 {
	y, mo, d := time.Unix(n*86400, 0).UTC().Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, m.loc).Unix()
}

// captureTime is the meter time of capture id.
func (m *Meter) captureTime(k profileKind, id int64) int64 {
	if k == dailyProfile {
		return m.midnight(id)
	}
	return id * slotSec
}

// idsFrom returns the id of the first capture at or after meter time mt.
func (m *Meter) idsFrom(k profileKind, mt int64) int64 {
	if k == dailyProfile {
		id := m.dayNum(mt)
		if m.midnight(id) < mt {
			id++
		}
		return id
	}
	return -((-mt) / slotSec) // ceiling; captures are at quarter-hours
}

// idsTo returns the id of the last capture at or before meter time mt.
func (m *Meter) idsTo(k profileKind, mt int64) int64 {
	if k == dailyProfile {
		return m.dayNum(mt)
	}
	return (mt - mod(mt, slotSec)) / slotSec
}

// entries returns the ids of the oldest and the newest capture that the
// profile holds with the frontier at t (first > last when it is empty).
func (m *Meter) entries(k profileKind, t int64) (first, last int64) {
	first = m.idsFrom(k, m.start+1)
	last = m.idsTo(k, m.meterTime(t))
	capacity := int64(m.dailyCap)
	if k == loadProfile {
		capacity = int64(m.loadCap)
	}
	return max(first, last-capacity+1), last
}

// captures samples the registers at captures from..to (ids); m.mu is held
// and the frontier is at t.
func (m *Meter) captures(k profileKind, t, from, to int64) ([]int64, []acc) {
	if from > to {
		return nil, nil
	}
	mts := make([]int64, 0, to-from+1)
	ts := make([]int64, 0, to-from+1)
	for id := from; id <= to; id++ {
		mt := m.captureTime(k, id)
		mts = append(mts, mt)
		ts = append(ts, min(m.trueInstant(mt), t))
	}
	out := make([]acc, len(ts))
	m.sample(ts, out)
	return mts, out
}

// byRange returns the ids of the captures held at t whose meter time is in
// [from, to].
func (m *Meter) byRange(k profileKind, t int64, from, to time.Time) (int64, int64) {
	first, last := m.entries(k, t)
	return max(first, m.idsFrom(k, sec(from))), min(last, m.idsTo(k, sec(to)))
}

// byEntry returns the ids of entries first..last (1 the oldest, last 0 the
// newest) of the captures held at t.
func (m *Meter) byEntry(k profileKind, t int64, first, last int) (int64, int64) {
	lo, hi := m.entries(k, t)
	n := hi - lo + 1
	if n <= 0 {
		return 1, 0
	}
	f, l := int64(max(first, 1)), int64(last)
	if l == 0 || l > n {
		l = n
	}
	return lo + f - 1, lo + l - 1
}

func (m *Meter) dailyValues(t, from, to int64) []DailyValue {
	mts, regs := m.captures(dailyProfile, t, from, to)
	out := make([]DailyValue, len(mts))
	for i, mt := range mts {
		out[i] = DailyValue{Clock: m.timeOf(mt), Registers: regs[i].registers()}
		if m.gas != nil {
			out[i].GasCaptured = out[i].Clock
		}
	}
	return out
}

func (m *Meter) loadValues(t, from, to int64) []LoadValue {
	mts, regs := m.captures(loadProfile, t, from, to)
	out := make([]LoadValue, len(mts))
	for i, mt := range mts {
		r := regs[i].registers()
		out[i] = LoadValue{Clock: m.timeOf(mt), ImportWh: r.ImportTotal(), ExportWh: r.ExportTotal()}
	}
	return out
}

// DailyEntries returns how many entries the daily values profile holds at
// now (entries_in_use).
func (m *Meter) DailyEntries(now time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	first, last := m.entries(dailyProfile, m.at(now))
	return int(max(0, last-first+1))
}

// DailyValues returns the daily values captured at meter times within [from,
// to], oldest first, as a range selective access reads them.
func (m *Meter) DailyValues(now, from, to time.Time) []DailyValue {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.at(now)
	lo, hi := m.byRange(dailyProfile, t, from, to)
	return m.dailyValues(t, lo, hi)
}

// DailyValuesByEntry returns entries first to last of the daily values
// profile (1 is the oldest entry held; last 0 means the newest), as an entry
// selective access reads them.
func (m *Meter) DailyValuesByEntry(now time.Time, first, last int) []DailyValue {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.at(now)
	lo, hi := m.byEntry(dailyProfile, t, first, last)
	return m.dailyValues(t, lo, hi)
}

// LoadEntries returns how many entries the load profile holds at now.
func (m *Meter) LoadEntries(now time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	first, last := m.entries(loadProfile, m.at(now))
	return int(max(0, last-first+1))
}

// LoadValues returns the load profile entries captured within [from, to].
func (m *Meter) LoadValues(now, from, to time.Time) []LoadValue {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.at(now)
	lo, hi := m.byRange(loadProfile, t, from, to)
	return m.loadValues(t, lo, hi)
}

// LoadValuesByEntry returns entries first to last of the load profile (1 is
// the oldest entry held; last 0 means the newest).
func (m *Meter) LoadValuesByEntry(now time.Time, first, last int) []LoadValue {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.at(now)
	lo, hi := m.byEntry(loadProfile, t, first, last)
	return m.loadValues(t, lo, hi)
}
