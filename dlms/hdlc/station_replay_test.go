package hdlc

import (
	"bytes"
	"testing"

	"github.com/openhes/hes/dlms/dlmstest"
)

// TestClientReplaysVectors runs a client station against every recorded
// HDLC session between an independent client and server: the recorded server
// frames are fed to the station, and every frame the station sends must
// be the recorded client frame, byte for byte (SNRM, I frames with their
// N(S) and N(R), the RR frames that fetch the segments, DISC). The APDUs
// of the I frames come from the recording; the station adds the LLC header
// and the framing.
func TestClientReplaysVectors(t *testing.T) {
	for _, s := range hdlcSessions(t) {
		t.Run(s.Name, func(t *testing.T) {
			var c *Station
			rep := dlmstest.NewReplayer(s.Transcript())
			var got [][]byte
			var pump func(out [][]byte, err error)
			pump = func(out [][]byte, err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				for _, b := range out {
					answers, err := rep.Receive(b)
					if err != nil {
						t.Fatalf("client state %v: %v", c.State(), err)
					}
					for _, a := range answers {
						more, apdu, err := c.Receive(mustParse(t, a))
						if apdu != nil {
							got = append(got, apdu)
						}
						pump(more, err)
					}
				}
			}
			for _, vf := range s.Filter(dlmstest.ClientToServer) {
				f := mustParse(t, vf.Bytes)
				switch f.Control.Kind {
				case KindSNRM:
					// The ciphered session connects twice, with two client SAPs
					// (16, then 1, the same value as the server's address).
					var err error
					if c, err = NewClient(Config{Client: f.Src, Server: f.Dest}); err != nil {
						t.Fatal(err)
					}
					pump(c.Connect())
				case KindI:
					apdu, resp, err := CutLLC(f.Info)
					if err != nil || resp {
						t.Fatalf("line %d: LLC: %v", vf.Line, err)
					}
					pump(c.Send(apdu))
				case KindDISC:
					pump(c.Disconnect())
				case KindRR:
					// The station sends these itself, on the server's segments.
				default:
					t.Fatalf("line %d: unexpected %v", vf.Line, f.Control)
				}
			}
			if !rep.Done() {
				t.Fatalf("%d records not replayed, next % X", len(rep.Remaining()), rep.Remaining()[0].Bytes)
			}
			wantState := StateConnected // the client of the rejected association just leaves
			if last := s.Frames[len(s.Frames)-1]; last.Label == "UA" {
				wantState = StateDisconnected
			}
			if c.State() != wantState {
				t.Errorf("final state %v, want %v", c.State(), wantState)
			}
			want := serverAPDUs(t, s)
			if len(got) != len(want) {
				t.Fatalf("%d APDUs delivered, recording has %d", len(got), len(want))
			}
			for i := range got {
				if !bytes.Equal(got[i], want[i]) {
					t.Errorf("APDU %d = % X\nwant % X", i, got[i], want[i])
				}
			}
		})
	}
}

// serverAPDUs reassembles the APDUs of the server's I frames of a
// recording, independently of the station.
func serverAPDUs(tb testing.TB, s *dlmstest.Session) [][]byte {
	var out [][]byte
	var cur []byte
	first := true
	for _, vf := range s.Filter(dlmstest.ServerToClient) {
		f := mustParse(tb, vf.Bytes)
		if f.Control.Kind != KindI {
			continue
		}
		info := f.Info
		if first {
			if !bytes.HasPrefix(info, []byte{0xE6, 0xE7, 0x00}) {
				tb.Fatalf("line %d: no response LLC", vf.Line)
			}
			info = info[3:]
		}
		cur = append(cur, info...)
		first = !f.Segmented
		if first {
			out = append(out, cur)
			cur = nil
		}
	}
	return out
}

// TestServerAnswersLikeRecording runs a server station against the
// recorded client frames of a plain session: its UA, and the N(S), N(R)
// and framing of its I frames, match the recorded server frames when it
// is given the recorded APDUs.
func TestServerAnswersLikeRecording(t *testing.T) {
	s := dlmstest.MustLoad(t, vectors, "hdlc_none_get.txt")
	srv, err := NewServer(Config{Server: Address{Upper: 1, Size: 1}})
	if err != nil {
		t.Fatal(err)
	}
	frames := s.Frames
	for i := 0; i < len(frames); i++ {
		vf := frames[i]
		if vf.Dir != dlmstest.ClientToServer {
			continue
		}
		out, apdu, err := srv.Receive(mustParse(t, vf.Bytes))
		if err != nil {
			t.Fatalf("line %d: %v", vf.Line, err)
		}
		if apdu != nil {
			// The recorded answer carries the response APDU.
			resp, _, err := CutLLC(mustParse(t, frames[i+1].Bytes).Info)
			if err != nil {
				t.Fatal(err)
			}
			if out, err = srv.Send(resp); err != nil {
				t.Fatal(err)
			}
		}
		want := frames[i+1]
		if want.Dir != dlmstest.ServerToClient || len(out) != 1 {
			t.Fatalf("line %d: %d frames out", vf.Line, len(out))
		}
		if mustParse(t, vf.Bytes).Control.Kind == KindDISC {
			// The recorded server repeats its parameters in the UA to DISC;
			// this station sends a plain UA.
			if f := mustParse(t, out[0]); f.Control.Kind != KindUA || f.Info != nil {
				t.Errorf("line %d: answer to DISC %v", vf.Line, f)
			}
			continue
		}
		if !bytes.Equal(out[0], want.Bytes) {
			t.Errorf("line %d: server sent % X\nrecorded         % X", want.Line, out[0], want.Bytes)
		}
	}
	if srv.State() != StateDisconnected {
		t.Errorf("final state %v", srv.State())
	}
}
