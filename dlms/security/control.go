package security

import (
	"fmt"
	"strings"
)

// Control is the security control byte that opens the security header:
// bits 0-3 the security suite, then one bit each for authentication,
// encryption, the broadcast key and compression.
type Control uint8

// The bits of the security control byte.
const (
	ControlSuite          Control = 0x0F // mask of the security suite id
	ControlAuthentication Control = 0x10 // the APDU carries an authentication tag
	ControlEncryption     Control = 0x20 // the APDU is encrypted
	ControlBroadcastKey   Control = 0x40 // the global broadcast key is used instead of the unicast key
	ControlCompression    Control = 0x80 // the plaintext is compressed (not supported here)
)

// Suite returns the security suite id (0 for AES-GCM-128).
func (c Control) Suite() uint8 { return uint8(c & ControlSuite) }

// Authenticated reports whether the authentication bit is set.
func (c Control) Authenticated() bool { return c&ControlAuthentication != 0 }

// Encrypted reports whether the encryption bit is set.
func (c Control) Encrypted() bool { return c&ControlEncryption != 0 }

// BroadcastKey reports whether the broadcast-key bit is set.
func (c Control) BroadcastKey() bool { return c&ControlBroadcastKey != 0 }

// Compressed reports whether the compression bit is set.
func (c Control) Compressed() bool { return c&ControlCompression != 0 }

// String describes the byte, e.g. "0x30 (suite 0, authenticated, encrypted)".
func (c Control) String() string {
	parts := []string{fmt.Sprintf("suite %d", c.Suite())}
	if c.Authenticated() {
		parts = append(parts, "authenticated")
	}
	if c.Encrypted() {
		parts = append(parts, "encrypted")
	}
	if c.BroadcastKey() {
		parts = append(parts, "broadcast key")
	}
	if c.Compressed() {
		parts = append(parts, "compressed")
	}
	return fmt.Sprintf("0x%02X (%s)", uint8(c), strings.Join(parts, ", "))
}

// check reports why the control byte cannot be deciphered by suite 0, or
// nil.
func (c Control) check() error {
	switch {
	case c.Suite() != 0:
		return fmt.Errorf("%w: suite %d", ErrUnsupported, c.Suite())
	case c.Compressed():
		return fmt.Errorf("%w: compression", ErrUnsupported)
	case !c.Authenticated() && !c.Encrypted():
		return fmt.Errorf("%w: control byte 0x%02X neither authenticates nor encrypts", ErrMalformed, uint8(c))
	}
	return nil
}

// Policy is the protection that an association applies to the APDUs it
// sends and requires of the APDUs it receives. Its values are those of the
// security_policy attribute of Security setup (class 64) version 0.
type Policy uint8

// The security policies.
const (
	PolicyNone                   Policy = 0 // no ciphering
	PolicyAuthenticated          Policy = 1 // all APDUs authenticated
	PolicyEncrypted              Policy = 2 // all APDUs encrypted
	PolicyAuthenticatedEncrypted Policy = 3 // all APDUs authenticated and encrypted
)

// Authenticated reports whether the policy requires authentication.
func (p Policy) Authenticated() bool { return p&PolicyAuthenticated != 0 }

// Encrypted reports whether the policy requires encryption.
func (p Policy) Encrypted() bool { return p&PolicyEncrypted != 0 }

// Valid reports whether p is one of the four policies.
func (p Policy) Valid() bool { return p <= PolicyAuthenticatedEncrypted }

// String returns the policy's name.
func (p Policy) String() string {
	switch p {
	case PolicyNone:
		return "none"
	case PolicyAuthenticated:
		return "authenticated"
	case PolicyEncrypted:
		return "encrypted"
	case PolicyAuthenticatedEncrypted:
		return "authenticated and encrypted"
	}
	return fmt.Sprintf("policy(%d)", uint8(p))
}

// Control returns the suite 0 security control byte that applies the
// policy with the unicast or dedicated key.
func (p Policy) Control() Control {
	var c Control
	if p.Authenticated() {
		c |= ControlAuthentication
	}
	if p.Encrypted() {
		c |= ControlEncryption
	}
	return c
}

// SatisfiedBy reports whether an APDU protected as c gives at least the
// protection that p requires.
func (p Policy) SatisfiedBy(c Control) bool {
	return (!p.Authenticated() || c.Authenticated()) && (!p.Encrypted() || c.Encrypted())
}
