package axdr

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
)

// MarshalJSON encodes d as {"type": name, "value": v}. The value is a JSON
// number for the integer types up to 32 bits and for finite floats, a
// decimal string for long64 and long64-unsigned (beyond what a JSON number
// keeps exactly), hex for octet-strings and the raw bytes of malformed
// dates, a string of '0' and '1' for bit-strings, the two digits for bcd,
// the ISO form of String for date-time, date and time, "NaN", "+Inf" or
// "-Inf" for such floats, and an array of such objects for arrays,
// structures and compact-arrays. Null-data and dont-care have no value. A
// compact-array whose elements cannot be decoded gives "typeDescription"
// and "contents" in hex instead.
func (d Data) MarshalJSON() ([]byte, error) {
	return d.appendJSON(nil), nil
}

func (d *Data) appendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = appendJSONString(b, d.Tag.String())
	switch d.Tag {
	case TagNull, TagDontCare:
		return append(b, '}')
	case TagArray, TagStructure:
		return append(appendJSONItems(append(b, `,"value":`...), d.Items), '}')
	case TagCompactArray:
		rows, err := d.CompactItems()
		if err == nil {
			return append(appendJSONItems(append(b, `,"value":`...), rows), '}')
		}
		b = append(b, `,"typeDescription":"`...)
		b = hex.AppendEncode(b, d.TypeDesc)
		b = append(b, `","contents":"`...)
		b = hex.AppendEncode(b, d.Bytes)
		return append(b, `"}`...)
	}
	if !d.Tag.Known() {
		return append(b, '}')
	}
	b = append(b, `,"value":`...)
	switch d.Tag {
	case TagBoolean:
		b = strconv.AppendBool(b, d.Uint&0xFF != 0)
	case TagInteger, TagLong, TagDoubleLong:
		b = strconv.AppendInt(b, d.Int, 10)
	case TagUnsigned, TagLongUnsigned, TagDoubleLongUnsigned, TagEnum:
		b = strconv.AppendUint(b, d.Uint, 10)
	case TagFloat32, TagFloat64:
		bits := 64
		v := math.Float64frombits(d.Uint)
		if d.Tag == TagFloat32 {
			bits = 32
			v = float64(math.Float32frombits(uint32(d.Uint)))
		}
		switch {
		case math.IsNaN(v):
			b = append(b, `"NaN"`...)
		case math.IsInf(v, 1):
			b = append(b, `"+Inf"`...)
		case math.IsInf(v, -1):
			b = append(b, `"-Inf"`...)
		default:
			b = strconv.AppendFloat(b, v, 'g', -1, bits)
		}
	case TagVisibleString, TagUTF8String:
		b = appendJSONString(b, string(d.Bytes))
	default:
		// long64, long64-unsigned, bcd, octet-string, bit-string, dates:
		// the text of String, which is plain ASCII.
		b = append(b, '"')
		if d.Tag == TagBitString && d.Bits <= 0 || d.Tag == TagOctetString && len(d.Bytes) == 0 {
			// empty: ""
		} else {
			b = d.appendScalar(b)
		}
		b = append(b, '"')
	}
	return append(b, '}')
}

func appendJSONItems(b []byte, items []Data) []byte {
	b = append(b, '[')
	for i := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = items[i].appendJSON(b)
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string (invalid UTF-8 becomes
// U+FFFD, as encoding/json does).
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}
