package security

import (
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Limits of the HLS challenges (CtoS and StoC) and the size of an HLS-GMAC
// response.
const (
	MinChallengeSize = 8
	MaxChallengeSize = 64
	HLSResponseSize  = HeaderSize + TagSize // SC ‖ IC ‖ GMAC tag
)

// ErrChallenge means that an HLS challenge is shorter than
// MinChallengeSize or longer than MaxChallengeSize bytes.
var ErrChallenge = errors.New("invalid HLS challenge")

// CheckChallenge reports whether a challenge has an allowed length.
func CheckChallenge(challenge []byte) error {
	if n := len(challenge); n < MinChallengeSize || n > MaxChallengeSize {
		return fmt.Errorf("security: %w: %d bytes, want %d to %d", ErrChallenge, n, MinChallengeSize, MaxChallengeSize)
	}
	return nil
}

// NewChallenge reads a challenge of n bytes from rand, which should be a
// cryptographically secure source such as crypto/rand.Reader.
func NewChallenge(rand io.Reader, n int) ([]byte, error) {
	if n < MinChallengeSize || n > MaxChallengeSize {
		return nil, fmt.Errorf("security: %w: %d bytes, want %d to %d", ErrChallenge, n, MinChallengeSize, MaxChallengeSize)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(rand, b); err != nil {
		return nil, fmt.Errorf("security: reading a challenge: %w", err)
	}
	return b, nil
}

// hlsControl is the control byte of an HLS-GMAC response: suite 0,
// authentication only.
const hlsControl = ControlAuthentication

// AppendHLSResponse appends to dst this side's answer to the peer's
// challenge in HLS authentication mechanism 5 (GMAC): f(challenge) = SC ‖
// IC ‖ GMAC tag, where SC is 0x10, the tag is computed with the global
// encryption key over SC ‖ AK ‖ challenge and the nonce is the own system
// title ‖ ic. The client answers the server's StoC (in
// reply_to_HLS_authentication), the server the client's CtoS. ic is a
// counter value reserved like any other.
func (c *Context) AppendHLSResponse(dst, challenge []byte, ic uint32) ([]byte, error) {
	if err := CheckChallenge(challenge); err != nil {
		return dst, err
	}
	dst = append(dst, byte(hlsControl))
	dst = binary.BigEndian.AppendUint32(dst, ic)
	return c.global.Seal(dst, c.setNonce(c.own[:], ic), nil, c.additionalData(hlsControl, challenge)), nil
}

// VerifyHLSResponse checks the peer's answer f(challenge) to the challenge
// this side sent, with the peer's system title, in constant time. It
// returns the invocation counter that the response carries. Failures wrap
// ErrAuthentication (ErrChallenge or ErrSystemTitle when the check could
// not be made).
func (c *Context) VerifyHLSResponse(challenge, response []byte) (uint32, error) {
	const op = "verify HLS response"
	if err := CheckChallenge(challenge); err != nil {
		return 0, err
	}
	if len(response) != HLSResponseSize {
		return 0, &Error{Op: op, Offset: -1, Err: fmt.Errorf("%w: response of %d bytes, want %d", ErrAuthentication, len(response), HLSResponseSize)}
	}
	ic := binary.BigEndian.Uint32(response[1:HeaderSize])
	if sc := Control(response[0]); sc != hlsControl {
		return ic, &Error{Op: op, Counter: ic, HasCounter: true, Offset: 0, Err: fmt.Errorf("%w: control byte %v, want %v", ErrAuthentication, sc, hlsControl)}
	}
	if !c.peerKnown {
		return ic, &Error{Op: op, Counter: ic, HasCounter: true, Offset: -1, Err: fmt.Errorf("%w: the peer's is not known", ErrSystemTitle)}
	}
	var want [TagSize]byte
	c.global.Seal(want[:0], c.setNonce(c.peer[:], ic), nil, c.additionalData(hlsControl, challenge))
	if subtle.ConstantTimeCompare(want[:], response[HeaderSize:]) != 1 {
		return ic, &Error{Op: op, Counter: ic, HasCounter: true, Offset: -1, Err: ErrAuthentication}
	}
	return ic, nil
}
