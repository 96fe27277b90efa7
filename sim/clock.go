package sim

import (
	"context"
	"sync"
	"time"
)

// Clock is the virtual time of a fleet: it starts at a given instant and runs
// at a multiple of real time (Speed), and it can be moved forward at once
// (Advance). Speed 0 freezes it, so that only Advance moves it: tests use that
// to make thirty days pass in one call. A Clock is safe for concurrent use.
//
// Meters never read a Clock themselves: every method of Meter takes the
// instant it applies to, which callers take from the fleet's Clock.
type Clock struct {
	mu       sync.Mutex
	real     func() time.Time
	base     time.Time // virtual instant at realBase
	realBase time.Time
	speed    float64
	changed  chan struct{}
}

// NewClock returns a clock that reads start now and then runs speed times
// faster than real time. real is the source of real time; nil means
// time.Now.
func NewClock(start time.Time, speed float64, real func() time.Time) *Clock {
	if real == nil {
		real = time.Now
	}
	if speed < 0 {
		speed = 0
	}
	return &Clock{real: real, base: start, realBase: real(), speed: speed, changed: make(chan struct{})}
}

// Now returns the current virtual instant.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked(c.real())
}

func (c *Clock) nowLocked(real time.Time) time.Time {
	if c.speed == 0 {
		return c.base
	}
	return c.base.Add(time.Duration(float64(real.Sub(c.realBase)) * c.speed))
}

// rebase makes the current virtual instant the new base; c.mu is held.
func (c *Clock) rebase() {
	r := c.real()
	c.base = c.nowLocked(r)
	c.realBase = r
}

// notify wakes the waiters of Changed; c.mu is held.
func (c *Clock) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Advance moves the clock forward by d (a negative d is ignored: virtual
// time never goes back).
func (c *Clock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rebase()
	c.base = c.base.Add(d)
	c.notify()
}

// Speed returns how many virtual seconds pass in one real second.
func (c *Clock) Speed() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.speed
}

// SetSpeed changes the speed from now on; a negative speed counts as 0.
func (c *Clock) SetSpeed(speed float64) {
	if speed < 0 {
		speed = 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rebase()
	c.speed = speed
	c.notify()
}

// Changed returns a channel that is closed at the next Advance or SetSpeed.
func (c *Clock) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// RealDuration returns how long d of virtual time lasts in real time at the
// current speed, and false when the clock is frozen (speed 0).
func (c *Clock) RealDuration(d time.Duration) (time.Duration, bool) {
	s := c.Speed()
	if s == 0 {
		return 0, false
	}
	return time.Duration(float64(d) / s), true
}

// WaitUntil blocks until the virtual time reaches t, following every Advance
// and change of speed, or until ctx is done.
func (c *Clock) WaitUntil(ctx context.Context, t time.Time) error {
	for {
		c.mu.Lock()
		now := c.nowLocked(c.real())
		changed, speed := c.changed, c.speed
		c.mu.Unlock()
		if !now.Before(t) {
			return nil
		}
		var timer *time.Timer
		var tick <-chan time.Time
		if speed > 0 {
			timer = time.NewTimer(time.Duration(float64(t.Sub(now))/speed) + time.Millisecond)
			tick = timer.C
		}
		var err error
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-changed:
		case <-tick:
		}
		if timer != nil {
			timer.Stop()
		}
		if err != nil {
			return err
		}
	}
}
