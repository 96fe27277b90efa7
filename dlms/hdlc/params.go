package hdlc

import "fmt"

// Params are the HDLC parameters negotiated in the information field of
// SNRM and UA (IEC 62056-46 and the Green Book, "HDLC parameter
// negotiation"). Each side states them from its own point of view: in the
// client's SNRM, MaxInfoTx is what the client will send; in the server's
// UA, MaxInfoTx is what the server will send. A zero field is absent from
// the encoding, and an absent field means its default (DefaultMaxInfo,
// DefaultWindow).
type Params struct {
	MaxInfoTx int // maximum information field length, transmit (parameter 0x05)
	MaxInfoRx int // maximum information field length, receive (parameter 0x06)
	WindowTx  int // window size, transmit (parameter 0x07)
	WindowRx  int // window size, receive (parameter 0x08)
}

// Defaults that apply when a parameter is not negotiated.
const (
	DefaultMaxInfo = 128
	DefaultWindow  = 1
)

// Limits of the negotiable values.
const (
	MinWindow = 1
	MaxWindow = 7
)

// Identifiers of the parameter negotiation field.
const (
	paramFormat    = 0x81 // format identifier
	paramGroup     = 0x80 // group identifier: HDLC parameters
	paramMaxInfoTx = 0x05
	paramMaxInfoRx = 0x06
	paramWindowTx  = 0x07
	paramWindowRx  = 0x08
)

// WithDefaults returns p with every absent (zero) field set to its default.
func (p Params) WithDefaults() Params {
	if p.MaxInfoTx == 0 {
		p.MaxInfoTx = DefaultMaxInfo
	}
	if p.MaxInfoRx == 0 {
		p.MaxInfoRx = DefaultMaxInfo
	}
	if p.WindowTx == 0 {
		p.WindowTx = DefaultWindow
	}
	if p.WindowRx == 0 {
		p.WindowRx = DefaultWindow
	}
	return p
}

// Swap returns p seen from the peer's side: transmit and receive exchanged.
func (p Params) Swap() Params {
	return Params{MaxInfoTx: p.MaxInfoRx, MaxInfoRx: p.MaxInfoTx, WindowTx: p.WindowRx, WindowRx: p.WindowTx}
}

// AppendParams appends the parameter negotiation field of p to dst: the
// format identifier 0x81, the group 0x80 and its length, then each nonzero
// parameter. Information field lengths take one byte up to 255 and two
// above; window sizes take four bytes, as in the Green Book's example. When
// every field is zero, AppendParams appends nothing (an SNRM without an
// information field proposes the defaults). Negative values and values
// above 0xFFFF are errors.
func AppendParams(dst []byte, p Params) ([]byte, error) {
	if p == (Params{}) {
		return dst, nil
	}
	for _, v := range [...]int{p.MaxInfoTx, p.MaxInfoRx, p.WindowTx, p.WindowRx} {
		if v < 0 || v > 0xFFFF {
			return dst, fmt.Errorf("hdlc: %w: value %d out of range", ErrBadParams, v)
		}
	}
	dst = append(dst, paramFormat, paramGroup, 0)
	lengthAt := len(dst) - 1
	dst = appendParam(dst, paramMaxInfoTx, p.MaxInfoTx, false)
	dst = appendParam(dst, paramMaxInfoRx, p.MaxInfoRx, false)
	dst = appendParam(dst, paramWindowTx, p.WindowTx, true)
	dst = appendParam(dst, paramWindowRx, p.WindowRx, true)
	dst[lengthAt] = byte(len(dst) - lengthAt - 1)
	return dst, nil
}

func appendParam(dst []byte, id byte, v int, wide bool) []byte {
	switch {
	case v == 0:
		return dst
	case wide:
		return append(dst, id, 4, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	case v <= 0xFF:
		return append(dst, id, 1, byte(v))
	}
	return append(dst, id, 2, byte(v>>8), byte(v))
}

// ParseParams decodes a parameter negotiation field. An empty b gives the
// zero Params (nothing negotiated). Values of one to four bytes are
// accepted; parameters of unknown identifiers, and groups after the HDLC
// parameter group, are skipped. Errors wrap
// ErrBadParams and give the offset in b.
func ParseParams(b []byte) (Params, error) {
	var p Params
	if len(b) == 0 {
		return p, nil
	}
	if len(b) < 3 {
		return p, paramsError(0, "%d bytes, too short", len(b))
	}
	if b[0] != paramFormat {
		return p, paramsError(0, "format identifier 0x%02X, want 0x81", b[0])
	}
	if b[1] != paramGroup {
		return p, paramsError(1, "group identifier 0x%02X, want 0x80", b[1])
	}
	if int(b[2]) > len(b)-3 {
		return p, paramsError(2, "group length %d, %d bytes follow", b[2], len(b)-3)
	}
	b = b[:3+int(b[2])] // what follows the HDLC group (user-defined groups) is ignored
	for off := 3; off < len(b); {
		if off+2 > len(b) {
			return p, paramsError(off, "parameter header runs past the end")
		}
		id, n := b[off], int(b[off+1])
		if off+2+n > len(b) {
			return p, paramsError(off, "parameter 0x%02X of %d bytes runs past the end", id, n)
		}
		val := b[off+2 : off+2+n]
		off += 2 + n
		var dst *int
		switch id {
		case paramMaxInfoTx:
			dst = &p.MaxInfoTx
		case paramMaxInfoRx:
			dst = &p.MaxInfoRx
		case paramWindowTx:
			dst = &p.WindowTx
		case paramWindowRx:
			dst = &p.WindowRx
		default:
			continue
		}
		if n < 1 || n > 4 {
			return p, paramsError(off-2-n, "parameter 0x%02X has %d bytes, want 1 to 4", id, n)
		}
		var v uint32
		for _, x := range val {
			v = v<<8 | uint32(x)
		}
		if v > 0xFFFF {
			return p, paramsError(off-2-n, "parameter 0x%02X value %d out of range", id, v)
		}
		*dst = int(v)
	}
	return p, nil
}

func paramsError(off int, format string, args ...any) error {
	return &ParamsError{Offset: off, Err: fmt.Errorf("%w: "+format, append([]any{ErrBadParams}, args...)...)}
}

// ParamsError says where a parameter negotiation field is wrong.
type ParamsError struct {
	Offset int // offset in the information field
	Err    error
}

func (e *ParamsError) Error() string { return fmt.Sprintf("hdlc: %v at offset %d", e.Err, e.Offset) }

func (e *ParamsError) Unwrap() error { return e.Err }
