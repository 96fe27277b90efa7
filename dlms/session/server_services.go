package session

import (
	"errors"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
)

// outTransfer is a long GET or ACTION answer being sent in blocks.
type outTransfer struct {
	action bool
	raw    []byte
	off    int
	block  uint32 // the number of the last block sent
}

// inTransfer is a long SET or ACTION request being received in blocks.
type inTransfer struct {
	action  bool
	list    bool
	attrs   []apdu.AttributeWithSelection // SET
	methods []apdu.MethodDescriptor       // ACTION
	raw     []byte
	block   uint32 // the number of the last block received
}

// serve answers an xDLMS request of an established association.
func (a *association) serve(r apdu.APDU) ([]byte, error) {
	switch r.(type) {
	case *apdu.GetRequestNext, *apdu.SetRequestWithDatablock, *apdu.ActionRequestWithPblock, *apdu.ActionRequestNextPblock:
	default:
		// A new request abandons a long transfer in progress: the next one
		// starts again at block 1.
		a.in, a.out = nil, nil
	}
	switch r := r.(type) {
	case *apdu.GetRequestNormal:
		res := a.read(r.Attribute, r.Access)
		return a.answerLong(&apdu.GetResponseNormal{Invoke: r.Invoke, Result: res}, r.Invoke, false,
			func() []byte { return res.Data.Append(nil) },
			&apdu.GetResponseNormal{Invoke: r.Invoke, Result: accessResult(dlms.DataAccessOtherReason)})
	case *apdu.GetRequestWithList:
		res := make([]apdu.GetDataResult, len(r.Attributes))
		fallback := make([]apdu.GetDataResult, len(r.Attributes))
		for i, at := range r.Attributes {
			res[i] = a.read(at.Attribute, at.Access)
			fallback[i] = accessResult(dlms.DataAccessOtherReason)
		}
		return a.answerLong(&apdu.GetResponseWithList{Invoke: r.Invoke, Results: res}, r.Invoke, false,
			func() []byte { return encodeGetResults(res) },
			&apdu.GetResponseWithList{Invoke: r.Invoke, Results: fallback})
	case *apdu.GetRequestNext:
		return a.getNext(r)

	case *apdu.SetRequestNormal:
		return a.answer(&apdu.SetResponseNormal{Invoke: r.Invoke, Result: a.write(r.Attribute, r.Access, r.Value)})
	case *apdu.SetRequestWithList:
		if len(r.Values) != len(r.Attributes) {
			return a.answer(&apdu.SetResponseNormal{Invoke: r.Invoke, Result: dlms.DataAccessTypeUnmatched})
		}
		res := make([]dlms.DataAccessResult, len(r.Attributes))
		for i, at := range r.Attributes {
			res[i] = a.write(at.Attribute, at.Access, r.Values[i])
		}
		return a.answer(&apdu.SetResponseWithList{Invoke: r.Invoke, Results: res})
	case *apdu.SetRequestWithFirstDatablock:
		attrs := []apdu.AttributeWithSelection{{Attribute: r.Attribute, Access: r.Access}}
		return a.firstBlock(r.Invoke, &inTransfer{attrs: attrs}, r.Block)
	case *apdu.SetRequestWithListAndFirstDatablock:
		return a.firstBlock(r.Invoke, &inTransfer{attrs: r.Attributes, list: true}, r.Block)
	case *apdu.SetRequestWithDatablock:
		return a.nextInBlock(r.Invoke, false, r.Block)

	case *apdu.ActionRequestNormal:
		res := a.invoke(r.Method, r.Parameters)
		return a.answerAction(r.Invoke, []apdu.ActionResult{res}, false)
	case *apdu.ActionRequestWithList:
		if len(r.Parameters) != len(r.Methods) {
			return a.answer(&apdu.ActionResponseNormal{Invoke: r.Invoke, Result: apdu.ActionResult{Result: dlms.ActionTypeUnmatched}})
		}
		res := make([]apdu.ActionResult, len(r.Methods))
		for i, m := range r.Methods {
			res[i] = a.invoke(m, &r.Parameters[i])
		}
		return a.answerAction(r.Invoke, res, true)
	case *apdu.ActionRequestWithFirstPblock:
		return a.firstBlock(r.Invoke, &inTransfer{action: true, methods: []apdu.MethodDescriptor{r.Method}}, r.Block)
	case *apdu.ActionRequestWithListAndFirstPblock:
		return a.firstBlock(r.Invoke, &inTransfer{action: true, list: true, methods: r.Methods}, r.Block)
	case *apdu.ActionRequestWithPblock:
		return a.nextInBlock(r.Invoke, true, r.Block)
	case *apdu.ActionRequestNextPblock:
		return a.actionNext(r)
	}
	return exception(dlms.StateServiceUnknown, dlms.ServiceNotSupported), a.errorf("%w: %s", ErrUnexpected, r.Name())
}

func accessResult(r dlms.DataAccessResult) apdu.GetDataResult {
	return apdu.GetDataResult{IsAccessResult: true, AccessResult: r}
}

// answerLong answers resp, or in blocks when it does not fit: datablocks
// for GET, pblocks for ACTION, of the raw data that raw returns. When
// blocks cannot be used, it answers fallback.
func (a *association) answerLong(resp apdu.APDU, inv apdu.InvokeIDAndPriority, action bool, raw func() []byte, fallback apdu.APDU) ([]byte, error) {
	plain := resp.Append(nil)
	size := a.sizeOf(len(plain))
	if size <= a.maxPDU {
		return a.answer(resp)
	}
	bt := apdu.ConformanceBlockTransferWithGetOrRead
	if action {
		bt = apdu.ConformanceBlockTransferWithAction
	}
	if a.conformance&bt != 0 {
		a.out = &outTransfer{action: action, raw: raw()}
		if out, ok, err := a.nextOutBlock(inv); ok {
			return out, err
		}
	}
	a.out = nil
	out, err := a.answer(fallback)
	if err != nil {
		return nil, err
	}
	return out, a.errorf("%w: %s of %d bytes, maximum %d, and no block transfer", ErrPDUTooLong, resp.Name(), size, a.maxPDU)
}

// nextOutBlock answers the next block of the long answer in progress. It
// reports false when not even one byte fits in a block.
func (a *association) nextOutBlock(inv apdu.InvokeIDAndPriority) ([]byte, bool, error) {
	t := a.out
	build := func(b apdu.DataBlock) apdu.APDU {
		if t.action {
			return &apdu.ActionResponseWithPblock{Invoke: inv, Block: b}
		}
		return &apdu.GetResponseWithDatablock{Invoke: inv, LastBlock: b.LastBlock, BlockNumber: b.BlockNumber, Raw: b.Raw}
	}
	rest := t.raw[t.off:]
	k := fitBlock(len(rest), a.maxPDU, blockSize(len(build(apdu.DataBlock{}).Append(nil)), a.sizeOf))
	if k == 0 {
		return nil, false, nil
	}
	t.block++
	blk := apdu.DataBlock{LastBlock: k == len(rest), BlockNumber: t.block, Raw: rest[:k]}
	t.off += k
	if blk.LastBlock {
		a.out = nil
	}
	out, err := a.answer(build(blk))
	return out, true, err
}

// getNext answers a GET-request-next with the next block of a long GET.
func (a *association) getNext(r *apdu.GetRequestNext) ([]byte, error) {
	refuse := func(res dlms.DataAccessResult) ([]byte, error) {
		a.out = nil
		return a.answer(&apdu.GetResponseWithDatablock{Invoke: r.Invoke, LastBlock: true, BlockNumber: r.BlockNumber, IsAccessResult: true, AccessResult: res})
	}
	t := a.out
	switch {
	case t == nil || t.action:
		return refuse(dlms.DataAccessNoLongGetInProgress)
	case r.BlockNumber != t.block:
		return refuse(dlms.DataAccessDataBlockNumberInvalid)
	}
	out, ok, err := a.nextOutBlock(r.Invoke)
	if !ok {
		return refuse(dlms.DataAccessLongGetAborted)
	}
	return out, err
}

// actionNext answers an ACTION-request-next-pblock with the next block of
// long return parameters.
func (a *association) actionNext(r *apdu.ActionRequestNextPblock) ([]byte, error) {
	refuse := func(res dlms.ActionResult) ([]byte, error) {
		a.out = nil
		return a.answer(&apdu.ActionResponseNormal{Invoke: r.Invoke, Result: apdu.ActionResult{Result: res}})
	}
	t := a.out
	switch {
	case t == nil || !t.action:
		return refuse(dlms.ActionNoLongActionInProgress)
	case r.BlockNumber != t.block:
		return refuse(dlms.ActionLongActionAborted)
	}
	out, ok, err := a.nextOutBlock(r.Invoke)
	if !ok {
		return refuse(dlms.ActionLongActionAborted)
	}
	return out, err
}

// answerAction answers the results of ACTION, in pblocks when the return
// parameters are long.
func (a *association) answerAction(inv apdu.InvokeIDAndPriority, res []apdu.ActionResult, list bool) ([]byte, error) {
	unavailable := apdu.GetDataResult{IsAccessResult: true, AccessResult: dlms.DataAccessOtherReason}
	fallback := make([]apdu.ActionResult, len(res))
	for i, r := range res {
		fallback[i] = r
		if r.Return != nil {
			fallback[i].Return = &unavailable
		}
	}
	if list {
		return a.answerLong(&apdu.ActionResponseWithList{Invoke: inv, Results: res}, inv, true,
			func() []byte { return encodeActionResults(res) },
			&apdu.ActionResponseWithList{Invoke: inv, Results: fallback})
	}
	return a.answerLong(&apdu.ActionResponseNormal{Invoke: inv, Result: res[0]}, inv, true,
		func() []byte {
			if res[0].Return == nil || res[0].Return.IsAccessResult {
				return nil
			}
			return res[0].Return.Data.Append(nil)
		},
		&apdu.ActionResponseNormal{Invoke: inv, Result: fallback[0]})
}

// firstBlock starts receiving a long SET or ACTION request.
func (a *association) firstBlock(inv apdu.InvokeIDAndPriority, t *inTransfer, b apdu.DataBlock) ([]byte, error) {
	if b.BlockNumber != 1 {
		return a.refuseBlock(inv, t.action, t.list, len(t.attrs), b.BlockNumber, &BlockError{APDU: "first block", Want: 1, Got: b.BlockNumber})
	}
	a.in = t
	return a.addInBlock(inv, b)
}

// nextInBlock continues receiving a long SET or ACTION request.
func (a *association) nextInBlock(inv apdu.InvokeIDAndPriority, action bool, b apdu.DataBlock) ([]byte, error) {
	t := a.in
	if t == nil || t.action != action {
		a.in = nil
		if action {
			return a.answer(&apdu.ActionResponseNormal{Invoke: inv, Result: apdu.ActionResult{Result: dlms.ActionNoLongActionInProgress}})
		}
		return a.answer(&apdu.SetResponseLastDatablock{Invoke: inv, Result: dlms.DataAccessNoLongSetInProgress, BlockNumber: b.BlockNumber})
	}
	if b.BlockNumber != t.block+1 {
		return a.refuseBlock(inv, t.action, t.list, len(t.attrs), b.BlockNumber, &BlockError{APDU: "block", Want: t.block + 1, Got: b.BlockNumber})
	}
	return a.addInBlock(inv, b)
}

// refuseBlock ends a long SET or ACTION request that went wrong.
func (a *association) refuseBlock(inv apdu.InvokeIDAndPriority, action, list bool, items int, n uint32, cause error) ([]byte, error) {
	a.in = nil
	var out []byte
	var err error
	switch {
	case action:
		out, err = a.answer(&apdu.ActionResponseNormal{Invoke: inv, Result: apdu.ActionResult{Result: dlms.ActionLongActionAborted}})
	case list:
		res := make([]dlms.DataAccessResult, items)
		for i := range res {
			res[i] = dlms.DataAccessDataBlockNumberInvalid
		}
		out, err = a.answer(&apdu.SetResponseLastDatablockWithList{Invoke: inv, Results: res, BlockNumber: n})
	default:
		out, err = a.answer(&apdu.SetResponseLastDatablock{Invoke: inv, Result: dlms.DataAccessDataBlockNumberInvalid, BlockNumber: n})
	}
	if err != nil {
		return nil, err
	}
	return out, a.errorf("%w", cause)
}

// addInBlock adds a block to the long request in progress, and carries it
// out after the last one.
func (a *association) addInBlock(inv apdu.InvokeIDAndPriority, b apdu.DataBlock) ([]byte, error) {
	t := a.in
	if len(t.raw)+len(b.Raw) > a.s.cfg.MaxTransfer {
		return a.refuseBlock(inv, t.action, t.list, len(t.attrs), b.BlockNumber,
			&BlockError{APDU: "block", Reason: "the transfer exceeds the maximum size"})
	}
	t.raw = append(t.raw, b.Raw...)
	t.block = b.BlockNumber
	if !b.LastBlock {
		if t.action {
			return a.answer(&apdu.ActionResponseNextPblock{Invoke: inv, BlockNumber: t.block})
		}
		return a.answer(&apdu.SetResponseDatablock{Invoke: inv, BlockNumber: t.block})
	}
	a.in = nil
	if t.action {
		return a.completeAction(inv, t)
	}
	return a.completeSet(inv, t)
}

// completeSet writes the values of a long SET.
func (a *association) completeSet(inv apdu.InvokeIDAndPriority, t *inTransfer) ([]byte, error) {
	if !t.list {
		res := dlms.DataAccessTypeUnmatched
		if v, err := decodeData(t.raw); err == nil {
			res = a.write(t.attrs[0].Attribute, t.attrs[0].Access, v)
		}
		return a.answer(&apdu.SetResponseLastDatablock{Invoke: inv, Result: res, BlockNumber: t.block})
	}
	res := make([]dlms.DataAccessResult, len(t.attrs))
	values, err := decodeDataList(t.raw, len(t.attrs))
	for i, at := range t.attrs {
		if err != nil {
			res[i] = dlms.DataAccessTypeUnmatched
			continue
		}
		res[i] = a.write(at.Attribute, at.Access, values[i])
	}
	return a.answer(&apdu.SetResponseLastDatablockWithList{Invoke: inv, Results: res, BlockNumber: t.block})
}

// completeAction invokes the methods of a long ACTION.
func (a *association) completeAction(inv apdu.InvokeIDAndPriority, t *inTransfer) ([]byte, error) {
	res := make([]apdu.ActionResult, len(t.methods))
	if !t.list {
		v, err := decodeData(t.raw)
		if err != nil {
			return a.answer(&apdu.ActionResponseNormal{Invoke: inv, Result: apdu.ActionResult{Result: dlms.ActionTypeUnmatched}})
		}
		res[0] = a.invoke(t.methods[0], &v)
		return a.answerAction(inv, res, false)
	}
	params, err := decodeDataList(t.raw, len(t.methods))
	for i, m := range t.methods {
		if err != nil {
			res[i] = apdu.ActionResult{Result: dlms.ActionTypeUnmatched}
			continue
		}
		res[i] = a.invoke(m, &params[i])
	}
	return a.answerAction(inv, res, true)
}

// isCurrent reports whether an object is the current association.
func isCurrent(class dlms.ClassID, obis dlms.OBIS) bool {
	return class == dlms.ClassAssociationLN && obis == CurrentAssociation
}

// check returns whether the association may access a member as need says:
// success, or the data-access result to answer. The action results have
// the same values.
func (a *association) check(m Member, need AccessMode) dlms.DataAccessResult {
	if !a.s.cfg.Objects.Exists(m.Class, m.OBIS) {
		return dlms.DataAccessObjectUndefined
	}
	if !a.visible(m.Class, m.OBIS) {
		return dlms.DataAccessScopeOfAccessViolated
	}
	if a.mode(m)&need == 0 {
		return dlms.DataAccessReadWriteDenied
	}
	return dlms.DataAccessSuccess
}

func (a *association) visible(class dlms.ClassID, obis dlms.OBIS) bool {
	return a.policy.Visible == nil || a.policy.Visible(class, obis)
}

func (a *association) mode(m Member) AccessMode {
	if a.policy.Access == nil {
		return AccessAll
	}
	return a.policy.Access(m)
}

// read returns the value of an attribute, or why there is none.
func (a *association) read(d apdu.AttributeDescriptor, access *apdu.SelectiveAccess) apdu.GetDataResult {
	if isCurrent(d.ClassID, d.Instance) {
		switch {
		case d.Attribute == attrLogicalName:
			return apdu.GetDataResult{Data: axdr.OctetString(CurrentAssociation[:])}
		case d.Attribute == attrObjectList:
			return apdu.GetDataResult{Data: a.objectList()}
		case !a.s.cfg.Objects.Exists(d.ClassID, d.Instance):
			return accessResult(dlms.DataAccessReadWriteDenied)
		}
	}
	if res := a.check(Member{Class: d.ClassID, OBIS: d.Instance, Index: d.Attribute}, AccessRead); res != dlms.DataAccessSuccess {
		return accessResult(res)
	}
	v, err := a.s.cfg.Objects.Get(AttributeRequest{ClientSAP: a.sap, Attribute: d, Access: access})
	if err != nil {
		return accessResult(dataAccessResultOf(err))
	}
	return apdu.GetDataResult{Data: v}
}

// write writes the value of an attribute.
func (a *association) write(d apdu.AttributeDescriptor, access *apdu.SelectiveAccess, v axdr.Data) dlms.DataAccessResult {
	if isCurrent(d.ClassID, d.Instance) && (d.Attribute <= attrObjectList || !a.s.cfg.Objects.Exists(d.ClassID, d.Instance)) {
		return dlms.DataAccessReadWriteDenied
	}
	if res := a.check(Member{Class: d.ClassID, OBIS: d.Instance, Index: d.Attribute}, AccessWrite); res != dlms.DataAccessSuccess {
		return res
	}
	if err := a.s.cfg.Objects.Set(AttributeRequest{ClientSAP: a.sap, Attribute: d, Access: access}, v); err != nil {
		return dataAccessResultOf(err)
	}
	return dlms.DataAccessSuccess
}

// invoke invokes a method.
func (a *association) invoke(m apdu.MethodDescriptor, param *axdr.Data) apdu.ActionResult {
	if isCurrent(m.ClassID, m.Instance) && (m.Method == methodReplyToHLS || !a.s.cfg.Objects.Exists(m.ClassID, m.Instance)) {
		return apdu.ActionResult{Result: dlms.ActionReadWriteDenied}
	}
	if res := a.check(Member{Class: m.ClassID, OBIS: m.Instance, Method: true, Index: m.Method}, AccessExecute); res != dlms.DataAccessSuccess {
		return apdu.ActionResult{Result: dlms.ActionResult(res)}
	}
	ret, err := a.s.cfg.Objects.Action(MethodRequest{ClientSAP: a.sap, Method: m}, param)
	if err != nil {
		return apdu.ActionResult{Result: actionResultOf(err)}
	}
	if ret == nil {
		return apdu.ActionResult{Result: dlms.ActionSuccess}
	}
	return apdu.ActionResult{Result: dlms.ActionSuccess, Return: &apdu.GetDataResult{Data: *ret}}
}

// dataAccessResultOf returns the result that answers an error of the
// model.
func dataAccessResultOf(err error) dlms.DataAccessResult {
	var r dlms.DataAccessResult
	if errors.As(err, &r) && r != dlms.DataAccessSuccess {
		return r
	}
	return dlms.DataAccessOtherReason
}

func actionResultOf(err error) dlms.ActionResult {
	var r dlms.ActionResult
	if errors.As(err, &r) && r != dlms.ActionSuccess {
		return r
	}
	return dlms.ActionOtherReason
}
