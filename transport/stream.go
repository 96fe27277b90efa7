package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// Conn is the byte stream under a client link: a net.Conn, a
// *serial.Port, anything that reads with a deadline. A Read past the
// deadline must fail with an error that matches os.ErrDeadlineExceeded.
type Conn interface {
	io.ReadWriteCloser
	SetReadDeadline(t time.Time) error
}

// Direction says which way a traced frame went.
type Direction uint8

// The two directions of a trace.
const (
	Sent     Direction = iota + 1 // written by this end
	Received                      // read by this end
)

// String returns "TX" or "RX".
func (d Direction) String() string {
	switch d {
	case Sent:
		return "TX"
	case Received:
		return "RX"
	}
	return "direction(?)"
}

// Trace is called with every frame (HDLC, flags included) or wrapper
// message (header included) that a link writes or reads, including frames
// the link ignores (echoes, other addresses). frame is only valid during
// the call.
type Trace func(dir Direction, frame []byte)

// pollInterval bounds how long a read on a stream whose deadline cannot
// be moved while a read is blocked waits before checking the context.
const pollInterval = 50 * time.Millisecond

// errTimer is returned by stream.read when the caller's deadline passed.
var errTimer = errors.New("transport: timer expired")

// stream reads from a Conn with a deadline and the cancellation of a
// context.
type stream struct {
	r io.Reader
	w io.Writer
	// setDeadline sets the read deadline; nil when the stream has none.
	setDeadline func(time.Time) error
	// async says the deadline may be moved while a Read is blocked
	// (net.Conn, *os.File): cancellation then interrupts the read at once.
	async bool

	mu          sync.Mutex
	interrupted bool
}

type readDeadliner interface {
	SetReadDeadline(time.Time) error
}

type writeDeadliner interface {
	SetWriteDeadline(time.Time) error
}

func newStream(rw io.ReadWriter) *stream {
	s := &stream{r: rw, w: rw}
	// A file in blocking mode (a terminal opened without O_NONBLOCK) has
	// the method but no deadlines: it fails with os.ErrNoDeadline.
	if d, ok := rw.(readDeadliner); ok && d.SetReadDeadline(time.Time{}) == nil {
		s.setDeadline = d.SetReadDeadline
		switch rw.(type) {
		case net.Conn, *os.File:
			s.async = true
		}
	}
	return s
}

// aLongTimeAgo is a deadline in the past, which makes a blocked read
// return.
var aLongTimeAgo = time.Unix(1, 0)

// watch arranges for the cancellation of ctx to interrupt a read blocked
// on the stream. The returned function must be called before the caller
// returns: it stops the watch and waits for it, so no goroutine is left.
func (s *stream) watch(ctx context.Context) (stop func()) {
	if !s.async || ctx.Done() == nil {
		return func() {}
	}
	done := make(chan struct{})
	cancel := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.interrupted = true
		s.setDeadline(aLongTimeAgo)
		if w, ok := s.w.(writeDeadliner); ok {
			w.SetWriteDeadline(aLongTimeAgo)
		}
		s.mu.Unlock()
		close(done)
	})
	return func() {
		if !cancel() {
			<-done
		}
		s.mu.Lock()
		s.interrupted = false
		s.mu.Unlock()
	}
}

// read reads into p, waiting at most until deadline (the zero time: no
// limit) and while ctx lasts. It returns errTimer when deadline passed,
// ctx's error when ctx ended (context.DeadlineExceeded as soon as ctx's
// deadline passed), or the stream's error. A stream without deadlines
// reads without limit: ctx and deadline are not honoured.
func (s *stream) read(ctx context.Context, p []byte, deadline time.Time) (int, error) {
	if s.setDeadline == nil {
		return s.r.Read(p)
	}
	ctxDeadline, hasCtxDeadline := ctx.Deadline()
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		d := deadline
		if hasCtxDeadline && (d.IsZero() || ctxDeadline.Before(d)) {
			d = ctxDeadline
		}
		if !s.async && ctx.Done() != nil {
			if poll := time.Now().Add(pollInterval); d.IsZero() || poll.Before(d) {
				d = poll
			}
		}
		s.mu.Lock()
		if s.interrupted {
			s.mu.Unlock()
			return 0, ctx.Err()
		}
		err := s.setDeadline(d)
		s.mu.Unlock()
		if err != nil {
			return 0, err
		}
		n, err := s.r.Read(p)
		if n > 0 || err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			return n, err
		}
		now := time.Now()
		switch {
		case ctx.Err() != nil:
			return 0, ctx.Err()
		case hasCtxDeadline && !now.Before(ctxDeadline):
			return 0, context.DeadlineExceeded
		case !deadline.IsZero() && !now.Before(deadline):
			return 0, errTimer
		}
		// A poll interval passed: check the context and read again.
	}
}

// write writes p, bounded by ctx's deadline when the stream has write
// deadlines.
func (s *stream) write(ctx context.Context, p []byte) error {
	if d, ok := s.w.(writeDeadliner); ok {
		dl, _ := ctx.Deadline()
		s.mu.Lock()
		if s.interrupted {
			s.mu.Unlock()
			return ctx.Err()
		}
		err := d.SetWriteDeadline(dl)
		s.mu.Unlock()
		if err != nil && !errors.Is(err, os.ErrNoDeadline) {
			return err
		}
	}
	_, err := s.w.Write(p)
	return err
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
