package dlmsdump

import (
	"fmt"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
)

// apdu decodes the APDU b into a field of n, and follows what it tells
// about the session. depth counts the ciphering layers around it.
func (d *Dumper) apdu(n *Node, b []byte, rec *Record, depth int) error {
	if rec.Direction == Unknown {
		rec.Direction = tagDirection(b[0])
	}
	a, used, err := apdu.Decode(b)
	if err != nil {
		return err
	}
	an := apduNode(a)
	n.Fields = append(n.Fields, an)
	if used < len(b) {
		an.addf("trailing-bytes", "%X (%d bytes after the end of the APDU)", b[used:], len(b)-used)
	}
	return d.follow(an, a, b[:used], rec, depth)
}

// follow does what an APDU asks of the rest of the decoding: remember
// system titles, challenges and the dedicated key, decipher, reassemble
// datablocks, check HLS responses.
func (d *Dumper) follow(n *Node, a apdu.APDU, raw []byte, rec *Record, depth int) error {
	switch a := a.(type) {
	case *apdu.AARQ:
		if len(a.CallingAPTitle) == security.SystemTitleSize {
			d.titles[ClientToServer] = clone(a.CallingAPTitle)
		}
		d.hls = hlsState{mechanism: a.Mechanism}
		if a.Mechanism == apdu.MechanismHLSGMAC {
			d.hls.ctos = clone(a.CallingAuthenticationValue)
		}
		d.dedicated = nil
		return d.userInformation(n, a.UserInformation, rec, depth)
	case *apdu.AARE:
		if len(a.RespondingAPTitle) == security.SystemTitleSize {
			d.titles[ServerToClient] = clone(a.RespondingAPTitle)
		}
		if a.Mechanism == apdu.MechanismHLSGMAC {
			d.hls.stoc = clone(a.RespondingAuthenticationValue)
		}
		return d.userInformation(n, a.UserInformation, rec, depth)
	case *apdu.RLRQ:
		return d.userInformation(n, a.UserInformation, rec, depth)
	case *apdu.RLRE:
		return d.userInformation(n, a.UserInformation, rec, depth)
	case *apdu.InitiateRequest:
		if len(a.DedicatedKey) == security.KeySize {
			d.dedicated = clone(a.DedicatedKey)
		}
	case *apdu.Ciphered:
		return d.decipher(n, raw, rec, depth)
	case *apdu.GetRequestNormal:
		d.getWithList = false
	case *apdu.GetRequestWithList:
		d.getWithList = true
	case *apdu.GetResponseWithDatablock:
		return d.block(n, a, rec)
	case *apdu.ActionRequestNormal:
		d.hlsRequest(n, a)
	case *apdu.ActionResponseNormal:
		d.hlsResponse(n, a)
	}
	return nil
}

// userInformation deciphers the user-information of an ACSE APDU when it
// is ciphered; n is the APDU's node.
func (d *Dumper) userInformation(n *Node, ui []byte, rec *Record, depth int) error {
	if len(ui) == 0 || !apdu.Tag(ui[0]).Ciphered() {
		return nil
	}
	_, used, err := apdu.Decode(ui)
	if err != nil {
		return nil // the APDU's fields already show the user-information in hex
	}
	target := n.child("user-information")
	if target == nil {
		target = n
	} else if len(target.Fields) > 0 {
		target = target.Fields[0]
	}
	return d.decipher(target, ui[:used], rec, depth)
}

// apduNode names the fields of a, with its A-XDR values as trees.
func apduNode(a apdu.APDU) *Node {
	data := apduData(a)
	n := &Node{Name: a.Name(), Fields: fieldNodes(a.Fields(), &data)}
	switch a := a.(type) {
	case *apdu.AARQ:
		setReading(n.child("calling-AP-title"), textReading(a.CallingAPTitle))
		setReading(n.child("called-AP-title"), textReading(a.CalledAPTitle))
	case *apdu.AARE:
		setReading(n.child("responding-AP-title"), textReading(a.RespondingAPTitle))
	case *apdu.Ciphered:
		setReading(n.child("system-title"), textReading(a.SystemTitle))
		setReading(n.child("originator-system-title"), textReading(a.SystemTitle))
	case *apdu.DataNotification:
		setReading(n.child("date-time"), dateTimeReading(a.DateTime))
	case *apdu.EventNotificationRequest:
		setReading(n.child("time"), dateTimeReading(a.Time))
	}
	return n
}

func setReading(n *Node, r string) {
	if n != nil {
		n.Reading = r
	}
}

// fieldNodes turns the fields of an APDU into nodes. data holds the A-XDR
// values of the APDU in wire order; the field that shows the next of them
// becomes a tree of that value.
func fieldNodes(fs []apdu.Field, data *[]axdr.Data) []*Node {
	out := make([]*Node, 0, len(fs))
	for _, f := range fs {
		if len(f.Fields) == 0 && len(*data) > 0 && f.Value == (*data)[0].String() {
			out = append(out, dataNode(f.Name, (*data)[0]))
			*data = (*data)[1:]
			continue
		}
		out = append(out, &Node{Name: f.Name, Value: f.Value, Fields: fieldNodes(f.Fields, data)})
	}
	return out
}

// apduData returns the A-XDR values that a carries, in wire order.
func apduData(a apdu.APDU) []axdr.Data {
	var v []axdr.Data
	access := func(s *apdu.SelectiveAccess) {
		if s != nil {
			v = append(v, s.Parameters)
		}
	}
	result := func(r apdu.GetDataResult) {
		if !r.IsAccessResult {
			v = append(v, r.Data)
		}
	}
	actionResult := func(r apdu.ActionResult) {
		if r.Return != nil {
			result(*r.Return)
		}
	}
	switch a := a.(type) {
	case *apdu.GetRequestNormal:
		access(a.Access)
	case *apdu.GetRequestWithList:
		for _, at := range a.Attributes {
			access(at.Access)
		}
	case *apdu.GetResponseNormal:
		result(a.Result)
	case *apdu.GetResponseWithList:
		for _, r := range a.Results {
			result(r)
		}
	case *apdu.SetRequestNormal:
		access(a.Access)
		v = append(v, a.Value)
	case *apdu.SetRequestWithFirstDatablock:
		access(a.Access)
	case *apdu.SetRequestWithList:
		for _, at := range a.Attributes {
			access(at.Access)
		}
		v = append(v, a.Values...)
	case *apdu.SetRequestWithListAndFirstDatablock:
		for _, at := range a.Attributes {
			access(at.Access)
		}
	case *apdu.ActionRequestNormal:
		if a.Parameters != nil {
			v = append(v, *a.Parameters)
		}
	case *apdu.ActionRequestWithList:
		v = append(v, a.Parameters...)
	case *apdu.ActionResponseNormal:
		actionResult(a.Result)
	case *apdu.ActionResponseWithList:
		for _, r := range a.Results {
			actionResult(r)
		}
	case *apdu.DataNotification:
		v = append(v, a.Body)
	case *apdu.EventNotificationRequest:
		v = append(v, a.Value)
	}
	return v
}

// tagDirection tells who sends an APDU from its tag: requests come from the
// client, responses and notifications from the server.
func tagDirection(tag byte) Direction {
	if plain, ok := security.PlainTag(tag); ok {
		tag = plain
	}
	switch apdu.Tag(tag) {
	case apdu.TagAARQ, apdu.TagRLRQ, apdu.TagInitiateRequest,
		apdu.TagGetRequest, apdu.TagSetRequest, apdu.TagActionRequest:
		return ClientToServer
	case apdu.TagAARE, apdu.TagRLRE, apdu.TagInitiateResponse, apdu.TagConfirmedServiceError,
		apdu.TagGetResponse, apdu.TagSetResponse, apdu.TagActionResponse, apdu.TagExceptionResponse,
		apdu.TagDataNotification, apdu.TagEventNotificationRequest:
		return ServerToClient
	}
	return Unknown
}

// blocks gathers the datablocks of a long GET response.
type blocks struct {
	next  uint32 // the block number expected next; 0 when no transfer is under way
	raw   []byte
	first int // record of block 1
}

// block adds a datablock of a GET response to the transfer under way and,
// with the last one, decodes the whole value.
func (d *Dumper) block(n *Node, r *apdu.GetResponseWithDatablock, rec *Record) error {
	s := &d.blocks[rec.Direction]
	if r.IsAccessResult {
		*s = blocks{}
		return nil
	}
	switch {
	case r.BlockNumber == 1:
		*s = blocks{first: rec.Index}
	case s.next == 0 || r.BlockNumber != s.next:
		n.addf("reassembly", "not possible: block %d without the blocks before it", r.BlockNumber)
		*s = blocks{}
		return nil
	}
	s.raw = append(s.raw, r.Raw...)
	s.next = r.BlockNumber + 1
	if !r.LastBlock {
		n.addf("reassembly", "block %d, %d bytes so far", r.BlockNumber, len(s.raw))
		return nil
	}
	raw, first := s.raw, s.first
	*s = blocks{}
	g := n.addf("reassembled", "%d blocks, %d bytes, frames %d to %d", r.BlockNumber, len(raw), first, rec.Index)
	if err := resultNodes(g, raw, d.getWithList); err != nil {
		return fmt.Errorf("the data reassembled from blocks 1 to %d: %w", r.BlockNumber, err)
	}
	return nil
}

// resultNodes decodes the raw data of a long GET response: one Data value,
// or for a get-request-with-list the list of Get-Data-Result.
func resultNodes(n *Node, raw []byte, withList bool) error {
	if !withList {
		v, used, err := axdr.Decode(raw)
		if err != nil {
			return err
		}
		n.Fields = append(n.Fields, dataNode("data", v))
		if used < len(raw) {
			n.addf("trailing-bytes", "%X (%d bytes after the end of the value)", raw[used:], len(raw)-used)
		}
		return nil
	}
	count, pos, err := axdr.ReadLength(raw)
	if err != nil {
		return err
	}
	l := n.addf("result", "%d items", count)
	for i := range count {
		if pos >= len(raw) {
			return fmt.Errorf("result %d at offset %d: %w", i, pos, axdr.ErrShort)
		}
		item := l.add(fmt.Sprintf("[%d]", i), "")
		choice := raw[pos]
		pos++
		switch choice {
		case 0:
			v, used, err := axdr.Decode(raw[pos:])
			if err != nil {
				return fmt.Errorf("result %d at offset %d: %w", i, pos, err)
			}
			item.Fields = append(item.Fields, dataNode("data", v))
			pos += used
		case 1:
			if pos >= len(raw) {
				return fmt.Errorf("result %d at offset %d: %w", i, pos, axdr.ErrShort)
			}
			r := dlms.DataAccessResult(raw[pos])
			item.addf("data-access-result", "%d (%s)", uint8(r), r.String())
			pos++
		default:
			return fmt.Errorf("result %d at offset %d: Get-Data-Result choice %d", i, pos-1, choice)
		}
	}
	if pos < len(raw) {
		n.addf("trailing-bytes", "%X (%d bytes after the end of the list)", raw[pos:], len(raw)-pos)
	}
	return nil
}
