package session

import (
	"errors"
	"testing"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
)

// The client's answer to responses that break the protocol. Each case
// starts a call on a public association and feeds it one crafted answer.
func TestClientProtocolErrors(t *testing.T) {
	long := axdr.OctetString(make([]byte, 2000))
	get := func(c *Client) ([]byte, error) { return c.Get(energy, nil) }
	getList := func(c *Client) ([]byte, error) {
		return c.GetList([]apdu.AttributeWithSelection{{Attribute: energy}, {Attribute: clockTime}})
	}
	setLong := func(c *Client) ([]byte, error) { return c.Set(blob, long) }
	actionLong := func(c *Client) ([]byte, error) { return c.Action(echo, &long) }
	inv := apdu.NewInvoke(2, true) // the invoke id of the call after the first one
	tests := []struct {
		name    string
		start   func(*Client) ([]byte, error)
		answer  apdu.APDU
		raw     []byte // instead of answer
		want    error  // errors.Is the call's error
		itemErr error  // or errors.Is the first item's error
	}{
		{name: "SET answer to a GET", start: get, answer: &apdu.SetResponseNormal{Invoke: inv}, want: ErrUnexpected},
		{name: "first block numbered 2", start: get, answer: &apdu.GetResponseWithDatablock{Invoke: inv, BlockNumber: 2, Raw: []byte{0}}, want: ErrBlock},
		{name: "list of 1 for 2", start: getList, answer: &apdu.GetResponseWithList{Invoke: inv, Results: []apdu.GetDataResult{{Data: axdr.Uint8(1)}}}, want: ErrUnexpected},
		{name: "block of a list that does not decode", start: getList, answer: &apdu.GetResponseWithDatablock{Invoke: inv, LastBlock: true, BlockNumber: 1, Raw: []byte{1, 0, 1}}, want: axdr.ErrShort},
		{name: "block with success and no data", start: get, answer: &apdu.GetResponseWithDatablock{Invoke: inv, BlockNumber: 1, IsAccessResult: true}, want: ErrUnexpected},
		{name: "last block that does not decode", start: get, answer: &apdu.GetResponseWithDatablock{Invoke: inv, LastBlock: true, BlockNumber: 1, Raw: []byte{9, 5}}, want: axdr.ErrShort},
		{name: "truncated APDU", start: get, raw: []byte{0xC4, 1}, want: apdu.ErrShort},
		{name: "empty APDU", start: get, raw: []byte{}, want: ErrUnexpected},
		{name: "ciphered APDU without ciphering", start: get, raw: mustHex("CC0A3000000001AABBCCDDEE"), want: ErrUnexpected},
		{name: "confirmed service error", start: get, answer: &apdu.ConfirmedServiceError{Service: 5, Class: 3, Code: 1}, want: &dlms.ConfirmedServiceError{Service: 5, Class: 3, Code: 1}},
		{name: "SET block acknowledged with the wrong number", start: setLong, answer: &apdu.SetResponseDatablock{Invoke: inv, BlockNumber: 7}, want: ErrBlock},
		{name: "long SET aborted", start: setLong, answer: &apdu.SetResponseNormal{Invoke: inv, Result: dlms.DataAccessLongSetAborted}, itemErr: dlms.DataAccessLongSetAborted},
		{name: "last SET block answer too early", start: setLong, answer: &apdu.SetResponseLastDatablock{Invoke: inv, BlockNumber: 1}, want: ErrUnexpected},
		{name: "ACTION block acknowledged with the wrong number", start: actionLong, answer: &apdu.ActionResponseNextPblock{Invoke: inv, BlockNumber: 3}, want: ErrBlock},
		{name: "long ACTION aborted", start: actionLong, answer: &apdu.ActionResponseNormal{Invoke: inv, Result: apdu.ActionResult{Result: dlms.ActionLongActionAborted}}, itemErr: dlms.ActionLongActionAborted},
		{name: "ACTION response block while sending", start: actionLong, answer: &apdu.ActionResponseWithPblock{Invoke: inv, Block: apdu.DataBlock{BlockNumber: 1}}, want: ErrUnexpected},
		{name: "ACTION answer to a GET", start: get, answer: &apdu.ActionResponseNextPblock{Invoke: inv, BlockNumber: 1}, want: ErrUnexpected},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLink(t, ClientConfig{MaxPDU: 256}, serverConfig(newTestModel(), 256), sapPublic)
			l.open()
			if _, err := l.get(clockTime, nil); err != nil { // invoke id 1
				t.Fatal(err)
			}
			if _, err := tc.start(l.c); err != nil {
				t.Fatal(err)
			}
			b := tc.raw
			if tc.answer != nil {
				b = tc.answer.Append(nil)
			}
			_, done, err := l.c.Receive(b)
			if !done || l.c.State() != StateAssociated {
				t.Fatalf("done %v, state %v, %v", done, l.c.State(), err)
			}
			r := l.c.Result()
			if tc.want != nil && (!errors.Is(err, tc.want) || !errors.Is(r.Err, tc.want)) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if tc.itemErr != nil && (err != nil || !errors.Is(r.FirstError(), tc.itemErr)) {
				t.Errorf("error %v, result %+v, want %v", err, r, tc.itemErr)
			}
		})
	}
}

func TestClientMaxTransfer(t *testing.T) {
	l := newLink(t, ClientConfig{MaxPDU: 512, MaxTransfer: 1000}, serverConfig(newTestModel(), 512), sapPublic)
	l.open()
	var be *BlockError
	if _, err := l.get(blob, nil); !errors.As(err, &be) || be.Reason == "" {
		t.Fatalf("Get of 5000 bytes with a limit of 1000: %v", err)
	}
}

// The client's answer to AAREs that it cannot accept.
func TestClientBadAARE(t *testing.T) {
	ir := func(max uint16) []byte {
		r := &apdu.InitiateResponse{DLMSVersion: 6, Conformance: DefaultConformance, MaxReceivePDUSize: max, VAAName: apdu.VAANameLN}
		return r.Append(nil)
	}
	aare := func(ctx apdu.ApplicationContext, ui []byte) []byte {
		a := &apdu.AARE{ApplicationContext: ctx, UserInformation: ui}
		return a.Append(nil)
	}
	cse := &apdu.ConfirmedServiceError{Service: 1, Class: 6, Code: 2}
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"other application context", aare(apdu.ContextSN, ir(512)), ErrUnexpected},
		{"no InitiateResponse", aare(apdu.ContextLN, nil), ErrUnexpected},
		{"ConfirmedServiceError in an accepted AARE", aare(apdu.ContextLN, cse.Append(nil)), &dlms.ConfirmedServiceError{Service: 1, Class: 6, Code: 2}},
		{"server max PDU of 5", aare(apdu.ContextLN, ir(5)), ErrUnexpected},
		{"exception", mustHex("D80102"), &dlms.ExceptionError{State: 1, Service: 2}},
		{"not an AARE", mustHex("6303800100"), nil},
		{"truncated", mustHex("6129A109"), nil},
	}
	for _, tc := range tests {
		c, err := NewClient(ClientConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Open(); err != nil {
			t.Fatal(err)
		}
		_, done, err := c.Receive(tc.b)
		var ae *apdu.Error
		if tc.want == nil && !errors.As(err, &ae) {
			t.Errorf("%s: %v, want an *apdu.Error", tc.name, err)
		}
		if !done || (tc.want != nil && !errors.Is(err, tc.want)) || c.State() != StateIdle {
			t.Errorf("%s: done %v, %v, state %v; want %v", tc.name, done, err, c.State(), tc.want)
		}
	}
	// A ciphered association needs the server's system title.
	c, err := NewClient(hlsClient(0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Open(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Receive(aare(apdu.ContextLNCiphered, ir(512))); !errors.Is(err, security.ErrSystemTitle) {
		t.Errorf("AARE without responding-AP-title: %v", err)
	}
}

func TestClientRLRE(t *testing.T) {
	for name, b := range map[string][]byte{"garbage": mustHex("C401"), "truncated": mustHex("6303")} {
		l := newLink(t, ClientConfig{}, serverConfig(newTestModel(), 0), sapPublic)
		l.open()
		if _, err := l.c.Release(); err != nil {
			t.Fatal(err)
		}
		if _, done, err := l.c.Receive(b); !done || err == nil || l.c.State() != StateIdle {
			t.Errorf("%s: done %v, %v, state %v", name, done, err, l.c.State())
		}
	}
	// In a ciphered association, the RLRE's InitiateResponse is checked.
	l := newLink(t, hlsClient(0), serverConfig(newTestModel(), 0), sapHLS)
	l.open()
	if _, err := l.c.Release(); err != nil {
		t.Fatal(err)
	}
	bad := &apdu.RLRE{UserInformation: mustHex("280A3000000099AABBCCDDEE")}
	if _, done, err := l.c.Receive(bad.Append(nil)); !done || !errors.Is(err, security.ErrDecipher) || l.c.State() != StateIdle {
		t.Errorf("RLRE with a bad InitiateResponse: %v, %v", done, err)
	}
}

// A rejected AARE with a ciphered ConfirmedServiceError gives the error
// in clear.
func TestClientCipheredServiceError(t *testing.T) {
	c, err := NewClient(hlsClient(0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Open(); err != nil {
		t.Fatal(err)
	}
	server, _ := security.NewContext(security.Config{Keys: testKeys, SystemTitle: testServerTitle, Policy: security.PolicyAuthenticatedEncrypted})
	cse := &apdu.ConfirmedServiceError{Service: 1, Class: 6, Code: 1}
	ui, err := server.Encrypt(nil, cse.Append(nil), security.ServiceGlobal, 5)
	if err != nil {
		t.Fatal(err)
	}
	aare := &apdu.AARE{ApplicationContext: apdu.ContextLNCiphered, Result: apdu.ResultRejectedPermanent, Diagnostic: apdu.Diagnostic{Value: apdu.DiagNoReasonGiven}, RespondingAPTitle: testServerTitle, UserInformation: ui}
	_, _, err = c.Receive(aare.Append(nil))
	if want := (&dlms.ConfirmedServiceError{Service: 1, Class: 6, Code: 1}); !errors.Is(err, want) {
		t.Errorf("rejection: %v, want %v", err, want)
	}
}

// A server that answers with the client's own system title is refused:
// both directions cipher under the same key with the system title as half
// of the nonce.
func TestClientRefusesItsOwnSystemTitle(t *testing.T) {
	scfg := serverConfig(newTestModel(), 0)
	scfg.SystemTitle = testClientTitle
	l := newLink(t, hlsClient(0), scfg, sapHLS)
	err := l.run(l.c.Open())
	if !errors.Is(err, security.ErrSystemTitle) {
		t.Fatalf("Open with the server using the client's title: %v, want ErrSystemTitle", err)
	}
}
