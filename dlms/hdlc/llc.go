package hdlc

import "fmt"

// The LLC header of IEC 62056-46 that opens the information field of the
// first (or only) I frame of an APDU: destination LSAP 0xE6, source LSAP
// 0xE6 for a command (client to server) or 0xE7 for a response, and the
// LLC quality 0x00.
const (
	LLCDestLSAP     = 0xE6
	LLCCommandLSAP  = 0xE6
	LLCResponseLSAP = 0xE7
	LLCQuality      = 0x00
	LLCLength       = 3
)

// AppendLLC appends the LLC header of a command (response false) or a
// response (response true) to dst.
func AppendLLC(dst []byte, response bool) []byte {
	src := byte(LLCCommandLSAP)
	if response {
		src = LLCResponseLSAP
	}
	return append(dst, LLCDestLSAP, src, LLCQuality)
}

// CutLLC removes the LLC header from the start of info and tells whether it
// was a response header (E6 E7 00) or a command header (E6 E6 00). Any
// other start is an error wrapping ErrBadLLC.
func CutLLC(info []byte) (apdu []byte, response bool, err error) {
	if len(info) < LLCLength {
		return nil, false, fmt.Errorf("hdlc: %w: %d bytes", ErrBadLLC, len(info))
	}
	if info[0] != LLCDestLSAP || (info[1] != LLCCommandLSAP && info[1] != LLCResponseLSAP) || info[2] != LLCQuality {
		return nil, false, fmt.Errorf("hdlc: %w: % X", ErrBadLLC, info[:3])
	}
	return info[LLCLength:], info[1] == LLCResponseLSAP, nil
}
