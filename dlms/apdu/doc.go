// Package apdu encodes and decodes the application protocol data units of
// DLMS/COSEM (IEC 62056-5-3): the ACSE APDUs that open and close an
// association (AARQ, AARE, RLRQ, RLRE, in BER), and the xDLMS APDUs (in
// A-XDR): the InitiateRequest and InitiateResponse carried in their
// user-information, GET, SET and ACTION requests and responses in every
// variant, the exception-response and confirmed-service-error, and the
// data-notification and event-notification-request that servers push.
// Ciphered APDUs are recognised and their security header parsed (Ciphered);
// deciphering them is the job of dlms/security.
//
// To add an APDU:
//
//  1. If its tag is new, add the constant and its name in tag.go.
//  2. Declare its type in the file of its family (get.go, set.go, ...) or a
//     new file: fields in wire order, each with the standard's name in its
//     doc comment; a pointer for an OPTIONAL scalar, a nil slice for an
//     absent OPTIONAL octet string.
//  3. Implement APDU: Tag; Name, the standard's name of the variant;
//     Append, which appends to dst without allocating (the helpers of
//     descriptor.go for A-XDR, a ber.Builder for BER); Fields, in wire
//     order, secrets through secretField.
//  4. Write decodeX(b []byte) (*X, int, error): a decoder (A-XDR) or an
//     acseDecoder (BER) reads the fields in order, bounds checked, the
//     first error sticking; return finish(&d, x). Dispatch to it from
//     Decode, or from the CHOICE switch of its family, and add a typed
//     ParseX when callers need one.
//  5. Test it: a row with its want-hex in encodeTests (encode_test.go),
//     which also seeds FuzzParse; rows in TestDecodeErrors for its
//     malformed forms; assertions in vector_apdus_test.go when a recorded
//     session carries it.
//
// # Decoding
//
// Parse decodes any APDU and returns it as an APDU interface; switch on its
// concrete type (*GetResponseNormal, *AARE, ...). The typed parsers
// (ParseAARE, ParseGetResponse, ...) accept one kind only; the GET, SET and
// ACTION parsers return the family interface (GetResponse, ...) whose
// concrete types are the variants. Byte slices in decoded APDUs alias the
// input.
//
// Input is read leniently, as meters write it: BER and A-XDR lengths in any
// definite form, BOOLEANs and presence flags other than 0 and 1, DEFAULT
// values written out, ACSE components that DLMS/COSEM does not use. An
// xDLMS APDU has no length of its own and some servers send bytes after it:
// Parse ignores them and Decode says where the APDU ended. Failures are
// *Error values naming the APDU, the field and its offset, and wrapping
// ErrShort, ErrUnknownTag, ErrChoice or ErrValue, or the *axdr.DecodeError
// or *ber.Error that found the fault. No secret appears in an error.
//
// # Encoding
//
// Append writes the canonical encoding: shortest lengths, DEFAULT values
// omitted, 0 and 1 for BOOLEANs and presence flags. A decoded APDU re-encodes
// to its input when the input was canonical. Encoding into a buffer with
// room to spare does not allocate.
//
// # Display
//
// Fields returns the fields of an APDU with the standard's names, in wire
// order, nested for descriptors and lists; Format renders them as indented
// text. An LLS password and a dedicated key are shown by length only.
package apdu
