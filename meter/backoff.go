package meter

import (
	"fmt"
	"time"
)

// Backoff is an exponential backoff with jitter: the wait before retry n
// (n = 1 after the first failure) is Min × 2^(n−1), capped at Max, then
// spread at random by ±Jitter of itself, so that meters that failed
// together do not come back together.
type Backoff struct {
	Min    time.Duration
	Max    time.Duration
	Jitter float64 // from 0 (none) to 1
}

// withDefaults returns b with its zero fields set from def.
func (b Backoff) withDefaults(def Backoff) Backoff {
	if b.Min <= 0 {
		b.Min = def.Min
	}
	if b.Max <= 0 {
		b.Max = def.Max
	}
	if b.Max < b.Min {
		b.Max = b.Min
	}
	if b.Jitter == 0 {
		b.Jitter = def.Jitter
	}
	return b
}

func (b Backoff) validate() error {
	if b.Min < 0 || b.Max < 0 || b.Jitter < 0 || b.Jitter > 1 {
		return fmt.Errorf("meter: backoff min %v, max %v, jitter %v: want durations ≥ 0 and a jitter from 0 to 1", b.Min, b.Max, b.Jitter)
	}
	return nil
}

// Delay returns the wait before retry n (1 for the first retry). u is a
// random number in [0, 1) that places the wait in the jitter band: 0.5
// gives the nominal wait.
func (b Backoff) Delay(n int, u float64) time.Duration {
	d := b.Min
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if b.Jitter > 0 {
		d = time.Duration(float64(d) * (1 + b.Jitter*(2*u-1)))
	}
	return max(d, 0)
}
