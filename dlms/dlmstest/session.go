package dlmstest

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Direction says who sent a frame.
type Direction uint8

// The two directions of a session.
const (
	ClientToServer Direction = iota + 1
	ServerToClient
)

// String returns "C->S" or "S->C", as in the session files.
func (d Direction) String() string {
	switch d {
	case ClientToServer:
		return "C->S"
	case ServerToClient:
		return "S->C"
	}
	return fmt.Sprintf("direction(%d)", uint8(d))
}

// Framing names the link framing of a session.
const (
	FramingHDLC    = "hdlc"
	FramingWrapper = "wrapper"
)

// Frame is one frame line of a session file with the comments that
// precede it.
type Frame struct {
	Dir      Direction
	Bytes    []byte
	Line     int      // 1-based line number of the frame in the file
	Conn     int      // number of the "# connection N" section, 0 before any
	Index    int      // n of the "# [n] ..." comment, 0 when absent
	Label    string   // the rest of that comment, e.g. "I-frame N(S)=0 N(R)=0 P/F: AARQ"
	Comments []string // the comment lines of the frame's block, '#' and spaces trimmed
	Cipher   *Cipher  // the parsed "cipher:" comment, nil when absent
	Plain    []byte   // the deciphered APDU of a "plain:" comment, nil when absent
}

// Cipher is the "cipher:" comment of a ciphered frame.
type Cipher struct {
	Service           string // e.g. "user-information glo-initiate-request", or ""
	SecurityControl   byte   // SC
	InvocationCounter uint32 // IC
	SystemTitle       []byte // ST
}

// Session is one parsed session file.
type Session struct {
	Name     string            // file name without the .txt extension
	Framing  string            // FramingHDLC or FramingWrapper
	Comments []string          // the header comment lines, '#' and spaces trimmed
	Fields   map[string]string // header comments of the form "key: value"

	// Parsed from the header where present; zero values otherwise.
	ClientAddress     int    // client SAP or wPort of the main association
	ServerAddress     int    // server logical address or wPort
	Authentication    string // e.g. "none", "LLS (mechanism 1)"
	Password          string // the LLS password, "" when none
	Security          string // e.g. "none", "authenticated+encrypted, suite 0"
	BlockCipherKey    []byte
	AuthenticationKey []byte
	ClientSystemTitle []byte
	ServerSystemTitle []byte

	Frames []Frame
}

var (
	reIndex       = regexp.MustCompile(`^\[(\d+)\]\s*(.*)$`)
	reConnection  = regexp.MustCompile(`^connection (\d+)$`)
	reCipher      = regexp.MustCompile(`^cipher:\s*(.*?)\s*SC=([0-9A-Fa-f]{2}) IC=(\d+) ST=([0-9A-Fa-f]+)`)
	rePlain       = regexp.MustCompile(`^plain:\s*([0-9A-Fa-f]+)`)
	reClient      = regexp.MustCompile(`client (?:SAP|wPort) (\d+)`)
	reServer      = regexp.MustCompile(`server (?:logical|wPort) (\d+)`)
	reAuth        = regexp.MustCompile(`^authentication: ([^;]*); password: (?:none|'(.*)')`)
	reEK          = regexp.MustCompile(`block cipher key[^:]*: ([0-9A-Fa-f]+)`)
	reAK          = regexp.MustCompile(`authentication key[^:]*: ([0-9A-Fa-f]+)`)
	reClientTitle = regexp.MustCompile(`client system title: ([0-9A-Fa-f]+)`)
	reServerTitle = regexp.MustCompile(`server system title[^:]*: ([0-9A-Fa-f]+)`)
)

// Parse parses the text of a session file; name is used in errors and as
// the session name (a ".txt" suffix is removed).
func Parse(name string, text []byte) (*Session, error) {
	s := &Session{Name: strings.TrimSuffix(name, ".txt"), Fields: map[string]string{}}
	var (
		block   []string // comments of the frame block being read
		inBlock bool
		conn    int
	)
	for i, line := range strings.Split(string(text), "\n") {
		lineNo := i + 1
		line = strings.TrimRight(line, "\r \t")
		if line == "" {
			continue
		}
		if c, ok := strings.CutPrefix(line, "#"); ok {
			c = strings.TrimSpace(c)
			if m := reConnection.FindStringSubmatch(c); m != nil {
				conn, _ = strconv.Atoi(m[1])
				continue
			}
			if reIndex.MatchString(c) {
				inBlock = true
			}
			if inBlock {
				block = append(block, c)
			} else {
				s.header(c)
			}
			continue
		}
		f, err := parseFrameLine(line)
		if err != nil {
			return nil, fmt.Errorf("dlmstest: %s:%d: %w", name, lineNo, err)
		}
		f.Line, f.Conn, f.Comments = lineNo, conn, block
		if err := f.annotate(); err != nil {
			return nil, fmt.Errorf("dlmstest: %s:%d: %w", name, lineNo, err)
		}
		s.Frames = append(s.Frames, f)
		block, inBlock = nil, false
	}
	s.Comments = append(s.Comments, block...) // comments after the last frame
	if s.Framing == "" {
		if strings.HasPrefix(s.Name, FramingWrapper) {
			s.Framing = FramingWrapper
		} else {
			s.Framing = FramingHDLC
		}
	}
	return s, nil
}

// header records one header comment and parses it if its key is known.
func (s *Session) header(c string) {
	s.Comments = append(s.Comments, c)
	if k, v, ok := strings.Cut(c, ": "); ok {
		if _, dup := s.Fields[k]; !dup {
			s.Fields[k] = v
		}
	}
	switch {
	case strings.HasPrefix(c, "format:"):
		if strings.Contains(c, "WRAPPER") {
			s.Framing = FramingWrapper
		} else if strings.Contains(c, "HDLC") {
			s.Framing = FramingHDLC
		}
	case strings.HasPrefix(c, "addresses:"):
		if m := reClient.FindStringSubmatch(c); m != nil {
			s.ClientAddress, _ = strconv.Atoi(m[1])
		}
		if m := reServer.FindStringSubmatch(c); m != nil {
			s.ServerAddress, _ = strconv.Atoi(m[1])
		}
	case strings.HasPrefix(c, "authentication:"):
		if m := reAuth.FindStringSubmatch(c); m != nil {
			s.Authentication, s.Password = m[1], m[2]
		}
	case strings.HasPrefix(c, "security:"):
		s.Security = strings.TrimSpace(strings.TrimPrefix(c, "security:"))
	}
	if m := reEK.FindStringSubmatch(c); m != nil {
		s.BlockCipherKey, _ = hex.DecodeString(m[1])
	}
	if m := reAK.FindStringSubmatch(c); m != nil {
		s.AuthenticationKey, _ = hex.DecodeString(m[1])
	}
	if m := reClientTitle.FindStringSubmatch(c); m != nil {
		s.ClientSystemTitle, _ = hex.DecodeString(m[1])
	}
	if m := reServerTitle.FindStringSubmatch(c); m != nil {
		s.ServerSystemTitle, _ = hex.DecodeString(m[1])
	}
}

// parseFrameLine parses "C->S <HEX>" or "S->C <HEX>".
func parseFrameLine(line string) (Frame, error) {
	dir, hx, ok := strings.Cut(line, " ")
	var f Frame
	switch dir {
	case "C->S":
		f.Dir = ClientToServer
	case "S->C":
		f.Dir = ServerToClient
	default:
		return f, fmt.Errorf("line is neither a comment nor a C->S/S->C frame: %.40q", line)
	}
	if !ok || strings.TrimSpace(hx) == "" {
		return f, fmt.Errorf("%v line without bytes", f.Dir)
	}
	b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(hx), " ", ""))
	if err != nil {
		return f, fmt.Errorf("%v line: %w", f.Dir, err)
	}
	f.Bytes = b
	return f, nil
}

// annotate parses the index, cipher and plain comments of f's block.
func (f *Frame) annotate() error {
	for _, c := range f.Comments {
		if m := reIndex.FindStringSubmatch(c); m != nil && f.Index == 0 {
			f.Index, _ = strconv.Atoi(m[1])
			f.Label = m[2]
		}
		if m := reCipher.FindStringSubmatch(c); m != nil {
			ic, err := strconv.ParseUint(m[3], 10, 32)
			if err != nil {
				return fmt.Errorf("cipher comment: invocation counter: %w", err)
			}
			sc, _ := strconv.ParseUint(m[2], 16, 8)
			st, err := hex.DecodeString(m[4])
			if err != nil {
				return fmt.Errorf("cipher comment: system title: %w", err)
			}
			f.Cipher = &Cipher{Service: m[1], SecurityControl: byte(sc), InvocationCounter: uint32(ic), SystemTitle: st}
		}
		if m := rePlain.FindStringSubmatch(c); m != nil {
			p, err := hex.DecodeString(m[1])
			if err != nil {
				return fmt.Errorf("plain comment: %w", err)
			}
			f.Plain = p
		}
	}
	return nil
}

// Load reads and parses the session file name from fsys.
func Load(fsys fs.FS, name string) (*Session, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("dlmstest: %w", err)
	}
	return Parse(name, b)
}

// LoadAll reads and parses every *.txt file at the top of fsys, in name
// order.
func LoadAll(fsys fs.FS) ([]*Session, error) {
	names, err := fs.Glob(fsys, "*.txt")
	if err != nil {
		return nil, fmt.Errorf("dlmstest: %w", err)
	}
	sort.Strings(names)
	var all []*Session
	for _, n := range names {
		s, err := Load(fsys, n)
		if err != nil {
			return nil, err
		}
		all = append(all, s)
	}
	return all, nil
}

// Filter returns the frames of s sent in direction dir.
func (s *Session) Filter(dir Direction) []Frame {
	var out []Frame
	for _, f := range s.Frames {
		if f.Dir == dir {
			out = append(out, f)
		}
	}
	return out
}

// Stream returns the bytes of every frame of s, in order, concatenated:
// the session as one byte stream seen by a tap on the link.
func (s *Session) Stream() []byte {
	var b bytes.Buffer
	for _, f := range s.Frames {
		b.Write(f.Bytes)
	}
	return b.Bytes()
}
