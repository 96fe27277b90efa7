// Package ber reads and writes the BER encoding (ITU-T X.690) of the ACSE
// APDUs of DLMS/COSEM: AARQ, AARE, RLRQ and RLRE.
//
// The Reader is lenient, as meters are: it accepts every definite length
// form, long forms with leading zeros included (0x81 0x05, 0x82 0x00 0x05).
// It refuses the indefinite form, which DLMS never uses. The Builder writes
// canonical DER-style lengths, back-filled when an element is closed, so that
// an encoder appends to a caller's buffer without allocating.
//
// The Reader works like golang.org/x/crypto/cryptobyte's String: each read
// advances past what it read. It checks bounds before every read and reports
// errors with their offset in the input.
package ber

import (
	"errors"
	"fmt"
)

// Tag is the identifier octets of an element read as a big-endian number:
// 0x04 is a universal OCTET STRING, 0xBE the constructed context-specific
// tag [30], 0x5F1F the primitive [APPLICATION 31]. Tags of up to four
// identifier octets are supported.
type Tag uint32

// Tag classes and the constructed bit, as they appear in the first
// identifier octet.
const (
	ClassUniversal   = 0x00
	ClassApplication = 0x40
	ClassContext     = 0x80
	ClassPrivate     = 0xC0
	Constructed      = 0x20
)

// Universal tags used by the ACSE APDUs.
const (
	TagInteger     Tag = 0x02
	TagBitString   Tag = 0x03
	TagOctetString Tag = 0x04
	TagOID         Tag = 0x06
)

// first returns the first identifier octet of t.
func (t Tag) first() byte {
	for t > 0xFF {
		t >>= 8
	}
	return byte(t)
}

// Class returns the class bits of t: ClassUniversal, ClassApplication,
// ClassContext or ClassPrivate.
func (t Tag) Class() int { return int(t.first() & 0xC0) }

// Constructed reports whether t is the tag of a constructed element.
func (t Tag) Constructed() bool { return t.first()&Constructed != 0 }

// String returns the identifier octets in hex, e.g. "0xBE".
func (t Tag) String() string { return fmt.Sprintf("0x%02X", uint32(t)) }

// Errors wrapped in *Error.
var (
	ErrShort      = errors.New("input ends early")
	ErrIndefinite = errors.New("indefinite length")
	ErrLength     = errors.New("length too large")
	ErrTagSize    = errors.New("tag longer than four identifier octets")
	ErrTag        = errors.New("unexpected tag")
	ErrInteger    = errors.New("malformed INTEGER")
)

// Error says where reading stopped and why.
type Error struct {
	Offset int // offset of the faulty element in the input
	Err    error
}

func (e *Error) Error() string { return fmt.Sprintf("ber: offset %d: %v", e.Offset, e.Err) }

func (e *Error) Unwrap() error { return e.Err }
