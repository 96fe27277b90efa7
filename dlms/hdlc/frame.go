package hdlc

import "fmt"

// Flag is the byte that opens and closes every frame.
const Flag = 0x7E

// Limits of the frame format type 3 of IEC 62056-46.
const (
	// MaxFrameLength is the largest value of the 11-bit length field: the
	// bytes between the flags.
	MaxFrameLength = 0x7FF
	// MaxInfoLength is the largest information field a frame can carry,
	// with one-byte addresses on both sides.
	MaxInfoLength = MaxFrameLength - 2 - 1 - 1 - 1 - 2 - 2
)

// formatType3 is the high nibble of the frame format field.
const formatType3 = 0xA0

// Frame is one HDLC frame of IEC 62056-46, format type 3.
//
// Info is the information field (for I frames the LLC header and the APDU
// or a segment of it; for SNRM and UA the parameter negotiation field). A
// frame returned by ParseFrame or a Deframer has Info pointing into the
// input, not a copy.
type Frame struct {
	Segmented bool    // the S bit: more segments of the same APDU follow
	Dest      Address // destination address
	Src       Address // source address
	Control   Control
	Info      []byte
}

// String formats the frame for a trace, e.g. "I N(S)=0 N(R)=0 P/F 16->1 info 20 bytes".
func (f Frame) String() string {
	s := fmt.Sprintf("%v %v->%v", f.Control, f.Src, f.Dest)
	if f.Segmented {
		s += " segmented"
	}
	if len(f.Info) > 0 {
		s += fmt.Sprintf(" info %d bytes", len(f.Info))
	}
	return s
}

// header is the decoded part of a frame before the information field.
type header struct {
	length    int // the 11-bit length: bytes between the flags
	segmented bool
	dest, src Address
	control   byte
	size      int  // format, addresses and control: the bytes the HCS covers
	hasInfo   bool // an HCS and an information field follow the header
}

// parseHeader decodes the header of the frame whose format field starts
// b (the byte after the opening flag). Offsets in errors count from the
// opening flag. It returns errTruncated when b ends before the header does.
func parseHeader(h *header, b []byte) error {
	if len(b) < 2 {
		return errTruncated
	}
	if b[0]&0xF0 != formatType3 {
		return &FrameError{Offset: 1, Err: fmt.Errorf("%w: 0x%X", ErrBadFormat, b[0]>>4)}
	}
	h.segmented = b[0]&0x08 != 0
	h.length = int(b[0]&7)<<8 | int(b[1])
	if h.length < 7 {
		return &FrameError{Offset: 1, Err: fmt.Errorf("%w: %d", ErrBadLength, h.length)}
	}
	off := 2
	var n int
	var err error
	h.dest, n, err = parseAddress(b[off:])
	if err == nil {
		off += n
		h.src, n, err = parseAddress(b[off:])
	}
	if err != nil {
		if err == errTruncated && len(b) < h.length {
			return errTruncated
		}
		if err == errTruncated {
			err = fmt.Errorf("%w: runs past the frame", ErrBadAddress)
		}
		return &FrameError{Offset: 1 + off, Err: err}
	}
	off += n
	h.size = off + 1
	// The rest is the FCS alone, or an HCS, at least one byte of
	// information and the FCS.
	switch rest := h.length - h.size; {
	case rest == 2:
		h.hasInfo = false
	case rest >= 5:
		h.hasInfo = true
	default:
		return &FrameError{Offset: 1, Err: fmt.Errorf("%w: %d for a %d-byte header", ErrBadLength, h.length, h.size)}
	}
	if len(b) < h.size {
		return errTruncated
	}
	h.control = b[off]
	return nil
}

// ParseFrame decodes one complete frame, b, from its opening flag to its
// closing flag, and checks its HCS and FCS. The Info of the result points
// into b. Errors are *FrameError values wrapping ErrBadFlag, ErrBadFormat,
// ErrBadLength, ErrBadAddress, ErrBadControl, ErrBadHCS or ErrBadFCS.
func ParseFrame(b []byte) (Frame, error) {
	if len(b) == 0 || b[0] != Flag {
		return Frame{}, &FrameError{Offset: 0, Err: ErrBadFlag}
	}
	var h header
	err := parseHeader(&h, b[1:])
	if err == errTruncated {
		return Frame{}, &FrameError{Offset: len(b), Err: fmt.Errorf("%w: input ends early", ErrBadLength)}
	}
	if err != nil {
		return Frame{}, err
	}
	if len(b) != h.length+2 {
		return Frame{}, &FrameError{Offset: 1, Err: fmt.Errorf("%w: field says %d bytes between the flags, input has %d", ErrBadLength, h.length, len(b)-2)}
	}
	var f Frame
	if err := finishFrame(&f, b, &h, false); err != nil {
		return Frame{}, err
	}
	return f, nil
}

// finishFrame checks the closing flag, HCS (unless hcsChecked), FCS and
// control field of the frame b, whose length is h.length+2, and fills f.
func finishFrame(f *Frame, b []byte, h *header, hcsChecked bool) error {
	end := h.length + 1 // offset of the closing flag
	if b[end] != Flag {
		return &FrameError{Offset: end, Err: ErrBadFlag}
	}
	if h.hasInfo && !hcsChecked && !checksumOK(b, 1, 1+h.size) {
		return &FrameError{Offset: 1 + h.size, Err: ErrBadHCS}
	}
	if !checksumOK(b, 1, end-2) {
		return &FrameError{Offset: end - 2, Err: ErrBadFCS}
	}
	c, err := ParseControl(h.control)
	if err != nil {
		return &FrameError{Offset: h.size, Err: err}
	}
	*f = Frame{Segmented: h.segmented, Dest: h.dest, Src: h.src, Control: c}
	if h.hasInfo {
		f.Info = b[1+h.size+2 : end-2]
	}
	return nil
}

// AppendFrame appends the encoding of f to dst, flags included, with the
// length field, the HCS (when there is an information field) and the FCS
// computed. It fails when an address or the control field cannot be
// encoded or the frame would exceed MaxFrameLength.
func AppendFrame(dst []byte, f Frame) ([]byte, error) {
	if err := f.Dest.check(); err != nil {
		return dst, fmt.Errorf("hdlc: destination: %w", err)
	}
	if err := f.Src.check(); err != nil {
		return dst, fmt.Errorf("hdlc: source: %w", err)
	}
	if err := f.Control.check(); err != nil {
		return dst, fmt.Errorf("hdlc: %w", err)
	}
	hsize := 2 + f.Dest.size() + f.Src.size() + 1
	length := hsize + 2
	if len(f.Info) > 0 {
		length += 2 + len(f.Info)
	}
	if length > MaxFrameLength {
		return dst, fmt.Errorf("hdlc: %w: %d-byte information field makes %d bytes, above %d", ErrBadLength, len(f.Info), length, MaxFrameLength)
	}
	start := len(dst)
	format := byte(formatType3) | byte(length>>8)
	if f.Segmented {
		format |= 0x08
	}
	dst = append(dst, Flag, format, byte(length))
	dst = appendAddress(dst, f.Dest)
	dst = appendAddress(dst, f.Src)
	dst = append(dst, f.Control.Byte())
	if len(f.Info) > 0 {
		dst = appendChecksum(dst, start+1)
		dst = append(dst, f.Info...)
	}
	dst = appendChecksum(dst, start+1)
	return append(dst, Flag), nil
}

// AppendBinary appends the encoding of f to b, like AppendFrame; it makes
// Frame an encoding.BinaryAppender.
func (f Frame) AppendBinary(b []byte) ([]byte, error) { return AppendFrame(b, f) }
