package security

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors, each usable with errors.Is.
var (
	// ErrAuthentication means that an authentication tag or an HLS response
	// did not verify: wrong keys, wrong system title, or tampered bytes.
	ErrAuthentication = errors.New("authentication failed")
	// ErrDecipher is wrapped by every failure of Context.Decrypt other than
	// ErrAuthentication, together with a more specific reason.
	ErrDecipher = errors.New("deciphering failed")
	// ErrMalformed means that a ciphered APDU is not well formed: too short,
	// a length that runs past the end, trailing bytes, an unknown tag.
	ErrMalformed = errors.New("malformed ciphered APDU")
	// ErrUnsupported means that the security control byte asks for
	// something this package does not implement: a suite other than 0, or
	// compression.
	ErrUnsupported = errors.New("unsupported security control")
	// ErrPolicy means that an APDU is protected less than the security
	// policy requires, or that the policy gives nothing to apply.
	ErrPolicy = errors.New("security policy not met")
	// ErrNoKey means that the key an APDU needs (dedicated or broadcast) is
	// not in the Context.
	ErrNoKey = errors.New("key not available")
	// ErrSystemTitle means that a system title is missing, has the wrong
	// length, or is not the expected one.
	ErrSystemTitle = errors.New("system title")
	// ErrServiceTag means that a plain APDU has no service-specific ciphered
	// form (a data-notification, for example): use general ciphering.
	ErrServiceTag = errors.New("no service-specific ciphered tag")
	// ErrKey means that a key, a key-encrypting key or wrapped key data has
	// an invalid length or identifier.
	ErrKey = errors.New("invalid key")
)

// Error reports a failure on received data: a ciphered APDU that could not
// be parsed or deciphered, or an HLS response that did not verify. It never
// carries key material.
type Error struct {
	Op         string // "parse", "decipher" or "verify HLS response"
	Tag        byte   // tag of the ciphered APDU; 0 when there is none
	Counter    uint32 // invocation counter from the security header, if HasCounter
	HasCounter bool
	Offset     int   // byte offset in the input where the problem was found, or -1
	Err        error // ErrAuthentication, or ErrDecipher/ErrMalformed with a reason
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("security: ")
	b.WriteString(e.Op)
	if e.Tag != 0 {
		fmt.Fprintf(&b, " %s (0x%02X)", TagName(e.Tag), e.Tag)
	}
	if e.HasCounter {
		fmt.Fprintf(&b, " IC %d", e.Counter)
	}
	if e.Offset >= 0 {
		fmt.Fprintf(&b, " at offset %d", e.Offset)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the reason.
func (e *Error) Unwrap() error { return e.Err }
