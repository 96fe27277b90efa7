package apdu

import (
	"strconv"
	"strings"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)

// decoder reads the A-XDR fields of an APDU. The first error sticks: after
// it every read returns a zero value, so a parser reads all its fields and
// checks err once.
//
// Field names are only put together when a read fails: a group (a
// descriptor, a list item) is entered and left around its fields, and the
// error names the path, e.g. "attribute-descriptor-list[1].class-id".
type decoder struct {
	b      []byte
	pos    int
	name   string // the APDU being decoded, for errors
	err    error
	groups [4]pathPart
	depth  int
}

type pathPart struct {
	name  string
	index int // the list index, or -1
}

func (d *decoder) enter(name string, index int) {
	if d.depth < len(d.groups) {
		d.groups[d.depth] = pathPart{name, index}
	}
	d.depth++
}

func (d *decoder) leave() { d.depth-- }

// path returns the name of field in the current group.
func (d *decoder) path(field string) string {
	var parts []string
	for _, g := range d.groups[:min(d.depth, len(d.groups))] {
		if g.index >= 0 {
			parts = append(parts, g.name+"["+strconv.Itoa(g.index)+"]")
		} else {
			parts = append(parts, g.name)
		}
	}
	if field != "" {
		parts = append(parts, field)
	}
	return strings.Join(parts, ".")
}

func (d *decoder) fail(field string, err error) {
	if d.err == nil {
		d.err = &Error{APDU: d.name, Field: d.path(field), Offset: d.pos, Err: err}
	}
}

func (d *decoder) take(field string, n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b)-d.pos < n {
		d.fail(field, ErrShort)
		return nil
	}
	p := d.b[d.pos : d.pos+n : d.pos+n]
	d.pos += n
	return p
}

func (d *decoder) u8(field string) uint8 {
	if p := d.take(field, 1); p != nil {
		return p[0]
	}
	return 0
}

func (d *decoder) u16(field string) uint16 {
	if p := d.take(field, 2); p != nil {
		return uint16(p[0])<<8 | uint16(p[1])
	}
	return 0
}

func (d *decoder) u32(field string) uint32 {
	if p := d.take(field, 4); p != nil {
		return uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])
	}
	return 0
}

// boolean reads an A-XDR BOOLEAN: any non-zero byte is true.
func (d *decoder) boolean(field string) bool { return d.u8(field) != 0 }

// optional reads the presence flag of an OPTIONAL component: any non-zero
// byte means present.
func (d *decoder) optional(field string) bool { return d.u8(field) != 0 }

// length reads an A-XDR length or quantity.
func (d *decoder) length(field string) int {
	if d.err != nil {
		return 0
	}
	n, size, err := axdr.ReadLength(d.b[d.pos:])
	if err != nil {
		d.fail(field, err)
		return 0
	}
	d.pos += size
	return n
}

// count reads the quantity of a SEQUENCE OF whose items take at least
// minSize bytes each, and checks that they can fit in what is left.
func (d *decoder) count(field string, minSize int) int {
	start := d.pos
	n := d.length(field)
	if left := len(d.b) - d.pos; d.err == nil && n > left/minSize {
		d.pos = start
		d.fail(field, errorf(ErrShort, "%d items announced, %d bytes left", n, left))
		return 0
	}
	return n
}

// octets reads a length-prefixed OCTET STRING.
func (d *decoder) octets(field string) []byte {
	start := d.pos
	n := d.length(field)
	if left := len(d.b) - d.pos; d.err == nil && n > left {
		d.pos = start
		d.fail(field, errorf(ErrShort, "%d bytes announced, %d left", n, left))
		return nil
	}
	return d.take(field, n)
}

func (d *decoder) data(field string) axdr.Data {
	if d.err != nil {
		return axdr.Data{}
	}
	v, n, err := axdr.Decode(d.b[d.pos:])
	if err != nil {
		d.fail(field, err)
		return axdr.Data{}
	}
	d.pos += n
	return v
}

// choice reads the CHOICE byte that follows the tag of a GET, SET or ACTION
// APDU.
func (d *decoder) choice() uint8 { return d.u8("") }

func (d *decoder) unknownChoice(c uint8) {
	d.pos = 1
	d.fail("", errorf(ErrChoice, "%d", c))
}

func (d *decoder) invoke() InvokeIDAndPriority {
	return InvokeIDAndPriority(d.u8("invoke-id-and-priority"))
}

// descriptor reads the class id, instance id and attribute or method id of
// a descriptor; last names the third.
func (d *decoder) descriptor(last string) (dlms.ClassID, dlms.OBIS, int8) {
	class := d.u16("class-id")
	obis := d.take("instance-id", 6)
	id := d.u8(last)
	if d.err != nil {
		return 0, dlms.OBIS{}, 0
	}
	return dlms.ClassID(class), dlms.OBIS(obis), int8(id)
}

func (d *decoder) attribute(name string) AttributeDescriptor {
	d.enter(name, -1)
	defer d.leave()
	c, o, a := d.descriptor("attribute-id")
	return AttributeDescriptor{ClassID: c, Instance: o, Attribute: a}
}

func (d *decoder) method(name string) MethodDescriptor {
	d.enter(name, -1)
	defer d.leave()
	c, o, m := d.descriptor("method-id")
	return MethodDescriptor{ClassID: c, Instance: o, Method: m}
}

// access reads an OPTIONAL Selective-Access-Descriptor.
func (d *decoder) access(name string) *SelectiveAccess {
	if !d.optional(name) {
		return nil
	}
	d.enter(name, -1)
	defer d.leave()
	s := &SelectiveAccess{Selector: d.u8("access-selector")}
	s.Parameters = d.data("access-parameters")
	return s
}

// attributeList reads a SEQUENCE OF Cosem-Attribute-Descriptor-With-Selection.
func (d *decoder) attributeList(name string) []AttributeWithSelection {
	n := d.count(name, 10)
	var l []AttributeWithSelection
	if n > 0 {
		l = make([]AttributeWithSelection, n)
	}
	for i := range l {
		d.enter(name, i)
		l[i].Attribute = d.attribute("cosem-attribute-descriptor")
		l[i].Access = d.access("access-selection")
		d.leave()
		if d.err != nil {
			return nil
		}
	}
	return l
}

// methodList reads a SEQUENCE OF Cosem-Method-Descriptor.
func (d *decoder) methodList(name string) []MethodDescriptor {
	n := d.count(name, 9)
	var l []MethodDescriptor
	if n > 0 {
		l = make([]MethodDescriptor, n)
	}
	for i := range l {
		d.enter(name, i)
		c, o, m := d.descriptor("method-id")
		d.leave()
		if d.err != nil {
			return nil
		}
		l[i] = MethodDescriptor{ClassID: c, Instance: o, Method: m}
	}
	return l
}

// dataList reads a SEQUENCE OF Data.
func (d *decoder) dataList(name string) []axdr.Data {
	n := d.count(name, 1)
	var l []axdr.Data
	if n > 0 {
		l = make([]axdr.Data, n)
	}
	for i := range l {
		d.enter(name, i)
		l[i] = d.data("")
		d.leave()
		if d.err != nil {
			return nil
		}
	}
	return l
}

// results reads a SEQUENCE OF Data-Access-Result.
func (d *decoder) results(name string) []dlms.DataAccessResult {
	n := d.count(name, 1)
	p := d.take(name, n)
	if d.err != nil || n == 0 {
		return nil
	}
	l := make([]dlms.DataAccessResult, n)
	for i, c := range p {
		l[i] = dlms.DataAccessResult(c)
	}
	return l
}

// getDataResult reads a Get-Data-Result CHOICE; index is its place in a
// list, or -1.
func (d *decoder) getDataResult(name string, index int) GetDataResult {
	d.enter(name, index)
	defer d.leave()
	switch c := d.u8(""); {
	case d.err != nil:
	case c == 0:
		return GetDataResult{Data: d.data("data")}
	case c == 1:
		return GetDataResult{AccessResult: dlms.DataAccessResult(d.u8("data-access-result")), IsAccessResult: true}
	default:
		d.pos--
		d.fail("", errorf(ErrChoice, "%d", c))
	}
	return GetDataResult{}
}

// actionResult reads an Action-Response-With-Optional-Data; index is its
// place in a list, or -1.
func (d *decoder) actionResult(name string, index int) ActionResult {
	d.enter(name, index)
	defer d.leave()
	r := ActionResult{Result: dlms.ActionResult(d.u8("result"))}
	if d.optional("return-parameters") {
		ret := d.getDataResult("return-parameters", -1)
		r.Return = &ret
	}
	return r
}

// dataBlock reads a DataBlock-SA.
func (d *decoder) dataBlock(name string) DataBlock {
	d.enter(name, -1)
	defer d.leave()
	return DataBlock{
		LastBlock:   d.boolean("last-block"),
		BlockNumber: d.u32("block-number"),
		Raw:         d.octets("raw-data"),
	}
}
