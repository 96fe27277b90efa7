package apdu

import (
	"fmt"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)

// GetRequest is one of GetRequestNormal, GetRequestNext and
// GetRequestWithList.
type GetRequest interface {
	APDU
	getRequest()
}

// GetResponse is one of GetResponseNormal, GetResponseWithDatablock and
// GetResponseWithList.
type GetResponse interface {
	APDU
	getResponse()
}

// GetRequestNormal reads one attribute.
type GetRequestNormal struct {
	Invoke    InvokeIDAndPriority
	Attribute AttributeDescriptor
	Access    *SelectiveAccess // nil when absent
}

// GetRequestNext asks for the next block of a long GET: BlockNumber is the
// number of the block received last.
type GetRequestNext struct {
	Invoke      InvokeIDAndPriority
	BlockNumber uint32
}

// GetRequestWithList reads several attributes at once.
type GetRequestWithList struct {
	Invoke     InvokeIDAndPriority
	Attributes []AttributeWithSelection
}

// GetDataResult is the Get-Data-Result CHOICE: the data, or the reason why
// there is none.
type GetDataResult struct {
	Data           axdr.Data             // the data choice
	AccessResult   dlms.DataAccessResult // the data-access-result choice, when IsAccessResult
	IsAccessResult bool
}

// Err returns the data-access result as an error, or nil when the result
// holds data (or a data-access result of success).
func (r GetDataResult) Err() error {
	if r.IsAccessResult && r.AccessResult != dlms.DataAccessSuccess {
		return r.AccessResult
	}
	return nil
}

// GetResponseNormal answers a GetRequestNormal.
type GetResponseNormal struct {
	Invoke InvokeIDAndPriority
	Result GetDataResult
}

// GetResponseWithDatablock carries one block of a long GET response (the
// DataBlock-G): raw bytes of the encoded result, to be concatenated in
// block order, or the data-access result that ends the transfer.
type GetResponseWithDatablock struct {
	Invoke         InvokeIDAndPriority
	LastBlock      bool
	BlockNumber    uint32
	Raw            []byte                // the raw-data choice
	AccessResult   dlms.DataAccessResult // the data-access-result choice, when IsAccessResult
	IsAccessResult bool
}

// Err returns the data-access result as an error, or nil for raw data (or
// a data-access result of success).
func (r *GetResponseWithDatablock) Err() error {
	if r.IsAccessResult && r.AccessResult != dlms.DataAccessSuccess {
		return r.AccessResult
	}
	return nil
}

// GetResponseWithList answers a GetRequestWithList, one result per
// attribute, in order.
type GetResponseWithList struct {
	Invoke  InvokeIDAndPriority
	Results []GetDataResult
}

func (*GetRequestNormal) getRequest()   {}
func (*GetRequestNext) getRequest()     {}
func (*GetRequestWithList) getRequest() {}

func (*GetResponseNormal) getResponse()        {}
func (*GetResponseWithDatablock) getResponse() {}
func (*GetResponseWithList) getResponse()      {}

// Choices of GET-Request and GET-Response.
const (
	getNormal        = 1
	getNext          = 2 // in a GET-Request
	getWithDatablock = 2 // in a GET-Response
	getWithList      = 3
)

// Tag implements APDU.
func (*GetRequestNormal) Tag() Tag { return TagGetRequest }

// Tag implements APDU.
func (*GetRequestNext) Tag() Tag { return TagGetRequest }

// Tag implements APDU.
func (*GetRequestWithList) Tag() Tag { return TagGetRequest }

// Tag implements APDU.
func (*GetResponseNormal) Tag() Tag { return TagGetResponse }

// Tag implements APDU.
func (*GetResponseWithDatablock) Tag() Tag { return TagGetResponse }

// Tag implements APDU.
func (*GetResponseWithList) Tag() Tag { return TagGetResponse }

// Name implements APDU.
func (*GetRequestNormal) Name() string { return "get-request-normal" }

// Name implements APDU.
func (*GetRequestNext) Name() string { return "get-request-next" }

// Name implements APDU.
func (*GetRequestWithList) Name() string { return "get-request-with-list" }

// Name implements APDU.
func (*GetResponseNormal) Name() string { return "get-response-normal" }

// Name implements APDU.
func (*GetResponseWithDatablock) Name() string { return "get-response-with-datablock" }

// Name implements APDU.
func (*GetResponseWithList) Name() string { return "get-response-with-list" }

// Append implements APDU.
func (r *GetRequestNormal) Append(dst []byte) []byte {
	dst = append(dst, byte(TagGetRequest), getNormal, byte(r.Invoke))
	dst = appendAttribute(dst, r.Attribute)
	return appendAccess(dst, r.Access)
}

// Append implements APDU.
func (r *GetRequestNext) Append(dst []byte) []byte {
	dst = append(dst, byte(TagGetRequest), getNext, byte(r.Invoke))
	return appendU32(dst, r.BlockNumber)
}

// Append implements APDU.
func (r *GetRequestWithList) Append(dst []byte) []byte {
	dst = append(dst, byte(TagGetRequest), getWithList, byte(r.Invoke))
	return appendAttributeList(dst, r.Attributes)
}

// Append implements APDU.
func (r *GetResponseNormal) Append(dst []byte) []byte {
	dst = append(dst, byte(TagGetResponse), getNormal, byte(r.Invoke))
	return appendGetDataResult(dst, &r.Result)
}

// Append implements APDU.
func (r *GetResponseWithDatablock) Append(dst []byte) []byte {
	dst = append(dst, byte(TagGetResponse), getWithDatablock, byte(r.Invoke))
	dst = appendBool(dst, r.LastBlock)
	dst = appendU32(dst, r.BlockNumber)
	if r.IsAccessResult {
		return append(dst, 1, byte(r.AccessResult))
	}
	dst = append(dst, 0)
	return appendOctets(dst, r.Raw)
}

// Append implements APDU.
func (r *GetResponseWithList) Append(dst []byte) []byte {
	dst = append(dst, byte(TagGetResponse), getWithList, byte(r.Invoke))
	return AppendGetDataResults(dst, r.Results)
}

func appendGetDataResult(dst []byte, r *GetDataResult) []byte {
	if r.IsAccessResult {
		return append(dst, 1, byte(r.AccessResult))
	}
	dst = append(dst, 0)
	return r.Data.Append(dst)
}

// Fields implements APDU.
func (r *GetRequestNormal) Fields() []Field {
	return []Field{
		invokeField(r.Invoke),
		attributeField("cosem-attribute-descriptor", r.Attribute),
		accessField("access-selection", r.Access),
	}
}

// Fields implements APDU.
func (r *GetRequestNext) Fields() []Field {
	return []Field{invokeField(r.Invoke), uintField("block-number", uint64(r.BlockNumber))}
}

// Fields implements APDU.
func (r *GetRequestWithList) Fields() []Field {
	return []Field{invokeField(r.Invoke), attributeListField("attribute-descriptor-list", r.Attributes)}
}

// Fields implements APDU.
func (r *GetResponseNormal) Fields() []Field {
	return []Field{invokeField(r.Invoke), getDataResultField("result", r.Result)}
}

// Fields implements APDU.
func (r *GetResponseWithDatablock) Fields() []Field {
	f := []Field{
		invokeField(r.Invoke),
		boolField("last-block", r.LastBlock),
		uintField("block-number", uint64(r.BlockNumber)),
	}
	if r.IsAccessResult {
		return append(f, accessResultField("data-access-result", r.AccessResult))
	}
	return append(f, hexField("raw-data", r.Raw))
}

// Fields implements APDU.
func (r *GetResponseWithList) Fields() []Field {
	l := Field{Name: "result", Value: fmt.Sprintf("%d items", len(r.Results))}
	for i, res := range r.Results {
		l.Fields = append(l.Fields, getDataResultField(fmt.Sprintf("[%d]", i), res))
	}
	return []Field{invokeField(r.Invoke), l}
}

func getDataResultField(name string, r GetDataResult) Field {
	if r.IsAccessResult {
		return group(name, accessResultField("data-access-result", r.AccessResult))
	}
	return group(name, dataField("data", r.Data))
}

func accessResultField(name string, r dlms.DataAccessResult) Field {
	return field(name, fmt.Sprintf("%d (%s)", r, r.String()))
}

// ParseGetRequest decodes a GET-request of any variant.
func ParseGetRequest(b []byte) (GetRequest, error) { return parse(decodeGetRequest, b) }

// ParseGetResponse decodes a GET-response of any variant.
func ParseGetResponse(b []byte) (GetResponse, error) { return parse(decodeGetResponse, b) }

func decodeGetRequest(b []byte) (GetRequest, int, error) {
	d := decoder{b: b, name: "get-request"}
	d.checkTag(TagGetRequest)
	var r GetRequest
	switch c := d.choice(); {
	case d.err != nil:
	case c == getNormal:
		d.name = "get-request-normal"
		r = &GetRequestNormal{
			Invoke:    d.invoke(),
			Attribute: d.attribute("cosem-attribute-descriptor"),
			Access:    d.access("access-selection"),
		}
	case c == getNext:
		d.name = "get-request-next"
		r = &GetRequestNext{Invoke: d.invoke(), BlockNumber: d.u32("block-number")}
	case c == getWithList:
		d.name = "get-request-with-list"
		r = &GetRequestWithList{Invoke: d.invoke(), Attributes: d.attributeList("attribute-descriptor-list")}
	default:
		d.unknownChoice(c)
	}
	return finish(&d, r)
}

func decodeGetResponse(b []byte) (GetResponse, int, error) {
	d := decoder{b: b, name: "get-response"}
	d.checkTag(TagGetResponse)
	var r GetResponse
	switch c := d.choice(); {
	case d.err != nil:
	case c == getNormal:
		d.name = "get-response-normal"
		r = &GetResponseNormal{Invoke: d.invoke(), Result: d.getDataResult("result", -1)}
	case c == getWithDatablock:
		d.name = "get-response-with-datablock"
		g := &GetResponseWithDatablock{
			Invoke:      d.invoke(),
			LastBlock:   d.boolean("last-block"),
			BlockNumber: d.u32("block-number"),
		}
		switch c := d.u8("result"); {
		case d.err != nil:
		case c == 0:
			g.Raw = d.octets("raw-data")
		case c == 1:
			g.AccessResult, g.IsAccessResult = dlms.DataAccessResult(d.u8("data-access-result")), true
		default:
			d.pos--
			d.fail("result", errorf(ErrChoice, "%d", c))
		}
		r = g
	case c == getWithList:
		d.name = "get-response-with-list"
		g := &GetResponseWithList{Invoke: d.invoke()}
		g.Results = d.getDataResults("result")
		r = g
	default:
		d.unknownChoice(c)
	}
	return finish(&d, r)
}
