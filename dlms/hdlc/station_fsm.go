package hdlc

import (
	"bytes"
	"fmt"
)

// eventKind is what happened to a Station.
type eventKind uint8

const (
	evConnect eventKind = iota + 1
	evDisconnect
	evSend
	evTimeout
	evFrame
)

type event struct {
	kind  eventKind
	frame Frame  // evFrame
	apdu  []byte // evSend
}

// step is the transition function: every input of the Station goes
// through it. Frames to send are appended to s.out; a completed APDU is
// returned. The sub-states of a connected link follow from the transfer
// variables (see settle).
//
// Client:
//
//	Disconnected  --Connect / SNRM-->               Connecting
//	Connecting    --UA-->                           Connected (DM: Disconnected, ErrDisconnectedMode)
//	Connected     --Send / I frames, P on the last--> Sending (more windows follow) or Waiting
//	Sending       --RR / next window-->             Sending or Waiting
//	Waiting       --I segment / RR-->               Receiving
//	Waiting, Receiving --last I segment-->          Connected, APDU delivered
//	any           --Disconnect / DISC-->            Disconnecting --UA or DM--> Disconnected
//	any           --FRMR, DM, retry limit-->        Disconnected, with an error
//
// Server:
//
//	Disconnected  --SNRM / UA-->                    Connected (I, RR, DISC: DM)
//	Connected     --I segment / RR-->               Receiving
//	Connected, Receiving --last I segment-->        Waiting, APDU delivered
//	Waiting       --Send / I frames, F on the last--> Sending (more windows follow) or Connected
//	Sending       --RR / next window-->             Sending or Connected
//	any           --DISC / UA-->                    Disconnected
//	any           --protocol error / FRMR-->        Disconnected, with an error
func (s *Station) step(ev event) (apdu []byte, err error) {
	switch ev.kind {
	case evConnect:
		err = s.connect()
	case evDisconnect:
		err = s.disconnect()
	case evSend:
		err = s.send(ev.apdu)
	case evTimeout:
		err = s.timeout()
	case evFrame:
		if s.isEcho(ev.frame) || !s.fromPeer(ev.frame) {
			return nil, nil
		}
		if s.role == RoleClient {
			apdu, err = s.clientFrame(ev.frame)
		} else {
			apdu, err = s.serverFrame(ev.frame)
		}
	}
	s.settle()
	return apdu, err
}

// linked reports whether the link is up (normal response mode).
func (s *Station) linked() bool {
	switch s.state {
	case StateDisconnected, StateConnecting, StateDisconnecting:
		return false
	}
	return true
}

// settle derives the sub-state of a connected link from the transfer
// variables.
func (s *Station) settle() {
	if !s.linked() {
		return
	}
	switch {
	case s.rxActive:
		s.state = StateReceiving
	case s.sent < len(s.txq):
		s.state = StateSending
	case s.awaiting || s.pending:
		s.state = StateWaiting
	default:
		s.state = StateConnected
	}
}

func (s *Station) own() Address {
	if s.role == RoleClient {
		return s.cfg.Client
	}
	return s.cfg.Server
}

func sameAddress(a, b Address) bool { return a.Upper == b.Upper && a.Lower == b.Lower }

// isEcho reports whether f is a frame this station sent, coming back.
// With distinct addresses, a frame from our address to the peer's can only
// be ours. When both sides use the same address value, it is an echo only
// if it repeats a frame of our last burst not yet echoed.
func (s *Station) isEcho(f Frame) bool {
	if !sameAddress(f.Src, s.own()) || !sameAddress(f.Dest, s.peer) {
		return false
	}
	if !sameAddress(s.own(), s.peer) {
		return true
	}
	for i, e := range s.echoes {
		if e.Segmented == f.Segmented && e.Control == f.Control && bytes.Equal(e.Info, f.Info) {
			s.echoes = s.echoes[i+1:]
			return true
		}
	}
	return false
}

// fromPeer reports whether f is addressed to this station by its peer (or,
// for a server not yet connected, by an acceptable client).
func (s *Station) fromPeer(f Frame) bool {
	if !sameAddress(f.Dest, s.own()) {
		return false
	}
	if s.role == RoleServer && s.state == StateDisconnected {
		return s.cfg.Client == (Address{}) || sameAddress(f.Src, s.cfg.Client)
	}
	return sameAddress(f.Src, s.peer)
}

// emit encodes a frame to the peer and queues it for sending.
func (s *Station) emit(c Control, segmented bool, info []byte) {
	f := Frame{Segmented: segmented, Dest: s.peer, Src: s.own(), Control: c, Info: info}
	b, err := AppendFrame(nil, f)
	if err != nil {
		// Addresses are checked by newStation, sequence numbers are kept
		// modulo 8 and information fields within the frame limit.
		panic("hdlc: station built an invalid frame: " + err.Error())
	}
	s.out = append(s.out, b)
	s.echoes = append(s.echoes, f)
}

// reset drops the link state and enters state st.
func (s *Station) reset(st State) {
	*s = Station{role: s.role, cfg: s.cfg, state: st, peer: s.peer, params: s.params, out: s.out}
	if s.role == RoleServer && st == StateDisconnected {
		s.peer = Address{}
	}
}

// startLink enters the connected state with fresh sequence numbers.
func (s *Station) startLink() {
	s.reset(StateConnected)
	s.turn = true
}

// --- events of the driver ---

func (s *Station) connect() error {
	if s.role != RoleClient {
		return fmt.Errorf("%w: a server does not connect", ErrWrongRole)
	}
	if s.state != StateDisconnected {
		return fmt.Errorf("%w: connect while %v", ErrBusy, s.state)
	}
	s.reset(StateConnecting)
	s.echoes = nil
	s.sendSNRM()
	return nil
}

// proposal returns the parameters the client puts in its SNRM: those of
// its configuration that differ from the defaults.
func (s *Station) proposal() Params {
	p := Params{MaxInfoTx: s.cfg.MaxInfoTx, MaxInfoRx: s.cfg.MaxInfoRx, WindowTx: s.cfg.WindowTx, WindowRx: s.cfg.WindowRx}
	for _, f := range []*int{&p.MaxInfoTx, &p.MaxInfoRx} {
		if *f == DefaultMaxInfo {
			*f = 0
		}
	}
	for _, f := range []*int{&p.WindowTx, &p.WindowRx} {
		if *f == DefaultWindow {
			*f = 0
		}
	}
	return p
}

func (s *Station) sendSNRM() {
	info, _ := AppendParams(nil, s.proposal()) // values checked by newStation
	s.emit(Control{Kind: KindSNRM, PF: true}, false, info)
}

func (s *Station) disconnect() error {
	if s.role == RoleServer {
		s.reset(StateDisconnected)
		return nil
	}
	if s.state == StateDisconnected {
		return nil
	}
	s.reset(StateDisconnecting)
	s.echoes = nil
	s.emit(Control{Kind: KindDISC, PF: true}, false, nil)
	return nil
}

func (s *Station) send(apdu []byte) error {
	if !s.linked() {
		return fmt.Errorf("%w: send while %v", ErrNotConnected, s.state)
	}
	if len(apdu) == 0 {
		return ErrEmptyAPDU
	}
	if s.sent < len(s.txq) || s.rxActive || s.awaiting {
		return fmt.Errorf("%w: send while %v", ErrBusy, s.state)
	}
	if s.role == RoleClient && !s.turn {
		return fmt.Errorf("%w: send while waiting for the server's final frame", ErrBusy)
	}
	// Cut LLC header + APDU into information fields of at most MaxInfoTx.
	data := AppendLLC(make([]byte, 0, LLCLength+len(apdu)), s.role == RoleServer)
	data = append(data, apdu...)
	for len(data) > 0 {
		n := min(len(data), s.params.MaxInfoTx)
		s.txq = append(s.txq, txSegment{info: data[:n:n], segmented: n < len(data)})
		data = data[n:]
	}
	s.awaiting = s.role == RoleClient
	s.pending = false
	if s.turn {
		s.echoes = nil
		s.transmit(false)
	}
	return nil
}

func (s *Station) timeout() error {
	if s.role == RoleServer {
		if s.state == StateDisconnected {
			return nil
		}
		s.reset(StateDisconnected)
		return ErrInactivity
	}
	waiting := s.state == StateConnecting || s.state == StateDisconnecting ||
		s.linked() && (!s.turn || s.awaiting || s.rxActive)
	if !waiting {
		return nil
	}
	s.retries++
	if s.retries > s.cfg.MaxRetries {
		st := s.state
		s.reset(StateDisconnected)
		return fmt.Errorf("%w: %d retransmissions while %v", ErrRetryLimit, s.cfg.MaxRetries, st)
	}
	s.echoes = nil
	switch s.state {
	case StateConnecting:
		s.sendSNRM()
	case StateDisconnecting:
		s.emit(Control{Kind: KindDISC, PF: true}, false, nil)
	default:
		// Go back N: resend what is not acknowledged, or poll.
		s.turn = true
		s.sent = 0
		s.peerBusy = false
		if len(s.txq) > 0 {
			s.sendWindow()
		} else {
			s.emit(Control{Kind: KindRR, NR: s.vr, PF: true}, false, nil)
			s.turn = false
		}
	}
	return nil
}

// --- frames from the peer ---

func (s *Station) clientFrame(f Frame) ([]byte, error) {
	switch f.Control.Kind {
	case KindUA:
		switch s.state {
		case StateConnecting:
			p, err := ParseParams(f.Info)
			if err != nil {
				s.reset(StateDisconnected)
				return nil, fmt.Errorf("hdlc: UA: %w", err)
			}
			s.negotiate(Params{MaxInfoTx: s.cfg.MaxInfoTx, MaxInfoRx: s.cfg.MaxInfoRx, WindowTx: s.cfg.WindowTx, WindowRx: s.cfg.WindowRx}, p.Swap())
			s.startLink()
		case StateDisconnecting:
			s.reset(StateDisconnected)
		}
		return nil, nil
	case KindDM:
		st := s.state
		if st == StateDisconnected {
			return nil, nil
		}
		s.reset(StateDisconnected)
		if st == StateDisconnecting {
			return nil, nil
		}
		return nil, fmt.Errorf("%w while %v", ErrDisconnectedMode, st)
	case KindFRMR:
		if s.state == StateDisconnected {
			return nil, nil
		}
		s.reset(StateDisconnected)
		return nil, parseFRMR(f.Info)
	case KindI, KindRR, KindRNR:
		if !s.linked() {
			return nil, nil
		}
		return s.dataFrame(f)
	}
	return nil, nil // commands and UI from a server are ignored
}

func (s *Station) serverFrame(f Frame) ([]byte, error) {
	switch f.Control.Kind {
	case KindSNRM:
		p, err := ParseParams(f.Info)
		if err != nil {
			s.reset(StateDisconnected)
			s.answerDM(f.Src)
			return nil, fmt.Errorf("hdlc: SNRM refused: %w", err)
		}
		s.peer = f.Src
		s.negotiate(Params{MaxInfoTx: s.cfg.MaxInfoTx, MaxInfoRx: s.cfg.MaxInfoRx, WindowTx: s.cfg.WindowTx, WindowRx: s.cfg.WindowRx}, p.Swap())
		s.startLink()
		info, _ := AppendParams(nil, s.params) // negotiated values are in range
		s.emit(Control{Kind: KindUA, PF: true}, false, info)
		s.turn = false
		return nil, nil
	case KindDISC:
		if s.state == StateDisconnected {
			s.answerDM(f.Src)
			return nil, nil
		}
		s.emit(Control{Kind: KindUA, PF: true}, false, nil)
		s.reset(StateDisconnected)
		return nil, nil
	case KindI, KindRR, KindRNR:
		if s.state == StateDisconnected {
			if f.Control.PF {
				s.answerDM(f.Src)
			}
			return nil, nil
		}
		if f.Control.Kind == KindI && len(f.Info) > s.params.MaxInfoRx {
			return nil, s.reject(f, &FrameRejectError{Y: true}, fmt.Errorf("%w: %d bytes, maximum %d", ErrInfoTooLong, len(f.Info), s.params.MaxInfoRx))
		}
		return s.dataFrame(f)
	}
	return nil, nil // responses and UI from a client are ignored
}

// answerDM tells a client that the server is not connected, with DM.
func (s *Station) answerDM(client Address) {
	s.peer = client
	s.emit(Control{Kind: KindDM, PF: true}, false, nil)
	s.peer = Address{}
}

// negotiate sets the parameters in force from this station's wishes and
// the peer's (both seen from this station's side, zero meaning default).
func (s *Station) negotiate(own, peer Params) {
	own, peer = own.WithDefaults(), peer.WithDefaults()
	frameRoom := MaxFrameLength - (2 + s.own().size() + max(s.peer.size(), 1) + 1 + 2 + 2)
	s.params = Params{
		MaxInfoTx: min(own.MaxInfoTx, peer.MaxInfoTx, frameRoom),
		MaxInfoRx: min(own.MaxInfoRx, peer.MaxInfoRx),
		WindowTx:  min(max(min(own.WindowTx, peer.WindowTx), MinWindow), MaxWindow),
		WindowRx:  min(max(min(own.WindowRx, peer.WindowRx), MinWindow), MaxWindow),
	}
	s.params.MaxInfoTx = max(s.params.MaxInfoTx, LLCLength+1)
}

// dataFrame handles I, RR and RNR on a connected link, for both roles.
func (s *Station) dataFrame(f Frame) ([]byte, error) {
	c := f.Control
	if err := s.ack(c.NR); err != nil {
		return nil, s.reject(f, &FrameRejectError{Z: true}, err)
	}
	switch c.Kind {
	case KindRR:
		s.peerBusy = false
	case KindRNR:
		s.peerBusy = true
	}
	var apdu []byte
	if c.Kind == KindI {
		if c.NS != s.vr {
			s.gap = true // a duplicate or a frame after a lost one: dropped
		} else {
			s.vr = (s.vr + 1) & 7
			var err error
			if apdu, err = s.collect(f); err != nil {
				return nil, s.reject(f, &FrameRejectError{W: true, Y: true}, err)
			}
		}
	}
	// The poll bit of the client, the final bit of the server (or, leniently,
	// a complete response) hands this station the turn.
	if c.PF || s.role == RoleClient && apdu != nil {
		s.turn = true
		s.retries = 0
		s.echoes = nil
		s.sent = 0 // go back N: what the peer has not acknowledged was lost
	}
	if s.turn {
		s.transmit(apdu != nil)
	}
	return apdu, nil
}

// ack takes the peer's N(R): the frames before it are acknowledged.
func (s *Station) ack(nr uint8) error {
	k := int((nr - s.ns0) & 7)
	if k > s.sent {
		return fmt.Errorf("%w: N(R)=%d acknowledges %d frames, %d are outstanding", ErrSequence, nr, k, s.sent)
	}
	s.txq = s.txq[k:]
	if len(s.txq) == 0 {
		s.txq = nil
	}
	s.sent -= k
	s.ns0 = nr
	return nil
}

// collect adds the information field of an in-sequence I frame to the APDU
// being reassembled and returns the APDU when f is its last segment.
func (s *Station) collect(f Frame) ([]byte, error) {
	info := f.Info
	if !s.rxActive {
		apdu, _, err := CutLLC(info)
		if err != nil {
			return nil, err
		}
		info = apdu
		s.rxActive = true
	}
	if len(s.rx)+len(info) > s.cfg.MaxAPDU {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrAPDUTooLarge, s.cfg.MaxAPDU)
	}
	s.rx = append(s.rx, info...)
	if f.Segmented {
		return nil, nil
	}
	apdu := s.rx
	if apdu == nil {
		apdu = []byte{}
	}
	s.rx, s.rxActive = nil, false
	if s.role == RoleClient {
		s.awaiting = false
	} else {
		s.pending = true
	}
	return apdu, nil
}

// transmit uses the turn: it sends the next window of I frames, or the
// supervisory frame the peer needs, and passes the turn on. delivered says
// an APDU was completed by the frame that gave the turn.
func (s *Station) transmit(delivered bool) {
	if !s.peerBusy && s.sent < len(s.txq) {
		s.sendWindow()
		return
	}
	if s.role == RoleServer {
		if delivered {
			return // keep the turn for the response the driver is about to Send
		}
		s.emit(Control{Kind: KindRR, NR: s.vr, PF: true}, false, nil)
		s.turn, s.gap = false, false
		return
	}
	// Client: ask for the rest of a segmented response, or for the frames
	// dropped out of sequence. Otherwise keep the turn: a server that
	// answered RR is not ready, and the next poll comes with the time-out.
	if s.rxActive || s.gap {
		s.emit(Control{Kind: KindRR, NR: s.vr, PF: true}, false, nil)
		s.turn, s.gap = false, false
	}
}

// sendWindow sends I frames from the first unsent segment, up to the
// window, with the poll/final bit on the last, and passes the turn.
func (s *Station) sendWindow() {
	end := min(len(s.txq), s.params.WindowTx)
	for i := s.sent; i < end; i++ {
		seg := s.txq[i]
		s.emit(Control{Kind: KindI, NS: (s.ns0 + uint8(i)) & 7, NR: s.vr, PF: i == end-1}, seg.segmented, seg.info)
	}
	s.sent = end
	s.turn, s.gap = false, false
}

// reject handles a protocol error in a frame from the peer: a server
// answers FRMR, a client drops the link. Both return err.
func (s *Station) reject(f Frame, e *FrameRejectError, err error) error {
	if s.role == RoleServer {
		e.Control, e.VS, e.VR = f.Control.Byte(), (s.ns0+uint8(s.sent))&7, s.vr
		s.emit(Control{Kind: KindFRMR, PF: true}, false, appendFRMR(nil, e))
	}
	s.reset(StateDisconnected)
	return err
}
