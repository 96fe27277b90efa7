package sim

import "time"

// Registers returns the indexes at now.
func (m *Meter) Registers(now time.Time) Registers {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.at(now)
	return m.front.r.registers()
}

// RegistersAt returns the indexes at instant t, computed again from the
// model and the history; t after now counts as now.
func (m *Meter) RegistersAt(now, t time.Time) Registers {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.at(now)
	ts := []int64{min(sec(t), f)}
	out := make([]acc, 1)
	m.sample(ts, out)
	return out[0].registers()
}

// Power returns the active power at now: import (1-0:1.7.0) and export
// (1-0:2.7.0), in W. It is constant over each quarter-hour of the model.
func (m *Meter) Power(now time.Time) (importW, exportW int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.at(now)
	var d day
	d.load(m, t)
	importW, exportW, _ = m.rates(&m.front.p, &d, int((t-d.start)/slotSec))
	return importW, exportW
}

// Tariff returns the tariff indicator (0-0:96.14.0) at now: 1 day, 2 night.
// The meter switches bands on the true local time.
func (m *Meter) Tariff(now time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.at(now)
	return m.bands.Tariff(m.timeOf(m.front.t))
}

// GasReading is the gas volume as the electricity meter last captured it from
// the gas meter, on the hour by the meter's clock.
type GasReading struct {
	VolumeDm3 int64     // 0-1:24.2.3 attribute 2, dm³ (m³ with scaler -3)
	Captured  time.Time // attribute 5, capture time
}

// GasReading returns the gas volume with its capture time at now: the volume
// at the last full hour of the meter's clock.
func (m *Meter) GasReading(now time.Time) (GasReading, error) {
	if m.gas == nil {
		return GasReading{}, ErrNoGas
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gasAt(m.at(now)), nil
}

// gasAt returns the gas reading with the frontier at t; m.mu is held.
func (m *Meter) gasAt(t int64) GasReading {
	h := m.meterTime(t)
	h -= mod(h, 3600)
	out := make([]acc, 1)
	m.sample([]int64{min(m.trueInstant(h), t)}, out)
	return GasReading{VolumeDm3: out[0].gas / 900, Captured: m.timeOf(h)}
}

// ClockInfo is what the clock object (0-0:1.0.0, class 8) shows.
type ClockInfo struct {
	Time     time.Time     // the meter's clock, in its time zone
	Offset   time.Duration // the clock's drift from the true time
	DST      bool          // summer time in force
	DSTBegin time.Time     // this year's start of summer time (zero without DST)
	DSTEnd   time.Time     // this year's end of summer time
}

// ClockInfo returns the meter's clock at now with its time zone and summer
// time bounds.
func (m *Meter) ClockInfo(now time.Time) ClockInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.at(now)
	mt := m.timeOf(m.meterTime(t))
	ci := ClockInfo{Time: mt, Offset: time.Duration(m.meterTime(t)-t) * time.Second, DST: mt.IsDST()}
	ci.DSTBegin, ci.DSTEnd = dstBounds(mt.Year(), m.loc)
	return ci
}

// dstBounds returns the start and end of summer time in year y, or zero
// instants when the zone has none that year.
func dstBounds(y int, loc *time.Location) (begin, end time.Time) {
	t := time.Date(y, 1, 1, 12, 0, 0, 0, loc)
	for i := 0; i < 4; i++ {
		_, next := t.ZoneBounds()
		if next.IsZero() || next.Year() != y {
			break
		}
		if next.IsDST() && begin.IsZero() {
			begin = next
		} else if !next.IsDST() && !begin.IsZero() {
			end = next
			break
		}
		t = next
	}
	if end.IsZero() {
		begin = time.Time{}
	}
	return begin, end
}
