package session

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
)

// Server is the server side of the associations of one link connection:
// one association per client SAP. It is not safe for concurrent use: it
// belongs to the driver of one link.
type Server struct {
	cfg    ServerConfig
	assocs map[uint16]*association
	guards map[guardKey]*security.ReplayGuard
}

// guardKey identifies a client's invocation counter under the global keys
// of a client SAP.
type guardKey struct {
	sap   uint16
	title [security.SystemTitleSize]byte
}

// NewServer checks cfg and returns a Server with no association.
func NewServer(cfg ServerConfig) (*Server, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cfg.SystemTitle = bytes.Clone(cfg.SystemTitle)
	return &Server{cfg: cfg, assocs: make(map[uint16]*association), guards: make(map[guardKey]*security.ReplayGuard)}, nil
}

// State returns the state of the association of a client SAP.
func (s *Server) State(clientSAP uint16) AssociationState {
	if a := s.assocs[clientSAP]; a != nil {
		return a.state
	}
	return NonAssociated
}

// Reset ends the association of a client SAP without a release, as when
// the link connection is closed.
func (s *Server) Reset(clientSAP uint16) {
	if a := s.assocs[clientSAP]; a != nil {
		a.reset()
	}
}

// Handle takes a request APDU from a client SAP and returns the APDU to
// answer, or nil when there is nothing to answer. err, when not nil, says
// what was wrong with the request, for the driver's log; the answer (an
// exception response, a rejected AARE...) is then still to be sent when it
// is not nil. A request before the association is established is answered
// with an exception response (service-not-allowed, operation-not-possible).
func (s *Server) Handle(clientSAP uint16, req []byte) (resp []byte, err error) {
	if len(req) == 0 {
		return nil, unexpected("empty APDU from client SAP %d", clientSAP)
	}
	a := s.assocs[clientSAP]
	if a == nil {
		a = &association{s: s, sap: clientSAP}
		s.assocs[clientSAP] = a
	}
	// The APDUs decoded from req alias it; the model may keep what it is
	// given.
	req = bytes.Clone(req)
	switch apdu.Tag(req[0]) {
	case apdu.TagAARQ:
		return a.handleAARQ(req)
	case apdu.TagRLRQ:
		return a.handleRLRQ(req)
	}
	return a.handleXDLMS(req)
}

// association is the state of one client SAP.
type association struct {
	s      *Server
	sap    uint16
	state  AssociationState
	policy AssociationPolicy
	prot   *protection // nil when neither ciphering nor HLS-GMAC

	conformance apdu.Conformance // negotiated
	maxPDU      int              // the limit of the server's answers
	ctos, stoc  []byte           // the HLS challenges

	how security.Ciphering // how the request being answered was ciphered
	out *outTransfer       // a long GET or ACTION response being sent
	in  *inTransfer        // a long SET or ACTION request being received
}

// reset ends the association.
func (a *association) reset() {
	*a = association{s: a.s, sap: a.sap}
}

// errorf returns an error about a request of the client SAP.
func (a *association) errorf(format string, args ...any) error {
	return fmt.Errorf("session: client SAP %d: %w", a.sap, fmt.Errorf(format, args...))
}

// guard returns the replay guard of the global counter of the client
// whose system title is title.
func (a *association) guard(sec *SecurityPolicy, title []byte) *security.ReplayGuard {
	if sec.ReplayGuard != nil && sec.ClientSystemTitle != nil {
		return sec.ReplayGuard
	}
	k := guardKey{sap: a.sap, title: [security.SystemTitleSize]byte(title)}
	g := a.s.guards[k]
	if g == nil {
		g = new(security.ReplayGuard)
		a.s.guards[k] = g
	}
	return g
}

// exception returns an exception response.
func exception(state dlms.StateError, service dlms.ServiceError) []byte {
	e := apdu.ExceptionResponse{StateError: state, ServiceError: service}
	return e.Append(nil)
}

// AARE diagnostics and the ConfirmedServiceError of a refused
// InitiateRequest.
const (
	cseInitiateError        = 1 // ConfirmedServiceError CHOICE initiateError
	cseApplicationReference = 0 // ServiceError CHOICE application-reference
	cseInitiate             = 6 // ServiceError CHOICE initiate
	cseDecipheringError     = 6 // application-reference: deciphering-error
	cseOther                = 0 // initiate: other
	cseVersionTooLow        = 1 // initiate: dlms-version-too-low
	cseIncompatible         = 2 // initiate: incompatible-conformance
	csePDUTooShort          = 3 // initiate: pdu-size-too-short
)

// reject returns an AARE that refuses the association, permanently, with
// the diagnostic diag and, when cse is not nil, a ConfirmedServiceError.
func reject(ctx apdu.ApplicationContext, diag uint8, cse *apdu.ConfirmedServiceError) []byte {
	aare := &apdu.AARE{
		ApplicationContext: ctx,
		Result:             apdu.ResultRejectedPermanent,
		Diagnostic:         apdu.Diagnostic{Value: diag},
	}
	if cse != nil {
		aare.UserInformation = cse.Append(nil)
	}
	return aare.Append(nil)
}

func (a *association) handleAARQ(b []byte) ([]byte, error) {
	a.reset()
	aarq, err := apdu.ParseAARQ(b)
	if err != nil {
		return reject(apdu.ContextLN, apdu.DiagNoReasonGiven, nil), a.errorf("%w", err)
	}
	pol, ok := a.s.cfg.Associations[a.sap]
	if !ok {
		return reject(aarq.ApplicationContext, apdu.DiagNoReasonGiven, nil), a.errorf("no association policy")
	}
	sec := pol.Security
	ciphered := sec != nil && sec.Policy != security.PolicyNone
	ctx := apdu.ContextLN
	if ciphered {
		ctx = apdu.ContextLNCiphered
	}
	if aarq.ApplicationContext != ctx {
		return reject(ctx, apdu.DiagApplicationContextNameNotSupported, nil),
			a.errorf("application context %v, want %v", aarq.ApplicationContext, ctx)
	}
	if aarq.Mechanism != pol.Mechanism {
		diag := apdu.DiagAuthenticationMechanismNameNotRecognised
		if aarq.Mechanism == apdu.MechanismNone {
			diag = apdu.DiagAuthenticationMechanismNameRequired
		}
		return reject(ctx, diag, nil), a.errorf("authentication mechanism %v, want %v", aarq.Mechanism, pol.Mechanism)
	}
	var prot *protection
	if sec != nil {
		title := aarq.CallingAPTitle
		if len(title) != security.SystemTitleSize || (sec.ClientSystemTitle != nil && !bytes.Equal(title, sec.ClientSystemTitle)) {
			return reject(ctx, apdu.DiagCallingAPTitleNotRecognized, nil), a.errorf("%w: calling-AP-title %X", security.ErrSystemTitle, title)
		}
		sctx, err := newServerContext(a.s.cfg.SystemTitle, sec, title)
		if err != nil {
			return reject(ctx, apdu.DiagNoReasonGiven, nil), a.errorf("%w", err)
		}
		prot = newProtection(sctx, sec.Counter, a.guard(sec, title))
	}
	switch pol.Mechanism {
	case apdu.MechanismLLS:
		if subtle.ConstantTimeCompare(aarq.CallingAuthenticationValue, pol.Password) != 1 {
			return reject(ctx, apdu.DiagAuthenticationFailure, nil), a.errorf("%w: wrong LLS password", security.ErrAuthentication)
		}
	case apdu.MechanismHLSGMAC:
		if err := security.CheckChallenge(aarq.CallingAuthenticationValue); err != nil {
			return reject(ctx, apdu.DiagAuthenticationFailure, nil), a.errorf("%w", err)
		}
	}
	ir, cse, err := a.initiateRequest(aarq.UserInformation, prot)
	if cse == nil && err == nil {
		cse, err = a.negotiate(ir, pol, prot)
	}
	if cse != nil {
		return reject(ctx, apdu.DiagNoReasonGiven, cse), err
	}
	if err != nil {
		return reject(ctx, apdu.DiagNoReasonGiven, nil), err
	}

	a.policy, a.prot = pol, prot
	aare := &apdu.AARE{ApplicationContext: ctx, Result: apdu.ResultAccepted}
	if prot != nil {
		aare.RespondingAPTitle = a.s.cfg.SystemTitle
	}
	a.state = Associated
	if pol.Mechanism == apdu.MechanismHLSGMAC {
		stoc, err := security.NewChallenge(a.s.cfg.Rand, a.s.cfg.ChallengeSize)
		if err != nil {
			a.reset()
			return reject(ctx, apdu.DiagNoReasonGiven, nil), a.errorf("%w", err)
		}
		a.ctos, a.stoc = bytes.Clone(aarq.CallingAuthenticationValue), stoc
		aare.Diagnostic.Value = apdu.DiagAuthenticationRequired
		aare.ACSERequirements, aare.Mechanism = true, apdu.MechanismHLSGMAC
		aare.RespondingAuthenticationValue = stoc
		a.state = AssociationPending
	}
	resp := &apdu.InitiateResponse{
		DLMSVersion:       apdu.DLMSVersion,
		Conformance:       a.conformance,
		MaxReceivePDUSize: a.s.cfg.MaxPDU,
		VAAName:           apdu.VAANameLN,
	}
	ui := resp.Append(nil)
	if prot.ciphered() {
		if ui, err = prot.seal(nil, ui, security.ServiceGlobal); err != nil {
			a.reset()
			return reject(ctx, apdu.DiagNoReasonGiven, nil), a.errorf("%w", err)
		}
	}
	aare.UserInformation = ui
	return aare.Append(nil), nil
}

// initiateRequest deciphers, if need be, and decodes the InitiateRequest
// of an AARQ. A refusal comes with the ConfirmedServiceError to answer.
func (a *association) initiateRequest(ui []byte, prot *protection) (*apdu.InitiateRequest, *apdu.ConfirmedServiceError, error) {
	decipher := &apdu.ConfirmedServiceError{Service: cseInitiateError, Class: cseApplicationReference, Code: cseDecipheringError}
	other := &apdu.ConfirmedServiceError{Service: cseInitiateError, Class: cseInitiate, Code: cseOther}
	if len(ui) == 0 {
		return nil, other, a.errorf("%w: AARQ without an InitiateRequest", ErrUnexpected)
	}
	if prot.ciphered() {
		if !security.IsCiphered(ui[0]) {
			return nil, decipher, a.errorf("%w: plain InitiateRequest in a ciphered association", security.ErrPolicy)
		}
		plain, _, err := prot.open(ui)
		if err != nil {
			return nil, decipher, a.errorf("AARQ user-information: %w", err)
		}
		ui = plain
	}
	u, err := apdu.ParseUserInformation(ui)
	if err != nil {
		return nil, other, a.errorf("AARQ user-information: %w", err)
	}
	ir, ok := u.(*apdu.InitiateRequest)
	if !ok {
		return nil, other, a.errorf("%w: AARQ user-information holds %s", ErrUnexpected, u.Name())
	}
	return ir, nil, nil
}

// negotiate checks the InitiateRequest and records what the association
// agrees on.
func (a *association) negotiate(ir *apdu.InitiateRequest, pol AssociationPolicy, prot *protection) (*apdu.ConfirmedServiceError, error) {
	refuse := func(code uint8, format string, args ...any) (*apdu.ConfirmedServiceError, error) {
		return &apdu.ConfirmedServiceError{Service: cseInitiateError, Class: cseInitiate, Code: code}, a.errorf(format, args...)
	}
	if ir.DLMSVersion < apdu.DLMSVersion {
		return refuse(cseVersionTooLow, "DLMS version %d", ir.DLMSVersion)
	}
	offer := pol.Conformance
	if offer == 0 {
		offer = DefaultConformance
	}
	a.conformance = offer & ir.Conformance
	if a.conformance == 0 {
		return refuse(cseIncompatible, "no common conformance: %v", ir.Conformance)
	}
	clientMax := int(ir.MaxReceivePDUSize)
	if clientMax == 0 {
		clientMax = 0xFFFF
	}
	if clientMax < MinPDU {
		return refuse(csePDUTooShort, "client-max-receive-pdu-size %d", ir.MaxReceivePDUSize)
	}
	a.maxPDU = min(clientMax, int(a.s.cfg.MaxPDU))
	if ir.DedicatedKey != nil && prot.ciphered() {
		if err := prot.ctx.SetDedicatedKey(ir.DedicatedKey); err != nil {
			return refuse(cseOther, "dedicated key: %w", err)
		}
	}
	return nil, nil
}

func (a *association) handleRLRQ(b []byte) ([]byte, error) {
	rlrq, err := apdu.ParseRLRQ(b)
	if err != nil {
		return exception(dlms.StateServiceNotAllowed, dlms.ServiceOtherReason), a.errorf("%w", err)
	}
	reason := apdu.ReleaseResponseNormal
	rlre := &apdu.RLRE{Reason: &reason}
	if a.state != NonAssociated && a.prot.ciphered() {
		// The ciphered InitiateRequest proves that the release comes from
		// the client of the association.
		ui := rlrq.UserInformation
		if len(ui) == 0 || !security.IsCiphered(ui[0]) {
			return exception(dlms.StateServiceNotAllowed, dlms.ServiceOperationNotPossible),
				a.errorf("%w: RLRQ without a ciphered InitiateRequest", security.ErrPolicy)
		}
		plain, _, err := a.prot.open(ui)
		if err != nil {
			return a.decipherFailure(err)
		}
		if u, err := apdu.ParseUserInformation(plain); err != nil {
			return exception(dlms.StateServiceNotAllowed, dlms.ServiceOtherReason), a.errorf("RLRQ user-information: %w", err)
		} else if _, ok := u.(*apdu.InitiateRequest); !ok {
			return exception(dlms.StateServiceNotAllowed, dlms.ServiceOtherReason), a.errorf("%w: RLRQ user-information holds %s", ErrUnexpected, u.Name())
		}
		resp := &apdu.InitiateResponse{DLMSVersion: apdu.DLMSVersion, Conformance: a.conformance, MaxReceivePDUSize: a.s.cfg.MaxPDU, VAAName: apdu.VAANameLN}
		if rlre.UserInformation, err = a.prot.seal(nil, resp.Append(nil), security.ServiceGlobal); err != nil {
			return nil, a.errorf("%w", err)
		}
	}
	a.reset()
	return rlre.Append(nil), nil
}

// decipherFailure answers a request that could not be deciphered, or whose
// invocation counter was not new.
func (a *association) decipherFailure(err error) ([]byte, error) {
	var replay *security.ReplayError
	if errors.As(err, &replay) {
		e := apdu.ExceptionResponse{StateError: dlms.StateServiceNotAllowed, ServiceError: dlms.ServiceInvocationCounterError, InvocationCounter: replay.Last + 1}
		return e.Append(nil), a.errorf("%w", err)
	}
	return exception(dlms.StateServiceNotAllowed, dlms.ServiceDecipheringError), a.errorf("%w", err)
}

// handleXDLMS answers a GET, SET or ACTION request.
func (a *association) handleXDLMS(b []byte) ([]byte, error) {
	if a.state == NonAssociated {
		return exception(dlms.StateServiceNotAllowed, dlms.ServiceOperationNotPossible), a.errorf("%w: %v without an association", ErrState, apdu.Tag(b[0]))
	}
	if len(b) > int(a.s.cfg.MaxPDU) {
		return exception(dlms.StateServiceNotAllowed, dlms.ServicePDUTooLong),
			a.errorf("%w: %v of %d bytes, maximum %d", ErrPDUTooLong, apdu.Tag(b[0]), len(b), a.s.cfg.MaxPDU)
	}
	plain := b
	a.how = 0
	switch {
	case security.IsCiphered(b[0]):
		if !a.prot.ciphered() {
			return exception(dlms.StateServiceNotAllowed, dlms.ServiceDecipheringError), a.errorf("%w: %s in an association without ciphering", ErrUnexpected, security.TagName(b[0]))
		}
		p, h, err := a.prot.open(b)
		if err != nil {
			return a.decipherFailure(err)
		}
		plain, a.how = p, unicast(h.Ciphering())
	case a.prot.ciphered():
		return exception(dlms.StateServiceNotAllowed, dlms.ServiceOperationNotPossible), a.errorf("%w: plain %v in a ciphered association", security.ErrPolicy, apdu.Tag(b[0]))
	}
	r, err := apdu.Parse(plain)
	if err != nil {
		if errors.Is(err, apdu.ErrUnknownTag) || errors.Is(err, apdu.ErrChoice) {
			return exception(dlms.StateServiceUnknown, dlms.ServiceNotSupported), a.errorf("%w", err)
		}
		return exception(dlms.StateServiceNotAllowed, dlms.ServiceOtherReason), a.errorf("%w", err)
	}
	if a.state == AssociationPending {
		if req, ok := r.(*apdu.ActionRequestNormal); ok && isReplyToHLS(req.Method) {
			return a.replyToHLS(req)
		}
		return exception(dlms.StateServiceNotAllowed, dlms.ServiceOperationNotPossible), a.errorf("%w: %s before the HLS authentication", ErrState, r.Name())
	}
	return a.serve(r)
}

// unicast returns the form of the answer to a request ciphered as how: the
// same, with the unicast key instead of the broadcast key.
func unicast(how security.Ciphering) security.Ciphering {
	switch how {
	case security.ServiceBroadcast:
		return security.ServiceGlobal
	case security.GeneralBroadcast:
		return security.GeneralGlobal
	}
	return how
}

// isReplyToHLS reports whether m is the reply_to_HLS_authentication of the
// current association.
func isReplyToHLS(m apdu.MethodDescriptor) bool {
	return m.ClassID == dlms.ClassAssociationLN && m.Instance == CurrentAssociation && m.Method == methodReplyToHLS
}

// replyToHLS checks the client's f(StoC), the HLS pass 3, and answers with
// the server's f(CtoS). A wrong answer ends the association.
func (a *association) replyToHLS(r *apdu.ActionRequestNormal) ([]byte, error) {
	var err error
	if p := r.Parameters; p == nil || p.Tag != axdr.TagOctetString {
		err = a.errorf("%w: reply_to_HLS_authentication without an octet-string", security.ErrAuthentication)
	} else if _, verr := a.prot.ctx.VerifyHLSResponse(a.stoc, p.Bytes); verr != nil {
		err = a.errorf("reply_to_HLS_authentication: %w", verr)
	}
	if err != nil {
		out, _ := a.answer(&apdu.ActionResponseNormal{Invoke: r.Invoke, Result: apdu.ActionResult{Result: dlms.ActionReadWriteDenied}})
		a.reset()
		return out, err
	}
	ic, err := a.prot.reserve()
	if err != nil {
		return nil, a.errorf("%w", err)
	}
	f, err := a.prot.ctx.AppendHLSResponse(nil, a.ctos, ic)
	if err != nil {
		return nil, a.errorf("%w", err)
	}
	a.state = Associated
	ret := apdu.GetDataResult{Data: axdr.OctetString(f)}
	return a.answer(&apdu.ActionResponseNormal{Invoke: r.Invoke, Result: apdu.ActionResult{Result: dlms.ActionSuccess, Return: &ret}})
}

// sizeOf returns the size of a plain answer of n bytes as it is sent.
func (a *association) sizeOf(n int) int {
	if !a.prot.ciphered() {
		return n
	}
	return a.prot.sealedLen(n, a.how)
}

// answer encodes an answer and ciphers it as the request was.
func (a *association) answer(resp apdu.APDU) ([]byte, error) {
	plain := resp.Append(nil)
	if !a.prot.ciphered() {
		return plain, nil
	}
	out, err := a.prot.seal(nil, plain, a.how)
	if err != nil {
		return nil, a.errorf("%w", err)
	}
	return out, nil
}
