package ber

import "fmt"

// Reader reads BER elements from the front of a byte slice. The zero Reader
// is empty. Readers are small values: copy one to look ahead.
type Reader struct {
	b   []byte
	off int // offset of b[0] in the outermost input, for errors
}

// NewReader returns a Reader over b. Byte slices that it returns alias b.
func NewReader(b []byte) Reader { return Reader{b: b} }

// Empty reports whether every byte has been read.
func (r *Reader) Empty() bool { return len(r.b) == 0 }

// Len returns the number of bytes left.
func (r *Reader) Len() int { return len(r.b) }

// Offset returns the offset of the next byte in the outermost input.
func (r *Reader) Offset() int { return r.off }

// Rest returns the bytes left, without consuming them.
func (r *Reader) Rest() []byte { return r.b }

func (r *Reader) fail(off int, err error) error { return &Error{Offset: off, Err: err} }

// header parses the tag and length at the front of r and returns the tag,
// the size of the header and the length of the contents.
func (r *Reader) header() (t Tag, hdr, n int, err error) {
	b := r.b
	if len(b) == 0 {
		return 0, 0, 0, r.fail(r.off, ErrShort)
	}
	t = Tag(b[0])
	i := 1
	if b[0]&0x1F == 0x1F {
		for {
			if i == len(b) {
				return 0, 0, 0, r.fail(r.off, ErrShort)
			}
			if i == 4 {
				return 0, 0, 0, r.fail(r.off, ErrTagSize)
			}
			t = t<<8 | Tag(b[i])
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
	}
	if i == len(b) {
		return 0, 0, 0, r.fail(r.off, ErrShort)
	}
	l := b[i]
	i++
	switch {
	case l < 0x80:
		n = int(l)
	case l == 0x80:
		return 0, 0, 0, r.fail(r.off, ErrIndefinite)
	default:
		k := int(l & 0x7F)
		if k > 4 {
			return 0, 0, 0, r.fail(r.off, fmt.Errorf("%w: %d length octets", ErrLength, k))
		}
		if len(b)-i < k {
			return 0, 0, 0, r.fail(r.off, ErrShort)
		}
		var v uint64
		for _, c := range b[i : i+k] {
			v = v<<8 | uint64(c)
		}
		i += k
		if v > uint64(len(b)-i) {
			return 0, 0, 0, r.fail(r.off, fmt.Errorf("%w: %d bytes of contents, %d left", ErrShort, v, len(b)-i))
		}
		n = int(v)
	}
	if n > len(b)-i {
		return 0, 0, 0, r.fail(r.off, fmt.Errorf("%w: %d bytes of contents, %d left", ErrShort, n, len(b)-i))
	}
	return t, i, n, nil
}

// PeekTag returns the tag of the next element without consuming it; ok is
// false when r is empty or the tag is malformed.
func (r *Reader) PeekTag() (t Tag, ok bool) {
	t, _, _, err := r.header()
	return t, err == nil
}

// Read reads the next element and returns its tag and a Reader over its
// contents.
func (r *Reader) Read() (Tag, Reader, error) {
	t, hdr, n, err := r.header()
	if err != nil {
		return 0, Reader{}, err
	}
	c := Reader{b: r.b[hdr : hdr+n : hdr+n], off: r.off + hdr}
	r.b = r.b[hdr+n:]
	r.off += hdr + n
	return t, c, nil
}

// ReadTagged reads the next element, which must have tag want, and returns a
// Reader over its contents. Nothing is consumed when the tag differs.
func (r *Reader) ReadTagged(want Tag) (Reader, error) {
	t, _, _, err := r.header()
	if err != nil {
		return Reader{}, err
	}
	if t != want {
		return Reader{}, r.fail(r.off, fmt.Errorf("%w %v, want %v", ErrTag, t, want))
	}
	_, c, err := r.Read()
	return c, err
}

// ReadOptional reads the next element if its tag is want; present is false,
// and nothing is consumed, when r is empty or the next tag differs.
func (r *Reader) ReadOptional(want Tag) (c Reader, present bool, err error) {
	if t, ok := r.PeekTag(); !ok || t != want {
		return Reader{}, false, nil
	}
	c, err = r.ReadTagged(want)
	return c, err == nil, err
}

// ReadInt reads an element with tag want that holds an INTEGER (a universal
// INTEGER when want is TagInteger, an implicitly tagged one otherwise).
// Non-minimal encodings are accepted; the value must fit in an int64.
func (r *Reader) ReadInt(want Tag) (int64, error) {
	off := r.off
	c, err := r.ReadTagged(want)
	if err != nil {
		return 0, err
	}
	v, err := ParseInt(c.b)
	if err != nil {
		return 0, r.fail(off, err)
	}
	return v, nil
}

// ParseInt returns the value of the contents of an INTEGER: big-endian two's
// complement, one to eight bytes.
func ParseInt(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > 8 {
		return 0, fmt.Errorf("%w: %d bytes", ErrInteger, len(b))
	}
	v := int64(int8(b[0]))
	for _, c := range b[1:] {
		v = v<<8 | int64(c)
	}
	return v, nil
}
