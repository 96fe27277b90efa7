package hdlc

import (
	"bytes"
	"errors"
	"testing"

	"github.com/openhes/hes/dlms/dlmstest"
)

func addVectorSeeds(f *testing.F) {
	for _, s := range dlmstest.MustLoadAll(f, vectors) {
		if s.Framing != dlmstest.FramingHDLC {
			continue
		}
		for _, vf := range s.Frames {
			f.Add(vf.Bytes)
		}
	}
	for _, c := range frameCases {
		f.Add(unhex(f, c.want))
	}
}

// FuzzParseFrame checks that ParseFrame never panics and that a frame it
// accepts re-encodes to the same bytes and parses again to the same frame.
func FuzzParseFrame(f *testing.F) {
	addVectorSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := ParseFrame(b)
		if err != nil {
			var fe *FrameError
			if !errors.As(err, &fe) || fe.Offset < 0 || fe.Offset > len(b) {
				t.Fatalf("error %v is not a *FrameError with an offset in the input", err)
			}
			return
		}
		out, err := AppendFrame(nil, fr)
		if err != nil {
			t.Fatalf("AppendFrame of a parsed frame: %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("re-encoded as % X\ninput         % X", out, b)
		}
		again, err := ParseFrame(out)
		if err != nil || !equalFrames(again, fr) {
			t.Fatalf("second parse = %v, %v", again, err)
		}
		if fr.Control.Kind == KindSNRM || fr.Control.Kind == KindUA {
			ParseParams(fr.Info) // must not panic
		}
	})
}

// FuzzDeframer writes arbitrary bytes in chunks of a fuzzed size: no
// panic, every frame it returns parses on its own, and frames plus skipped
// bytes never account for more than the input.
func FuzzDeframer(f *testing.F) {
	addVectorSeeds(f)
	s := dlmstest.MustLoad(f, vectors, "hdlc_none_get.txt")
	f.Add(append([]byte{1, 2, Flag, 0xA0, Flag}, s.Stream()...))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Deframer
		chunk := 1
		if len(b) > 0 {
			chunk = 1 + int(b[0])%32
		}
		total := 0
		for off := 0; off < len(b); off += chunk {
			if _, err := d.Write(b[off:min(off+chunk, len(b))]); err != nil {
				t.Fatal(err)
			}
			for {
				fr, err := d.Next()
				if errors.Is(err, ErrNeedMore) {
					break
				}
				var se *SkipError
				if errors.As(err, &se) {
					if se.N <= 0 {
						t.Fatalf("skip of %d bytes", se.N)
					}
					total += se.N
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				raw := d.Raw()
				again, err := ParseFrame(raw)
				if err != nil || !equalFrames(again, fr) {
					t.Fatalf("deframed % X does not parse alone: %v", raw, err)
				}
				total += len(raw) - 1 // the closing flag stays buffered
			}
		}
		if total+d.Buffered() > len(b) {
			t.Fatalf("accounted %d bytes + %d buffered for %d input", total, d.Buffered(), len(b))
		}
	})
}

// FuzzStation feeds arbitrary frames to a connected client station and a
// connected server station, with sends and time-outs in between: no
// panic, and every frame they emit is valid.
func FuzzStation(f *testing.F) {
	for _, s := range hdlcSessions(f) {
		f.Add(s.Stream())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg := Config{Client: clientAddr, Server: serverAddr, MaxInfoTx: 64, MaxInfoRx: 64, WindowTx: 3, WindowRx: 3, MaxAPDU: 4096}
		c, _ := NewClient(cfg)
		s, _ := NewServer(cfg)
		check := func(out [][]byte, _ ...any) {
			for _, o := range out {
				if _, err := ParseFrame(o); err != nil {
					t.Fatalf("station emitted % X: %v", o, err)
				}
			}
		}
		c.Connect()
		c.Receive(serverFrame(KindUA, 0, nil))
		s.Receive(clientFrame(Control{Kind: KindSNRM, PF: true}, false, nil))
		var d Deframer
		d.Write(b)
		for i := 0; ; i++ {
			fr, err := d.Next()
			if errors.Is(err, ErrNeedMore) {
				break
			}
			if err != nil {
				continue
			}
			toClient, toServer := fr, fr
			toClient.Dest, toClient.Src = clientAddr, serverAddr
			toServer.Dest, toServer.Src = serverAddr, clientAddr
			out, _, _ := c.Receive(toClient)
			check(out)
			out, _, _ = s.Receive(toServer)
			check(out)
			switch i % 4 {
			case 1:
				out, _ = c.Send(fr.Info)
				check(out)
				out, _ = s.Send(fr.Info)
				check(out)
			case 3:
				out, _ = c.Timeout()
				check(out)
			}
			if c.State() == StateDisconnected && i%2 == 0 {
				out, _ = c.Connect()
				check(out)
			}
		}
	})
}
