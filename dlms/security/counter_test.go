package security_test

import (
	"errors"
	"testing"

	"github.com/openhes/hes/dlms/security"
)

var _ security.CounterReserver = (*security.MemoryCounter)(nil)

func TestMemoryCounter(t *testing.T) {
	type step struct {
		n     uint32
		first uint32
		err   error
	}
	tests := []struct {
		name  string
		start uint32
		steps []step
		next  uint32
		ok    bool
	}{
		{"from zero", 0, []step{{1, 0, nil}, {1, 1, nil}, {10, 2, nil}, {1, 12, nil}}, 13, true},
		{"up to the last value", 0xFFFFFFFD, []step{{2, 0xFFFFFFFD, nil}, {1, 0xFFFFFFFF, nil}, {1, 0, security.ErrCounterExhausted}}, 0, false},
		{"a reservation past the end reserves nothing", 0xFFFFFFF0,
			[]step{{17, 0, security.ErrCounterExhausted}, {16, 0xFFFFFFF0, nil}, {1, 0, security.ErrCounterExhausted}}, 0, false},
		{"the whole range at once", 0, []step{{0xFFFFFFFF, 0, nil}, {1, 0xFFFFFFFF, nil}, {1, 0, security.ErrCounterExhausted}}, 0, false},
		{"zero values", 5, []step{{0, 0, errors.New("any")}, {1, 5, nil}}, 6, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := security.NewMemoryCounter(tt.start)
			for i, s := range tt.steps {
				first, err := m.Reserve(s.n)
				switch {
				case s.err == nil && (err != nil || first != s.first):
					t.Fatalf("step %d: Reserve(%d) = %#x, %v; want %#x", i, s.n, first, err, s.first)
				case s.err != nil && err == nil:
					t.Fatalf("step %d: Reserve(%d) = %#x, want an error", i, s.n, first)
				case s.err == security.ErrCounterExhausted && !errors.Is(err, security.ErrCounterExhausted):
					t.Fatalf("step %d: Reserve(%d): %v, want ErrCounterExhausted", i, s.n, err)
				}
			}
			if next, ok := m.Next(); ok != tt.ok || (ok && next != tt.next) {
				t.Errorf("Next = %#x %v, want %#x %v", next, ok, tt.next, tt.ok)
			}
		})
	}
}

func TestNearExhaustion(t *testing.T) {
	tests := []struct {
		ic, margin uint32
		want       bool
	}{
		{0xFFFFFFFF, 1, true},
		{0xFFFFFFFE, 1, false},
		{0xFFFFFFFE, 2, true},
		{0xFFFFFFFF, 0, false},
		{0, 0xFFFFFFFF, false},
		{1, 0xFFFFFFFF, true},
		{0xFF000000, 0x01000000, true},
		{0xFEFFFFFF, 0x01000000, false},
	}
	for _, tt := range tests {
		if got := security.NearExhaustion(tt.ic, tt.margin); got != tt.want {
			t.Errorf("NearExhaustion(%#x, %#x) = %v", tt.ic, tt.margin, got)
		}
	}
}

func TestReplayGuard(t *testing.T) {
	var g security.ReplayGuard
	if _, ok := g.Last(); ok {
		t.Fatal("a new guard has a last value")
	}
	steps := []struct {
		ic   uint32
		last uint32 // last accepted, when rejected
		ok   bool
	}{
		{0, 0, true},
		{0, 0, false},
		{5, 0, true},
		{3, 5, false},
		{5, 5, false},
		{6, 0, true},
		{0xFFFFFFFF, 0, true},
		{0xFFFFFFFF, 0xFFFFFFFF, false},
		{0, 0xFFFFFFFF, false},
	}
	for i, s := range steps {
		checkErr := g.Check(s.ic)
		err := g.Accept(s.ic)
		if (checkErr == nil) != (err == nil) {
			t.Fatalf("step %d: Check %v but Accept %v", i, checkErr, err)
		}
		if s.ok {
			if err != nil {
				t.Fatalf("step %d: Accept(%d): %v", i, s.ic, err)
			}
			if last, ok := g.Last(); !ok || last != s.ic {
				t.Fatalf("step %d: Last = %d %v", i, last, ok)
			}
			continue
		}
		var re *security.ReplayError
		if !errors.Is(err, security.ErrReplay) || !errors.As(err, &re) || re.Received != s.ic || re.Last != s.last {
			t.Fatalf("step %d: Accept(%d): %v, want a replay of %d after %d", i, s.ic, err, s.ic, s.last)
		}
	}

	resumed := security.NewReplayGuard(100)
	if err := resumed.Check(100); !errors.Is(err, security.ErrReplay) {
		t.Errorf("resumed guard accepts its last value: %v", err)
	}
	if err := resumed.Check(101); err != nil {
		t.Errorf("Check(101): %v", err)
	}
	if last, _ := resumed.Last(); last != 100 {
		t.Errorf("Check recorded a value: last %d", last)
	}
	if got := (&security.ReplayError{Received: 3, Last: 5}).Error(); got != "security: invocation counter replayed: received 3, last accepted 5" {
		t.Errorf("ReplayError = %q", got)
	}
}
