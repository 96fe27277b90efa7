package apdu

import "strings"

// Conformance is the xDLMS conformance block: the 24-bit BIT STRING
// [APPLICATION 31] by which client and server agree on the services of an
// association. Bit n of the standard (bit 0 is the first and most
// significant) is 1<<(23-n) here.
type Conformance uint32

// The conformance bits of IEC 62056-5-3.
const (
	ConformanceReservedZero                Conformance = 1 << (23 - 0)
	ConformanceGeneralProtection           Conformance = 1 << (23 - 1)
	ConformanceGeneralBlockTransfer        Conformance = 1 << (23 - 2)
	ConformanceRead                        Conformance = 1 << (23 - 3)
	ConformanceWrite                       Conformance = 1 << (23 - 4)
	ConformanceUnconfirmedWrite            Conformance = 1 << (23 - 5)
	ConformanceDeltaValueEncoding          Conformance = 1 << (23 - 6)
	ConformanceReservedSeven               Conformance = 1 << (23 - 7)
	ConformanceAttribute0SupportedWithSet  Conformance = 1 << (23 - 8)
	ConformancePriorityMgmtSupported       Conformance = 1 << (23 - 9)
	ConformanceAttribute0SupportedWithGet  Conformance = 1 << (23 - 10)
	ConformanceBlockTransferWithGetOrRead  Conformance = 1 << (23 - 11)
	ConformanceBlockTransferWithSetOrWrite Conformance = 1 << (23 - 12)
	ConformanceBlockTransferWithAction     Conformance = 1 << (23 - 13)
	ConformanceMultipleReferences          Conformance = 1 << (23 - 14)
	ConformanceInformationReport           Conformance = 1 << (23 - 15)
	ConformanceDataNotification            Conformance = 1 << (23 - 16)
	ConformanceAccess                      Conformance = 1 << (23 - 17)
	ConformanceParameterizedAccess         Conformance = 1 << (23 - 18)
	ConformanceGet                         Conformance = 1 << (23 - 19)
	ConformanceSet                         Conformance = 1 << (23 - 20)
	ConformanceSelectiveAccess             Conformance = 1 << (23 - 21)
	ConformanceEventNotification           Conformance = 1 << (23 - 22)
	ConformanceAction                      Conformance = 1 // bit 23
)

var conformanceNames = [24]string{
	"reserved-zero", "general-protection", "general-block-transfer", "read", "write",
	"unconfirmed-write", "delta-value-encoding", "reserved-seven", "attribute0-supported-with-set",
	"priority-mgmt-supported", "attribute0-supported-with-get", "block-transfer-with-get-or-read",
	"block-transfer-with-set-or-write", "block-transfer-with-action", "multiple-references",
	"information-report", "data-notification", "access", "parameterized-access", "get", "set",
	"selective-access", "event-notification", "action",
}

// Names returns the names of the bits set, in bit order.
func (c Conformance) Names() []string {
	var names []string
	for n, name := range conformanceNames {
		if c&(1<<(23-n)) != 0 {
			names = append(names, name)
		}
	}
	return names
}

// String returns the block in hex and the names of its bits, e.g.
// "0x001E1D (block-transfer-with-get-or-read, ..., action)".
func (c Conformance) String() string {
	var b strings.Builder
	const digits = "0123456789ABCDEF"
	b.WriteString("0x")
	for i := 20; i >= 0; i -= 4 {
		b.WriteByte(digits[c>>i&0xF])
	}
	if names := c.Names(); len(names) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(names, ", "))
		b.WriteByte(')')
	}
	return b.String()
}

// appendConformance appends the BER encoding of the block: 5F 1F 04 00
// followed by the 24 bits.
func appendConformance(dst []byte, c Conformance) []byte {
	return append(dst, 0x5F, 0x1F, 0x04, 0x00, byte(c>>16), byte(c>>8), byte(c))
}

// conformance reads the conformance block. The length and the unused-bits
// count are read leniently: any BER length form, and a contents of four
// bytes whatever the unused-bits byte says.
func (d *decoder) conformance(field string) Conformance {
	tag := d.take(field, 2)
	if d.err != nil {
		return 0
	}
	if tag[0] != 0x5F || tag[1] != 0x1F {
		d.pos -= 2
		d.fail(field, errorf(ErrValue, "tag %02X%02X, want 5F1F ([APPLICATION 31])", tag[0], tag[1]))
		return 0
	}
	start := d.pos
	n := d.length(field)
	if d.err == nil && n != 4 {
		d.pos = start
		d.fail(field, errorf(ErrValue, "contents of %d bytes, want 4", n))
		return 0
	}
	p := d.take(field, 4)
	if d.err != nil {
		return 0
	}
	return Conformance(p[1])<<16 | Conformance(p[2])<<8 | Conformance(p[3])
}
