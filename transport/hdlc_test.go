package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openhes/hes/dlms/hdlc"
)

// meterConfig is the client configuration of the tests: public client
// to the management logical device of meter 17, fast time-outs.
func meterConfig() HDLCConfig {
	return HDLCConfig{Client: 16, Logical: 1, Physical: 17, FrameTimeout: time.Second}
}

// onlyMeters is a Handler for the physical addresses given.
type onlyMeters struct {
	physical []uint16
	opened   atomic.Int32
	closed   atomic.Int32
}

func (h *onlyMeters) Open(ctx context.Context, p Peer) (Session, bool) {
	for _, a := range h.physical {
		if p.Physical == a {
			h.opened.Add(1)
			return &countingSession{h: h}, true
		}
	}
	return nil, false
}

type countingSession struct{ h *onlyMeters }

func (s *countingSession) Serve(ctx context.Context, req Request) []byte {
	return echoHandler(ctx, req)
}
func (s *countingSession) Close() { s.h.closed.Add(1) }

func TestHDLCExchangeAndRelease(t *testing.T) {
	h := &onlyMeters{physical: []uint16{17}}
	ts := startServer(t, h, nil)
	link := connect(t, ts, meterConfig())
	ctx := testContext(t)
	for _, n := range []int{1, 100, 300} {
		req := pattern(n)
		got, err := link.Exchange(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if want := wantEcho(17, req); !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: answer % X, want % X", n, got, want)
		}
	}
	if err := link.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := link.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := link.Exchange(ctx, []byte{1}); !errors.Is(err, ErrClosed) {
		t.Errorf("Exchange after Close: %v, want ErrClosed", err)
	}
	waitFor(t, func() bool { return h.closed.Load() == 1 }, "the session closed after DISC")
	if h.opened.Load() != 1 {
		t.Errorf("%d sessions opened, want 1", h.opened.Load())
	}
}

// waitFor polls cond for a second.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for range 100 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestHDLCSilentMeter connects to an address where no meter answers: the
// SNRM goes out 1+Retries times, and the error names the step, the tries
// and the cause.
func TestHDLCSilentMeter(t *testing.T) {
	ts := startServer(t, &onlyMeters{physical: []uint16{17}}, nil)
	var snrms atomic.Int32
	cfg := HDLCConfig{Client: 16, Logical: 1, Physical: 18, FrameTimeout: 50 * time.Millisecond, Retries: 2,
		Trace: func(dir Direction, frame []byte) {
			if f, err := hdlc.ParseFrame(frame); err == nil && dir == Sent && f.Control.Kind == hdlc.KindSNRM {
				snrms.Add(1)
			}
		}}
	link, err := NewHDLCClient(dial(t, ts.addr), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer link.Close()
	start := time.Now()
	err = link.Connect(testContext(t))
	elapsed := time.Since(start)
	var le *LinkError
	if !errors.As(err, &le) {
		t.Fatalf("Connect: %v, want a *LinkError", err)
	}
	if le.Step != StepConnect || le.Tries != 3 || le.Wait != 50*time.Millisecond || le.Peer.Physical != 18 {
		t.Errorf("error %+v: want step connect, 3 tries of 50ms, physical 18", le)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.Is(err, hdlc.ErrRetryLimit) || !le.Timeout() {
		t.Errorf("error %v does not match os.ErrDeadlineExceeded and hdlc.ErrRetryLimit", err)
	}
	if n := snrms.Load(); n != 3 {
		t.Errorf("%d SNRM sent, want 3", n)
	}
	if elapsed < 150*time.Millisecond || elapsed > time.Second {
		t.Errorf("gave up after %v, want about 150ms", elapsed)
	}
	if got := err.Error(); got != "hdlc 16->1/18: connect (SNRM): no answer after 3 tries of 50ms: hdlc: no answer within the retry limit: 2 retransmissions while connecting" {
		t.Errorf("error text %q", got)
	}
}

// TestHDLCSilentMeterBehindEcho: the echo of an optical probe is not an
// answer, even when the client and the server have the same address.
func TestHDLCSilentMeterBehindEcho(t *testing.T) {
	echo := func() ServeOptions {
		return ServeOptions{In: func(in []byte) ([]byte, []Out) { return in, []Out{{Bytes: bytes.Clone(in)}} }}
	}
	ts := startServer(t, &onlyMeters{physical: []uint16{17}}, echo)
	link, err := NewHDLCClient(dial(t, ts.addr), HDLCConfig{Client: 1, Logical: 1, AddressSize: 1, FrameTimeout: 30 * time.Millisecond, Retries: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer link.Close()
	var le *LinkError
	if err := link.Connect(testContext(t)); !errors.As(err, &le) || le.Tries != 3 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Connect: %v, want a time-out after 3 tries", err)
	}
}

// holdLast delays the last frame of every segmented answer.
func holdLast(d time.Duration) func() ServeOptions {
	return func() ServeOptions {
		return ServeOptions{Out: func(o Outgoing) []Out {
			if o.Last && o.Parts > 1 {
				return []Out{{Delay: d, Bytes: o.Bytes}}
			}
			return []Out{{Bytes: o.Bytes}}
		}}
	}
}

// TestHDLCHeldLastFrame plays a meter that pauses before the last frame of
// a long answer (3 s in the field, 300 ms here): a frame time-out above
// the pause succeeds, one whose retries end before it fails with a typed
// time-out.
func TestHDLCHeldLastFrame(t *testing.T) {
	ts := startServer(t, HandlerFunc(func(ctx context.Context, req Request) []byte { return pattern(600) }), holdLast(300*time.Millisecond))
	ctx := testContext(t)

	link := connect(t, ts, meterConfig())
	start := time.Now()
	got, err := link.Exchange(ctx, []byte{0xC0, 0x01})
	if err != nil {
		t.Fatalf("frame time-out 1s: %v", err)
	}
	if !bytes.Equal(got, pattern(600)) {
		t.Errorf("answer of %d bytes differs", len(got))
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("answer after %v: the last frame was not held", d)
	}

	cfg := meterConfig()
	cfg.FrameTimeout, cfg.Retries = 60*time.Millisecond, 1
	link = connect(t, ts, cfg)
	_, err = link.Exchange(ctx, []byte{0xC0, 0x01})
	var le *LinkError
	if !errors.As(err, &le) || le.Step != StepExchange || le.Tries != 2 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("frame time-out 60ms: %v, want a time-out of the exchange after 2 tries", err)
	}
	if _, err := link.Exchange(ctx, []byte{0xC0, 0x01}); !errors.Is(err, hdlc.ErrNotConnected) {
		t.Errorf("Exchange after the retry limit: %v, want hdlc.ErrNotConnected", err)
	}
}

// corruptFirst damages the FCS of the first n answer frames.
func corruptFirst(n int32) (func() ServeOptions, *atomic.Int32) {
	var count atomic.Int32
	return func() ServeOptions {
		return ServeOptions{Out: func(o Outgoing) []Out {
			if o.Parts > 0 && count.Add(1) <= n {
				b := bytes.Clone(o.Bytes)
				b[len(b)-2] ^= 0xFF
				return []Out{{Bytes: b}}
			}
			return []Out{{Bytes: o.Bytes}}
		}}
	}, &count
}

// TestHDLCBadFCS: a frame with a bad FCS is skipped; the retransmission
// after the time-out recovers, or the link gives up saying how many
// frames it skipped.
func TestHDLCBadFCS(t *testing.T) {
	ctx := testContext(t)
	cfg := meterConfig()
	cfg.FrameTimeout = 50 * time.Millisecond

	opt, count := corruptFirst(1)
	link := connect(t, startServer(t, echoHandler, opt), cfg)
	got, err := link.Exchange(ctx, []byte{1, 2, 3})
	if err != nil {
		t.Fatalf("one bad frame: %v", err)
	}
	if !bytes.Equal(got, wantEcho(17, []byte{1, 2, 3})) {
		t.Errorf("answer % X", got)
	}
	if n := count.Load(); n != 2 {
		t.Errorf("the meter sent its answer %d times, want 2", n)
	}

	opt, _ = corruptFirst(1 << 30)
	link = connect(t, startServer(t, echoHandler, opt), cfg)
	_, err = link.Exchange(ctx, []byte{1, 2, 3})
	var le *LinkError
	if !errors.As(err, &le) || le.Tries != 4 || le.Skipped != 4 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("every answer bad: %v, want a time-out after 4 tries with 4 frames skipped", err)
	}
}

// readdress returns frame b sent to client address c.
func readdress(b []byte, client uint16) []byte {
	f, err := hdlc.ParseFrame(b)
	if err != nil {
		panic(err)
	}
	f.Dest = hdlc.Address{Upper: client, Size: 1}
	out, err := hdlc.AppendFrame(nil, f)
	if err != nil {
		panic(err)
	}
	return out
}

// TestHDLCWrongAddress: frames to another client are ignored.
func TestHDLCWrongAddress(t *testing.T) {
	ctx := testContext(t)
	opt := func() ServeOptions {
		return ServeOptions{Out: func(o Outgoing) []Out {
			return []Out{{Bytes: readdress(o.Bytes, 0x30)}, {Bytes: o.Bytes}}
		}}
	}
	link := connect(t, startServer(t, echoHandler, opt), meterConfig())
	got, err := link.Exchange(ctx, pattern(400))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, wantEcho(17, pattern(400))) {
		t.Errorf("answer differs")
	}

	cfg := meterConfig()
	cfg.FrameTimeout = 50 * time.Millisecond
	opt = func() ServeOptions {
		return ServeOptions{Out: func(o Outgoing) []Out {
			if o.Parts > 0 {
				return []Out{{Bytes: readdress(o.Bytes, 0x30)}}
			}
			return []Out{{Bytes: o.Bytes}}
		}}
	}
	link = connect(t, startServer(t, echoHandler, opt), cfg)
	if _, err := link.Exchange(ctx, []byte{1}); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("answers to another client only: %v, want a time-out", err)
	}
}

// TestHDLCGarbageAndEcho runs a link through an optical probe that echoes
// every byte, to a meter that sends noise (flags included) between its
// frames.
func TestHDLCGarbageAndEcho(t *testing.T) {
	noise := []byte{0x00, 0x7E, 0xA0, 0xFF, 0x7E, 0x7E, 0x13, 0x7E, 0xA8, 0x00, 0x03}
	opt := func() ServeOptions {
		return ServeOptions{
			In:  func(in []byte) ([]byte, []Out) { return in, []Out{{Bytes: bytes.Clone(in)}} },
			Out: func(o Outgoing) []Out { return []Out{{Bytes: noise}, {Bytes: o.Bytes}} },
		}
	}
	ts := startServer(t, echoHandler, opt)
	for _, cfg := range []HDLCConfig{
		{Client: 16, Logical: 1, Physical: 17},
		// Same client and server address: only the content tells an echo.
		{Client: 1, Logical: 1, AddressSize: 1},
	} {
		t.Run(fmt.Sprintf("client %d", cfg.Client), func(t *testing.T) {
			cfg.FrameTimeout = time.Second
			link := connect(t, ts, cfg)
			ctx := testContext(t)
			for _, n := range []int{5, 700} {
				got, err := link.Exchange(ctx, pattern(n))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, wantEcho(cfg.Physical, pattern(n))) {
					t.Errorf("%d bytes: answer differs", n)
				}
			}
			if err := link.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestHDLCByteByByte has the meter write its frames one byte at a time:
// the client's deframer gets them in pieces from a real socket.
func TestHDLCByteByByte(t *testing.T) {
	opt := func() ServeOptions {
		return ServeOptions{Out: func(o Outgoing) []Out {
			outs := make([]Out, len(o.Bytes))
			for i := range o.Bytes {
				outs[i] = Out{Delay: 50 * time.Microsecond, Bytes: o.Bytes[i : i+1]}
			}
			return outs
		}}
	}
	link := connect(t, startServer(t, echoHandler, opt), meterConfig())
	got, err := link.Exchange(testContext(t), pattern(200))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, wantEcho(17, pattern(200))) {
		t.Errorf("answer differs")
	}
}

// TestHDLCSegmentation sends a 5,000-byte APDU each way between a client
// link and a server link, with windows of 1 and 7 and information fields
// of 128 and 1024 bytes.
func TestHDLCSegmentation(t *testing.T) {
	for _, window := range []int{1, 7} {
		for _, info := range []int{128, 1024} {
			t.Run(fmt.Sprintf("window %d info %d", window, info), func(t *testing.T) {
				ts := startServer(t, echoHandler, func() ServeOptions {
					return ServeOptions{MaxInfoTx: 2000, MaxInfoRx: 2000, Window: 7}
				})
				var iSent, iRecv, rrSent atomic.Int32
				cfg := meterConfig()
				cfg.MaxInfoTx, cfg.MaxInfoRx, cfg.Window = info, info, window
				cfg.Trace = func(dir Direction, frame []byte) {
					f, err := hdlc.ParseFrame(frame)
					if err != nil {
						t.Errorf("traced frame: %v", err)
						return
					}
					if len(f.Info) > info {
						t.Errorf("%v frame with %d bytes of information", dir, len(f.Info))
					}
					switch {
					case f.Control.Kind == hdlc.KindI && dir == Sent:
						iSent.Add(1)
					case f.Control.Kind == hdlc.KindI:
						iRecv.Add(1)
					case f.Control.Kind == hdlc.KindRR && dir == Sent:
						rrSent.Add(1)
					}
				}
				link := connect(t, ts, cfg)
				want := hdlc.Params{MaxInfoTx: info, MaxInfoRx: info, WindowTx: window, WindowRx: window}
				if p := link.Params(); p != want {
					t.Errorf("negotiated %+v, want %+v", p, want)
				}
				req := pattern(5000)
				got, err := link.Exchange(testContext(t), req)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, wantEcho(17, req)) {
					t.Fatalf("answer of %d bytes differs", len(got))
				}
				frames := (hdlc.LLCLength + 5000 + info - 1) / info
				if n := int(iSent.Load()); n != frames {
					t.Errorf("%d I frames sent, want %d", n, frames)
				}
				if n := int(iRecv.Load()); n != (hdlc.LLCLength+5001+info-1)/info {
					t.Errorf("%d I frames received", n)
				}
				// One RR per window of the answer, but the last.
				answerFrames := (hdlc.LLCLength + 5001 + info - 1) / info
				if n, want := int(rrSent.Load()), (answerFrames+window-1)/window-1; n != want {
					t.Errorf("%d RR sent, want %d", n, want)
				}
			})
		}
	}
}

// TestHDLCDisconnectedMode: a meter that dropped the link (inactivity)
// answers DM, which the link reports.
func TestHDLCDisconnectedMode(t *testing.T) {
	ts := startServer(t, echoHandler, func() ServeOptions { return ServeOptions{Inactivity: 100 * time.Millisecond} })
	link := connect(t, ts, meterConfig())
	time.Sleep(200 * time.Millisecond)
	_, err := link.Exchange(testContext(t), []byte{1})
	var le *LinkError
	if !errors.As(err, &le) || le.Step != StepExchange || !errors.Is(err, hdlc.ErrDisconnectedMode) {
		t.Fatalf("Exchange on a dropped link: %v, want DM", err)
	}
	// The link can be opened again.
	if err := link.Connect(testContext(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := link.Exchange(testContext(t), []byte{1}); err != nil {
		t.Fatal(err)
	}
}

// TestHDLCFrameReject: a meter that rejects a frame with FRMR.
func TestHDLCFrameReject(t *testing.T) {
	opt := func() ServeOptions {
		return ServeOptions{Out: func(o Outgoing) []Out {
			if o.Parts == 0 {
				return []Out{{Bytes: o.Bytes}}
			}
			f, _ := hdlc.ParseFrame(o.Bytes)
			f.Control, f.Segmented = hdlc.Control{Kind: hdlc.KindFRMR, PF: true}, false
			f.Info = []byte{0x10, 0x02, 0x04} // rejected 0x10: information field too long
			b, _ := hdlc.AppendFrame(nil, f)
			return []Out{{Bytes: b}}
		}}
	}
	link := connect(t, startServer(t, echoHandler, opt), meterConfig())
	_, err := link.Exchange(testContext(t), []byte{1})
	var fr *hdlc.FrameRejectError
	if !errors.As(err, &fr) || !fr.Y || fr.Control != 0x10 {
		t.Fatalf("Exchange: %v, want an FRMR with reason Y", err)
	}
}

// TestHDLCContext: the caller's context interrupts a blocked exchange at
// once, with the context's error, and the link then refuses exchanges
// until it is connected again.
func TestHDLCContext(t *testing.T) {
	silent := HandlerFunc(func(ctx context.Context, req Request) []byte { return nil })
	ts := startServer(t, silent, nil)
	for _, tt := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, context.DeadlineExceeded},
	} {
		t.Run(tt.name, func(t *testing.T) {
			link := connect(t, ts, HDLCConfig{Client: 16, Logical: 1, Physical: 17, FrameTimeout: 5 * time.Second})
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			_, err := link.Exchange(ctx, []byte{1})
			if !errors.Is(err, tt.want) {
				t.Fatalf("Exchange: %v, want %v", err, tt.want)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("returned after %v", d)
			}
			if _, err := link.Exchange(testContext(t), []byte{1}); !errors.Is(err, ErrInterrupted) {
				t.Errorf("next Exchange: %v, want ErrInterrupted", err)
			}
			if err := link.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

// pollConn hides the net.Conn behind a Conn: reads then wait in short
// polls, as on a serial port, rather than being interrupted.
type pollConn struct{ Conn }

func TestHDLCContextPolled(t *testing.T) {
	silent := HandlerFunc(func(ctx context.Context, req Request) []byte { return nil })
	ts := startServer(t, silent, nil)
	link, err := NewHDLCClient(pollConn{dial(t, ts.addr)}, meterConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer link.Close()
	if err := link.Connect(testContext(t)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	start := time.Now()
	if _, err := link.Exchange(ctx, []byte{1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Exchange: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 30*time.Millisecond+10*pollInterval {
		t.Errorf("returned after %v", d)
	}
}
