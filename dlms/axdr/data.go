package axdr

import (
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

var tagNames = [256]string{
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
	if s := tagNames[t]; s != "" {
		return s
	}
	return fmt.Sprintf("tag(%d)", uint8(t))
}

// Known reports whether t is a Data tag of IEC 62056-6-2.
func (t Tag) Known() bool { return tagNames[t] != "" }

// fixedSize is the encoded size of the value (after the tag) of the
// fixed-size types, or -1 for the types that carry a length or items and
// for unknown tags.
func (t Tag) fixedSize() int { return int(fixedSizes[t]) }

var fixedSizes = func() (s [256]int8) {
	for i := range s {
		s[i] = -1
	}
	for _, t := range []Tag{TagNull, TagDontCare} {
		s[t] = 0
	}
	for _, t := range []Tag{TagBoolean, TagBCD, TagInteger, TagUnsigned, TagEnum} {
		s[t] = 1
	}
	for _, t := range []Tag{TagLong, TagLongUnsigned} {
		s[t] = 2
	}
	for _, t := range []Tag{TagDoubleLong, TagDoubleLongUnsigned, TagFloat32} {
		s[t] = 4
	}
	for _, t := range []Tag{TagLong64, TagLong64Unsigned, TagFloat64} {
		s[t] = 8
	}
	s[TagDateTime], s[TagDate], s[TagTime] = 12, 5, 4
	return s
}()

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
//   - compact-array: TypeDesc (the raw type description) and Bytes (the raw
//     contents); CompactItems decodes the elements
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

// Append appends the A-XDR encoding of d to dst.
func (d Data) Append(dst []byte) []byte {
	return d.appendValue(append(dst, byte(d.Tag)))
}

// appendValue appends the encoding of d after its tag.
func (d *Data) appendValue(dst []byte) []byte {
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
		nb := bitBytes(d.Bits)
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
		for i := range d.Items {
			it := &d.Items[i]
			dst = it.appendValue(append(dst, byte(it.Tag)))
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
