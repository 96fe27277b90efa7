package apdu

import (
	"fmt"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)

// ActionRequest is one of ActionRequestNormal, ActionRequestNextPblock,
// ActionRequestWithList, ActionRequestWithFirstPblock,
// ActionRequestWithListAndFirstPblock and ActionRequestWithPblock.
type ActionRequest interface {
	APDU
	actionRequest()
}

// ActionResponse is one of ActionResponseNormal, ActionResponseWithPblock,
// ActionResponseWithList and ActionResponseNextPblock.
type ActionResponse interface {
	APDU
	actionResponse()
}

// ActionRequestNormal invokes one method.
type ActionRequestNormal struct {
	Invoke     InvokeIDAndPriority
	Method     MethodDescriptor
	Parameters *axdr.Data // method-invocation-parameters; nil when absent
}

// ActionRequestNextPblock asks for the next block of a long ACTION
// response: BlockNumber is the number of the block received last.
type ActionRequestNextPblock struct {
	Invoke      InvokeIDAndPriority
	BlockNumber uint32
}

// ActionRequestWithList invokes several methods at once; Parameters has
// one item per method (null-data for a method without parameters).
type ActionRequestWithList struct {
	Invoke     InvokeIDAndPriority
	Methods    []MethodDescriptor
	Parameters []axdr.Data
}

// ActionRequestWithFirstPblock starts invoking one method whose parameters
// do not fit in one APDU.
type ActionRequestWithFirstPblock struct {
	Invoke InvokeIDAndPriority
	Method MethodDescriptor
	Block  DataBlock
}

// ActionRequestWithListAndFirstPblock starts invoking several methods whose
// parameters do not fit in one APDU.
type ActionRequestWithListAndFirstPblock struct {
	Invoke  InvokeIDAndPriority
	Methods []MethodDescriptor
	Block   DataBlock
}

// ActionRequestWithPblock carries a further block of long ACTION
// parameters.
type ActionRequestWithPblock struct {
	Invoke InvokeIDAndPriority
	Block  DataBlock
}

// ActionResult is an Action-Response-With-Optional-Data: the result of one
// method and what it returned.
type ActionResult struct {
	Result dlms.ActionResult
	Return *GetDataResult // return-parameters; nil when absent
}

// Err returns the action result as an error, or nil on success.
func (r ActionResult) Err() error {
	if r.Result != dlms.ActionSuccess {
		return r.Result
	}
	return nil
}

// ActionResponseNormal answers an ActionRequestNormal.
type ActionResponseNormal struct {
	Invoke InvokeIDAndPriority
	Result ActionResult
}

// ActionResponseWithPblock carries one block of a long ACTION response.
type ActionResponseWithPblock struct {
	Invoke InvokeIDAndPriority
	Block  DataBlock
}

// ActionResponseWithList answers an ActionRequestWithList, one result per
// method, in order.
type ActionResponseWithList struct {
	Invoke  InvokeIDAndPriority
	Results []ActionResult
}

// ActionResponseNextPblock acknowledges a block of long ACTION parameters.
type ActionResponseNextPblock struct {
	Invoke      InvokeIDAndPriority
	BlockNumber uint32
}

func (*ActionRequestNormal) actionRequest()                 {}
func (*ActionRequestNextPblock) actionRequest()             {}
func (*ActionRequestWithList) actionRequest()               {}
func (*ActionRequestWithFirstPblock) actionRequest()        {}
func (*ActionRequestWithListAndFirstPblock) actionRequest() {}
func (*ActionRequestWithPblock) actionRequest()             {}

func (*ActionResponseNormal) actionResponse()     {}
func (*ActionResponseWithPblock) actionResponse() {}
func (*ActionResponseWithList) actionResponse()   {}
func (*ActionResponseNextPblock) actionResponse() {}

// Choices of ACTION-Request.
const (
	actionRequestNormal                 = 1
	actionRequestNextPblock             = 2
	actionRequestWithList               = 3
	actionRequestWithFirstPblock        = 4
	actionRequestWithListAndFirstPblock = 5
	actionRequestWithPblock             = 6
)

// Choices of ACTION-Response.
const (
	actionResponseNormal     = 1
	actionResponseWithPblock = 2
	actionResponseWithList   = 3
	actionResponseNextPblock = 4
)

// Tag implements APDU.
func (*ActionRequestNormal) Tag() Tag { return TagActionRequest }

// Tag implements APDU.
func (*ActionRequestNextPblock) Tag() Tag { return TagActionRequest }

// Tag implements APDU.
func (*ActionRequestWithList) Tag() Tag { return TagActionRequest }

// Tag implements APDU.
func (*ActionRequestWithFirstPblock) Tag() Tag { return TagActionRequest }

// Tag implements APDU.
func (*ActionRequestWithListAndFirstPblock) Tag() Tag { return TagActionRequest }

// Tag implements APDU.
func (*ActionRequestWithPblock) Tag() Tag { return TagActionRequest }

// Tag implements APDU.
func (*ActionResponseNormal) Tag() Tag { return TagActionResponse }

// Tag implements APDU.
func (*ActionResponseWithPblock) Tag() Tag { return TagActionResponse }

// Tag implements APDU.
func (*ActionResponseWithList) Tag() Tag { return TagActionResponse }

// Tag implements APDU.
func (*ActionResponseNextPblock) Tag() Tag { return TagActionResponse }

// Name implements APDU.
func (*ActionRequestNormal) Name() string { return "action-request-normal" }

// Name implements APDU.
func (*ActionRequestNextPblock) Name() string { return "action-request-next-pblock" }

// Name implements APDU.
func (*ActionRequestWithList) Name() string { return "action-request-with-list" }

// Name implements APDU.
func (*ActionRequestWithFirstPblock) Name() string { return "action-request-with-first-pblock" }

// Name implements APDU.
func (*ActionRequestWithListAndFirstPblock) Name() string {
	return "action-request-with-list-and-first-pblock"
}

// Name implements APDU.
func (*ActionRequestWithPblock) Name() string { return "action-request-with-pblock" }

// Name implements APDU.
func (*ActionResponseNormal) Name() string { return "action-response-normal" }

// Name implements APDU.
func (*ActionResponseWithPblock) Name() string { return "action-response-with-pblock" }

// Name implements APDU.
func (*ActionResponseWithList) Name() string { return "action-response-with-list" }

// Name implements APDU.
func (*ActionResponseNextPblock) Name() string { return "action-response-next-pblock" }

func appendMethodList(dst []byte, l []MethodDescriptor) []byte {
	dst = axdr.AppendLength(dst, len(l))
	for _, m := range l {
		dst = appendMethod(dst, m)
	}
	return dst
}

func appendActionResult(dst []byte, r *ActionResult) []byte {
	dst = append(dst, byte(r.Result))
	if r.Return == nil {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	return appendGetDataResult(dst, r.Return)
}

// Append implements APDU.
func (r *ActionRequestNormal) Append(dst []byte) []byte {
	dst = append(dst, byte(TagActionRequest), actionRequestNormal, byte(r.Invoke))
	dst = appendMethod(dst, r.Method)
	if r.Parameters == nil {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	return r.Parameters.Append(dst)
}

// Append implements APDU.
func (r *ActionRequestNextPblock) Append(dst []byte) []byte {
	dst = append(dst, byte(TagActionRequest), actionRequestNextPblock, byte(r.Invoke))
	return appendU32(dst, r.BlockNumber)
}

// Append implements APDU.
func (r *ActionRequestWithList) Append(dst []byte) []byte {
	dst = append(dst, byte(TagActionRequest), actionRequestWithList, byte(r.Invoke))
	dst = appendMethodList(dst, r.Methods)
	return appendDataList(dst, r.Parameters)
}

// Append implements APDU.
func (r *ActionRequestWithFirstPblock) Append(dst []byte) []byte {
	dst = append(dst, byte(TagActionRequest), actionRequestWithFirstPblock, byte(r.Invoke))
	dst = appendMethod(dst, r.Method)
	return appendDataBlock(dst, &r.Block)
}

// Append implements APDU.
func (r *ActionRequestWithListAndFirstPblock) Append(dst []byte) []byte {
	dst = append(dst, byte(TagActionRequest), actionRequestWithListAndFirstPblock, byte(r.Invoke))
	dst = appendMethodList(dst, r.Methods)
	return appendDataBlock(dst, &r.Block)
}

// Append implements APDU.
func (r *ActionRequestWithPblock) Append(dst []byte) []byte {
	dst = append(dst, byte(TagActionRequest), actionRequestWithPblock, byte(r.Invoke))
	return appendDataBlock(dst, &r.Block)
}

// Append implements APDU.
func (r *ActionResponseNormal) Append(dst []byte) []byte {
	dst = append(dst, byte(TagActionResponse), actionResponseNormal, byte(r.Invoke))
	return appendActionResult(dst, &r.Result)
}

// Append implements APDU.
func (r *ActionResponseWithPblock) Append(dst []byte) []byte {
	dst = append(dst, byte(TagActionResponse), actionResponseWithPblock, byte(r.Invoke))
	return appendDataBlock(dst, &r.Block)
}

// Append implements APDU.
func (r *ActionResponseWithList) Append(dst []byte) []byte {
	dst = append(dst, byte(TagActionResponse), actionResponseWithList, byte(r.Invoke))
	return AppendActionResults(dst, r.Results)
}

// Append implements APDU.
func (r *ActionResponseNextPblock) Append(dst []byte) []byte {
	dst = append(dst, byte(TagActionResponse), actionResponseNextPblock, byte(r.Invoke))
	return appendU32(dst, r.BlockNumber)
}

// Fields implements APDU.
func (r *ActionRequestNormal) Fields() []Field {
	params := field("method-invocation-parameters", "absent")
	if r.Parameters != nil {
		params = dataField("method-invocation-parameters", *r.Parameters)
	}
	return []Field{invokeField(r.Invoke), methodField("cosem-method-descriptor", r.Method), params}
}

// Fields implements APDU.
func (r *ActionRequestNextPblock) Fields() []Field {
	return []Field{invokeField(r.Invoke), uintField("block-number", uint64(r.BlockNumber))}
}

// Fields implements APDU.
func (r *ActionRequestWithList) Fields() []Field {
	return []Field{
		invokeField(r.Invoke),
		methodListField("cosem-method-descriptor-list", r.Methods),
		dataListField("method-invocation-parameters", r.Parameters),
	}
}

// Fields implements APDU.
func (r *ActionRequestWithFirstPblock) Fields() []Field {
	return []Field{
		invokeField(r.Invoke),
		methodField("cosem-method-descriptor", r.Method),
		dataBlockField("pblock", r.Block),
	}
}

// Fields implements APDU.
func (r *ActionRequestWithListAndFirstPblock) Fields() []Field {
	return []Field{
		invokeField(r.Invoke),
		methodListField("cosem-method-descriptor-list", r.Methods),
		dataBlockField("pblock", r.Block),
	}
}

// Fields implements APDU.
func (r *ActionRequestWithPblock) Fields() []Field {
	return []Field{invokeField(r.Invoke), dataBlockField("pblock", r.Block)}
}

// Fields implements APDU.
func (r *ActionResponseNormal) Fields() []Field {
	return []Field{invokeField(r.Invoke), actionResultField("single-response", r.Result)}
}

// Fields implements APDU.
func (r *ActionResponseWithPblock) Fields() []Field {
	return []Field{invokeField(r.Invoke), dataBlockField("pblock", r.Block)}
}

// Fields implements APDU.
func (r *ActionResponseWithList) Fields() []Field {
	l := Field{Name: "list-of-responses", Value: fmt.Sprintf("%d items", len(r.Results))}
	for i, res := range r.Results {
		l.Fields = append(l.Fields, actionResultField(fmt.Sprintf("[%d]", i), res))
	}
	return []Field{invokeField(r.Invoke), l}
}

// Fields implements APDU.
func (r *ActionResponseNextPblock) Fields() []Field {
	return []Field{invokeField(r.Invoke), uintField("block-number", uint64(r.BlockNumber))}
}

func actionResultField(name string, r ActionResult) Field {
	ret := field("return-parameters", "absent")
	if r.Return != nil {
		ret = getDataResultField("return-parameters", *r.Return)
	}
	return group(name, field("result", fmt.Sprintf("%d (%s)", r.Result, r.Result.String())), ret)
}

// ParseActionRequest decodes an ACTION-request of any variant.
func ParseActionRequest(b []byte) (ActionRequest, error) { return parse(decodeActionRequest, b) }

// ParseActionResponse decodes an ACTION-response of any variant.
func ParseActionResponse(b []byte) (ActionResponse, error) { return parse(decodeActionResponse, b) }

func decodeActionRequest(b []byte) (ActionRequest, int, error) {
	d := decoder{b: b, name: "action-request"}
	d.checkTag(TagActionRequest)
	var r ActionRequest
	switch c := d.choice(); {
	case d.err != nil:
	case c == actionRequestNormal:
		d.name = "action-request-normal"
		a := &ActionRequestNormal{Invoke: d.invoke(), Method: d.method("cosem-method-descriptor")}
		if d.optional("method-invocation-parameters") {
			p := d.data("method-invocation-parameters")
			a.Parameters = &p
		}
		r = a
	case c == actionRequestNextPblock:
		d.name = "action-request-next-pblock"
		r = &ActionRequestNextPblock{Invoke: d.invoke(), BlockNumber: d.u32("block-number")}
	case c == actionRequestWithList:
		d.name = "action-request-with-list"
		r = &ActionRequestWithList{
			Invoke:     d.invoke(),
			Methods:    d.methodList("cosem-method-descriptor-list"),
			Parameters: d.dataList("method-invocation-parameters"),
		}
	case c == actionRequestWithFirstPblock:
		d.name = "action-request-with-first-pblock"
		r = &ActionRequestWithFirstPblock{
			Invoke: d.invoke(),
			Method: d.method("cosem-method-descriptor"),
			Block:  d.dataBlock("pblock"),
		}
	case c == actionRequestWithListAndFirstPblock:
		d.name = "action-request-with-list-and-first-pblock"
		r = &ActionRequestWithListAndFirstPblock{
			Invoke:  d.invoke(),
			Methods: d.methodList("cosem-method-descriptor-list"),
			Block:   d.dataBlock("pblock"),
		}
	case c == actionRequestWithPblock:
		d.name = "action-request-with-pblock"
		r = &ActionRequestWithPblock{Invoke: d.invoke(), Block: d.dataBlock("pblock")}
	default:
		d.unknownChoice(c)
	}
	return finish(&d, r)
}

func decodeActionResponse(b []byte) (ActionResponse, int, error) {
	d := decoder{b: b, name: "action-response"}
	d.checkTag(TagActionResponse)
	var r ActionResponse
	switch c := d.choice(); {
	case d.err != nil:
	case c == actionResponseNormal:
		d.name = "action-response-normal"
		r = &ActionResponseNormal{Invoke: d.invoke(), Result: d.actionResult("single-response", -1)}
	case c == actionResponseWithPblock:
		d.name = "action-response-with-pblock"
		r = &ActionResponseWithPblock{Invoke: d.invoke(), Block: d.dataBlock("pblock")}
	case c == actionResponseWithList:
		d.name = "action-response-with-list"
		a := &ActionResponseWithList{Invoke: d.invoke()}
		a.Results = d.actionResults("list-of-responses")
		r = a
	case c == actionResponseNextPblock:
		d.name = "action-response-next-pblock"
		r = &ActionResponseNextPblock{Invoke: d.invoke(), BlockNumber: d.u32("block-number")}
	default:
		d.unknownChoice(c)
	}
	return finish(&d, r)
}
