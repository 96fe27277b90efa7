package transport

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/openhes/hes/dlms/hdlc"
)

// Handler opens the sessions of the devices that a server stream reaches.
type Handler interface {
	// Open is called when a client opens a link to a device: an HDLC SNRM
	// to an address, or the first wrapper message from a client wPort to
	// a server wPort. It returns the Session that answers the link's
	// requests, or false when no device answers at that address: the
	// SNRM or message then gets no answer at all, like on a multi-drop
	// line where that device is absent. Open runs on the stream's
	// goroutine: it should not block.
	Open(ctx context.Context, p Peer) (Session, bool)
}

// Session answers the requests of one link, from its opening to its end.
type Session interface {
	// Serve returns the answer to one request APDU, or nil for no
	// answer. It runs on the stream's goroutine; nothing else is read
	// meanwhile.
	Serve(ctx context.Context, req Request) []byte
	// Close is called once when the link ends: HDLC DISC, a new SNRM,
	// the inactivity time-out, or the end of the stream.
	Close()
}

// Request is one request APDU received by a server link.
type Request struct {
	Peer Peer
	APDU []byte // valid during Serve only
}

// HandlerFunc serves every address with a stateless function: its Open
// always succeeds, and its sessions call the function.
type HandlerFunc func(ctx context.Context, req Request) []byte

// Open returns a session that calls f.
func (f HandlerFunc) Open(ctx context.Context, p Peer) (Session, bool) { return funcSession(f), true }

type funcSession HandlerFunc

func (f funcSession) Serve(ctx context.Context, req Request) []byte { return f(ctx, req) }
func (f funcSession) Close()                                        {}

// Outgoing is a frame or message that a server link is about to write,
// as an OutFilter sees it.
type Outgoing struct {
	Peer  Peer
	Bytes []byte // the HDLC frame, flags included, or the wrapper message
	// Last says the frame completes an answer APDU (an I frame with the
	// segmentation bit clear; every wrapper message), and Parts how many
	// frames that APDU is cut into; Parts is 0 for frames that carry no
	// APDU (UA, RR, DM ...).
	Last  bool
	Parts int
}

// Out is one write: after Delay, Bytes go on the wire.
type Out struct {
	Delay time.Duration
	Bytes []byte
}

// OutFilter decides what goes on the wire instead of a frame: nothing
// (dropped), the frame late, corrupted, twice, cut in pieces, preceded
// by garbage ... The identity is []Out{{Bytes: o.Bytes}}. The writes take
// place in order, on the stream's goroutine: a delay holds everything
// after it.
type OutFilter func(o Outgoing) []Out

// InFilter sees the bytes of a stream as they are read, before the
// deframer: it returns what the link is to read (in itself, or changed)
// and what to write back at once (the echo of an optical probe is
// []Out{{Bytes: in}}).
type InFilter func(in []byte) (pass []byte, back []Out)

// ServeOptions configure the server side of the links of one stream.
type ServeOptions struct {
	// HDLC parameters of every device: the largest information fields it
	// sends and receives and its window, negotiated down to the client's
	// (zero: the defaults of IEC 62056-46).
	MaxInfoTx, MaxInfoRx int
	Window               int
	// MaxAPDU bounds a request (0: hdlc.DefaultMaxAPDU with HDLC, the
	// format's limit with the wrapper).
	MaxAPDU int

	// Inactivity, when positive, drops an HDLC link whose client sent
	// nothing for that long: its session is closed, and the device
	// answers DM until the next SNRM. IdleTimeout, when positive, ends a
	// stream on which nothing at all arrived for that long, with
	// ErrInactivity. Both need a stream with read deadlines.
	Inactivity  time.Duration
	IdleTimeout time.Duration

	// Once ends the stream (nil error) when its first HDLC link ends:
	// an optical port goes back to the IEC 62056-21 sign-on.
	Once bool

	// Out and In are fault hooks; nil passes everything unchanged.
	Out OutFilter
	In  InFilter

	// Trace, if set, sees every frame or message both ways (in after the
	// InFilter, out before the OutFilter).
	Trace Trace
}

// ServeConn serves the links of one stream, HDLC or wrapper as its first
// bytes say: a flag 0x7E starts HDLC, the wrapper version 00 01 the
// wrapper; anything else ends the stream with ErrUnknownFraming. It
// returns when the stream ends (nil for io.EOF), on a read or write error,
// or when ctx ends; it does not close rw. A stream without read deadlines
// cannot be interrupted by ctx: close it to stop.
//
// With HDLC, an SNRM to an address that the Handler opens gets a station
// of its own; frames to an address that never had one are ignored, and a
// station whose link ended answers DM until the next SNRM. With the
// wrapper, each pair of wPorts gets a session when its first message
// arrives; sessions end with the stream.
func ServeConn(ctx context.Context, rw io.ReadWriter, h Handler, opt ServeOptions) error {
	s := newServer(rw, h, opt)
	defer s.rd.watch(ctx)()
	var head []byte
	known := func() bool { return len(head) >= 2 || len(head) == 1 && head[0] == hdlc.Flag }
	for !known() {
		p, err := s.readIn(ctx, s.idleDeadline())
		head = append(head, p...)
		if err != nil && !known() {
			return s.end(err)
		}
	}
	switch {
	case head[0] == hdlc.Flag:
		return s.serveHDLC(ctx, head)
	case head[0] == 0x00 && head[1] == 0x01:
		return s.serveWrapper(ctx, head)
	}
	return fmt.Errorf("%w: % X", ErrUnknownFraming, head[:2])
}

// ServeHDLC serves the HDLC links of one stream; see ServeConn.
func ServeHDLC(ctx context.Context, rw io.ReadWriter, h Handler, opt ServeOptions) error {
	s := newServer(rw, h, opt)
	defer s.rd.watch(ctx)()
	return s.serveHDLC(ctx, nil)
}

// ServeWrapper serves the wrapper links of one stream; see ServeConn.
func ServeWrapper(ctx context.Context, rw io.ReadWriter, h Handler, opt ServeOptions) error {
	s := newServer(rw, h, opt)
	defer s.rd.watch(ctx)()
	return s.serveWrapper(ctx, nil)
}

// server is the state common to both framings.
type server struct {
	rd       *stream
	h        Handler
	opt      ServeOptions
	rbuf     []byte
	lastByte time.Time
}

func newServer(rw io.ReadWriter, h Handler, opt ServeOptions) *server {
	return &server{rd: newStream(rw), h: h, opt: opt, rbuf: make([]byte, 4096), lastByte: time.Now()}
}

// idleDeadline is when the stream ends for inactivity, or zero.
func (s *server) idleDeadline() time.Time {
	if s.opt.IdleTimeout <= 0 {
		return time.Time{}
	}
	return s.lastByte.Add(s.opt.IdleTimeout)
}

// readIn reads the next bytes, passes them through the InFilter and
// writes what it sends back. errTimer means deadline passed.
func (s *server) readIn(ctx context.Context, deadline time.Time) ([]byte, error) {
	n, err := s.rd.read(ctx, s.rbuf, deadline)
	if n == 0 {
		return nil, err
	}
	s.lastByte = time.Now()
	p := s.rbuf[:n]
	if s.opt.In != nil {
		var back []Out
		p, back = s.opt.In(p)
		if werr := s.writeOuts(ctx, back); werr != nil {
			return nil, werr
		}
	}
	return p, err
}

// emit writes one frame or message through the OutFilter.
func (s *server) emit(ctx context.Context, o Outgoing) error {
	if s.opt.Trace != nil {
		s.opt.Trace(Sent, o.Bytes)
	}
	if s.opt.Out == nil {
		return s.rd.write(ctx, o.Bytes)
	}
	return s.writeOuts(ctx, s.opt.Out(o))
}

func (s *server) writeOuts(ctx context.Context, outs []Out) error {
	for _, o := range outs {
		if err := sleep(ctx, o.Delay); err != nil {
			return err
		}
		if len(o.Bytes) > 0 {
			if err := s.rd.write(ctx, o.Bytes); err != nil {
				return err
			}
		}
	}
	return nil
}

// end turns the error that stopped a stream into ServeConn's result.
func (s *server) end(err error) error {
	switch {
	case err == io.EOF:
		return nil
	case err == errTimer:
		return ErrInactivity
	}
	return err
}
