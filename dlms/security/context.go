package security

import (
	"crypto/cipher"
	"fmt"
)

// Keys are the suite 0 keys of an association, each KeySize bytes.
// Printing a Keys value with any fmt verb shows which keys are set, never
// their bytes.
type Keys struct {
	Encryption     []byte // global unicast encryption key (EK, GUEK); required
	Authentication []byte // authentication key (AK); required
	Broadcast      []byte // global broadcast encryption key (GBEK); optional
	Dedicated      []byte // dedicated key of the association; optional
}

// Format prints the keys redacted.
func (k Keys) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "security.Keys{Encryption:%s Authentication:%s Broadcast:%s Dedicated:%s}",
		redacted(k.Encryption), redacted(k.Authentication), redacted(k.Broadcast), redacted(k.Dedicated))
}

func redacted(k []byte) string {
	if k == nil {
		return "none"
	}
	return "[redacted]"
}

// Config is what a Context is made of.
type Config struct {
	Keys Keys
	// SystemTitle is the own system title, SystemTitleSize bytes: the nonce
	// of every APDU this side enciphers and of its HLS responses.
	SystemTitle []byte
	// PeerSystemTitle is the peer's system title, SystemTitleSize bytes, or
	// empty until the association tells it (SetPeerSystemTitle).
	PeerSystemTitle []byte
	// Policy is applied to every APDU enciphered and required of every APDU
	// deciphered.
	Policy Policy
}

// Context holds the keys and system titles of one association and
// enciphers and deciphers its APDUs. It copies the keys it is given. A
// Context is not safe for concurrent use.
type Context struct {
	policy    Policy
	own, peer [SystemTitleSize]byte
	peerKnown bool
	ak        [KeySize]byte

	global, broadcast, dedicated cipher.AEAD // nil when the key is not set

	nonce [12]byte
	buf   []byte // additional data
}

// NewContext checks cfg and returns a Context for it. Its errors wrap
// ErrKey, ErrSystemTitle or ErrPolicy and never contain key bytes.
func NewContext(cfg Config) (*Context, error) {
	if !cfg.Policy.Valid() {
		return nil, fmt.Errorf("security: %w: %v", ErrPolicy, cfg.Policy)
	}
	c := &Context{policy: cfg.Policy}
	var err error
	if c.global, err = newAEAD("encryption", cfg.Keys.Encryption); err != nil {
		return nil, err
	}
	if len(cfg.Keys.Authentication) != KeySize {
		return nil, fmt.Errorf("security: %w: authentication key of %d bytes, want %d", ErrKey, len(cfg.Keys.Authentication), KeySize)
	}
	copy(c.ak[:], cfg.Keys.Authentication)
	if cfg.Keys.Broadcast != nil {
		if c.broadcast, err = newAEAD("broadcast", cfg.Keys.Broadcast); err != nil {
			return nil, err
		}
	}
	if err := c.SetDedicatedKey(cfg.Keys.Dedicated); err != nil {
		return nil, err
	}
	if len(cfg.SystemTitle) != SystemTitleSize {
		return nil, fmt.Errorf("security: %w: own system title of %d bytes, want %d", ErrSystemTitle, len(cfg.SystemTitle), SystemTitleSize)
	}
	copy(c.own[:], cfg.SystemTitle)
	if len(cfg.PeerSystemTitle) > 0 {
		if err := c.SetPeerSystemTitle(cfg.PeerSystemTitle); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func newAEAD(name string, key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("security: %w: %s key of %d bytes, want %d", ErrKey, name, len(key), KeySize)
	}
	aead, err := NewGCM(key, TagSize)
	if err != nil {
		return nil, fmt.Errorf("security: %w: %s key", ErrKey, name)
	}
	return aead, nil
}

// SetPeerSystemTitle records the peer's system title, as learned from the
// AARQ or AARE.
func (c *Context) SetPeerSystemTitle(st []byte) error {
	if len(st) != SystemTitleSize {
		return fmt.Errorf("security: %w: peer system title of %d bytes, want %d", ErrSystemTitle, len(st), SystemTitleSize)
	}
	copy(c.peer[:], st)
	c.peerKnown = true
	return nil
}

// SetDedicatedKey installs the dedicated key of the association, or
// removes it when key is nil.
func (c *Context) SetDedicatedKey(key []byte) error {
	if key == nil {
		c.dedicated = nil
		return nil
	}
	aead, err := newAEAD("dedicated", key)
	if err != nil {
		return err
	}
	c.dedicated = aead
	return nil
}

// HasDedicatedKey reports whether a dedicated key is installed.
func (c *Context) HasDedicatedKey() bool { return c.dedicated != nil }

// SystemTitle returns the own system title.
func (c *Context) SystemTitle() []byte { return append([]byte(nil), c.own[:]...) }

// PeerSystemTitle returns the peer's system title, and false when it is
// not known yet.
func (c *Context) PeerSystemTitle() ([]byte, bool) {
	if !c.peerKnown {
		return nil, false
	}
	return append([]byte(nil), c.peer[:]...), true
}

// Policy returns the security policy.
func (c *Context) Policy() Policy { return c.policy }

// key returns the AEAD of the key that the ciphering form uses.
func (c *Context) key(how Ciphering) (cipher.AEAD, error) {
	var k cipher.AEAD
	var name string
	switch {
	case how.Dedicated():
		k, name = c.dedicated, "dedicated"
	case how.Broadcast():
		k, name = c.broadcast, "broadcast"
	default:
		k = c.global
	}
	if k == nil {
		return nil, fmt.Errorf("%w: no %s key", ErrNoKey, name)
	}
	return k, nil
}

// setNonce fills c.nonce with the system title and the invocation counter.
func (c *Context) setNonce(st []byte, ic uint32) []byte {
	copy(c.nonce[:SystemTitleSize], st)
	c.nonce[8], c.nonce[9], c.nonce[10], c.nonce[11] = byte(ic>>24), byte(ic>>16), byte(ic>>8), byte(ic)
	return c.nonce[:]
}

// additionalData returns SC ‖ AK ‖ extra in the Context's buffer.
func (c *Context) additionalData(sc Control, extra []byte) []byte {
	c.buf = append(c.buf[:0], byte(sc))
	c.buf = append(c.buf, c.ak[:]...)
	c.buf = append(c.buf, extra...)
	return c.buf
}
