package apdu

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)

// Field is one named field of an APDU, for display: a value, or a group of
// fields (a descriptor, an item of a list). Names are those of the
// standard's ASN.1, e.g. "invoke-id-and-priority".
type Field struct {
	Name   string
	Value  string  // the value as text; empty for a group
	Fields []Field // the members of a group, in wire order
}

// Format returns the name of a and its fields, one per line, members of a
// group indented:
//
//	get-request-normal
//	  invoke-id-and-priority: 0xC1 (invoke-id 1, confirmed, high priority)
//	  cosem-attribute-descriptor
//	    class-id: 8 (Clock)
//	    instance-id: 0-0:1.0.0.255
//	    attribute-id: 2
//	  access-selection: absent
//
// Secrets (an LLS password, a dedicated key) are not shown, only their
// length.
func Format(a APDU) string {
	var b strings.Builder
	b.WriteString(a.Name())
	b.WriteByte('\n')
	writeFields(&b, a.Fields(), 1)
	return b.String()
}

func writeFields(b *strings.Builder, fields []Field, depth int) {
	for _, f := range fields {
		b.WriteString(strings.Repeat("  ", depth))
		b.WriteString(f.Name)
		if f.Value != "" || len(f.Fields) == 0 {
			b.WriteString(": ")
			b.WriteString(f.Value)
		}
		b.WriteByte('\n')
		writeFields(b, f.Fields, depth+1)
	}
}

func field(name, value string) Field { return Field{Name: name, Value: value} }

func group(name string, fields ...Field) Field { return Field{Name: name, Fields: fields} }

func uintField(name string, v uint64) Field { return field(name, strconv.FormatUint(v, 10)) }

func intField(name string, v int64) Field { return field(name, strconv.FormatInt(v, 10)) }

func boolField(name string, v bool) Field { return field(name, strconv.FormatBool(v)) }

func invokeField(v InvokeIDAndPriority) Field { return field("invoke-id-and-priority", v.String()) }

func dataField(name string, d axdr.Data) Field { return field(name, fmt.Sprint(d)) }

// hexField shows b in hex with its length; nil is "absent".
func hexField(name string, b []byte) Field {
	if b == nil {
		return field(name, "absent")
	}
	return field(name, fmt.Sprintf("%s (%d bytes)", hexString(b), len(b)))
}

// secretField shows only the length of b.
func secretField(name string, b []byte) Field {
	if b == nil {
		return field(name, "absent")
	}
	return field(name, fmt.Sprintf("(%d bytes, not shown)", len(b)))
}

func hexString(b []byte) string {
	if len(b) == 0 {
		return `""`
	}
	return hex.EncodeToString(b)
}

func classString(c dlms.ClassID) string {
	s := c.String()
	if strings.HasPrefix(s, "class ") {
		return strconv.Itoa(int(c))
	}
	return fmt.Sprintf("%d (%s)", uint16(c), s)
}

func attributeField(name string, a AttributeDescriptor) Field {
	return group(name,
		field("class-id", classString(a.ClassID)),
		field("instance-id", a.Instance.String()),
		intField("attribute-id", int64(a.Attribute)),
	)
}

func methodField(name string, m MethodDescriptor) Field {
	return group(name,
		field("class-id", classString(m.ClassID)),
		field("instance-id", m.Instance.String()),
		intField("method-id", int64(m.Method)),
	)
}

func accessField(name string, s *SelectiveAccess) Field {
	if s == nil {
		return field(name, "absent")
	}
	return group(name,
		uintField("access-selector", uint64(s.Selector)),
		dataField("access-parameters", s.Parameters),
	)
}

func attributeListField(name string, l []AttributeWithSelection) Field {
	f := Field{Name: name, Value: fmt.Sprintf("%d items", len(l))}
	for i, a := range l {
		f.Fields = append(f.Fields, group(fmt.Sprintf("[%d]", i),
			attributeField("cosem-attribute-descriptor", a.Attribute),
			accessField("access-selection", a.Access),
		))
	}
	return f
}

func methodListField(name string, l []MethodDescriptor) Field {
	f := Field{Name: name, Value: fmt.Sprintf("%d items", len(l))}
	for i, m := range l {
		f.Fields = append(f.Fields, methodField(fmt.Sprintf("[%d]", i), m))
	}
	return f
}

func dataListField(name string, l []axdr.Data) Field {
	f := Field{Name: name, Value: fmt.Sprintf("%d items", len(l))}
	for i, d := range l {
		f.Fields = append(f.Fields, dataField(fmt.Sprintf("[%d]", i), d))
	}
	return f
}

func dataBlockField(name string, b DataBlock) Field {
	return group(name,
		boolField("last-block", b.LastBlock),
		uintField("block-number", uint64(b.BlockNumber)),
		hexField("raw-data", b.Raw),
	)
}
