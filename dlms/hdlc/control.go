package hdlc

import "fmt"

// Kind is the type of an HDLC frame, from its control field.
type Kind uint8

// The frame kinds of IEC 62056-46. The numbering is this package's own; the
// control byte is what goes on the wire.
const (
	KindI    Kind = iota + 1 // information
	KindRR                   // receive ready (supervisory)
	KindRNR                  // receive not ready (supervisory)
	KindSNRM                 // set normal response mode (command)
	KindDISC                 // disconnect (command)
	KindUA                   // unnumbered acknowledge (response)
	KindDM                   // disconnected mode (response)
	KindFRMR                 // frame reject (response)
	KindUI                   // unnumbered information
)

var kindNames = [...]string{
	KindI: "I", KindRR: "RR", KindRNR: "RNR", KindSNRM: "SNRM", KindDISC: "DISC",
	KindUA: "UA", KindDM: "DM", KindFRMR: "FRMR", KindUI: "UI",
}

// String returns the name of the kind as the standard spells it, e.g. "SNRM".
func (k Kind) String() string {
	if k >= KindI && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Supervisory reports whether k is RR or RNR, the kinds that carry N(R)
// but no N(S).
func (k Kind) Supervisory() bool { return k == KindRR || k == KindRNR }

// Control is a decoded HDLC control field. NS is used by I frames only, NR
// by I, RR and RNR frames; both count modulo 8. PF is the poll bit of a
// command, the final bit of a response.
type Control struct {
	Kind Kind
	NS   uint8
	NR   uint8
	PF   bool
}

// Control field values, with the P/F bit (0x10) clear.
const (
	ctrlRR   = 0x01
	ctrlRNR  = 0x05
	ctrlSNRM = 0x83
	ctrlDISC = 0x43
	ctrlUA   = 0x63
	ctrlDM   = 0x0F
	ctrlFRMR = 0x87
	ctrlUI   = 0x03
	ctrlPF   = 0x10
)

// Byte returns the control byte of c. NS and NR are taken modulo 8; an
// unknown Kind encodes as 0xFF, which no frame uses (AppendFrame rejects
// both).
func (c Control) Byte() byte {
	var b byte
	switch c.Kind {
	case KindI:
		b = (c.NR&7)<<5 | (c.NS&7)<<1
	case KindRR:
		b = (c.NR&7)<<5 | ctrlRR
	case KindRNR:
		b = (c.NR&7)<<5 | ctrlRNR
	case KindSNRM:
		b = ctrlSNRM
	case KindDISC:
		b = ctrlDISC
	case KindUA:
		b = ctrlUA
	case KindDM:
		b = ctrlDM
	case KindFRMR:
		b = ctrlFRMR
	case KindUI:
		b = ctrlUI
	default:
		return 0xFF
	}
	if c.PF {
		b |= ctrlPF
	}
	return b
}

// check reports why c cannot be encoded, or nil.
func (c Control) check() error {
	if c.Byte() == 0xFF {
		return fmt.Errorf("%w: unknown kind %v", ErrBadControl, c.Kind)
	}
	if c.NS > 7 || c.NR > 7 {
		return fmt.Errorf("%w: sequence numbers N(S)=%d N(R)=%d above 7", ErrBadControl, c.NS, c.NR)
	}
	return nil
}

// ParseControl decodes a control byte. REJ, SREJ and the unnumbered
// commands that IEC 62056-46 does not use are errors (ErrBadControl).
func ParseControl(b byte) (Control, error) {
	pf := b&ctrlPF != 0
	switch {
	case b&1 == 0:
		return Control{Kind: KindI, NS: b >> 1 & 7, NR: b >> 5, PF: pf}, nil
	case b&3 == 1:
		switch b & 0x0F {
		case ctrlRR:
			return Control{Kind: KindRR, NR: b >> 5, PF: pf}, nil
		case ctrlRNR:
			return Control{Kind: KindRNR, NR: b >> 5, PF: pf}, nil
		}
	default:
		var k Kind
		switch b &^ ctrlPF {
		case ctrlSNRM:
			k = KindSNRM
		case ctrlDISC:
			k = KindDISC
		case ctrlUA:
			k = KindUA
		case ctrlDM:
			k = KindDM
		case ctrlFRMR:
			k = KindFRMR
		case ctrlUI:
			k = KindUI
		default:
			return Control{}, fmt.Errorf("%w: 0x%02X", ErrBadControl, b)
		}
		return Control{Kind: k, PF: pf}, nil
	}
	return Control{}, fmt.Errorf("%w: 0x%02X", ErrBadControl, b)
}

// String formats c the way a trace shows it, e.g. "I N(S)=1 N(R)=2 P/F",
// "RR N(R)=3" or "SNRM P/F".
func (c Control) String() string {
	var s string
	switch {
	case c.Kind == KindI:
		s = fmt.Sprintf("I N(S)=%d N(R)=%d", c.NS, c.NR)
	case c.Kind.Supervisory():
		s = fmt.Sprintf("%v N(R)=%d", c.Kind, c.NR)
	default:
		s = c.Kind.String()
	}
	if c.PF {
		s += " P/F"
	}
	return s
}
