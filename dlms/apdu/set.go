package apdu

import (
	"fmt"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)

// SetRequest is one of SetRequestNormal, SetRequestWithFirstDatablock,
// SetRequestWithDatablock, SetRequestWithList and
// SetRequestWithListAndFirstDatablock.
type SetRequest interface {
	APDU
	setRequest()
}

// SetResponse is one of SetResponseNormal, SetResponseDatablock,
// SetResponseLastDatablock, SetResponseLastDatablockWithList and
// SetResponseWithList.
type SetResponse interface {
	APDU
	setResponse()
}

// DataBlock is the DataBlock-SA of SET and ACTION block transfer: raw
// bytes of the encoded value, to be concatenated in block order.
type DataBlock struct {
	LastBlock   bool
	BlockNumber uint32
	Raw         []byte
}

// SetRequestNormal writes one attribute.
type SetRequestNormal struct {
	Invoke    InvokeIDAndPriority
	Attribute AttributeDescriptor
	Access    *SelectiveAccess // nil when absent
	Value     axdr.Data
}

// SetRequestWithFirstDatablock starts writing one attribute whose value
// does not fit in one APDU.
type SetRequestWithFirstDatablock struct {
	Invoke    InvokeIDAndPriority
	Attribute AttributeDescriptor
	Access    *SelectiveAccess // nil when absent
	Block     DataBlock
}

// SetRequestWithDatablock carries a further block of a long SET.
type SetRequestWithDatablock struct {
	Invoke InvokeIDAndPriority
	Block  DataBlock
}

// SetRequestWithList writes several attributes at once.
type SetRequestWithList struct {
	Invoke     InvokeIDAndPriority
	Attributes []AttributeWithSelection
	Values     []axdr.Data
}

// SetRequestWithListAndFirstDatablock starts writing several attributes
// whose values do not fit in one APDU.
type SetRequestWithListAndFirstDatablock struct {
	Invoke     InvokeIDAndPriority
	Attributes []AttributeWithSelection
	Block      DataBlock
}

// SetResponseNormal answers a SetRequestNormal.
type SetResponseNormal struct {
	Invoke InvokeIDAndPriority
	Result dlms.DataAccessResult
}

// SetResponseDatablock acknowledges a block of a long SET.
type SetResponseDatablock struct {
	Invoke      InvokeIDAndPriority
	BlockNumber uint32
}

// SetResponseLastDatablock answers the last block of a long SET of one
// attribute.
type SetResponseLastDatablock struct {
	Invoke      InvokeIDAndPriority
	Result      dlms.DataAccessResult
	BlockNumber uint32
}

// SetResponseLastDatablockWithList answers the last block of a long SET of
// several attributes.
type SetResponseLastDatablockWithList struct {
	Invoke      InvokeIDAndPriority
	Results     []dlms.DataAccessResult
	BlockNumber uint32
}

// SetResponseWithList answers a SetRequestWithList, one result per
// attribute, in order.
type SetResponseWithList struct {
	Invoke  InvokeIDAndPriority
	Results []dlms.DataAccessResult
}

func (*SetRequestNormal) setRequest()                    {}
func (*SetRequestWithFirstDatablock) setRequest()        {}
func (*SetRequestWithDatablock) setRequest()             {}
func (*SetRequestWithList) setRequest()                  {}
func (*SetRequestWithListAndFirstDatablock) setRequest() {}

func (*SetResponseNormal) setResponse()                {}
func (*SetResponseDatablock) setResponse()             {}
func (*SetResponseLastDatablock) setResponse()         {}
func (*SetResponseLastDatablockWithList) setResponse() {}
func (*SetResponseWithList) setResponse()              {}

// Choices of SET-Request.
const (
	setRequestNormal                    = 1
	setRequestWithFirstDatablock        = 2
	setRequestWithDatablock             = 3
	setRequestWithList                  = 4
	setRequestWithListAndFirstDatablock = 5
)

// Choices of SET-Response.
const (
	setResponseNormal                = 1
	setResponseDatablock             = 2
	setResponseLastDatablock         = 3
	setResponseLastDatablockWithList = 4
	setResponseWithList              = 5
)

// Tag implements APDU.
func (*SetRequestNormal) Tag() Tag { return TagSetRequest }

// Tag implements APDU.
func (*SetRequestWithFirstDatablock) Tag() Tag { return TagSetRequest }

// Tag implements APDU.
func (*SetRequestWithDatablock) Tag() Tag { return TagSetRequest }

// Tag implements APDU.
func (*SetRequestWithList) Tag() Tag { return TagSetRequest }

// Tag implements APDU.
func (*SetRequestWithListAndFirstDatablock) Tag() Tag { return TagSetRequest }

// Tag implements APDU.
func (*SetResponseNormal) Tag() Tag { return TagSetResponse }

// Tag implements APDU.
func (*SetResponseDatablock) Tag() Tag { return TagSetResponse }

// Tag implements APDU.
func (*SetResponseLastDatablock) Tag() Tag { return TagSetResponse }

// Tag implements APDU.
func (*SetResponseLastDatablockWithList) Tag() Tag { return TagSetResponse }

// Tag implements APDU.
func (*SetResponseWithList) Tag() Tag { return TagSetResponse }

// Name implements APDU.
func (*SetRequestNormal) Name() string { return "set-request-normal" }

// Name implements APDU.
func (*SetRequestWithFirstDatablock) Name() string { return "set-request-with-first-datablock" }

// Name implements APDU.
func (*SetRequestWithDatablock) Name() string { return "set-request-with-datablock" }

// Name implements APDU.
func (*SetRequestWithList) Name() string { return "set-request-with-list" }

// Name implements APDU.
func (*SetRequestWithListAndFirstDatablock) Name() string {
	return "set-request-with-list-and-first-datablock"
}

// Name implements APDU.
func (*SetResponseNormal) Name() string { return "set-response-normal" }

// Name implements APDU.
func (*SetResponseDatablock) Name() string { return "set-response-datablock" }

// Name implements APDU.
func (*SetResponseLastDatablock) Name() string { return "set-response-last-datablock" }

// Name implements APDU.
func (*SetResponseLastDatablockWithList) Name() string {
	return "set-response-last-datablock-with-list"
}

// Name implements APDU.
func (*SetResponseWithList) Name() string { return "set-response-with-list" }

func appendDataBlock(dst []byte, b *DataBlock) []byte {
	dst = appendBool(dst, b.LastBlock)
	dst = appendU32(dst, b.BlockNumber)
	return appendOctets(dst, b.Raw)
}

func appendResults(dst []byte, l []dlms.DataAccessResult) []byte {
	dst = axdr.AppendLength(dst, len(l))
	for _, r := range l {
		dst = append(dst, byte(r))
	}
	return dst
}

// Append implements APDU.
func (r *SetRequestNormal) Append(dst []byte) []byte {
	dst = append(dst, byte(TagSetRequest), setRequestNormal, byte(r.Invoke))
	dst = appendAttribute(dst, r.Attribute)
	dst = appendAccess(dst, r.Access)
	return r.Value.Append(dst)
}

// Append implements APDU.
func (r *SetRequestWithFirstDatablock) Append(dst []byte) []byte {
	dst = append(dst, byte(TagSetRequest), setRequestWithFirstDatablock, byte(r.Invoke))
	dst = appendAttribute(dst, r.Attribute)
	dst = appendAccess(dst, r.Access)
	return appendDataBlock(dst, &r.Block)
}

// Append implements APDU.
func (r *SetRequestWithDatablock) Append(dst []byte) []byte {
	dst = append(dst, byte(TagSetRequest), setRequestWithDatablock, byte(r.Invoke))
	return appendDataBlock(dst, &r.Block)
}

// Append implements APDU.
func (r *SetRequestWithList) Append(dst []byte) []byte {
	dst = append(dst, byte(TagSetRequest), setRequestWithList, byte(r.Invoke))
	dst = appendAttributeList(dst, r.Attributes)
	return appendDataList(dst, r.Values)
}

// Append implements APDU.
func (r *SetRequestWithListAndFirstDatablock) Append(dst []byte) []byte {
	dst = append(dst, byte(TagSetRequest), setRequestWithListAndFirstDatablock, byte(r.Invoke))
	dst = appendAttributeList(dst, r.Attributes)
	return appendDataBlock(dst, &r.Block)
}

// Append implements APDU.
func (r *SetResponseNormal) Append(dst []byte) []byte {
	return append(dst, byte(TagSetResponse), setResponseNormal, byte(r.Invoke), byte(r.Result))
}

// Append implements APDU.
func (r *SetResponseDatablock) Append(dst []byte) []byte {
	dst = append(dst, byte(TagSetResponse), setResponseDatablock, byte(r.Invoke))
	return appendU32(dst, r.BlockNumber)
}

// Append implements APDU.
func (r *SetResponseLastDatablock) Append(dst []byte) []byte {
	dst = append(dst, byte(TagSetResponse), setResponseLastDatablock, byte(r.Invoke), byte(r.Result))
	return appendU32(dst, r.BlockNumber)
}

// Append implements APDU.
func (r *SetResponseLastDatablockWithList) Append(dst []byte) []byte {
	dst = append(dst, byte(TagSetResponse), setResponseLastDatablockWithList, byte(r.Invoke))
	dst = appendResults(dst, r.Results)
	return appendU32(dst, r.BlockNumber)
}

// Append implements APDU.
func (r *SetResponseWithList) Append(dst []byte) []byte {
	dst = append(dst, byte(TagSetResponse), setResponseWithList, byte(r.Invoke))
	return appendResults(dst, r.Results)
}

// Fields implements APDU.
func (r *SetRequestNormal) Fields() []Field {
	return []Field{
		invokeField(r.Invoke),
		attributeField("cosem-attribute-descriptor", r.Attribute),
		accessField("access-selection", r.Access),
		dataField("value", r.Value),
	}
}

// Fields implements APDU.
func (r *SetRequestWithFirstDatablock) Fields() []Field {
	return []Field{
		invokeField(r.Invoke),
		attributeField("cosem-attribute-descriptor", r.Attribute),
		accessField("access-selection", r.Access),
		dataBlockField("datablock", r.Block),
	}
}

// Fields implements APDU.
func (r *SetRequestWithDatablock) Fields() []Field {
	return []Field{invokeField(r.Invoke), dataBlockField("datablock", r.Block)}
}

// Fields implements APDU.
func (r *SetRequestWithList) Fields() []Field {
	return []Field{
		invokeField(r.Invoke),
		attributeListField("attribute-descriptor-list", r.Attributes),
		dataListField("value-list", r.Values),
	}
}

// Fields implements APDU.
func (r *SetRequestWithListAndFirstDatablock) Fields() []Field {
	return []Field{
		invokeField(r.Invoke),
		attributeListField("attribute-descriptor-list", r.Attributes),
		dataBlockField("datablock", r.Block),
	}
}

// Fields implements APDU.
func (r *SetResponseNormal) Fields() []Field {
	return []Field{invokeField(r.Invoke), accessResultField("result", r.Result)}
}

// Fields implements APDU.
func (r *SetResponseDatablock) Fields() []Field {
	return []Field{invokeField(r.Invoke), uintField("block-number", uint64(r.BlockNumber))}
}

// Fields implements APDU.
func (r *SetResponseLastDatablock) Fields() []Field {
	return []Field{
		invokeField(r.Invoke),
		accessResultField("result", r.Result),
		uintField("block-number", uint64(r.BlockNumber)),
	}
}

// Fields implements APDU.
func (r *SetResponseLastDatablockWithList) Fields() []Field {
	return []Field{
		invokeField(r.Invoke),
		resultListField("result", r.Results),
		uintField("block-number", uint64(r.BlockNumber)),
	}
}

// Fields implements APDU.
func (r *SetResponseWithList) Fields() []Field {
	return []Field{invokeField(r.Invoke), resultListField("result", r.Results)}
}

func resultListField(name string, l []dlms.DataAccessResult) Field {
	f := Field{Name: name, Value: fmt.Sprintf("%d items", len(l))}
	for i, r := range l {
		f.Fields = append(f.Fields, accessResultField(fmt.Sprintf("[%d]", i), r))
	}
	return f
}

// ParseSetRequest decodes a SET-request of any variant.
func ParseSetRequest(b []byte) (SetRequest, error) { return parse(decodeSetRequest, b) }

// ParseSetResponse decodes a SET-response of any variant.
func ParseSetResponse(b []byte) (SetResponse, error) { return parse(decodeSetResponse, b) }

func decodeSetRequest(b []byte) (SetRequest, int, error) {
	d := decoder{b: b, name: "set-request"}
	d.checkTag(TagSetRequest)
	var r SetRequest
	switch c := d.choice(); {
	case d.err != nil:
	case c == setRequestNormal:
		d.name = "set-request-normal"
		r = &SetRequestNormal{
			Invoke:    d.invoke(),
			Attribute: d.attribute("cosem-attribute-descriptor"),
			Access:    d.access("access-selection"),
			Value:     d.data("value"),
		}
	case c == setRequestWithFirstDatablock:
		d.name = "set-request-with-first-datablock"
		r = &SetRequestWithFirstDatablock{
			Invoke:    d.invoke(),
			Attribute: d.attribute("cosem-attribute-descriptor"),
			Access:    d.access("access-selection"),
			Block:     d.dataBlock("datablock"),
		}
	case c == setRequestWithDatablock:
		d.name = "set-request-with-datablock"
		r = &SetRequestWithDatablock{Invoke: d.invoke(), Block: d.dataBlock("datablock")}
	case c == setRequestWithList:
		d.name = "set-request-with-list"
		r = &SetRequestWithList{
			Invoke:     d.invoke(),
			Attributes: d.attributeList("attribute-descriptor-list"),
			Values:     d.dataList("value-list"),
		}
	case c == setRequestWithListAndFirstDatablock:
		d.name = "set-request-with-list-and-first-datablock"
		r = &SetRequestWithListAndFirstDatablock{
			Invoke:     d.invoke(),
			Attributes: d.attributeList("attribute-descriptor-list"),
			Block:      d.dataBlock("datablock"),
		}
	default:
		d.unknownChoice(c)
	}
	return finish(&d, r)
}

func decodeSetResponse(b []byte) (SetResponse, int, error) {
	d := decoder{b: b, name: "set-response"}
	d.checkTag(TagSetResponse)
	var r SetResponse
	switch c := d.choice(); {
	case d.err != nil:
	case c == setResponseNormal:
		d.name = "set-response-normal"
		r = &SetResponseNormal{Invoke: d.invoke(), Result: dlms.DataAccessResult(d.u8("result"))}
	case c == setResponseDatablock:
		d.name = "set-response-datablock"
		r = &SetResponseDatablock{Invoke: d.invoke(), BlockNumber: d.u32("block-number")}
	case c == setResponseLastDatablock:
		d.name = "set-response-last-datablock"
		r = &SetResponseLastDatablock{
			Invoke:      d.invoke(),
			Result:      dlms.DataAccessResult(d.u8("result")),
			BlockNumber: d.u32("block-number"),
		}
	case c == setResponseLastDatablockWithList:
		d.name = "set-response-last-datablock-with-list"
		r = &SetResponseLastDatablockWithList{
			Invoke:      d.invoke(),
			Results:     d.results("result"),
			BlockNumber: d.u32("block-number"),
		}
	case c == setResponseWithList:
		d.name = "set-response-with-list"
		r = &SetResponseWithList{Invoke: d.invoke(), Results: d.results("result")}
	default:
		d.unknownChoice(c)
	}
	return finish(&d, r)
}
