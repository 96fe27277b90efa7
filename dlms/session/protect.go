package session

import (
	"fmt"
	"io"

	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/security"
)

// protection ciphers the APDUs that one side of an association sends and
// deciphers those it receives, with the invocation counters that go with
// them: its own from a CounterReserver, the peer's checked by one
// ReplayGuard per key.
type protection struct {
	ctx     *security.Context
	counter security.CounterReserver
	global  *security.ReplayGuard // the peer's counter under the global keys
	ded     security.ReplayGuard  // under the dedicated key of this association
}

// newProtection returns the protection of an association. guard may be
// nil, for a new guard.
func newProtection(ctx *security.Context, counter security.CounterReserver, guard *security.ReplayGuard) *protection {
	if guard == nil {
		guard = new(security.ReplayGuard)
	}
	return &protection{ctx: ctx, counter: counter, global: guard}
}

// ciphered reports whether the APDUs of the association are ciphered.
func (p *protection) ciphered() bool { return p != nil && p.ctx.Policy() != security.PolicyNone }

// reserve takes the next invocation counter value.
func (p *protection) reserve() (uint32, error) {
	ic, err := p.counter.Reserve(1)
	if err != nil {
		return 0, fmt.Errorf("session: reserving an invocation counter: %w", err)
	}
	return ic, nil
}

// seal appends to dst the plain APDU ciphered in the form how, with a
// counter value reserved for it.
func (p *protection) seal(dst, plain []byte, how security.Ciphering) ([]byte, error) {
	ic, err := p.reserve()
	if err != nil {
		return dst, err
	}
	out, err := p.ctx.Encrypt(dst, plain, how, ic)
	if err != nil {
		return dst, fmt.Errorf("session: ciphering %v: %w", apdu.Tag(plain[0]), err)
	}
	return out, nil
}

// open deciphers the ciphered APDU b into a new buffer and checks its
// counter with the guard of its key. The guard moves only once the APDU
// is authenticated.
func (p *protection) open(b []byte) ([]byte, security.Ciphered, error) {
	plain, h, err := p.ctx.Decrypt(nil, b)
	if err != nil {
		return nil, h, fmt.Errorf("session: %w", err)
	}
	g := p.global
	if h.Ciphering().Dedicated() {
		g = &p.ded
	}
	if err := g.Accept(h.Counter); err != nil {
		return nil, h, fmt.Errorf("session: %s: %w", security.TagName(h.Tag), err)
	}
	return plain, h, nil
}

// sealedLen returns the size of a plain APDU of n bytes once ciphered in
// the form how.
func (p *protection) sealedLen(n int, how security.Ciphering) int {
	return p.ctx.SealedLen(n, how)
}

// newDedicatedKey reads a dedicated key from rand.
func newDedicatedKey(rand io.Reader) ([]byte, error) {
	key := make([]byte, security.KeySize)
	if _, err := io.ReadFull(rand, key); err != nil {
		return nil, fmt.Errorf("session: reading a dedicated key: %w", err)
	}
	return key, nil
}
