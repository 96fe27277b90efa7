package apdu

import (
	"bytes"
	"errors"
	"testing"

	"github.com/openhes/hes/dlms/axdr"
)

// FuzzParse decodes any input. It must not panic; a failure must be an
// *Error; a success must re-encode to a canonical form that decodes to the
// same APDU and re-encodes identically.
func FuzzParse(f *testing.F) {
	for _, apdus := range allVectorAPDUs(f) {
		for _, r := range apdus {
			f.Add(r.APDU)
		}
	}
	for _, tt := range encodeTests {
		f.Add(tt.a.Append(nil))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		a, n, err := Decode(in)
		if err != nil {
			if !errors.As(err, new(*Error)) {
				t.Fatalf("error %v is a %T, want *Error", err, err)
			}
			return
		}
		if n <= 0 || n > len(in) {
			t.Fatalf("took %d of %d bytes", n, len(in))
		}
		text := Format(a)
		enc := a.Append(nil)
		b, n2, err := Decode(enc)
		if err != nil {
			t.Fatalf("canonical form %X of %X does not decode: %v", enc, in[:n], err)
		}
		if n2 != len(enc) {
			t.Fatalf("canonical form %X: took %d of %d bytes", enc, n2, len(enc))
		}
		if enc2 := b.Append(nil); !bytes.Equal(enc, enc2) {
			t.Fatalf("unstable encoding:\n%X\n%X", enc, enc2)
		}
		if text2 := Format(b); text != text2 {
			t.Fatalf("decoded differently:\n%s\n%s", text, text2)
		}
	})
}

// FuzzSelectors reads the parameters of range and entry descriptors.
func FuzzSelectors(f *testing.F) {
	f.Add(clockRange.Parameters.Append(nil))
	f.Add(entryAll.Parameters.Append(nil))
	f.Add(Range{Restrict: CaptureObject{ClassID: 8, Attribute: 2}, From: from, To: to,
		Selected: []CaptureObject{{ClassID: 3, Attribute: 2, DataIndex: 1}}}.Access().Parameters.Append(nil))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, _, err := axdr.Decode(in)
		if err != nil {
			return
		}
		if r, err := ParseRange(SelectiveAccess{Selector: SelectorRange, Parameters: p}); err == nil {
			r2, err := ParseRange(r.Access())
			if err != nil || r2.Restrict != r.Restrict || len(r2.Selected) != len(r.Selected) ||
				!bytes.Equal(r2.From.Append(nil), r.From.Append(nil)) || !bytes.Equal(r2.To.Append(nil), r.To.Append(nil)) {
				t.Fatalf("range %+v read back as %+v, %v", r, r2, err)
			}
		}
		if e, err := ParseEntry(SelectiveAccess{Selector: SelectorEntry, Parameters: p}); err == nil {
			if e2, err := ParseEntry(e.Access()); err != nil || e2 != e {
				t.Fatalf("entry %+v read back as %+v, %v", e, e2, err)
			}
		}
	})
}
