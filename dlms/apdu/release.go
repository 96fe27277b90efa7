package apdu

import (
	"fmt"

	"github.com/openhes/hes/dlms/ber"
)

// ReleaseRequestReason is the reason of an RLRQ.
type ReleaseRequestReason uint8

// Release request reasons.
const (
	ReleaseRequestNormal      ReleaseRequestReason = 0
	ReleaseRequestUrgent      ReleaseRequestReason = 1
	ReleaseRequestUserDefined ReleaseRequestReason = 30
)

// String returns e.g. "normal".
func (r ReleaseRequestReason) String() string {
	switch r {
	case ReleaseRequestNormal:
		return "normal"
	case ReleaseRequestUrgent:
		return "urgent"
	case ReleaseRequestUserDefined:
		return "user-defined"
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// ReleaseResponseReason is the reason of an RLRE.
type ReleaseResponseReason uint8

// Release response reasons.
const (
	ReleaseResponseNormal      ReleaseResponseReason = 0
	ReleaseResponseNotFinished ReleaseResponseReason = 1
	ReleaseResponseUserDefined ReleaseResponseReason = 30
)

// String returns e.g. "not-finished".
func (r ReleaseResponseReason) String() string {
	switch r {
	case ReleaseResponseNormal:
		return "normal"
	case ReleaseResponseNotFinished:
		return "not-finished"
	case ReleaseResponseUserDefined:
		return "user-defined"
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// RLRQ is the A-RELEASE request. Reason and UserInformation are absent when
// nil; a ciphered association sends a ciphered InitiateRequest in the
// user-information.
type RLRQ struct {
	Reason          *ReleaseRequestReason // reason [0]
	UserInformation []byte                // user-information [30]
}

// RLRE is the A-RELEASE response.
type RLRE struct {
	Reason          *ReleaseResponseReason // reason [0]
	UserInformation []byte                 // user-information [30]
}

// Tag implements APDU.
func (*RLRQ) Tag() Tag { return TagRLRQ }

// Name implements APDU.
func (*RLRQ) Name() string { return "RLRQ" }

// Append implements APDU.
func (r *RLRQ) Append(dst []byte) []byte {
	return appendRelease(dst, TagRLRQ, (*uint8)(r.Reason), r.UserInformation)
}

// Fields implements APDU.
func (r *RLRQ) Fields() []Field {
	var f []Field
	if r.Reason != nil {
		f = append(f, field("reason", fmt.Sprintf("%d (%v)", *r.Reason, *r.Reason)))
	}
	if r.UserInformation != nil {
		f = append(f, userInformationField(r.UserInformation))
	}
	return f
}

// ParseRLRQ decodes an RLRQ.
func ParseRLRQ(b []byte) (*RLRQ, error) { return parse(decodeRLRQ, b) }

func decodeRLRQ(b []byte) (*RLRQ, int, error) {
	reason, ui, n, err := decodeRelease(b, TagRLRQ)
	if err != nil {
		return nil, 0, err
	}
	return &RLRQ{Reason: (*ReleaseRequestReason)(reason), UserInformation: ui}, n, nil
}

// Tag implements APDU.
func (*RLRE) Tag() Tag { return TagRLRE }

// Name implements APDU.
func (*RLRE) Name() string { return "RLRE" }

// Append implements APDU.
func (r *RLRE) Append(dst []byte) []byte {
	return appendRelease(dst, TagRLRE, (*uint8)(r.Reason), r.UserInformation)
}

// Fields implements APDU.
func (r *RLRE) Fields() []Field {
	var f []Field
	if r.Reason != nil {
		f = append(f, field("reason", fmt.Sprintf("%d (%v)", *r.Reason, *r.Reason)))
	}
	if r.UserInformation != nil {
		f = append(f, userInformationField(r.UserInformation))
	}
	return f
}

// ParseRLRE decodes an RLRE.
func ParseRLRE(b []byte) (*RLRE, error) { return parse(decodeRLRE, b) }

func decodeRLRE(b []byte) (*RLRE, int, error) {
	reason, ui, n, err := decodeRelease(b, TagRLRE)
	if err != nil {
		return nil, 0, err
	}
	return &RLRE{Reason: (*ReleaseResponseReason)(reason), UserInformation: ui}, n, nil
}

func appendRelease(dst []byte, t Tag, reason *uint8, ui []byte) []byte {
	b := ber.NewBuilder(dst)
	m := b.Open(ber.Tag(t))
	if reason != nil {
		b.AddInt(berReason, int64(*reason))
	}
	addOptionalOctets(&b, berUserInformation, ber.TagOctetString, ui)
	b.Close(m)
	return b.Bytes()
}

func decodeRelease(b []byte, t Tag) (reason *uint8, ui []byte, n int, err error) {
	d := acseDecoder{name: t.String()}
	c, n := d.open(b, t)
	d.components(c, func(tag ber.Tag, off int, e ber.Reader) {
		switch tag {
		case berReason:
			v, err := ber.ParseInt(e.Rest())
			if err == nil && (v < 0 || v > 255) {
				err = errorf(ErrValue, "%d", v)
			}
			if err != nil {
				d.fail("reason", off, err)
				return
			}
			r := uint8(v)
			reason = &r
		case berUserInformation:
			ui = d.userInformation(e)
		}
	})
	if d.err != nil {
		return nil, nil, 0, d.err
	}
	return reason, ui, n, nil
}
