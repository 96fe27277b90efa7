package session

import (
	"bytes"
	"fmt"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
)

// Result is the outcome of a service call.
type Result struct {
	// Values has one value per item: the attribute read by GET, the return
	// parameters of ACTION (null-data when the method returned none). It
	// is nil for SET. The value of a failed item is the zero Data.
	Values []axdr.Data
	// Errs has one entry per item: nil on success, else the
	// dlms.DataAccessResult (GET, SET) or dlms.ActionResult (ACTION) of the
	// server.
	Errs []error
	// Err is the failure of the call as a whole: an exception response, a
	// long transfer aborted by the server, a security or protocol error.
	// Values and Errs are nil then.
	Err error
}

// Value returns the value of a call of one item and its error: Err, or
// the error of the item. SET returns the zero Data.
func (r Result) Value() (axdr.Data, error) {
	if err := r.FirstError(); err != nil {
		return axdr.Data{}, err
	}
	if len(r.Values) == 0 {
		return axdr.Data{}, nil
	}
	return r.Values[0], nil
}

// FirstError returns Err, or else the first error of an item, or nil.
func (r Result) FirstError() error {
	if r.Err != nil {
		return r.Err
	}
	for _, err := range r.Errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// callKind is the service of a call.
type callKind uint8

const (
	callGet callKind = iota + 1
	callGetList
	callSet
	callSetList
	callAction
	callActionList
	callHLS
)

var callNames = [...]string{"", "GET", "GET with-list", "SET", "SET with-list", "ACTION", "ACTION with-list", "reply_to_HLS_authentication"}

func (k callKind) String() string {
	if int(k) < len(callNames) {
		return callNames[k]
	}
	return fmt.Sprintf("call(%d)", uint8(k))
}

// call is the service call in progress.
type call struct {
	kind   callKind
	invoke apdu.InvokeIDAndPriority
	items  int

	// Blocks sent: the raw data, how much of it was sent, and the number
	// of the last block sent (0 when the request went in one APDU).
	out      []byte
	outOff   int
	outBlock uint32
	next     func(apdu.DataBlock) apdu.APDU // the request that carries the next block

	// Blocks received: the raw data so far and the number of the last
	// block.
	in      []byte
	inBlock uint32
}

// sending reports whether blocks of the request remain to be sent.
func (cl *call) sending() bool { return cl.outOff < len(cl.out) }

// ready checks that a service call may start.
func (c *Client) ready(op string) error {
	if c.state != StateAssociated {
		return stateError(op, c.state)
	}
	return nil
}

// begin starts a call whose first APDU is out.
func (c *Client) begin(cl call, out []byte) ([]byte, error) {
	c.call = cl
	c.result = Result{}
	c.state = StateCalling
	return out, nil
}

// Get reads one attribute, with selective access when access is not nil,
// and returns the GET-request to send. The value is then Result().Value().
func (c *Client) Get(attr apdu.AttributeDescriptor, access *apdu.SelectiveAccess) ([]byte, error) {
	if err := c.ready("Get"); err != nil {
		return nil, err
	}
	inv := c.nextInvoke()
	req := &apdu.GetRequestNormal{Invoke: inv, Attribute: attr, Access: access}
	out, err := c.frame(req.Append(nil), req.Name())
	if err != nil {
		return nil, err
	}
	return c.begin(call{kind: callGet, invoke: inv, items: 1}, out)
}

// GetList reads several attributes in one request and returns the
// GET-request-with-list to send. The request cannot be split: a list too
// long for the maximum PDU size is a *PDUSizeError.
func (c *Client) GetList(attrs []apdu.AttributeWithSelection) ([]byte, error) {
	if err := c.ready("GetList"); err != nil {
		return nil, err
	}
	if len(attrs) == 0 {
		return nil, fmt.Errorf("session: GetList: empty list")
	}
	inv := c.nextInvoke()
	req := &apdu.GetRequestWithList{Invoke: inv, Attributes: attrs}
	out, err := c.frame(req.Append(nil), req.Name())
	if err != nil {
		return nil, err
	}
	return c.begin(call{kind: callGetList, invoke: inv, items: len(attrs)}, out)
}

// Set writes one attribute and returns the SET-request to send. A value
// too long for one APDU is sent in datablocks when the association
// negotiated block transfer with SET, else Set fails with a *PDUSizeError.
func (c *Client) Set(attr apdu.AttributeDescriptor, v axdr.Data) ([]byte, error) {
	if err := c.ready("Set"); err != nil {
		return nil, err
	}
	inv := c.nextInvoke()
	req := &apdu.SetRequestNormal{Invoke: inv, Attribute: attr, Value: v}
	cl := call{kind: callSet, invoke: inv, items: 1}
	first := func(b apdu.DataBlock) apdu.APDU {
		return &apdu.SetRequestWithFirstDatablock{Invoke: inv, Attribute: attr, Block: b}
	}
	return c.request(cl, req, apdu.ConformanceBlockTransferWithSetOrWrite, v.Append(nil), first, func(b apdu.DataBlock) apdu.APDU {
		return &apdu.SetRequestWithDatablock{Invoke: inv, Block: b}
	})
}

// SetList writes several attributes in one request, values[i] to
// attrs[i], and returns the SET-request-with-list to send; the values go in
// datablocks when they do not fit, as with Set.
func (c *Client) SetList(attrs []apdu.AttributeWithSelection, values []axdr.Data) ([]byte, error) {
	if err := c.ready("SetList"); err != nil {
		return nil, err
	}
	if len(attrs) == 0 || len(attrs) != len(values) {
		return nil, fmt.Errorf("session: SetList: %d attributes and %d values", len(attrs), len(values))
	}
	inv := c.nextInvoke()
	req := &apdu.SetRequestWithList{Invoke: inv, Attributes: attrs, Values: values}
	cl := call{kind: callSetList, invoke: inv, items: len(attrs)}
	first := func(b apdu.DataBlock) apdu.APDU {
		return &apdu.SetRequestWithListAndFirstDatablock{Invoke: inv, Attributes: attrs, Block: b}
	}
	return c.request(cl, req, apdu.ConformanceBlockTransferWithSetOrWrite, appendDataList(nil, values), first, func(b apdu.DataBlock) apdu.APDU {
		return &apdu.SetRequestWithDatablock{Invoke: inv, Block: b}
	})
}

// Action invokes one method, with the parameters param (nil for none),
// and returns the ACTION-request to send. Long parameters go in pblocks
// when the association negotiated block transfer with ACTION; the return
// parameters are then Result().Value().
func (c *Client) Action(m apdu.MethodDescriptor, param *axdr.Data) ([]byte, error) {
	if err := c.ready("Action"); err != nil {
		return nil, err
	}
	inv := c.nextInvoke()
	req := &apdu.ActionRequestNormal{Invoke: inv, Method: m, Parameters: param}
	cl := call{kind: callAction, invoke: inv, items: 1}
	var raw []byte
	if param != nil {
		raw = param.Append(nil)
	}
	first := func(b apdu.DataBlock) apdu.APDU {
		return &apdu.ActionRequestWithFirstPblock{Invoke: inv, Method: m, Block: b}
	}
	return c.request(cl, req, apdu.ConformanceBlockTransferWithAction, raw, first, func(b apdu.DataBlock) apdu.APDU {
		return &apdu.ActionRequestWithPblock{Invoke: inv, Block: b}
	})
}

// ActionList invokes several methods in one request, with params[i] for
// methods[i] (null-data for a method without parameters), and returns the
// ACTION-request-with-list to send; the parameters go in pblocks when they
// do not fit, as with Action.
func (c *Client) ActionList(methods []apdu.MethodDescriptor, params []axdr.Data) ([]byte, error) {
	if err := c.ready("ActionList"); err != nil {
		return nil, err
	}
	if len(methods) == 0 || len(methods) != len(params) {
		return nil, fmt.Errorf("session: ActionList: %d methods and %d parameters", len(methods), len(params))
	}
	inv := c.nextInvoke()
	req := &apdu.ActionRequestWithList{Invoke: inv, Methods: methods, Parameters: params}
	cl := call{kind: callActionList, invoke: inv, items: len(methods)}
	first := func(b apdu.DataBlock) apdu.APDU {
		return &apdu.ActionRequestWithListAndFirstPblock{Invoke: inv, Methods: methods, Block: b}
	}
	return c.request(cl, req, apdu.ConformanceBlockTransferWithAction, appendDataList(nil, params), first, func(b apdu.DataBlock) apdu.APDU {
		return &apdu.ActionRequestWithPblock{Invoke: inv, Block: b}
	})
}

// request starts a SET or ACTION call: req when it fits, else the raw data
// in blocks, the first one built by first and the others by next.
func (c *Client) request(cl call, req apdu.APDU, bt apdu.Conformance, raw []byte, first, next func(apdu.DataBlock) apdu.APDU) ([]byte, error) {
	plain := req.Append(nil)
	size := c.sizeOf(len(plain))
	if size <= c.negotiated.MaxPDU {
		out, err := c.frame(plain, req.Name())
		if err != nil {
			return nil, err
		}
		return c.begin(cl, out)
	}
	if c.negotiated.Conformance&bt == 0 || len(raw) == 0 {
		return nil, &PDUSizeError{APDU: req.Name(), Size: size, Max: c.negotiated.MaxPDU}
	}
	cl.out, cl.next = raw, first
	out, err := c.sendBlock(&cl)
	if err != nil {
		return nil, err
	}
	cl.next = next
	return c.begin(cl, out)
}

// sendBlock returns the APDU that carries the next block of cl's raw data,
// as large as the maximum PDU size allows.
func (c *Client) sendBlock(cl *call) ([]byte, error) {
	rest := cl.out[cl.outOff:]
	empty := cl.next(apdu.DataBlock{})
	size := blockSize(len(empty.Append(nil)), c.sizeOf)
	k := fitBlock(len(rest), c.negotiated.MaxPDU, size)
	if k == 0 {
		return nil, &PDUSizeError{APDU: empty.Name(), Size: size(1), Max: c.negotiated.MaxPDU}
	}
	blk := apdu.DataBlock{LastBlock: k == len(rest), BlockNumber: cl.outBlock + 1, Raw: rest[:k]}
	a := cl.next(blk)
	out, err := c.frame(a.Append(nil), a.Name())
	if err != nil {
		return nil, err
	}
	cl.outOff += k
	cl.outBlock++
	return out, nil
}

// finish ends the call in progress with its result.
func (c *Client) finish(values []axdr.Data, errs []error, err error) ([]byte, bool, error) {
	c.result = Result{Values: values, Errs: errs, Err: err}
	c.call = call{}
	c.state = StateAssociated
	return nil, true, err
}

// fail ends the step in progress with err: the call, or the association
// being authenticated.
func (c *Client) fail(err error) ([]byte, bool, error) {
	if c.state == StateAuthenticating {
		return c.closeWith(err)
	}
	return c.finish(nil, nil, err)
}

// receiveResponse handles an answer to a call, or to the HLS pass 3.
func (c *Client) receiveResponse(b []byte) ([]byte, bool, error) {
	plain, err := c.unwrap(b)
	if err != nil {
		return c.fail(err)
	}
	a, err := apdu.Parse(plain)
	if err != nil {
		return c.fail(fmt.Errorf("session: %w", err))
	}
	switch r := a.(type) {
	case *apdu.ExceptionResponse:
		return c.fail(r.Err())
	case *apdu.ConfirmedServiceError:
		return c.fail(r.Err())
	case *apdu.DataNotification, *apdu.EventNotificationRequest:
		return nil, false, fmt.Errorf("session: %w: %s during a call", ErrUnsolicited, a.Name())
	}
	inv, ok := invokeOf(a)
	if !ok {
		return c.fail(unexpected("%s in answer to %v", a.Name(), c.call.kind))
	}
	if want := c.call.invoke.InvokeID(); inv.InvokeID() != want {
		return nil, false, &InvokeIDError{Want: want, Got: inv.InvokeID()}
	}
	return c.onResponse(a)
}

// unwrap deciphers a ciphered APDU, and refuses a plain one where the
// association requires ciphering. The result does not alias b.
func (c *Client) unwrap(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, unexpected("empty APDU")
	}
	if security.IsCiphered(b[0]) {
		if !c.prot.ciphered() {
			return nil, unexpected("%s in an association without ciphering", security.TagName(b[0]))
		}
		plain, _, err := c.prot.open(b)
		return plain, err
	}
	if c.prot.ciphered() && !plainAllowed(apdu.Tag(b[0])) {
		return nil, fmt.Errorf("session: %w: plain %v in a ciphered association", security.ErrPolicy, apdu.Tag(b[0]))
	}
	return bytes.Clone(b), nil
}

// plainAllowed reports whether an APDU with tag t may come in clear in a
// ciphered association: the error reports that have no ciphered form.
func plainAllowed(t apdu.Tag) bool {
	return t == apdu.TagExceptionResponse || t == apdu.TagConfirmedServiceError
}

// invokeOf returns the invoke id and priority of a GET, SET or ACTION
// response.
func invokeOf(a apdu.APDU) (apdu.InvokeIDAndPriority, bool) {
	switch r := a.(type) {
	case *apdu.GetResponseNormal:
		return r.Invoke, true
	case *apdu.GetResponseWithDatablock:
		return r.Invoke, true
	case *apdu.GetResponseWithList:
		return r.Invoke, true
	case *apdu.SetResponseNormal:
		return r.Invoke, true
	case *apdu.SetResponseDatablock:
		return r.Invoke, true
	case *apdu.SetResponseLastDatablock:
		return r.Invoke, true
	case *apdu.SetResponseLastDatablockWithList:
		return r.Invoke, true
	case *apdu.SetResponseWithList:
		return r.Invoke, true
	case *apdu.ActionResponseNormal:
		return r.Invoke, true
	case *apdu.ActionResponseWithPblock:
		return r.Invoke, true
	case *apdu.ActionResponseWithList:
		return r.Invoke, true
	case *apdu.ActionResponseNextPblock:
		return r.Invoke, true
	}
	return 0, false
}

// onResponse handles a response with the invoke id of the call.
func (c *Client) onResponse(a apdu.APDU) ([]byte, bool, error) {
	cl := &c.call
	mismatch := func() ([]byte, bool, error) {
		return c.fail(unexpected("%s in answer to %v", a.Name(), cl.kind))
	}
	switch r := a.(type) {
	case *apdu.GetResponseNormal:
		if cl.kind != callGet || cl.inBlock != 0 {
			return mismatch()
		}
		return c.finish([]axdr.Data{r.Result.Data}, []error{r.Result.Err()}, nil)

	case *apdu.GetResponseWithList:
		if cl.kind != callGetList || cl.inBlock != 0 {
			return mismatch()
		}
		return c.finishGetList(r.Results)

	case *apdu.GetResponseWithDatablock:
		if cl.kind != callGet && cl.kind != callGetList {
			return mismatch()
		}
		if r.IsAccessResult {
			if err := r.Err(); err != nil {
				return c.fail(fmt.Errorf("session: %s block %d: %w", r.Name(), r.BlockNumber, err))
			}
			return c.fail(unexpected("%s block %d carries no data", r.Name(), r.BlockNumber))
		}
		return c.receiveBlock(r.Name(), r.BlockNumber, r.Raw, r.LastBlock, func(n uint32) apdu.APDU {
			return &apdu.GetRequestNext{Invoke: cl.invoke, BlockNumber: n}
		})

	case *apdu.SetResponseNormal:
		if cl.kind == callSet {
			return c.finish(nil, []error{resultErr(r.Result)}, nil)
		}
		if cl.kind == callSetList && cl.outBlock > 0 && r.Result != dlms.DataAccessSuccess {
			return c.fail(fmt.Errorf("session: %s: %w", r.Name(), r.Result))
		}
		return mismatch()

	case *apdu.SetResponseWithList:
		if cl.kind != callSetList || cl.outBlock != 0 {
			return mismatch()
		}
		return c.finishSetList(r.Name(), r.Results)

	case *apdu.SetResponseDatablock:
		if (cl.kind != callSet && cl.kind != callSetList) || !cl.sending() {
			return mismatch()
		}
		return c.acknowledged(r.Name(), r.BlockNumber)

	case *apdu.SetResponseLastDatablock:
		if cl.kind != callSet || cl.outBlock == 0 || cl.sending() {
			return mismatch()
		}
		if r.BlockNumber != cl.outBlock {
			return c.fail(&BlockError{APDU: r.Name(), Want: cl.outBlock, Got: r.BlockNumber})
		}
		return c.finish(nil, []error{resultErr(r.Result)}, nil)

	case *apdu.SetResponseLastDatablockWithList:
		if cl.kind != callSetList || cl.outBlock == 0 || cl.sending() {
			return mismatch()
		}
		if r.BlockNumber != cl.outBlock {
			return c.fail(&BlockError{APDU: r.Name(), Want: cl.outBlock, Got: r.BlockNumber})
		}
		return c.finishSetList(r.Name(), r.Results)

	case *apdu.ActionResponseNormal:
		switch {
		case cl.kind == callHLS:
			return c.finishHLS(r)
		case cl.kind == callAction && cl.inBlock == 0:
			return c.finishActions([]apdu.ActionResult{r.Result})
		case cl.kind == callActionList && cl.sending() && r.Result.Err() != nil:
			return c.fail(fmt.Errorf("session: %s: %w", r.Name(), r.Result.Err()))
		}
		return mismatch()

	case *apdu.ActionResponseWithList:
		if cl.kind != callActionList || cl.inBlock != 0 {
			return mismatch()
		}
		if len(r.Results) != cl.items {
			return c.fail(unexpected("%s with %d results, want %d", r.Name(), len(r.Results), cl.items))
		}
		return c.finishActions(r.Results)

	case *apdu.ActionResponseNextPblock:
		if (cl.kind != callAction && cl.kind != callActionList) || !cl.sending() {
			return mismatch()
		}
		return c.acknowledged(r.Name(), r.BlockNumber)

	case *apdu.ActionResponseWithPblock:
		if (cl.kind != callAction && cl.kind != callActionList) || cl.sending() {
			return mismatch()
		}
		return c.receiveBlock(r.Name(), r.Block.BlockNumber, r.Block.Raw, r.Block.LastBlock, func(n uint32) apdu.APDU {
			return &apdu.ActionRequestNextPblock{Invoke: cl.invoke, BlockNumber: n}
		})
	}
	return mismatch()
}

// acknowledged handles the server's acknowledgement of the block sent
// last, and returns the next one.
func (c *Client) acknowledged(name string, n uint32) ([]byte, bool, error) {
	cl := &c.call
	if n != cl.outBlock {
		return c.fail(&BlockError{APDU: name, Want: cl.outBlock, Got: n})
	}
	out, err := c.sendBlock(cl)
	if err != nil {
		return c.fail(err)
	}
	return out, false, nil
}

// receiveBlock adds block n of a long response and asks for the next one
// with the APDU that next builds, or decodes the whole when it was the
// last.
func (c *Client) receiveBlock(name string, n uint32, raw []byte, last bool, next func(uint32) apdu.APDU) ([]byte, bool, error) {
	cl := &c.call
	if n != cl.inBlock+1 {
		return c.fail(&BlockError{APDU: name, Want: cl.inBlock + 1, Got: n})
	}
	if len(cl.in)+len(raw) > c.cfg.MaxTransfer {
		return c.fail(&BlockError{APDU: name, Reason: fmt.Sprintf("the transfer exceeds %d bytes", c.cfg.MaxTransfer)})
	}
	cl.in = append(cl.in, raw...)
	cl.inBlock = n
	if !last {
		req := next(n)
		out, err := c.frame(req.Append(nil), req.Name())
		if err != nil {
			return c.fail(err)
		}
		return out, false, nil
	}
	switch cl.kind {
	case callGet, callAction:
		d, err := decodeData(cl.in)
		if err != nil {
			return c.fail(fmt.Errorf("session: %s: the value of %d blocks: %w", name, n, err))
		}
		return c.finish([]axdr.Data{d}, []error{nil}, nil)
	case callGetList:
		l, err := decodeGetResults(cl.in, cl.items)
		if err != nil {
			return c.fail(fmt.Errorf("session: %s: the results of %d blocks: %w", name, n, err))
		}
		return c.finishGetList(l)
	default: // callActionList
		l, err := decodeActionResults(cl.in, cl.items)
		if err != nil {
			return c.fail(fmt.Errorf("session: %s: the results of %d blocks: %w", name, n, err))
		}
		return c.finishActions(l)
	}
}

func (c *Client) finishGetList(l []apdu.GetDataResult) ([]byte, bool, error) {
	if len(l) != c.call.items {
		return c.fail(unexpected("GET-response with %d results, want %d", len(l), c.call.items))
	}
	values := make([]axdr.Data, len(l))
	errs := make([]error, len(l))
	for i, r := range l {
		values[i], errs[i] = r.Data, r.Err()
	}
	return c.finish(values, errs, nil)
}

func (c *Client) finishSetList(name string, l []dlms.DataAccessResult) ([]byte, bool, error) {
	if len(l) != c.call.items {
		return c.fail(unexpected("%s with %d results, want %d", name, len(l), c.call.items))
	}
	errs := make([]error, len(l))
	for i, r := range l {
		errs[i] = resultErr(r)
	}
	return c.finish(nil, errs, nil)
}

func (c *Client) finishActions(l []apdu.ActionResult) ([]byte, bool, error) {
	values := make([]axdr.Data, len(l))
	errs := make([]error, len(l))
	for i, r := range l {
		errs[i] = r.Err()
		switch ret := r.Return; {
		case ret == nil:
			values[i] = axdr.Null()
		case ret.IsAccessResult:
			if errs[i] == nil {
				errs[i] = ret.Err()
			}
		default:
			values[i] = ret.Data
		}
	}
	return c.finish(values, errs, nil)
}

// resultErr returns a data-access result as an error, nil for success.
func resultErr(r dlms.DataAccessResult) error {
	if r == dlms.DataAccessSuccess {
		return nil
	}
	return r
}
