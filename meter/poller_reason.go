package meter

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/dlms/session"
)

// Reason is why a meter read or a command failed, as a small set of
// values that summaries and metrics count by. ReasonOf derives it from an
// error.
type Reason string

// The failure reasons. The empty Reason means no failure.
const (
	// ReasonTimeout: the meter or the link did not answer in time.
	ReasonTimeout Reason = "timeout"
	// ReasonLink: the link could not be opened or broke (connection
	// refused, closed, reset).
	ReasonLink Reason = "link"
	// ReasonAssociation: the meter refused the association (AARE
	// rejected).
	ReasonAssociation Reason = "association_refused"
	// ReasonAuthentication: an HLS answer or an authentication tag did
	// not verify: wrong keys, or a system title that is not the meter's.
	ReasonAuthentication Reason = "authentication"
	// ReasonDeciphering: a ciphered APDU did not decipher, or the
	// security policy was not met.
	ReasonDeciphering Reason = "deciphering"
	// ReasonReplay: the meter sent an invocation counter that does not
	// increase.
	ReasonReplay Reason = "replay"
	// ReasonData: the meter answered, but not what was needed: an access
	// denied, an object it does not have, a value of the wrong type, an
	// exception, an APDU out of protocol.
	ReasonData Reason = "data"
	// ReasonNotConfirmed: a command was sent but reading the object back
	// did not show its effect.
	ReasonNotConfirmed Reason = "not_confirmed"
	// ReasonRefused: the head-end refused to send a command (a control
	// mode that would close the breaker remotely, an object the meter's
	// profile lacks, keys that are not staged): retrying cannot help.
	ReasonRefused Reason = "refused"
	// ReasonNotReached: the window closed before the meter got a turn.
	ReasonNotReached Reason = "not_reached"
	// ReasonOther: anything else (a missing key, a storage error …).
	ReasonOther Reason = "other"
)

// Reasons lists every failure reason, for metrics that declare their
// label values up front.
var Reasons = []Reason{
	ReasonTimeout, ReasonLink, ReasonAssociation, ReasonAuthentication, ReasonDeciphering,
	ReasonReplay, ReasonData, ReasonNotConfirmed, ReasonRefused, ReasonNotReached, ReasonOther,
}

// ErrLink is wrapped by the errors of the links that Sessions opens: a
// failed Dial, a failed exchange. The link's own error stays reachable
// with errors.Is and errors.As.
var ErrLink = errors.New("link failure")

// linkError marks an error of a link (Dial or Exchange) as ErrLink.
type linkError struct{ err error }

func (e *linkError) Error() string        { return e.err.Error() }
func (e *linkError) Unwrap() error        { return e.err }
func (e *linkError) Is(target error) bool { return target == ErrLink }

// timeouter is implemented by the errors of links and of package net that
// know whether they are a time-out.
type timeouter interface{ Timeout() bool }

// ReasonOf classifies err; it returns "" for nil. The order matters: a
// security failure is reported as such even when it ended the link, and a
// time-out as a time-out even when it came through the link.
func ReasonOf(err error) Reason {
	if err == nil {
		return ""
	}
	var (
		assoc *apdu.AssociationError
		to    timeouter
		dar   dlms.DataAccessResult
		ar    dlms.ActionResult
		exc   *dlms.ExceptionError
		cse   *dlms.ConfirmedServiceError
	)
	switch {
	case errors.Is(err, ErrRemoteClose), errors.Is(err, ErrUnsupported), errors.Is(err, ErrNoPendingKeys):
		return ReasonRefused
	case errors.Is(err, ErrNotConfirmed):
		return ReasonNotConfirmed
	case errors.Is(err, security.ErrReplay):
		return ReasonReplay
	case errors.Is(err, security.ErrAuthentication), errors.Is(err, security.ErrSystemTitle), errors.Is(err, security.ErrChallenge):
		return ReasonAuthentication
	case errors.Is(err, security.ErrDecipher), errors.Is(err, security.ErrMalformed), errors.Is(err, security.ErrPolicy):
		return ReasonDeciphering
	case errors.As(err, &assoc):
		return ReasonAssociation
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &to) && to.Timeout():
		return ReasonTimeout
	case errors.Is(err, ErrLink), errors.Is(err, ErrClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ReasonLink
	case errors.Is(err, ErrValue), errors.As(err, &dar), errors.As(err, &ar), errors.As(err, &exc), errors.As(err, &cse),
		errors.Is(err, session.ErrUnexpected), errors.Is(err, session.ErrBlock), errors.Is(err, session.ErrPDUTooLong),
		errors.Is(err, session.ErrStaleInvokeID):
		return ReasonData
	}
	return ReasonOther
}
