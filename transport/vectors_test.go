package transport

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"

	"github.com/openhes/hes/dlms/dlmstest"
	"github.com/openhes/hes/dlms/hdlc"
	"github.com/openhes/hes/dlms/wrapper"
)

// vectors are the sessions recorded between independent implementations.
var vectors = os.DirFS("../testdata/vectors")

// replayServer plays the server side of a recorded session behind a real
// loopback listener, for one connection. The returned function waits for
// the connection to end and reports whether the client sent exactly the
// recorded bytes, all of them.
func replayServer(t *testing.T, tr dlmstest.Transcript) (addr string, result func() error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
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
		buf := make([]byte, 1024)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				answers, rerr := rep.Receive(buf[:n])
				if rerr != nil {
					done <- rerr
					return
				}
				for _, a := range answers {
					if _, err := c.Write(a); err != nil {
						done <- err
						return
					}
				}
			}
			if err == io.EOF {
				if !rep.Done() {
					done <- fmt.Errorf("client left with %d records not played, next % X", len(rep.Remaining()), rep.Remaining()[0].Bytes)
					return
				}
				done <- nil
				return
			}
			if err != nil {
				done <- err
				return
			}
		}
	}()
	var res error
	return l.Addr().String(), func() error {
		once.Do(func() { res = <-done })
		return res
	}
}

// traceRecorder collects a link's trace as a transcript.
type traceRecorder struct {
	mu sync.Mutex
	t  dlmstest.Transcript
}

func (r *traceRecorder) trace(dir Direction, frame []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := dlmstest.ClientToServer
	if dir == Received {
		d = dlmstest.ServerToClient
	}
	r.t = append(r.t, dlmstest.Record{Dir: d, Bytes: bytes.Clone(frame)})
}

// TestHDLCLinkReplaysVectors drives an HDLC client link over a real TCP
// connection against every recorded HDLC session: the recorded client
// APDUs go through Exchange, and the bytes on the wire (SNRM, I frames,
// the RR frames that fetch segments, DISC) must be the recorded ones; the
// answers must be the recorded server APDUs, and the trace the whole
// recording.
func TestHDLCLinkReplaysVectors(t *testing.T) {
	for _, s := range dlmstest.MustLoadAll(t, vectors) {
		if s.Framing != dlmstest.FramingHDLC {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			addr, result := replayServer(t, s.Transcript())
			conn := dial(t, addr)
			ctx := testContext(t)
			var rec traceRecorder
			var link *HDLCLink
			var req []byte // client I frame segments of the request being built
			answers := serverAPDUs(t, s)
			for _, vf := range s.Filter(dlmstest.ClientToServer) {
				f, err := hdlc.ParseFrame(vf.Bytes)
				if err != nil {
					t.Fatalf("line %d: %v", vf.Line, err)
				}
				switch f.Control.Kind {
				case hdlc.KindSNRM:
					// The ciphered session opens two links in turn on one
					// connection, with clients 16 and 1.
					p, err := hdlc.ParseParams(f.Info)
					if err != nil {
						t.Fatal(err)
					}
					link, err = NewHDLCClient(conn, HDLCConfig{
						Client: uint8(f.Src.Upper), Logical: f.Dest.Upper, Physical: f.Dest.Lower, AddressSize: f.Dest.Size,
						MaxInfoTx: p.MaxInfoTx, MaxInfoRx: p.MaxInfoRx, Window: p.WindowTx,
						Trace: rec.trace,
					})
					if err != nil {
						t.Fatal(err)
					}
					if err := link.Connect(ctx); err != nil {
						t.Fatalf("line %d: %v", vf.Line, err)
					}
				case hdlc.KindI:
					if req == nil {
						apdu, _, err := hdlc.CutLLC(f.Info)
						if err != nil {
							t.Fatal(err)
						}
						req = append([]byte{}, apdu...)
					} else {
						req = append(req, f.Info...)
					}
					if f.Segmented {
						continue
					}
					got, err := link.Exchange(ctx, req)
					if err != nil {
						t.Fatalf("line %d: %v", vf.Line, err)
					}
					if len(answers) == 0 {
						t.Fatalf("line %d: an answer the recording does not have", vf.Line)
					}
					if !bytes.Equal(got, answers[0]) {
						t.Errorf("line %d: answer % X\nrecorded % X", vf.Line, got, answers[0])
					}
					answers, req = answers[1:], nil
				case hdlc.KindDISC:
					if err := link.Disconnect(ctx); err != nil {
						t.Fatalf("line %d: %v", vf.Line, err)
					}
				case hdlc.KindRR:
					// The link sends these itself, on the server's segments.
				default:
					t.Fatalf("line %d: unexpected %v", vf.Line, f.Control)
				}
			}
			// A session without DISC (the rejected association) just
			// leaves: close the connection, not the link, which would
			// send DISC.
			conn.Close()
			if err := result(); err != nil {
				t.Fatalf("server side: %v", err)
			}
			if len(answers) > 0 {
				t.Errorf("%d recorded answers not received", len(answers))
			}
			want := s.Transcript()
			if len(rec.t) != len(want) {
				t.Fatalf("trace has %d frames, recording %d", len(rec.t), len(want))
			}
			for i := range want {
				if rec.t[i].Dir != want[i].Dir || !bytes.Equal(rec.t[i].Bytes, want[i].Bytes) {
					t.Errorf("trace frame %d: %v % X\nrecorded      %v % X", i, rec.t[i].Dir, rec.t[i].Bytes, want[i].Dir, want[i].Bytes)
				}
			}
		})
	}
}

// serverAPDUs reassembles the APDUs of the server's I frames of a
// recording.
func serverAPDUs(t *testing.T, s *dlmstest.Session) [][]byte {
	t.Helper()
	var out [][]byte
	var cur []byte
	first := true
	for _, vf := range s.Filter(dlmstest.ServerToClient) {
		f, err := hdlc.ParseFrame(vf.Bytes)
		if err != nil {
			t.Fatalf("line %d: %v", vf.Line, err)
		}
		if f.Control.Kind != hdlc.KindI {
			continue
		}
		info := f.Info
		if first {
			if info, _, err = hdlc.CutLLC(info); err != nil {
				t.Fatalf("line %d: %v", vf.Line, err)
			}
		}
		cur = append(cur, info...)
		if first = !f.Segmented; first {
			out, cur = append(out, cur), nil
		}
	}
	return out
}

// TestWrapperLinkReplaysVector does the same with the recorded wrapper
// session.
func TestWrapperLinkReplaysVector(t *testing.T) {
	s := dlmstest.MustLoad(t, vectors, "wrapper_none_get.txt")
	addr, result := replayServer(t, s.Transcript())
	var rec traceRecorder
	link, err := NewWrapperClient(dial(t, addr), WrapperConfig{Client: uint16(s.ClientAddress), Server: uint16(s.ServerAddress), Trace: rec.trace})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	frames := s.Frames
	for i := 0; i < len(frames); i += 2 {
		_, req, err := wrapper.ParseFrame(frames[i].Bytes)
		if err != nil || frames[i].Dir != dlmstest.ClientToServer {
			t.Fatalf("line %d: %v", frames[i].Line, err)
		}
		_, want, err := wrapper.ParseFrame(frames[i+1].Bytes)
		if err != nil {
			t.Fatal(err)
		}
		got, err := link.Exchange(ctx, req)
		if err != nil {
			t.Fatalf("line %d: %v", frames[i].Line, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("line %d: answer % X\nrecorded % X", frames[i+1].Line, got, want)
		}
	}
	if err := link.Close(); err != nil {
		t.Fatal(err)
	}
	if err := result(); err != nil {
		t.Fatalf("server side: %v", err)
	}
	if len(rec.t) != len(frames) {
		t.Fatalf("trace has %d messages, recording %d", len(rec.t), len(frames))
	}
	for i, f := range frames {
		if rec.t[i].Dir != f.Dir || !bytes.Equal(rec.t[i].Bytes, f.Bytes) {
			t.Errorf("trace message %d: % X, recorded % X", i, rec.t[i].Bytes, f.Bytes)
		}
	}
	if _, err := link.Exchange(ctx, []byte{0x60}); !errors.Is(err, ErrClosed) {
		t.Errorf("Exchange after Close: %v, want ErrClosed", err)
	}
}
