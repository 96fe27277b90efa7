package transport

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testServer serves the connections of a loopback listener with
// ServeConn, each with the options opt returns, and stops them all at
// the end of the test.
type testServer struct {
	addr string
	mu   sync.Mutex
	errs []error
}

func startServer(t testing.TB, h Handler, opt func() ServeOptions) *testServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{addr: l.Addr().String()}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			var o ServeOptions
			if opt != nil {
				o = opt()
			}
			wg.Go(func() {
				defer c.Close()
				stop := context.AfterFunc(ctx, func() { c.Close() })
				defer stop()
				if err := ServeConn(ctx, c, h, o); err != nil && ctx.Err() == nil {
					ts.mu.Lock()
					ts.errs = append(ts.errs, err)
					ts.mu.Unlock()
				}
			})
		}
	})
	t.Cleanup(func() {
		cancel()
		l.Close()
		wg.Wait()
	})
	return ts
}

// errors returns the errors with which connections ended so far.
func (ts *testServer) errors() []error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]error(nil), ts.errs...)
}

func dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// connect dials ts and connects an HDLC link with cfg.
func connect(t testing.TB, ts *testServer, cfg HDLCConfig) *HDLCLink {
	t.Helper()
	link, err := NewHDLCClient(dial(t, ts.addr), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { link.Close() })
	if err := link.Connect(testContext(t)); err != nil {
		t.Fatal(err)
	}
	return link
}

// testContext bounds a test step: nothing here should take seconds.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// echoHandler answers every request with the request reversed, prefixed
// with the physical address it was sent to.
var echoHandler = HandlerFunc(func(ctx context.Context, req Request) []byte {
	ans := []byte{byte(req.Peer.Physical)}
	for i := len(req.APDU) - 1; i >= 0; i-- {
		ans = append(ans, req.APDU[i])
	}
	return ans
})

func wantEcho(physical uint16, req []byte) []byte {
	ans := []byte{byte(physical)}
	for i := len(req) - 1; i >= 0; i-- {
		ans = append(ans, req[i])
	}
	return ans
}

// pattern returns n bytes of a recognisable pattern.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}
