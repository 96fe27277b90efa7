package apdu

import (
	"fmt"

	"github.com/openhes/hes/dlms/axdr"
)

// SecurityControl is the security control byte of a ciphered APDU: the
// security suite in bits 0 to 3, then the authentication, encryption,
// broadcast-key and compression flags.
type SecurityControl uint8

// Flags of SecurityControl.
const (
	SecurityAuthenticated SecurityControl = 0x10
	SecurityEncrypted     SecurityControl = 0x20
	SecurityBroadcastKey  SecurityControl = 0x40
	SecurityCompressed    SecurityControl = 0x80
)

// Suite returns the security suite, 0 to 15.
func (s SecurityControl) Suite() uint8 { return uint8(s) & 0x0F }

// Authenticated reports whether the APDU carries an authentication tag.
func (s SecurityControl) Authenticated() bool { return s&SecurityAuthenticated != 0 }

// Encrypted reports whether the APDU is encrypted.
func (s SecurityControl) Encrypted() bool { return s&SecurityEncrypted != 0 }

// BroadcastKey reports whether the broadcast key was used.
func (s SecurityControl) BroadcastKey() bool { return s&SecurityBroadcastKey != 0 }

// Compressed reports whether the plaintext was compressed.
func (s SecurityControl) Compressed() bool { return s&SecurityCompressed != 0 }

// String returns e.g. "0x30 (suite 0, authenticated, encrypted)".
func (s SecurityControl) String() string {
	str := fmt.Sprintf("0x%02X (suite %d", uint8(s), s.Suite())
	for _, f := range []struct {
		on   bool
		name string
	}{{s.Authenticated(), "authenticated"}, {s.Encrypted(), "encrypted"},
		{s.BroadcastKey(), "broadcast key"}, {s.Compressed(), "compressed"}} {
		if f.on {
			str += ", " + f.name
		}
	}
	return str + ")"
}

// Ciphered is a ciphered APDU, left opaque: its security header is parsed,
// the ciphertext is not (deciphering is the job of dlms/security). Three
// layouts exist, chosen by Type:
//
//   - service-specific glo- and ded- APDUs (e.g. glo-get-request 0xC8):
//     tag, length, security control, invocation counter, ciphertext;
//   - general-glo-ciphering and general-ded-ciphering: tag, system title,
//     then the same ciphered content as an octet-string;
//   - general-ciphering: tag, transaction id, originator and recipient
//     system titles, date-time, other information, optional key info, then
//     the ciphered content.
type Ciphered struct {
	Type Tag // the tag of the ciphered APDU, e.g. TagGloGetRequest

	// SystemTitle is the sender's system title (general-glo-ciphering,
	// general-ded-ciphering) or the originator-system-title
	// (general-ciphering); nil for the service-specific APDUs.
	SystemTitle []byte

	// Fields of general-ciphering only.
	TransactionID        []byte
	RecipientSystemTitle []byte
	DateTime             []byte
	OtherInformation     []byte
	KeyInfo              []byte // the Key-Info CHOICE as encoded; nil when absent

	SecurityControl   SecurityControl
	InvocationCounter uint32
	// Ciphertext is everything after the security header: the encrypted
	// APDU and, when authenticated, the authentication tag.
	Ciphertext []byte
}

// general reports whether the layout is general-glo/ded-ciphering.
func (c *Ciphered) general() bool {
	return c.Type == TagGeneralGloCiphering || c.Type == TagGeneralDedCiphering
}

// Tag implements APDU.
func (c *Ciphered) Tag() Tag { return c.Type }

// Name implements APDU.
func (c *Ciphered) Name() string { return c.Type.String() }

// Append implements APDU.
func (c *Ciphered) Append(dst []byte) []byte {
	dst = append(dst, byte(c.Type))
	switch {
	case c.general():
		dst = appendOctets(dst, c.SystemTitle)
	case c.Type == TagGeneralCiphering:
		dst = appendOctets(dst, c.TransactionID)
		dst = appendOctets(dst, c.SystemTitle)
		dst = appendOctets(dst, c.RecipientSystemTitle)
		dst = appendOctets(dst, c.DateTime)
		dst = appendOctets(dst, c.OtherInformation)
		if c.KeyInfo == nil {
			dst = append(dst, 0)
		} else {
			dst = append(dst, 1)
			dst = append(dst, c.KeyInfo...)
		}
	}
	dst = axdr.AppendLength(dst, 5+len(c.Ciphertext))
	dst = append(dst, byte(c.SecurityControl))
	dst = appendU32(dst, c.InvocationCounter)
	return append(dst, c.Ciphertext...)
}

// Fields implements APDU.
func (c *Ciphered) Fields() []Field {
	var f []Field
	switch {
	case c.general():
		f = append(f, hexField("system-title", c.SystemTitle))
	case c.Type == TagGeneralCiphering:
		f = append(f,
			hexField("transaction-id", c.TransactionID),
			hexField("originator-system-title", c.SystemTitle),
			hexField("recipient-system-title", c.RecipientSystemTitle),
			hexField("date-time", c.DateTime),
			hexField("other-information", c.OtherInformation),
			hexField("key-info", c.KeyInfo),
		)
	}
	return append(f,
		field("security-control", c.SecurityControl.String()),
		uintField("invocation-counter", uint64(c.InvocationCounter)),
		hexField("ciphertext", c.Ciphertext),
	)
}

// ParseCiphered decodes the header of a ciphered APDU.
func ParseCiphered(b []byte) (*Ciphered, error) { return parse(decodeCiphered, b) }

func decodeCiphered(b []byte) (*Ciphered, int, error) {
	var t Tag
	if len(b) > 0 {
		t = Tag(b[0])
	}
	d := decoder{b: b, name: t.String()}
	if len(b) == 0 {
		d.fail("", ErrShort)
	} else if !t.Ciphered() {
		d.fail("", errorf(ErrUnknownTag, "%v is not a ciphered APDU", t))
	}
	d.pos = 1
	c := &Ciphered{Type: t}
	switch {
	case d.err != nil:
	case c.general():
		c.SystemTitle = d.octets("system-title")
	case t == TagGeneralCiphering:
		c.TransactionID = d.octets("transaction-id")
		c.SystemTitle = d.octets("originator-system-title")
		c.RecipientSystemTitle = d.octets("recipient-system-title")
		c.DateTime = d.octets("date-time")
		c.OtherInformation = d.octets("other-information")
		if d.optional("key-info") {
			c.KeyInfo = d.keyInfo()
		}
	}
	content := d.octets("ciphered-content")
	if d.err == nil && len(content) < 5 {
		d.pos -= len(content)
		d.fail("ciphered-content", errorf(ErrShort, "%d bytes, want a 5-byte security header", len(content)))
	}
	if d.err == nil {
		c.SecurityControl = SecurityControl(content[0])
		c.InvocationCounter = uint32(content[1])<<24 | uint32(content[2])<<16 | uint32(content[3])<<8 | uint32(content[4])
		c.Ciphertext = content[5:]
	}
	return finish(&d, c)
}

// keyInfo reads a Key-Info CHOICE and returns its encoding.
func (d *decoder) keyInfo() []byte {
	start := d.pos
	d.enter("key-info", -1)
	defer d.leave()
	switch c := d.u8(""); {
	case d.err != nil:
	case c == 0: // identified-key: key-id
		d.u8("key-id")
	case c == 1: // wrapped-key: kek-id, key-ciphered-data
		d.u8("kek-id")
		d.octets("key-ciphered-data")
	case c == 2: // agreed-key: key-parameters, key-ciphered-data
		d.octets("key-parameters")
		d.octets("key-ciphered-data")
	default:
		d.pos = start
		d.fail("", errorf(ErrChoice, "%d", c))
	}
	if d.err != nil {
		return nil
	}
	return d.b[start:d.pos:d.pos]
}
