package hdlc

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/openhes/hes/dlms/dlmstest"
)

// drain calls Next until ErrNeedMore, collecting copies of the raw frames
// and the skip errors. Any other error fails the test.
func drain(tb testing.TB, d *Deframer) (frames [][]byte, skips []*SkipError) {
	tb.Helper()
	for {
		f, err := d.Next()
		if errors.Is(err, ErrNeedMore) {
			return frames, skips
		}
		var se *SkipError
		if errors.As(err, &se) {
			skips = append(skips, se)
			continue
		}
		if err != nil {
			tb.Fatalf("Next: %v", err)
		}
		raw := d.Raw()
		// The frame and its raw bytes agree.
		b, err := AppendFrame(nil, f)
		if err != nil || !bytes.Equal(b, raw) {
			tb.Fatalf("frame %v re-encodes as % X, raw % X", f, b, raw)
		}
		frames = append(frames, bytes.Clone(raw))
	}
}

// feed writes stream to a new Deframer in the chunks cut gives and
// returns what drain collects after each Write.
func feed(tb testing.TB, stream []byte, cut func(int) int) (frames [][]byte, skips []*SkipError) {
	tb.Helper()
	var d Deframer
	for len(stream) > 0 {
		n := min(cut(len(stream)), len(stream))
		if _, err := d.Write(stream[:n]); err != nil {
			tb.Fatal(err)
		}
		stream = stream[n:]
		f, s := drain(tb, &d)
		frames, skips = append(frames, f...), append(skips, s...)
	}
	return frames, skips
}

func sameFrames(tb testing.TB, got, want [][]byte) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("%d frames, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			tb.Fatalf("frame %d = % X\nwant      % X", i, got[i], want[i])
		}
	}
}

func hdlcSessions(tb testing.TB) []*dlmstest.Session {
	var out []*dlmstest.Session
	for _, s := range dlmstest.MustLoadAll(tb, vectors) {
		if s.Framing == dlmstest.FramingHDLC {
			out = append(out, s)
		}
	}
	return out
}

func frameBytes(s *dlmstest.Session) [][]byte {
	var out [][]byte
	for _, f := range s.Frames {
		out = append(out, f.Bytes)
	}
	return out
}

func TestDeframerVectorChunkings(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range hdlcSessions(t) {
		t.Run(s.Name, func(t *testing.T) {
			stream, want := s.Stream(), frameBytes(s)
			for name, cut := range map[string]func(int) int{
				"whole":        func(n int) int { return n },
				"byte by byte": func(int) int { return 1 },
				"random":       func(n int) int { return 1 + rng.IntN(min(n, 300)) },
				"random small": func(int) int { return 1 + rng.IntN(8) },
			} {
				got, skips := feed(t, stream, cut)
				if len(skips) > 0 {
					t.Fatalf("%s: skipped %v", name, skips[0])
				}
				sameFrames(t, got, want)
			}
		})
	}
}

// TestDeframerGarbage puts bytes without a flag before and between the
// frames; every garbage byte is reported, exactly once, and every frame
// comes out.
func TestDeframerGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, s := range hdlcSessions(t) {
		var stream []byte
		garbage := 0
		for _, f := range s.Frames {
			for range rng.IntN(20) {
				b := byte(rng.Uint32())
				if b == Flag {
					b = 0x55
				}
				stream = append(stream, b)
				garbage++
			}
			stream = append(stream, f.Bytes...)
		}
		stream = append(stream, 0x01, 0x02, 0x03)
		garbage += 3
		got, skips := feed(t, stream, func(n int) int { return 1 + rng.IntN(64) })
		sameFrames(t, got, frameBytes(s))
		skipped := 0
		for _, se := range skips {
			// Garbage that starts like a frame format field after the closing
			// flag of a frame is a candidate frame that fails.
			var fe *FrameError
			if !errors.Is(se, ErrGarbage) && !errors.As(se, &fe) {
				t.Errorf("%s: skip reason %v", s.Name, se)
			}
			if stream[se.Offset] == Flag {
				t.Errorf("%s: skip at offset %d starts at a flag", s.Name, se.Offset)
			}
			skipped += se.N
		}
		if skipped != garbage {
			t.Errorf("%s: skipped %d bytes, garbage %d", s.Name, skipped, garbage)
		}
	}
}

// TestDeframerNoisyFlags puts flags and frame-like starts among the
// garbage: candidates that fail are dropped and the real frames survive.
func TestDeframerNoisyFlags(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	s := dlmstest.MustLoad(t, vectors, "hdlc_lls_get_set_action.txt")
	noise := [][]byte{
		{Flag},
		{Flag, Flag, Flag},
		{Flag, 0xA0},
		{Flag, 0xA7, 0xFF, 0x03, 0x21, 0x10, 0x00, 0x00}, // long length, wrong HCS
		{Flag, 0xA0, 0x07, 0x03, 0x21, 0x93, 0x00, 0x00}, // short frame, wrong FCS
		{Flag, 0xB0, 0x07},
		{0x11, Flag, 0xA0, 0x09, 0x03, 0x03, 0x03},
	}
	var stream []byte
	for _, f := range s.Frames {
		stream = append(stream, noise[rng.IntN(len(noise))]...)
		stream = append(stream, f.Bytes...)
	}
	for _, cut := range []func(int) int{func(int) int { return 1 }, func(n int) int { return n }} {
		got, skips := feed(t, stream, cut)
		sameFrames(t, got, frameBytes(s))
		if len(skips) == 0 {
			t.Error("no skip reported")
		}
		for _, se := range skips {
			var fe *FrameError
			if !errors.Is(se, ErrGarbage) && !errors.As(se, &fe) {
				t.Errorf("skip reason %v", se)
			}
		}
	}
}

// TestDeframerLongLengthDoesNotStall checks that a flag followed by a
// header claiming 2047 bytes is rejected by its HCS before the deframer
// waits for 2047 bytes.
func TestDeframerLongLengthDoesNotStall(t *testing.T) {
	var d Deframer
	d.Write([]byte{Flag, 0xA7, 0xFF, 0x03, 0x21, 0x10, 0x12, 0x34})
	d.Write(unhex(t, "7EA00703215303C77E"))
	frames, skips := drain(t, &d)
	if len(frames) != 1 || len(skips) != 1 || !errors.Is(skips[0], ErrBadHCS) {
		t.Fatalf("frames %d, skips %v", len(frames), skips)
	}
	if skips[0].Offset != 0 || skips[0].N != 8 {
		t.Errorf("skip %+v, want 8 bytes at 0", skips[0])
	}
}

func TestDeframerEcho(t *testing.T) {
	s := dlmstest.MustLoad(t, vectors, "hdlc_none_get.txt")
	var stream []byte
	var want [][]byte
	for _, f := range s.Frames {
		stream = append(stream, f.Bytes...)
		want = append(want, f.Bytes)
		if f.Dir == dlmstest.ClientToServer { // an optical probe echoes what the client sends
			stream = append(stream, f.Bytes...)
			want = append(want, f.Bytes)
		}
	}
	got, skips := feed(t, stream, func(int) int { return 5 })
	if len(skips) > 0 {
		t.Fatal(skips[0])
	}
	sameFrames(t, got, want)
}

// frameWithFlagIn returns an I frame whose FCS (which = 0) or HCS
// (which = 1) contains 0x7E, found by varying the control field and the
// length and content of the information field.
func frameWithFlagIn(tb testing.TB, which int) []byte {
	for i := range 1 << 15 {
		info := make([]byte, 4+i>>7)
		copy(info, []byte{0xE6, 0xE7, 0x00, 0xC4})
		info[len(info)-1] = byte(i)
		f := Frame{Dest: client16, Src: server1, Control: Control{Kind: KindI, NS: uint8(i % 8), NR: uint8(i / 8 % 8), PF: i/64%2 == 0}, Info: info}
		b, err := AppendFrame(nil, f)
		if err != nil {
			tb.Fatal(err)
		}
		if which == 0 && (b[len(b)-3] == Flag || b[len(b)-2] == Flag) ||
			which == 1 && (b[6] == Flag || b[7] == Flag) {
			return b
		}
	}
	tb.Fatal("no frame found")
	return nil
}

func TestDeframerFlagInsideFrame(t *testing.T) {
	fcs, hcs := frameWithFlagIn(t, 0), frameWithFlagIn(t, 1)
	if _, err := ParseFrame(fcs); err != nil {
		t.Fatal(err)
	}
	rr := unhex(t, "7EA00703215111E47E")
	want := [][]byte{fcs, rr, hcs, fcs, rr}
	stream := bytes.Join(want, nil)
	for _, cut := range []func(int) int{func(int) int { return 1 }, func(int) int { return 3 }, func(n int) int { return n }} {
		got, skips := feed(t, stream, cut)
		if len(skips) > 0 {
			t.Fatal(skips[0])
		}
		sameFrames(t, got, want)
	}
}

// TestDeframerSharedFlags runs frames that share their flags, then frames
// separated by several flags.
func TestDeframerSharedFlags(t *testing.T) {
	s := dlmstest.MustLoad(t, vectors, "hdlc_none_get.txt")
	want := frameBytes(s)
	shared := []byte{Flag}
	for _, f := range want {
		shared = append(shared, f[1:]...) // the closing flag of one frame opens the next
	}
	filled := bytes.Join(want, []byte{Flag, Flag, Flag})
	for _, stream := range [][]byte{shared, filled} {
		got, skips := feed(t, stream, func(int) int { return 1 })
		if len(skips) > 0 {
			t.Fatal(skips[0])
		}
		sameFrames(t, got, want)
	}
}

func TestDeframerCorruptFrame(t *testing.T) {
	s := dlmstest.MustLoad(t, vectors, "hdlc_none_get.txt")
	frames := frameBytes(s)
	bad := bytes.Clone(frames[3])
	bad[20] ^= 0x01 // in the information field of the AARE
	if bytes.IndexByte(bad[1:len(bad)-1], Flag) >= 0 {
		t.Fatal("test frame contains a flag")
	}
	stream := bytes.Join([][]byte{frames[0], frames[1], frames[2], bad, frames[4]}, nil)
	got, skips := feed(t, stream, func(int) int { return 7 })
	sameFrames(t, got, [][]byte{frames[0], frames[1], frames[2], frames[4]})
	if len(skips) != 1 || !errors.Is(skips[0], ErrBadFCS) {
		t.Fatalf("skips %v", skips)
	}
	off := len(frames[0]) + len(frames[1]) + len(frames[2])
	if se := skips[0]; se.Offset != int64(off) || se.N != len(bad)-1 {
		t.Errorf("skip of %d bytes at %d, want %d at %d", se.N, se.Offset, len(bad)-1, off)
	}
	if msg := skips[0].Error(); msg != "hdlc: skipped 56 bytes at stream offset 86: bad frame check sequence at offset 54 of the candidate frame" {
		t.Errorf("message %q", msg)
	}

	// Shared flags: the corrupt frame starts at the closing flag of the
	// previous one, which is not counted as skipped.
	stream = append(bytes.Clone(frames[0]), bad[1:]...)
	stream = append(stream, frames[4][1:]...)
	got, skips = feed(t, stream, func(int) int { return 1 })
	sameFrames(t, got, [][]byte{frames[0], frames[4]})
	if len(skips) != 1 || skips[0].Offset != int64(len(frames[0])) || skips[0].N != len(bad)-2 {
		t.Errorf("shared flags: skips %+v", skips)
	}
}

func TestDeframerBufferLimit(t *testing.T) {
	d := Deframer{MaxBuffer: 3000}
	chunk := make([]byte, 2000) // garbage
	if _, err := d.Write(chunk); err != nil {
		t.Fatal(err)
	}
	if n, err := d.Write(chunk); !errors.Is(err, ErrBufferFull) || n != 0 {
		t.Fatalf("second write: %d, %v", n, err)
	}
	if d.Buffered() != 2000 {
		t.Errorf("Buffered = %d", d.Buffered())
	}
	_, skips := drain(t, &d)
	if len(skips) != 1 || skips[0].N != 2000 || d.Buffered() != 0 {
		t.Fatalf("skips %v, buffered %d", skips, d.Buffered())
	}
	if _, err := d.Write(chunk); err != nil {
		t.Fatal(err)
	}

	small := Deframer{MaxBuffer: 10} // raised to one whole frame
	if _, err := small.Write(make([]byte, MaxFrameLength+2)); err != nil {
		t.Errorf("a whole frame does not fit: %v", err)
	}
	small.Reset()
	if small.Buffered() != 0 || small.Raw() != nil {
		t.Error("Reset left bytes")
	}
}

func TestDeframerAllocs(t *testing.T) {
	stream := typicalStream(t, 16<<10)
	var d Deframer
	run := func() {
		for off := 0; off < len(stream); off += 4096 {
			d.Write(stream[off:min(off+4096, len(stream))])
			for {
				if _, err := d.Next(); err != nil {
					break
				}
			}
		}
	}
	run() // grow the buffer once
	if a := testing.AllocsPerRun(20, run); a != 0 {
		t.Errorf("%v allocations per 16 KiB stream, want 0", a)
	}
}

// typicalStream repeats the frames of the block-transfer session (full
// segments of 134 bytes, RR frames, short I frames) up to n bytes or more.
func typicalStream(tb testing.TB, n int) []byte {
	s := dlmstest.MustLoad(tb, vectors, "hdlc_none_block_transfer.txt")
	var b []byte
	for len(b) < n {
		for _, f := range s.Frames {
			b = append(b, f.Bytes...)
		}
	}
	return b
}

// BenchmarkDeframer deframes a 64 KiB stream of typical frames, written in
// chunks of the given size.
func BenchmarkDeframer(b *testing.B) {
	stream := typicalStream(b, 64<<10)[:64<<10]
	for _, chunk := range []int{512, 4096, 64 << 10} {
		b.Run(byteSize(chunk), func(b *testing.B) {
			var d Deframer
			b.SetBytes(int64(len(stream)))
			b.ReportAllocs()
			frames := 0
			for b.Loop() {
				d.Reset()
				for off := 0; off < len(stream); off += chunk {
					d.Write(stream[off:min(off+chunk, len(stream))])
					for {
						_, err := d.Next()
						if err == ErrNeedMore {
							break
						}
						if err == nil {
							frames++
						}
					}
				}
			}
			b.ReportMetric(float64(frames)/float64(b.N), "frames/op")
		})
	}
}

func byteSize(n int) string {
	if n >= 1024 {
		return itoa(n/1024) + "KiB"
	}
	return itoa(n) + "B"
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
