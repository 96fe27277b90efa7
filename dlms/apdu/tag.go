package apdu

import "fmt"

// Tag is the first byte of an APDU, which says what it is.
type Tag uint8

// The APDU tags of IEC 62056-5-3 that this package knows.
const (
	TagInitiateRequest       Tag = 0x01
	TagInitiateResponse      Tag = 0x08
	TagConfirmedServiceError Tag = 0x0E
	TagDataNotification      Tag = 0x0F

	TagAARQ Tag = 0x60
	TagAARE Tag = 0x61
	TagRLRQ Tag = 0x62
	TagRLRE Tag = 0x63

	TagGetRequest               Tag = 0xC0
	TagSetRequest               Tag = 0xC1
	TagEventNotificationRequest Tag = 0xC2
	TagActionRequest            Tag = 0xC3
	TagGetResponse              Tag = 0xC4
	TagSetResponse              Tag = 0xC5
	TagActionResponse           Tag = 0xC7
	TagExceptionResponse        Tag = 0xD8

	// Ciphered APDUs: see Ciphered.
	TagGloInitiateRequest          Tag = 0x21
	TagGloInitiateResponse         Tag = 0x28
	TagGloConfirmedServiceError    Tag = 0x2E
	TagDedInitiateRequest          Tag = 0x41
	TagDedInitiateResponse         Tag = 0x48
	TagDedConfirmedServiceError    Tag = 0x4E
	TagGloGetRequest               Tag = 0xC8
	TagGloSetRequest               Tag = 0xC9
	TagGloEventNotificationRequest Tag = 0xCA
	TagGloActionRequest            Tag = 0xCB
	TagGloGetResponse              Tag = 0xCC
	TagGloSetResponse              Tag = 0xCD
	TagGloActionResponse           Tag = 0xCF
	TagDedGetRequest               Tag = 0xD0
	TagDedSetRequest               Tag = 0xD1
	TagDedEventNotificationRequest Tag = 0xD2
	TagDedActionRequest            Tag = 0xD3
	TagDedGetResponse              Tag = 0xD4
	TagDedSetResponse              Tag = 0xD5
	TagDedActionResponse           Tag = 0xD7
	TagGeneralGloCiphering         Tag = 0xDB
	TagGeneralDedCiphering         Tag = 0xDC
	TagGeneralCiphering            Tag = 0xDD
)

var tagNames = [256]string{
	TagInitiateRequest: "initiate-request", TagInitiateResponse: "initiate-response",
	TagConfirmedServiceError: "confirmed-service-error", TagDataNotification: "data-notification",
	TagAARQ: "AARQ", TagAARE: "AARE", TagRLRQ: "RLRQ", TagRLRE: "RLRE",
	TagGetRequest: "get-request", TagSetRequest: "set-request",
	TagEventNotificationRequest: "event-notification-request", TagActionRequest: "action-request",
	TagGetResponse: "get-response", TagSetResponse: "set-response", TagActionResponse: "action-response",
	TagExceptionResponse: "exception-response",

	TagGloInitiateRequest: "glo-initiate-request", TagGloInitiateResponse: "glo-initiate-response",
	TagGloConfirmedServiceError: "glo-confirmed-service-error",
	TagDedInitiateRequest:       "ded-initiate-request", TagDedInitiateResponse: "ded-initiate-response",
	TagDedConfirmedServiceError: "ded-confirmed-service-error",
	TagGloGetRequest:            "glo-get-request", TagGloSetRequest: "glo-set-request",
	TagGloEventNotificationRequest: "glo-event-notification-request",
	TagGloActionRequest:            "glo-action-request", TagGloGetResponse: "glo-get-response",
	TagGloSetResponse: "glo-set-response", TagGloActionResponse: "glo-action-response",
	TagDedGetRequest: "ded-get-request", TagDedSetRequest: "ded-set-request",
	TagDedEventNotificationRequest: "ded-event-notification-request",
	TagDedActionRequest:            "ded-action-request", TagDedGetResponse: "ded-get-response",
	TagDedSetResponse: "ded-set-response", TagDedActionResponse: "ded-action-response",
	TagGeneralGloCiphering: "general-glo-ciphering", TagGeneralDedCiphering: "general-ded-ciphering",
	TagGeneralCiphering: "general-ciphering",
}

// String returns the name the standard gives the APDU, e.g. "get-request",
// or "apdu(0x99)" for an unknown tag.
func (t Tag) String() string {
	if s := tagNames[t]; s != "" {
		return s
	}
	return fmt.Sprintf("apdu(0x%02X)", uint8(t))
}

// Known reports whether this package decodes APDUs with tag t.
func (t Tag) Known() bool { return tagNames[t] != "" }

// Ciphered reports whether t is the tag of a ciphered APDU (see Ciphered).
func (t Tag) Ciphered() bool {
	switch t {
	case TagGloInitiateRequest, TagGloInitiateResponse, TagGloConfirmedServiceError,
		TagDedInitiateRequest, TagDedInitiateResponse, TagDedConfirmedServiceError,
		TagGeneralGloCiphering, TagGeneralDedCiphering, TagGeneralCiphering:
		return true
	}
	return t >= TagGloGetRequest && t <= TagDedActionResponse && t != 0xCE && t != 0xD6
}
