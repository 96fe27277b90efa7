package ber

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRead(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		tag      Tag
		contents string
		rest     string
	}{
		{"short form", "04 02 AABB CC", 0x04, "AABB", "CC"},
		{"empty contents", "80 00", 0x80, "", ""},
		{"long form 0x81", "BE 81 03 010203", 0xBE, "010203", ""},
		{"long form 0x82", "BE 82 0003 010203 FF", 0xBE, "010203", "FF"},
		{"non-minimal 0x84", "A1 84 00000001 06", 0xA1, "06", ""},
		{"two-octet tag", "5F1F 04 00001E1D", 0x5F1F, "00001E1D", ""},
		{"three-octet tag", "BF8101 01 00", 0xBF8101, "00", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(unhex(t, tt.in))
			tag, c, err := r.Read()
			if err != nil {
				t.Fatal(err)
			}
			if tag != tt.tag {
				t.Errorf("tag = %v, want %v", tag, tt.tag)
			}
			if got := hex.EncodeToString(c.Rest()); got != strings.ToLower(tt.contents) {
				t.Errorf("contents = %s, want %s", got, tt.contents)
			}
			if got := hex.EncodeToString(r.Rest()); got != strings.ToLower(tt.rest) {
				t.Errorf("rest = %s, want %s", got, tt.rest)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   error
		offset int
	}{
		{"empty", "", ErrShort, 0},
		{"no length", "04", ErrShort, 0},
		{"contents short", "04 03 AABB", ErrShort, 0},
		{"long length short", "04 82 01", ErrShort, 0},
		{"long contents short", "04 81 03 AABB", ErrShort, 0},
		{"indefinite", "30 80 0000", ErrIndefinite, 0},
		{"five length octets", "04 85 0000000001 00", ErrLength, 0},
		{"huge length", "04 84 FFFFFFFF 00", ErrShort, 0},
		{"tag too long", "1F 81 81 81 01 00", ErrTagSize, 0},
		{"tag ends", "1F 81", ErrShort, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(unhex(t, tt.in))
			_, _, err := r.Read()
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Offset != tt.offset {
				t.Errorf("err = %#v, want offset %d", err, tt.offset)
			}
		})
	}
}

func TestNestedOffsets(t *testing.T) {
	// The inner OCTET STRING claims 5 bytes but has 1: the error names the
	// offset of the inner element in the whole input.
	r := NewReader(unhex(t, "60 05 A1 03 04 05 00"))
	c, err := r.ReadTagged(0x60)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := c.ReadTagged(0xA1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c2.ReadTagged(TagOctetString)
	var e *Error
	if !errors.As(err, &e) || e.Offset != 4 || !errors.Is(err, ErrShort) {
		t.Fatalf("err = %v, want ErrShort at offset 4", err)
	}
}

func TestReadTaggedAndOptional(t *testing.T) {
	r := NewReader(unhex(t, "A1 01 00 A3 01 01"))
	if _, ok, err := r.ReadOptional(0xA2); ok || err != nil {
		t.Fatalf("ReadOptional(0xA2) = %v, %v; want absent", ok, err)
	}
	if _, err := r.ReadTagged(0xA3); !errors.Is(err, ErrTag) {
		t.Fatalf("ReadTagged(0xA3) = %v, want ErrTag", err)
	}
	if r.Offset() != 0 {
		t.Fatalf("a failed ReadTagged consumed input: offset %d", r.Offset())
	}
	if _, ok, err := r.ReadOptional(0xA1); !ok || err != nil {
		t.Fatalf("ReadOptional(0xA1) = %v, %v; want present", ok, err)
	}
	c, err := r.ReadTagged(0xA3)
	if err != nil || !bytes.Equal(c.Rest(), []byte{1}) || !r.Empty() || r.Offset() != 6 {
		t.Fatalf("ReadTagged(0xA3) = %x, %v; offset %d", c.Rest(), err, r.Offset())
	}
	if _, ok, err := r.ReadOptional(0xA1); ok || err != nil {
		t.Fatalf("ReadOptional at the end = %v, %v", ok, err)
	}
}

func TestReadInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"02 01 00", 0},
		{"02 01 7F", 127},
		{"02 02 0080", 128},
		{"02 01 FF", -1},
		{"02 02 FF7F", -129},
		{"02 03 000001", 1}, // non-minimal, accepted
		{"02 08 7FFFFFFFFFFFFFFF", 1<<63 - 1},
	}
	for _, tt := range tests {
		r := NewReader(unhex(t, tt.in))
		v, err := r.ReadInt(TagInteger)
		if err != nil || v != tt.want {
			t.Errorf("ReadInt(%s) = %d, %v; want %d", tt.in, v, err, tt.want)
		}
	}
	for _, in := range []string{"02 00", "02 09 000000000000000001"} {
		r := NewReader(unhex(t, in))
		if _, err := r.ReadInt(TagInteger); !errors.Is(err, ErrInteger) {
			t.Errorf("ReadInt(%s) err = %v, want ErrInteger", in, err)
		}
	}
}

func TestBuilder(t *testing.T) {
	long := bytes.Repeat([]byte{0xAB}, 200)
	huge := bytes.Repeat([]byte{0xCD}, 300)
	tests := []struct {
		name  string
		build func(b *Builder)
		want  string
	}{
		{"element", func(b *Builder) { b.AddElement(TagOctetString, []byte{1, 2}) }, "04020102"},
		{"nested", func(b *Builder) {
			m := b.Open(0x60)
			m2 := b.Open(0xA1)
			b.AddElement(TagOID, []byte{0x60, 0x85})
			b.Close(m2)
			b.AddInt(0x80, 0)
			b.Close(m)
		}, "6009" + "a104" + "06026085" + "800100"},
		{"two-octet tag", func(b *Builder) { b.AddElement(0x5F1F, []byte{0}) }, "5f1f0100"},
		{"back-filled 0x81", func(b *Builder) {
			m := b.Open(0xBE)
			b.AddBytes(long)
			b.Close(m)
		}, "be81c8" + hex.EncodeToString(long)},
		{"back-filled 0x82, nested", func(b *Builder) {
			m := b.Open(0x61)
			m2 := b.Open(0xBE)
			b.AddElement(TagOctetString, huge)
			b.Close(m2)
			b.AddByte(0xFF)
			b.Close(m)
		}, "61820135" + "be820130" + "0482012c" + hex.EncodeToString(huge) + "ff"},
		{"integers", func(b *Builder) {
			for _, v := range []int64{0, 127, 128, -1, -128, -129, 1 << 40, -1 << 63} {
				b.AddInt(TagInteger, v)
			}
		}, "020100" + "02017f" + "02020080" + "0201ff" + "020180" + "0202ff7f" + "0206010000000000" + "02088000000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder([]byte{0xEE})
			tt.build(&b)
			if got := hex.EncodeToString(b.Bytes()); got != "ee"+tt.want {
				t.Errorf("got  %s\nwant ee%s", got, tt.want)
			}
		})
	}
}

func TestAppendLength(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{{0, "00"}, {127, "7f"}, {128, "8180"}, {255, "81ff"}, {256, "820100"}, {65536, "83010000"}, {1 << 24, "8401000000"}} {
		got := AppendLength(nil, tt.n)
		if hex.EncodeToString(got) != tt.want || len(got) != LengthSize(tt.n) {
			t.Errorf("AppendLength(%d) = %x, want %s", tt.n, got, tt.want)
		}
		r := NewReader(append(append([]byte{4}, got...), make([]byte, tt.n)...))
		if _, c, err := r.Read(); err != nil || c.Len() != tt.n {
			t.Errorf("reading back length %d: %v", tt.n, err)
		}
	}
}

func TestBuilderAllocs(t *testing.T) {
	buf := make([]byte, 0, 512)
	contents := make([]byte, 300)
	allocs := testing.AllocsPerRun(100, func() {
		b := NewBuilder(buf[:0])
		m := b.Open(0x60)
		b.AddInt(0x80, 1)
		b.AddElement(TagOctetString, contents)
		b.Close(m)
		buf = b.Bytes()
	})
	if allocs != 0 {
		t.Errorf("%v allocations, want 0", allocs)
	}
}

func TestTag(t *testing.T) {
	for _, tt := range []struct {
		t           Tag
		class       int
		constructed bool
		s           string
	}{
		{0x04, ClassUniversal, false, "0x04"},
		{0xBE, ClassContext, true, "0xBE"},
		{0x60, ClassApplication, true, "0x60"},
		{0x5F1F, ClassApplication, false, "0x5F1F"},
		{0xDF8101, ClassPrivate, false, "0xDF8101"},
	} {
		if tt.t.Class() != tt.class || tt.t.Constructed() != tt.constructed || tt.t.String() != tt.s {
			t.Errorf("%v: class %#x constructed %v", tt.t, tt.t.Class(), tt.t.Constructed())
		}
	}
}
