package apdu

import (
	"fmt"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/ber"
)

// AssociationResult is the result of an AARE.
type AssociationResult uint8

// Association results.
const (
	ResultAccepted          AssociationResult = 0
	ResultRejectedPermanent AssociationResult = 1
	ResultRejectedTransient AssociationResult = 2
)

// String returns e.g. "rejected-permanent".
func (r AssociationResult) String() string {
	switch r {
	case ResultAccepted:
		return "accepted"
	case ResultRejectedPermanent:
		return "rejected-permanent"
	case ResultRejectedTransient:
		return "rejected-transient"
	}
	return fmt.Sprintf("result(%d)", uint8(r))
}

// Diagnostic is the result-source-diagnostic of an AARE: who answered
// (the ACSE service user, or the provider) and why.
type Diagnostic struct {
	Provider bool  // acse-service-provider; false for acse-service-user
	Value    uint8 // one of the Diag constants
}

// The diagnostic values of the acse-service-user.
const (
	DiagNull                                     uint8 = 0
	DiagNoReasonGiven                            uint8 = 1
	DiagApplicationContextNameNotSupported       uint8 = 2
	DiagCallingAPTitleNotRecognized              uint8 = 3
	DiagCallingAPInvocationIDNotRecognized       uint8 = 4
	DiagCallingAEQualifierNotRecognized          uint8 = 5
	DiagCallingAEInvocationIDNotRecognized       uint8 = 6
	DiagCalledAPTitleNotRecognized               uint8 = 7
	DiagCalledAPInvocationIDNotRecognized        uint8 = 8
	DiagCalledAEQualifierNotRecognized           uint8 = 9
	DiagCalledAEInvocationIDNotRecognized        uint8 = 10
	DiagAuthenticationMechanismNameNotRecognised uint8 = 11
	DiagAuthenticationMechanismNameRequired      uint8 = 12
	DiagAuthenticationFailure                    uint8 = 13
	DiagAuthenticationRequired                   uint8 = 14
)

// DiagNoCommonACSEVersion is a diagnostic value of the acse-service-provider
// (which also uses DiagNull and DiagNoReasonGiven).
const DiagNoCommonACSEVersion uint8 = 2

var userDiagnostics = [...]string{
	"null", "no-reason-given", "application-context-name-not-supported",
	"calling-AP-title-not-recognized", "calling-AP-invocation-identifier-not-recognized",
	"calling-AE-qualifier-not-recognized", "calling-AE-invocation-identifier-not-recognized",
	"called-AP-title-not-recognized", "called-AP-invocation-identifier-not-recognized",
	"called-AE-qualifier-not-recognized", "called-AE-invocation-identifier-not-recognized",
	"authentication-mechanism-name-not-recognised", "authentication-mechanism-name-required",
	"authentication-failure", "authentication-required",
}

var providerDiagnostics = [...]string{"null", "no-reason-given", "no-common-acse-version"}

// String returns e.g. "acse-service-user: authentication-failure".
func (d Diagnostic) String() string {
	source, names := "acse-service-user", userDiagnostics[:]
	if d.Provider {
		source, names = "acse-service-provider", providerDiagnostics[:]
	}
	if int(d.Value) < len(names) {
		return source + ": " + names[d.Value]
	}
	return fmt.Sprintf("%s: %d", source, d.Value)
}

// AARE is the A-ASSOCIATE response by which a server accepts or rejects
// an association. Optional components are absent when nil, false or
// MechanismNone; on rejection UserInformation may be absent or hold a
// ConfirmedServiceError.
type AARE struct {
	ApplicationContext            ApplicationContext // application-context-name [1]
	Result                        AssociationResult  // result [2]
	Diagnostic                    Diagnostic         // result-source-diagnostic [3]
	RespondingAPTitle             []byte             // responding-AP-title [4]: the server's system title
	RespondingAEQualifier         []byte             // responding-AE-qualifier [5]
	ACSERequirements              bool               // responder-acse-requirements [8]: the authentication bit
	Mechanism                     Mechanism          // mechanism-name [9]
	RespondingAuthenticationValue []byte             // responding-authentication-value [10]: the server's challenge
	UserInformation               []byte             // user-information [30]: the xDLMS APDU, maybe ciphered
}

// Tag implements APDU.
func (*AARE) Tag() Tag { return TagAARE }

// Name implements APDU.
func (*AARE) Name() string { return "AARE" }

// Append implements APDU.
func (a *AARE) Append(dst []byte) []byte {
	b := ber.NewBuilder(dst)
	m := b.Open(ber.Tag(TagAARE))
	addOID(&b, berApplicationContext, oidKindContext, uint8(a.ApplicationContext), false)
	mr := b.Open(berResult)
	b.AddInt(ber.TagInteger, int64(a.Result))
	b.Close(mr)
	md := b.Open(berResultDiagnostic)
	source := berDiagnosticUser
	if a.Diagnostic.Provider {
		source = berDiagnosticProvider
	}
	ms := b.Open(source)
	b.AddInt(ber.TagInteger, int64(a.Diagnostic.Value))
	b.Close(ms)
	b.Close(md)
	addOptionalOctets(&b, berRespondingAPTitle, ber.TagOctetString, a.RespondingAPTitle)
	addOptionalOctets(&b, berRespondingAEQual, ber.TagOctetString, a.RespondingAEQualifier)
	if a.ACSERequirements {
		b.AddElement(berResponderACSEReq, acseAuthentication[:])
	}
	if a.Mechanism != MechanismNone {
		addOID(&b, berRespMechanism, oidKindMechanism, uint8(a.Mechanism), true)
	}
	addOptionalOctets(&b, berRespondingAuthValue, berCharString, a.RespondingAuthenticationValue)
	addOptionalOctets(&b, berUserInformation, ber.TagOctetString, a.UserInformation)
	b.Close(m)
	return b.Bytes()
}

// Fields implements APDU.
func (a *AARE) Fields() []Field {
	f := []Field{
		contextField(a.ApplicationContext),
		field("result", fmt.Sprintf("%d (%v)", a.Result, a.Result)),
		field("result-source-diagnostic", fmt.Sprintf("%d (%v)", a.Diagnostic.Value, a.Diagnostic)),
	}
	if a.RespondingAPTitle != nil {
		f = append(f, hexField("responding-AP-title", a.RespondingAPTitle))
	}
	if a.RespondingAEQualifier != nil {
		f = append(f, hexField("responding-AE-qualifier", a.RespondingAEQualifier))
	}
	if a.ACSERequirements {
		f = append(f, field("responder-acse-requirements", "authentication"))
	}
	if a.Mechanism != MechanismNone {
		f = append(f, mechanismField(a.Mechanism))
	}
	if a.RespondingAuthenticationValue != nil {
		f = append(f, authValueField("responding-authentication-value", a.Mechanism, a.RespondingAuthenticationValue))
	}
	if a.UserInformation != nil {
		f = append(f, userInformationField(a.UserInformation))
	}
	return f
}

// AssociationError is a rejected association: the result and diagnostic of
// the AARE and, when the server sent one, its ConfirmedServiceError.
type AssociationError struct {
	Result       AssociationResult
	Diagnostic   Diagnostic
	ServiceError *dlms.ConfirmedServiceError // nil when none was sent (or it was ciphered)
}

func (e *AssociationError) Error() string {
	s := fmt.Sprintf("association %v (%v)", e.Result, e.Diagnostic)
	if e.ServiceError != nil {
		s += ": " + e.ServiceError.Error()
	}
	return s
}

// Unwrap returns the ConfirmedServiceError, if any.
func (e *AssociationError) Unwrap() error {
	if e.ServiceError == nil {
		return nil
	}
	return e.ServiceError
}

// Err returns nil when the association is accepted, else an
// *AssociationError.
func (a *AARE) Err() error {
	if a.Result == ResultAccepted {
		return nil
	}
	e := &AssociationError{Result: a.Result, Diagnostic: a.Diagnostic}
	if u, err := parseOptionalUserInformation(a.UserInformation); err == nil {
		if c, ok := u.(*ConfirmedServiceError); ok {
			e.ServiceError = &dlms.ConfirmedServiceError{Service: c.Service, Class: c.Class, Code: c.Code}
		}
	}
	return e
}

// InitiateResponse decodes the InitiateResponse of the user-information.
// When the user-information holds a ConfirmedServiceError it returns that
// as a *dlms.ConfirmedServiceError; when it is ciphered it fails with
// ErrCiphered.
func (a *AARE) InitiateResponse() (*InitiateResponse, error) {
	u, err := parseOptionalUserInformation(a.UserInformation)
	switch u := u.(type) {
	case *InitiateResponse:
		return u, nil
	case *ConfirmedServiceError:
		return nil, u.Err()
	}
	return nil, errUserInformation("AARE", u, err)
}

// ParseAARE decodes an AARE. Lengths in any definite form are accepted;
// the AARE re-encodes with canonical lengths.
func ParseAARE(b []byte) (*AARE, error) { return parse(decodeAARE, b) }

func decodeAARE(b []byte) (*AARE, int, error) {
	d := acseDecoder{name: "AARE"}
	c, n := d.open(b, TagAARE)
	a := &AARE{}
	var context, result, diagnostic bool
	d.components(c, func(t ber.Tag, off int, e ber.Reader) {
		switch t {
		case berApplicationContext:
			a.ApplicationContext = ApplicationContext(d.oid("application-context-name", e, oidKindContext, false))
			context = true
		case berResult:
			v := d.integer("result", e, ber.TagInteger)
			if v < 0 || v > 255 {
				d.fail("result", off, errorf(ErrValue, "%d", v))
			}
			a.Result, result = AssociationResult(v), true
		case berResultDiagnostic:
			a.Diagnostic = d.diagnostic(e)
			diagnostic = true
		case berRespondingAPTitle:
			a.RespondingAPTitle = d.wrapped("responding-AP-title", e, ber.TagOctetString)
		case berRespondingAEQual:
			a.RespondingAEQualifier = d.wrapped("responding-AE-qualifier", e, ber.TagOctetString)
		case berResponderACSEReq:
			a.ACSERequirements = d.acseRequirements("responder-acse-requirements", off, e)
		case berRespMechanism:
			a.Mechanism = Mechanism(d.oid("mechanism-name", e, oidKindMechanism, true))
		case berRespondingAuthValue:
			a.RespondingAuthenticationValue = d.wrapped("responding-authentication-value", e, berCharString)
		case berUserInformation:
			a.UserInformation = d.userInformation(e)
		}
	})
	for _, c := range []struct {
		seen bool
		name string
	}{{context, "application-context-name"}, {result, "result"}, {diagnostic, "result-source-diagnostic"}} {
		if d.err == nil && !c.seen {
			d.fail(c.name, 0, errorf(ErrValue, "absent"))
		}
	}
	if d.err != nil {
		return nil, 0, d.err
	}
	return a, n, nil
}

// diagnostic reads the Associate-source-diagnostic CHOICE.
func (d *acseDecoder) diagnostic(e ber.Reader) Diagnostic {
	const field = "result-source-diagnostic"
	off := e.Offset()
	t, c, err := e.Read()
	if err != nil {
		d.fail(field, off, err)
		return Diagnostic{}
	}
	var diag Diagnostic
	switch t {
	case berDiagnosticUser:
	case berDiagnosticProvider:
		diag.Provider = true
	default:
		d.fail(field, off, errorf(ErrChoice, "tag %v", t))
		return Diagnostic{}
	}
	v := d.integer(field, c, ber.TagInteger)
	if d.err == nil && (v < 0 || v > 255) {
		d.fail(field, off, errorf(ErrValue, "%d", v))
	}
	if d.err == nil && !e.Empty() {
		d.fail(field, e.Offset(), errorf(ErrValue, "%d bytes after the choice", e.Len()))
	}
	diag.Value = uint8(v)
	return diag
}
