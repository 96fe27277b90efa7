package apdu

import (
	"github.com/openhes/hes/dlms/ber"
)

// AARQ is the A-ASSOCIATE request by which a client opens an association.
//
// Optional components are absent when nil (or false, or MechanismNone: the
// mechanism-name is only sent with an authentication mechanism). Reading
// skips the components that AARQ does not hold: protocol-version (whose
// only value, version1, is the default), the invocation ids other than
// calling-AE-invocation-id, and implementation-information.
type AARQ struct {
	ApplicationContext         ApplicationContext // application-context-name [1]
	CalledAPTitle              []byte             // called-AP-title [2]
	CalledAEQualifier          []byte             // called-AE-qualifier [3]
	CallingAPTitle             []byte             // calling-AP-title [6]: the client's system title
	CallingAEQualifier         []byte             // calling-AE-qualifier [7]
	CallingAEInvocationID      *int32             // calling-AE-invocation-id [9]: the client user id
	ACSERequirements           bool               // sender-acse-requirements [10]: the authentication bit
	Mechanism                  Mechanism          // mechanism-name [11]
	CallingAuthenticationValue []byte             // calling-authentication-value [12]: password or challenge
	UserInformation            []byte             // user-information [30]: the xDLMS APDU, maybe ciphered
}

// Tag implements APDU.
func (*AARQ) Tag() Tag { return TagAARQ }

// Name implements APDU.
func (*AARQ) Name() string { return "AARQ" }

// Append implements APDU.
func (a *AARQ) Append(dst []byte) []byte {
	b := ber.NewBuilder(dst)
	m := b.Open(ber.Tag(TagAARQ))
	addOID(&b, berApplicationContext, oidKindContext, uint8(a.ApplicationContext), false)
	addOptionalOctets(&b, berCalledAPTitle, ber.TagOctetString, a.CalledAPTitle)
	addOptionalOctets(&b, berCalledAEQualifier, ber.TagOctetString, a.CalledAEQualifier)
	addOptionalOctets(&b, berCallingAPTitle, ber.TagOctetString, a.CallingAPTitle)
	addOptionalOctets(&b, berCallingAEQualifier, ber.TagOctetString, a.CallingAEQualifier)
	if a.CallingAEInvocationID != nil {
		mi := b.Open(berCallingAEInvoke)
		b.AddInt(ber.TagInteger, int64(*a.CallingAEInvocationID))
		b.Close(mi)
	}
	if a.ACSERequirements {
		b.AddElement(berSenderACSEReq, acseAuthentication[:])
	}
	if a.Mechanism != MechanismNone {
		addOID(&b, berMechanism, oidKindMechanism, uint8(a.Mechanism), true)
	}
	addOptionalOctets(&b, berCallingAuthValue, berCharString, a.CallingAuthenticationValue)
	addOptionalOctets(&b, berUserInformation, ber.TagOctetString, a.UserInformation)
	b.Close(m)
	return b.Bytes()
}

// Fields implements APDU. The value of an LLS password is not shown.
func (a *AARQ) Fields() []Field {
	f := []Field{contextField(a.ApplicationContext)}
	for _, c := range []struct {
		name string
		v    []byte
	}{
		{"called-AP-title", a.CalledAPTitle}, {"called-AE-qualifier", a.CalledAEQualifier},
		{"calling-AP-title", a.CallingAPTitle}, {"calling-AE-qualifier", a.CallingAEQualifier},
	} {
		if c.v != nil {
			f = append(f, hexField(c.name, c.v))
		}
	}
	if a.CallingAEInvocationID != nil {
		f = append(f, intField("calling-AE-invocation-id", int64(*a.CallingAEInvocationID)))
	}
	if a.ACSERequirements {
		f = append(f, field("sender-acse-requirements", "authentication"))
	}
	if a.Mechanism != MechanismNone {
		f = append(f, mechanismField(a.Mechanism))
	}
	if a.CallingAuthenticationValue != nil {
		f = append(f, authValueField("calling-authentication-value", a.Mechanism, a.CallingAuthenticationValue))
	}
	if a.UserInformation != nil {
		f = append(f, userInformationField(a.UserInformation))
	}
	return f
}

// InitiateRequest decodes the InitiateRequest of the user-information. It
// fails with ErrCiphered when the user-information is ciphered.
func (a *AARQ) InitiateRequest() (*InitiateRequest, error) {
	u, err := parseOptionalUserInformation(a.UserInformation)
	if r, ok := u.(*InitiateRequest); ok {
		return r, nil
	}
	return nil, errUserInformation("AARQ", u, err)
}

// ParseAARQ decodes an AARQ. Lengths in any definite form are accepted;
// the AARQ re-encodes with canonical lengths.
func ParseAARQ(b []byte) (*AARQ, error) { return parse(decodeAARQ, b) }

func decodeAARQ(b []byte) (*AARQ, int, error) {
	d := acseDecoder{name: "AARQ"}
	c, n := d.open(b, TagAARQ)
	a := &AARQ{}
	context := false
	d.components(c, func(t ber.Tag, off int, e ber.Reader) {
		switch t {
		case berApplicationContext:
			a.ApplicationContext = ApplicationContext(d.oid("application-context-name", e, oidKindContext, false))
			context = true
		case berCalledAPTitle:
			a.CalledAPTitle = d.wrapped("called-AP-title", e, ber.TagOctetString)
		case berCalledAEQualifier:
			a.CalledAEQualifier = d.wrapped("called-AE-qualifier", e, ber.TagOctetString)
		case berCallingAPTitle:
			a.CallingAPTitle = d.wrapped("calling-AP-title", e, ber.TagOctetString)
		case berCallingAEQualifier:
			a.CallingAEQualifier = d.wrapped("calling-AE-qualifier", e, ber.TagOctetString)
		case berCallingAEInvoke:
			v := d.integer("calling-AE-invocation-id", e, ber.TagInteger)
			if v < -1<<31 || v > 1<<31-1 {
				d.fail("calling-AE-invocation-id", off, errorf(ErrValue, "%d out of range", v))
			}
			id := int32(v)
			a.CallingAEInvocationID = &id
		case berSenderACSEReq:
			a.ACSERequirements = d.acseRequirements("sender-acse-requirements", off, e)
		case berMechanism:
			a.Mechanism = Mechanism(d.oid("mechanism-name", e, oidKindMechanism, true))
		case berCallingAuthValue:
			a.CallingAuthenticationValue = d.wrapped("calling-authentication-value", e, berCharString)
		case berUserInformation:
			a.UserInformation = d.userInformation(e)
		}
	})
	if d.err == nil && !context {
		d.fail("application-context-name", 0, errorf(ErrValue, "absent"))
	}
	if d.err != nil {
		return nil, 0, d.err
	}
	return a, n, nil
}
