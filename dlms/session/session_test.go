package session

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
)

// The client configurations of the tests, one per way of associating.
func clientConfigs() map[string]struct {
	sap uint16
	cfg ClientConfig
} {
	general := hlsClient(0)
	general.GeneralCiphering = true
	ded := hlsClient(0)
	ded.DedicatedKey = true
	dedGeneral := ded
	dedGeneral.GeneralCiphering = true
	auth := hlsClient(0)
	auth.Policy = security.PolicyAuthenticated
	gmac := hlsClient(0)
	gmac.Policy = security.PolicyNone
	return map[string]struct {
		sap uint16
		cfg ClientConfig
	}{
		"none":                   {sapPublic, ClientConfig{}},
		"LLS":                    {sapLLS, ClientConfig{Mechanism: apdu.MechanismLLS, Password: []byte("Gurux")}},
		"HLS-GMAC glo":           {sapHLS, hlsClient(0)},
		"HLS-GMAC general-glo":   {sapHLS, general},
		"HLS-GMAC ded":           {sapHLSDed, ded},
		"HLS-GMAC general-ded":   {sapHLSDed, dedGeneral},
		"HLS-GMAC authenticated": {sapAuth, auth},
		"HLS-GMAC not ciphered":  {sapGMAC, gmac},
	}
}

func TestServices(t *testing.T) {
	for name, tc := range clientConfigs() {
		t.Run(name, func(t *testing.T) {
			model := newTestModel()
			l := newLink(t, tc.cfg, serverConfig(model, 0), tc.sap)
			l.open()
			if got := l.s.State(tc.sap); got != Associated {
				t.Fatalf("server state %v, want associated", got)
			}

			v, err := l.get(clockTime, nil)
			if err != nil || !v.Equal(model.values[clockTime]) {
				t.Errorf("Get clock = %v, %v", v, err)
			}

			err = l.run(l.c.GetList([]apdu.AttributeWithSelection{{Attribute: energy}, {Attribute: hidden}, {Attribute: clockTime}}))
			r := l.c.Result()
			if err != nil || len(r.Values) != 3 || !r.Values[0].Equal(axdr.Uint32(123493)) ||
				!errors.Is(r.Errs[1], dlms.DataAccessScopeOfAccessViolated) || r.Errs[0] != nil || r.Errs[2] != nil {
				t.Errorf("GetList = %+v, %v", r, err)
			}

			newTime := axdr.OctetString(mustHex("07EA0B1BFF02240700000000"))
			if err := l.run(l.c.Set(clockTime, newTime)); err != nil || l.c.Result().FirstError() != nil {
				t.Errorf("Set clock: %v, %v", err, l.c.Result().FirstError())
			}
			if !model.values[clockTime].Equal(newTime) {
				t.Errorf("the clock is %v after Set", model.values[clockTime])
			}

			err = l.run(l.c.SetList([]apdu.AttributeWithSelection{{Attribute: energy}, {Attribute: readOnly}}, []axdr.Data{axdr.Uint32(7), axdr.Uint8(3)}))
			r = l.c.Result()
			if err != nil || len(r.Errs) != 2 || r.Errs[0] != nil || !errors.Is(r.Errs[1], dlms.DataAccessReadWriteDenied) || r.Values != nil {
				t.Errorf("SetList = %+v, %v", r, err)
			}

			param := axdr.Int8(0)
			if err := l.run(l.c.Action(disconnect, &param)); err != nil {
				t.Errorf("Action: %v", err)
			} else if v, err := l.c.Result().Value(); err != nil || v.Tag != axdr.TagNull {
				t.Errorf("Action result %v, %v, want null-data", v, err)
			}

			err = l.run(l.c.ActionList([]apdu.MethodDescriptor{echo, disconnect, {ClassID: dlms.ClassData, Instance: hiddenObis, Method: 1}},
				[]axdr.Data{axdr.Uint16(42), axdr.Int8(0), axdr.Null()}))
			r = l.c.Result()
			if err != nil || len(r.Values) != 3 || !r.Values[0].Equal(axdr.Uint16(42)) || r.Errs[0] != nil || r.Errs[1] != nil ||
				!errors.Is(r.Errs[2], dlms.ActionScopeOfAccessViolated) {
				t.Errorf("ActionList = %+v, %v", r, err)
			}

			undefined := apdu.AttributeDescriptor{ClassID: dlms.ClassData, Instance: dlms.OBIS{0, 0, 96, 50, 0, 255}, Attribute: 2}
			if _, err := l.get(undefined, nil); !errors.Is(err, dlms.DataAccessObjectUndefined) {
				t.Errorf("Get of an undefined object: %v", err)
			}

			list, err := l.get(objectList, nil)
			if err != nil || list.Tag != axdr.TagArray {
				t.Fatalf("object list: %v, %v", list.Tag, err)
			}
			if len(list.Items) != len(model.Objects()) { // one hidden, plus the current association
				t.Errorf("object list of %d objects, want %d", len(list.Items), len(model.Objects()))
			}

			if err := l.run(l.c.Release()); err != nil {
				t.Errorf("Release: %v", err)
			}
			if l.c.State() != StateIdle || l.s.State(tc.sap) != NonAssociated {
				t.Errorf("after release: client %v, server %v", l.c.State(), l.s.State(tc.sap))
			}
		})
	}
}

func TestAssociationRefused(t *testing.T) {
	wrongKey := hlsClient(0)
	wrongKey.Keys = security.Keys{Encryption: testAK, Authentication: testAK}
	wrongTitle := hlsClient(0)
	wrongTitle.ServerSystemTitle = []byte("METER999")
	plainToCiphered := ClientConfig{Mechanism: apdu.MechanismHLSGMAC, Keys: testKeys, SystemTitle: testClientTitle, Counter: security.NewMemoryCounter(1), Rand: fixedReader("x")}
	tests := []struct {
		name string
		sap  uint16
		cfg  ClientConfig
		diag uint8                       // of the *apdu.AssociationError, when want is nil
		cse  *dlms.ConfirmedServiceError // its service error
		want error                       // else an error that errors.Is matches
	}{
		{name: "LLS wrong password", sap: sapLLS, cfg: ClientConfig{Mechanism: apdu.MechanismLLS, Password: []byte("wrong")}, diag: apdu.DiagAuthenticationFailure},
		{name: "no authentication where LLS is required", sap: sapLLS, cfg: ClientConfig{}, diag: apdu.DiagAuthenticationMechanismNameRequired},
		{name: "LLS where HLS-GMAC is required", sap: sapHLS, cfg: ClientConfig{Mechanism: apdu.MechanismLLS, Password: []byte("x"), Policy: security.PolicyAuthenticatedEncrypted, Keys: testKeys, SystemTitle: testClientTitle, Counter: security.NewMemoryCounter(1)}, diag: apdu.DiagAuthenticationMechanismNameNotRecognised},
		{name: "no ciphering where it is required", sap: sapHLS, cfg: plainToCiphered, diag: apdu.DiagApplicationContextNameNotSupported},
		{name: "ciphering where there is none", sap: sapPublic, cfg: hlsClient(0), diag: apdu.DiagApplicationContextNameNotSupported},
		{name: "HLS-GMAC wrong key", sap: sapHLS, cfg: wrongKey, diag: apdu.DiagNoReasonGiven, cse: &dlms.ConfirmedServiceError{Service: 1, Class: 0, Code: 6}},
		{name: "HLS-GMAC wrong server system title", sap: sapHLS, cfg: wrongTitle, want: security.ErrSystemTitle},
		{name: "unknown client SAP", sap: 99, cfg: ClientConfig{}, diag: apdu.DiagNoReasonGiven},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLink(t, tc.cfg, serverConfig(newTestModel(), 0), tc.sap)
			err := l.run(l.c.Open())
			if l.c.State() != StateIdle {
				t.Errorf("client state %v, want idle", l.c.State())
			}
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("Open: %v, want %v", err, tc.want)
				}
				return
			}
			var ae *apdu.AssociationError
			if !errors.As(err, &ae) {
				t.Fatalf("Open: %v, want an *apdu.AssociationError", err)
			}
			if ae.Result != apdu.ResultRejectedPermanent || ae.Diagnostic.Value != tc.diag {
				t.Errorf("rejected %v (%v), want diagnostic %d", ae.Result, ae.Diagnostic, tc.diag)
			}
			if (tc.cse == nil) != (ae.ServiceError == nil) || (tc.cse != nil && *tc.cse != *ae.ServiceError) {
				t.Errorf("service error %v, want %v", ae.ServiceError, tc.cse)
			}
			if l.s.State(tc.sap) != NonAssociated {
				t.Errorf("server state %v", l.s.State(tc.sap))
			}
		})
	}
}

func TestServerChecksClientSystemTitle(t *testing.T) {
	scfg := serverConfig(newTestModel(), 0)
	p := scfg.Associations[sapHLS]
	sec := *p.Security
	sec.ClientSystemTitle = []byte("OTHERHES")
	p.Security = &sec
	scfg.Associations[sapHLS] = p
	l := newLink(t, hlsClient(0), scfg, sapHLS)
	var ae *apdu.AssociationError
	if err := l.run(l.c.Open()); !errors.As(err, &ae) || ae.Diagnostic.Value != apdu.DiagCallingAPTitleNotRecognized {
		t.Fatalf("Open: %v, want calling-AP-title-not-recognized", err)
	}
}

// hlsPass3 opens an HLS-GMAC association up to the pass 3, which it
// returns unsent.
func hlsPass3(t *testing.T, l *link) []byte {
	t.Helper()
	aarq, err := l.c.Open()
	if err != nil {
		t.Fatal(err)
	}
	aare, err := l.s.Handle(l.sap, aarq)
	if err != nil {
		t.Fatal(err)
	}
	pass3, done, err := l.c.Receive(aare)
	if err != nil || done || l.c.State() != StateAuthenticating || l.s.State(l.sap) != AssociationPending {
		t.Fatalf("after the AARE: %v, done %v, client %v, server %v", err, done, l.c.State(), l.s.State(l.sap))
	}
	return pass3
}

func TestHLSPass3Refused(t *testing.T) {
	l := newLink(t, hlsClient(0), serverConfig(newTestModel(), 0), sapHLS)
	pass3 := hlsPass3(t, l)

	// A client that computed f(StoC) wrong: replace its pass 3.
	_ = pass3
	ctx, _ := security.NewContext(security.Config{Keys: testKeys, SystemTitle: testClientTitle, PeerSystemTitle: testServerTitle, Policy: security.PolicyAuthenticatedEncrypted})
	bad := axdr.OctetString(append([]byte{0x10, 0, 0, 0, 9}, make([]byte, 12)...))
	req := &apdu.ActionRequestNormal{Invoke: apdu.NewInvoke(1, true), Method: apdu.MethodDescriptor{ClassID: dlms.ClassAssociationLN, Instance: CurrentAssociation, Method: 1}, Parameters: &bad}
	forged, err := ctx.Encrypt(nil, req.Append(nil), security.ServiceGlobal, 1000)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := l.s.Handle(sapHLS, forged)
	if !errors.Is(err, security.ErrAuthentication) {
		t.Errorf("server error %v, want an authentication failure", err)
	}
	if l.s.State(sapHLS) != NonAssociated {
		t.Errorf("server state %v after a wrong f(StoC)", l.s.State(sapHLS))
	}
	_, done, err := l.c.Receive(resp)
	if !done || !errors.Is(err, security.ErrAuthentication) || !errors.Is(err, dlms.ActionReadWriteDenied) || l.c.State() != StateIdle {
		t.Errorf("client: done %v, %v, state %v", done, err, l.c.State())
	}
}

func TestHLSServerAnswerChecked(t *testing.T) {
	l := newLink(t, hlsClient(0), serverConfig(newTestModel(), 0), sapHLS)
	pass3 := hlsPass3(t, l)
	if _, err := l.s.Handle(sapHLS, pass3); err != nil {
		t.Fatal(err)
	}
	// A server that answers with a wrong f(CtoS), in a well ciphered
	// response.
	ctx, _ := security.NewContext(security.Config{Keys: testKeys, SystemTitle: testServerTitle, PeerSystemTitle: testClientTitle, Policy: security.PolicyAuthenticatedEncrypted})
	ret := apdu.GetDataResult{Data: axdr.OctetString(append([]byte{0x10, 0, 0, 0, 50}, make([]byte, 12)...))}
	resp := &apdu.ActionResponseNormal{Invoke: l.c.call.invoke, Result: apdu.ActionResult{Return: &ret}}
	forged, err := ctx.Encrypt(nil, resp.Append(nil), security.ServiceGlobal, 1000)
	if err != nil {
		t.Fatal(err)
	}
	_, done, err := l.c.Receive(forged)
	if !done || !errors.Is(err, security.ErrAuthentication) || l.c.State() != StateIdle {
		t.Errorf("client: done %v, %v, state %v", done, err, l.c.State())
	}
}

func TestSelectiveAccess(t *testing.T) {
	model := newTestModel()
	l := newLink(t, ClientConfig{}, serverConfig(model, 0), sapPublic)
	l.open()
	from := axdr.OctetString(mustHex("07EA0B1AFF000000000000FF"))
	to := axdr.OctetString(mustHex("07EA0B1BFF000000000000FF"))
	rng := apdu.Range{Restrict: apdu.CaptureObject{ClassID: dlms.ClassClock, Instance: clockObis, Attribute: 2}, From: from, To: to}.Access()
	entry := apdu.Entry{FromEntry: 1, ToEntry: 10, FromValue: 1}.Access()
	for _, acc := range []apdu.SelectiveAccess{rng, entry} {
		model.access = nil
		if _, err := l.get(profileBuf, &acc); err != nil {
			t.Fatalf("Get with selector %d: %v", acc.Selector, err)
		}
		if len(model.access) != 1 || model.access[0] == nil || model.access[0].Selector != acc.Selector || !model.access[0].Parameters.Equal(acc.Parameters) {
			t.Errorf("the model saw %+v, want %+v", model.access, acc)
		}
	}
	got, err := apdu.ParseRange(*model.access[0])
	if err == nil {
		t.Errorf("the entry descriptor reads as a range: %+v", got)
	}
}

func TestBlockTransfer(t *testing.T) {
	for _, maxPDU := range []uint16{128, 1024} {
		for _, name := range []string{"none", "HLS-GMAC glo", "HLS-GMAC general-ded"} {
			tc := clientConfigs()[name]
			t.Run(fmt.Sprintf("%s/%d", name, maxPDU), func(t *testing.T) {
				model := newTestModel()
				cfg := tc.cfg
				cfg.MaxPDU = maxPDU
				l := newLink(t, cfg, serverConfig(model, maxPDU), tc.sap)
				l.open()
				if got := l.c.Negotiated().MaxPDU; got != int(maxPDU) {
					t.Fatalf("negotiated max PDU %d", got)
				}
				var sizes []int
				l.tamper = func(resp []byte) []byte {
					sizes = append(sizes, len(resp))
					return resp
				}

				l.frames = 0
				v, err := l.get(blob, nil)
				if err != nil || !v.Equal(model.values[blob]) {
					t.Fatalf("Get of 5000 bytes: %v", err)
				}
				minFrames := 5000/int(maxPDU) + 1
				if l.frames < minFrames {
					t.Errorf("GET in %d exchanges, want at least %d", l.frames, minFrames)
				}

				long := axdr.OctetString(bytes.Repeat([]byte{0x5A}, 5000))
				l.frames = 0
				if err := l.run(l.c.Set(blob, long)); err != nil || l.c.Result().FirstError() != nil {
					t.Fatalf("Set of 5000 bytes: %v, %v", err, l.c.Result().FirstError())
				}
				if !model.values[blob].Equal(long) || l.frames < minFrames {
					t.Errorf("Set in %d exchanges", l.frames)
				}

				l.frames = 0
				if err := l.run(l.c.Action(echo, &long)); err != nil {
					t.Fatalf("Action with 5000 bytes: %v", err)
				}
				if v, err := l.c.Result().Value(); err != nil || !v.Equal(long) || l.frames < 2*minFrames-1 {
					t.Errorf("Action: %v in %d exchanges", err, l.frames)
				}

				values := []axdr.Data{long, axdr.Uint32(1)}
				if err := l.run(l.c.SetList([]apdu.AttributeWithSelection{{Attribute: blob}, {Attribute: energy}}, values)); err != nil || l.c.Result().FirstError() != nil {
					t.Fatalf("SetList: %v, %v", err, l.c.Result().FirstError())
				}
				err = l.run(l.c.GetList([]apdu.AttributeWithSelection{{Attribute: blob}, {Attribute: energy}}))
				if r := l.c.Result(); err != nil || !r.Values[0].Equal(long) || !r.Values[1].Equal(axdr.Uint32(1)) {
					t.Fatalf("GetList: %v", err)
				}
				err = l.run(l.c.ActionList([]apdu.MethodDescriptor{echo, echo}, values))
				if r := l.c.Result(); err != nil || !r.Values[0].Equal(long) || !r.Values[1].Equal(axdr.Uint32(1)) {
					t.Fatalf("ActionList: %v", err)
				}

				for _, n := range sizes {
					if n > int(maxPDU) {
						t.Errorf("the server sent an APDU of %d bytes", n)
					}
				}
			})
		}
	}
}

// The client's APDUs never exceed the negotiated maximum.
func TestClientRespectsMaxPDU(t *testing.T) {
	model := newTestModel()
	cfg := hlsClient(0)
	l := newLink(t, cfg, serverConfig(model, 128), sapHLS)
	l.open()
	long := axdr.OctetString(bytes.Repeat([]byte{1}, 3000))
	req, err := l.c.Set(blob, long)
	for err == nil {
		if len(req) > 128 {
			t.Fatalf("the client sent %d bytes", len(req))
		}
		resp, _ := l.s.Handle(sapHLS, req)
		var done bool
		req, done, err = l.c.Receive(resp)
		if done {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestPDUTooLong(t *testing.T) {
	scfg := serverConfig(newTestModel(), 128)
	p := scfg.Associations[sapPublic]
	p.Conformance = apdu.ConformanceGet | apdu.ConformanceSet | apdu.ConformanceMultipleReferences
	scfg.Associations[sapPublic] = p
	l := newLink(t, ClientConfig{}, scfg, sapPublic)
	l.open()
	attrs := make([]apdu.AttributeWithSelection, 20)
	for i := range attrs {
		attrs[i].Attribute = energy
	}
	var pe *PDUSizeError
	if _, err := l.c.GetList(attrs); !errors.As(err, &pe) || pe.Max != 128 || !errors.Is(err, ErrPDUTooLong) {
		t.Errorf("GetList of 20: %v", err)
	}
	if _, err := l.c.Set(blob, axdr.OctetString(make([]byte, 200))); !errors.Is(err, ErrPDUTooLong) {
		t.Errorf("Set of 200 bytes without block transfer: %v", err)
	}
	if l.c.State() != StateAssociated {
		t.Errorf("state %v", l.c.State())
	}
	// Without block transfer, the server answers a long value with
	// other-reason.
	if _, err := l.get(blob, nil); !errors.Is(err, dlms.DataAccessOtherReason) {
		t.Errorf("Get of 5000 bytes without block transfer: %v", err)
	}
}

func TestLongGetAbortedRestartsAtBlockOne(t *testing.T) {
	model := newTestModel()
	l := newLink(t, ClientConfig{MaxPDU: 256}, serverConfig(model, 256), sapPublic)
	l.open()
	blocks := 0
	l.tamper = func(resp []byte) []byte {
		r, err := apdu.ParseGetResponse(resp)
		if err != nil {
			return resp
		}
		if b, ok := r.(*apdu.GetResponseWithDatablock); ok {
			blocks++
			if b.BlockNumber == 3 {
				abort := &apdu.GetResponseWithDatablock{Invoke: b.Invoke, LastBlock: true, BlockNumber: 3, IsAccessResult: true, AccessResult: dlms.DataAccessLongGetAborted}
				return abort.Append(nil)
			}
		}
		return resp
	}
	if _, err := l.get(blob, nil); !errors.Is(err, dlms.DataAccessLongGetAborted) {
		t.Fatalf("Get: %v, want long-get-aborted", err)
	}
	l.tamper = nil
	if v, err := l.get(blob, nil); err != nil || !v.Equal(model.values[blob]) {
		t.Fatalf("Get after the abort: %v", err)
	}

	// The client gives up a long GET; the next one starts at block 1.
	req, err := l.c.Get(blob, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := l.s.Handle(sapPublic, req)
	if _, done, err := l.c.Receive(resp); done || err != nil {
		t.Fatalf("first block: %v", err)
	}
	l.c.Cancel()
	if l.c.State() != StateAssociated || !errors.Is(l.c.Result().Err, ErrCanceled) {
		t.Fatalf("after Cancel: %v, %v", l.c.State(), l.c.Result().Err)
	}
	// The late block 2 is stale for the next call.
	next := &apdu.GetRequestNext{Invoke: apdu.NewInvoke(l.c.invoke, true), BlockNumber: 1}
	late, _ := l.s.Handle(sapPublic, next.Append(nil))
	req, err = l.c.Get(blob, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ie *InvokeIDError
	if out, done, err := l.c.Receive(late); done || out != nil || !errors.As(err, &ie) || !errors.Is(err, ErrStaleInvokeID) {
		t.Fatalf("late block: %v, %v, %v", out, done, err)
	}
	if err := l.run(req, nil); err != nil {
		t.Fatal(err)
	}
	if v, err := l.c.Result().Value(); err != nil || !v.Equal(model.values[blob]) {
		t.Fatalf("Get after Cancel: %v", err)
	}
}

func TestBlockOutOfSequence(t *testing.T) {
	l := newLink(t, ClientConfig{MaxPDU: 256}, serverConfig(newTestModel(), 256), sapPublic)
	l.open()
	l.tamper = func(resp []byte) []byte {
		r, err := apdu.ParseGetResponse(resp)
		if b, ok := r.(*apdu.GetResponseWithDatablock); err == nil && ok && b.BlockNumber == 2 {
			b.BlockNumber = 3
			return b.Append(nil)
		}
		return resp
	}
	var be *BlockError
	if _, err := l.get(blob, nil); !errors.As(err, &be) || be.Want != 2 || be.Got != 3 || !errors.Is(err, ErrBlock) {
		t.Fatalf("Get: %v", err)
	}
}

func TestServerBlockErrors(t *testing.T) {
	l := newLink(t, ClientConfig{}, serverConfig(newTestModel(), 0), sapPublic)
	l.open()
	inv := apdu.NewInvoke(5, true)
	tests := []struct {
		name string
		req  apdu.APDU
		want apdu.APDU
	}{
		{"GET-next without a long GET", &apdu.GetRequestNext{Invoke: inv, BlockNumber: 1},
			&apdu.GetResponseWithDatablock{Invoke: inv, LastBlock: true, BlockNumber: 1, IsAccessResult: true, AccessResult: dlms.DataAccessNoLongGetInProgress}},
		{"SET block without a long SET", &apdu.SetRequestWithDatablock{Invoke: inv, Block: apdu.DataBlock{BlockNumber: 2, Raw: []byte{0}}},
			&apdu.SetResponseLastDatablock{Invoke: inv, Result: dlms.DataAccessNoLongSetInProgress, BlockNumber: 2}},
		{"ACTION next without a long ACTION", &apdu.ActionRequestNextPblock{Invoke: inv, BlockNumber: 1},
			&apdu.ActionResponseNormal{Invoke: inv, Result: apdu.ActionResult{Result: dlms.ActionNoLongActionInProgress}}},
		{"first SET block numbered 2", &apdu.SetRequestWithFirstDatablock{Invoke: inv, Attribute: blob, Block: apdu.DataBlock{BlockNumber: 2, Raw: []byte{9, 1}}},
			&apdu.SetResponseLastDatablock{Invoke: inv, Result: dlms.DataAccessDataBlockNumberInvalid, BlockNumber: 2}},
		{"SET first block", &apdu.SetRequestWithFirstDatablock{Invoke: inv, Attribute: energy, Block: apdu.DataBlock{BlockNumber: 1, Raw: []byte{6, 0}}},
			&apdu.SetResponseDatablock{Invoke: inv, BlockNumber: 1}},
		{"SET block skipped", &apdu.SetRequestWithDatablock{Invoke: inv, Block: apdu.DataBlock{BlockNumber: 3, Raw: []byte{0}}},
			&apdu.SetResponseLastDatablock{Invoke: inv, Result: dlms.DataAccessDataBlockNumberInvalid, BlockNumber: 3}},
		{"SET value that does not decode", &apdu.SetRequestWithFirstDatablock{Invoke: inv, Attribute: energy, Block: apdu.DataBlock{LastBlock: true, BlockNumber: 1, Raw: []byte{6, 0}}},
			&apdu.SetResponseLastDatablock{Invoke: inv, Result: dlms.DataAccessTypeUnmatched, BlockNumber: 1}},
		{"ACTION on the HLS method when associated", &apdu.ActionRequestNormal{Invoke: inv, Method: apdu.MethodDescriptor{ClassID: dlms.ClassAssociationLN, Instance: CurrentAssociation, Method: 1}},
			&apdu.ActionResponseNormal{Invoke: inv, Result: apdu.ActionResult{Result: dlms.ActionReadWriteDenied}}},
		{"SET of the object list", &apdu.SetRequestNormal{Invoke: inv, Attribute: objectList, Value: axdr.Array()},
			&apdu.SetResponseNormal{Invoke: inv, Result: dlms.DataAccessReadWriteDenied}},
		{"unknown method", &apdu.ActionRequestNormal{Invoke: inv, Method: apdu.MethodDescriptor{ClassID: dlms.ClassClock, Instance: clockObis, Method: 6}},
			&apdu.ActionResponseNormal{Invoke: inv, Result: apdu.ActionResult{Result: dlms.ActionOtherReason}}},
	}
	for _, tc := range tests {
		resp, _ := l.s.Handle(sapPublic, tc.req.Append(nil))
		if want := tc.want.Append(nil); !bytes.Equal(resp, want) {
			t.Errorf("%s: answer % X, want % X", tc.name, resp, want)
		}
	}
}

func TestExceptions(t *testing.T) {
	l := newLink(t, hlsClient(0), serverConfig(newTestModel(), 64), sapHLS)
	getClock := (&apdu.GetRequestNormal{Invoke: apdu.NewInvoke(1, true), Attribute: clockTime}).Append(nil)

	// Before any association.
	resp, err := l.s.Handle(sapHLS, getClock)
	if want := mustHex("D80101"); !bytes.Equal(resp, want) || !errors.Is(err, ErrState) {
		t.Errorf("GET before the association: % X, %v", resp, err)
	}

	// Before the HLS pass 3.
	hlsPass3(t, l)
	if resp, _ := l.s.Handle(sapHLS, getClock); !bytes.Equal(resp, mustHex("D80101")) {
		t.Errorf("GET before the pass 3: % X", resp)
	}
	l.c.Reset()
	l.open()

	// A plain request in a ciphered association.
	if resp, err := l.s.Handle(sapHLS, getClock); !bytes.Equal(resp, mustHex("D80101")) || !errors.Is(err, security.ErrPolicy) {
		t.Errorf("plain GET: % X, %v", resp, err)
	}
	// Garbage that looks ciphered.
	if resp, err := l.s.Handle(sapHLS, mustHex("C80A3000000099010203040506")); !bytes.Equal(resp, mustHex("D80105")) || !errors.Is(err, security.ErrDecipher) {
		t.Errorf("bad glo-get-request: % X, %v", resp, err)
	}
	// A replayed request.
	req, err := l.c.Get(clockTime, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.run(req, nil); err != nil {
		t.Fatal(err)
	}
	resp, err = l.s.Handle(sapHLS, req)
	if len(resp) != 7 || !bytes.Equal(resp[:3], mustHex("D80106")) || !errors.Is(err, security.ErrReplay) {
		t.Errorf("replayed request: % X, %v", resp, err)
	}
	// A request longer than the server's maximum.
	if resp, err := l.s.Handle(sapHLS, make([]byte, 65)); !bytes.Equal(resp, mustHex("D80104")) || !errors.Is(err, ErrPDUTooLong) {
		t.Errorf("long request: % X, %v", resp, err)
	}

	// The client surfaces an exception response.
	if _, err := l.c.Get(clockTime, nil); err != nil {
		t.Fatal(err)
	}
	_, done, err := l.c.Receive(mustHex("D80102"))
	var ee *dlms.ExceptionError
	if !done || !errors.As(err, &ee) || ee.State != dlms.StateServiceNotAllowed || ee.Service != dlms.ServiceNotSupported {
		t.Errorf("exception: done %v, %v", done, err)
	}
	if l.c.State() != StateAssociated || !errors.Is(l.c.Result().Err, ee) {
		t.Errorf("after the exception: %v, %v", l.c.State(), l.c.Result().Err)
	}
}

func TestReplayedResponse(t *testing.T) {
	l := newLink(t, hlsClient(0), serverConfig(newTestModel(), 0), sapHLS)
	l.open()
	var last []byte
	l.tamper = func(resp []byte) []byte { last = resp; return resp }
	if _, err := l.get(clockTime, nil); err != nil {
		t.Fatal(err)
	}
	l.tamper = nil
	if _, err := l.c.Get(clockTime, nil); err != nil {
		t.Fatal(err)
	}
	_, done, err := l.c.Receive(last)
	var re *security.ReplayError
	if !done || !errors.Is(err, security.ErrReplay) || !errors.As(err, &re) {
		t.Fatalf("replayed response: done %v, %v", done, err)
	}
	// A plain response in a ciphered association is refused too.
	if _, err := l.c.Get(clockTime, nil); err != nil {
		t.Fatal(err)
	}
	plain := &apdu.GetResponseNormal{Invoke: l.c.call.invoke, Result: apdu.GetDataResult{Data: axdr.Uint8(1)}}
	if _, _, err := l.c.Receive(plain.Append(nil)); !errors.Is(err, security.ErrPolicy) {
		t.Fatalf("plain response: %v", err)
	}
}

// The client reserves one counter value for each APDU it ciphers, before
// it returns the APDU.
func TestCounterReservedPerFrame(t *testing.T) {
	counter := &countingReserver{next: 1}
	cfg := hlsClient(128)
	cfg.Counter = counter
	l := newLink(t, cfg, serverConfig(newTestModel(), 128), sapHLS)
	var frames int
	var last uint32
	frame := func(req []byte) {
		t.Helper()
		frames++
		ciphered := req
		switch apdu.Tag(req[0]) {
		case apdu.TagAARQ:
			aarq, err := apdu.ParseAARQ(req)
			if err != nil {
				t.Fatal(err)
			}
			ciphered = aarq.UserInformation
		case apdu.TagRLRQ:
			rlrq, err := apdu.ParseRLRQ(req)
			if err != nil {
				t.Fatal(err)
			}
			ciphered = rlrq.UserInformation
		}
		h, _, err := security.ParseCiphered(ciphered)
		if err != nil {
			t.Fatalf("frame %d: %v", frames, err)
		}
		if h.Counter <= last || h.Counter >= counter.next {
			t.Errorf("frame %d with counter %d: reserved up to %d, last sent %d", frames, h.Counter, counter.next-1, last)
		}
		last = h.Counter
	}
	l.tamper = func(resp []byte) []byte { return resp }
	steps := []func() ([]byte, error){
		l.c.Open,
		func() ([]byte, error) { return l.c.Get(blob, nil) },
		func() ([]byte, error) { return l.c.Set(blob, axdr.OctetString(make([]byte, 600))) },
		l.c.Release,
	}
	for _, step := range steps {
		req, err := step()
		for err == nil && req != nil {
			frame(req)
			resp, _ := l.s.Handle(sapHLS, req)
			req, _, err = l.c.Receive(resp)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if counter.calls != frames+1 { // and the f(StoC) of the HLS pass 3
		t.Errorf("%d reservations for %d frames", counter.calls, frames)
	}
	if frames < 20 {
		t.Errorf("only %d frames", frames)
	}
}

func TestReleaseCiphered(t *testing.T) {
	l := newLink(t, hlsClient(0), serverConfig(newTestModel(), 0), sapHLS)
	l.open()
	// A plain RLRQ is refused in a ciphered association; the client
	// takes the exception as the end of the association.
	resp, err := l.s.Handle(sapHLS, mustHex("6203800100"))
	if !bytes.Equal(resp, mustHex("D80101")) || err == nil || l.s.State(sapHLS) != Associated {
		t.Errorf("plain RLRQ: % X, %v", resp, err)
	}
	if _, err := l.c.Release(); err != nil {
		t.Fatal(err)
	}
	if _, done, err := l.c.Receive(resp); !done || err != nil || l.c.State() != StateIdle {
		t.Errorf("exception to the RLRQ: %v, %v", done, err)
	}
	// A ciphered one is answered with an RLRE with a ciphered
	// InitiateResponse.
	l.open()
	req, err := l.c.Release()
	if err != nil {
		t.Fatal(err)
	}
	rlrq, err := apdu.ParseRLRQ(req)
	if err != nil || len(rlrq.UserInformation) == 0 || rlrq.UserInformation[0] != byte(apdu.TagGloInitiateRequest) {
		t.Fatalf("RLRQ % X: %v", req, err)
	}
	resp, err = l.s.Handle(sapHLS, req)
	if err != nil || l.s.State(sapHLS) != NonAssociated {
		t.Fatal(err)
	}
	rlre, err := apdu.ParseRLRE(resp)
	if err != nil || len(rlre.UserInformation) == 0 || rlre.UserInformation[0] != byte(apdu.TagGloInitiateResponse) {
		t.Fatalf("RLRE % X: %v", resp, err)
	}
	if _, done, err := l.c.Receive(resp); !done || err != nil || l.c.State() != StateIdle {
		t.Errorf("RLRE: %v, %v", done, err)
	}
}

func TestClientStates(t *testing.T) {
	c, err := NewClient(ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(clockTime, nil); !errors.Is(err, ErrState) {
		t.Errorf("Get when idle: %v", err)
	}
	if _, err := c.Release(); !errors.Is(err, ErrState) {
		t.Errorf("Release when idle: %v", err)
	}
	if _, done, err := c.Receive(mustHex("C401C100090100")); !done || !errors.Is(err, ErrUnsolicited) {
		t.Errorf("Receive when idle: %v, %v", done, err)
	}
	if _, err := c.Open(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Open(); !errors.Is(err, ErrState) {
		t.Errorf("Open twice: %v", err)
	}
	c.Cancel()
	if c.State() != StateIdle {
		t.Errorf("state %v after Cancel", c.State())
	}
	for s, want := range map[State]string{StateIdle: "idle", StateCalling: "calling", State(42): "state(42)"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q", s, s.String())
		}
	}
	for s, want := range map[AssociationState]string{NonAssociated: "non-associated", AssociationPending: "association-pending", Associated: "associated", 9: "association-state(9)"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q", s, s.String())
		}
	}
}

func TestUnsolicitedDuringCall(t *testing.T) {
	l := newLink(t, ClientConfig{}, serverConfig(newTestModel(), 0), sapPublic)
	l.open()
	req, err := l.c.Get(energy, nil)
	if err != nil {
		t.Fatal(err)
	}
	note := &apdu.DataNotification{Invoke: 1, Body: axdr.Uint8(1)}
	if out, done, err := l.c.Receive(note.Append(nil)); done || out != nil || !errors.Is(err, ErrUnsolicited) {
		t.Errorf("notification during a call: %v, %v", done, err)
	}
	if err := l.run(req, nil); err != nil {
		t.Fatal(err)
	}
}

func TestConfigErrors(t *testing.T) {
	clients := map[string]ClientConfig{
		"LLS without password":      {Mechanism: apdu.MechanismLLS},
		"HLS-MD5":                   {Mechanism: apdu.MechanismHLSMD5},
		"HLS-GMAC without rand":     {Mechanism: apdu.MechanismHLSGMAC, Keys: testKeys, SystemTitle: testClientTitle, Counter: security.NewMemoryCounter(0)},
		"ciphering without counter": {Policy: security.PolicyAuthenticated, Keys: testKeys, SystemTitle: testClientTitle},
		"dedicated key unencrypted": {Policy: security.PolicyAuthenticated, Keys: testKeys, SystemTitle: testClientTitle, Counter: security.NewMemoryCounter(0), DedicatedKey: true, Rand: fixedReader("x")},
		"challenge of 4 bytes":      {ChallengeSize: 4},
		"max PDU 5":                 {MaxPDU: 5},
		"short server title":        {ServerSystemTitle: []byte{1}},
	}
	for name, cfg := range clients {
		if _, err := NewClient(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := NewClient(ClientConfig{Policy: security.PolicyAuthenticated, Keys: security.Keys{Encryption: []byte{1}}, SystemTitle: testClientTitle, Counter: security.NewMemoryCounter(0)}); !errors.Is(err, security.ErrKey) {
		t.Errorf("short key: %v", err)
	}
	servers := map[string]ServerConfig{
		"no model":    {Associations: map[uint16]AssociationPolicy{1: {}}},
		"no policy":   {Objects: newTestModel()},
		"HLS no keys": {Objects: newTestModel(), Associations: map[uint16]AssociationPolicy{1: {Mechanism: apdu.MechanismHLSGMAC}}},
		"bad title":   {Objects: newTestModel(), Associations: map[uint16]AssociationPolicy{1: {Security: &SecurityPolicy{Keys: testKeys, Counter: security.NewMemoryCounter(0)}}}, SystemTitle: []byte{1}},
	}
	for name, cfg := range servers {
		if _, err := NewServer(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestDecodeNotification(t *testing.T) {
	note := &apdu.DataNotification{Invoke: 7, Body: axdr.Structure(axdr.Uint32(123), axdr.OctetString([]byte("x")))}
	plain := note.Append(nil)
	meter, _ := security.NewContext(security.Config{Keys: testKeys, SystemTitle: testServerTitle, Policy: security.PolicyAuthenticatedEncrypted})
	ciphered, err := meter.Encrypt(nil, plain, security.GeneralGlobal, 77)
	if err != nil {
		t.Fatal(err)
	}
	hes, _ := security.NewContext(security.Config{Keys: testKeys, SystemTitle: testClientTitle, Policy: security.PolicyAuthenticatedEncrypted})
	guard := new(security.ReplayGuard)

	a, err := DecodeNotification(ciphered, hes, guard)
	if n, ok := a.(*apdu.DataNotification); err != nil || !ok || !n.Body.Equal(note.Body) || n.Invoke != 7 {
		t.Fatalf("DecodeNotification = %v, %v", a, err)
	}
	if _, err := DecodeNotification(ciphered, hes, guard); !errors.Is(err, security.ErrReplay) {
		t.Errorf("the same notification twice: %v", err)
	}
	if _, err := DecodeNotification(plain, hes, nil); !errors.Is(err, security.ErrPolicy) {
		t.Errorf("plain notification with ciphering required: %v", err)
	}
	if _, err := DecodeNotification(ciphered, nil, nil); !errors.Is(err, security.ErrNoKey) {
		t.Errorf("ciphered notification without keys: %v", err)
	}
	if a, err := DecodeNotification(plain, nil, nil); err != nil || a.Tag() != apdu.TagDataNotification {
		t.Errorf("plain notification: %v", err)
	}
	if _, err := DecodeNotification(mustHex("C401C10000"), nil, nil); !errors.Is(err, ErrUnexpected) {
		t.Errorf("GET-response as a notification: %v", err)
	}
}
