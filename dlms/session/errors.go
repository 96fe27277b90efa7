package session

import (
	"errors"
	"fmt"
)

// Sentinel errors, each usable with errors.Is. Security failures wrap the
// errors of the security package instead: security.ErrAuthentication (a
// tag or an HLS answer that does not verify), security.ErrReplay (an
// invocation counter that does not increase), security.ErrDecipher,
// security.ErrPolicy (a plain APDU where a ciphered one is required) and
// security.ErrSystemTitle. The results of the peer are the types of the
// dlms package: *dlms.ExceptionError, *dlms.ConfirmedServiceError,
// dlms.DataAccessResult and dlms.ActionResult; a rejected association is
// an *apdu.AssociationError.
var (
	// ErrConfig means that a ClientConfig or ServerConfig is not usable.
	ErrConfig = errors.New("invalid configuration")
	// ErrState means that a method was called in a state that does not
	// allow it, e.g. Get before the association is open.
	ErrState = errors.New("not allowed in this state")
	// ErrUnexpected means that the peer sent an APDU that does not answer
	// what was asked, or that breaks the protocol.
	ErrUnexpected = errors.New("unexpected APDU")
	// ErrStaleInvokeID is matched by every *InvokeIDError.
	ErrStaleInvokeID = errors.New("response to another invoke id")
	// ErrUnsolicited means that an APDU arrived that nobody asked for, such
	// as a data-notification in the middle of a call. It is discarded.
	ErrUnsolicited = errors.New("unsolicited APDU")
	// ErrPDUTooLong is matched by every *PDUSizeError.
	ErrPDUTooLong = errors.New("APDU exceeds the maximum PDU size")
	// ErrBlock is matched by every *BlockError.
	ErrBlock = errors.New("block transfer error")
	// ErrCanceled is the error of a call abandoned with Cancel or Reset.
	ErrCanceled = errors.New("call canceled")
)

// InvokeIDError reports a response whose invoke id is not the one of the
// call in progress: the answer to an earlier request that came late. The
// client discards it and keeps waiting.
type InvokeIDError struct {
	Want, Got uint8
}

func (e *InvokeIDError) Error() string {
	return fmt.Sprintf("session: response with invoke id %d, want %d", e.Got, e.Want)
}

// Is reports whether target is ErrStaleInvokeID.
func (e *InvokeIDError) Is(target error) bool { return target == ErrStaleInvokeID }

// PDUSizeError reports an APDU that does not fit in the negotiated maximum
// PDU size and that the service cannot split into blocks.
type PDUSizeError struct {
	APDU string // e.g. "get-request-with-list"
	Size int    // its size, ciphered if the association is
	Max  int    // the negotiated maximum
}

func (e *PDUSizeError) Error() string {
	return fmt.Sprintf("session: %s of %d bytes exceeds the maximum PDU size %d", e.APDU, e.Size, e.Max)
}

// Is reports whether target is ErrPDUTooLong.
func (e *PDUSizeError) Is(target error) bool { return target == ErrPDUTooLong }

// BlockError reports a block transfer that went wrong: a block out of
// sequence, or a transfer larger than the configured limit.
type BlockError struct {
	APDU   string // the APDU that carried the block
	Want   uint32 // the block number expected
	Got    uint32 // the block number received
	Reason string // set instead of Want and Got for other failures
}

func (e *BlockError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("session: %s: %s", e.APDU, e.Reason)
	}
	return fmt.Sprintf("session: %s: block number %d, want %d", e.APDU, e.Got, e.Want)
}

// Is reports whether target is ErrBlock.
func (e *BlockError) Is(target error) bool { return target == ErrBlock }

// stateError reports a method called in the wrong state.
func stateError(op string, s State) error {
	return fmt.Errorf("session: %s: %w: %v", op, ErrState, s)
}

// unexpected reports an APDU that does not fit the step in progress.
func unexpected(what string, args ...any) error {
	return fmt.Errorf("session: %w: %s", ErrUnexpected, fmt.Sprintf(what, args...))
}
