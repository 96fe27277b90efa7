package serial

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/openhes/hes/transport"
)

// DefaultBaud is the rate of a plain HDLC line whose SerialConfig leaves
// Baud at zero.
const DefaultBaud = 9600

// SerialConfig configures an HDLC link on a serial device.
type SerialConfig struct {
	// Baud is the rate of a plain HDLC line, 8N1 (0 means DefaultBaud).
	// An optical probe ignores it: the sign-on picks the rate.
	Baud int
	// Optical runs the IEC 62056-21 mode E sign-on at 300 baud first,
	// tuned by SignOn.
	Optical bool
	SignOn  SignOnOptions
	// HDLC configures the link.
	HDLC transport.HDLCConfig
	// Open opens the device (nil means go.bug.st/serial's Open).
	Open Opener
}

// OpenHDLC opens device, signs on in mode E if cfg.Optical, and connects
// an HDLC link (SNRM/UA). The link owns the port: its Close closes it. On
// error the port is closed.
func OpenHDLC(ctx context.Context, device string, cfg SerialConfig) (*transport.HDLCLink, error) {
	mode := Mode7E1(300)
	if !cfg.Optical {
		baud := cfg.Baud
		if baud <= 0 {
			baud = DefaultBaud
		}
		mode = Mode8N1(baud)
	}
	port, err := Open(device, mode, cfg.Open)
	if err != nil {
		return nil, err
	}
	if cfg.Optical {
		if _, err := SignOn(ctx, port, cfg.SignOn); err != nil {
			port.Close()
			return nil, fmt.Errorf("serial device %s: %w", device, err)
		}
	}
	link, err := transport.NewHDLCClient(port, cfg.HDLC)
	if err != nil {
		port.Close()
		return nil, err
	}
	if err := link.Connect(ctx); err != nil {
		port.Close()
		return nil, err
	}
	return link, nil
}

// deadliner is a stream with read deadlines.
type deadliner interface {
	SetReadDeadline(time.Time) error
}

// interruptible returns rw as a deadliner if its read deadline may be
// moved while a read is blocked: an *os.File in non-blocking mode (the
// master of a pseudo-terminal made so), a net.Conn.
func interruptible(rw io.ReadWriter) (deadliner, bool) {
	switch rw.(type) {
	case *os.File, net.Conn:
		d := rw.(deadliner)
		return d, d.SetReadDeadline(time.Time{}) == nil
	}
	return nil, false
}

// ServeOptical plays the meter's side of an optical port on rw (the master
// of a pseudo-terminal, say): it answers the mode E sign-on with id, then
// serves HDLC with h until the link is released or inactive, and starts
// over, until ctx ends or rw fails. opt.Once is implied. Cancelling ctx
// interrupts a read only if rw has read deadlines (an *os.File in
// non-blocking mode); otherwise close rw to stop.
func ServeOptical(ctx context.Context, rw io.ReadWriter, id Identification, h transport.Handler, opt transport.ServeOptions) error {
	opt.Once = true
	d, hasDeadline := interruptible(rw)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := answerSignOn(ctx, rw, id, d, hasDeadline); err != nil {
			return err
		}
		err := transport.ServeHDLC(ctx, rw, h, opt)
		if err != nil && !errors.Is(err, transport.ErrInactivity) {
			return err
		}
	}
}

// answerSignOn runs AnswerSignOn, interrupted by the end of ctx when rw has
// read deadlines.
func answerSignOn(ctx context.Context, rw io.ReadWriter, id Identification, d deadliner, hasDeadline bool) error {
	if !hasDeadline {
		_, err := AnswerSignOn(rw, id, nil)
		return err
	}
	if err := d.SetReadDeadline(time.Time{}); err != nil {
		return err
	}
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(done)
		d.SetReadDeadline(time.Unix(1, 0))
	})
	_, err := AnswerSignOn(rw, id, nil)
	if !stop() {
		<-done
		return ctx.Err()
	}
	return err
}
