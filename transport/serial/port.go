// Package serial carries DLMS over a serial line: a plain RS-232/RS-485
// link, or an optical probe (IEC 62056-21) that is first signed on in mode E
// at 300 baud and then switched to HDLC at the rate the meter announces.
package serial

import (
	"errors"
	"fmt"
	"os"
	"time"

	"go.bug.st/serial"
)

// Opener opens a serial device. The default is go.bug.st/serial's Open;
// tests inject their own.
type Opener func(device string, mode *serial.Mode) (serial.Port, error)

// Mode7E1 is the character format of the IEC 62056-21 opening sequence.
func Mode7E1(baud int) *serial.Mode {
	return &serial.Mode{BaudRate: baud, DataBits: 7, Parity: serial.EvenParity, StopBits: serial.OneStopBit}
}

// Mode8N1 is the character format of HDLC on a serial line.
func Mode8N1(baud int) *serial.Mode {
	return &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit}
}

// Port is an open serial line whose reads honour a deadline, like a
// net.Conn: a read past the deadline fails with os.ErrDeadlineExceeded.
type Port struct {
	device   string
	port     serial.Port
	deadline time.Time
	now      func() time.Time
}

// Open opens device in mode with open (nil means go.bug.st/serial.Open).
func Open(device string, mode *serial.Mode, open Opener) (*Port, error) {
	if open == nil {
		open = serial.Open
	}
	p, err := open(device, mode)
	if err != nil {
		return nil, fmt.Errorf("open serial device %s: %w", device, err)
	}
	return &Port{device: device, port: p, now: time.Now}, nil
}

// Device is the name the port was opened with.
func (p *Port) Device() string { return p.device }

// SetMode changes the baud rate and character format.
func (p *Port) SetMode(mode *serial.Mode) error {
	if err := p.port.SetMode(mode); err != nil {
		return fmt.Errorf("serial device %s: set %d baud: %w", p.device, mode.BaudRate, err)
	}
	return nil
}

// SetReadDeadline sets the time after which Read fails with
// os.ErrDeadlineExceeded. The zero time means no deadline.
func (p *Port) SetReadDeadline(t time.Time) error {
	p.deadline = t
	return nil
}

// SetDeadline is SetReadDeadline: writes to a serial line do not block.
func (p *Port) SetDeadline(t time.Time) error { return p.SetReadDeadline(t) }

// Read reads what the line has, waiting at most until the deadline.
// go.bug.st/serial reports a timeout as a zero-byte read: that becomes
// os.ErrDeadlineExceeded here.
func (p *Port) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	timeout := serial.NoTimeout
	if !p.deadline.IsZero() {
		timeout = p.deadline.Sub(p.now())
		if timeout <= 0 {
			return 0, os.ErrDeadlineExceeded
		}
	}
	if err := p.port.SetReadTimeout(timeout); err != nil {
		return 0, fmt.Errorf("serial device %s: set read timeout: %w", p.device, err)
	}
	n, err := p.port.Read(b)
	if err != nil {
		return n, fmt.Errorf("serial device %s: read: %w", p.device, err)
	}
	if n == 0 {
		if timeout == serial.NoTimeout {
			// The line was closed under us (a pseudo-terminal's other side went away).
			return 0, fmt.Errorf("serial device %s: read: %w", p.device, errors.New("line closed"))
		}
		return 0, os.ErrDeadlineExceeded
	}
	return n, nil
}

// Write sends b on the line.
func (p *Port) Write(b []byte) (int, error) {
	n, err := p.port.Write(b)
	if err != nil {
		return n, fmt.Errorf("serial device %s: write: %w", p.device, err)
	}
	return n, nil
}

// Drain waits until everything written has left the line.
func (p *Port) Drain() error { return p.port.Drain() }

// ResetInput discards what was received and not read yet.
func (p *Port) ResetInput() error { return p.port.ResetInputBuffer() }

// Close closes the line.
func (p *Port) Close() error { return p.port.Close() }
