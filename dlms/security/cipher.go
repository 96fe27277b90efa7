package security

import (
	"bytes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"

	"github.com/openhes/hes/dlms/axdr"
)

// Encrypt appends to dst the ciphered form of the plain APDU apdu, in the
// form how, protected as the Context's policy says, with invocation
// counter ic and the own system title as nonce. The caller reserves ic
// (see CounterReserver) and must never use it again with the same key.
// dst must not overlap apdu.
//
// The service-specific forms need an APDU that has a glo-/ded- tag
// (ErrServiceTag otherwise); the dedicated and broadcast forms need their
// key (ErrNoKey); a Context whose policy is PolicyNone enciphers nothing
// (ErrPolicy).
func (c *Context) Encrypt(dst, apdu []byte, how Ciphering, ic uint32) ([]byte, error) {
	if !how.valid() {
		return dst, fmt.Errorf("security: encrypt: invalid ciphering form %d", uint8(how))
	}
	if c.policy == PolicyNone {
		return dst, fmt.Errorf("security: encrypt: %w: the policy protects nothing", ErrPolicy)
	}
	sc := c.policy.Control()
	if how.Broadcast() {
		sc |= ControlBroadcastKey
	}
	aead, err := c.key(how)
	if err != nil {
		return dst, fmt.Errorf("security: encrypt %v: %w", how, err)
	}
	tag, err := cipheredTag(how, apdu)
	if err != nil {
		return dst, err
	}

	n := c.bodyLen(len(apdu))
	dst = append(dst, tag)
	if how.General() {
		dst = append(dst, SystemTitleSize)
		dst = append(dst, c.own[:]...)
	}
	dst = axdr.AppendLength(dst, n)
	dst = append(dst, byte(sc))
	dst = binary.BigEndian.AppendUint32(dst, ic)
	return c.seal(dst, aead, sc, c.setNonce(c.own[:], ic), apdu), nil
}

// SealedLen returns the size of a plain APDU of n bytes once Encrypt has
// ciphered it in the form how: what a session checks against the
// negotiated maximum PDU size.
func (c *Context) SealedLen(n int, how Ciphering) int {
	body := c.bodyLen(n)
	size := 1 + axdr.LengthSize(body) + body
	if how.General() {
		size += 1 + SystemTitleSize
	}
	return size
}

// bodyLen is the size of the security header and payload of a ciphered
// APDU of n plain bytes.
func (c *Context) bodyLen(n int) int {
	n += HeaderSize
	if c.policy.Control().Authenticated() {
		n += TagSize
	}
	return n
}

// cipheredTag returns the tag of apdu ciphered in the form how.
func cipheredTag(how Ciphering, apdu []byte) (byte, error) {
	switch how {
	case GeneralGlobal, GeneralBroadcast:
		return TagGeneralGloCiphering, nil
	case GeneralDedicated:
		return TagGeneralDedCiphering, nil
	}
	if len(apdu) == 0 {
		return 0, fmt.Errorf("security: encrypt: %w for an empty APDU", ErrServiceTag)
	}
	lookup := GlobalTag
	if how.Dedicated() {
		lookup = DedicatedTag
	}
	tag, ok := lookup(apdu[0])
	if !ok {
		return 0, fmt.Errorf("security: encrypt: %w for tag 0x%02X", ErrServiceTag, apdu[0])
	}
	return tag, nil
}

// seal appends the payload of a ciphered APDU: ciphertext and tag,
// plaintext and tag, or ciphertext alone.
func (c *Context) seal(dst []byte, aead cipher.AEAD, sc Control, nonce, plain []byte) []byte {
	switch {
	case sc.Authenticated() && sc.Encrypted():
		return aead.Seal(dst, nonce, plain, c.additionalData(sc, nil))
	case sc.Authenticated():
		dst = append(dst, plain...)
		return aead.Seal(dst, nonce, nil, c.additionalData(sc, plain))
	default:
		return ctr(dst, aead, nonce, plain)
	}
}

// ctr appends in XOR the GCM key stream that starts at counter block 2:
// the encryption of GCM without its tag. Since that is its own inverse, it
// deciphers too. The tag that Seal adds is cut off.
func ctr(dst []byte, aead cipher.AEAD, nonce, in []byte) []byte {
	n := len(dst)
	dst = aead.Seal(dst, nonce, in, nil)
	return dst[:n+len(in)]
}

// Decrypt deciphers the ciphered APDU apdu (exactly one, with nothing
// after it), checks that its protection meets the policy, and appends the
// plain APDU to dst. It also returns the parsed APDU, whose Counter the
// caller then hands to its ReplayGuard: only a successful Decrypt proves
// that the counter is genuine. dst must not overlap apdu.
//
// The nonce is the peer's system title: the one in the APDU for the
// general forms (which must match the peer's if it is known, and must not
// be the own one), the one recorded in the Context for the others.
//
// Errors are *Error values that wrap ErrAuthentication when the tag does
// not verify, and ErrDecipher with a reason (ErrMalformed, ErrUnsupported,
// ErrPolicy, ErrNoKey, ErrSystemTitle) otherwise.
func (c *Context) Decrypt(dst, apdu []byte) ([]byte, Ciphered, error) {
	h, n, off, err := parseCiphered(apdu)
	if err != nil {
		return dst, h, c.decipherError(h, false, off, err)
	}
	if n != len(apdu) {
		return dst, h, c.decipherError(h, true, n, fmt.Errorf("%w: %d bytes after the APDU", ErrMalformed, len(apdu)-n))
	}
	sc := h.Control
	how := h.Ciphering()
	if err := sc.check(); err != nil {
		return dst, h, c.decipherError(h, true, -1, err)
	}
	if how.Dedicated() && sc.BroadcastKey() {
		return dst, h, c.decipherError(h, true, -1, fmt.Errorf("%w: broadcast key bit in dedicated ciphering", ErrMalformed))
	}
	if !c.policy.SatisfiedBy(sc) {
		return dst, h, c.decipherError(h, true, -1, fmt.Errorf("%w: control byte %v under policy %v", ErrPolicy, sc, c.policy))
	}
	aead, err := c.key(how)
	if err != nil {
		return dst, h, c.decipherError(h, true, -1, err)
	}
	st, err := c.senderTitle(h)
	if err != nil {
		return dst, h, c.decipherError(h, true, -1, err)
	}
	if sc.Authenticated() && len(h.Payload) < TagSize {
		return dst, h, c.decipherError(h, true, len(apdu)-len(h.Payload),
			fmt.Errorf("%w: payload of %d bytes is shorter than the %d-byte tag", ErrMalformed, len(h.Payload), TagSize))
	}

	nonce := c.setNonce(st, h.Counter)
	var out []byte
	switch {
	case sc.Authenticated() && sc.Encrypted():
		out, err = aead.Open(dst, nonce, h.Payload, c.additionalData(sc, nil))
	case sc.Authenticated():
		plain, tag := h.Payload[:len(h.Payload)-TagSize], h.Payload[len(h.Payload)-TagSize:]
		if _, err = aead.Open(nil, nonce, tag, c.additionalData(sc, plain)); err == nil {
			out = append(dst, plain...)
		}
	default:
		out = ctr(dst, aead, nonce, h.Payload)
	}
	if err != nil {
		return dst, h, c.decipherError(h, true, -1, ErrAuthentication)
	}
	if want, ok := PlainTag(h.Tag); ok && (len(out) == len(dst) || out[len(dst)] != want) {
		got := "nothing"
		if len(out) > len(dst) {
			got = fmt.Sprintf("tag 0x%02X", out[len(dst)])
		}
		clear(out[len(dst):])
		return dst, h, c.decipherError(h, true, -1, fmt.Errorf("%w: %s holds %s", ErrMalformed, TagName(h.Tag), got))
	}
	return out, h, nil
}

// senderTitle returns the system title that is the nonce of a received
// APDU.
func (c *Context) senderTitle(h Ciphered) ([]byte, error) {
	if !h.Ciphering().General() {
		if !c.peerKnown {
			return nil, fmt.Errorf("%w: the peer's is not known", ErrSystemTitle)
		}
		return c.peer[:], nil
	}
	switch {
	case len(h.SystemTitle) != SystemTitleSize:
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrSystemTitle, len(h.SystemTitle), SystemTitleSize)
	case c.peerKnown && !bytes.Equal(h.SystemTitle, c.peer[:]):
		return nil, fmt.Errorf("%w: %X is not the peer's %X", ErrSystemTitle, h.SystemTitle, c.peer[:])
	case bytes.Equal(h.SystemTitle, c.own[:]):
		return nil, fmt.Errorf("%w: %X is the own system title", ErrSystemTitle, h.SystemTitle)
	}
	return h.SystemTitle, nil
}

func (c *Context) decipherError(h Ciphered, header bool, off int, err error) *Error {
	if err != ErrAuthentication {
		err = fmt.Errorf("%w: %w", ErrDecipher, err)
	}
	return &Error{Op: "decipher", Tag: h.Tag, Counter: h.Counter, HasCounter: header, Offset: off, Err: err}
}
