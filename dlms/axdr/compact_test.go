package axdr

import (
	"bytes"
	"errors"
	"testing"
)

func TestCompactItems(t *testing.T) {
	tests := []struct {
		name string
		hex  string // the whole compact-array
		want []Data
	}{
		{"long-unsigned", "13 12 06 0001 0002 fffe",
			[]Data{Uint16(1), Uint16(2), Uint16(0xfffe)}},
		{"no elements", "13 12 00", nil},
		{"structure of capture time and value", "13 02 02 09 06 22" +
			"0c 07ea0b1b0502240400000000 00000001" +
			"0c 07ea0b1b0502250400000000 00000002",
			[]Data{
				Structure(OctetString(unhexMust("07ea0b1b0502240400000000")), Uint32(1)),
				Structure(OctetString(unhexMust("07ea0b1b0502250400000000")), Uint32(2)),
			}},
		{"array of two unsigned", "13 01 0002 11 04 01 02 03 04",
			[]Data{Array(Uint8(1), Uint8(2)), Array(Uint8(3), Uint8(4))}},
		{"strings and bits", "13 02 03 0a 04 0c 0b" +
			"02 4142 0c ab00 00" +
			"00 00 01 00",
			[]Data{
				Structure(VisibleString("AB"), BitString([]byte{0xab, 0x00}, 12), UTF8String("")),
				Structure(VisibleString(""), BitString(nil, 0), UTF8String("\x00")),
			}},
		{"nested structure", "13 02 02 0f 02 02 03 16 06 ff 01 1e 05 00 1f",
			[]Data{
				Structure(Int8(-1), Structure(Bool(true), Enum(30))),
				Structure(Int8(5), Structure(Bool(false), Enum(31))),
			}},
		{"dates and floats", "13 02 03 19 1b 17 14" +
			"07ea0b1b0502240400000000 022404ff 3fc00000",
			[]Data{Structure(
				Data{Tag: TagDateTime, Bytes: unhexMust("07ea0b1b0502240400000000")},
				Data{Tag: TagTime, Bytes: unhexMust("022404ff")},
				Float32(1.5))}},
	}
	for _, tt := range tests {
		in := unhex(t, tt.hex)
		d, n, err := Decode(in)
		if err != nil || n != len(in) || d.Tag != TagCompactArray {
			t.Errorf("%s: Decode = %v, %d, %v", tt.name, d, n, err)
			continue
		}
		rows, err := d.CompactItems()
		if err != nil {
			t.Errorf("%s: CompactItems: %v", tt.name, err)
			continue
		}
		if len(rows) != len(tt.want) {
			t.Errorf("%s: %d rows %v, want %d", tt.name, len(rows), rows, len(tt.want))
			continue
		}
		for i := range rows {
			if !rows[i].Equal(tt.want[i]) {
				t.Errorf("%s: row %d = %v, want %v", tt.name, i, rows[i], tt.want[i])
			}
		}
		// Encoding the rows under the same description gives the contents back.
		c, err := CompactArray(d.TypeDesc, rows...)
		if err != nil || !bytes.Equal(c.Encode(), in) {
			t.Errorf("%s: CompactArray = %x, %v; want %x", tt.name, c.Encode(), err, in)
		}
		if len(rows) > 0 {
			desc, err := AppendTypeDesc(nil, rows[0])
			if err != nil || !bytes.Equal(desc, d.TypeDesc) {
				t.Errorf("%s: AppendTypeDesc = %x, %v; want %x", tt.name, desc, err, d.TypeDesc)
			}
		}
	}
}

func TestCompactItemsErrors(t *testing.T) {
	tests := []struct {
		name   string
		d      Data
		want   error
		offset int
		text   string
	}{
		{"not a compact-array", Uint8(1), ErrType, -1, "axdr: unsigned is not a compact-array: wrong data type"},
		{"null-data description", Data{Tag: TagCompactArray, TypeDesc: []byte{0x00}}, ErrTypeDesc, 0,
			"axdr: compact-array at offset 0: type description: bad compact-array type description: null-data takes no bytes"},
		{"dont-care in a structure", Data{Tag: TagCompactArray, TypeDesc: unhexMust("0202 11 ff"), Bytes: []byte{1}}, ErrTypeDesc, 0,
			"axdr: compact-array at offset 0: type description: bad compact-array type description: dont-care takes no bytes"},
		{"empty structure", Data{Tag: TagCompactArray, TypeDesc: unhexMust("0200")}, ErrTypeDesc, 0,
			"axdr: compact-array at offset 0: type description: bad compact-array type description: structure of no elements"},
		{"array of none", Data{Tag: TagCompactArray, TypeDesc: unhexMust("01000011")}, ErrTypeDesc, 0,
			"axdr: compact-array at offset 0: type description: bad compact-array type description: array of no elements"},
		{"nested compact-array", Data{Tag: TagCompactArray, TypeDesc: unhexMust("13")}, ErrTypeDesc, 0,
			"axdr: compact-array at offset 0: type description: bad compact-array type description: compact-array inside a type description"},
		{"unknown tag", Data{Tag: TagCompactArray, TypeDesc: unhexMust("0201 63")}, ErrUnknownTag, 0,
			"axdr: compact-array at offset 0: type description: unknown data tag"},
		{"description cut", Data{Tag: TagCompactArray, TypeDesc: unhexMust("0203 1111")}, ErrShort, 0,
			"axdr: compact-array at offset 0: type description: input ends early"},
		{"bytes after the description", Data{Tag: TagCompactArray, TypeDesc: unhexMust("1111")}, ErrTypeDesc, 0,
			"axdr: compact-array at offset 0: bad compact-array type description: 1 bytes after the type description"},
		{"last element cut", Data{Tag: TagCompactArray, TypeDesc: []byte{0x12}, Bytes: unhexMust("0001 0002 00")}, ErrShort, 4,
			"axdr: long-unsigned at offset 4: input ends early"},
		{"string cut in the second row", Data{Tag: TagCompactArray, TypeDesc: unhexMust("0202 11 09"), Bytes: unhexMust("01 02aabb 02 03aabb")}, ErrShort, 5,
			"axdr: octet-string at offset 5: input ends early"},
		{"bad length in contents", Data{Tag: TagCompactArray, TypeDesc: []byte{0x0a}, Bytes: unhexMust("80")}, ErrLength, 0,
			"axdr: visible-string at offset 0: bad length: length of length 0"},
	}
	for _, tt := range tests {
		rows, err := tt.d.CompactItems()
		if err == nil {
			t.Errorf("%s: CompactItems = %v, want an error", tt.name, rows)
			continue
		}
		if !errors.Is(err, tt.want) || err.Error() != tt.text {
			t.Errorf("%s: %q, want %q", tt.name, err, tt.text)
		}
		var de *DecodeError
		if tt.offset >= 0 && (!errors.As(err, &de) || de.Offset != tt.offset) {
			t.Errorf("%s: %v: want a *DecodeError at offset %d", tt.name, err, tt.offset)
		}
	}
}

func TestCompactArrayErrors(t *testing.T) {
	tests := []struct {
		name string
		desc []byte
		rows []Data
		want string
	}{
		{"bad description", []byte{0x00}, nil, "axdr: compact-array: bad compact-array type description: null-data takes no bytes"},
		{"trailing description", []byte{0x11, 0x11}, nil, "axdr: compact-array: bad compact-array type description: 1 bytes after the type description"},
		{"wrong type", []byte{0x11}, []Data{Uint8(1), Uint16(2)}, "axdr: compact-array row 1: bad compact-array type description: long-unsigned where the description has unsigned"},
		{"wrong count", unhexMust("0202 11 11"), []Data{Structure(Uint8(1))}, "axdr: compact-array row 0: bad compact-array type description: structure of 1 items where the description has 2"},
		{"wrong array count", unhexMust("010003 11"), []Data{Array(Uint8(1))}, "axdr: compact-array row 0: bad compact-array type description: array of 1 items where the description has 3"},
		{"wrong nested type", unhexMust("0201 0201 11"), []Data{Structure(Structure(Int8(1)))}, "axdr: compact-array row 0: bad compact-array type description: integer where the description has unsigned"},
	}
	for _, tt := range tests {
		_, err := CompactArray(tt.desc, tt.rows...)
		if !errors.Is(err, ErrTypeDesc) || err.Error() != tt.want {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestAppendTypeDescErrors(t *testing.T) {
	for _, d := range []Data{
		Array(),
		Structure(Array()),
		Array(make([]Data, 0x10000)...),
		{Tag: TagCompactArray},
	} {
		if _, err := AppendTypeDesc(nil, d); !errors.Is(err, ErrTypeDesc) {
			t.Errorf("AppendTypeDesc(%s of %d): %v, want ErrTypeDesc", d.Tag, len(d.Items), err)
		}
	}
	deep := Uint8(1)
	for range MaxDepth {
		deep = Structure(deep)
	}
	if _, err := AppendTypeDesc(nil, deep); !errors.Is(err, ErrDepth) {
		t.Errorf("AppendTypeDesc of %d nested structures: %v, want ErrDepth", MaxDepth, err)
	}
}

// A profile sent as a compact-array reads as the same rows as the array.
func TestCompactProfile(t *testing.T) {
	p := profileBuffer(50)
	desc, err := AppendTypeDesc(nil, p.Items[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := unhexMust("0206 09 06 06 06 06 06"); !bytes.Equal(desc, want) {
		t.Fatalf("type description %x, want %x", desc, want)
	}
	c, err := CompactArray(desc, p.Items...)
	if err != nil {
		t.Fatal(err)
	}
	enc := c.Encode()
	if len(enc) >= len(p.Encode()) {
		t.Errorf("compact-array of %d bytes is not smaller than the array of %d", len(enc), len(p.Encode()))
	}
	d, _, err := Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := d.CompactItems()
	if err != nil || !Array(rows...).Equal(p) {
		t.Fatalf("rows differ: %v", err)
	}
	allocs := testing.AllocsPerRun(10, func() { _, _ = d.CompactItems() })
	if allocs > 3 {
		t.Errorf("CompactItems: %v allocations, want at most 3", allocs)
	}
}
