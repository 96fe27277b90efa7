package transport

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/openhes/hes/dlms/wrapper"
)

func newWrapper(t testing.TB, ts *testServer, cfg WrapperConfig) *WrapperLink {
	t.Helper()
	link, err := NewWrapperClient(dial(t, ts.addr), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { link.Close() })
	return link
}

func TestWrapperExchange(t *testing.T) {
	h := &onlyMeters{physical: []uint16{0}}
	ts := startServer(t, h, nil)
	link := newWrapper(t, ts, WrapperConfig{Client: 16, Server: 1})
	ctx := testContext(t)
	for _, n := range []int{1, 5000, wrapper.MaxAPDU - 1} {
		got, err := link.Exchange(ctx, pattern(n))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, wantEcho(0, pattern(n))) {
			t.Fatalf("%d bytes: answer differs", n)
		}
	}
	if _, err := link.Exchange(ctx, pattern(wrapper.MaxAPDU+1)); err == nil {
		t.Error("Exchange of an APDU above the wrapper's limit succeeded")
	}
	if err := link.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return h.closed.Load() == 1 }, "the session closed with the connection")
}

// TestWrapperOtherPorts: messages between other wPorts are skipped.
func TestWrapperOtherPorts(t *testing.T) {
	opt := func() ServeOptions {
		return ServeOptions{Out: func(o Outgoing) []Out {
			other := bytes.Clone(o.Bytes)
			other[5] = 99 // destination wPort 99
			return []Out{{Bytes: other}, {Bytes: o.Bytes}}
		}}
	}
	link := newWrapper(t, startServer(t, echoHandler, opt), WrapperConfig{Client: 16, Server: 1})
	got, err := link.Exchange(testContext(t), []byte{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, wantEcho(0, []byte{1, 2})) {
		t.Errorf("answer % X", got)
	}
}

// TestWrapperTimeout: a meter that does not answer; the link then refuses
// exchanges, since a late answer would be taken for the next one's.
func TestWrapperTimeout(t *testing.T) {
	silent := HandlerFunc(func(ctx context.Context, req Request) []byte { return nil })
	link := newWrapper(t, startServer(t, silent, nil), WrapperConfig{Client: 16, Server: 1, Timeout: 50 * time.Millisecond})
	start := time.Now()
	_, err := link.Exchange(testContext(t), []byte{1})
	var le *LinkError
	if !errors.As(err, &le) || le.Step != StepExchange || le.Tries != 1 || !errors.Is(err, os.ErrDeadlineExceeded) || !le.Timeout() {
		t.Fatalf("Exchange: %v, want a time-out of the exchange", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("gave up after %v", d)
	}
	if _, err := link.Exchange(testContext(t), []byte{1}); !errors.Is(err, ErrInterrupted) {
		t.Errorf("next Exchange: %v, want ErrInterrupted", err)
	}

	// The caller's context comes first.
	link = newWrapper(t, startServer(t, silent, nil), WrapperConfig{Client: 16, Server: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := link.Exchange(ctx, []byte{1}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Exchange: %v, want context.DeadlineExceeded", err)
	}
}

// TestWrapperReceive takes a message the meter sends on its own (a data
// notification) and is not broken by a Receive that times out.
func TestWrapperReceive(t *testing.T) {
	push := HandlerFunc(func(ctx context.Context, req Request) []byte {
		return []byte{0x0F, 0x00, 0x00, 0x00, 0x01}
	})
	link := newWrapper(t, startServer(t, push, nil), WrapperConfig{Client: 16, Server: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := link.Receive(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Receive with nothing sent: %v", err)
	}
	if err := link.Send(testContext(t), []byte{0xC0}); err != nil {
		t.Fatal(err)
	}
	got, err := link.Receive(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, []byte{0x0F, 0x00, 0x00, 0x00, 0x01}) {
		t.Errorf("received % X", got)
	}
}

// TestWrapperBrokenStream: a header with another version cannot be
// resynchronised: the link says so and stays broken.
func TestWrapperBrokenStream(t *testing.T) {
	opt := func() ServeOptions {
		return ServeOptions{Out: func(o Outgoing) []Out {
			b := bytes.Clone(o.Bytes)
			b[1] = 2
			return []Out{{Bytes: b}}
		}}
	}
	link := newWrapper(t, startServer(t, echoHandler, opt), WrapperConfig{Client: 16, Server: 1})
	_, err := link.Exchange(testContext(t), []byte{1})
	if !errors.Is(err, wrapper.ErrVersion) {
		t.Fatalf("Exchange: %v, want wrapper.ErrVersion", err)
	}
	if _, err := link.Exchange(testContext(t), []byte{1}); !errors.Is(err, ErrInterrupted) {
		t.Errorf("next Exchange: %v, want ErrInterrupted", err)
	}
}
