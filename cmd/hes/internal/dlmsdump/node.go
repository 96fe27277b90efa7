package dlmsdump

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Node is one line of a decoding: a named field with its value, and the
// fields it is made of, one level deeper.
type Node struct {
	Name string `json:"name"`
	// Type is the A-XDR type of a data value, e.g. "long-unsigned"; empty
	// for the other fields.
	Type  string `json:"type,omitempty"`
	Value string `json:"value,omitempty"`
	// Reading is another reading of the value, when one is likely: the
	// OBIS code of a 6-byte octet-string, the date-time of a 12-byte one,
	// the text of a printable one, the interface class of a class id.
	Reading string  `json:"reading,omitempty"`
	Fields  []*Node `json:"fields,omitempty"`
}

// add appends a field to n and returns it.
func (n *Node) add(name, value string) *Node {
	c := &Node{Name: name, Value: value}
	n.Fields = append(n.Fields, c)
	return c
}

// addf appends a field whose value is formatted.
func (n *Node) addf(name, format string, args ...any) *Node {
	return n.add(name, fmt.Sprintf(format, args...))
}

// child returns the first field of n named name, or nil.
func (n *Node) child(name string) *Node {
	for _, c := range n.Fields {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// text is what follows the name on the node's line.
func (n *Node) text() string {
	var parts []string
	switch {
	case isContainer(n.Type) && n.Value == "":
		parts = append(parts, n.Type+"["+strconv.Itoa(len(n.Fields))+"]")
	case n.Type != "":
		parts = append(parts, n.Type)
	}
	if n.Value != "" {
		parts = append(parts, n.Value)
	}
	if n.Reading != "" {
		parts = append(parts, "("+n.Reading+")")
	}
	return strings.Join(parts, " ")
}

func isContainer(typ string) bool {
	return typ == "array" || typ == "structure" || typ == "compact-array"
}

// Record is the decoding of one frame, or of one bare APDU, of the input.
type Record struct {
	Index     int       `json:"index"`          // 1 for the first frame of the input
	Line      int       `json:"line,omitempty"` // input line of a session file
	Offset    int       `json:"offset"`         // byte offset in its line, or in the whole hex input
	Length    int       `json:"length"`         // bytes of the frame
	Direction Direction `json:"direction,omitempty"`
	*Node               // "HDLC frame", "wrapper frame" or "APDU", and its fields
}

// WriteText writes the records as indented text, one field a line, with a
// blank line between records and, when there are several, the number of
// each before its name.
func WriteText(w io.Writer, recs []*Record) error {
	var b strings.Builder
	for i, r := range recs {
		if i > 0 {
			b.WriteByte('\n')
		}
		if len(recs) > 1 {
			fmt.Fprintf(&b, "[%d] ", r.Index)
		}
		b.WriteString(r.Name)
		if t := r.text(); t != "" {
			b.WriteString("  (" + t + ")")
		}
		b.WriteByte('\n')
		writeFields(&b, r.Fields, 1)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeFields(b *strings.Builder, fields []*Node, depth int) {
	for _, f := range fields {
		b.WriteString(strings.Repeat("  ", depth))
		b.WriteString(f.Name)
		if t := f.text(); t != "" {
			b.WriteString(": ")
			b.WriteString(t)
		}
		b.WriteByte('\n')
		writeFields(b, f.Fields, depth+1)
	}
}

// WriteJSON writes the records as one JSON document,
// {"frames": [...], "error": "..."}, each record with its fields nested as
// in the text form. err, when not nil, is why decoding stopped.
func WriteJSON(w io.Writer, recs []*Record, err error) error {
	doc := struct {
		Frames []*Record `json:"frames"`
		Error  string    `json:"error,omitempty"`
	}{Frames: recs}
	if doc.Frames == nil {
		doc.Frames = []*Record{}
	}
	if err != nil {
		doc.Error = err.Error()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
