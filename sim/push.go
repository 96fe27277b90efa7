package sim

import "time"

// Push is the content of the daily push (push setup 0-1:25.9.0): the clock,
// the four electricity indexes and the gas volume with its capture time, as
// the meter reads them when it pushes.
type Push struct {
	Clock     time.Time
	Registers Registers
	Gas       GasReading // zero without a gas meter
}

// PushDelay returns when the daily push is sent, after local midnight by the
// meter's clock.
func (m *Meter) PushDelay() time.Duration { return m.pushDelay }

// NextPush returns the true instant of the first daily push strictly after
// the instant after.
func (m *Meter) NextPush(after time.Time) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := sec(after)
	mt := m.meterTime(t)
	delay := int64(m.pushDelay / time.Second)
	day := m.dayNum(mt)
	p := m.midnight(day) + delay
	for m.trueInstant(p) <= t {
		day++
		p = m.midnight(day) + delay
	}
	return m.timeOf(m.trueInstant(p))
}

// PushContent returns what the daily push carries at now.
func (m *Meter) PushContent(now time.Time) Push {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.at(now)
	p := Push{Clock: m.timeOf(m.meterTime(t)), Registers: m.front.r.registers()}
	if m.gas != nil {
		p.Gas = m.gasAt(t)
	}
	return p
}
