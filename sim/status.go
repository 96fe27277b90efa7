package sim

import "time"

// Status is what a meter shows at an instant: its indexes and clock, the
// state of its breaker, valve and limiter, the prepayment screens, and the
// switches the simulator set on it.
type Status struct {
	ID          string
	EAN         string
	Time        time.Time // the true instant of the status
	Clock       time.Time // the meter's clock
	Registers   Registers
	Tariff      int   // 1 day, 2 night
	ImportW     int64 // active power import
	ExportW     int64 // active power export
	Breaker     Switch
	Limiter     Limiter
	ExtraLoadW  int64 // extra load on, W
	Display     Display
	Consumption Consumption
	Household   Household
	Gas         *GasStatus // nil without a gas meter
	Faults      Faults
}

// GasStatus is what the gas side of a meter shows.
type GasStatus struct {
	Channel int
	EAN     string
	Reading GasReading
	Valve   Switch
	// SafetyTestEnds is when the running leak-tightness test ends and the
	// valve opens (meter's clock); zero when no test runs.
	SafetyTestEnds time.Time
}

// Status returns what the meter shows at now.
func (m *Meter) Status(now time.Time) Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.at(now)
	var d day
	d.load(m, t)
	k := int((t - d.start) / slotSec)
	imp, exp, _ := m.rates(&m.front.p, &d, k)
	s := Status{
		ID:          m.id.ID,
		EAN:         m.id.EAN,
		Time:        m.timeOf(t),
		Clock:       m.timeOf(m.meterTime(t)),
		Registers:   m.front.r.registers(),
		Tariff:      1,
		ImportW:     imp,
		ExportW:     exp,
		Breaker:     m.live.breaker,
		Limiter:     m.live.limiter,
		ExtraLoadW:  m.live.loadW,
		Display:     m.display,
		Consumption: m.live.consumption,
		Household:   m.house,
		Faults:      m.faults,
	}
	if d.night[k] {
		s.Tariff = 2
	}
	if m.gas != nil {
		g := &GasStatus{Channel: m.gas.Channel, EAN: m.gas.EAN, Reading: m.gasAt(t), Valve: m.live.valve}
		if m.live.testUntil != 0 {
			g.SafetyTestEnds = m.timeOf(m.meterTime(t) + m.live.testUntil - t)
		}
		s.Gas = g
	}
	return s
}
