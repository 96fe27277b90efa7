package axdr

import (
	"errors"
	"fmt"
)

// Errors returned (wrapped in *DecodeError) by Decode.
var (
	ErrShort      = errors.New("input ends early")
	ErrUnknownTag = errors.New("unknown data tag")
	ErrLength     = errors.New("bad length")
	ErrDepth      = errors.New("nesting too deep")
)

// MaxDepth is how deeply arrays and structures may nest in decoded input.
const MaxDepth = 64

// DecodeError says where decoding stopped and why.
type DecodeError struct {
	Offset int // byte offset in the input where the faulty element starts
	Tag    Tag // the tag being decoded
	Err    error

	noTag bool // the input ended where a tag was due
}

func (e *DecodeError) Error() string {
	if e.noTag {
		return fmt.Sprintf("axdr: offset %d: %v, want a data tag", e.Offset, e.Err)
	}
	return fmt.Sprintf("axdr: %s at offset %d: %v", e.Tag, e.Offset, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Decode reads one Data value from the front of b and returns it with the
// number of bytes consumed. Byte slices in the result alias b.
//
// The items of all the arrays and structures of the value share one
// allocation: a profile buffer of a thousand rows costs one allocation, not
// a thousand and one.
func Decode(b []byte) (Data, int, error) {
	return decodeTop(b, make([]Data, topItems(b)))
}

// topItems is the number of items that the value at the front of b holds
// in all its arrays and structures.
func topItems(b []byte) int {
	if len(b) == 0 || (Tag(b[0]) != TagArray && Tag(b[0]) != TagStructure) {
		return 0
	}
	_, n := countItems(b, 0)
	return n
}

// decodeTop decodes the value at the front of b with items taken from
// free.
func decodeTop(b []byte, free []Data) (Data, int, error) {
	dec := decoder{free: free}
	var d Data
	n, err := dec.decode(&d, b, 0, 0)
	if err != nil {
		return Data{}, 0, err
	}
	return d, n, nil
}

// A Decoder decodes values into item storage that it keeps from one call to
// the next: decoding buffers of the same shape again and again (the rows of
// profile after profile) allocates nothing once it has grown. The value
// that Decode returns, items and all, stays valid only until the next call
// of Decode on the same Decoder; use the package's Decode for values that
// live longer. The zero Decoder is ready to use.
type Decoder struct {
	buf []Data
}

// Decode is the package's Decode, into the Decoder's storage.
func (dec *Decoder) Decode(b []byte) (Data, int, error) {
	n := topItems(b)
	if cap(dec.buf) < n {
		dec.buf = make([]Data, n)
	}
	free := dec.buf[:n]
	clear(free)
	return decodeTop(b, free)
}

// decoder hands out the item slices of one Decode call from one backing
// array, sized beforehand by countItems.
type decoder struct {
	free []Data
}

func (dec *decoder) items(n int) []Data {
	if n == 0 {
		return nil
	}
	if n <= len(dec.free) {
		s := dec.free[:n:n]
		dec.free = dec.free[n:]
		return s
	}
	return make([]Data, n)
}

func decodeErr(off int, t Tag, err error) error {
	return &DecodeError{Offset: off, Tag: t, Err: err}
}

// decode reads the value at the front of b into d; base is the offset of b
// in the whole input, for errors.
func (dec *decoder) decode(d *Data, b []byte, base, depth int) (int, error) {
	if len(b) == 0 {
		return 0, &DecodeError{Offset: base, Err: ErrShort, noTag: true}
	}
	t := Tag(b[0])
	d.Tag = t
	p := b[1:]
	if n := t.fixedSize(); n >= 0 {
		if len(p) < n {
			return 0, decodeErr(base, t, ErrShort)
		}
		setFixed(d, p[:n])
		return 1 + n, nil
	}
	switch t {
	case TagOctetString, TagVisibleString, TagUTF8String:
		n, ls, err := ReadLength(p)
		if err != nil {
			return 0, decodeErr(base, t, err)
		}
		if len(p)-ls < n {
			return 0, decodeErr(base, t, ErrShort)
		}
		d.Bytes = p[ls : ls+n]
		return 1 + ls + n, nil
	case TagBitString:
		n, ls, err := ReadLength(p)
		if err != nil {
			return 0, decodeErr(base, t, err)
		}
		nb := bitBytes(n)
		if len(p)-ls < nb {
			return 0, decodeErr(base, t, ErrShort)
		}
		d.Bits = n
		d.Bytes = p[ls : ls+nb]
		return 1 + ls + nb, nil
	case TagArray, TagStructure:
		if depth >= MaxDepth {
			return 0, decodeErr(base, t, ErrDepth)
		}
		n, ls, err := ReadLength(p)
		if err != nil {
			return 0, decodeErr(base, t, err)
		}
		off := 1 + ls
		if n > len(b)-off {
			// every item takes at least one byte
			return 0, decodeErr(base, t, ErrShort)
		}
		d.Items = dec.items(n)
		for i := range d.Items {
			it := &d.Items[i]
			// Values of a fixed size are read here, the rest in a call.
			if off < len(b) {
				t := Tag(b[off])
				if fs := t.fixedSize(); fs >= 0 && fs < len(b)-off {
					it.Tag = t
					setFixed(it, b[off+1:off+1+fs])
					off += 1 + fs
					continue
				}
			}
			used, err := dec.decode(it, b[off:], base+off, depth+1)
			if err != nil {
				return 0, err
			}
			off += used
		}
		return off, nil
	case TagCompactArray:
		desc, ls, n, err := compactSize(p)
		if err != nil {
			return 0, decodeErr(base, t, err)
		}
		d.TypeDesc = p[:desc]
		d.Bytes = p[desc+ls : desc+ls+n]
		return 1 + desc + ls + n, nil
	}
	return 0, decodeErr(base, t, ErrUnknownTag)
}

// setFixed sets the value of d, whose Tag is a fixed-size type, from its
// encoding v (of d.Tag.fixedSize() bytes).
func setFixed(d *Data, v []byte) {
	switch d.Tag {
	case TagBoolean, TagUnsigned, TagEnum:
		d.Uint = uint64(v[0])
	case TagInteger, TagBCD:
		d.Int = int64(int8(v[0]))
	case TagLong:
		d.Int = int64(int16(be16(v)))
	case TagLongUnsigned:
		d.Uint = uint64(be16(v))
	case TagDoubleLong:
		d.Int = int64(int32(be32(v)))
	case TagDoubleLongUnsigned, TagFloat32:
		d.Uint = uint64(be32(v))
	case TagLong64:
		d.Int = int64(be64(v))
	case TagLong64Unsigned, TagFloat64:
		d.Uint = be64(v)
	case TagDateTime, TagDate, TagTime:
		d.Bytes = v
	}
}

// compactSize measures the compact-array after its tag at the front of p:
// the size of its type description, of the length of its contents, and of
// the contents.
func compactSize(p []byte) (desc, ls, n int, err error) {
	desc, err = typeDescSize(p, 0)
	if err != nil {
		return 0, 0, 0, err
	}
	n, ls, err = ReadLength(p[desc:])
	if err != nil {
		return 0, 0, 0, err
	}
	if len(p)-desc-ls < n {
		return 0, 0, 0, ErrShort
	}
	return desc, ls, n, nil
}

// countItems returns the size of the value at the front of b and the number
// of items that its arrays and structures hold in all. It stops at the first
// fault (Decode then reports it) and returns the items counted so far.
func countItems(b []byte, depth int) (size, items int) {
	if len(b) == 0 {
		return -1, 0
	}
	t := Tag(b[0])
	p := b[1:]
	if n := t.fixedSize(); n >= 0 {
		if len(p) < n {
			return -1, 0
		}
		return 1 + n, 0
	}
	switch t {
	case TagOctetString, TagVisibleString, TagUTF8String, TagBitString:
		n, ls, err := ReadLength(p)
		if err != nil {
			return -1, 0
		}
		if t == TagBitString {
			n = bitBytes(n)
		}
		if len(p)-ls < n {
			return -1, 0
		}
		return 1 + ls + n, 0
	case TagArray, TagStructure:
		n, ls, err := ReadLength(p)
		if err != nil || depth >= MaxDepth || n > len(p)-ls {
			return -1, 0
		}
		off := 1 + ls
		items = n
		for range n {
			// Values of a fixed size are skipped here, the rest in a call.
			if off < len(b) {
				if fs := Tag(b[off]).fixedSize(); fs >= 0 {
					off += 1 + fs
					continue
				}
			}
			size, k := countItems(b[min(off, len(b)):], depth+1)
			items += k
			if size < 0 {
				return -1, items
			}
			off += size
		}
		if off > len(b) {
			return -1, items
		}
		return off, items
	case TagCompactArray:
		desc, ls, n, err := compactSize(p)
		if err != nil {
			return -1, 0
		}
		return 1 + desc + ls + n, 0
	}
	return -1, 0
}

// typeDescSize returns the size of the TypeDescription at the front of b.
func typeDescSize(b []byte, depth int) (int, error) {
	if depth >= MaxDepth {
		return 0, ErrDepth
	}
	if len(b) == 0 {
		return 0, ErrShort
	}
	t := Tag(b[0])
	switch t {
	case TagArray:
		if len(b) < 3 {
			return 0, ErrShort
		}
		n, err := typeDescSize(b[3:], depth+1)
		return 3 + n, err
	case TagStructure:
		n, ls, err := ReadLength(b[1:])
		if err != nil {
			return 0, err
		}
		off := 1 + ls
		if n > len(b)-off {
			return 0, ErrShort
		}
		for range n {
			k, err := typeDescSize(b[off:], depth+1)
			if err != nil {
				return 0, err
			}
			off += k
		}
		return off, nil
	case TagCompactArray:
		return 0, fmt.Errorf("%w: compact-array inside a type description", ErrUnknownTag)
	}
	if !t.Known() {
		return 0, ErrUnknownTag
	}
	return 1, nil
}
