package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/openhes/hes/dlms/wrapper"
)

// DefaultResponseTimeout is the response time-out of a WrapperConfig
// whose Timeout is zero.
const DefaultResponseTimeout = 10 * time.Second

// WrapperConfig configures the client side of a wrapper link.
type WrapperConfig struct {
	// Client is the client's wPort (its SAP), Server the meter's wPort
	// (its logical device, 1 for the management logical device).
	Client, Server uint16
	// MaxAPDU bounds an answer (0 means wrapper.MaxAPDU, the format's
	// limit).
	MaxAPDU int
	// Timeout bounds the wait for an answer (0 means
	// DefaultResponseTimeout). There is no retransmission: the stream
	// under the wrapper is reliable.
	Timeout time.Duration
	// Trace, if set, sees every wrapper message both ways.
	Trace Trace
}

// WrapperLink is the client side of a wrapper link over a Conn. Its
// methods may be called from several goroutines; they run one at a time.
type WrapperLink struct {
	mu     sync.Mutex
	conn   Conn
	rd     *stream
	cfg    WrapperConfig
	peer   Peer
	df     wrapper.Deframer
	rbuf   []byte
	wbuf   []byte
	closed bool
	// broken is set when a request went out and its answer did not come
	// back: a late answer would be taken for the next one's.
	broken  error
	skipped int
}

var _ Link = (*WrapperLink)(nil)

// NewWrapperClient returns a wrapper link over conn. The link owns conn
// from then on: Close closes it.
func NewWrapperClient(conn Conn, cfg WrapperConfig) (*WrapperLink, error) {
	if cfg.MaxAPDU < 0 || cfg.MaxAPDU > wrapper.MaxAPDU {
		return nil, fmt.Errorf("transport: wrapper MaxAPDU %d, want 0 to %d", cfg.MaxAPDU, wrapper.MaxAPDU)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultResponseTimeout
	}
	return &WrapperLink{
		conn: conn,
		rd:   newStream(conn),
		cfg:  cfg,
		peer: Peer{Framing: FramingWrapper, Client: cfg.Client, Logical: cfg.Server},
		df:   wrapper.Deframer{MaxAPDU: cfg.MaxAPDU},
		rbuf: make([]byte, 4096),
	}, nil
}

// Peer returns the wPorts of the link.
func (l *WrapperLink) Peer() Peer { return l.peer }

// Exchange sends apdu and returns the meter's answer: the next message
// from the meter's wPort to the client's. Messages for other wPorts are
// skipped. If no answer comes within Timeout (or ctx ends first), the link
// refuses further exchanges with ErrInterrupted.
func (l *WrapperLink) Exchange(ctx context.Context, apdu []byte) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(StepExchange); err != nil {
		return nil, err
	}
	defer l.rd.watch(ctx)()
	l.skipped = 0
	if err := l.send(ctx, StepExchange, apdu); err != nil {
		return nil, err
	}
	return l.receive(ctx, StepExchange, time.Now().Add(l.cfg.Timeout))
}

// Send sends apdu without waiting for an answer.
func (l *WrapperLink) Send(ctx context.Context, apdu []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(StepSend); err != nil {
		return err
	}
	defer l.rd.watch(ctx)()
	l.skipped = 0
	return l.send(ctx, StepSend, apdu)
}

// Receive waits until ctx ends for the next message from the meter's
// wPort to the client's, a data notification for instance.
func (l *WrapperLink) Receive(ctx context.Context) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(StepReceive); err != nil {
		return nil, err
	}
	defer l.rd.watch(ctx)()
	l.skipped = 0
	return l.receive(ctx, StepReceive, time.Time{})
}

// Close closes the stream; the wrapper has no link to release.
func (l *WrapperLink) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if err := l.conn.Close(); err != nil {
		return fmt.Errorf("transport: %v: close: %w", l.peer, err)
	}
	return nil
}

func (l *WrapperLink) usable(step Step) error {
	switch {
	case l.closed:
		return l.fail(step, ErrClosed)
	case l.broken != nil:
		return l.fail(step, fmt.Errorf("%w: %w", ErrInterrupted, l.broken))
	}
	return nil
}

func (l *WrapperLink) send(ctx context.Context, step Step, apdu []byte) error {
	b, err := wrapper.AppendFrame(l.wbuf[:0], l.cfg.Client, l.cfg.Server, apdu)
	if err != nil {
		return l.fail(step, err)
	}
	l.wbuf = b
	if l.cfg.Trace != nil {
		l.cfg.Trace(Sent, b)
	}
	if err := l.rd.write(ctx, b); err != nil {
		l.broken = err
		return l.fail(step, err)
	}
	return nil
}

// receive reads messages until one comes from the meter to the client,
// until deadline (the zero time: no limit other than ctx).
func (l *WrapperLink) receive(ctx context.Context, step Step, deadline time.Time) ([]byte, error) {
	for {
		h, apdu, err := l.df.Next()
		if err == nil {
			if l.cfg.Trace != nil {
				l.cfg.Trace(Received, l.message(h, apdu))
			}
			if h.Source == l.cfg.Server && h.Dest == l.cfg.Client {
				return bytes.Clone(apdu), nil
			}
			l.skipped++
			continue
		}
		if !errors.Is(err, wrapper.ErrNeedMore) {
			// A broken header: the stream cannot be resynchronised.
			l.broken = err
			return nil, l.fail(step, err)
		}
		n, err := l.rd.read(ctx, l.rbuf, deadline)
		if n > 0 {
			if _, werr := l.df.Write(l.rbuf[:n]); werr != nil {
				l.broken = werr
				return nil, l.fail(step, werr)
			}
		}
		if errors.Is(err, errTimer) {
			l.broken = os.ErrDeadlineExceeded
			e := l.fail(step, fmt.Errorf("no answer: %w", os.ErrDeadlineExceeded)).(*LinkError)
			e.Tries, e.Wait = 1, l.cfg.Timeout
			return nil, e
		}
		if err != nil {
			if step != StepReceive || !isContextErr(err) {
				l.broken = err
			}
			return nil, l.fail(step, err)
		}
	}
}

// message re-encodes a received message for the trace.
func (l *WrapperLink) message(h wrapper.Header, apdu []byte) []byte {
	b := wrapper.AppendHeader(make([]byte, 0, wrapper.HeaderLen+len(apdu)), h)
	return append(b, apdu...)
}

func (l *WrapperLink) fail(step Step, err error) error {
	return &LinkError{Step: step, Peer: l.peer, Skipped: l.skipped, Err: err}
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
