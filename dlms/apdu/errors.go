package apdu

import (
	"errors"
	"fmt"
)

// Errors wrapped in *Error. A malformed Data value or BER element is
// reported with the *axdr.DecodeError or *ber.Error that found it.
var (
	ErrShort      = errors.New("input ends early")
	ErrUnknownTag = errors.New("unknown APDU tag") // or not the tag a typed parser wants
	ErrChoice     = errors.New("unknown choice")
	ErrValue      = errors.New("unexpected value")
	ErrCiphered   = errors.New("ciphered content") // user-information that must be deciphered first
)

// Error says which APDU and field could not be decoded, where, and why.
// When Err is an *axdr.DecodeError, its own offset counts from the start of
// the field.
type Error struct {
	APDU   string // the APDU being decoded, e.g. "get-response-normal"
	Field  string // the field, e.g. "result", or "" for the APDU itself
	Offset int    // offset of the field in the input
	Err    error
}

func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("apdu: %s at offset %d: %v", e.APDU, e.Offset, e.Err)
	}
	return fmt.Sprintf("apdu: %s: %s at offset %d: %v", e.APDU, e.Field, e.Offset, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// errorf wraps sentinel with a description.
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
}
