package tcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/openhes/hes/dlms/dlmstest"
	"github.com/openhes/hes/dlms/hdlc"
	"github.com/openhes/hes/dlms/wrapper"
	"github.com/openhes/hes/transport"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var vectors = os.DirFS("../../testdata/vectors")

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// replay serves the server side of a recorded session on a loopback
// listener, for one connection, and returns the error of the replay
// (nil when the client sent exactly the recorded bytes, all of them).
func replay(t *testing.T, tr dlmstest.Transcript) (string, <-chan error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		l.Close()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		rep := dlmstest.NewReplayer(tr)
		buf := make([]byte, 512)
		for {
			n, err := c.Read(buf)
			answers, rerr := rep.Receive(buf[:n])
			if rerr != nil {
				done <- rerr
				return
			}
			for _, a := range answers {
				c.Write(a)
			}
			if err != nil {
				if !rep.Done() {
					err = fmt.Errorf("%d records not played", len(rep.Remaining()))
				} else if err == io.EOF {
					err = nil
				}
				done <- err
				return
			}
		}
	}()
	return l.Addr().String(), done
}

// exchanges returns the client and server APDUs of the I frames of an
// HDLC recording, one pair per exchange.
func exchanges(t *testing.T, s *dlmstest.Session) (reqs, answers [][]byte) {
	for _, vf := range s.Frames {
		f, err := hdlc.ParseFrame(vf.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if f.Control.Kind != hdlc.KindI {
			continue
		}
		if f.Segmented {
			t.Fatalf("line %d: segmented frames are not handled here", vf.Line)
		}
		apdu, _, err := hdlc.CutLLC(f.Info)
		if err != nil {
			t.Fatal(err)
		}
		if vf.Dir == dlmstest.ClientToServer {
			reqs = append(reqs, apdu)
		} else {
			answers = append(answers, apdu)
		}
	}
	return reqs, answers
}

// TestDialHDLCReplaysVector dials a recorded meter and runs the recorded
// session: the bytes on the wire must be the recorded ones.
func TestDialHDLCReplaysVector(t *testing.T) {
	s := dlmstest.MustLoad(t, vectors, "hdlc_none_get.txt")
	addr, done := replay(t, s.Transcript())
	ctx := testContext(t)
	link, err := DialHDLC(ctx, addr, transport.HDLCConfig{Client: 16, Logical: 1, AddressSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	reqs, answers := exchanges(t, s)
	for i, req := range reqs {
		got, err := link.Exchange(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, answers[i]) {
			t.Errorf("answer %d: % X\nrecorded % X", i, got, answers[i])
		}
	}
	if err := link.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("server side: %v", err)
	}
}

func TestDialWrapperReplaysVector(t *testing.T) {
	s := dlmstest.MustLoad(t, vectors, "wrapper_none_get.txt")
	addr, done := replay(t, s.Transcript())
	ctx := testContext(t)
	link, err := DialWrapper(ctx, addr, transport.WrapperConfig{Client: 16, Server: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(s.Frames); i += 2 {
		_, req, _ := wrapper.ParseFrame(s.Frames[i].Bytes)
		_, want, _ := wrapper.ParseFrame(s.Frames[i+1].Bytes)
		got, err := link.Exchange(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("line %d: % X\nrecorded % X", s.Frames[i+1].Line, got, want)
		}
	}
	link.Close()
	if err := <-done; err != nil {
		t.Fatalf("server side: %v", err)
	}
}

// TestDialer: the dialing is injected, and its failure reported.
func TestDialer(t *testing.T) {
	refused := errors.New("no route")
	var calls atomic.Int32
	d := Dialer{Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		calls.Add(1)
		if network != "tcp" || address != "meter:4059" {
			t.Errorf("dial %s %s", network, address)
		}
		return nil, refused
	}}
	if _, err := d.DialHDLC(context.Background(), "meter:4059", transport.HDLCConfig{Client: 16, Logical: 1}); !errors.Is(err, refused) {
		t.Errorf("DialHDLC: %v", err)
	}
	if _, err := d.DialWrapper(context.Background(), "meter:4059", transport.WrapperConfig{Client: 16, Server: 1}); !errors.Is(err, refused) {
		t.Errorf("DialWrapper: %v", err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d dials", calls.Load())
	}
}

// fleet is a Handler for meters by physical address (HDLC) or wPort
// (wrapper); each answers its address and the request.
type fleet struct {
	mu     sync.Mutex
	open   map[string]int
	closed int
}

func (f *fleet) Open(ctx context.Context, p transport.Peer) (transport.Session, bool) {
	addr := p.Physical
	if p.Framing == transport.FramingWrapper {
		addr = p.Logical
	}
	if addr < 100 || addr >= 200 {
		return nil, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.open == nil {
		f.open = make(map[string]int)
	}
	f.open[p.String()]++
	return &meter{f: f, addr: addr}, true
}

type meter struct {
	f    *fleet
	addr uint16
}

func (m *meter) Serve(ctx context.Context, req transport.Request) []byte {
	return append([]byte{byte(m.addr)}, req.APDU...)
}

func (m *meter) Close() {
	m.f.mu.Lock()
	m.f.closed++
	m.f.mu.Unlock()
}

func (f *fleet) counts() (map[string]int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[string]int)
	for k, v := range f.open {
		m[k] = v
	}
	return m, f.closed
}

// TestServerFleet serves many meters on one port, by HDLC address and by
// wrapper wPort, with concurrent clients.
func TestServerFleet(t *testing.T) {
	f := &fleet{}
	var connErrs atomic.Int32
	srv, err := Listen("127.0.0.1:0", f, Options{
		ConnOptions: func(remote net.Addr) transport.ServeOptions {
			return transport.ServeOptions{MaxInfoTx: 512, MaxInfoRx: 512, Window: 7}
		},
		ConnError: func(remote net.Addr, err error) {
			if !errors.Is(err, transport.ErrUnknownFraming) {
				t.Errorf("connection from %v: %v", remote, err)
			}
			connErrs.Add(1)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := srv.Addr().String()
	ctx := testContext(t)

	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			req := bytes.Repeat([]byte{byte(i)}, 1000)
			var link transport.Link
			var err error
			meter := uint16(100 + i)
			if i%2 == 0 {
				link, err = DialHDLC(ctx, addr, transport.HDLCConfig{Client: 16, Logical: 1, Physical: meter, MaxInfoTx: 256, MaxInfoRx: 256, Window: 3})
			} else {
				link, err = DialWrapper(ctx, addr, transport.WrapperConfig{Client: 16, Server: meter})
			}
			if err != nil {
				t.Error(err)
				return
			}
			defer link.Close()
			for range 3 {
				got, err := link.Exchange(ctx, req)
				if err != nil {
					t.Error(err)
					return
				}
				if !bytes.Equal(got, append([]byte{byte(meter)}, req...)) {
					t.Errorf("meter %d answered % X", meter, got[:4])
				}
			}
		})
	}
	wg.Wait()

	// A meter not in the fleet stays silent, and the connection stays up.
	if _, err := DialHDLC(ctx, addr, transport.HDLCConfig{Client: 16, Logical: 1, Physical: 300, FrameTimeout: 20 * time.Millisecond, Retries: 1}); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("meter 300: %v, want a time-out", err)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	if _, err := io.ReadAll(c); err != nil {
		t.Errorf("garbage connection: %v", err)
	}
	c.Close()

	srv.Close()
	open, closed := f.counts()
	if len(open) != 20 || closed != 20 {
		t.Errorf("%d links opened, %d sessions closed; want 20 and 20: %v", len(open), closed, open)
	}
	for k, n := range open {
		if n != 1 {
			t.Errorf("%s opened %d times", k, n)
		}
	}
	if connErrs.Load() != 1 {
		t.Errorf("%d connection errors, want 1", connErrs.Load())
	}
}

// TestServerClose stops a server whose connections are busy: one client
// waits for an answer the meter holds, another is idle. Close returns at
// once, closes the sessions and leaves no goroutine.
func TestServerClose(t *testing.T) {
	f := &fleet{}
	srv, err := Listen("127.0.0.1:0", f, Options{ConnOptions: func(net.Addr) transport.ServeOptions {
		return transport.ServeOptions{Out: func(o transport.Outgoing) []transport.Out {
			if o.Parts > 0 {
				return []transport.Out{{Delay: time.Minute, Bytes: o.Bytes}}
			}
			return []transport.Out{{Bytes: o.Bytes}}
		}}
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	busy, err := DialHDLC(ctx, srv.Addr().String(), transport.HDLCConfig{Client: 16, Logical: 1, Physical: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	idle, err := DialHDLC(ctx, srv.Addr().String(), transport.HDLCConfig{Client: 16, Logical: 1, Physical: 101})
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	exchanged := make(chan error, 1)
	go func() {
		_, err := busy.Exchange(ctx, []byte{1})
		exchanged <- err
	}()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	if err := <-exchanged; err == nil {
		t.Error("Exchange succeeded on a closed server")
	}
	if _, closed := f.counts(); closed != 2 {
		t.Errorf("%d sessions closed, want 2", closed)
	}
	if _, err := net.Dial("tcp", srv.Addr().String()); err == nil {
		t.Error("the server still accepts connections")
	}
}
