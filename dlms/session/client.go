package session

import (
	"bytes"
	"fmt"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
)

// Client is the client side of DLMS/COSEM associations with one server,
// one association and one service call at a time. It is not safe for
// concurrent use: it belongs to the driver of one link.
type Client struct {
	cfg    ClientConfig
	state  State
	prot   *protection // nil when the client neither ciphers nor uses HLS-GMAC
	invoke uint8       // the invoke id used last

	negotiated Negotiated
	ctos       []byte // the HLS client-to-server challenge
	dedicated  []byte // the dedicated key proposed in the AARQ

	call   call
	result Result
}

// Negotiated is what an association agreed on.
type Negotiated struct {
	Conformance       apdu.Conformance // the conformance block of the InitiateResponse
	MaxPDU            int              // the limit of the APDUs both ways: the smaller of the client's and the server's maximum
	ServerMaxPDU      uint16           // the server-max-receive-pdu-size
	DLMSVersion       uint8
	ServerSystemTitle []byte // nil when neither ciphering nor HLS-GMAC needed it
	Dedicated         bool   // the APDUs are ciphered with a dedicated key
}

// NewClient checks cfg and returns a Client in StateIdle. Its errors wrap
// ErrConfig, or the errors of security.NewContext for bad keys or system
// titles; they never show a key or the password.
func NewClient(cfg ClientConfig) (*Client, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cfg.Password = bytes.Clone(cfg.Password)
	cfg.SystemTitle = bytes.Clone(cfg.SystemTitle)
	cfg.ServerSystemTitle = bytes.Clone(cfg.ServerSystemTitle)
	c := &Client{cfg: cfg}
	if cfg.needsContext() {
		ctx, err := security.NewContext(security.Config{
			Keys:            security.Keys{Encryption: cfg.Keys.Encryption, Authentication: cfg.Keys.Authentication, Broadcast: cfg.Keys.Broadcast},
			SystemTitle:     cfg.SystemTitle,
			PeerSystemTitle: cfg.ServerSystemTitle,
			Policy:          cfg.Policy,
		})
		if err != nil {
			return nil, fmt.Errorf("session: %w", err)
		}
		c.prot = newProtection(ctx, cfg.Counter, cfg.ReplayGuard)
	}
	return c, nil
}

// State returns the state of the client.
func (c *Client) State() State { return c.state }

// Negotiated returns what the current association agreed on. It is the
// zero value when no association is open.
func (c *Client) Negotiated() Negotiated { return c.negotiated }

// Result returns the outcome of the last service call.
func (c *Client) Result() Result { return c.result }

// context returns the application context the client proposes.
func (c *Client) context() apdu.ApplicationContext {
	if c.prot.ciphered() {
		return apdu.ContextLNCiphered
	}
	return apdu.ContextLN
}

// initiateRequest returns the InitiateRequest of the client, with the
// dedicated key key (nil for none).
func (c *Client) initiateRequest(key []byte) *apdu.InitiateRequest {
	return &apdu.InitiateRequest{
		DedicatedKey:      key,
		DLMSVersion:       apdu.DLMSVersion,
		Conformance:       c.cfg.Conformance,
		MaxReceivePDUSize: c.cfg.MaxPDU,
	}
}

// Open starts an association and returns the AARQ to send. The client
// must be in StateIdle. With HLS-GMAC it draws the challenge from the
// random source; with ciphering it reserves the counter of the ciphered
// InitiateRequest.
func (c *Client) Open() ([]byte, error) {
	if c.state != StateIdle {
		return nil, stateError("Open", c.state)
	}
	c.resetAssociation()
	aarq := &apdu.AARQ{ApplicationContext: c.context()}
	if c.prot != nil {
		aarq.CallingAPTitle = c.cfg.SystemTitle
	}
	switch c.cfg.Mechanism {
	case apdu.MechanismLLS:
		aarq.ACSERequirements, aarq.Mechanism = true, apdu.MechanismLLS
		aarq.CallingAuthenticationValue = c.cfg.Password
	case apdu.MechanismHLSGMAC:
		ctos, err := security.NewChallenge(c.cfg.Rand, c.cfg.ChallengeSize)
		if err != nil {
			return nil, fmt.Errorf("session: %w", err)
		}
		c.ctos = ctos
		aarq.ACSERequirements, aarq.Mechanism = true, apdu.MechanismHLSGMAC
		aarq.CallingAuthenticationValue = ctos
	}
	if c.cfg.DedicatedKey {
		key, err := newDedicatedKey(c.cfg.Rand)
		if err != nil {
			return nil, err
		}
		c.dedicated = key
	}
	ui := c.initiateRequest(c.dedicated).Append(nil)
	if c.prot.ciphered() {
		var err error
		if ui, err = c.prot.seal(nil, ui, security.ServiceGlobal); err != nil {
			return nil, err
		}
	}
	aarq.UserInformation = ui
	c.state = StateAssociating
	return aarq.Append(nil), nil
}

// Release ends the association and returns the RLRQ to send. In a
// ciphered association the RLRQ carries the InitiateRequest, ciphered, so
// that the server knows it comes from the client.
func (c *Client) Release() ([]byte, error) {
	if c.state != StateAssociated {
		return nil, stateError("Release", c.state)
	}
	reason := apdu.ReleaseRequestNormal
	rlrq := &apdu.RLRQ{Reason: &reason}
	if c.prot.ciphered() {
		ui, err := c.prot.seal(nil, c.initiateRequest(nil).Append(nil), security.ServiceGlobal)
		if err != nil {
			return nil, err
		}
		rlrq.UserInformation = ui
	}
	c.state = StateReleasing
	return rlrq.Append(nil), nil
}

// Cancel abandons the step in progress, for instance when the driver gave
// up waiting for its answer. A service call ends with ErrCanceled and the
// association stays open; an association being opened or released is
// dropped. A late answer to the abandoned call is later reported as a
// stale one (unless every call has the same invoke id: FixedInvokeID).
func (c *Client) Cancel() {
	switch c.state {
	case StateCalling:
		c.finish(nil, nil, ErrCanceled)
	case StateAssociating, StateAuthenticating, StateReleasing:
		c.close()
	}
}

// Reset forgets the association, as when the link is lost: the client
// goes back to StateIdle.
func (c *Client) Reset() {
	if c.state == StateCalling {
		c.result = Result{Err: ErrCanceled}
	}
	c.close()
}

// close ends the association on the client's side.
func (c *Client) close() {
	c.state = StateIdle
	c.call = call{}
	c.resetAssociation()
}

// resetAssociation clears what belongs to one association.
func (c *Client) resetAssociation() {
	c.negotiated = Negotiated{}
	c.ctos, c.dedicated = nil, nil
	if c.prot != nil {
		_ = c.prot.ctx.SetDedicatedKey(nil) // removing the key cannot fail
		c.prot.ded = security.ReplayGuard{}
	}
}

// Receive takes an APDU from the server and returns the next APDU to send,
// if any, and whether the step in progress (opening, a service call,
// releasing) is done. When done is false and err is not nil, the APDU was
// discarded and the step still waits for its answer.
func (c *Client) Receive(b []byte) (out []byte, done bool, err error) {
	switch c.state {
	case StateAssociating:
		return c.receiveAARE(b)
	case StateAuthenticating, StateCalling:
		return c.receiveResponse(b)
	case StateReleasing:
		return c.receiveRLRE(b)
	}
	return nil, true, fmt.Errorf("session: %w: nothing is in progress in state %v", ErrUnsolicited, c.state)
}

// closeWith ends the association with err, as the end of a step.
func (c *Client) closeWith(err error) ([]byte, bool, error) {
	c.close()
	return nil, true, err
}

func (c *Client) receiveAARE(b []byte) ([]byte, bool, error) {
	if len(b) > 0 && apdu.Tag(b[0]) == apdu.TagExceptionResponse {
		if a, err := apdu.Parse(b); err == nil {
			return c.closeWith(a.(*apdu.ExceptionResponse).Err())
		}
	}
	aare, err := apdu.ParseAARE(b)
	if err != nil {
		return c.closeWith(fmt.Errorf("session: %w", err))
	}
	if err := aare.Err(); err != nil {
		c.cipheredServiceError(aare, err)
		return c.closeWith(err)
	}
	if aare.ApplicationContext != c.context() {
		return c.closeWith(unexpected("AARE with application context %v, want %v", aare.ApplicationContext, c.context()))
	}
	if aare.Mechanism != apdu.MechanismNone && aare.Mechanism != c.cfg.Mechanism {
		return c.closeWith(unexpected("AARE with mechanism %v, want %v", aare.Mechanism, c.cfg.Mechanism))
	}
	if err := c.learnServerTitle(aare.RespondingAPTitle); err != nil {
		return c.closeWith(err)
	}
	ir, err := c.initiateResponse(aare.UserInformation)
	if err != nil {
		return c.closeWith(err)
	}
	limit := int(c.cfg.MaxPDU)
	if s := int(ir.MaxReceivePDUSize); s != 0 && s < limit {
		limit = s
	}
	if limit < MinPDU {
		return c.closeWith(unexpected("server-max-receive-pdu-size %d", ir.MaxReceivePDUSize))
	}
	c.negotiated.Conformance = ir.Conformance
	c.negotiated.MaxPDU = limit
	c.negotiated.ServerMaxPDU = ir.MaxReceivePDUSize
	c.negotiated.DLMSVersion = ir.DLMSVersion
	if c.dedicated != nil {
		if err := c.prot.ctx.SetDedicatedKey(c.dedicated); err != nil {
			return c.closeWith(fmt.Errorf("session: %w", err))
		}
		c.negotiated.Dedicated = true
	}
	if c.cfg.Mechanism == apdu.MechanismHLSGMAC {
		return c.replyToHLS(aare.RespondingAuthenticationValue)
	}
	c.state = StateAssociated
	return nil, true, nil
}

// learnServerTitle checks the responding-AP-title of the AARE against the
// configured server system title, and records it for ciphering.
func (c *Client) learnServerTitle(t []byte) error {
	if c.prot == nil {
		return nil
	}
	want := c.cfg.ServerSystemTitle
	switch {
	case t == nil && want == nil:
		return fmt.Errorf("session: %w: the AARE does not give the server's", security.ErrSystemTitle)
	case t == nil:
		t = want
	case want != nil && !bytes.Equal(t, want):
		return fmt.Errorf("session: %w: the server answers as %X, want %X", security.ErrSystemTitle, t, want)
	}
	if bytes.Equal(t, c.cfg.SystemTitle) {
		// Both directions cipher under the same key with the system title
		// as half of the nonce: equal titles could repeat a nonce.
		return fmt.Errorf("session: %w: the server answers with the client's own system title %X", security.ErrSystemTitle, t)
	}
	if err := c.prot.ctx.SetPeerSystemTitle(t); err != nil {
		return fmt.Errorf("session: AARE responding-AP-title: %w", err)
	}
	c.negotiated.ServerSystemTitle = bytes.Clone(t)
	return nil
}

// cipheredServiceError adds to the rejection err the ConfirmedServiceError
// that a ciphered user-information holds, when it can be deciphered.
func (c *Client) cipheredServiceError(aare *apdu.AARE, err error) {
	ae, ok := err.(*apdu.AssociationError)
	ui := aare.UserInformation
	if !ok || ae.ServiceError != nil || len(ui) == 0 || !security.IsCiphered(ui[0]) || !c.prot.ciphered() {
		return
	}
	if c.learnServerTitle(aare.RespondingAPTitle) != nil {
		return
	}
	plain, _, derr := c.prot.open(ui)
	if derr != nil {
		return
	}
	if u, perr := apdu.ParseUserInformation(plain); perr == nil {
		if cse, ok := u.(*apdu.ConfirmedServiceError); ok {
			ae.ServiceError = cse.Err().(*dlms.ConfirmedServiceError)
		}
	}
}

// initiateResponse deciphers, if need be, and decodes the
// user-information of an accepted AARE.
func (c *Client) initiateResponse(ui []byte) (*apdu.InitiateResponse, error) {
	if len(ui) == 0 {
		return nil, unexpected("AARE without an InitiateResponse")
	}
	if c.prot.ciphered() {
		if !security.IsCiphered(ui[0]) {
			return nil, fmt.Errorf("session: AARE user-information: %w: plain %v in a ciphered association", security.ErrPolicy, apdu.Tag(ui[0]))
		}
		plain, _, err := c.prot.open(ui)
		if err != nil {
			return nil, fmt.Errorf("session: AARE user-information: %w", err)
		}
		ui = plain
	}
	u, err := apdu.ParseUserInformation(ui)
	if err != nil {
		return nil, fmt.Errorf("session: AARE user-information: %w", err)
	}
	switch u := u.(type) {
	case *apdu.InitiateResponse:
		return u, nil
	case *apdu.ConfirmedServiceError:
		return nil, fmt.Errorf("session: association accepted with %w", u.Err())
	}
	return nil, unexpected("AARE user-information holds %s", u.Name())
}

// replyToHLS returns the HLS pass 3: the ACTION reply_to_HLS_authentication
// on the current association with f(StoC).
func (c *Client) replyToHLS(stoc []byte) ([]byte, bool, error) {
	if err := security.CheckChallenge(stoc); err != nil {
		return c.closeWith(fmt.Errorf("session: the server's HLS challenge: %w", err))
	}
	ic, err := c.prot.reserve()
	if err != nil {
		return c.closeWith(err)
	}
	f, err := c.prot.ctx.AppendHLSResponse(nil, stoc, ic)
	if err != nil {
		return c.closeWith(fmt.Errorf("session: %w", err))
	}
	param := axdr.OctetString(f)
	inv := c.nextInvoke()
	req := &apdu.ActionRequestNormal{
		Invoke:     inv,
		Method:     apdu.MethodDescriptor{ClassID: dlms.ClassAssociationLN, Instance: CurrentAssociation, Method: methodReplyToHLS},
		Parameters: &param,
	}
	out, err := c.frame(req.Append(nil), req.Name())
	if err != nil {
		return c.closeWith(err)
	}
	c.call = call{kind: callHLS, invoke: inv, items: 1}
	c.state = StateAuthenticating
	return out, false, nil
}

// finishHLS checks the server's answer to the HLS pass 3: its f(CtoS).
func (c *Client) finishHLS(r *apdu.ActionResponseNormal) ([]byte, bool, error) {
	if err := r.Result.Err(); err != nil {
		return c.closeWith(fmt.Errorf("session: reply_to_HLS_authentication: %w: the server refused the client's answer: %w", security.ErrAuthentication, err))
	}
	ret := r.Result.Return
	if ret == nil || ret.IsAccessResult || ret.Data.Tag != axdr.TagOctetString {
		return c.closeWith(unexpected("reply_to_HLS_authentication returned no octet-string"))
	}
	if _, err := c.prot.ctx.VerifyHLSResponse(c.ctos, ret.Data.Bytes); err != nil {
		return c.closeWith(fmt.Errorf("session: the server's HLS answer: %w", err))
	}
	c.call = call{}
	c.state = StateAssociated
	return nil, true, nil
}

func (c *Client) receiveRLRE(b []byte) ([]byte, bool, error) {
	defer c.close()
	if len(b) > 0 && apdu.Tag(b[0]) == apdu.TagExceptionResponse {
		// Some servers refuse a release request that carries no ciphered
		// InitiateRequest with an exception; the association ends anyway.
		return nil, true, nil
	}
	rlre, err := apdu.ParseRLRE(b)
	if err != nil {
		return nil, true, fmt.Errorf("session: %w", err)
	}
	ui := rlre.UserInformation
	if len(ui) == 0 || !c.prot.ciphered() || !security.IsCiphered(ui[0]) {
		return nil, true, nil
	}
	plain, _, err := c.prot.open(ui)
	if err != nil {
		return nil, true, fmt.Errorf("session: RLRE user-information: %w", err)
	}
	if u, err := apdu.ParseUserInformation(plain); err != nil {
		return nil, true, fmt.Errorf("session: RLRE user-information: %w", err)
	} else if _, ok := u.(*apdu.InitiateResponse); !ok {
		return nil, true, unexpected("RLRE user-information holds %s", u.Name())
	}
	return nil, true, nil
}

// nextInvoke returns the invoke id and priority of a new request.
func (c *Client) nextInvoke() apdu.InvokeIDAndPriority {
	if c.cfg.FixedInvokeID {
		c.invoke = 1
	} else {
		c.invoke = (c.invoke + 1) & 0x0F
	}
	return apdu.NewInvoke(c.invoke, !c.cfg.NormalPriority)
}

// how returns the form in which the client ciphers its APDUs.
func (c *Client) how() security.Ciphering {
	switch ded := c.negotiated.Dedicated; {
	case c.cfg.GeneralCiphering && ded:
		return security.GeneralDedicated
	case c.cfg.GeneralCiphering:
		return security.GeneralGlobal
	case ded:
		return security.ServiceDedicated
	}
	return security.ServiceGlobal
}

// sizeOf returns the size of a plain APDU of n bytes as it is sent.
func (c *Client) sizeOf(n int) int {
	if !c.prot.ciphered() {
		return n
	}
	return c.prot.sealedLen(n, c.how())
}

// frame returns the plain APDU as it is sent, ciphered if the association
// is, or a *PDUSizeError if it is too long.
func (c *Client) frame(plain []byte, name string) ([]byte, error) {
	if size := c.sizeOf(len(plain)); size > c.negotiated.MaxPDU {
		return nil, &PDUSizeError{APDU: name, Size: size, Max: c.negotiated.MaxPDU}
	}
	if !c.prot.ciphered() {
		return plain, nil
	}
	return c.prot.seal(nil, plain, c.how())
}
