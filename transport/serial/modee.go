package serial

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// IEC 62056-21 characters.
const (
	ack = 0x06
	cr  = '\r'
	lf  = '\n'
)

// baudRates maps the baud-rate character of the identification message
// (protocol modes C and E) to the rate.
var baudRates = map[byte]int{'0': 300, '1': 600, '2': 1200, '3': 2400, '4': 4800, '5': 9600, '6': 19200}

// BaudChar returns the identification's character for a baud rate.
func BaudChar(baud int) (byte, bool) {
	for c, b := range baudRates {
		if b == baud {
			return c, true
		}
	}
	return 0, false
}

// Errors of the sign-on.
var (
	ErrNoIdentification = errors.New("meter sent no identification message")
	ErrIdentification   = errors.New("malformed identification message")
	ErrNotModeE         = errors.New("meter does not offer protocol mode E (HDLC)")
)

// Identification is the meter's answer to the sign-on request, e.g.
// "/ISk5\2MT382-1000".
type Identification struct {
	Manufacturer string // three letters; a lower-case third letter means a 20 ms reaction time
	BaudChar     byte   // '0' to '6'
	Baud         int    // the rate the meter switches to
	ModeE        bool   // the enhanced capability "\2": HDLC in mode E
	ID           string // the identification proper
}

// ParseIdentification reads an identification line (with or without its
// trailing CR LF).
func ParseIdentification(line []byte) (Identification, error) {
	line = bytes.TrimRight(line, "\r\n")
	var id Identification
	if len(line) < 5 || line[0] != '/' {
		return id, fmt.Errorf("%w: %q: want /XXXZ<identification>", ErrIdentification, line)
	}
	id.Manufacturer = string(line[1:4])
	id.BaudChar = line[4]
	baud, ok := baudRates[id.BaudChar]
	if !ok {
		return id, fmt.Errorf("%w: %q: baud-rate character %q", ErrIdentification, line, id.BaudChar)
	}
	id.Baud = baud
	rest := line[5:]
	for len(rest) >= 2 && rest[0] == '\\' {
		if rest[1] == '2' {
			id.ModeE = true
		}
		rest = rest[2:]
	}
	id.ID = string(rest)
	return id, nil
}

// String formats the identification as the meter sends it, without CR LF.
func (id Identification) String() string {
	s := "/" + id.Manufacturer + string(id.BaudChar)
	if id.ModeE {
		s += `\2`
	}
	return s + id.ID
}

// SignOnOptions tune the mode E opening sequence.
type SignOnOptions struct {
	Address    string        // device address in the request, usually empty
	Timeout    time.Duration // how long to wait for the identification (default 2 s)
	Retries    int           // extra attempts when the meter stays silent (default 2)
	WakeUp     int           // NUL bytes sent first, to wake a sleeping optical port
	MaxBaud    int           // cap on the rate to switch to (0: the meter's)
	SwitchWait time.Duration // pause after the acknowledgement before switching (default 250 ms)
}

// SignOn runs the IEC 62056-21 mode E opening sequence on a port opened at
// 300 baud 7E1: the request "/?!", the meter's identification, the
// acknowledgement that selects HDLC at the announced rate; then it switches
// the port to that rate at 8N1. HDLC may follow at once.
func SignOn(ctx context.Context, p *Port, opt SignOnOptions) (Identification, error) {
	if opt.Timeout <= 0 {
		opt.Timeout = 2 * time.Second
	}
	if opt.Retries < 0 {
		opt.Retries = 0
	} else if opt.Retries == 0 {
		opt.Retries = 2
	}
	if opt.SwitchWait <= 0 {
		opt.SwitchWait = 250 * time.Millisecond
	}
	if err := p.SetMode(Mode7E1(300)); err != nil {
		return Identification{}, err
	}
	var id Identification
	var err error
	for attempt := 0; attempt <= opt.Retries; attempt++ {
		if err := ctx.Err(); err != nil {
			return id, err
		}
		id, err = requestIdentification(ctx, p, opt)
		if err == nil || !errors.Is(err, ErrNoIdentification) {
			break
		}
	}
	if err != nil {
		return id, err
	}
	if !id.ModeE {
		return id, fmt.Errorf("%w: identification %q", ErrNotModeE, id.String())
	}
	baudChar := id.BaudChar
	if opt.MaxBaud > 0 && id.Baud > opt.MaxBaud {
		c, ok := BaudChar(opt.MaxBaud)
		if !ok {
			return id, fmt.Errorf("optical sign-on: no baud-rate character for %d baud", opt.MaxBaud)
		}
		baudChar = c
	}
	// ACK, protocol control '2' (HDLC), baud-rate character, mode control '2' (binary).
	if _, err := p.Write([]byte{ack, '2', baudChar, '2', cr, lf}); err != nil {
		return id, fmt.Errorf("optical sign-on: acknowledgement: %w", err)
	}
	if err := p.Drain(); err != nil {
		return id, fmt.Errorf("optical sign-on: acknowledgement: %w", err)
	}
	select {
	case <-ctx.Done():
		return id, ctx.Err()
	case <-time.After(opt.SwitchWait):
	}
	if err := p.SetMode(Mode8N1(baudRates[baudChar])); err != nil {
		return id, err
	}
	return id, nil
}

func requestIdentification(ctx context.Context, p *Port, opt SignOnOptions) (Identification, error) {
	req := make([]byte, 0, 16+opt.WakeUp)
	req = append(req, make([]byte, opt.WakeUp)...)
	req = append(req, "/?"+opt.Address+"!\r\n"...)
	if _, err := p.Write(req); err != nil {
		return Identification{}, fmt.Errorf("optical sign-on: request: %w", err)
	}
	deadline := time.Now().Add(opt.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := p.SetReadDeadline(deadline); err != nil {
		return Identification{}, err
	}
	defer p.SetReadDeadline(time.Time{})
	line, err := readLine(p, 128)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return Identification{}, fmt.Errorf("optical sign-on: %w within %s", ErrNoIdentification, opt.Timeout)
	}
	if err != nil {
		return Identification{}, fmt.Errorf("optical sign-on: %w", err)
	}
	return ParseIdentification(line)
}

// readLine reads up to and including LF, skipping anything before the
// first '/' (an echo of our request on a half-duplex probe, or noise).
func readLine(r io.Reader, max int) ([]byte, error) {
	var line []byte
	var b [1]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return line, err
		}
		c := b[0] & 0x7F // 7E1 bytes may arrive with the parity bit on a raw line
		if len(line) == 0 && c != '/' {
			continue
		}
		line = append(line, c)
		if c == lf {
			if bytes.HasPrefix(line, []byte("/?")) {
				line = line[:0] // our own request echoed back
				continue
			}
			return line, nil
		}
		if len(line) > max {
			return line, fmt.Errorf("%w: longer than %d bytes", ErrIdentification, max)
		}
	}
}

// AnswerSignOn plays the meter's side of the mode E opening sequence on rw:
// it waits for a request, answers with id, reads the acknowledgement and
// returns the baud rate the client selected. setBaud is called with that
// rate (a no-op on a pseudo-terminal).
func AnswerSignOn(rw io.ReadWriter, id Identification, setBaud func(int) error) (int, error) {
	var b [1]byte
	var req []byte
	for {
		if _, err := io.ReadFull(rw, b[:]); err != nil {
			return 0, fmt.Errorf("optical sign-on (meter): waiting for request: %w", err)
		}
		c := b[0] & 0x7F
		if len(req) == 0 && c != '/' {
			continue // wake-up NULs, noise
		}
		req = append(req, c)
		if c == lf {
			break
		}
		if len(req) > 64 {
			req = req[:0]
		}
	}
	if !bytes.HasPrefix(req, []byte("/?")) || !bytes.HasSuffix(req, []byte("!\r\n")) {
		return 0, fmt.Errorf("optical sign-on (meter): malformed request %q", req)
	}
	if _, err := rw.Write([]byte(id.String() + "\r\n")); err != nil {
		return 0, fmt.Errorf("optical sign-on (meter): identification: %w", err)
	}
	var sel [6]byte
	if _, err := io.ReadFull(rw, sel[:]); err != nil {
		return 0, fmt.Errorf("optical sign-on (meter): waiting for acknowledgement: %w", err)
	}
	if sel[0] != ack || sel[4] != cr || sel[5] != lf {
		return 0, fmt.Errorf("optical sign-on (meter): malformed acknowledgement % X", sel)
	}
	if sel[1] != '2' || sel[3] != '2' {
		return 0, fmt.Errorf("optical sign-on (meter): acknowledgement % X does not select HDLC (mode E)", sel)
	}
	baud, ok := baudRates[sel[2]]
	if !ok || baud > id.Baud {
		return 0, fmt.Errorf("optical sign-on (meter): acknowledgement selects baud-rate character %q", sel[2])
	}
	if setBaud != nil {
		if err := setBaud(baud); err != nil {
			return 0, err
		}
	}
	return baud, nil
}
