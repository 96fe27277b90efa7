package hdlc

import (
	"errors"
	"fmt"
)

// Errors of the frame codec, wrapped in a *FrameError by ParseFrame and
// reported through a *SkipError by the Deframer. Test them with errors.Is.
var (
	ErrBadFlag    = errors.New("missing 0x7E flag")
	ErrBadFormat  = errors.New("bad frame format type")
	ErrBadLength  = errors.New("bad frame length")
	ErrBadAddress = errors.New("bad address")
	ErrBadControl = errors.New("bad control field")
	ErrBadHCS     = errors.New("bad header check sequence")
	ErrBadFCS     = errors.New("bad frame check sequence")
	ErrBadParams  = errors.New("bad parameter negotiation field")
	ErrBadLLC     = errors.New("bad LLC header")
)

// errTruncated is returned by the header decoder when its input ends early;
// the Deframer waits for more, ParseFrame reports ErrBadLength.
var errTruncated = errors.New("input ends early")

// FrameError says which part of a frame is wrong and where.
type FrameError struct {
	Offset int   // offset of the faulty field from the opening flag
	Err    error // one of the Err values above, possibly wrapped with detail
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("hdlc: %v at offset %d", e.Err, e.Offset)
}

func (e *FrameError) Unwrap() error { return e.Err }
