package axdr

import (
	"errors"
	"fmt"
)

// A compact-array (tag 19) carries one type description and then the
// elements without their tags: a fixed-size type takes its bytes, a string
// its length and bytes, a bit-string its length in bits and bytes; the items
// of a structure or array follow each other without a count, which the
// description gives. The type description is a tag, or for a structure
// 02, the number of elements (an A-XDR length) and their descriptions, or
// for an array 01, the number of elements as long-unsigned and the
// description of one.

// ErrTypeDesc is wrapped by the errors about a compact-array type
// description that cannot be used, and about a value that does not match a
// description.
var ErrTypeDesc = errors.New("bad compact-array type description")

// typeDesc is a parsed type description.
type typeDesc struct {
	tag   Tag
	count int        // array, structure: the number of elements
	elems []typeDesc // structure: its elements; array: the one element
	// items is the number of Data values below this one (not counting
	// itself) that an element of this description decodes to.
	items int
}

// parseTypeDesc parses the type description at the front of b. It refuses
// descriptions under which an element could take no bytes in the contents
// (null-data, dont-care, empty structures, arrays of no elements): such a
// compact-array could claim any number of elements.
func parseTypeDesc(b []byte, depth int) (typeDesc, int, error) {
	if depth >= MaxDepth {
		return typeDesc{}, 0, ErrDepth
	}
	if len(b) == 0 {
		return typeDesc{}, 0, ErrShort
	}
	td := typeDesc{tag: Tag(b[0])}
	switch td.tag {
	case TagArray:
		if len(b) < 3 {
			return typeDesc{}, 0, ErrShort
		}
		td.count = int(be16(b[1:]))
		if td.count == 0 {
			return typeDesc{}, 0, fmt.Errorf("%w: array of no elements", ErrTypeDesc)
		}
		el, n, err := parseTypeDesc(b[3:], depth+1)
		if err != nil {
			return typeDesc{}, 0, err
		}
		td.elems = []typeDesc{el}
		td.items = td.count * (1 + el.items)
		return td, 3 + n, nil
	case TagStructure:
		count, ls, err := ReadLength(b[1:])
		if err != nil {
			return typeDesc{}, 0, err
		}
		if count == 0 {
			return typeDesc{}, 0, fmt.Errorf("%w: structure of no elements", ErrTypeDesc)
		}
		off := 1 + ls
		if count > len(b)-off {
			return typeDesc{}, 0, ErrShort
		}
		td.count = count
		td.elems = make([]typeDesc, count)
		for i := range td.elems {
			el, n, err := parseTypeDesc(b[off:], depth+1)
			if err != nil {
				return typeDesc{}, 0, err
			}
			td.elems[i] = el
			td.items += 1 + el.items
			off += n
		}
		return td, off, nil
	case TagNull, TagDontCare:
		return typeDesc{}, 0, fmt.Errorf("%w: %s takes no bytes", ErrTypeDesc, td.tag)
	case TagCompactArray:
		return typeDesc{}, 0, fmt.Errorf("%w: compact-array inside a type description", ErrTypeDesc)
	}
	if !td.tag.Known() {
		return typeDesc{}, 0, ErrUnknownTag
	}
	return td, 1, nil
}

// elem returns the description of element i of an array or structure.
func (td *typeDesc) elem(i int) *typeDesc {
	if td.tag == TagArray {
		return &td.elems[0]
	}
	return &td.elems[i]
}

// compactReader reads the elements of a compact-array's contents.
type compactReader struct {
	c    []byte // the contents
	free []Data // backing array for items, as in decoder
}

// skip checks the element of description td at offset off of the contents
// and returns its size.
func (r *compactReader) skip(td *typeDesc, off int) (int, error) {
	switch td.tag {
	case TagStructure, TagArray:
		start := off
		for i := range td.count {
			n, err := r.skip(td.elem(i), off)
			if err != nil {
				return 0, err
			}
			off += n
		}
		return off - start, nil
	}
	p := r.c[off:]
	n, err := valueSize(td.tag, p)
	if err != nil {
		return 0, &DecodeError{Offset: off, Tag: td.tag, Err: err}
	}
	return n, nil
}

// valueSize returns the size of the untagged value of type t at the front
// of p, a type other than array, structure and compact-array.
func valueSize(t Tag, p []byte) (int, error) {
	if n := t.fixedSize(); n >= 0 {
		if len(p) < n {
			return 0, ErrShort
		}
		return n, nil
	}
	n, ls, err := ReadLength(p)
	if err != nil {
		return 0, err
	}
	if t == TagBitString {
		n = bitBytes(n)
	}
	if len(p)-ls < n {
		return 0, ErrShort
	}
	return ls + n, nil
}

// read decodes the element of description td at offset off into d; skip
// has checked it.
func (r *compactReader) read(d *Data, td *typeDesc, off int) int {
	d.Tag = td.tag
	switch td.tag {
	case TagStructure, TagArray:
		n := td.count
		if n <= len(r.free) {
			d.Items = r.free[:n:n]
			r.free = r.free[n:]
		} else {
			d.Items = make([]Data, n)
		}
		start := off
		for i := range d.Items {
			off += r.read(&d.Items[i], td.elem(i), off)
		}
		return off - start
	}
	p := r.c[off:]
	if n := td.tag.fixedSize(); n >= 0 {
		setFixed(d, p[:n])
		return n
	}
	n, ls, _ := ReadLength(p)
	if td.tag == TagBitString {
		d.Bits = n
		n = bitBytes(n)
	}
	d.Bytes = p[ls : ls+n]
	return ls + n
}

// CompactItems decodes the elements of a compact-array: one Data per
// element, with the tags that the type description gives (a structure's
// items in Items, and so on). Byte slices alias d.Bytes. A *DecodeError
// gives the offset in the contents (d.Bytes) where the faulty element
// starts.
func (d Data) CompactItems() ([]Data, error) {
	if d.Tag != TagCompactArray {
		return nil, fmt.Errorf("axdr: %s is not a compact-array: %w", d.Tag, ErrType)
	}
	td, n, err := parseTypeDesc(d.TypeDesc, 0)
	if err != nil {
		return nil, &DecodeError{Tag: TagCompactArray, Err: fmt.Errorf("type description: %w", err)}
	}
	if n != len(d.TypeDesc) {
		return nil, &DecodeError{Tag: TagCompactArray, Err: fmt.Errorf("%w: %d bytes after the type description", ErrTypeDesc, len(d.TypeDesc)-n)}
	}
	r := compactReader{c: d.Bytes}
	rows := 0
	for off := 0; off < len(r.c); rows++ {
		n, err := r.skip(&td, off)
		if err != nil {
			return nil, err
		}
		off += n
	}
	if rows == 0 {
		return nil, nil
	}
	out := make([]Data, rows)
	if td.items > 0 {
		r.free = make([]Data, rows*td.items)
	}
	off := 0
	for i := range out {
		off += r.read(&out[i], &td, off)
	}
	return out, nil
}

// appendCompact appends element v under description td.
func appendCompact(dst []byte, v *Data, td *typeDesc) ([]byte, error) {
	if v.Tag != td.tag {
		return dst, fmt.Errorf("%w: %s where the description has %s", ErrTypeDesc, v.Tag, td.tag)
	}
	switch td.tag {
	case TagStructure, TagArray:
		if len(v.Items) != td.count {
			return dst, fmt.Errorf("%w: %s of %d items where the description has %d", ErrTypeDesc, td.tag, len(v.Items), td.count)
		}
		for i := range v.Items {
			var err error
			if dst, err = appendCompact(dst, &v.Items[i], td.elem(i)); err != nil {
				return dst, err
			}
		}
		return dst, nil
	}
	return v.appendValue(dst), nil
}

// CompactArray returns a compact-array of the rows, each encoded under the
// type description typeDesc (see AppendTypeDesc to make one from a value).
// It fails when the description cannot be used or a row does not match it.
func CompactArray(typeDesc []byte, rows ...Data) (Data, error) {
	td, n, err := parseTypeDesc(typeDesc, 0)
	if err != nil {
		return Data{}, fmt.Errorf("axdr: compact-array: %w", err)
	}
	if n != len(typeDesc) {
		return Data{}, fmt.Errorf("axdr: compact-array: %w: %d bytes after the type description", ErrTypeDesc, len(typeDesc)-n)
	}
	var contents []byte
	for i := range rows {
		if contents, err = appendCompact(contents, &rows[i], &td); err != nil {
			return Data{}, fmt.Errorf("axdr: compact-array row %d: %w", i, err)
		}
	}
	return Data{Tag: TagCompactArray, TypeDesc: typeDesc, Bytes: contents}, nil
}

// AppendTypeDesc appends the compact-array type description of v: its tag,
// and for a structure the descriptions of its items, for an array its
// number of items and the description of the first. It fails for an empty
// array, an array of more than 65535 items, and a compact-array.
func AppendTypeDesc(dst []byte, v Data) ([]byte, error) {
	return appendTypeDesc(dst, &v, 0)
}

func appendTypeDesc(dst []byte, v *Data, depth int) ([]byte, error) {
	if depth >= MaxDepth {
		return dst, ErrDepth
	}
	switch v.Tag {
	case TagArray:
		if len(v.Items) == 0 || len(v.Items) > 0xFFFF {
			return dst, fmt.Errorf("%w: array of %d items", ErrTypeDesc, len(v.Items))
		}
		dst = append(dst, byte(TagArray), byte(len(v.Items)>>8), byte(len(v.Items)))
		return appendTypeDesc(dst, &v.Items[0], depth+1)
	case TagStructure:
		dst = AppendLength(append(dst, byte(TagStructure)), len(v.Items))
		for i := range v.Items {
			var err error
			if dst, err = appendTypeDesc(dst, &v.Items[i], depth+1); err != nil {
				return dst, err
			}
		}
		return dst, nil
	case TagCompactArray:
		return dst, fmt.Errorf("%w: compact-array inside a type description", ErrTypeDesc)
	}
	return append(dst, byte(v.Tag)), nil
}
