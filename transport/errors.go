package transport

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/openhes/hes/dlms/hdlc"
)

// Framing is the link framing of a stream.
type Framing uint8

// The two framings.
const (
	FramingHDLC    Framing = iota + 1 // IEC 62056-46
	FramingWrapper                    // IEC 62056-47
)

// String returns "hdlc" or "wrapper".
func (f Framing) String() string {
	switch f {
	case FramingHDLC:
		return "hdlc"
	case FramingWrapper:
		return "wrapper"
	}
	return fmt.Sprintf("framing(%d)", uint8(f))
}

// Peer names the two ends of a link.
type Peer struct {
	Framing Framing
	// Client is the client SAP: the HDLC client address or the wrapper
	// source wPort of the client.
	Client uint16
	// Logical is the server's logical device: the upper HDLC address or
	// the wrapper wPort of the server.
	Logical uint16
	// Physical is the lower HDLC address (the physical device); 0 with
	// one-byte HDLC addresses and with the wrapper.
	Physical uint16
	// AddressSize is the size of the HDLC server address on the wire: 1,
	// 2 or 4 bytes (0 with the wrapper).
	AddressSize int
}

// String formats the link, e.g. "hdlc 16->1/17" or "wrapper 16->1".
func (p Peer) String() string {
	if p.Framing == FramingHDLC {
		return fmt.Sprintf("%v %d->%v", p.Framing, p.Client, p.serverAddress())
	}
	return fmt.Sprintf("%v %d->%d", p.Framing, p.Client, p.Logical)
}

// serverAddress returns the HDLC address of the server.
func (p Peer) serverAddress() hdlc.Address {
	return hdlc.Address{Upper: p.Logical, Lower: p.Physical, Size: p.AddressSize}
}

// Step is what a link was doing when it failed.
type Step uint8

// The steps of a link.
const (
	StepConnect  Step = iota + 1 // HDLC SNRM/UA
	StepExchange                 // a request and its response
	StepSend                     // a request, or a one-way APDU
	StepReceive                  // a response, or an unsolicited APDU
	StepRelease                  // HDLC DISC/UA
)

var stepNames = [...]string{
	StepConnect: "connect (SNRM)", StepExchange: "exchange", StepSend: "send",
	StepReceive: "receive", StepRelease: "release (DISC)",
}

// String names the step, e.g. "connect (SNRM)".
func (s Step) String() string {
	if int(s) < len(stepNames) && stepNames[s] != "" {
		return stepNames[s]
	}
	return fmt.Sprintf("step(%d)", uint8(s))
}

// Errors of the links.
var (
	// ErrClosed is returned by a link used after Close.
	ErrClosed = errors.New("transport: link closed")
	// ErrInterrupted is returned by a link whose previous exchange was cut
	// short (time-out, cancelled context, I/O error) while the peer may
	// still answer it: disconnect or close it.
	ErrInterrupted = errors.New("transport: link unusable after an interrupted exchange")
	// ErrUnknownFraming ends a server stream whose first bytes are
	// neither an HDLC flag nor a wrapper version.
	ErrUnknownFraming = errors.New("transport: first bytes are neither HDLC nor wrapper")
	// ErrInactivity ends a server stream on which nothing arrived for the
	// inactivity time-out.
	ErrInactivity = errors.New("transport: inactivity time-out")
)

// LinkError is the error of a link step: which step, on which link, after
// how many tries, and why.
type LinkError struct {
	Step Step
	Peer Peer
	// Tries is how many times the last frame went out without an answer
	// when the step failed for silence (the first transmission and the
	// retransmissions), and Wait the time-out of each; both zero
	// otherwise.
	Tries int
	Wait  time.Duration
	// Skipped counts the invalid frames or stray bytes (bad FCS or HCS,
	// garbage) dropped during the step.
	Skipped int
	// Err is the cause: hdlc.ErrRetryLimit, hdlc.ErrDisconnectedMode, a
	// *hdlc.FrameRejectError, a context error, an I/O error ...
	Err error
}

func (e *LinkError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v: %v", e.Peer, e.Step)
	if e.Tries > 0 {
		fmt.Fprintf(&b, ": no answer after %d tries of %v", e.Tries, e.Wait)
	}
	if e.Skipped > 0 {
		fmt.Fprintf(&b, " (%d invalid frames skipped)", e.Skipped)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *LinkError) Unwrap() error { return e.Err }

// Is makes a link that gave up after its retries match
// os.ErrDeadlineExceeded.
func (e *LinkError) Is(target error) bool {
	return target == os.ErrDeadlineExceeded && errors.Is(e.Err, hdlc.ErrRetryLimit)
}

// Timeout reports whether the step failed for lack of an answer in time,
// whether the retries ran out or the caller's deadline passed.
func (e *LinkError) Timeout() bool {
	return errors.Is(e, os.ErrDeadlineExceeded) || errors.Is(e.Err, context.DeadlineExceeded)
}
