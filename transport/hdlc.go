package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/openhes/hes/dlms/hdlc"
)

// Defaults of an HDLCConfig.
const (
	DefaultFrameTimeout = 5 * time.Second
	// MaxReleaseWait bounds how long Close waits for the answer to DISC.
	MaxReleaseWait = 2 * time.Second
)

// HDLCConfig configures the client side of an HDLC link.
type HDLCConfig struct {
	// Client is the client SAP (16 public, 1 management ...), sent as a
	// one-byte address.
	Client uint8
	// Logical is the server's upper HDLC address (the logical device, 1
	// for the management logical device); Physical the lower HDLC address
	// (the meter's physical address), which one-byte addresses do not
	// carry.
	Logical, Physical uint16
	// AddressSize is the size of the server address on the wire: 1, 2 or
	// 4 bytes; 0 picks the smallest that carries Logical and Physical.
	AddressSize int

	// MaxInfoTx and MaxInfoRx are the largest information fields proposed
	// for sending and receiving; Window the window size proposed both
	// ways. Zero means the defaults of IEC 62056-46 (128 bytes, window 1);
	// the meter may lower them in its UA.
	MaxInfoTx, MaxInfoRx int
	Window               int

	// FrameTimeout is how long the link waits for the next frame of the
	// peer before it retransmits or polls (0 means DefaultFrameTimeout).
	// It must exceed the longest pause of the meter: some wait about 3 s
	// before the last frame of a long answer.
	FrameTimeout time.Duration
	// Retries is how many times a frame is retransmitted after a time-out
	// before the link gives up (0 means hdlc.DefaultMaxRetries).
	Retries int
	// MaxAPDU bounds a reassembled answer (0 means hdlc.DefaultMaxAPDU).
	MaxAPDU int

	// Trace, if set, sees every frame both ways.
	Trace Trace
}

// Link is what a DLMS session needs from a client link. *HDLCLink and
// *WrapperLink implement it.
type Link interface {
	// Exchange sends one request APDU and returns the answer APDU.
	Exchange(ctx context.Context, apdu []byte) ([]byte, error)
	// Send sends one APDU without waiting for an answer.
	Send(ctx context.Context, apdu []byte) error
	// Receive waits for the next APDU from the peer.
	Receive(ctx context.Context) ([]byte, error)
	// Close releases the link and closes its stream.
	Close() error
}

// HDLCLink is the client side of an HDLC link over a Conn. Its methods
// may be called from several goroutines; they run one at a time.
type HDLCLink struct {
	mu     sync.Mutex
	conn   Conn
	rd     *stream
	cfg    HDLCConfig
	peer   Peer
	client hdlc.Address
	server hdlc.Address
	stcfg  hdlc.Config
	st     *hdlc.Station

	df     hdlc.Deframer
	rbuf   []byte
	wbuf   []byte
	rx     [][]byte // APDUs received and not yet returned by Receive
	sent   [][]byte // the frames of the last write, to recognise their echo
	closed bool
	// broken is the cause of an interrupted exchange: the station may
	// still wait for an answer that will come later.
	broken error

	// Per step: timeouts in a row and frames skipped.
	tries   int
	skipped int
	// timer is when the frame time-out runs out; zero when nothing is
	// awaited.
	timer time.Time
}

var _ Link = (*HDLCLink)(nil)

// NewHDLCClient returns an HDLC client link over conn, not yet connected:
// call Connect. The link owns conn from then on: Close closes it.
func NewHDLCClient(conn Conn, cfg HDLCConfig) (*HDLCLink, error) {
	if cfg.FrameTimeout <= 0 {
		cfg.FrameTimeout = DefaultFrameTimeout
	}
	if cfg.Retries <= 0 {
		cfg.Retries = hdlc.DefaultMaxRetries
	}
	peer := Peer{Framing: FramingHDLC, Client: uint16(cfg.Client), Logical: cfg.Logical, Physical: cfg.Physical, AddressSize: cfg.AddressSize}
	stcfg := hdlc.Config{
		Client:    hdlc.ClientAddress(cfg.Client),
		Server:    peer.serverAddress(),
		MaxInfoTx: cfg.MaxInfoTx, MaxInfoRx: cfg.MaxInfoRx,
		WindowTx: cfg.Window, WindowRx: cfg.Window,
		MaxRetries: cfg.Retries,
		MaxAPDU:    cfg.MaxAPDU,
	}
	st, err := hdlc.NewClient(stcfg)
	if err != nil {
		return nil, fmt.Errorf("transport: %v: %w", peer, err)
	}
	return &HDLCLink{
		conn:   conn,
		rd:     newStream(conn),
		cfg:    cfg,
		peer:   peer,
		client: hdlc.ClientAddress(cfg.Client),
		server: peer.serverAddress(),
		stcfg:  stcfg,
		st:     st,
		rbuf:   make([]byte, 4096),
	}, nil
}

// Peer returns the addresses of the link.
func (l *HDLCLink) Peer() Peer { return l.peer }

// Params returns the parameters negotiated with the meter, from the
// client's side (MaxInfoTx is the largest information field it sends).
// They are valid once connected.
func (l *HDLCLink) Params() hdlc.Params {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.Params()
}

// Connect opens the link: SNRM, then the meter's UA with the negotiated
// parameters. A silent meter gets the SNRM again after each FrameTimeout,
// Retries times. An optical probe's echo of the SNRM is ignored. Connect
// may be called again, after the link was released or lost, or to reset
// it: a new SNRM starts a new link.
func (l *HDLCLink) Connect(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.fail(StepConnect, ErrClosed)
	}
	defer l.rd.watch(ctx)()
	l.begin()
	if l.st.State() != hdlc.StateDisconnected {
		// Checked by NewHDLCClient: a new station cannot fail.
		l.st, _ = hdlc.NewClient(l.stcfg)
	}
	l.broken = nil
	l.rx = nil
	out, err := l.st.Connect()
	if err != nil {
		return l.fail(StepConnect, err)
	}
	return l.run(ctx, StepConnect, out, func() bool { return l.st.State() == hdlc.StateConnected })
}

// Exchange sends apdu, segmented as negotiated, and returns the meter's
// answer, reassembled. Lost frames are recovered by retransmission and
// polling, at most Retries times in a row. If Exchange fails while the
// meter may still answer (a time-out of the caller's context, say), the
// link refuses further exchanges with ErrInterrupted: disconnect, or close
// it.
func (l *HDLCLink) Exchange(ctx context.Context, apdu []byte) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(StepExchange); err != nil {
		return nil, err
	}
	defer l.rd.watch(ctx)()
	l.begin()
	if err := l.send(ctx, StepExchange, apdu); err != nil {
		return nil, err
	}
	return l.receive(ctx, StepExchange)
}

// Send sends apdu and returns when its last segment is out. The answer,
// if any, comes with Receive.
func (l *HDLCLink) Send(ctx context.Context, apdu []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(StepSend); err != nil {
		return err
	}
	defer l.rd.watch(ctx)()
	l.begin()
	return l.send(ctx, StepSend, apdu)
}

// Receive returns the next APDU from the meter: the answer to Send. When
// no answer is due, it waits until ctx ends.
func (l *HDLCLink) Receive(ctx context.Context) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(StepReceive); err != nil {
		return nil, err
	}
	defer l.rd.watch(ctx)()
	l.begin()
	return l.receive(ctx, StepReceive)
}

// Disconnect releases the link with DISC and waits for the meter's UA or
// DM, retransmitting DISC at most Retries times; the stream stays open and
// Connect may open the link again (to the same meter, or after a new
// NewHDLCClient on the same stream, to another).
func (l *HDLCLink) Disconnect(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.fail(StepRelease, ErrClosed)
	}
	defer l.rd.watch(ctx)()
	return l.disconnect(ctx)
}

// Close releases the link, waiting for the answer to one DISC at most
// FrameTimeout or MaxReleaseWait, whichever is shorter, and closes the
// stream. The stream is closed even when the release fails; the error is
// then the release's.
func (l *HDLCLink) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	var err error
	if l.st.State() != hdlc.StateDisconnected {
		ctx, cancel := context.WithTimeout(context.Background(), min(l.cfg.FrameTimeout, MaxReleaseWait))
		err = l.disconnect(ctx)
		cancel()
	}
	l.closed = true
	if cerr := l.conn.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("transport: %v: close: %w", l.peer, cerr)
	}
	return err
}

func (l *HDLCLink) disconnect(ctx context.Context) error {
	l.begin()
	l.rx = nil
	out, err := l.st.Disconnect()
	if err != nil {
		return l.fail(StepRelease, err)
	}
	l.broken = nil
	return l.run(ctx, StepRelease, out, func() bool { return l.st.State() == hdlc.StateDisconnected })
}

// usable checks that the link may start an exchange.
func (l *HDLCLink) usable(step Step) error {
	switch {
	case l.closed:
		return l.fail(step, ErrClosed)
	case l.broken != nil:
		return l.fail(step, fmt.Errorf("%w: %w", ErrInterrupted, l.broken))
	}
	return nil
}

// begin resets the counters of a step.
func (l *HDLCLink) begin() { l.tries, l.skipped = 1, 0 }

func (l *HDLCLink) send(ctx context.Context, step Step, apdu []byte) error {
	out, err := l.st.Send(apdu)
	if err != nil {
		return l.fail(step, err)
	}
	return l.run(ctx, step, out, func() bool { return l.st.State() != hdlc.StateSending })
}

func (l *HDLCLink) receive(ctx context.Context, step Step) ([]byte, error) {
	if err := l.run(ctx, step, nil, func() bool { return len(l.rx) > 0 }); err != nil {
		return nil, err
	}
	apdu := l.rx[0]
	l.rx = l.rx[1:]
	return apdu, nil
}

// run writes out, then reads frames and feeds them to the station, sending
// what it answers and retransmitting on time-outs, until done reports
// true.
func (l *HDLCLink) run(ctx context.Context, step Step, out [][]byte, done func() bool) error {
	if len(out) > 0 {
		if err := l.write(ctx, out); err != nil {
			return l.interrupt(step, err)
		}
	}
	for !done() {
		f, err := l.df.Next()
		switch {
		case err == nil:
		case errors.Is(err, hdlc.ErrNeedMore):
			n, err := l.rd.read(ctx, l.rbuf, l.timer)
			if errors.Is(err, errTimer) {
				if err := l.timeout(ctx, step); err != nil {
					return err
				}
				continue
			}
			if n > 0 {
				if _, werr := l.df.Write(l.rbuf[:n]); werr != nil {
					// Unreachable while Next drains the deframer after
					// every read; start afresh rather than stall.
					l.df.Reset()
					l.skipped++
				}
			}
			if err != nil {
				return l.interrupt(step, err)
			}
			continue
		default: // *hdlc.SkipError
			l.skipped++
			continue
		}
		if l.cfg.Trace != nil {
			l.cfg.Trace(Received, l.df.Raw())
		}
		fromPeer := f.Src.Upper == l.server.Upper && f.Src.Lower == l.server.Lower &&
			f.Dest.Upper == l.client.Upper && f.Dest.Lower == l.client.Lower &&
			!l.isEcho(l.df.Raw())
		out, apdu, err := l.st.Receive(f)
		if apdu != nil {
			l.rx = append(l.rx, apdu)
		}
		if err != nil {
			return l.fail(step, err)
		}
		if len(out) > 0 {
			if err := l.write(ctx, out); err != nil {
				return l.interrupt(step, err)
			}
		}
		if fromPeer {
			l.tries = 1
			l.timer = time.Now().Add(l.cfg.FrameTimeout)
		}
	}
	return nil
}

// timeout tells the station that the frame timer ran out and sends what it
// retransmits.
func (l *HDLCLink) timeout(ctx context.Context, step Step) error {
	l.timer = time.Time{}
	out, err := l.st.Timeout()
	if err != nil {
		// The retry limit: the station dropped the link.
		e := l.fail(step, err).(*LinkError)
		e.Tries, e.Wait = l.tries, l.cfg.FrameTimeout
		return e
	}
	if len(out) == 0 {
		return nil // nothing awaited
	}
	l.tries++
	if err := l.write(ctx, out); err != nil {
		return l.interrupt(step, err)
	}
	return nil
}

// isEcho reports whether raw is one of the frames of the last write,
// coming back (the same address on both sides makes an echo look like a
// frame from the peer).
func (l *HDLCLink) isEcho(raw []byte) bool {
	for _, f := range l.sent {
		if bytes.Equal(f, raw) {
			return true
		}
	}
	return false
}

// write sends frames and arms the frame timer.
func (l *HDLCLink) write(ctx context.Context, frames [][]byte) error {
	l.timer = time.Now().Add(l.cfg.FrameTimeout)
	l.sent = frames
	l.wbuf = l.wbuf[:0]
	for _, f := range frames {
		if l.cfg.Trace != nil {
			l.cfg.Trace(Sent, f)
		}
		l.wbuf = append(l.wbuf, f...)
	}
	return l.rd.write(ctx, l.wbuf)
}

// interrupt fails a step cut short by the caller or the stream: unless the
// station is idle or disconnected, the peer may still answer, so the link
// is marked broken.
func (l *HDLCLink) interrupt(step Step, err error) error {
	if s := l.st.State(); s != hdlc.StateConnected && s != hdlc.StateDisconnected {
		l.broken = err
	}
	return l.fail(step, err)
}

func (l *HDLCLink) fail(step Step, err error) error {
	return &LinkError{Step: step, Peer: l.peer, Skipped: l.skipped, Err: err}
}
