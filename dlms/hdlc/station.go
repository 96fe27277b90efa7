package hdlc

import (
	"bytes"
	"errors"
	"fmt"
)

// Role says which end of the link a Station is: the client is the primary
// station (it sends commands with the poll bit), the server the secondary
// (it answers with the final bit).
type Role uint8

// The two roles.
const (
	RoleClient Role = iota + 1
	RoleServer
)

// String returns "client" or "server".
func (r Role) String() string {
	switch r {
	case RoleClient:
		return "client"
	case RoleServer:
		return "server"
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// State is the state of a Station's link.
type State uint8

// The link states. Disconnected, Connecting and Disconnecting are the link
// set-up; the others are sub-states of the connected link (normal response
// mode) that say what the station is doing with APDUs.
const (
	StateDisconnected  State = iota // no link (normal disconnected mode)
	StateConnecting                 // client: SNRM sent, waiting for UA
	StateConnected                  // link up and idle
	StateSending                    // segments of an APDU still to send or to be acknowledged
	StateWaiting                    // client: request sent, waiting for the response; server: request delivered, waiting for Send
	StateReceiving                  // part of a segmented APDU received
	StateDisconnecting              // client: DISC sent, waiting for UA or DM
)

var stateNames = [...]string{
	StateDisconnected: "disconnected", StateConnecting: "connecting", StateConnected: "connected",
	StateSending: "sending", StateWaiting: "waiting", StateReceiving: "receiving",
	StateDisconnecting: "disconnecting",
}

// String returns the state's name, e.g. "connecting".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// Errors of a Station. Test them with errors.Is.
var (
	ErrNotConnected     = errors.New("hdlc: link not connected")
	ErrBusy             = errors.New("hdlc: station busy")
	ErrRetryLimit       = errors.New("hdlc: no answer within the retry limit")
	ErrDisconnectedMode = errors.New("hdlc: peer answered DM (disconnected mode)")
	ErrFrameReject      = errors.New("hdlc: peer rejected a frame (FRMR)")
	ErrSequence         = errors.New("hdlc: invalid N(R)")
	ErrInfoTooLong      = errors.New("hdlc: information field above the negotiated maximum")
	ErrAPDUTooLarge     = errors.New("hdlc: reassembled APDU above the limit")
	ErrInactivity       = errors.New("hdlc: inactivity time-out")
	ErrEmptyAPDU        = errors.New("hdlc: empty APDU")
	ErrWrongRole        = errors.New("hdlc: not available in this role")
)

// FrameRejectError is the content of an FRMR frame (ISO/IEC 13239 basic
// format, three bytes): the control field the peer rejected, the peer's
// V(S) and V(R), and the reason bits. It wraps ErrFrameReject.
type FrameRejectError struct {
	Control  byte  // control field of the rejected frame
	VS, VR   uint8 // the rejecting station's send and receive state variables
	Response bool  // the rejected frame was a response
	W        bool  // invalid or not implemented control field
	X        bool  // information field not permitted with that control field
	Y        bool  // information field too long
	Z        bool  // invalid N(R)
}

func (e *FrameRejectError) Error() string {
	var why []string
	for _, r := range []struct {
		set  bool
		text string
	}{{e.W, "invalid control field"}, {e.X, "information not permitted"}, {e.Y, "information field too long"}, {e.Z, "invalid N(R)"}} {
		if r.set {
			why = append(why, r.text)
		}
	}
	if len(why) == 0 {
		why = append(why, "no reason given")
	}
	return fmt.Sprintf("hdlc: peer rejected control field 0x%02X (V(S)=%d V(R)=%d): %s", e.Control, e.VS, e.VR, joinComma(why))
}

func (e *FrameRejectError) Unwrap() error { return ErrFrameReject }

func joinComma(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(x)
	}
	return b.String()
}

// parseFRMR decodes the information field of an FRMR frame; a field of
// another size gives a FrameRejectError with no details.
func parseFRMR(info []byte) *FrameRejectError {
	e := &FrameRejectError{}
	if len(info) == 3 {
		e.Control = info[0]
		e.VS = info[1] >> 1 & 7
		e.Response = info[1]&0x10 != 0
		e.VR = info[1] >> 5
		e.W, e.X, e.Y, e.Z = info[2]&1 != 0, info[2]&2 != 0, info[2]&4 != 0, info[2]&8 != 0
	}
	return e
}

func appendFRMR(dst []byte, e *FrameRejectError) []byte {
	b1 := e.VS&7<<1 | e.VR&7<<5
	if e.Response {
		b1 |= 0x10
	}
	var b2 byte
	for i, set := range []bool{e.W, e.X, e.Y, e.Z} {
		if set {
			b2 |= 1 << i
		}
	}
	return append(dst, e.Control, b1, b2)
}

// Defaults of a Config.
const (
	DefaultMaxRetries = 3
	DefaultMaxAPDU    = 1 << 16
)

// Config configures a Station.
type Config struct {
	// Client is the client's address (one byte, see ClientAddress). A
	// server with a zero Client accepts the first client that connects.
	Client Address
	// Server is the server's address.
	Server Address

	// What this station can send and receive: maximum information field
	// lengths and window sizes. Zero means the default (128 bytes, window
	// 1). A client proposes in its SNRM the values that differ from the
	// defaults; a server accepts the smaller of its own and the client's.
	MaxInfoTx, MaxInfoRx int
	WindowTx, WindowRx   int

	// MaxRetries is how many times a client retransmits before giving up
	// (0 means DefaultMaxRetries).
	MaxRetries int
	// MaxAPDU bounds a reassembled APDU (0 means DefaultMaxAPDU).
	MaxAPDU int
}

// txSegment is one I frame to send: a piece of an APDU.
type txSegment struct {
	info      []byte
	segmented bool
}

// Station is the HDLC link state machine of IEC 62056-46 for one client or
// one server, pure: frames and timer expiries go in, frames to send and
// APDUs come out. The driver owns the I/O and the timers: it passes every
// frame its Deframer yields to Receive, sends the frames every method
// returns, and calls Timeout when no answer came in time (the response
// time-out of the client; the inactivity time-out of the server).
//
// The LLC header is added to the APDUs given to Send and removed from the
// APDUs returned by Receive. APDUs longer than the negotiated information
// field are segmented, and sent within the negotiated window; segmented
// APDUs are reassembled. Frames lost are recovered by go-back-N: a client
// whose answer does not come retransmits (at most MaxRetries times in a
// row) or polls with RR.
//
// Frames that the station itself sent and that come back (an optical probe
// echoes every byte) are ignored, as are frames for other addresses.
//
// A Station is not safe for concurrent use.
type Station struct {
	role  Role
	cfg   Config
	state State

	peer   Address // the peer's address (a server learns it from SNRM)
	params Params  // negotiated, from this station's side

	vr       uint8       // V(R): N(S) expected next
	ns0      uint8       // N(S) of txq[0]; V(S) is ns0+sent
	txq      []txSegment // segments not yet acknowledged; the first sent of them have been sent
	sent     int
	turn     bool // this station may transmit: it holds the poll (client) or has been polled (server)
	peerBusy bool // the peer sent RNR

	rx       []byte // reassembly of the APDU being received
	rxActive bool   // the first segment of an APDU has been received
	gap      bool   // an I frame out of sequence was dropped since the last acknowledgement

	awaiting bool // client: a request was sent and its response is not complete
	pending  bool // server: a request was delivered and Send has not been called

	retries int
	echoes  []Frame // frames of the last burst, for echo detection
	out     [][]byte
}

// NewClient returns a client station, disconnected. Connect starts the link.
func NewClient(cfg Config) (*Station, error) { return newStation(RoleClient, cfg) }

// NewServer returns a server station, disconnected until a client's SNRM.
func NewServer(cfg Config) (*Station, error) { return newStation(RoleServer, cfg) }

func newStation(role Role, cfg Config) (*Station, error) {
	if cfg.Client != (Address{}) || role == RoleClient {
		if err := cfg.Client.check(); err != nil {
			return nil, fmt.Errorf("hdlc: client address: %w", err)
		}
		if cfg.Client.size() != 1 {
			return nil, fmt.Errorf("hdlc: client address: %w: a client address is one byte", ErrBadAddress)
		}
	}
	if err := cfg.Server.check(); err != nil {
		return nil, fmt.Errorf("hdlc: server address: %w", err)
	}
	for _, v := range []struct {
		name      string
		v, lo, hi int
	}{
		{"MaxInfoTx", cfg.MaxInfoTx, 0, MaxInfoLength},
		{"MaxInfoRx", cfg.MaxInfoRx, 0, MaxInfoLength},
		{"WindowTx", cfg.WindowTx, 0, MaxWindow},
		{"WindowRx", cfg.WindowRx, 0, MaxWindow},
		{"MaxRetries", cfg.MaxRetries, 0, 1 << 16},
		{"MaxAPDU", cfg.MaxAPDU, 0, 1 << 30},
	} {
		if v.v < v.lo || v.v > v.hi {
			return nil, fmt.Errorf("hdlc: config %s = %d, want %d to %d", v.name, v.v, v.lo, v.hi)
		}
	}
	if cfg.MaxInfoTx != 0 && cfg.MaxInfoTx <= LLCLength || cfg.MaxInfoRx != 0 && cfg.MaxInfoRx <= LLCLength {
		return nil, fmt.Errorf("hdlc: config: information field lengths must exceed %d", LLCLength)
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	if cfg.MaxAPDU == 0 {
		cfg.MaxAPDU = DefaultMaxAPDU
	}
	s := &Station{role: role, cfg: cfg}
	if role == RoleClient {
		s.peer = cfg.Server
	}
	return s, nil
}

// Role returns the station's role.
func (s *Station) Role() Role { return s.role }

// State returns the current state.
func (s *Station) State() State { return s.state }

// Params returns the parameters in force, from this station's side
// (MaxInfoTx is the largest information field it sends). They are valid
// once connected.
func (s *Station) Params() Params { return s.params }

// Connect starts the link: it returns the SNRM to send. Only a client in
// StateDisconnected connects.
func (s *Station) Connect() ([][]byte, error) {
	_, err := s.step(event{kind: evConnect})
	return s.flush(), err
}

// Disconnect ends the link. A client returns the DISC to send and waits
// for UA or DM; a server drops the link at once (it answers DM from then
// on) and returns no frame.
func (s *Station) Disconnect() ([][]byte, error) {
	_, err := s.step(event{kind: evDisconnect})
	return s.flush(), err
}

// Send queues an APDU and returns the frames that may go out now: the
// first window of its segments. A client sends a request when the link is
// idle; a server sends the response to the request it delivered (if the
// client's poll has passed meanwhile, the frames wait for the next poll).
func (s *Station) Send(apdu []byte) ([][]byte, error) {
	_, err := s.step(event{kind: evSend, apdu: apdu})
	return s.flush(), err
}

// Receive processes a frame from the link and returns the frames to send
// in answer and, when the frame completes one, an APDU (a fresh slice the
// caller owns). Frames for other stations and echoes are ignored.
func (s *Station) Receive(f Frame) (out [][]byte, apdu []byte, err error) {
	apdu, err = s.step(event{kind: evFrame, frame: f})
	return s.flush(), apdu, err
}

// Timeout tells the station that the driver's timer ran out. A client that
// waits for an answer retransmits its last frames or polls with RR; after
// MaxRetries time-outs in a row it gives up with ErrRetryLimit and drops
// the link. A server drops the link (inactivity time-out) and returns
// ErrInactivity.
func (s *Station) Timeout() ([][]byte, error) {
	_, err := s.step(event{kind: evTimeout})
	return s.flush(), err
}

func (s *Station) flush() [][]byte {
	out := s.out
	s.out = nil
	return out
}
