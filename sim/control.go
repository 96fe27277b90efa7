package sim

import (
	"fmt"
	"time"
)

// unit returns the disconnect control u; m.mu is held.
func (m *Meter) unit(u Unit) (*Switch, error) {
	if u == Valve {
		if m.gas == nil {
			return nil, ErrNoGas
		}
		return &m.live.valve, nil
	}
	return &m.live.breaker, nil
}

// operate applies trigger tr to unit u at the frontier; m.mu is held.
func (m *Meter) operate(u Unit, tr Trigger) (Transition, error) {
	sw, err := m.unit(u)
	if err != nil {
		return 0, err
	}
	to, name, err := Next(sw.Mode, sw.State, tr)
	if err != nil {
		return 0, fmt.Errorf("%v: %w", u, err)
	}
	m.setState(u, sw, to)
	m.log(transitionEvents[name][u]...)
	return name, nil
}

// setState moves unit u to state to, recording a change of its output.
func (m *Meter) setState(u Unit, sw *Switch, to ControlState) {
	was := sw.Output
	sw.State, sw.Output = to, to.Output()
	if sw.Output != was {
		kind := chElec
		if u == Valve {
			kind = chGas
		}
		m.record(kind, b2i(sw.Output), 0)
	}
	if u == Breaker {
		// Whatever moved the breaker ends a pending limiter reconnection.
		m.live.tripAt = -1
	} else if to != ReadyForReconnection {
		m.live.testUntil = 0
	}
}

// seconds is a limiter duration in the model's whole seconds, at least one
// (so that a trip and a reconnection never happen at the same instant).
func seconds(d time.Duration) int64 {
	return max(1, int64(d/time.Second))
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// fire applies, at the frontier, whatever is due by then: the end of an
// extra load, the end of the valve's safety test, a limiter trip or a
// limiter reconnection.
func (m *Meter) fire() {
	l := &m.live
	t := m.front.t
	if l.loadUntil != 0 && l.loadUntil <= t {
		l.loadUntil, l.loadW = 0, 0
		m.record(chLoad, 0, 0)
	}
	if l.testUntil != 0 && l.testUntil <= t {
		l.testUntil = 0
		_, _ = m.operate(Valve, ManualReconnect)
	}
	if l.overSince >= 0 && l.overSince+seconds(l.limiter.MinOver) <= t {
		l.overSince = -1
		m.log(EventLimiterExceeded)
		if _, err := m.operate(Breaker, LocalDisconnect); err == nil {
			l.tripAt = t
		} else {
			l.overLatched = true
		}
	}
	if l.tripAt >= 0 && l.tripAt+seconds(l.limiter.MinUnder) <= t {
		l.tripAt = -1
		m.log(EventLimiterOK)
		_, _ = m.operate(Breaker, LocalReconnect) // enabled in modes 5 and 6 only
	}
}

// watch follows the limiter over the piece of time that starts at the
// frontier with import power imp, and returns the end of that piece, cut at
// the next thing due.
func (m *Meter) watch(imp, end int64) int64 {
	l := &m.live
	if l.limiter.Active() && m.front.p.elecOn && imp > l.limiter.ThresholdW {
		if l.overSince < 0 && !l.overLatched {
			l.overSince = m.front.t
		}
	} else {
		l.overSince, l.overLatched = -1, false
	}
	if l.overSince >= 0 {
		if at := l.overSince + seconds(l.limiter.MinOver); at < end {
			end = at
		}
	}
	return m.deadlines(end)
}

// deadlines returns end cut at the next timed event after the frontier: the
// end of the extra load or of the safety test, a limiter reconnection.
func (m *Meter) deadlines(end int64) int64 {
	l := &m.live
	t := m.front.t
	for _, at := range [...]int64{l.loadUntil, l.testUntil} {
		if at > t && at < end {
			end = at
		}
	}
	if l.tripAt >= 0 {
		if at := l.tripAt + seconds(l.limiter.MinUnder); at > t && at < end {
			end = at
		}
	}
	return end
}

// RemoteDisconnect executes method 1 (remote_disconnect) of the breaker or
// the valve at now and returns the transition taken.
func (m *Meter) RemoteDisconnect(now time.Time, u Unit) (Transition, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.at(now)
	return m.operate(u, RemoteDisconnect)
}

// RemoteReconnect executes method 2 (remote_reconnect) of the breaker or the
// valve at now and returns the transition taken: d (armed, ready for
// reconnection) in control modes 1, 3, 5 and 6, a (closed) in modes 2 and 4.
func (m *Meter) RemoteReconnect(now time.Time, u Unit) (Transition, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.at(now)
	return m.operate(u, RemoteReconnect)
}

// Switch returns the breaker's or the valve's state at now.
func (m *Meter) Switch(now time.Time, u Unit) (Switch, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.at(now)
	sw, err := m.unit(u)
	if err != nil {
		return Switch{}, err
	}
	return *sw, nil
}

// SetControlMode sets the control mode (attribute 4) of the breaker or the
// valve. Mode 0 closes the output: the control is then always connected.
func (m *Meter) SetControlMode(now time.Time, u Unit, mode ControlMode) error {
	if !mode.Valid() {
		return fmt.Errorf("%v: control mode %d: %w", u, mode, ErrControlMode)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.at(now)
	sw, err := m.unit(u)
	if err != nil {
		return err
	}
	sw.Mode = mode
	if mode == 0 && sw.State != Connected {
		m.setState(u, sw, Connected)
	}
	return nil
}

// PressResult tells what a press of the customer's button did.
type PressResult struct {
	// Breaker is the breaker's transition: e (closed), f (opened) or none.
	Breaker Transition
	// SafetyTest is true when the press started the gas valve's
	// leak-tightness test; the valve opens at ValveOpensAt (meter's clock)
	// unless it is disconnected remotely before.
	SafetyTest   bool
	ValveOpensAt time.Time
}

// Press is a press of the customer's button at now. A breaker ready for
// reconnection closes (manual_reconnect); a valve ready for reconnection
// starts its safety test and opens when the test ends. When neither was
// waiting for the button, a closed breaker opens (manual_disconnect) if its
// control mode allows it.
func (m *Meter) Press(now time.Time) PressResult {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.at(now)
	var r PressResult
	if m.live.breaker.State == ReadyForReconnection {
		r.Breaker, _ = m.operate(Breaker, ManualReconnect)
	}
	if v := &m.live.valve; m.gas != nil && v.State == ReadyForReconnection && v.Mode.Enables('e') {
		if m.live.testUntil == 0 {
			m.live.testUntil = t + m.safetyTest
		}
		r.SafetyTest = true
		r.ValveOpensAt = m.timeOf(m.meterTime(t) + m.live.testUntil - t)
	}
	if r.Breaker == 0 && !r.SafetyTest && m.live.breaker.State == Connected {
		r.Breaker, _ = m.operate(Breaker, ManualDisconnect)
	}
	return r
}

// Limiter returns the limiter's configuration.
func (m *Meter) Limiter() Limiter {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.live.limiter
}

// SetLimiter sets the limiter's threshold and durations at now. While the
// limiter is active, the household keeps its own use at or under the
// threshold (it is limited, not cut); only an extra load (SetExtraLoad) can
// push the power above it and trip the breaker.
func (m *Meter) SetLimiter(now time.Time, l Limiter) error {
	if l.ThresholdW < 0 || l.MinOver < 0 || l.MinUnder < 0 {
		return fmt.Errorf("limiter: negative threshold or duration in %+v", l)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.at(now)
	old := m.live.limiter
	m.live.limiter = l
	if old.ThresholdW != l.ThresholdW {
		m.log(EventLimiterChanged)
		capW := int64(-1)
		if l.Active() {
			capW = l.ThresholdW
		}
		m.record(chCap, capW, 0)
	}
	return nil
}

// Consumption returns the meter's consumption mode.
func (m *Meter) Consumption() Consumption {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.live.consumption
}

// SetConsumption changes the consumption model from now on.
func (m *Meter) SetConsumption(now time.Time, c Consumption) error {
	if c.Fixed && (c.WhPerDay < 0 || c.WhPerDay > maxPerDay || c.GasDm3PerDay < 0 || c.GasDm3PerDay > maxPerDay) {
		return fmt.Errorf("consumption: fixed amounts %d Wh, %d dm³ out of range [0, %d]", c.WhPerDay, c.GasDm3PerDay, maxPerDay)
	}
	if !c.Fixed {
		c = Consumption{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.at(now)
	m.live.consumption = c
	if c.Fixed {
		m.record(chMode, c.WhPerDay, c.GasDm3PerDay)
	} else {
		m.record(chMode, -1, 0)
	}
	return nil
}

// SetExtraLoad switches on, at now and for d, an appliance drawing watts on
// top of the household (replacing any extra load still on). The extra load
// is not limited by the household's care: it is how a test makes the power
// exceed the limiter's threshold.
func (m *Meter) SetExtraLoad(now time.Time, watts int64, d time.Duration) error {
	if watts < 0 || watts > maxPerDay || d < 0 {
		return fmt.Errorf("extra load %d W for %v out of range", watts, d)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.at(now)
	secs := int64(d / time.Second)
	if watts == 0 || secs == 0 {
		watts, secs = 0, 0
	}
	m.live.loadW = watts
	m.live.loadUntil = 0
	if secs > 0 {
		m.live.loadUntil = t + secs
	}
	m.record(chLoad, watts, 0)
	return nil
}

// Clock returns the meter's clock at now: the true instant plus the drift.
func (m *Meter) Clock(now time.Time) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.timeOf(m.meterTime(m.at(now)))
}

// ClockOffset returns the drift of the meter's clock at now.
func (m *Meter) ClockOffset(now time.Time) time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.at(now)
	return time.Duration(m.meterTime(t)-t) * time.Second
}

// SetClockOffset makes the meter's clock run ahead of the true time by d (or
// behind when d is negative) from now on, as a drifting clock would; it logs
// nothing.
func (m *Meter) SetClockOffset(now time.Time, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setOffset(m.at(now), int64(d/time.Second))
}

// SetClock sets the meter's clock to clock at now, as a SET of the clock's
// time attribute does, and logs the adjustment.
func (m *Meter) SetClock(now, clock time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.at(now)
	m.log(EventClockAdjustedOld)
	m.setOffset(t, sec(clock)-t)
	m.log(EventClockAdjustedNew)
}

func (m *Meter) setOffset(t, off int64) {
	if n := len(m.offsets); n > 0 && m.offsets[n-1].at == t {
		m.offsets[n-1].off = off
		return
	}
	m.offsets = append(m.offsets, offset{at: t, off: off})
}

// Replace simulates the exchange of the electricity meter at now: the same
// access point, a new meter whose indexes restart at 0. The gas meter is not
// exchanged.
func (m *Meter) Replace(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.replace(now)
}

// replace is Replace with m.mu held.
func (m *Meter) replace(now time.Time) {
	m.at(now)
	m.record(chReset, 0, 0)
	m.faults.Replaced = true
	m.faults.ReplacedAt = m.timeOf(m.front.t)
}

// Display returns the prepayment screens.
func (m *Meter) Display() Display {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.display
}

// SetBalanceUpdate writes screen 1, the date and time of the last balance
// update.
func (m *Meter) SetBalanceUpdate(t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.display.LastUpdate = t.In(m.loc)
}

// SetBalance writes screen 2, the balance in euro cents.
func (m *Meter) SetBalance(cents int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.display.BalanceCents = cents
}

// SetEmergencyCredit writes screen 3, the emergency credit in euro cents.
func (m *Meter) SetEmergencyCredit(cents int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.display.EmergencyCents = cents
}
