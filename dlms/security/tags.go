package security

import "fmt"

// Tags of the general ciphering APDUs, which carry the sender's system
// title and can protect any APDU.
const (
	TagGeneralGloCiphering byte = 0xDB // general-glo-ciphering: global keys
	TagGeneralDedCiphering byte = 0xDC // general-ded-ciphering: dedicated key
)

// serviceTag is one plain xDLMS APDU with its service-specific ciphered
// forms.
type serviceTag struct {
	plain, glo, ded byte
	name            string // the plain APDU's name in the ASN.1 of IEC 62056-5-3
}

// serviceTags lists every APDU that has service-specific ciphered forms.
var serviceTags = []serviceTag{
	{0x01, 0x21, 0x41, "initiate-request"},
	{0x05, 0x25, 0x45, "read-request"},
	{0x06, 0x26, 0x46, "write-request"},
	{0x08, 0x28, 0x48, "initiate-response"},
	{0x0C, 0x2C, 0x4C, "read-response"},
	{0x0D, 0x2D, 0x4D, "write-response"},
	{0x0E, 0x2E, 0x4E, "confirmed-service-error"},
	{0x16, 0x36, 0x56, "unconfirmed-write-request"},
	{0x18, 0x38, 0x58, "information-report-request"},
	{0xC0, 0xC8, 0xD0, "get-request"},
	{0xC1, 0xC9, 0xD1, "set-request"},
	{0xC2, 0xCA, 0xD2, "event-notification-request"},
	{0xC3, 0xCB, 0xD3, "action-request"},
	{0xC4, 0xCC, 0xD4, "get-response"},
	{0xC5, 0xCD, 0xD5, "set-response"},
	{0xC7, 0xCF, 0xD7, "action-response"},
}

// tagKind says what a tag is, for the lookups below.
type tagKind uint8

const (
	kindNone tagKind = iota
	kindPlain
	kindGlo
	kindDed
	kindGeneralGlo
	kindGeneralDed
)

type tagInfo struct {
	kind  tagKind
	plain byte // the plain tag of a service-specific ciphered tag
	index int  // into serviceTags
}

var tagTable = func() (t [256]tagInfo) {
	for i, s := range serviceTags {
		t[s.plain] = tagInfo{kindPlain, s.plain, i}
		t[s.glo] = tagInfo{kindGlo, s.plain, i}
		t[s.ded] = tagInfo{kindDed, s.plain, i}
	}
	t[TagGeneralGloCiphering] = tagInfo{kind: kindGeneralGlo}
	t[TagGeneralDedCiphering] = tagInfo{kind: kindGeneralDed}
	return t
}()

// GlobalTag returns the service-specific global ciphering tag (glo-) of a
// plain APDU tag: 0xC8 glo-get-request for 0xC0 get-request. It reports
// false when the APDU has no such form.
func GlobalTag(plain byte) (byte, bool) {
	if t := tagTable[plain]; t.kind == kindPlain {
		return serviceTags[t.index].glo, true
	}
	return 0, false
}

// DedicatedTag returns the service-specific dedicated ciphering tag (ded-)
// of a plain APDU tag: 0xD0 ded-get-request for 0xC0 get-request. It
// reports false when the APDU has no such form.
func DedicatedTag(plain byte) (byte, bool) {
	if t := tagTable[plain]; t.kind == kindPlain {
		return serviceTags[t.index].ded, true
	}
	return 0, false
}

// PlainTag returns the plain APDU tag that a service-specific ciphered tag
// (glo- or ded-) protects: 0xC0 get-request for 0xC8 or 0xD0. It reports
// false for any other tag, the general ciphering tags included.
func PlainTag(ciphered byte) (byte, bool) {
	if t := tagTable[ciphered]; t.kind == kindGlo || t.kind == kindDed {
		return t.plain, true
	}
	return 0, false
}

// IsCiphered reports whether tag starts a ciphered APDU that this package
// deciphers: a glo- or ded- tag, general-glo-ciphering or
// general-ded-ciphering.
func IsCiphered(tag byte) bool {
	k := tagTable[tag].kind
	return k != kindNone && k != kindPlain
}

// TagName returns the name of a ciphered tag or of a plain tag that has a
// ciphered form, e.g. "glo-get-request", and "tag 0xNN" for any other.
func TagName(tag byte) string {
	t := tagTable[tag]
	switch t.kind {
	case kindPlain:
		return serviceTags[t.index].name
	case kindGlo:
		return "glo-" + serviceTags[t.index].name
	case kindDed:
		return "ded-" + serviceTags[t.index].name
	case kindGeneralGlo:
		return "general-glo-ciphering"
	case kindGeneralDed:
		return "general-ded-ciphering"
	}
	return fmt.Sprintf("tag 0x%02X", tag)
}

// Ciphering is the form in which an APDU is ciphered: which tag it gets
// and which key protects it.
type Ciphering uint8

// The ciphering forms.
const (
	ServiceGlobal    Ciphering = iota + 1 // glo- tag, global unicast encryption key
	ServiceBroadcast                      // glo- tag, global broadcast encryption key
	ServiceDedicated                      // ded- tag, dedicated key
	GeneralGlobal                         // general-glo-ciphering, global unicast encryption key
	GeneralBroadcast                      // general-glo-ciphering, global broadcast encryption key
	GeneralDedicated                      // general-ded-ciphering, dedicated key
)

// String returns the form's name.
func (c Ciphering) String() string {
	switch c {
	case ServiceGlobal:
		return "service-specific global"
	case ServiceBroadcast:
		return "service-specific global broadcast"
	case ServiceDedicated:
		return "service-specific dedicated"
	case GeneralGlobal:
		return "general global"
	case GeneralBroadcast:
		return "general global broadcast"
	case GeneralDedicated:
		return "general dedicated"
	}
	return fmt.Sprintf("ciphering(%d)", uint8(c))
}

// General reports whether the form is a general ciphering APDU, which
// carries the sender's system title.
func (c Ciphering) General() bool {
	return c == GeneralGlobal || c == GeneralBroadcast || c == GeneralDedicated
}

// Dedicated reports whether the form uses the dedicated key.
func (c Ciphering) Dedicated() bool { return c == ServiceDedicated || c == GeneralDedicated }

// Broadcast reports whether the form uses the global broadcast key.
func (c Ciphering) Broadcast() bool { return c == ServiceBroadcast || c == GeneralBroadcast }

func (c Ciphering) valid() bool { return c >= ServiceGlobal && c <= GeneralDedicated }
