package axdr

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"strings"
	"testing"
)

// unhex decodes hex written with optional spaces.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// codecTests hold a value and its encoding; each decodes to the value and
// the value encodes to the bytes.
var codecTests = []struct {
	name string
	d    Data
	hex  string
}{
	{"null-data", Null(), "00"},
	{"dont-care", DontCare(), "ff"},
	{"boolean false", Bool(false), "03 00"},
	{"boolean true", Bool(true), "03 01"},
	{"integer min", Int8(math.MinInt8), "0f 80"},
	{"integer -1", Int8(-1), "0f ff"},
	{"integer max", Int8(math.MaxInt8), "0f 7f"},
	{"long min", Int16(math.MinInt16), "10 8000"},
	{"long max", Int16(math.MaxInt16), "10 7fff"},
	{"double-long min", Int32(math.MinInt32), "05 80000000"},
	{"double-long max", Int32(math.MaxInt32), "05 7fffffff"},
	{"long64 min", Int64(math.MinInt64), "14 8000000000000000"},
	{"long64 max", Int64(math.MaxInt64), "14 7fffffffffffffff"},
	{"unsigned 0", Uint8(0), "11 00"},
	{"unsigned max", Uint8(math.MaxUint8), "11 ff"},
	{"long-unsigned 0", Uint16(0), "12 0000"},
	{"long-unsigned max", Uint16(math.MaxUint16), "12 ffff"},
	{"double-long-unsigned max", Uint32(math.MaxUint32), "06 ffffffff"},
	{"long64-unsigned max", Uint64(math.MaxUint64), "15 ffffffffffffffff"},
	{"enum 0", Enum(0), "16 00"},
	{"enum max", Enum(255), "16 ff"},
	{"bcd", BCD(0x12), "0d 12"},
	{"float32 1.5", Float32(1.5), "17 3fc00000"},
	{"float32 -inf", Float32(float32(math.Inf(-1))), "17 ff800000"},
	{"float32 NaN payload", Data{Tag: TagFloat32, Uint: 0x7fc00001}, "17 7fc00001"},
	{"float64 -2.5", Float64(-2.5), "18 c004000000000000"},
	{"float64 max", Float64(math.MaxFloat64), "18 7fefffffffffffff"},
	{"octet-string empty", OctetString([]byte{}), "09 00"},
	{"octet-string OBIS", OctetString([]byte{1, 0, 1, 8, 0, 255}), "09 06 0100010800ff"},
	{"visible-string empty", VisibleString(""), "0a 00"},
	{"visible-string", VisibleString("GRX"), "0a 03 475258"},
	{"utf8-string", UTF8String("é€"), "0c 05 c3a9e282ac"},
	{"bit-string empty", BitString(nil, 0), "04 00"},
	{"bit-string 1 bit", BitString([]byte{0x80}, 1), "04 01 80"},
	{"bit-string 8 bits", BitString([]byte{0xa5}, 8), "04 08 a5"},
	{"bit-string 9 bits", BitString([]byte{0xff, 0x80}, 9), "04 09 ff80"},
	{"date-time", Data{Tag: TagDateTime, Bytes: unhexMust("07ea0b1b0502240400000000")}, "19 07ea0b1b0502240400000000"},
	{"date", Data{Tag: TagDate, Bytes: unhexMust("07ea0b1b05")}, "1a 07ea0b1b05"},
	{"time", Data{Tag: TagTime, Bytes: unhexMust("022404ff")}, "1b 022404ff"},
	{"array empty", Array(), "01 00"},
	{"structure empty", Structure(), "02 00"},
	{"array of empty structures", Array(Structure(), Structure()), "01 02 0200 0200"},
	{"scaler_unit", Structure(Int8(0), Enum(30)), "02 02 0f00 161e"},
	{"nested", Structure(Array(Uint8(1), Structure(Null(), Bool(true))), VisibleString("x")),
		"02 02 01 02 1101 02 02 00 0301 0a 01 78"},
	{"compact-array", Data{Tag: TagCompactArray, TypeDesc: []byte{0x12}, Bytes: unhexMust("00010002")}, "13 12 04 00010002"},
	{"compact-array of structures", Data{Tag: TagCompactArray, TypeDesc: unhexMust("02020911"), Bytes: unhexMust("0201020a 00ff")},
		"13 02020911 06 0201020a00ff"},
}

func unhexMust(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func TestEncode(t *testing.T) {
	for _, tt := range codecTests {
		want := unhex(t, tt.hex)
		if got := tt.d.Encode(); !bytes.Equal(got, want) {
			t.Errorf("%s: Encode() = %x, want %x", tt.name, got, want)
		}
		// Append appends: it keeps what dst holds.
		if got := tt.d.Append([]byte{0xAA}); got[0] != 0xAA || !bytes.Equal(got[1:], want) {
			t.Errorf("%s: Append(aa) = %x", tt.name, got)
		}
	}
}

func TestDecode(t *testing.T) {
	for _, tt := range codecTests {
		in := unhex(t, tt.hex)
		// Trailing bytes are not consumed.
		d, n, err := Decode(append(in, 0xEE, 0xEE))
		if err != nil {
			t.Errorf("%s: Decode(%x): %v", tt.name, in, err)
			continue
		}
		if n != len(in) {
			t.Errorf("%s: Decode consumed %d bytes, want %d", tt.name, n, len(in))
		}
		if !d.Equal(tt.d) {
			t.Errorf("%s: Decode = %v, want %v", tt.name, d, tt.d)
		}
		if got := d.Encode(); !bytes.Equal(got, in) {
			t.Errorf("%s: re-encoded %x, want %x", tt.name, got, in)
		}
	}
}

func TestOctetStringLengths(t *testing.T) {
	tests := []struct {
		n      int
		prefix string // tag and length
	}{
		{0, "09 00"},
		{1, "09 01"},
		{127, "09 7f"},
		{128, "09 8180"},
		{255, "09 81ff"},
		{256, "09 820100"},
		{65535, "09 82ffff"},
		{65536, "09 83010000"},
	}
	for _, tt := range tests {
		content := bytes.Repeat([]byte{0x5A}, tt.n)
		enc := OctetString(content).Encode()
		prefix := unhex(t, tt.prefix)
		if !bytes.HasPrefix(enc, prefix) || len(enc) != len(prefix)+tt.n {
			t.Errorf("%d bytes: encoded as %x…, %d bytes in all; want %x and %d in all",
				tt.n, enc[:min(len(enc), 6)], len(enc), prefix, len(prefix)+tt.n)
			continue
		}
		if LengthSize(tt.n) != len(prefix)-1 {
			t.Errorf("LengthSize(%d) = %d, want %d", tt.n, LengthSize(tt.n), len(prefix)-1)
		}
		d, n, err := Decode(enc)
		if err != nil || n != len(enc) || !bytes.Equal(d.Bytes, content) {
			t.Errorf("%d bytes: Decode = %d bytes of content, %d consumed, %v", tt.n, len(d.Bytes), n, err)
		}
		// One byte short of the content.
		if _, _, err := Decode(enc[:len(enc)-1]); tt.n > 0 && !errors.Is(err, ErrShort) {
			t.Errorf("%d bytes, cut by one: %v, want ErrShort", tt.n, err)
		}
	}
}

func TestLength(t *testing.T) {
	tests := []struct {
		n   int
		hex string
	}{
		{0, "00"}, {0x7F, "7f"}, {0x80, "8180"}, {0xFF, "81ff"}, {0x100, "820100"},
		{0xFFFF, "82ffff"}, {0x10000, "83010000"}, {0xFFFFFF, "83ffffff"},
		{0x1000000, "8401000000"}, {math.MaxInt32, "847fffffff"},
	}
	for _, tt := range tests {
		want := unhex(t, tt.hex)
		if got := AppendLength(nil, tt.n); !bytes.Equal(got, want) {
			t.Errorf("AppendLength(%d) = %x, want %x", tt.n, got, want)
		}
		if got := LengthSize(tt.n); got != len(want) {
			t.Errorf("LengthSize(%d) = %d, want %d", tt.n, got, len(want))
		}
		n, size, err := ReadLength(append(want, 0x99))
		if err != nil || n != tt.n || size != len(want) {
			t.Errorf("ReadLength(%x) = %d, %d, %v", want, n, size, err)
		}
	}
}

func TestReadLengthErrors(t *testing.T) {
	tests := []struct {
		hex  string
		want error
		text string
	}{
		{"", ErrShort, "input ends early"},
		{"80", ErrLength, "bad length: length of length 0"},
		{"85 0000000001", ErrLength, "bad length: length of length 5"},
		{"ff", ErrLength, "bad length: length of length 127"},
		{"81", ErrShort, "input ends early"},
		{"83 0101", ErrShort, "input ends early"},
		{"84 80000000", ErrLength, "bad length: 2147483648"},
		{"84 ffffffff", ErrLength, "bad length: 4294967295"},
	}
	for _, tt := range tests {
		_, _, err := ReadLength(unhex(t, tt.hex))
		if !errors.Is(err, tt.want) || err.Error() != tt.text {
			t.Errorf("ReadLength(%s) = %v, want %q", tt.hex, err, tt.text)
		}
	}
}

// Non-canonical lengths are read; the value re-encodes in canonical form.
func TestDecodeLongFormLength(t *testing.T) {
	tests := []struct{ in, canonical string }{
		{"09 8102 aabb", "09 02 aabb"},
		{"0a 820001 41", "0a 01 41"},
		{"01 8400000001 1101", "01 01 1101"},
		{"04 8108 ff", "04 08 ff"},
	}
	for _, tt := range tests {
		in := unhex(t, tt.in)
		d, n, err := Decode(in)
		if err != nil || n != len(in) {
			t.Errorf("Decode(%s) = %d, %v", tt.in, n, err)
			continue
		}
		if got, want := d.Encode(), unhex(t, tt.canonical); !bytes.Equal(got, want) {
			t.Errorf("Decode(%s).Encode() = %x, want %x", tt.in, got, want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	deep := bytes.Repeat([]byte{0x01, 0x01}, MaxDepth+1)
	deep = append(deep, 0x00)
	tests := []struct {
		name   string
		in     []byte
		want   error
		offset int
		tag    Tag
		text   string
	}{
		{"empty", nil, ErrShort, 0, 0, "axdr: offset 0: input ends early, want a data tag"},
		{"unknown tag", unhex(t, "63"), ErrUnknownTag, 0, 99, "axdr: tag(99) at offset 0: unknown data tag"},
		{"tag 7", unhex(t, "07 00"), ErrUnknownTag, 0, 7, "axdr: tag(7) at offset 0: unknown data tag"},
		{"unknown tag in a structure", unhex(t, "02 02 1101 c8"), ErrUnknownTag, 4, 200, "axdr: tag(200) at offset 4: unknown data tag"},
		{"long-unsigned short", unhex(t, "12 00"), ErrShort, 0, TagLongUnsigned, "axdr: long-unsigned at offset 0: input ends early"},
		{"length of length 0", unhex(t, "09 80"), ErrLength, 0, TagOctetString, "axdr: octet-string at offset 0: bad length: length of length 0"},
		{"length of length 5", unhex(t, "0a 85 0000000001 41"), ErrLength, 0, TagVisibleString, "axdr: visible-string at offset 0: bad length: length of length 5"},
		{"length above int32", unhex(t, "01 84 ffffffff"), ErrLength, 0, TagArray, "axdr: array at offset 0: bad length: 4294967295"},
		{"length cut", unhex(t, "09 82 01"), ErrShort, 0, TagOctetString, "axdr: octet-string at offset 0: input ends early"},
		{"string cut", unhex(t, "09 05 0102"), ErrShort, 0, TagOctetString, "axdr: octet-string at offset 0: input ends early"},
		{"bit-string cut", unhex(t, "04 09 ff"), ErrShort, 0, TagBitString, "axdr: bit-string at offset 0: input ends early"},
		{"more items than bytes", unhex(t, "01 05 1101 1102"), ErrShort, 0, TagArray, "axdr: array at offset 0: input ends early"},
		{"item cut", unhex(t, "01 02 02 01 12 0001 02 01 12"), ErrShort, 9, TagLongUnsigned, "axdr: long-unsigned at offset 9: input ends early"},
		{"compact-array bad description", unhex(t, "13 63 00"), ErrUnknownTag, 0, TagCompactArray, "axdr: compact-array at offset 0: unknown data tag"},
		{"compact-array contents cut", unhex(t, "13 12 04 0001"), ErrShort, 0, TagCompactArray, "axdr: compact-array at offset 0: input ends early"},
		{"depth", deep, ErrDepth, 2 * MaxDepth, TagArray, "axdr: array at offset 128: nesting too deep"},
	}
	for _, tt := range tests {
		d, n, err := Decode(tt.in)
		if err == nil {
			t.Errorf("%s: Decode = %v, %d, want an error", tt.name, d, n)
			continue
		}
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: %T is not a *DecodeError", tt.name, err)
			continue
		}
		if !errors.Is(err, tt.want) || de.Offset != tt.offset || de.Tag != tt.tag || err.Error() != tt.text {
			t.Errorf("%s: %q (offset %d, tag %s), want %q (offset %d, tag %s)",
				tt.name, err, de.Offset, de.Tag, tt.text, tt.offset, tt.tag)
		}
		if n != 0 || d.Tag != 0 || d.Items != nil {
			t.Errorf("%s: on error Decode returned %v, %d", tt.name, d, n)
		}
	}
	// One level less than too deep decodes.
	if _, _, err := Decode(deep[2:]); err != nil {
		t.Errorf("%d nested arrays: %v", MaxDepth, err)
	}
}

// Every cut of a valid encoding is ErrShort at the element that the cut
// falls in.
func TestDecodeShortAtEveryPosition(t *testing.T) {
	//            0  1  2  3  4  5  6  7  8  9  10 11 12
	in := unhex(t, "02 03 12 00 0c 09 02 aa bb 01 01 0f ff")
	offsets := []int{0, 0, 0, 0, 0, 5, 5, 5, 5, 9, 9, 9, 11}
	for cut := range in {
		_, _, err := Decode(in[:cut])
		var de *DecodeError
		if !errors.As(err, &de) || !errors.Is(err, ErrShort) {
			t.Errorf("cut at %d: %v, want ErrShort", cut, err)
			continue
		}
		if de.Offset != offsets[cut] {
			t.Errorf("cut at %d: offset %d, want %d (%v)", cut, de.Offset, offsets[cut], err)
		}
	}
	if _, n, err := Decode(in); err != nil || n != len(in) {
		t.Fatalf("whole input: %d, %v", n, err)
	}
}

// The items of a decoded value share one allocation.
func TestDecodeAllocations(t *testing.T) {
	buf := profileBuffer(100).Encode()
	allocs := testing.AllocsPerRun(20, func() {
		if _, _, err := Decode(buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Errorf("Decode of a 100-row profile: %v allocations, want 1", allocs)
	}
	d, _, _ := Decode(buf)
	// Appending to one row must not overwrite the next.
	row0 := append(d.Items[0].Items, Null())
	if len(row0) != 7 || d.Items[1].Items[0].Tag != TagOctetString {
		t.Error("the item slices share capacity")
	}
}

func TestEncodeAllocations(t *testing.T) {
	d := profileBuffer(100)
	buf := make([]byte, 0, len(d.Encode()))
	allocs := testing.AllocsPerRun(20, func() { buf = d.Append(buf[:0]) })
	if allocs != 0 {
		t.Errorf("Append into a large enough buffer: %v allocations, want 0", allocs)
	}
}

func TestAppendPads(t *testing.T) {
	// A date-time with missing bytes is padded with "not specified", a
	// bit-string with zero bits.
	if got := (Data{Tag: TagDateTime, Bytes: []byte{0x07, 0xEA}}).Encode(); !bytes.Equal(got, unhex(t, "19 07ea ffffffffffffffffffff")) {
		t.Errorf("short date-time: %x", got)
	}
	if got := BitString(nil, 12).Encode(); !bytes.Equal(got, unhex(t, "04 0c 0000")) {
		t.Errorf("short bit-string: %x", got)
	}
}

func TestIntegerAccessors(t *testing.T) {
	tests := []struct {
		d       Data
		integer bool
		signed  bool
		v       int64
		ok      bool
	}{
		{Int8(-5), true, true, -5, true},
		{Int64(math.MinInt64), true, true, math.MinInt64, true},
		{BCD(9), true, true, 9, true},
		{Uint16(65535), true, false, 65535, true},
		{Enum(3), true, false, 3, true},
		{Uint64(math.MaxInt64), true, false, math.MaxInt64, true},
		{Uint64(math.MaxInt64 + 1), true, false, 0, false},
		{Float32(1), false, false, 0, false},
		{OctetString(nil), false, false, 0, false},
	}
	for _, tt := range tests {
		v, ok := tt.d.Int64Value()
		if tt.d.IsInteger() != tt.integer || tt.d.Signed() != tt.signed || v != tt.v || ok != tt.ok {
			t.Errorf("%v: IsInteger %v, Signed %v, Int64Value %d, %v", tt.d, tt.d.IsInteger(), tt.d.Signed(), v, ok)
		}
	}
	if v, ok := Float32(1.5).Float(); !ok || v != 1.5 {
		t.Errorf("Float32(1.5).Float() = %v, %v", v, ok)
	}
	if v, ok := Float64(-2.25).Float(); !ok || v != -2.25 {
		t.Errorf("Float64(-2.25).Float() = %v, %v", v, ok)
	}
	if _, ok := Uint8(1).Float(); ok {
		t.Error("Uint8(1).Float() ok")
	}
}

func TestTagNames(t *testing.T) {
	if TagLongUnsigned.String() != "long-unsigned" || Tag(7).String() != "tag(7)" {
		t.Errorf("names: %q, %q", TagLongUnsigned, Tag(7))
	}
	known := 0
	for i := range 256 {
		if Tag(i).Known() {
			known++
		}
	}
	if known != 25 {
		t.Errorf("%d known tags, want 25", known)
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b Data
		want bool
	}{
		{Uint16(5), Uint16(5), true},
		{Uint16(5), Uint32(5), false},
		{Uint16(5), Uint16(6), false},
		{Uint16(5), Data{Tag: TagLongUnsigned, Uint: 5, Int: 9, Bytes: []byte{1}}, true},
		{OctetString(nil), OctetString([]byte{}), true},
		{OctetString([]byte{1}), OctetString([]byte{2}), false},
		{BitString([]byte{0xF0}, 4), BitString([]byte{0xF0}, 5), false},
		{BitString([]byte{0xF0}, 12), BitString([]byte{0xF0, 0x00}, 12), true},
		{Structure(Uint8(1), Null()), Structure(Uint8(1), Null()), true},
		{Structure(Uint8(1), Null()), Structure(Uint8(1)), false},
		{Array(Uint8(1)), Structure(Uint8(1)), false},
		{Array(Structure(Uint8(1))), Array(Structure(Uint8(2))), false},
		{Data{Tag: TagDate, Bytes: []byte{0x07}}, Data{Tag: TagDate, Bytes: []byte{0x07, 0xFF, 0xFF, 0xFF, 0xFF}}, true},
		{Float64(math.NaN()), Float64(math.NaN()), true},
		{Data{Tag: TagCompactArray, TypeDesc: []byte{0x11}, Bytes: []byte{1}}, Data{Tag: TagCompactArray, TypeDesc: []byte{0x11}, Bytes: []byte{2}}, false},
	}
	for _, tt := range tests {
		if got := tt.a.Equal(tt.b); got != tt.want {
			t.Errorf("%v.Equal(%v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := bytes.Equal(tt.a.Encode(), tt.b.Encode()); got != tt.want {
			t.Errorf("%v and %v: encodings equal = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestDecoder(t *testing.T) {
	var dec Decoder
	big := profileBuffer(100).Encode()
	small := profileBuffer(2).Encode()
	for _, in := range [][]byte{big, small, big, unhex(t, "060001e265"), unhex(t, "0100")} {
		want, wn, werr := Decode(in)
		got, n, err := dec.Decode(in)
		if err != nil || werr != nil || n != wn || !got.Equal(want) {
			t.Fatalf("Decoder.Decode = %d, %v; Decode = %d, %v", n, err, wn, werr)
		}
	}
	allocs := testing.AllocsPerRun(20, func() {
		if _, _, err := dec.Decode(big); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Decoder.Decode once grown: %v allocations, want 0", allocs)
	}
	// A value decoded into less storage than before keeps nothing of the
	// earlier one.
	d, _, _ := dec.Decode(unhex(t, "0201 1101"))
	if it := d.Items[0]; it.Bytes != nil || it.Items != nil {
		t.Errorf("stale fields: %#v", it)
	}
	if _, _, err := dec.Decode(unhex(t, "0202 1101")); !errors.Is(err, ErrShort) {
		t.Errorf("Decoder.Decode of a cut structure: %v", err)
	}
}
