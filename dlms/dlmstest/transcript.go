package dlmstest

import (
	"bytes"
	"errors"
	"fmt"
)

// Record is one direction's bytes in a transcript.
type Record struct {
	Dir   Direction
	Bytes []byte
}

// Transcript is a recorded exchange: the bytes a client sent and the
// bytes the server answered, in order.
type Transcript []Record

// Transcript returns the frames of s as a transcript, one record per
// frame.
func (s *Session) Transcript() Transcript {
	t := make(Transcript, len(s.Frames))
	for i, f := range s.Frames {
		t[i] = Record{Dir: f.Dir, Bytes: f.Bytes}
	}
	return t
}

// AppendText appends t in the session file format, one "C->S <HEX>" or
// "S->C <HEX>" line per record, which Parse reads back.
func (t Transcript) AppendText(dst []byte) []byte {
	for _, r := range t {
		dst = append(dst, r.Dir.String()...)
		dst = append(dst, ' ')
		for _, b := range r.Bytes {
			dst = append(dst, upperHex[b>>4], upperHex[b&0xF])
		}
		dst = append(dst, '\n')
	}
	return dst
}

const upperHex = "0123456789ABCDEF"

// Recorder builds a transcript from the bytes a test sees pass in each
// direction. Consecutive chunks of the same direction are merged into one
// record, so the transcript does not depend on how the bytes were chunked.
// The zero value is ready to use.
type Recorder struct {
	t Transcript
}

// Record appends a copy of p, sent in direction dir.
func (r *Recorder) Record(dir Direction, p []byte) {
	if len(p) == 0 {
		return
	}
	if n := len(r.t); n > 0 && r.t[n-1].Dir == dir {
		r.t[n-1].Bytes = append(r.t[n-1].Bytes, p...)
		return
	}
	r.t = append(r.t, Record{Dir: dir, Bytes: bytes.Clone(p)})
}

// Transcript returns what was recorded so far.
func (r *Recorder) Transcript() Transcript { return r.t }

// ErrExtraBytes is the reason of a MismatchError when the client sends
// bytes after the transcript has no client record left.
var ErrExtraBytes = errors.New("client bytes after the end of the transcript")

// MismatchError says where the client departed from the transcript.
type MismatchError struct {
	Record int    // index of the client record in the transcript
	Offset int    // offset in that record of the first differing byte
	Want   []byte // the expected record
	Got    []byte // the client's bytes from the start of the record on, as far as received
	Err    error  // ErrExtraBytes, or nil for differing bytes
}

func (e *MismatchError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("dlmstest: replay: %v: % X", e.Err, e.Got)
	}
	return fmt.Sprintf("dlmstest: replay: client record %d differs at byte %d:\nwant % X\ngot  % X", e.Record, e.Offset, e.Want, e.Got)
}

func (e *MismatchError) Unwrap() error { return e.Err }

// Replayer plays the server side of a transcript: it compares the bytes
// the client sends with the client records and answers each complete
// client record with the server records that follow it. The client's bytes
// may come in any chunking; a chunk may end inside a record or span
// several. A mismatch is final: every later call returns the same error.
type Replayer struct {
	t    Transcript
	next int    // index of the record to match or play
	got  []byte // bytes of the current client record received so far
	err  error
}

// NewReplayer returns a Replayer at the start of t.
func NewReplayer(t Transcript) *Replayer { return &Replayer{t: t} }

// Receive takes bytes sent by the client and returns the server records
// now due, in order. Receive(nil) returns the records the server sends
// before the client says anything (usually none).
func (r *Replayer) Receive(p []byte) (answers [][]byte, err error) {
	if r.err != nil {
		return nil, r.err
	}
	answers = r.play(answers)
	for len(p) > 0 {
		if r.next >= len(r.t) {
			r.err = &MismatchError{Record: r.next, Got: bytes.Clone(p), Err: ErrExtraBytes}
			return answers, r.err
		}
		want := r.t[r.next].Bytes
		n := min(len(p), len(want)-len(r.got))
		if i := firstDiff(want[len(r.got):], p[:n]); i >= 0 {
			got := append(bytes.Clone(r.got), p[:n]...)
			r.err = &MismatchError{Record: r.next, Offset: len(r.got) + i, Want: want, Got: got}
			return answers, r.err
		}
		r.got = append(r.got, p[:n]...)
		p = p[n:]
		if len(r.got) == len(want) {
			r.got = r.got[:0]
			r.next++
			answers = r.play(answers)
		}
	}
	return answers, nil
}

// play appends the server records at the cursor to answers.
func (r *Replayer) play(answers [][]byte) [][]byte {
	for len(r.got) == 0 && r.next < len(r.t) && r.t[r.next].Dir == ServerToClient {
		answers = append(answers, r.t[r.next].Bytes)
		r.next++
	}
	return answers
}

// Done reports whether the whole transcript has been played and matched.
func (r *Replayer) Done() bool { return r.err == nil && r.next == len(r.t) && len(r.got) == 0 }

// Remaining returns the records not yet played or matched; a client record
// matched in part is included whole.
func (r *Replayer) Remaining() Transcript { return r.t[r.next:] }

// firstDiff returns the index of the first byte where a and b differ, or
// -1 when b is a prefix of a.
func firstDiff(a, b []byte) int {
	for i := range b {
		if i >= len(a) || a[i] != b[i] {
			return i
		}
	}
	return -1
}
