package ber

// Builder appends BER elements to a byte slice. Open starts a constructed
// or primitive element whose length is not known yet; Close back-fills it
// with the canonical (shortest) length form, moving the contents when the
// length needs more than one byte. A Builder on the stack, writing into a
// buffer with room to spare, does not allocate.
//
//	b := ber.NewBuilder(dst)
//	m := b.Open(0x60)
//	b.AddElement(0x80, []byte{0x00})
//	b.Close(m)
//	dst = b.Bytes()
type Builder struct {
	buf []byte
}

// Mark is an element opened by Open, to be passed to Close.
type Mark struct{ start int }

// NewBuilder returns a Builder that appends to dst.
func NewBuilder(dst []byte) Builder { return Builder{buf: dst} }

// Bytes returns the bytes built so far, dst included.
func (b *Builder) Bytes() []byte { return b.buf }

// AddByte appends one raw byte.
func (b *Builder) AddByte(c byte) { b.buf = append(b.buf, c) }

// AddBytes appends raw bytes, for example the contents of the open element.
func (b *Builder) AddBytes(p []byte) { b.buf = append(b.buf, p...) }

// AddElement appends a complete element.
func (b *Builder) AddElement(t Tag, contents []byte) {
	b.buf = AppendTag(b.buf, t)
	b.buf = AppendLength(b.buf, len(contents))
	b.buf = append(b.buf, contents...)
}

// AddInt appends an INTEGER element with tag t (TagInteger, or an implicit
// tag) holding v in the fewest bytes.
func (b *Builder) AddInt(t Tag, v int64) {
	n := 1
	for n < 8 && (v>>(8*n-1) != 0 && v>>(8*n-1) != -1) {
		n++
	}
	b.buf = AppendTag(b.buf, t)
	b.buf = append(b.buf, byte(n))
	for i := n - 1; i >= 0; i-- {
		b.buf = append(b.buf, byte(v>>(8*i)))
	}
}

// Open appends the tag of an element and room for its length.
func (b *Builder) Open(t Tag) Mark {
	b.buf = AppendTag(b.buf, t)
	b.buf = append(b.buf, 0)
	return Mark{start: len(b.buf)}
}

// Close writes the length of the element opened at m: everything appended
// since. Elements must be closed innermost first.
func (b *Builder) Close(m Mark) {
	n := len(b.buf) - m.start
	if n < 0x80 {
		b.buf[m.start-1] = byte(n)
		return
	}
	k := LengthSize(n) - 1
	b.buf = append(b.buf, make([]byte, k)...)
	copy(b.buf[m.start+k:], b.buf[m.start:m.start+n])
	b.buf[m.start-1] = 0x80 | byte(k)
	for i := range k {
		b.buf[m.start+i] = byte(n >> (8 * (k - 1 - i)))
	}
}

// AppendTag appends the identifier octets of t.
func AppendTag(dst []byte, t Tag) []byte {
	switch {
	case t > 0xFFFFFF:
		return append(dst, byte(t>>24), byte(t>>16), byte(t>>8), byte(t))
	case t > 0xFFFF:
		return append(dst, byte(t>>16), byte(t>>8), byte(t))
	case t > 0xFF:
		return append(dst, byte(t>>8), byte(t))
	}
	return append(dst, byte(t))
}

// AppendLength appends the canonical length form of n: one byte below 128,
// else 0x80|k followed by k big-endian bytes.
func AppendLength(dst []byte, n int) []byte {
	switch k := LengthSize(n) - 1; k {
	case 0:
		return append(dst, byte(n))
	case 1:
		return append(dst, 0x81, byte(n))
	case 2:
		return append(dst, 0x82, byte(n>>8), byte(n))
	case 3:
		return append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		return append(dst, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// LengthSize returns the number of bytes AppendLength writes for n.
func LengthSize(n int) int {
	switch {
	case n < 0x80:
		return 1
	case n <= 0xFF:
		return 2
	case n <= 0xFFFF:
		return 3
	case n <= 0xFFFFFF:
		return 4
	}
	return 5
}
