package apdu

import (
	"fmt"

	"github.com/openhes/hes/dlms/ber"
)

// ApplicationContext is the last arc of the application-context-name
// 2.16.756.5.8.1.x of an AARQ or AARE.
type ApplicationContext uint8

// The application contexts of DLMS/COSEM.
const (
	ContextLN         ApplicationContext = 1 // logical name referencing, no ciphering
	ContextSN         ApplicationContext = 2 // short name referencing, no ciphering
	ContextLNCiphered ApplicationContext = 3 // logical name referencing with ciphering
	ContextSNCiphered ApplicationContext = 4 // short name referencing with ciphering
)

// String returns e.g. "LN" or "LN with ciphering".
func (c ApplicationContext) String() string {
	switch c {
	case ContextLN:
		return "LN"
	case ContextSN:
		return "SN"
	case ContextLNCiphered:
		return "LN with ciphering"
	case ContextSNCiphered:
		return "SN with ciphering"
	}
	return fmt.Sprintf("context(%d)", uint8(c))
}

// Ciphered reports whether the context uses ciphering.
func (c ApplicationContext) Ciphered() bool { return c == ContextLNCiphered || c == ContextSNCiphered }

// Mechanism is the last arc of the authentication mechanism-name
// 2.16.756.5.8.2.x.
type Mechanism uint8

// The authentication mechanisms of DLMS/COSEM.
const (
	MechanismNone      Mechanism = 0 // lowest level security: no authentication
	MechanismLLS       Mechanism = 1 // low level security: a password
	MechanismHLS       Mechanism = 2 // high level security, manufacturer specific
	MechanismHLSMD5    Mechanism = 3
	MechanismHLSSHA1   Mechanism = 4
	MechanismHLSGMAC   Mechanism = 5
	MechanismHLSSHA256 Mechanism = 6
	MechanismHLSECDSA  Mechanism = 7
)

var mechanismNames = [...]string{"none", "LLS", "HLS", "HLS-MD5", "HLS-SHA1", "HLS-GMAC", "HLS-SHA256", "HLS-ECDSA"}

// String returns e.g. "LLS" or "HLS-GMAC".
func (m Mechanism) String() string {
	if int(m) < len(mechanismNames) {
		return mechanismNames[m]
	}
	return fmt.Sprintf("mechanism(%d)", uint8(m))
}

// The object identifiers of DLMS UA names: 2.16.756.5.8 followed by the
// kind of name and its value.
const (
	oidKindContext   = 1
	oidKindMechanism = 2
)

var oidPrefix = [5]byte{0x60, 0x85, 0x74, 0x05, 0x08}

// dlmsOID returns the contents of the OBJECT IDENTIFIER 2.16.756.5.8.kind.arc.
func dlmsOID(kind, arc uint8) (oid [8]byte, n int) {
	copy(oid[:], oidPrefix[:])
	oid[5] = kind
	if arc < 0x80 {
		oid[6] = arc
		return oid, 7
	}
	oid[6], oid[7] = 0x80|arc>>7, arc&0x7F
	return oid, 8
}

// parseDLMSOID returns the last arc of the OBJECT IDENTIFIER contents b,
// which must be 2.16.756.5.8.kind.x with x from 0 to 255.
func parseDLMSOID(b []byte, kind uint8) (uint8, error) {
	if len(b) < 7 || [5]byte(b[:5]) != oidPrefix || b[5] != kind {
		return 0, errorf(ErrValue, "object identifier %x, want 2.16.756.5.8.%d.x", b, kind)
	}
	var v uint
	for i, c := range b[6:] {
		if i > 1 || (i == 0 && c == 0x80) {
			return 0, errorf(ErrValue, "object identifier %x: last arc too large", b)
		}
		v = v<<7 | uint(c&0x7F)
		if c&0x80 == 0 {
			if i != len(b)-7 {
				return 0, errorf(ErrValue, "object identifier %x: trailing bytes", b)
			}
			if v > 0xFF {
				return 0, errorf(ErrValue, "object identifier %x: last arc too large", b)
			}
			return uint8(v), nil
		}
	}
	return 0, errorf(ErrValue, "object identifier %x: last arc unterminated", b)
}

func oidString(kind, arc uint8) string { return fmt.Sprintf("2.16.756.5.8.%d.%d", kind, arc) }

// The BER tags of the ACSE APDUs and their components.
const (
	berApplicationContext ber.Tag = 0xA1
	berCalledAPTitle      ber.Tag = 0xA2
	berCalledAEQualifier  ber.Tag = 0xA3
	berCallingAPTitle     ber.Tag = 0xA6
	berCallingAEQualifier ber.Tag = 0xA7
	berCallingAEInvoke    ber.Tag = 0xA9
	berSenderACSEReq      ber.Tag = 0x8A
	berMechanism          ber.Tag = 0x8B
	berCallingAuthValue   ber.Tag = 0xAC
	berUserInformation    ber.Tag = 0xBE

	berResult              ber.Tag = 0xA2
	berResultDiagnostic    ber.Tag = 0xA3
	berRespondingAPTitle   ber.Tag = 0xA4
	berRespondingAEQual    ber.Tag = 0xA5
	berResponderACSEReq    ber.Tag = 0x88
	berRespMechanism       ber.Tag = 0x89
	berRespondingAuthValue ber.Tag = 0xAA

	berReason ber.Tag = 0x80

	berDiagnosticUser     ber.Tag = 0xA1
	berDiagnosticProvider ber.Tag = 0xA2
	berCharString         ber.Tag = 0x80 // the charstring [0] choice of Authentication-value
)

// acseDecoder reads the components of an ACSE APDU.
type acseDecoder struct {
	name string
	err  error
}

// fail records err about field, found at offset off.
func (d *acseDecoder) fail(field string, off int, err error) {
	if d.err == nil {
		d.err = &Error{APDU: d.name, Field: field, Offset: off, Err: err}
	}
}

// open reads the outer element of the APDU; n is its size.
func (d *acseDecoder) open(b []byte, t Tag) (c ber.Reader, n int) {
	r := ber.NewReader(b)
	c, err := r.ReadTagged(ber.Tag(t))
	if err != nil {
		d.fail("", 0, err)
	}
	return c, r.Offset()
}

// components calls f for each component of c with its tag, its offset and
// a Reader over its contents. f ignores the components it does not know.
func (d *acseDecoder) components(c ber.Reader, f func(t ber.Tag, off int, e ber.Reader)) {
	for d.err == nil && !c.Empty() {
		off := c.Offset()
		t, e, err := c.Read()
		if err != nil {
			d.fail("", off, err)
			return
		}
		f(t, off, e)
	}
}

// wrapped reads the element with tag inner that is the whole contents of e
// (an explicitly tagged component) and returns its contents.
func (d *acseDecoder) wrapped(field string, e ber.Reader, inner ber.Tag) []byte {
	off := e.Offset()
	c, err := e.ReadTagged(inner)
	if err != nil {
		d.fail(field, off, err)
		return nil
	}
	if !e.Empty() {
		d.fail(field, e.Offset(), errorf(ErrValue, "%d bytes after the %v element", e.Len(), inner))
		return nil
	}
	if c.Rest() == nil {
		return []byte{}
	}
	return c.Rest()
}

func (d *acseDecoder) integer(field string, e ber.Reader, inner ber.Tag) int64 {
	b := d.wrapped(field, e, inner)
	if d.err != nil {
		return 0
	}
	v, err := ber.ParseInt(b)
	if err != nil {
		d.fail(field, e.Offset(), err)
	}
	return v
}

func (d *acseDecoder) oid(field string, e ber.Reader, kind uint8, implicit bool) uint8 {
	b := e.Rest()
	if !implicit {
		b = d.wrapped(field, e, ber.TagOID)
	}
	if d.err != nil {
		return 0
	}
	v, err := parseDLMSOID(b, kind)
	if err != nil {
		d.fail(field, e.Offset(), err)
	}
	return v
}

// acseRequirements reads an ACSE-requirements BIT STRING and reports
// whether its authentication bit (bit 0) is set.
func (d *acseDecoder) acseRequirements(field string, off int, e ber.Reader) bool {
	b := e.Rest()
	if len(b) < 1 {
		d.fail(field, off, errorf(ErrValue, "empty BIT STRING"))
		return false
	}
	return len(b) > 1 && b[1]&0x80 != 0
}

// userInformation reads the OCTET STRING of a user-information component.
func (d *acseDecoder) userInformation(e ber.Reader) []byte {
	return d.wrapped("user-information", e, ber.TagOctetString)
}

// addWrapped appends an explicitly tagged component holding one element.
func addWrapped(b *ber.Builder, outer, inner ber.Tag, contents []byte) {
	m := b.Open(outer)
	b.AddElement(inner, contents)
	b.Close(m)
}

func addOID(b *ber.Builder, t ber.Tag, kind, arc uint8, implicit bool) {
	oid, n := dlmsOID(kind, arc)
	if implicit {
		b.AddElement(t, oid[:n])
		return
	}
	addWrapped(b, t, ber.TagOID, oid[:n])
}

// acseAuthentication is the ACSE-requirements BIT STRING with the
// authentication bit set.
var acseAuthentication = [2]byte{0x07, 0x80}

func addOptionalOctets(b *ber.Builder, outer, inner ber.Tag, p []byte) {
	if p != nil {
		addWrapped(b, outer, inner, p)
	}
}

func userInformationField(b []byte) Field {
	f := hexField("user-information", b)
	if b == nil {
		return f
	}
	if a, err := ParseUserInformation(b); err == nil {
		f.Fields = []Field{{Name: a.Name(), Fields: a.Fields()}}
	}
	return f
}

func contextField(c ApplicationContext) Field {
	return field("application-context-name", fmt.Sprintf("%v (%s)", c, oidString(oidKindContext, uint8(c))))
}

func mechanismField(m Mechanism) Field {
	return field("mechanism-name", fmt.Sprintf("%v (%s)", m, oidString(oidKindMechanism, uint8(m))))
}

// authValueField shows an authentication value: the challenge in hex for
// an HLS mechanism, else (a password) its length only.
func authValueField(name string, m Mechanism, v []byte) Field {
	if m >= MechanismHLS && m <= MechanismHLSECDSA {
		return hexField(name, v)
	}
	return secretField(name, v)
}

// errUserInformation explains why the user-information a (decoded with
// err) is not the xDLMS APDU that was asked for.
func errUserInformation(name string, a APDU, err error) error {
	switch {
	case err != nil:
		return err
	case a == nil:
		return &Error{APDU: name, Field: "user-information", Err: errorf(ErrValue, "absent")}
	}
	if c, ok := a.(*Ciphered); ok {
		return &Error{APDU: name, Field: "user-information", Err: fmt.Errorf("%w: %v", ErrCiphered, c.Type)}
	}
	return &Error{APDU: name, Field: "user-information", Err: errorf(ErrValue, "%s", a.Name())}
}

func parseOptionalUserInformation(b []byte) (APDU, error) {
	if b == nil {
		return nil, nil
	}
	return ParseUserInformation(b)
}
