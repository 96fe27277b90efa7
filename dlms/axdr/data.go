// Package axdr encodes and decodes the A-XDR data types of IEC 62056-6-2
// (the COSEM "Data" CHOICE) and the COSEM date-time, date and time.
//
// Decoding works on a []byte and checks bounds before every read; encoding
// appends to a caller's buffer. A decoded Data value re-encodes to the same
// bytes as long as the input used canonical lengths.
package axdr

import (
	"errors"
	"fmt"
	"math"
)

// Tag is the A-XDR type tag that starts every encoded Data value.
type Tag uint8

// The Data tags of IEC 62056-6-2.
const (
	TagNull               Tag = 0
	TagArray              Tag = 1
	TagStructure          Tag = 2
	TagBoolean            Tag = 3
	TagBitString          Tag = 4
	TagDoubleLong         Tag = 5
	TagDoubleLongUnsigned Tag = 6
	TagOctetString        Tag = 9
	TagVisibleString      Tag = 10
	TagUTF8String         Tag = 12
	TagBCD                Tag = 13
	TagInteger            Tag = 15
	TagLong               Tag = 16
	TagUnsigned           Tag = 17
	TagLongUnsigned       Tag = 18
	TagCompactArray       Tag = 19
	TagLong64             Tag = 20
	TagLong64Unsigned     Tag = 21
	TagEnum               Tag = 22
	TagFloat32            Tag = 23
	TagFloat64            Tag = 24
	TagDateTime           Tag = 25
	TagDate               Tag = 26
	TagTime               Tag = 27
	TagDontCare           Tag = 255
)

var tagNames = map[Tag]string{
	TagNull: "null-data", TagArray: "array", TagStructure: "structure", TagBoolean: "boolean",
	TagBitString: "bit-string", TagDoubleLong: "double-long", TagDoubleLongUnsigned: "double-long-unsigned",
	TagOctetString: "octet-string", TagVisibleString: "visible-string", TagUTF8String: "utf8-string",
	TagBCD: "bcd", TagInteger: "integer", TagLong: "long", TagUnsigned: "unsigned",
	TagLongUnsigned: "long-unsigned", TagCompactArray: "compact-array", TagLong64: "long64",
	TagLong64Unsigned: "long64-unsigned", TagEnum: "enum", TagFloat32: "float32", TagFloat64: "float64",
	TagDateTime: "date-time", TagDate: "date", TagTime: "time", TagDontCare: "dont-care",
}

// String returns the name the standard gives the type, e.g. "long-unsigned".
func (t Tag) String() string {
	if s, ok := tagNames[t]; ok {
		return s
	}
	return fmt.Sprintf("tag(%d)", uint8(t))
}

// Known reports whether t is a Data tag of IEC 62056-6-2.
func (t Tag) Known() bool { _, ok := tagNames[t]; return ok }

// fixedSize is the encoded size of the value (after the tag) of the
// fixed-size types, or 0 for the types that carry a length or items.
func (t Tag) fixedSize() int {
	switch t {
	case TagNull, TagDontCare:
		return 0
	case TagBoolean, TagBCD, TagInteger, TagUnsigned, TagEnum:
		return 1
	case TagLong, TagLongUnsigned:
		return 2
	case TagDoubleLong, TagDoubleLongUnsigned, TagFloat32:
		return 4
	case TagLong64, TagLong64Unsigned, TagFloat64:
		return 8
	case TagDateTime:
		return 12
	case TagDate:
		return 5
	case TagTime:
		return 4
	}
	return -1
}

// Data is one A-XDR value. Which fields are used depends on Tag:
//
//   - integer, long, double-long, long64, bcd: Int
//   - unsigned, long-unsigned, double-long-unsigned, long64-unsigned, enum,
//     boolean (the raw byte): Uint
//   - float32, float64: Uint holds the IEEE 754 bits (so NaN payloads survive)
//   - octet-string, visible-string, utf8-string: Bytes
//   - bit-string: Bytes (bits packed most significant first) and Bits (the length in bits)
//   - date-time, date, time: Bytes (the raw 12, 5 or 4 bytes; see DateTime)
//   - array, structure: Items
//   - compact-array: TypeDesc (the raw type description) and Bytes (the raw contents)
//   - null-data, dont-care: nothing
type Data struct {
	Tag      Tag
	Int      int64
	Uint     uint64
	Bytes    []byte
	Bits     int
	Items    []Data
	TypeDesc []byte
}

// Constructors for the common types.

// Null returns null-data.
func Null() Data { return Data{Tag: TagNull} }

// Bool returns a boolean.
func Bool(v bool) Data {
	if v {
		return Data{Tag: TagBoolean, Uint: 1}
	}
	return Data{Tag: TagBoolean}
}

// Int8 returns an integer.
func Int8(v int8) Data { return Data{Tag: TagInteger, Int: int64(v)} }

// Int16 returns a long.
func Int16(v int16) Data { return Data{Tag: TagLong, Int: int64(v)} }

// Int32 returns a double-long.
func Int32(v int32) Data { return Data{Tag: TagDoubleLong, Int: int64(v)} }

// Int64 returns a long64.
func Int64(v int64) Data { return Data{Tag: TagLong64, Int: v} }

// Uint8 returns an unsigned.
func Uint8(v uint8) Data { return Data{Tag: TagUnsigned, Uint: uint64(v)} }

// Uint16 returns a long-unsigned.
func Uint16(v uint16) Data { return Data{Tag: TagLongUnsigned, Uint: uint64(v)} }

// Uint32 returns a double-long-unsigned.
func Uint32(v uint32) Data { return Data{Tag: TagDoubleLongUnsigned, Uint: uint64(v)} }

// Uint64 returns a long64-unsigned.
func Uint64(v uint64) Data { return Data{Tag: TagLong64Unsigned, Uint: v} }

// Enum returns an enum.
func Enum(v uint8) Data { return Data{Tag: TagEnum, Uint: uint64(v)} }

// BCD returns a bcd value.
func BCD(v int8) Data { return Data{Tag: TagBCD, Int: int64(v)} }

// Float32 returns a float32.
func Float32(v float32) Data { return Data{Tag: TagFloat32, Uint: uint64(math.Float32bits(v))} }

// Float64 returns a float64.
func Float64(v float64) Data { return Data{Tag: TagFloat64, Uint: math.Float64bits(v)} }

// OctetString returns an octet-string holding b (not copied).
func OctetString(b []byte) Data { return Data{Tag: TagOctetString, Bytes: b} }

// VisibleString returns a visible-string.
func VisibleString(s string) Data { return Data{Tag: TagVisibleString, Bytes: []byte(s)} }

// UTF8String returns a utf8-string.
func UTF8String(s string) Data { return Data{Tag: TagUTF8String, Bytes: []byte(s)} }

// BitString returns a bit-string of n bits packed most significant bit first in b.
func BitString(b []byte, n int) Data { return Data{Tag: TagBitString, Bytes: b, Bits: n} }

// Array returns an array of items.
func Array(items ...Data) Data { return Data{Tag: TagArray, Items: items} }

// Structure returns a structure of items.
func Structure(items ...Data) Data { return Data{Tag: TagStructure, Items: items} }

// DontCare returns dont-care.
func DontCare() Data { return Data{Tag: TagDontCare} }

// IsInteger reports whether d holds one of the integer types (signed or
// unsigned, bcd and enum included).
func (d Data) IsInteger() bool {
	switch d.Tag {
	case TagInteger, TagLong, TagDoubleLong, TagLong64, TagBCD,
		TagUnsigned, TagLongUnsigned, TagDoubleLongUnsigned, TagLong64Unsigned, TagEnum:
		return true
	}
	return false
}

// Signed reports whether d holds a signed integer type.
func (d Data) Signed() bool {
	switch d.Tag {
	case TagInteger, TagLong, TagDoubleLong, TagLong64, TagBCD:
		return true
	}
	return false
}

// Int64Value returns an integer value as int64; ok is false for a
// non-integer type or an unsigned value above math.MaxInt64.
func (d Data) Int64Value() (v int64, ok bool) {
	if !d.IsInteger() {
		return 0, false
	}
	if d.Signed() {
		return d.Int, true
	}
	if d.Uint > math.MaxInt64 {
		return 0, false
	}
	return int64(d.Uint), true
}

// Float returns the value of a float32 or float64.
func (d Data) Float() (float64, bool) {
	switch d.Tag {
	case TagFloat32:
		return float64(math.Float32frombits(uint32(d.Uint))), true
	case TagFloat64:
		return math.Float64frombits(d.Uint), true
	}
	return 0, false
}

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
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("axdr: %s at offset %d: %v", e.Tag, e.Offset, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// AppendLength appends the A-XDR length encoding of n (one byte below 128,
// else 0x80|k followed by k big-endian bytes, k up to 4).
func AppendLength(dst []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(dst, byte(n))
	case n <= 0xFF:
		return append(dst, 0x81, byte(n))
	case n <= 0xFFFF:
		return append(dst, 0x82, byte(n>>8), byte(n))
	case n <= 0xFFFFFF:
		return append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		return append(dst, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// LengthSize is the number of bytes AppendLength writes for n.
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

// ReadLength reads an A-XDR length from the front of b and returns it with
// the number of bytes it took.
func ReadLength(b []byte) (n int, size int, err error) {
	if len(b) == 0 {
		return 0, 0, ErrShort
	}
	if b[0] < 0x80 {
		return int(b[0]), 1, nil
	}
	k := int(b[0] & 0x7F)
	if k == 0 || k > 4 {
		return 0, 0, fmt.Errorf("%w: length of length %d", ErrLength, k)
	}
	if len(b) < 1+k {
		return 0, 0, ErrShort
	}
	var v uint64
	for _, c := range b[1 : 1+k] {
		v = v<<8 | uint64(c)
	}
	if v > math.MaxInt32 {
		return 0, 0, fmt.Errorf("%w: %d", ErrLength, v)
	}
	return int(v), 1 + k, nil
}

// Decode reads one Data value from the front of b and returns it with the
// number of bytes consumed. Byte slices in the result alias b.
func Decode(b []byte) (Data, int, error) {
	return decode(b, 0, 0)
}

func decode(b []byte, base, depth int) (Data, int, error) {
	if len(b) == 0 {
		return Data{}, 0, &DecodeError{Offset: base, Err: ErrShort}
	}
	d := Data{Tag: Tag(b[0])}
	fail := func(err error) (Data, int, error) {
		return Data{}, 0, &DecodeError{Offset: base, Tag: d.Tag, Err: err}
	}
	p := b[1:]
	if n := d.Tag.fixedSize(); n >= 0 {
		if !d.Tag.Known() {
			return fail(ErrUnknownTag)
		}
		if len(p) < n {
			return fail(ErrShort)
		}
		v := p[:n]
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
		return d, 1 + n, nil
	}
	switch d.Tag {
	case TagOctetString, TagVisibleString, TagUTF8String:
		n, ls, err := ReadLength(p)
		if err != nil {
			return fail(err)
		}
		if len(p)-ls < n {
			return fail(ErrShort)
		}
		d.Bytes = p[ls : ls+n]
		return d, 1 + ls + n, nil
	case TagBitString:
		n, ls, err := ReadLength(p)
		if err != nil {
			return fail(err)
		}
		nb := (n + 7) / 8
		if len(p)-ls < nb {
			return fail(ErrShort)
		}
		d.Bits = n
		d.Bytes = p[ls : ls+nb]
		return d, 1 + ls + nb, nil
	case TagArray, TagStructure:
		if depth >= MaxDepth {
			return fail(ErrDepth)
		}
		n, ls, err := ReadLength(p)
		if err != nil {
			return fail(err)
		}
		off := 1 + ls
		if n > len(b)-off {
			// every element takes at least one byte
			return fail(ErrShort)
		}
		d.Items = make([]Data, n)
		for i := range d.Items {
			item, used, err := decode(b[off:], base+off, depth+1)
			if err != nil {
				return Data{}, 0, err
			}
			d.Items[i] = item
			off += used
		}
		return d, off, nil
	case TagCompactArray:
		desc, err := typeDescSize(p, 0)
		if err != nil {
			return fail(err)
		}
		d.TypeDesc = p[:desc]
		n, ls, err := ReadLength(p[desc:])
		if err != nil {
			return fail(err)
		}
		if len(p)-desc-ls < n {
			return fail(ErrShort)
		}
		d.Bytes = p[desc+ls : desc+ls+n]
		return d, 1 + desc + ls + n, nil
	}
	return fail(ErrUnknownTag)
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

// Append appends the A-XDR encoding of d to dst.
func (d Data) Append(dst []byte) []byte {
	dst = append(dst, byte(d.Tag))
	switch d.Tag {
	case TagBoolean, TagUnsigned, TagEnum:
		return append(dst, byte(d.Uint))
	case TagInteger, TagBCD:
		return append(dst, byte(d.Int))
	case TagLong:
		return append(dst, byte(d.Int>>8), byte(d.Int))
	case TagLongUnsigned:
		return append(dst, byte(d.Uint>>8), byte(d.Uint))
	case TagDoubleLong:
		return appendBE32(dst, uint32(d.Int))
	case TagDoubleLongUnsigned, TagFloat32:
		return appendBE32(dst, uint32(d.Uint))
	case TagLong64:
		return appendBE64(dst, uint64(d.Int))
	case TagLong64Unsigned, TagFloat64:
		return appendBE64(dst, d.Uint)
	case TagDateTime, TagDate, TagTime:
		n := d.Tag.fixedSize()
		v := d.Bytes
		for i := range n {
			if i < len(v) {
				dst = append(dst, v[i])
			} else {
				dst = append(dst, 0xFF)
			}
		}
		return dst
	case TagOctetString, TagVisibleString, TagUTF8String:
		dst = AppendLength(dst, len(d.Bytes))
		return append(dst, d.Bytes...)
	case TagBitString:
		dst = AppendLength(dst, d.Bits)
		nb := (d.Bits + 7) / 8
		for i := range nb {
			if i < len(d.Bytes) {
				dst = append(dst, d.Bytes[i])
			} else {
				dst = append(dst, 0)
			}
		}
		return dst
	case TagArray, TagStructure:
		dst = AppendLength(dst, len(d.Items))
		for _, it := range d.Items {
			dst = it.Append(dst)
		}
		return dst
	case TagCompactArray:
		dst = append(dst, d.TypeDesc...)
		dst = AppendLength(dst, len(d.Bytes))
		return append(dst, d.Bytes...)
	}
	return dst
}

// Encode returns the A-XDR encoding of d in a new slice.
func (d Data) Encode() []byte { return d.Append(nil) }

func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }
func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
func be64(b []byte) uint64 { return uint64(be32(b))<<32 | uint64(be32(b[4:])) }

func appendBE32(dst []byte, v uint32) []byte {
	return append(dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func appendBE64(dst []byte, v uint64) []byte {
	return appendBE32(appendBE32(dst, uint32(v>>32)), uint32(v))
}
