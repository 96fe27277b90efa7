package wrapper

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/openhes/hes/dlms/dlmstest"
)

var vectors = os.DirFS("../../testdata/vectors")

func unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestAppendFrame(t *testing.T) {
	for _, c := range []struct {
		src, dst uint16
		apdu     string
		want     string
	}{
		{16, 1, "6203800100", "00010010000100056203800100"},
		{1, 16, "6303800100", "00010001001000056303800100"},
		{0x1234, 0xFFFF, "", "00011234FFFF0000"},
	} {
		got, err := AppendFrame([]byte{0xEE}, c.src, c.dst, unhex(t, c.apdu))
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(got[1:]) != lower(c.want) || got[0] != 0xEE {
			t.Errorf("AppendFrame(%d, %d, %s) = % X, want %s", c.src, c.dst, c.apdu, got[1:], c.want)
		}
		h, apdu, err := ParseFrame(got[1:])
		if err != nil || h != (Header{Version: 1, Source: c.src, Dest: c.dst, Length: uint16(len(c.apdu) / 2)}) || hex.EncodeToString(apdu) != lower(c.apdu) {
			t.Errorf("ParseFrame = %+v %X %v", h, apdu, err)
		}
	}
	big := make([]byte, MaxAPDU)
	b, err := AppendFrame(nil, 1, 2, big)
	if err != nil || len(b) != HeaderLen+MaxAPDU || b[6] != 0xFF || b[7] != 0xFF {
		t.Errorf("largest frame: %d bytes, %v", len(b), err)
	}
	if _, err := AppendFrame(nil, 1, 2, append(big, 0)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("APDU above the maximum: %v", err)
	}
}

func lower(s string) string { return string(bytes.ToLower([]byte(s))) }

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		in     string
		want   error
		offset int
	}{
		{"", ErrShort, 0},
		{"00010010000100", ErrShort, 7},
		{"00020010000100056203800100", ErrVersion, 0},
		{"00000010000100056203800100", ErrVersion, 0},
		{"000100100001000562038001", ErrLength, 6},
		{"00010010000100056203800100FF", ErrLength, 6},
	} {
		_, _, err := ParseFrame(unhex(t, c.in))
		var he *HeaderError
		if !errors.Is(err, c.want) || !errors.As(err, &he) || he.Offset != c.offset {
			t.Errorf("ParseFrame(%s) err = %v, want %v at %d", c.in, err, c.want, c.offset)
		}
	}
}

// TestVectorFrames parses every frame of the wrapper session, checks it
// against the comment and re-encodes it.
func TestVectorFrames(t *testing.T) {
	s := dlmstest.MustLoad(t, vectors, "wrapper_none_get.txt")
	if len(s.Frames) == 0 {
		t.Fatal("no frames")
	}
	for _, f := range s.Frames {
		h, apdu, err := ParseFrame(f.Bytes)
		if err != nil {
			t.Errorf("line %d: %v", f.Line, err)
			continue
		}
		var src, dst, n int
		if _, err := fmt.Sscanf(f.Label, "WRAPPER src-wport=%d dst-wport=%d len=%d:", &src, &dst, &n); err != nil {
			t.Fatalf("line %d: label %q: %v", f.Line, f.Label, err)
		}
		if int(h.Source) != src || int(h.Dest) != dst || int(h.Length) != n || len(apdu) != n {
			t.Errorf("line %d: header %+v, label %q", f.Line, h, f.Label)
		}
		if f.Dir == dlmstest.ClientToServer && (h.Source != 16 || h.Dest != 1) {
			t.Errorf("line %d: client frame %+v", f.Line, h)
		}
		b, err := AppendFrame(nil, h.Source, h.Dest, apdu)
		if err != nil || !bytes.Equal(b, f.Bytes) {
			t.Errorf("line %d: re-encoded as % X", f.Line, b)
		}
	}
}

func TestDeframerChunkings(t *testing.T) {
	s := dlmstest.MustLoad(t, vectors, "wrapper_none_get.txt")
	stream := s.Stream()
	rng := rand.New(rand.NewPCG(1, 1))
	for name, cut := range map[string]func(int) int{
		"whole":        func(n int) int { return n },
		"byte by byte": func(int) int { return 1 },
		"random":       func(n int) int { return 1 + rng.IntN(min(n, 40)) },
	} {
		var d Deframer
		var got [][]byte
		for rest := stream; len(rest) > 0; {
			n := min(cut(len(rest)), len(rest))
			if _, err := d.Write(rest[:n]); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
			for {
				h, apdu, err := d.Next()
				if errors.Is(err, ErrNeedMore) {
					break
				}
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				b, _ := AppendFrame(nil, h.Source, h.Dest, apdu)
				got = append(got, b)
			}
		}
		if len(got) != len(s.Frames) {
			t.Fatalf("%s: %d frames, want %d", name, len(got), len(s.Frames))
		}
		for i, f := range s.Frames {
			if !bytes.Equal(got[i], f.Bytes) {
				t.Errorf("%s: frame %d = % X", name, i, got[i])
			}
		}
		if d.Buffered() != 0 {
			t.Errorf("%s: %d bytes left", name, d.Buffered())
		}
	}
}

func TestDeframerFinalErrors(t *testing.T) {
	good := unhex(t, "00010010000100056203800100")

	d := Deframer{MaxAPDU: 4}
	d.Write(good)
	_, _, err := d.Next()
	var he *HeaderError
	if !errors.Is(err, ErrTooLarge) || !errors.As(err, &he) || he.Offset != 6 {
		t.Fatalf("APDU of 5 with a limit of 4: %v", err)
	}
	if _, _, err2 := d.Next(); err2 != err {
		t.Errorf("error not final: %v", err2)
	}
	d.Reset()
	d.MaxAPDU = 5
	d.Write(good)
	if _, apdu, err := d.Next(); err != nil || len(apdu) != 5 {
		t.Errorf("after Reset: %X %v", apdu, err)
	}

	// A bad version after a good frame is reported at its stream offset.
	var v Deframer
	v.Write(good)
	v.Write(unhex(t, "0002001000010000"))
	if _, _, err := v.Next(); err != nil {
		t.Fatal(err)
	}
	_, _, err = v.Next()
	if !errors.Is(err, ErrVersion) || !errors.As(err, &he) || he.Offset != len(good) {
		t.Errorf("bad version: %v", err)
	}
}

func TestDeframerBufferLimit(t *testing.T) {
	d := Deframer{MaxAPDU: 100, MaxBuffer: 200}
	if _, err := d.Write(make([]byte, 150)); err != nil {
		t.Fatal(err)
	}
	if n, err := d.Write(make([]byte, 51)); !errors.Is(err, ErrBufferFull) || n != 0 {
		t.Errorf("write past the limit: %d, %v", n, err)
	}
	small := Deframer{MaxBuffer: 10} // raised to one frame of the maximum size
	if _, err := small.Write(make([]byte, HeaderLen+MaxAPDU)); err != nil {
		t.Errorf("one full frame does not fit: %v", err)
	}
}

func TestDeframerAllocs(t *testing.T) {
	s := dlmstest.MustLoad(t, vectors, "wrapper_none_get.txt")
	stream := s.Stream()
	var d Deframer
	run := func() {
		d.Write(stream)
		for {
			if _, _, err := d.Next(); err != nil {
				break
			}
		}
	}
	run()
	if a := testing.AllocsPerRun(50, run); a != 0 {
		t.Errorf("%v allocations per session, want 0", a)
	}
}

// FuzzWrapper checks that parsing never panics, that a parsed frame
// re-encodes to the same bytes, and that the Deframer, fed the same bytes
// in chunks, never panics and returns only frames that parse alone.
func FuzzWrapper(f *testing.F) {
	s := dlmstest.MustLoad(f, vectors, "wrapper_none_get.txt")
	for _, fr := range s.Frames {
		f.Add(fr.Bytes)
	}
	f.Add(s.Stream())
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, apdu, err := ParseFrame(b); err == nil {
			out, err := AppendFrame(nil, h.Source, h.Dest, apdu)
			if err != nil || !bytes.Equal(out, b) {
				t.Fatalf("re-encoded as % X, %v", out, err)
			}
			h2, apdu2, err := ParseFrame(out)
			if err != nil || h2 != h || !bytes.Equal(apdu2, apdu) {
				t.Fatalf("second parse %+v %v", h2, err)
			}
		}
		d := Deframer{MaxAPDU: 1 + len(b)%300}
		for off := 0; off < len(b); off += 7 {
			if _, err := d.Write(b[off:min(off+7, len(b))]); err != nil {
				t.Fatal(err)
			}
			for {
				h, apdu, err := d.Next()
				if err != nil {
					break
				}
				if int(h.Length) != len(apdu) || len(apdu) > d.MaxAPDU {
					t.Fatalf("header %+v with %d-byte APDU", h, len(apdu))
				}
			}
		}
	})
}

func BenchmarkDeframer(b *testing.B) {
	s := dlmstest.MustLoad(b, vectors, "wrapper_none_get.txt")
	var stream []byte
	for len(stream) < 64<<10 {
		stream = append(stream, s.Stream()...)
	}
	var d Deframer
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		d.Reset()
		for off := 0; off < len(stream); off += 4096 {
			d.Write(stream[off:min(off+4096, len(stream))])
			for {
				if _, _, err := d.Next(); err != nil {
					break
				}
			}
		}
	}
}
