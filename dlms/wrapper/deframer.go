package wrapper

import (
	"errors"
	"fmt"
)

// ErrNeedMore is returned by Deframer.Next when the buffered bytes hold no
// complete frame: Write more and call Next again.
var ErrNeedMore = errors.New("wrapper: need more input")

// ErrBufferFull is returned by Deframer.Write when the bytes would exceed
// the deframer's limit because the caller has not drained it with Next.
var ErrBufferFull = errors.New("wrapper: deframer buffer full")

// DefaultMaxBuffer is the limit of a Deframer whose MaxBuffer is zero.
const DefaultMaxBuffer = 2 * (HeaderLen + MaxAPDU)

// Deframer splits a byte stream, written in chunks of any size, into
// wrapper frames.
//
// A header with a version other than 1, or announcing an APDU above
// MaxAPDU, makes Next fail with a *HeaderError that stays: the stream has
// no way to find the next frame, so the connection must be closed.
//
// The Deframer keeps the bytes written and not yet consumed, at most
// MaxBuffer (0 means DefaultMaxBuffer; never less than one frame of the
// maximum size). The APDU returned by Next points into that buffer and
// stays valid until the next Write or Reset. Deframing allocates nothing
// per frame.
//
// The zero value is ready to use. A Deframer is not safe for concurrent use.
type Deframer struct {
	// MaxAPDU is the largest APDU accepted, in bytes; 0 means the format's
	// limit, the package constant MaxAPDU.
	MaxAPDU int
	// MaxBuffer bounds the bytes held between Write and Next.
	MaxBuffer int

	buf []byte
	off int   // start of the unconsumed bytes in buf
	pos int64 // stream offset of buf[off]
	err error // the final error, once the stream is broken
}

func (d *Deframer) maxAPDU() int {
	if d.MaxAPDU <= 0 || d.MaxAPDU > MaxAPDU {
		return MaxAPDU
	}
	return d.MaxAPDU
}

// Write appends p to the bytes to deframe. It never keeps p. It fails with
// ErrBufferFull, taking nothing, when the unconsumed bytes would exceed the
// limit.
func (d *Deframer) Write(p []byte) (int, error) {
	if d.off > 0 {
		n := copy(d.buf, d.buf[d.off:])
		d.buf = d.buf[:n]
		d.off = 0
	}
	limit := max(d.MaxBuffer, HeaderLen+d.maxAPDU())
	if d.MaxBuffer == 0 {
		limit = DefaultMaxBuffer
	}
	if len(d.buf)+len(p) > limit {
		return 0, fmt.Errorf("%w: %d bytes held, %d more would pass the limit of %d", ErrBufferFull, len(d.buf), len(p), limit)
	}
	d.buf = append(d.buf, p...)
	return len(p), nil
}

// Next returns the next frame's header and APDU. It returns ErrNeedMore
// when no complete frame is buffered, and a *HeaderError (ErrVersion,
// ErrTooLarge) when the stream is broken; that error is final.
func (d *Deframer) Next() (Header, []byte, error) {
	if d.err != nil {
		return Header{}, nil, d.err
	}
	b := d.buf[d.off:]
	if len(b) < HeaderLen {
		return Header{}, nil, ErrNeedMore
	}
	if b[0] != 0 || b[1] != Version {
		_, err := ParseHeader(b)
		return d.fail(err)
	}
	length := int(b[6])<<8 | int(b[7])
	if length > d.maxAPDU() {
		return d.fail(&HeaderError{Offset: 6, Err: fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, length, d.maxAPDU())})
	}
	n := HeaderLen + length
	if len(b) < n {
		return Header{}, nil, ErrNeedMore
	}
	d.off += n
	d.pos += int64(n)
	h := Header{
		Version: Version,
		Source:  uint16(b[2])<<8 | uint16(b[3]),
		Dest:    uint16(b[4])<<8 | uint16(b[5]),
		Length:  uint16(length),
	}
	return h, b[HeaderLen:n:n], nil
}

// fail makes err final, with its offset counted from the stream start.
func (d *Deframer) fail(err error) (Header, []byte, error) {
	var he *HeaderError
	if errors.As(err, &he) {
		err = &HeaderError{Offset: int(d.pos) + he.Offset, Err: he.Err}
	}
	d.err = err
	return Header{}, nil, err
}

// Buffered returns how many bytes are held and not yet consumed.
func (d *Deframer) Buffered() int { return len(d.buf) - d.off }

// Reset drops every buffered byte and any final error.
func (d *Deframer) Reset() {
	d.buf = d.buf[:0]
	d.off, d.pos, d.err = 0, 0, nil
}
