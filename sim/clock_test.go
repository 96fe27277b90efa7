package sim

import (
	"context"
	"sync"
	"testing"
	"time"
)

// fakeReal is a settable source of real time.
type fakeReal struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeReal) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeReal) sleep(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
}

func TestClockSpeed(t *testing.T) {
	real := &fakeReal{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, Brussels)
	c := NewClock(start, 3600, real.now)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now at start = %v, want %v", got, start)
	}
	real.sleep(2 * time.Second)
	if got, want := c.Now(), start.Add(2*time.Hour); !got.Equal(want) {
		t.Fatalf("after 2 s at 3600x: %v, want %v", got, want)
	}
	c.Advance(24 * time.Hour)
	if got, want := c.Now(), start.Add(26*time.Hour); !got.Equal(want) {
		t.Fatalf("after Advance(24h): %v, want %v", got, want)
	}
	c.Advance(-time.Hour)
	if got, want := c.Now(), start.Add(26*time.Hour); !got.Equal(want) {
		t.Fatalf("a negative Advance moved the clock to %v", got)
	}
	c.SetSpeed(0)
	real.sleep(time.Hour)
	if got, want := c.Now(), start.Add(26*time.Hour); !got.Equal(want) {
		t.Fatalf("frozen clock moved to %v", got)
	}
	c.SetSpeed(60)
	real.sleep(time.Second)
	if got, want := c.Now(), start.Add(26*time.Hour+time.Minute); !got.Equal(want) {
		t.Fatalf("after 1 s at 60x: %v, want %v", got, want)
	}
	if d, ok := c.RealDuration(time.Hour); !ok || d != time.Minute {
		t.Fatalf("RealDuration(1h) at 60x = %v, %v; want 1m", d, ok)
	}
	c.SetSpeed(0)
	if _, ok := c.RealDuration(time.Hour); ok {
		t.Fatal("RealDuration on a frozen clock reported a duration")
	}
}

func TestClockWaitUntil(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, Brussels)
	c := NewClock(start, 0, nil)
	changed := c.Changed()
	done := make(chan error, 1)
	go func() { done <- c.WaitUntil(context.Background(), start.Add(12*time.Minute)) }()
	c.Advance(5 * time.Minute)
	select {
	case <-changed:
	default:
		t.Fatal("Changed not closed by Advance")
	}
	select {
	case err := <-done:
		t.Fatalf("WaitUntil returned %v after 5 of 12 minutes", err)
	case <-time.After(20 * time.Millisecond):
	}
	c.Advance(7 * time.Minute)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WaitUntil did not return once the clock reached its instant")
	}

	ctx, cancel := context.WithCancel(context.Background())
	go func() { done <- c.WaitUntil(ctx, start.Add(24*time.Hour)) }()
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("WaitUntil after cancel = %v", err)
	}
}

func TestClockWaitUntilRunning(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, Brussels)
	c := NewClock(start, 3600*100, nil) // 100 virtual hours a real second
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.WaitUntil(ctx, start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if c.Now().Before(start.Add(time.Hour)) {
		t.Fatal("WaitUntil returned early")
	}
}
