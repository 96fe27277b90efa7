package axdr

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
)

// FuzzDecode checks that Decode never panics, that its errors are
// *DecodeError values inside the input, and that decoding is stable: a
// decoded value re-encodes to bytes that decode to an equal value and
// encode the same again.
func FuzzDecode(f *testing.F) {
	for _, tt := range codecTests {
		f.Add(unhexMust(tt.hex))
	}
	for _, s := range []string{
		"090c07ea0b1b0502240400000000090f090c07ea0b1b0502240400000000090f",
		"060001e265", "02020f00161e", "090c07ea0b1b0502240503000000",
		"130100021104 01020304",
		"09810400000000", "01840000000100", "0a80", "0485ff",
	} {
		f.Add(unhexMust(s))
	}
	p := profileBuffer(3)
	f.Add(p.Encode())
	desc, _ := AppendTypeDesc(nil, p.Items[0])
	c, _ := CompactArray(desc, p.Items...)
	f.Add(c.Encode())
	f.Fuzz(func(t *testing.T, in []byte) {
		d, n, err := Decode(in)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Offset < 0 || de.Offset > len(in) {
				t.Fatalf("Decode(%x): %v", in, err)
			}
			return
		}
		if n <= 0 || n > len(in) {
			t.Fatalf("Decode(%x) consumed %d bytes", in, n)
		}
		enc := d.Encode()
		d2, n2, err := Decode(enc)
		if err != nil || n2 != len(enc) {
			t.Fatalf("re-decode of %x: %d, %v", enc, n2, err)
		}
		if !d2.Equal(d) {
			t.Fatalf("re-decoded %v, want %v", d2, d)
		}
		if enc2 := d2.Encode(); !bytes.Equal(enc2, enc) {
			t.Fatalf("re-encoded %x, want %x", enc2, enc)
		}
		var dec Decoder
		if d3, n3, err := dec.Decode(in); err != nil || n3 != n || !d3.Equal(d) {
			t.Fatalf("Decoder.Decode = %v, %d, %v; want %v, %d", d3, n3, err, d, n)
		}
		// The readers of a value must not panic either.
		_ = d.String()
		_ = d.WriteTree(io.Discard, " ")
		if j, err := json.Marshal(d); err != nil || !json.Valid(j) {
			t.Fatalf("MarshalJSON = %s, %v", j, err)
		}
		visit(d, func(v Data) {
			if v.Tag == TagCompactArray {
				checkCompact(t, v)
			}
			if dt, err := v.DateTime(); err == nil {
				if !bytes.Equal(dt.Append(nil), v.Bytes) {
					t.Fatalf("date-time %x re-encoded %x", v.Bytes, dt.Append(nil))
				}
				_, _ = dt.AsTime()
				_ = dt.String()
			}
		})
	})
}

// checkCompact checks that the elements of a compact-array, when they
// decode, encode under the same description to contents that decode to the
// same elements.
func checkCompact(t *testing.T, v Data) {
	rows, err := v.CompactItems()
	if err != nil {
		return
	}
	c, err := CompactArray(v.TypeDesc, rows...)
	if err != nil {
		t.Fatalf("CompactArray of the rows of %v: %v", v, err)
	}
	rows2, err := c.CompactItems()
	if err != nil || !Array(rows2...).Equal(Array(rows...)) {
		t.Fatalf("compact rows %v, then %v, %v", rows, rows2, err)
	}
}

func visit(d Data, f func(Data)) {
	f(d)
	for _, it := range d.Items {
		visit(it, f)
	}
}
