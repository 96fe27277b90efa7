package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/openhes/hes/dlms/hdlc"
)

// TestServeConnFraming: one port tells HDLC from the wrapper by the first
// bytes, and refuses anything else.
func TestServeConnFraming(t *testing.T) {
	ts := startServer(t, echoHandler, nil)
	ctx := testContext(t)

	hl := connect(t, ts, meterConfig())
	if got, err := hl.Exchange(ctx, []byte{1, 2}); err != nil || !bytes.Equal(got, wantEcho(17, []byte{1, 2})) {
		t.Errorf("HDLC: % X, %v", got, err)
	}
	wl := newWrapper(t, ts, WrapperConfig{Client: 16, Server: 1})
	if got, err := wl.Exchange(ctx, []byte{1, 2}); err != nil || !bytes.Equal(got, wantEcho(0, []byte{1, 2})) {
		t.Errorf("wrapper: % X, %v", got, err)
	}

	for _, head := range [][]byte{{0x00, 0x02}, {'G', 'E', 'T'}} {
		c := dial(t, ts.addr)
		c.Write(head)
		c.SetReadDeadline(time.Now().Add(time.Second))
		if n, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("% X: read %d, %v; want the connection closed", head, n, err)
		}
	}
	waitFor(t, func() bool { return len(ts.errors()) == 2 }, "two refused connections")
	for _, err := range ts.errors() {
		if !errors.Is(err, ErrUnknownFraming) {
			t.Errorf("connection ended with %v, want ErrUnknownFraming", err)
		}
	}
}

// TestServeHDLCRouting: on one connection, a link to each meter in turn;
// a meter the Handler does not know stays silent.
func TestServeHDLCRouting(t *testing.T) {
	h := &onlyMeters{physical: []uint16{17, 18}}
	ts := startServer(t, h, nil)
	conn := dial(t, ts.addr)
	ctx := testContext(t)
	for _, physical := range []uint16{17, 18, 17} {
		link, err := NewHDLCClient(conn, HDLCConfig{Client: 16, Logical: 1, Physical: physical, FrameTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := link.Connect(ctx); err != nil {
			t.Fatalf("meter %d: %v", physical, err)
		}
		got, err := link.Exchange(ctx, []byte{0xAA})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, wantEcho(physical, []byte{0xAA})) {
			t.Errorf("meter %d answered % X", physical, got)
		}
		if err := link.Disconnect(ctx); err != nil {
			t.Fatal(err)
		}
	}
	link, _ := NewHDLCClient(conn, HDLCConfig{Client: 16, Logical: 1, Physical: 19, FrameTimeout: 30 * time.Millisecond, Retries: 1})
	if err := link.Connect(ctx); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("unknown meter 19: %v, want a time-out", err)
	}
	if o, c := h.opened.Load(), h.closed.Load(); o != 3 || c != 3 {
		t.Errorf("%d sessions opened, %d closed; want 3 and 3", o, c)
	}
}

// TestServeHDLCSessions: a new SNRM replaces the link and its session; the
// end of the stream closes the sessions.
func TestServeHDLCSessions(t *testing.T) {
	h := &onlyMeters{physical: []uint16{17}}
	ts := startServer(t, h, nil)
	link := connect(t, ts, meterConfig())
	ctx := testContext(t)
	if err := link.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := link.Exchange(ctx, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if o, c := h.opened.Load(), h.closed.Load(); o != 2 || c != 1 {
		t.Errorf("after a second SNRM: %d sessions opened, %d closed; want 2 and 1", o, c)
	}
	// Close the connection without DISC.
	link.conn.Close()
	waitFor(t, func() bool { return h.closed.Load() == 2 }, "the session closed with the stream")
}

// TestServeHDLCOnce: with Once, ServeHDLC returns when the link ends, and
// IdleTimeout ends a silent stream.
func TestServeHDLCOnce(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	results := make(chan error, 2)
	wg.Go(func() {
		for range 2 {
			c, err := l.Accept()
			if err != nil {
				results <- err
				return
			}
			results <- ServeHDLC(context.Background(), c, echoHandler, ServeOptions{Once: true, IdleTimeout: 100 * time.Millisecond})
			c.Close()
		}
	})

	link, err := NewHDLCClient(dial(t, l.Addr().String()), meterConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	if err := link.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := link.Exchange(ctx, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if err := link.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-results; err != nil {
		t.Errorf("ServeHDLC after DISC: %v, want nil", err)
	}

	c := dial(t, l.Addr().String())
	start := time.Now()
	if err := <-results; !errors.Is(err, ErrInactivity) {
		t.Errorf("ServeHDLC on a silent stream: %v, want ErrInactivity", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("ended after %v", d)
	}
	c.Close()
}

// TestServeTrace: the server's trace sees the frames both ways, and the
// client's trace the same frames the other way round.
func TestServeTrace(t *testing.T) {
	var mu sync.Mutex
	var server, client [][]byte
	rec := func(list *[][]byte) Trace {
		return func(dir Direction, frame []byte) {
			mu.Lock()
			defer mu.Unlock()
			f, err := hdlc.ParseFrame(frame)
			if err != nil {
				t.Errorf("traced % X: %v", frame, err)
			}
			*list = append(*list, append([]byte{byte(dir), byte(f.Control.Kind)}, frame...))
		}
	}
	ts := startServer(t, echoHandler, func() ServeOptions { return ServeOptions{Trace: rec(&server)} })
	cfg := meterConfig()
	cfg.Trace = rec(&client)
	link := connect(t, ts, cfg)
	if _, err := link.Exchange(testContext(t), pattern(200)); err != nil {
		t.Fatal(err)
	}
	if err := link.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// SNRM UA, I I(segmented request) RR I, I(segmented answer) RR I, DISC UA
	if len(client) != 10 || len(server) != 10 {
		t.Fatalf("client traced %d frames, server %d; want 10 each", len(client), len(server))
	}
	for i := range client {
		c, s := client[i], server[i]
		if c[0] == s[0] || !bytes.Equal(c[1:], s[1:]) {
			t.Errorf("frame %d: client %v % X, server %v % X", i, Direction(c[0]), c[2:], Direction(s[0]), s[2:])
		}
	}
}
