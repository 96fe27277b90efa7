package axdr

import (
	"encoding/hex"
	"io"
	"math"
	"strconv"
)

// String formats d on one line with its type and value:
//
//	long-unsigned 12
//	octet-string 0100010800ff
//	visible-string "ABC"
//	bit-string 1011
//	date-time 2026-11-27T02:36:04.00+00:00
//	structure[2]{integer 0, enum 30}
//
// Integers are decimal (bcd shows its two digits), octet-strings hex. A
// compact-array shows its elements when its type description allows, else
// its raw description and contents.
func (d Data) String() string { return string(d.appendText(nil)) }

func (d *Data) appendText(b []byte) []byte {
	b = d.appendHead(b)
	switch d.Tag {
	case TagArray, TagStructure:
		return appendItemsText(b, d.Items)
	case TagCompactArray:
		if rows, err := d.CompactItems(); err == nil {
			return appendItemsText(b, rows)
		}
	}
	return b
}

func appendItemsText(b []byte, items []Data) []byte {
	b = append(b, '{')
	for i := range items {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = items[i].appendText(b)
	}
	return append(b, '}')
}

// appendHead appends the type name and, for a value that is not a
// container, the value; for arrays, structures and compact-arrays the
// number of items.
func (d *Data) appendHead(b []byte) []byte {
	b = append(b, d.Tag.String()...)
	switch d.Tag {
	case TagNull, TagDontCare:
		return b
	case TagArray, TagStructure:
		return appendCount(b, len(d.Items))
	case TagCompactArray:
		if rows, err := d.CompactItems(); err == nil {
			return appendCount(b, len(rows))
		}
		b = append(b, " type-description "...)
		b = hex.AppendEncode(b, d.TypeDesc)
		b = append(b, " contents "...)
		return appendHexOrEmpty(b, d.Bytes)
	}
	if !d.Tag.Known() {
		return b
	}
	b = append(b, ' ')
	return d.appendScalar(b)
}

func appendCount(b []byte, n int) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, ']')
}

func appendHexOrEmpty(b, v []byte) []byte {
	if len(v) == 0 {
		return append(b, "(empty)"...)
	}
	return hex.AppendEncode(b, v)
}

// appendScalar appends the value of a type that is not a container, in the
// form of String.
func (d *Data) appendScalar(b []byte) []byte {
	switch d.Tag {
	case TagBoolean:
		return strconv.AppendBool(b, d.Uint&0xFF != 0)
	case TagInteger, TagLong, TagDoubleLong, TagLong64:
		return strconv.AppendInt(b, d.Int, 10)
	case TagUnsigned, TagLongUnsigned, TagDoubleLongUnsigned, TagLong64Unsigned, TagEnum:
		return strconv.AppendUint(b, d.Uint, 10)
	case TagBCD:
		return hex.AppendEncode(b, []byte{byte(d.Int)})
	case TagFloat32:
		return strconv.AppendFloat(b, float64(math.Float32frombits(uint32(d.Uint))), 'g', -1, 32)
	case TagFloat64:
		return strconv.AppendFloat(b, math.Float64frombits(d.Uint), 'g', -1, 64)
	case TagOctetString:
		return appendHexOrEmpty(b, d.Bytes)
	case TagVisibleString, TagUTF8String:
		return strconv.AppendQuote(b, string(d.Bytes))
	case TagBitString:
		if d.Bits <= 0 {
			return append(b, "(empty)"...)
		}
		return d.appendBits(b)
	case TagDateTime:
		if dt, err := ParseDateTime(d.Bytes); err == nil {
			return append(b, dt.String()...)
		}
	case TagDate:
		if v, err := ParseDate(d.Bytes); err == nil {
			return append(b, v.String()...)
		}
	case TagTime:
		if v, err := ParseTime(d.Bytes); err == nil {
			return append(b, v.String()...)
		}
	}
	return appendHexOrEmpty(b, d.Bytes)
}

// appendBits appends the bits of a bit-string as '0' and '1', most
// significant first; bits missing from Bytes count as 0, as in Append.
func (d *Data) appendBits(b []byte) []byte {
	for i := range d.Bits {
		c := byte('0')
		if i/8 < len(d.Bytes) && d.Bytes[i/8]&(0x80>>(i%8)) != 0 {
			c = '1'
		}
		b = append(b, c)
	}
	return b
}

// WriteTree writes d to w as a tree, one value a line, the items of arrays,
// structures and compact-arrays one indent deeper than their container:
//
//	structure[2]
//	  integer 0
//	  enum 30
func (d Data) WriteTree(w io.Writer, indent string) error {
	_, err := w.Write(d.appendTree(nil, "", indent))
	return err
}

func (d *Data) appendTree(b []byte, prefix, indent string) []byte {
	b = append(b, prefix...)
	b = d.appendHead(b)
	b = append(b, '\n')
	var items []Data
	switch d.Tag {
	case TagArray, TagStructure:
		items = d.Items
	case TagCompactArray:
		items, _ = d.CompactItems()
	}
	if len(items) > 0 {
		inner := prefix + indent
		for i := range items {
			b = items[i].appendTree(b, inner, indent)
		}
	}
	return b
}
