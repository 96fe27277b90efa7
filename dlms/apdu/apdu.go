package apdu

// APDU is one decoded application protocol data unit. Every APDU type of
// this package implements it with a pointer receiver.
type APDU interface {
	// Tag returns the first byte of the encoding.
	Tag() Tag
	// Name returns the name of the APDU and its variant as the standard
	// spells it, e.g. "get-request-normal".
	Name() string
	// Append appends the canonical encoding of the APDU to dst.
	Append(dst []byte) []byte
	// Fields returns the fields in wire order, named, for display.
	Fields() []Field
}

// Parse decodes the APDU at the front of b. Bytes after the end of the
// APDU are ignored: an xDLMS APDU carries no length of its own and some
// meters send bytes after it (use Decode to see how many). Byte slices in
// the result alias b.
func Parse(b []byte) (APDU, error) {
	a, _, err := Decode(b)
	return a, err
}

// Decode decodes the APDU at the front of b like Parse and also returns the
// number of bytes it took.
func Decode(b []byte) (APDU, int, error) {
	if len(b) == 0 {
		return nil, 0, &Error{APDU: "apdu", Err: ErrShort}
	}
	t := Tag(b[0])
	switch t {
	case TagAARQ:
		return decodeAs(decodeAARQ, b)
	case TagAARE:
		return decodeAs(decodeAARE, b)
	case TagRLRQ:
		return decodeAs(decodeRLRQ, b)
	case TagRLRE:
		return decodeAs(decodeRLRE, b)
	case TagInitiateRequest:
		return decodeAs(decodeInitiateRequest, b)
	case TagInitiateResponse:
		return decodeAs(decodeInitiateResponse, b)
	case TagConfirmedServiceError:
		return decodeAs(decodeConfirmedServiceError, b)
	case TagGetRequest:
		return decodeAs(decodeGetRequest, b)
	case TagGetResponse:
		return decodeAs(decodeGetResponse, b)
	case TagSetRequest:
		return decodeAs(decodeSetRequest, b)
	case TagSetResponse:
		return decodeAs(decodeSetResponse, b)
	case TagActionRequest:
		return decodeAs(decodeActionRequest, b)
	case TagActionResponse:
		return decodeAs(decodeActionResponse, b)
	case TagExceptionResponse:
		return decodeAs(decodeExceptionResponse, b)
	case TagDataNotification:
		return decodeAs(decodeDataNotification, b)
	case TagEventNotificationRequest:
		return decodeAs(decodeEventNotificationRequest, b)
	}
	if t.Ciphered() {
		return decodeAs(decodeCiphered, b)
	}
	return nil, 0, &Error{APDU: t.String(), Err: ErrUnknownTag}
}

// decodeAs turns the typed result of a decoder into an APDU, keeping a nil
// interface on error.
func decodeAs[T APDU](f func([]byte) (T, int, error), b []byte) (APDU, int, error) {
	a, n, err := f(b)
	if err != nil {
		return nil, 0, err
	}
	return a, n, nil
}

// parse is the body of the typed Parse functions.
func parse[T any](f func([]byte) (T, int, error), b []byte) (T, error) {
	a, _, err := f(b)
	return a, err
}

// checkTag fails d unless the APDU starts with tag t.
func (d *decoder) checkTag(t Tag) {
	if len(d.b) == 0 {
		d.fail("", ErrShort)
		return
	}
	if got := Tag(d.b[0]); got != t {
		d.fail("", errorf(ErrUnknownTag, "%v, want %v", got, t))
		return
	}
	d.pos = 1
}

// finish returns the result of a decoder.
func finish[T any](d *decoder, a T) (T, int, error) {
	if d.err != nil {
		var zero T
		return zero, 0, d.err
	}
	return a, d.pos, nil
}
