// Package wrapper encodes and decodes the wrapper of IEC 62056-47 (DLMS/COSEM
// over TCP or UDP): an 8-byte header, then one APDU.
//
//	version (2 bytes, 0x0001) | source wPort (2) | destination wPort (2) | APDU length (2) | APDU
//
// The wPorts play the part of the HDLC addresses: the client SAP on the
// client side, the logical device on the server side. All fields are
// big-endian.
//
// ParseFrame and AppendFrame work on one frame; a Deframer splits a TCP
// byte stream into frames. Unlike HDLC there is no flag and no checksum:
// a stream whose header is wrong cannot be resynchronised, so the
// Deframer's errors are final and the connection should be closed.
package wrapper

import (
	"errors"
	"fmt"
)

// Version is the only wrapper protocol version.
const Version = 0x0001

// HeaderLen is the size of the wrapper header.
const HeaderLen = 8

// MaxAPDU is the largest APDU the 16-bit length field can announce.
const MaxAPDU = 0xFFFF

// Header is the wrapper header.
type Header struct {
	Version uint16
	Source  uint16 // source wPort
	Dest    uint16 // destination wPort
	Length  uint16 // length of the APDU that follows
}

// Errors, wrapped in a *HeaderError. Test them with errors.Is.
var (
	ErrShort    = errors.New("input ends early")
	ErrVersion  = errors.New("unsupported wrapper version")
	ErrLength   = errors.New("length does not match the input")
	ErrTooLarge = errors.New("APDU above the maximum size")
)

// HeaderError says what is wrong with a wrapper frame and where.
type HeaderError struct {
	Offset int // offset of the faulty field, from the start of the frame (or stream, for a Deframer)
	Err    error
}

func (e *HeaderError) Error() string { return fmt.Sprintf("wrapper: %v at offset %d", e.Err, e.Offset) }

func (e *HeaderError) Unwrap() error { return e.Err }

// AppendHeader appends the encoding of h to dst.
func AppendHeader(dst []byte, h Header) []byte {
	return append(dst,
		byte(h.Version>>8), byte(h.Version),
		byte(h.Source>>8), byte(h.Source),
		byte(h.Dest>>8), byte(h.Dest),
		byte(h.Length>>8), byte(h.Length))
}

// AppendFrame appends a wrapper frame carrying apdu from wPort source to
// wPort dest, with version 1 and the length filled in. It fails when apdu
// is longer than MaxAPDU.
func AppendFrame(b []byte, source, dest uint16, apdu []byte) ([]byte, error) {
	if len(apdu) > MaxAPDU {
		return b, fmt.Errorf("wrapper: %w: %d bytes", ErrTooLarge, len(apdu))
	}
	b = AppendHeader(b, Header{Version: Version, Source: source, Dest: dest, Length: uint16(len(apdu))})
	return append(b, apdu...), nil
}

// ParseHeader decodes the header at the start of b. It checks the version
// but not that the APDU follows.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, &HeaderError{Offset: len(b), Err: fmt.Errorf("%w: %d-byte header", ErrShort, len(b))}
	}
	h := Header{
		Version: uint16(b[0])<<8 | uint16(b[1]),
		Source:  uint16(b[2])<<8 | uint16(b[3]),
		Dest:    uint16(b[4])<<8 | uint16(b[5]),
		Length:  uint16(b[6])<<8 | uint16(b[7]),
	}
	if h.Version != Version {
		return Header{}, &HeaderError{Offset: 0, Err: fmt.Errorf("%w: 0x%04X", ErrVersion, h.Version)}
	}
	return h, nil
}

// ParseFrame decodes one complete wrapper frame, b, and returns its header
// and its APDU, which points into b. The length field must match the
// input exactly.
func ParseFrame(b []byte) (Header, []byte, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return Header{}, nil, err
	}
	if n := len(b) - HeaderLen; n != int(h.Length) {
		return Header{}, nil, &HeaderError{Offset: 6, Err: fmt.Errorf("%w: header says %d bytes, %d follow", ErrLength, h.Length, n)}
	}
	return h, b[HeaderLen:], nil
}
