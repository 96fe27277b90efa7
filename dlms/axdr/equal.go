package axdr

import "bytes"

// Equal reports whether d and o are the same value: whether they encode to
// the same bytes. Fields that a type does not use are ignored, so a decoded
// value equals the one built with a constructor; float NaNs with the same
// bits are equal.
func (d Data) Equal(o Data) bool { return equal(&d, &o) }

func equal(a, b *Data) bool {
	if a.Tag != b.Tag {
		return false
	}
	switch a.Tag {
	case TagBoolean, TagUnsigned, TagEnum:
		return byte(a.Uint) == byte(b.Uint)
	case TagInteger, TagBCD:
		return byte(a.Int) == byte(b.Int)
	case TagLong:
		return uint16(a.Int) == uint16(b.Int)
	case TagLongUnsigned:
		return uint16(a.Uint) == uint16(b.Uint)
	case TagDoubleLong:
		return uint32(a.Int) == uint32(b.Int)
	case TagDoubleLongUnsigned, TagFloat32:
		return uint32(a.Uint) == uint32(b.Uint)
	case TagLong64:
		return a.Int == b.Int
	case TagLong64Unsigned, TagFloat64:
		return a.Uint == b.Uint
	case TagDateTime, TagDate, TagTime:
		n := a.Tag.fixedSize()
		for i := range n {
			if fixedByte(a.Bytes, i) != fixedByte(b.Bytes, i) {
				return false
			}
		}
		return true
	case TagOctetString, TagVisibleString, TagUTF8String:
		return bytes.Equal(a.Bytes, b.Bytes)
	case TagBitString:
		if a.Bits != b.Bits {
			return false
		}
		for i := range bitBytes(a.Bits) {
			if bitByte(a.Bytes, i) != bitByte(b.Bytes, i) {
				return false
			}
		}
		return true
	case TagArray, TagStructure:
		if len(a.Items) != len(b.Items) {
			return false
		}
		for i := range a.Items {
			if !equal(&a.Items[i], &b.Items[i]) {
				return false
			}
		}
		return true
	case TagCompactArray:
		return bytes.Equal(a.TypeDesc, b.TypeDesc) && bytes.Equal(a.Bytes, b.Bytes)
	}
	return true
}

// fixedByte is byte i of a date or time as Append writes it.
func fixedByte(v []byte, i int) byte {
	if i < len(v) {
		return v[i]
	}
	return 0xFF
}

// bitByte is byte i of a bit-string as Append writes it.
func bitByte(v []byte, i int) byte {
	if i < len(v) {
		return v[i]
	}
	return 0
}
