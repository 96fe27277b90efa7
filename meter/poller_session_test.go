package meter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/dlms/session"
)

func TestSessionsRaiseTheCounterAboveTheMeters(t *testing.T) {
	b := newBench(t, Limits{})
	m, d := b.addMeter(1, nil)
	// Another client used the key up to 5000.
	d.guard = security.NewReplayGuard(5000)
	do := func() error {
		return b.sess.Do(context.Background(), m.ID, time.Second, func(ctx context.Context, s *Session) error {
			_, err := s.Drift(ctx, obisClock, b.now)
			return err
		})
	}
	if err := do(); err != nil {
		t.Fatalf("first session: %v", err)
	}
	if last, _ := d.guard.Last(); last <= 5000 {
		t.Errorf("the meter last accepted %d", last)
	}
	if d.dials != 2 {
		t.Errorf("%d dials, want the public and the management associations", d.dials)
	}
	// The meter's counters are known now: no public association.
	if err := do(); err != nil || d.dials != 3 {
		t.Fatalf("second session: %v, %d dials", err, d.dials)
	}
	// Another client moved the counter far ahead: the association fails,
	// the counter is read and the association opened again.
	d.guard = security.NewReplayGuard(1_000_000)
	if err := do(); err != nil {
		t.Fatalf("session after the counter moved: %v", err)
	}
	if d.dials != 6 {
		t.Errorf("%d dials, want 6", d.dials)
	}
	keys, _ := b.store.Keys(m.ID)
	c, _ := b.store.SendCounter(m.ID, 1, keys.EK)
	if next, _, _ := c.Next(); next <= 1_000_000 {
		t.Errorf("next counter %d", next)
	}
}

func TestSessionsErrors(t *testing.T) {
	b := newBench(t, Limits{})
	m, d := b.addMeter(1, nil)
	if _, err := b.sess.Open(context.Background(), "nobody"); !errors.Is(err, ErrUnknownMeter) {
		t.Errorf("unknown meter: %v", err)
	}
	// Wrong keys: the meter does not authenticate the head-end.
	d.keys = testKeys(0x55)
	_, err := b.sess.Open(context.Background(), m.ID)
	if r := ReasonOf(err); r != ReasonAuthentication && r != ReasonAssociation {
		t.Errorf("wrong keys: %v (%s)", err, r)
	}
	d.dialErr = io.EOF
	if _, err := b.sess.Open(context.Background(), m.ID); !errors.Is(err, ErrLink) || !errors.Is(err, io.EOF) || ReasonOf(err) != ReasonLink {
		t.Errorf("dial failure: %v", err)
	}
	// A meter never holds two sessions: the second waits for the first.
	d.dialErr, d.keys = nil, testKeys(1)
	s1, err := b.sess.Open(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := b.sess.Open(ctx, m.ID); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second session: %v", err)
	}
	if err := s1.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	s2, err := b.sess.Open(context.Background(), m.ID)
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	if _, err := s2.Object(RoleLoadProfile); err != nil {
		t.Errorf("load profile: %v", err)
	}
	if o, err := s2.Object(RoleGasValve); err != nil || o.OBIS != obisGasValve {
		t.Errorf("gas valve: %v, %v", o.OBIS, err)
	}
	s2.Close(context.Background())
}

type timeoutError struct{}

func (timeoutError) Error() string { return "i/o timeout" }
func (timeoutError) Timeout() bool { return true }

func TestReasonOf(t *testing.T) {
	op := func(err error) error {
		return &OpError{Op: "get", Class: dlms.ClassRegister, OBIS: obisImportDay, Member: 2, Err: err}
	}
	for _, c := range []struct {
		err  error
		want Reason
	}{
		{nil, ""},
		{context.DeadlineExceeded, ReasonTimeout},
		{op(&linkError{os.ErrDeadlineExceeded}), ReasonTimeout},
		{fmt.Errorf("exchange: %w", &linkError{timeoutError{}}), ReasonTimeout},
		{&linkError{errors.New("connection reset")}, ReasonLink},
		{op(fmt.Errorf("%w after a link failure: %w", ErrClosed, io.EOF)), ReasonLink},
		{&OpError{Op: "associate", Err: &apdu.AssociationError{Result: 1}}, ReasonAssociation},
		{&OpError{Op: "associate", Err: fmt.Errorf("HLS pass 4: %w", security.ErrAuthentication)}, ReasonAuthentication},
		{op(&security.Error{Err: security.ErrDecipher}), ReasonDeciphering},
		{op(fmt.Errorf("%w: 7 after 9", security.ErrReplay)), ReasonReplay},
		{op(dlms.DataAccessReadWriteDenied), ReasonData},
		{op(&dlms.ExceptionError{State: 1, Service: 2}), ReasonData},
		{op(fmt.Errorf("%w: want an integer", ErrValue)), ReasonData},
		{op(session.ErrUnexpected), ReasonData},
		{fmt.Errorf("%w: state 1", ErrNotConfirmed), ReasonNotConfirmed},
		{fmt.Errorf("%w: mode 2", ErrRemoteClose), ReasonRefused},
		{ErrNoKeys, ReasonOther},
		{errors.New("disk full"), ReasonOther},
	} {
		if got := ReasonOf(c.err); got != c.want {
			t.Errorf("ReasonOf(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Min: time.Second, Max: 10 * time.Second, Jitter: 0.5}
	for _, c := range []struct {
		n    int
		u    float64
		want time.Duration
	}{
		{1, 0.5, time.Second},
		{2, 0.5, 2 * time.Second},
		{3, 0.5, 4 * time.Second},
		{4, 0.5, 8 * time.Second},
		{5, 0.5, 10 * time.Second},
		{50, 0.5, 10 * time.Second},
		{1, 0, 500 * time.Millisecond},
		{3, 0.75, 5 * time.Second},
		{5, 0.999999, 14999990 * time.Microsecond},
	} {
		if got := b.Delay(c.n, c.u).Round(10 * time.Microsecond); got != c.want {
			t.Errorf("Delay(%d, %v) = %v, want %v", c.n, c.u, got, c.want)
		}
	}
	if got := (Backoff{Min: time.Second, Max: time.Minute}).Delay(3, 0.1); got != 4*time.Second {
		t.Errorf("without jitter: %v", got)
	}
	if err := (Backoff{Jitter: 2}).validate(); err == nil {
		t.Error("jitter 2 accepted")
	}
}

func TestWindowOn(t *testing.T) {
	loc := brusselsTZ(t)
	for _, c := range []struct {
		day        string
		w          Window
		start, end string // UTC
	}{
		{"2026-03-10", DefaultWindow, "2026-03-10T00:00:00Z", "2026-03-10T05:00:00Z"},
		{"2026-07-01", DefaultWindow, "2026-06-30T23:00:00Z", "2026-07-01T04:00:00Z"},
		// Daylight saving starts at 02:00 on 29 March 2026: the window is an
		// hour shorter.
		{"2026-03-29", DefaultWindow, "2026-03-29T00:00:00Z", "2026-03-29T04:00:00Z"},
		{"2026-03-10", Window{Start: 90 * time.Minute, End: 24 * time.Hour}, "2026-03-10T00:30:00Z", "2026-03-10T23:00:00Z"},
	} {
		start, end, err := c.w.On(c.day, loc)
		if err != nil {
			t.Fatal(err)
		}
		if got := start.UTC().Format(time.RFC3339); got != c.start {
			t.Errorf("%s %v: start %s, want %s", c.day, c.w, got, c.start)
		}
		if got := end.UTC().Format(time.RFC3339); got != c.end {
			t.Errorf("%s %v: end %s, want %s", c.day, c.w, got, c.end)
		}
	}
	if _, _, err := DefaultWindow.On("10/03/2026", loc); err == nil {
		t.Error("bad day accepted")
	}
}

func TestNearestMidnight(t *testing.T) {
	loc := brusselsTZ(t)
	for _, c := range []struct {
		at   string
		day  string
		near bool
	}{
		{"2026-03-09T23:00:00Z", "2026-03-10", true}, // 00:00 local
		{"2026-03-09T23:00:30Z", "2026-03-10", true},
		{"2026-03-09T22:10:00Z", "2026-03-10", true}, // 23:10 local
		{"2026-03-09T21:00:00Z", "2026-03-10", false},
		{"2026-03-10T05:00:00Z", "2026-03-10", false},
		{"2026-03-10T12:00:00Z", "2026-03-11", false},
		{"2026-07-01T22:00:00Z", "2026-07-02", true}, // summer time
	} {
		at, _ := time.Parse(time.RFC3339, c.at)
		day, near := nearestMidnight(at, loc, time.Hour)
		if day != c.day || near != c.near {
			t.Errorf("%s: %s %v, want %s %v", c.at, day, near, c.day, c.near)
		}
	}
}

func TestImplausible(t *testing.T) {
	wh := func(v int64, s int8) Quantity { return Quantity{Value: v, Scaler: s, Unit: UnitWattHour} }
	for _, c := range []struct {
		prev, cur Quantity
		days      int
		bad       bool
	}{
		{wh(1000, 0), wh(1000, 0), 1, false},
		{wh(1000, 0), wh(999, 0), 1, true},
		{wh(1000, 0), wh(1000+1_000_000, 0), 1, false},
		{wh(1000, 0), wh(1001+1_000_000, 0), 1, true},
		{wh(1000, 0), wh(1001+1_000_000, 0), 2, false},
		{wh(1, 3), wh(1001, 0), 1, false}, // scalers differ
		{wh(2, 3), wh(1999, 0), 1, true},
		{Quantity{Value: 5, Unit: UnitVarHour}, Quantity{Value: 5e12, Unit: UnitVarHour}, 1, false}, // no maximum for varh
		{wh(5, 0), Quantity{Value: 1, Unit: UnitCubicMetre}, 1, false},                              // units differ
	} {
		if got := implausible(c.prev, c.cur, c.days, DefaultMaxDaily) != ""; got != c.bad {
			t.Errorf("%v → %v in %d days: implausible %v, want %v", c.prev, c.cur, c.days, got, c.bad)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	b := newBench(t, Limits{})
	if _, err := NewSessions(b.store, SessionsConfig{Dial: b.fleet.dial, SystemTitle: []byte("short")}); err == nil {
		t.Error("a system title of 5 bytes accepted")
	}
	if _, err := NewSessions(b.store, SessionsConfig{SystemTitle: hesTitle}); err == nil {
		t.Error("sessions without Dial accepted")
	}
	for _, w := range []Window{{Start: 5 * time.Hour, End: time.Hour}, {Start: -time.Hour, End: time.Hour}, {Start: time.Hour, End: 25 * time.Hour}} {
		if _, err := NewPoller(b.sess, PollerConfig{Window: w}); err == nil {
			t.Errorf("window %v accepted", w)
		}
	}
	if _, err := NewPoller(b.sess, PollerConfig{Backoff: Backoff{Min: -1}}); err == nil {
		t.Error("negative backoff accepted")
	}
	q, _ := b.queue(QueueConfig{}, ExecutorConfig{})
	if _, err := NewExecutor(q, nil, ExecutorConfig{}); err == nil {
		t.Error("an executor without sessions accepted")
	}
	if got := b.sess.Limits(); got != (Limits{Global: 64, PerLink: 1, PerConcentrator: 8}) {
		t.Errorf("default limits %+v", got)
	}
}
