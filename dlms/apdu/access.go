package apdu

import (
	"fmt"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)

// The access selectors of a profile generic's buffer (class 7, attribute 2).
const (
	SelectorRange uint8 = 1 // range_descriptor: rows whose restricting value is in [from, to]
	SelectorEntry uint8 = 2 // entry_descriptor: rows and columns by index
)

// CaptureObject identifies a column of a profile: the restricting object of
// a range descriptor, and each of its selected values
// (capture_object_definition). DataIndex 0 means the whole attribute.
type CaptureObject struct {
	ClassID   dlms.ClassID
	Instance  dlms.OBIS
	Attribute int8
	DataIndex uint16
}

// Data returns the capture_object_definition structure.
func (c CaptureObject) Data() axdr.Data {
	return axdr.Structure(
		axdr.Uint16(uint16(c.ClassID)),
		axdr.OctetString(c.Instance[:]),
		axdr.Int8(c.Attribute),
		axdr.Uint16(c.DataIndex),
	)
}

// Range is a range_descriptor (selector 1): the rows of a profile whose
// restricting object (usually the clock) holds a value from From to To,
// limited to the Selected columns (all columns when empty).
type Range struct {
	Restrict CaptureObject
	From, To axdr.Data
	Selected []CaptureObject
}

// Access returns the selective access for r.
func (r Range) Access() SelectiveAccess {
	sel := make([]axdr.Data, len(r.Selected))
	for i, c := range r.Selected {
		sel[i] = c.Data()
	}
	return SelectiveAccess{
		Selector:   SelectorRange,
		Parameters: axdr.Structure(r.Restrict.Data(), r.From, r.To, axdr.Array(sel...)),
	}
}

// Entry is an entry_descriptor (selector 2): rows FromEntry to ToEntry and
// columns FromValue to ToValue, counted from 1; a To of 0 means up to the
// last one.
type Entry struct {
	FromEntry, ToEntry uint32
	FromValue, ToValue uint16
}

// Access returns the selective access for e.
func (e Entry) Access() SelectiveAccess {
	return SelectiveAccess{
		Selector: SelectorEntry,
		Parameters: axdr.Structure(
			axdr.Uint32(e.FromEntry), axdr.Uint32(e.ToEntry),
			axdr.Uint16(e.FromValue), axdr.Uint16(e.ToValue),
		),
	}
}

// ParseRange reads the range_descriptor of s. Integer fields of any integer
// type are accepted.
func ParseRange(s SelectiveAccess) (Range, error) {
	var r Range
	if s.Selector != SelectorRange {
		return r, fmt.Errorf("apdu: range descriptor: %w: access selector %d", ErrValue, s.Selector)
	}
	p := s.Parameters
	if p.Tag != axdr.TagStructure || len(p.Items) != 4 || p.Items[3].Tag != axdr.TagArray {
		return r, fmt.Errorf("apdu: range descriptor: %w: want structure{restricting_object, from_value, to_value, selected_values array}", ErrValue)
	}
	var err error
	if r.Restrict, err = parseCaptureObject(p.Items[0]); err != nil {
		return r, fmt.Errorf("apdu: range descriptor: restricting_object: %w", err)
	}
	r.From, r.To = p.Items[1], p.Items[2]
	for i, it := range p.Items[3].Items {
		c, err := parseCaptureObject(it)
		if err != nil {
			return r, fmt.Errorf("apdu: range descriptor: selected_values[%d]: %w", i, err)
		}
		r.Selected = append(r.Selected, c)
	}
	return r, nil
}

// ParseEntry reads the entry_descriptor of s. Integer fields of any integer
// type are accepted.
func ParseEntry(s SelectiveAccess) (Entry, error) {
	var e Entry
	if s.Selector != SelectorEntry {
		return e, fmt.Errorf("apdu: entry descriptor: %w: access selector %d", ErrValue, s.Selector)
	}
	p := s.Parameters
	if p.Tag != axdr.TagStructure || len(p.Items) != 4 {
		return e, fmt.Errorf("apdu: entry descriptor: %w: want structure{from_entry, to_entry, from_selected_value, to_selected_value}", ErrValue)
	}
	var v [4]uint64
	for i, max := range [4]uint64{1<<32 - 1, 1<<32 - 1, 1<<16 - 1, 1<<16 - 1} {
		n, ok := p.Items[i].Int64Value()
		if !ok || n < 0 || uint64(n) > max {
			return e, fmt.Errorf("apdu: entry descriptor: %w: item %d is %v", ErrValue, i, p.Items[i].Tag)
		}
		v[i] = uint64(n)
	}
	return Entry{FromEntry: uint32(v[0]), ToEntry: uint32(v[1]), FromValue: uint16(v[2]), ToValue: uint16(v[3])}, nil
}

func parseCaptureObject(d axdr.Data) (CaptureObject, error) {
	var c CaptureObject
	if d.Tag != axdr.TagStructure || len(d.Items) != 4 {
		return c, fmt.Errorf("%w: want structure{class_id, logical_name, attribute_index, data_index}", ErrValue)
	}
	class, ok1 := d.Items[0].Int64Value()
	attr, ok2 := d.Items[2].Int64Value()
	index, ok3 := d.Items[3].Int64Value()
	if !ok1 || !ok2 || !ok3 || class < 0 || class > 0xFFFF || attr < -128 || attr > 127 || index < 0 || index > 0xFFFF {
		return c, fmt.Errorf("%w: class_id, attribute_index or data_index out of range", ErrValue)
	}
	obis, err := dlms.OBISFromBytes(d.Items[1].Bytes)
	if err != nil || d.Items[1].Tag != axdr.TagOctetString {
		return c, fmt.Errorf("%w: logical_name is not a 6-byte octet-string", ErrValue)
	}
	return CaptureObject{ClassID: dlms.ClassID(class), Instance: obis, Attribute: int8(attr), DataIndex: uint16(index)}, nil
}
