package prepay

import (
	"errors"
	"fmt"
)

// Refusal reasons. A refused request returns a *RefusedError that wraps one
// of these, so callers can test errors.Is(err, ErrAmountOutOfRange) and show
// RefusedError.Reason to the user. Nothing is booked by a refused request.
var (
	// ErrAmountOutOfRange: a recharge below Config.RechargeMin or above
	// Config.RechargeMax, or a threshold out of its range.
	ErrAmountOutOfRange = errors.New("amount out of range")
	// ErrBadReference: a payment reference that is not 13 digits or whose
	// check digit is wrong.
	ErrBadReference = errors.New("malformed reference")
	// ErrUnknownReference: a well-formed reference that matches no account.
	ErrUnknownReference = errors.New("unknown reference")
	// ErrAmbiguousReference: a reference that matches several accounts.
	ErrAmbiguousReference = errors.New("ambiguous reference")
	// ErrNotPrepayment: the account is not in prepayment (deactivated), or
	// not yet active for an operation that needs it.
	ErrNotPrepayment = errors.New("account not in prepayment")
	// ErrUnknownAccount: no account has this EAN.
	ErrUnknownAccount = errors.New("unknown account")
	// ErrInvalid: a request with a missing or malformed field (transaction
	// id, channel, agent, reason, EAN, tariff …).
	ErrInvalid = errors.New("invalid request")
	// ErrConflict: an idempotency key (a recharge's transaction id) already
	// used by a different request, or a state change that the account's
	// state does not allow.
	ErrConflict = errors.New("conflict")
)

// RefusedError is a request refused for a business reason. Reason is one
// line for the user; Err is one of the sentinel errors above.
type RefusedError struct {
	Op     string // "recharge", "adjust", "activate" …
	Reason string
	Err    error
}

// Error returns "prepay: <op> refused: <reason>".
func (e *RefusedError) Error() string {
	return fmt.Sprintf("prepay: %s refused: %s", e.Op, e.Reason)
}

// Unwrap returns the sentinel error.
func (e *RefusedError) Unwrap() error { return e.Err }

func refused(op string, sentinel error, format string, args ...any) error {
	return &RefusedError{Op: op, Reason: fmt.Sprintf(format, args...), Err: sentinel}
}
