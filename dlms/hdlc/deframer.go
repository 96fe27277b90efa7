package hdlc

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrNeedMore is returned by Deframer.Next when the buffered bytes hold no
// complete frame: Write more and call Next again.
var ErrNeedMore = errors.New("hdlc: need more input")

// ErrBufferFull is returned by Deframer.Write when the bytes would exceed
// the deframer's limit because the caller has not drained it with Next.
var ErrBufferFull = errors.New("hdlc: deframer buffer full")

// ErrGarbage is the reason of a SkipError for bytes that are not inside
// any frame candidate (no opening flag before them).
var ErrGarbage = errors.New("bytes outside a frame")

// DefaultMaxBuffer is the limit of a Deframer whose MaxBuffer is zero.
const DefaultMaxBuffer = 128 << 10

// SkipError reports bytes that the Deframer dropped while looking for the
// next frame. It is not fatal: log it and call Next again.
type SkipError struct {
	Offset int64 // stream offset of the first byte skipped
	N      int   // how many bytes were skipped
	Err    error // ErrGarbage, or the *FrameError that rejected a candidate frame
}

func (e *SkipError) Error() string {
	var fe *FrameError
	if errors.As(e.Err, &fe) {
		return fmt.Sprintf("hdlc: skipped %d bytes at stream offset %d: %v at offset %d of the candidate frame", e.N, e.Offset, fe.Err, fe.Offset)
	}
	return fmt.Sprintf("hdlc: skipped %d bytes at stream offset %d: %v", e.N, e.Offset, e.Err)
}

func (e *SkipError) Unwrap() error { return e.Err }

// Deframer splits a byte stream, written in chunks of any size, into HDLC
// frames.
//
// Frames of IEC 62056-46 are delimited by their length field, not by
// flags: there is no byte stuffing, and a 0x7E inside a frame (in the FCS,
// say) is data. The Deframer therefore looks for a flag, reads the header
// that follows, and takes exactly the number of bytes the length field
// gives; the frame counts only if its closing flag, HCS and FCS are right.
// Two frames may share a flag (the closing flag of one opening the next),
// and extra flags between frames are ignored.
//
// Resynchronisation: bytes before a flag are skipped; a candidate frame that
// fails (bad format type, length, address, flag, HCS, FCS or control field)
// is dropped up to the next flag after its opening one, which becomes the
// next candidate. Each drop is reported by Next as a *SkipError (with the
// reason and the stream offset), after which Next can be called again. A
// garbage flag followed by a large length cannot stall the stream for
// long: the HCS is checked as soon as the header has arrived, before
// waiting for the rest of the frame.
//
// Memory: the Deframer keeps the bytes written and not yet consumed, at
// most MaxBuffer (0 means DefaultMaxBuffer; never less than one whole
// frame). A caller that drains it with Next after every Write holds at most
// one partial frame plus one chunk. Frames returned by Next point into that
// buffer: their Info (and Raw) stay valid until the next Write or Reset.
// Deframing allocates nothing per frame.
//
// The zero value is ready to use. A Deframer is not safe for concurrent use.
type Deframer struct {
	// MaxBuffer bounds the bytes held between Write and Next.
	MaxBuffer int

	buf    []byte
	off    int   // start of the unconsumed bytes in buf
	pos    int64 // stream offset of buf[off]
	shared bool  // buf[off] is the closing flag of the last frame returned
	raw    []byte
}

// Write appends p to the bytes to deframe. It never keeps p. It fails with
// ErrBufferFull, taking nothing, when the unconsumed bytes would exceed the
// limit.
func (d *Deframer) Write(p []byte) (int, error) {
	if d.off > 0 {
		n := copy(d.buf, d.buf[d.off:])
		d.buf = d.buf[:n]
		d.off = 0
		d.raw = nil
	}
	limit := max(d.MaxBuffer, MaxFrameLength+2)
	if d.MaxBuffer == 0 {
		limit = DefaultMaxBuffer
	}
	if len(d.buf)+len(p) > limit {
		return 0, fmt.Errorf("%w: %d bytes held, %d more would pass the limit of %d", ErrBufferFull, len(d.buf), len(p), limit)
	}
	d.buf = append(d.buf, p...)
	return len(p), nil
}

// Next returns the next frame. It returns ErrNeedMore when no complete
// frame is buffered, or a *SkipError when it dropped bytes; in both cases
// the Deframer stays usable.
func (d *Deframer) Next() (f Frame, err error) {
	var h header
	for {
		b := d.buf[d.off:]
		if len(b) == 0 {
			return f, ErrNeedMore
		}
		if b[0] != Flag {
			i := bytes.IndexByte(b, Flag)
			if i < 0 {
				i = len(b)
			}
			return f, d.skip(i, ErrGarbage)
		}
		if len(b) < 2 {
			return f, ErrNeedMore
		}
		if b[1] == Flag || d.shared && b[1]&0xF0 != formatType3 {
			// A fill flag, or the closing flag of the last frame followed by
			// something that is not a frame.
			d.consume(1)
			continue
		}
		err = parseHeader(&h, b[1:])
		if err == errTruncated {
			return f, ErrNeedMore
		}
		if err == nil && h.hasInfo && len(b) >= 1+h.size+2 && !checksumOK(b, 1, 1+h.size) {
			err = &FrameError{Offset: 1 + h.size, Err: ErrBadHCS}
		}
		if err == nil {
			n := h.length + 2
			if len(b) < n {
				return f, ErrNeedMore
			}
			if err = finishFrame(&f, b[:n], &h, true); err == nil {
				d.raw = b[:n:n]
				d.consume(n - 1) // keep the closing flag: it may open the next frame
				d.shared = true
				return f, nil
			}
		}
		// Drop the candidate up to the next flag.
		i := bytes.IndexByte(b[1:], Flag)
		if i < 0 {
			i = len(b)
		} else {
			i++
		}
		return Frame{}, d.skip(i, err)
	}
}

// Raw returns the bytes, flags included, of the frame last returned by
// Next, or nil. They stay valid until the next Write or Reset.
func (d *Deframer) Raw() []byte { return d.raw }

// Buffered returns how many bytes are held and not yet consumed.
func (d *Deframer) Buffered() int { return len(d.buf) - d.off }

// Reset drops every buffered byte and restarts the stream offsets at 0.
func (d *Deframer) Reset() {
	d.buf = d.buf[:0]
	d.off, d.pos, d.shared, d.raw = 0, 0, false, nil
}

func (d *Deframer) consume(n int) {
	d.off += n
	d.pos += int64(n)
	d.shared = false
}

// skip consumes n bytes and reports them. The retained closing flag of the
// previous frame, if the skip starts with it, is not counted as skipped.
func (d *Deframer) skip(n int, why error) error {
	e := &SkipError{Offset: d.pos, N: n, Err: why}
	if d.shared {
		e.Offset++
		e.N--
	}
	d.consume(n)
	return e
}
