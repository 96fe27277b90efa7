package dlmstest

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// serve runs the client side of t against a Replayer, sending each client
// record cut into chunks by cut, and checks that the answers are the
// server records.
func serve(tb testing.TB, t Transcript, cut func([]byte) [][]byte) {
	tb.Helper()
	r := NewReplayer(t)
	var got, want [][]byte
	a, err := r.Receive(nil)
	if err != nil {
		tb.Fatal(err)
	}
	got = append(got, a...)
	for _, rec := range t {
		if rec.Dir == ServerToClient {
			want = append(want, rec.Bytes)
			continue
		}
		for _, chunk := range cut(rec.Bytes) {
			a, err := r.Receive(chunk)
			if err != nil {
				tb.Fatal(err)
			}
			got = append(got, a...)
		}
	}
	if !r.Done() {
		tb.Errorf("replay not done, %d records remain", len(r.Remaining()))
	}
	if len(got) != len(want) {
		tb.Fatalf("%d answers, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			tb.Errorf("answer %d = % X, want % X", i, got[i], want[i])
		}
	}
}

func TestReplayVectors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range MustLoadAll(t, vectors) {
		t.Run(s.Name, func(t *testing.T) {
			tr := s.Transcript()
			serve(t, tr, func(b []byte) [][]byte { return [][]byte{b} })
			serve(t, tr, func(b []byte) [][]byte {
				out := make([][]byte, len(b))
				for i := range b {
					out[i] = b[i : i+1]
				}
				return out
			})
			serve(t, tr, func(b []byte) [][]byte {
				var out [][]byte
				for len(b) > 0 {
					n := 1 + rng.IntN(len(b))
					out, b = append(out, b[:n]), b[n:]
				}
				return out
			})
		})
	}
}

func TestReplayChunkSpanningRecords(t *testing.T) {
	tr := Transcript{
		{ServerToClient, []byte{0xAA}},
		{ClientToServer, []byte{1, 2}},
		{ClientToServer, []byte{3}},
		{ServerToClient, []byte{0xBB}},
		{ServerToClient, []byte{0xCC}},
		{ClientToServer, []byte{4, 5}},
		{ServerToClient, []byte{0xDD}},
	}
	r := NewReplayer(tr)
	got, err := r.Receive([]byte{1})
	if err != nil || len(got) != 1 || got[0][0] != 0xAA {
		t.Fatalf("first Receive = %X, %v", got, err)
	}
	got, err = r.Receive([]byte{2, 3, 4})
	if err != nil || len(got) != 2 || got[0][0] != 0xBB || got[1][0] != 0xCC {
		t.Fatalf("second Receive = %X, %v", got, err)
	}
	if r.Done() {
		t.Fatal("done with a client record half matched")
	}
	got, err = r.Receive([]byte{5})
	if err != nil || len(got) != 1 || got[0][0] != 0xDD || !r.Done() {
		t.Fatalf("third Receive = %X, %v, done %v", got, err, r.Done())
	}
	_, err = r.Receive([]byte{6})
	if !errors.Is(err, ErrExtraBytes) {
		t.Fatalf("bytes after the end: %v", err)
	}
	if r.Done() {
		t.Error("done after a mismatch")
	}
}

func TestReplayMismatch(t *testing.T) {
	tr := Transcript{{ClientToServer, []byte{1, 2, 3, 4}}, {ServerToClient, []byte{9}}}
	r := NewReplayer(tr)
	if _, err := r.Receive([]byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	_, err := r.Receive([]byte{3, 5})
	var m *MismatchError
	if !errors.As(err, &m) {
		t.Fatalf("err = %v", err)
	}
	if m.Record != 0 || m.Offset != 3 || !bytes.Equal(m.Got, []byte{1, 2, 3, 5}) || !bytes.Equal(m.Want, tr[0].Bytes) || m.Err != nil {
		t.Errorf("mismatch = %+v", m)
	}
	if _, err2 := r.Receive([]byte{4}); err2 != err {
		t.Errorf("error not sticky: %v", err2)
	}
}

func TestRecorder(t *testing.T) {
	var rec Recorder
	rec.Record(ClientToServer, []byte{0x7E, 0xA0})
	rec.Record(ClientToServer, nil)
	in := []byte{0x07, 0x7E}
	rec.Record(ClientToServer, in)
	in[0] = 0 // the recorder keeps a copy
	rec.Record(ServerToClient, []byte{0x01})
	rec.Record(ClientToServer, []byte{0x02})
	tr := rec.Transcript()
	want := Transcript{
		{ClientToServer, []byte{0x7E, 0xA0, 0x07, 0x7E}},
		{ServerToClient, []byte{0x01}},
		{ClientToServer, []byte{0x02}},
	}
	if len(tr) != len(want) {
		t.Fatalf("transcript = %v", tr)
	}
	for i := range tr {
		if tr[i].Dir != want[i].Dir || !bytes.Equal(tr[i].Bytes, want[i].Bytes) {
			t.Errorf("record %d = %v % X, want %v % X", i, tr[i].Dir, tr[i].Bytes, want[i].Dir, want[i].Bytes)
		}
	}
	text := tr.AppendText([]byte("# recorded\n"))
	if got, wantText := string(text), "# recorded\nC->S 7EA0077E\nS->C 01\nC->S 02\n"; got != wantText {
		t.Errorf("text = %q, want %q", got, wantText)
	}
	s, err := Parse("rec.txt", text)
	if err != nil {
		t.Fatal(err)
	}
	back := s.Transcript()
	for i := range back {
		if back[i].Dir != tr[i].Dir || !bytes.Equal(back[i].Bytes, tr[i].Bytes) {
			t.Errorf("parsed record %d = %v % X", i, back[i].Dir, back[i].Bytes)
		}
	}
}
