package apdu

import (
	"fmt"

	"github.com/openhes/hes/dlms"
)

// DLMSVersion is the DLMS version number of DLMS/COSEM.
const DLMSVersion = 6

// VAANameLN is the vaa-name of an InitiateResponse in an LN association.
const VAANameLN = 0x0007

// InitiateRequest is the xDLMS InitiateRequest that a client sends in the
// user-information of an AARQ.
type InitiateRequest struct {
	DedicatedKey       []byte // nil when absent; a secret, never shown
	ResponseNotAllowed bool   // response-allowed FALSE (its default is TRUE)
	QualityOfService   *int8  // proposed-quality-of-service; nil when absent
	DLMSVersion        uint8  // proposed-dlms-version-number, normally DLMSVersion
	Conformance        Conformance
	MaxReceivePDUSize  uint16 // client-max-receive-pdu-size
}

// InitiateResponse is the xDLMS InitiateResponse that a server sends in the
// user-information of an AARE.
type InitiateResponse struct {
	QualityOfService  *int8 // negotiated-quality-of-service; nil when absent
	DLMSVersion       uint8
	Conformance       Conformance
	MaxReceivePDUSize uint16 // server-max-receive-pdu-size
	VAAName           uint16 // VAANameLN in an LN association
}

// ConfirmedServiceError reports that a confirmed service failed; a server
// sends it in an AARE instead of an InitiateResponse when it refuses the
// InitiateRequest. Its fields are those of dlms.ConfirmedServiceError.
type ConfirmedServiceError struct {
	Service uint8 // the ConfirmedServiceError CHOICE: 1 initiateError, 5 read, 6 write, ...
	Class   uint8 // the ServiceError CHOICE: 6 initiate, ...
	Code    uint8 // the value of the ServiceError, e.g. 1 dlms-version-too-low
}

// Tag implements APDU.
func (*InitiateRequest) Tag() Tag { return TagInitiateRequest }

// Name implements APDU.
func (*InitiateRequest) Name() string { return "initiate-request" }

// Append implements APDU.
func (r *InitiateRequest) Append(dst []byte) []byte {
	dst = append(dst, byte(TagInitiateRequest))
	if r.DedicatedKey == nil {
		dst = append(dst, 0)
	} else {
		dst = append(dst, 1)
		dst = appendOctets(dst, r.DedicatedKey)
	}
	if r.ResponseNotAllowed {
		dst = append(dst, 1, 0)
	} else {
		dst = append(dst, 0)
	}
	dst = appendQoS(dst, r.QualityOfService)
	dst = append(dst, r.DLMSVersion)
	dst = appendConformance(dst, r.Conformance)
	return append(dst, byte(r.MaxReceivePDUSize>>8), byte(r.MaxReceivePDUSize))
}

// Fields implements APDU.
func (r *InitiateRequest) Fields() []Field {
	return []Field{
		secretField("dedicated-key", r.DedicatedKey),
		boolField("response-allowed", !r.ResponseNotAllowed),
		qosField("proposed-quality-of-service", r.QualityOfService),
		uintField("proposed-dlms-version-number", uint64(r.DLMSVersion)),
		field("proposed-conformance", r.Conformance.String()),
		uintField("client-max-receive-pdu-size", uint64(r.MaxReceivePDUSize)),
	}
}

// ParseInitiateRequest decodes an InitiateRequest. The DEFAULT
// response-allowed explicitly encoded as TRUE (01 01) is accepted and
// re-encodes canonically (00).
func ParseInitiateRequest(b []byte) (*InitiateRequest, error) {
	return parse(decodeInitiateRequest, b)
}

func decodeInitiateRequest(b []byte) (*InitiateRequest, int, error) {
	d := decoder{b: b, name: "initiate-request"}
	d.checkTag(TagInitiateRequest)
	r := &InitiateRequest{}
	if d.optional("dedicated-key") {
		r.DedicatedKey = d.octets("dedicated-key")
	}
	if d.optional("response-allowed") {
		r.ResponseNotAllowed = !d.boolean("response-allowed")
	}
	r.QualityOfService = d.qos("proposed-quality-of-service")
	r.DLMSVersion = d.u8("proposed-dlms-version-number")
	r.Conformance = d.conformance("proposed-conformance")
	r.MaxReceivePDUSize = d.u16("client-max-receive-pdu-size")
	return finish(&d, r)
}

// Tag implements APDU.
func (*InitiateResponse) Tag() Tag { return TagInitiateResponse }

// Name implements APDU.
func (*InitiateResponse) Name() string { return "initiate-response" }

// Append implements APDU.
func (r *InitiateResponse) Append(dst []byte) []byte {
	dst = append(dst, byte(TagInitiateResponse))
	dst = appendQoS(dst, r.QualityOfService)
	dst = append(dst, r.DLMSVersion)
	dst = appendConformance(dst, r.Conformance)
	return append(dst, byte(r.MaxReceivePDUSize>>8), byte(r.MaxReceivePDUSize), byte(r.VAAName>>8), byte(r.VAAName))
}

// Fields implements APDU.
func (r *InitiateResponse) Fields() []Field {
	return []Field{
		qosField("negotiated-quality-of-service", r.QualityOfService),
		uintField("negotiated-dlms-version-number", uint64(r.DLMSVersion)),
		field("negotiated-conformance", r.Conformance.String()),
		uintField("server-max-receive-pdu-size", uint64(r.MaxReceivePDUSize)),
		field("vaa-name", fmt.Sprintf("0x%04X", r.VAAName)),
	}
}

// ParseInitiateResponse decodes an InitiateResponse.
func ParseInitiateResponse(b []byte) (*InitiateResponse, error) {
	return parse(decodeInitiateResponse, b)
}

func decodeInitiateResponse(b []byte) (*InitiateResponse, int, error) {
	d := decoder{b: b, name: "initiate-response"}
	d.checkTag(TagInitiateResponse)
	r := &InitiateResponse{}
	r.QualityOfService = d.qos("negotiated-quality-of-service")
	r.DLMSVersion = d.u8("negotiated-dlms-version-number")
	r.Conformance = d.conformance("negotiated-conformance")
	r.MaxReceivePDUSize = d.u16("server-max-receive-pdu-size")
	r.VAAName = d.u16("vaa-name")
	return finish(&d, r)
}

func appendQoS(dst []byte, q *int8) []byte {
	if q == nil {
		return append(dst, 0)
	}
	return append(dst, 1, byte(*q))
}

func (d *decoder) qos(field string) *int8 {
	if !d.optional(field) {
		return nil
	}
	q := int8(d.u8(field))
	return &q
}

func qosField(name string, q *int8) Field {
	if q == nil {
		return field(name, "absent")
	}
	return intField(name, int64(*q))
}

// Tag implements APDU.
func (*ConfirmedServiceError) Tag() Tag { return TagConfirmedServiceError }

// Name implements APDU.
func (*ConfirmedServiceError) Name() string { return "confirmed-service-error" }

// Append implements APDU.
func (e *ConfirmedServiceError) Append(dst []byte) []byte {
	return append(dst, byte(TagConfirmedServiceError), e.Service, e.Class, e.Code)
}

// Fields implements APDU.
func (e *ConfirmedServiceError) Fields() []Field {
	return []Field{
		uintField("confirmed-service-error", uint64(e.Service)),
		uintField("service-error", uint64(e.Class)),
		uintField("value", uint64(e.Code)),
	}
}

// Err returns the error as a *dlms.ConfirmedServiceError.
func (e *ConfirmedServiceError) Err() error {
	return &dlms.ConfirmedServiceError{Service: e.Service, Class: e.Class, Code: e.Code}
}

func decodeConfirmedServiceError(b []byte) (*ConfirmedServiceError, int, error) {
	d := decoder{b: b, name: "confirmed-service-error"}
	d.checkTag(TagConfirmedServiceError)
	e := &ConfirmedServiceError{
		Service: d.u8("confirmed-service-error"),
		Class:   d.u8("service-error"),
		Code:    d.u8("value"),
	}
	return finish(&d, e)
}

// ParseUserInformation decodes the xDLMS APDU carried in the
// user-information of an AARQ, AARE, RLRQ or RLRE: an InitiateRequest, an
// InitiateResponse, a ConfirmedServiceError, or, in a ciphered
// association, a *Ciphered one.
func ParseUserInformation(b []byte) (APDU, error) {
	if len(b) == 0 {
		return nil, &Error{APDU: "user-information", Err: ErrShort}
	}
	switch t := Tag(b[0]); t {
	case TagInitiateRequest, TagInitiateResponse, TagConfirmedServiceError,
		TagGloInitiateRequest, TagGloInitiateResponse, TagGloConfirmedServiceError,
		TagDedInitiateRequest, TagDedInitiateResponse, TagDedConfirmedServiceError:
		return Parse(b)
	default:
		return nil, &Error{APDU: "user-information", Err: errorf(ErrUnknownTag, "%v", t)}
	}
}
