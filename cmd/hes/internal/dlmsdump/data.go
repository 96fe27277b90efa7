package dlmsdump

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)

// dataNode shows an A-XDR value as a tree: its type and value, the items
// of arrays and structures one level deeper, named by their index.
func dataNode(name string, v axdr.Data) *Node {
	n := &Node{Name: name, Type: v.Tag.String()}
	switch v.Tag {
	case axdr.TagArray, axdr.TagStructure:
		n.Fields = itemNodes(v.Items)
		if v.Tag == axdr.TagStructure {
			classReading(n, v.Items)
		}
	case axdr.TagCompactArray:
		rows, err := v.CompactItems()
		if err != nil {
			n.Value = fmt.Sprintf("type-description %X, contents %X (%v)", v.TypeDesc, v.Bytes, err)
			break
		}
		n.Fields = itemNodes(rows)
	case axdr.TagNull, axdr.TagDontCare:
	default:
		n.Value = strings.TrimPrefix(v.String(), n.Type+" ")
		if v.Tag == axdr.TagOctetString {
			n.Reading = octetReading(v.Bytes)
		}
	}
	return n
}

func itemNodes(items []axdr.Data) []*Node {
	out := make([]*Node, len(items))
	for i, it := range items {
		out[i] = dataNode("["+strconv.Itoa(i)+"]", it)
	}
	return out
}

// octetReading reads an octet-string as text when it is printable, as an
// OBIS code when it has 6 bytes, as a date-time when it has 12 that make
// one.
func octetReading(b []byte) string {
	if r := textReading(b); r != "" {
		return r
	}
	switch len(b) {
	case 6:
		o, err := dlms.OBISFromBytes(b)
		if err == nil {
			return o.String()
		}
	case axdr.DateTimeSize:
		return dateTimeReading(b)
	}
	return ""
}

// textReading quotes b when it is printable ASCII of two bytes or more.
func textReading(b []byte) string {
	if len(b) < 2 {
		return ""
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7E {
			return ""
		}
	}
	return strconv.Quote(string(b))
}

// dateTimeReading writes a 12-byte COSEM date-time in ISO form, or
// returns "" when b is not one.
func dateTimeReading(b []byte) string {
	if len(b) != axdr.DateTimeSize {
		return ""
	}
	dt, err := axdr.ParseDateTime(b)
	if err != nil || dt.Validate() != nil {
		return ""
	}
	return dt.String()
}

// classReading names the interface class of the class id that opens a
// structure such as an object-list element or a capture object
// definition: a long-unsigned followed, one or two items later, by a
// logical name.
func classReading(n *Node, items []axdr.Data) {
	if len(items) < 2 || items[0].Tag != axdr.TagLongUnsigned {
		return
	}
	for _, it := range items[1:min(3, len(items))] {
		if it.Tag == axdr.TagOctetString && len(it.Bytes) == 6 {
			if name := dlms.ClassID(items[0].Uint).String(); !strings.HasPrefix(name, "class ") {
				n.Fields[0].Reading = name
			}
			return
		}
	}
}
