package security

import (
	"errors"
	"fmt"
)

// MaxCounter is the last invocation counter value: a key whose counter has
// reached it must be changed before anything more is sent.
const MaxCounter = 0xFFFFFFFF

// ErrCounterExhausted means that a reservation would take the invocation
// counter past MaxCounter.
var ErrCounterExhausted = errors.New("invocation counter exhausted")

// CounterReserver hands out the invocation counter values of the APDUs
// sent under one key. Reserve(n) reserves n consecutive values, at least
// one, and returns the first. A value once returned is never returned
// again, not even after a restart or a key change; a reservation that
// would go past MaxCounter fails with ErrCounterExhausted and reserves
// nothing. A persistent implementation records the reservation before it
// returns, so that a crash can skip values but never reuse one.
type CounterReserver interface {
	Reserve(n uint32) (first uint32, err error)
}

// MemoryCounter is a CounterReserver that lives in memory, for tests and
// the simulator. It is not safe for concurrent use.
type MemoryCounter struct {
	next uint64 // MaxCounter+1 when exhausted
}

// NewMemoryCounter returns a MemoryCounter whose next value is next.
func NewMemoryCounter(next uint32) *MemoryCounter { return &MemoryCounter{next: uint64(next)} }

// Reserve implements CounterReserver.
func (m *MemoryCounter) Reserve(n uint32) (uint32, error) {
	if n == 0 {
		return 0, errors.New("security: reserve: zero counter values")
	}
	if left := MaxCounter + 1 - m.next; uint64(n) > left {
		return 0, fmt.Errorf("security: reserve %d: %w (%d values left)", n, ErrCounterExhausted, left)
	}
	first := uint32(m.next)
	m.next += uint64(n)
	return first, nil
}

// Next returns the value that the next reservation starts with, and false
// when the counter is exhausted.
func (m *MemoryCounter) Next() (uint32, bool) {
	return uint32(m.next), m.next <= MaxCounter
}

// NearExhaustion reports whether the invocation counter ic is within
// margin of 2^32, that is whether 2^32 - ic <= margin: the caller then
// logs it and plans a key change. A margin of 0 never reports.
func NearExhaustion(ic, margin uint32) bool {
	return 1<<32-uint64(ic) <= uint64(margin)
}

// ErrReplay is matched (errors.Is) by every *ReplayError.
var ErrReplay = errors.New("invocation counter replayed")

// ReplayError reports a received invocation counter that is not greater
// than the last one accepted.
type ReplayError struct {
	Received uint32 // the counter of the rejected APDU
	Last     uint32 // the last counter accepted
}

func (e *ReplayError) Error() string {
	return fmt.Sprintf("security: %v: received %d, last accepted %d", ErrReplay, e.Received, e.Last)
}

// Is reports whether target is ErrReplay.
func (e *ReplayError) Is(target error) bool { return target == ErrReplay }

// ReplayGuard rejects received invocation counters that do not increase,
// for one peer and one key (start a new guard when the key changes). The
// zero value has seen nothing and accepts any first counter. It is not
// safe for concurrent use.
type ReplayGuard struct {
	last uint32
	seen bool
}

// NewReplayGuard returns a guard that has already accepted last, to resume
// from a persisted value.
func NewReplayGuard(last uint32) *ReplayGuard { return &ReplayGuard{last: last, seen: true} }

// Check returns a *ReplayError if ic is not greater than the last counter
// accepted, without recording anything.
func (g *ReplayGuard) Check(ic uint32) error {
	if g.seen && ic <= g.last {
		return &ReplayError{Received: ic, Last: g.last}
	}
	return nil
}

// Accept checks ic and records it as the last counter accepted. Call it
// only once the APDU that carries ic has been authenticated.
func (g *ReplayGuard) Accept(ic uint32) error {
	if err := g.Check(ic); err != nil {
		return err
	}
	g.last, g.seen = ic, true
	return nil
}

// Last returns the last counter accepted, and false if there is none.
func (g *ReplayGuard) Last() (uint32, bool) { return g.last, g.seen }
