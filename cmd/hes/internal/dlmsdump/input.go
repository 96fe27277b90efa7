package dlmsdump

import (
	"errors"
	"fmt"
	"strings"
)

// Direction tells who sent a frame.
type Direction uint8

// The directions of a frame.
const (
	Unknown Direction = iota
	ClientToServer
	ServerToClient
)

// String returns "client → server", "server → client" or "direction unknown".
func (d Direction) String() string {
	switch d {
	case ClientToServer:
		return "client → server"
	case ServerToClient:
		return "server → client"
	}
	return "direction unknown"
}

// MarshalText returns "client-to-server", "server-to-client" or "unknown".
func (d Direction) MarshalText() ([]byte, error) {
	switch d {
	case ClientToServer:
		return []byte("client-to-server"), nil
	case ServerToClient:
		return []byte("server-to-client"), nil
	}
	return []byte("unknown"), nil
}

// Chunk is a piece of input to decode: one line of a session file, or the
// whole of a hex input.
type Chunk struct {
	Line      int // 1-based line of a session file; 0 for hex input
	Direction Direction
	Bytes     []byte
}

// Errors of ReadText, wrapped in an *InputError.
var (
	ErrHexDigit  = errors.New("not a hex digit")
	ErrOddDigits = errors.New("odd number of hex digits")
	ErrNoHex     = errors.New("no hex bytes")
	ErrDirection = errors.New("want C->S or S->C before the hex of a frame")
)

// InputError says where the input text is wrong.
type InputError struct {
	Line   int // 1-based
	Column int // 1-based, in characters; 0 when the whole line is meant
	Err    error
}

func (e *InputError) Error() string {
	if e.Column == 0 {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("line %d, column %d: %v", e.Line, e.Column, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// ReadText reads the text of an input: either the session format, where
// every frame is a line "C->S <hex>" or "S->C <hex>", or hex alone. In
// both, a '#' starts a comment that runs to the end of the line, and hex
// digits may be grouped with spaces, tabs, colons, commas, dashes and line
// breaks, each group an even number of digits, with an optional "0x".
//
// Session input gives one Chunk per frame line, with its direction; hex
// input gives a single Chunk of all its bytes, in which the Dumper finds
// the frames.
func ReadText(text string) ([]Chunk, error) {
	lines := strings.Split(text, "\n")
	session := false
	for _, l := range lines {
		if _, _, ok := cutDirection(stripComment(l)); ok {
			session = true
			break
		}
	}
	if !session {
		var all []byte
		for i, l := range lines {
			b, err := appendHex(all, stripComment(l), i+1)
			if err != nil {
				return nil, err
			}
			all = b
		}
		if len(all) == 0 {
			return nil, &InputError{Line: 1, Err: ErrNoHex}
		}
		return []Chunk{{Bytes: all}}, nil
	}
	var chunks []Chunk
	for i, l := range lines {
		l = stripComment(l)
		if strings.TrimSpace(l) == "" {
			continue
		}
		dir, rest, ok := cutDirection(l)
		if !ok {
			return nil, &InputError{Line: i + 1, Err: ErrDirection}
		}
		b, err := appendHex(nil, rest, i+1)
		if err != nil {
			var ie *InputError
			if errors.As(err, &ie) && ie.Column > 0 {
				ie.Column += len([]rune(l)) - len([]rune(rest))
			}
			return nil, err
		}
		if len(b) == 0 {
			return nil, &InputError{Line: i + 1, Err: ErrNoHex}
		}
		chunks = append(chunks, Chunk{Line: i + 1, Direction: dir, Bytes: b})
	}
	return chunks, nil
}

// stripComment removes a '#' comment and a trailing carriage return.
func stripComment(l string) string {
	if i := strings.IndexByte(l, '#'); i >= 0 {
		l = l[:i]
	}
	return strings.TrimSuffix(l, "\r")
}

// cutDirection reads the direction that opens a line of a session file.
func cutDirection(l string) (Direction, string, bool) {
	t := strings.TrimLeft(l, " \t")
	switch {
	case strings.HasPrefix(t, "C->S"):
		return ClientToServer, t[4:], true
	case strings.HasPrefix(t, "S->C"):
		return ServerToClient, t[4:], true
	}
	return Unknown, l, false
}

// appendHex appends the bytes of the hex digits of s to dst. line numbers
// the errors.
func appendHex(dst []byte, s string, line int) ([]byte, error) {
	runes := []rune(s)
	for i := 0; i < len(runes); {
		if isSeparator(runes[i]) {
			i++
			continue
		}
		start := i
		if runes[i] == '0' && i+1 < len(runes) && (runes[i+1] == 'x' || runes[i+1] == 'X') {
			i += 2
		}
		j := i
		for j < len(runes) && !isSeparator(runes[j]) {
			if hexValue(runes[j]) < 0 {
				return dst, &InputError{Line: line, Column: j + 1, Err: fmt.Errorf("%w: %q", ErrHexDigit, runes[j])}
			}
			j++
		}
		if (j-i)%2 != 0 || j == i {
			return dst, &InputError{Line: line, Column: start + 1, Err: fmt.Errorf("%w in the group %q", ErrOddDigits, string(runes[start:j]))}
		}
		for k := i; k < j; k += 2 {
			dst = append(dst, byte(hexValue(runes[k])<<4|hexValue(runes[k+1])))
		}
		i = j
	}
	return dst, nil
}

func isSeparator(r rune) bool {
	switch r {
	case ' ', '\t', '\r', '\n', ':', ',', '-':
		return true
	}
	return false
}

func hexValue(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0')
	case r >= 'a' && r <= 'f':
		return int(r-'a') + 10
	case r >= 'A' && r <= 'F':
		return int(r-'A') + 10
	}
	return -1
}
