package security

import (
	"encoding/binary"
	"fmt"

	"github.com/openhes/hes/dlms/axdr"
)

// Sizes of the parts of a suite 0 ciphered APDU.
const (
	HeaderSize      = 5  // security header: control byte and invocation counter
	TagSize         = 12 // authentication tag
	SystemTitleSize = 8  // system title
	KeySize         = 16 // AES-128 key
)

// Ciphered is a ciphered APDU split into its parts, not deciphered.
// Parsing leaves SystemTitle and Payload aliasing the input.
type Ciphered struct {
	Tag byte // a glo- or ded- tag, TagGeneralGloCiphering or TagGeneralDedCiphering
	// SystemTitle is the sender's system title, carried by the general
	// ciphering APDUs only (nil for the others; Append ignores it there).
	SystemTitle []byte
	Control     Control // security control byte
	Counter     uint32  // invocation counter
	// Payload follows the security header: the ciphertext, or the plaintext
	// when the APDU is only authenticated, followed by the 12-byte
	// authentication tag when it is authenticated.
	Payload []byte
}

// Ciphering returns the form of the APDU from its tag and, for the global
// forms, the broadcast-key bit of its control byte. It returns 0 when the
// tag is not a ciphered tag.
func (c Ciphered) Ciphering() Ciphering {
	bc := c.Control.BroadcastKey()
	switch tagTable[c.Tag].kind {
	case kindGlo:
		if bc {
			return ServiceBroadcast
		}
		return ServiceGlobal
	case kindDed:
		return ServiceDedicated
	case kindGeneralGlo:
		if bc {
			return GeneralBroadcast
		}
		return GeneralGlobal
	case kindGeneralDed:
		return GeneralDedicated
	}
	return 0
}

// Append appends the encoded APDU to dst, with canonical A-XDR lengths.
func (c Ciphered) Append(dst []byte) []byte {
	dst = append(dst, c.Tag)
	if c.Ciphering().General() {
		dst = axdr.AppendLength(dst, len(c.SystemTitle))
		dst = append(dst, c.SystemTitle...)
	}
	dst = axdr.AppendLength(dst, HeaderSize+len(c.Payload))
	dst = append(dst, byte(c.Control))
	dst = binary.BigEndian.AppendUint32(dst, c.Counter)
	return append(dst, c.Payload...)
}

// ParseCiphered reads one ciphered APDU from the front of b and returns it
// with the number of bytes it took. Errors are *Error values wrapping
// ErrMalformed. The control byte is returned as read; Context.Decrypt
// judges it.
func ParseCiphered(b []byte) (Ciphered, int, error) {
	c, n, off, err := parseCiphered(b)
	if err != nil {
		return c, 0, &Error{Op: "parse", Tag: c.Tag, Offset: off, Err: err}
	}
	return c, n, nil
}

// parseCiphered does the work of ParseCiphered. On failure it returns the
// offset of the problem and its reason.
func parseCiphered(b []byte) (c Ciphered, n, off int, err error) {
	if len(b) == 0 {
		return c, 0, 0, fmt.Errorf("%w: empty input", ErrMalformed)
	}
	if !IsCiphered(b[0]) {
		return c, 0, 0, fmt.Errorf("%w: tag 0x%02X is not a ciphered APDU tag", ErrMalformed, b[0])
	}
	c.Tag = b[0]
	i := 1
	if k := tagTable[c.Tag].kind; k == kindGeneralGlo || k == kindGeneralDed {
		l, size, err := axdr.ReadLength(b[i:])
		if err != nil {
			return c, 0, i, fmt.Errorf("%w: system title length: %w", ErrMalformed, err)
		}
		i += size
		if l > len(b)-i {
			return c, 0, i, fmt.Errorf("%w: system title of %d bytes, %d left", ErrMalformed, l, len(b)-i)
		}
		c.SystemTitle = b[i : i+l : i+l]
		i += l
	}
	l, size, err := axdr.ReadLength(b[i:])
	if err != nil {
		return c, 0, i, fmt.Errorf("%w: content length: %w", ErrMalformed, err)
	}
	i += size
	if l < HeaderSize {
		return c, 0, i, fmt.Errorf("%w: content of %d bytes is shorter than the %d-byte security header", ErrMalformed, l, HeaderSize)
	}
	if l > len(b)-i {
		return c, 0, i, fmt.Errorf("%w: content of %d bytes, %d left", ErrMalformed, l, len(b)-i)
	}
	c.Control = Control(b[i])
	c.Counter = binary.BigEndian.Uint32(b[i+1 : i+HeaderSize])
	c.Payload = b[i+HeaderSize : i+l : i+l]
	return c, i + l, 0, nil
}
