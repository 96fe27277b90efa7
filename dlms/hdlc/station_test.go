package hdlc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// pair connects a client station and a server station in memory, through
// a Deframer on each side. The server's application answers each request
// with handler(request).
type pair struct {
	tb        testing.TB
	c, s      *Station
	dc, ds    Deframer
	handler   func([]byte) []byte
	responses [][]byte // APDUs the client received
	requests  [][]byte // APDUs the server received
	frames    []sent   // every frame that went on the wire, in order
	drop      func(n int, fromClient bool, f Frame) bool
	echo      bool // the client's frames come back to it, as with an optical probe
	timeouts  int
}

type sent struct {
	fromClient bool
	f          Frame
	dropped    bool
}

func newPair(tb testing.TB, cc, sc Config) *pair {
	tb.Helper()
	c, err := NewClient(cc)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := NewServer(sc)
	if err != nil {
		tb.Fatal(err)
	}
	return &pair{tb: tb, c: c, s: s, handler: func(b []byte) []byte { return b }}
}

// run delivers the frames of one side and everything they cause, until
// the wire is quiet. When it stalls while the client waits for an answer
// (frames were dropped), it lets the client's timer expire.
func (p *pair) run(out [][]byte, fromClient bool) {
	p.tb.Helper()
	type item struct {
		b          []byte
		fromClient bool
	}
	queue := make([]item, 0, len(out))
	for _, b := range out {
		queue = append(queue, item{b, fromClient})
	}
	for steps := 0; ; steps++ {
		if steps > 100000 {
			p.tb.Fatal("no end to the exchange")
		}
		if len(queue) == 0 {
			if !p.c.linked() && p.c.State() != StateConnecting && p.c.State() != StateDisconnecting ||
				p.c.State() == StateConnected && p.c.turn {
				return
			}
			p.timeouts++
			more, err := p.c.Timeout()
			if err != nil {
				p.tb.Fatalf("client time-out: %v", err)
			}
			if len(more) == 0 {
				return
			}
			for _, b := range more {
				queue = append(queue, item{b, true})
			}
			continue
		}
		it := queue[0]
		queue = queue[1:]
		f, err := ParseFrame(it.b)
		if err != nil {
			p.tb.Fatalf("station sent a bad frame % X: %v", it.b, err)
		}
		drop := p.drop != nil && p.drop(len(p.frames), it.fromClient, f)
		p.frames = append(p.frames, sent{it.fromClient, f, drop})
		if drop {
			continue
		}
		if it.fromClient {
			if p.echo {
				p.deliver(&p.dc, p.c, it.b)
			}
			for _, b := range p.deliver(&p.ds, p.s, it.b) {
				queue = append(queue, item{b, false})
			}
		} else {
			for _, b := range p.deliver(&p.dc, p.c, it.b) {
				queue = append(queue, item{b, true})
			}
		}
	}
}

// deliver writes b to the station's deframer and hands it every frame.
func (p *pair) deliver(d *Deframer, st *Station, b []byte) [][]byte {
	p.tb.Helper()
	if _, err := d.Write(b); err != nil {
		p.tb.Fatal(err)
	}
	var out [][]byte
	for {
		f, err := d.Next()
		if err == ErrNeedMore {
			return out
		}
		if err != nil {
			p.tb.Fatalf("deframer: %v", err)
		}
		o, apdu, err := st.Receive(f)
		if err != nil {
			p.tb.Fatalf("%v Receive(%v): %v", st.Role(), f, err)
		}
		out = append(out, o...)
		if apdu == nil {
			continue
		}
		if st.Role() == RoleClient {
			p.responses = append(p.responses, apdu)
			continue
		}
		p.requests = append(p.requests, apdu)
		o, err = st.Send(p.handler(apdu))
		if err != nil {
			p.tb.Fatalf("server Send: %v", err)
		}
		out = append(out, o...)
	}
}

func (p *pair) connect() {
	p.tb.Helper()
	out, err := p.c.Connect()
	if err != nil {
		p.tb.Fatal(err)
	}
	p.run(out, true)
	if p.c.State() != StateConnected || p.s.State() != StateConnected {
		p.tb.Fatalf("after connect: client %v, server %v", p.c.State(), p.s.State())
	}
}

// request sends apdu from the client and returns the response.
func (p *pair) request(apdu []byte) []byte {
	p.tb.Helper()
	n := len(p.responses)
	out, err := p.c.Send(apdu)
	if err != nil {
		p.tb.Fatal(err)
	}
	p.run(out, true)
	if len(p.responses) != n+1 {
		p.tb.Fatalf("%d responses, want %d (client %v, server %v)", len(p.responses), n+1, p.c.State(), p.s.State())
	}
	if p.c.State() != StateConnected {
		p.tb.Fatalf("client %v after the response", p.c.State())
	}
	return p.responses[n]
}

// count returns how many frames of a kind each side put on the wire
// since frame from.
func (p *pair) count(from int, fromClient bool, k Kind) int {
	n := 0
	for _, s := range p.frames[from:] {
		if s.fromClient == fromClient && s.f.Control.Kind == k {
			n++
		}
	}
	return n
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

var (
	clientAddr = ClientAddress(16)
	serverAddr = Address{Upper: 1, Size: 1}
)

// TestStationSegmentation sends a 5,000-byte APDU each way with windows
// 1 and 7 and information fields of 128 and 1,024 bytes.
func TestStationSegmentation(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, window := range []int{1, 7} {
		for _, info := range []int{128, 1024} {
			t.Run(fmt.Sprintf("window %d info %d", window, info), func(t *testing.T) {
				cfg := Config{Client: clientAddr, Server: serverAddr, MaxInfoTx: info, MaxInfoRx: info, WindowTx: window, WindowRx: window}
				scfg := cfg
				scfg.MaxInfoTx, scfg.MaxInfoRx = MaxInfoLength, MaxInfoLength // the server could do more
				p := newPair(t, cfg, scfg)
				p.connect()
				want := Params{MaxInfoTx: info, MaxInfoRx: info, WindowTx: window, WindowRx: window}
				if p.c.Params() != want || p.s.Params() != want {
					t.Fatalf("negotiated client %+v server %+v, want %+v", p.c.Params(), p.s.Params(), want)
				}
				req, resp := randomBytes(rng, 5000), randomBytes(rng, 5000)
				p.handler = func([]byte) []byte { return resp }
				from := len(p.frames)
				got := p.request(req)
				if !bytes.Equal(p.requests[0], req) || !bytes.Equal(got, resp) {
					t.Fatal("APDU changed in transit")
				}
				segments := (5000 + LLCLength + info - 1) / info
				bursts := (segments + window - 1) / window
				for _, c := range []struct {
					fromClient bool
					kind       Kind
					want       int
				}{
					{true, KindI, segments}, {false, KindI, segments},
					{false, KindRR, bursts - 1}, {true, KindRR, bursts - 1},
				} {
					if n := p.count(from, c.fromClient, c.kind); n != c.want {
						t.Errorf("fromClient=%v: %d %v frames, want %d", c.fromClient, n, c.kind, c.want)
					}
				}
				long := 0
				for _, s := range p.frames[from:] {
					if len(s.f.Info) > info {
						t.Errorf("information field of %d bytes", len(s.f.Info))
					}
					if len(s.f.Info) > 255 {
						long++
					}
				}
				if info > 255 && long == 0 {
					t.Error("no information field above 255 bytes")
				}
				if p.timeouts != 0 {
					t.Errorf("%d time-outs on a perfect link", p.timeouts)
				}
				// A second exchange reuses the sequence numbers that wrapped.
				small := []byte{0xC0, 0x01, 0xC1}
				p.handler = func(b []byte) []byte { return append([]byte{0xC4}, b...) }
				if got := p.request(small); !bytes.Equal(got, append([]byte{0xC4}, small...)) {
					t.Errorf("second response % X", got)
				}
			})
		}
	}
}

// TestStationNegotiation checks the SNRM and UA information fields and
// the parameters each side ends up with.
func TestStationNegotiation(t *testing.T) {
	p := newPair(t,
		Config{Client: clientAddr, Server: serverAddr, MaxInfoTx: 1024, MaxInfoRx: 1024, WindowTx: 7, WindowRx: 7},
		Config{Client: clientAddr, Server: serverAddr, MaxInfoTx: 512, MaxInfoRx: 2030, WindowTx: 3, WindowRx: 7})
	p.connect()
	snrm, ua := p.frames[0].f, p.frames[1].f
	if got := hex.EncodeToString(snrm.Info); got != "81801405020400060204000704000000070804000000"+"07" {
		t.Errorf("SNRM info %s", got)
	}
	// The server sends at most 512 and window 3, receives the client's 1024 and window 7.
	if got := hex.EncodeToString(ua.Info); got != "818014050202000602040007040000000308040000000"+"7" {
		t.Errorf("UA info %s", got)
	}
	if got, want := p.c.Params(), (Params{MaxInfoTx: 1024, MaxInfoRx: 512, WindowTx: 7, WindowRx: 3}); got != want {
		t.Errorf("client params %+v, want %+v", got, want)
	}
	if got, want := p.s.Params(), (Params{MaxInfoTx: 512, MaxInfoRx: 1024, WindowTx: 3, WindowRx: 7}); got != want {
		t.Errorf("server params %+v, want %+v", got, want)
	}

	// A client with the default configuration proposes nothing, and a
	// default server answers with the values the Gurux server sends.
	p = newPair(t, Config{Client: clientAddr, Server: serverAddr}, Config{Server: serverAddr})
	p.connect()
	if snrm := p.frames[0].f; snrm.Info != nil {
		t.Errorf("default SNRM carries % X", snrm.Info)
	}
	if got := hex.EncodeToString(p.frames[1].f.Info); got != "818012050180060180070400000001080400000001" {
		t.Errorf("default UA info %s", got)
	}
}

func TestStationRetransmissionLimit(t *testing.T) {
	c, err := NewClient(Config{Client: clientAddr, Server: serverAddr, MaxRetries: 2})
	if err != nil {
		t.Fatal(err)
	}
	snrm, _ := c.Connect()
	for i := range 2 {
		out, err := c.Timeout()
		if err != nil || len(out) != 1 || !bytes.Equal(out[0], snrm[0]) {
			t.Fatalf("time-out %d: % X, %v", i+1, out, err)
		}
	}
	out, err := c.Timeout()
	if !errors.Is(err, ErrRetryLimit) || len(out) != 0 || c.State() != StateDisconnected {
		t.Fatalf("third time-out: % X, %v, %v", out, err, c.State())
	}
	if !strings.Contains(err.Error(), "connecting") {
		t.Errorf("error %q does not say what was waited for", err)
	}

	// On a connected link the request is retransmitted as it was.
	p := newPair(t, Config{Client: clientAddr, Server: serverAddr, MaxRetries: 2}, Config{Server: serverAddr})
	p.connect()
	req, err := p.c.Send([]byte{0xC0, 0x01})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		out, err := p.c.Timeout()
		if err != nil || len(out) != 1 || !bytes.Equal(out[0], req[0]) {
			t.Fatalf("retransmission % X, %v", out, err)
		}
	}
	if _, err := p.c.Timeout(); !errors.Is(err, ErrRetryLimit) {
		t.Fatalf("err = %v", err)
	}
	// An idle client has nothing to retransmit.
	p = newPair(t, Config{Client: clientAddr, Server: serverAddr}, Config{Server: serverAddr})
	p.connect()
	if out, err := p.c.Timeout(); out != nil || err != nil {
		t.Errorf("idle time-out: % X, %v", out, err)
	}
}

// TestStationLoss drops frames in both directions during segmented
// transfers; the time-outs and go-back-N recover every APDU.
func TestStationLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, window := range []int{1, 3, 7} {
		cfg := Config{Client: clientAddr, Server: serverAddr, MaxInfoTx: 128, MaxInfoRx: 128, WindowTx: window, WindowRx: window, MaxRetries: 10}
		p := newPair(t, cfg, cfg)
		p.connect()
		lost := 0
		p.drop = func(n int, fromClient bool, f Frame) bool {
			if rng.IntN(10) == 0 {
				lost++
				return true
			}
			return false
		}
		for i := range 5 {
			req, resp := randomBytes(rng, 1000+i*500), randomBytes(rng, 3000)
			p.handler = func([]byte) []byte { return resp }
			if got := p.request(req); !bytes.Equal(got, resp) {
				t.Fatalf("window %d: response %d changed", window, i)
			}
			if !bytes.Equal(p.requests[len(p.requests)-1], req) {
				t.Fatalf("window %d: request %d changed", window, i)
			}
		}
		if lost == 0 || p.timeouts == 0 {
			t.Errorf("window %d: %d frames lost, %d time-outs", window, lost, p.timeouts)
		}
		if len(p.requests) != 5 {
			t.Errorf("window %d: server delivered %d requests", window, len(p.requests))
		}
	}
}

// TestStationEcho feeds the client every frame it sends before the
// server's answer, as an optical probe does.
func TestStationEcho(t *testing.T) {
	for _, addrs := range []struct{ client, server Address }{
		{clientAddr, serverAddr},
		{ClientAddress(1), Address{Upper: 1, Size: 1}}, // the same address value on both sides
		{ClientAddress(16), Address{Upper: 1, Lower: 17, Size: 4}},
	} {
		cfg := Config{Client: addrs.client, Server: addrs.server, MaxInfoTx: 128, MaxInfoRx: 128, WindowTx: 2, WindowRx: 2}
		p := newPair(t, cfg, cfg)
		p.echo = true
		p.connect()
		resp := bytes.Repeat([]byte{0x5A}, 700)
		p.handler = func([]byte) []byte { return resp }
		if got := p.request(bytes.Repeat([]byte{0xA5}, 600)); !bytes.Equal(got, resp) {
			t.Fatalf("%v/%v: response changed", addrs.client, addrs.server)
		}
		if p.timeouts != 0 {
			t.Errorf("%v/%v: %d time-outs", addrs.client, addrs.server, p.timeouts)
		}
		out, _ := p.c.Disconnect()
		p.run(out, true)
		if p.c.State() != StateDisconnected || p.s.State() != StateDisconnected {
			t.Errorf("after DISC: client %v server %v", p.c.State(), p.s.State())
		}
	}
}

// frameFrom encodes a frame from the server to the client.
func serverFrame(kind Kind, nr uint8, info []byte) Frame {
	return Frame{Dest: clientAddr, Src: serverAddr, Control: Control{Kind: kind, NR: nr, PF: true}, Info: info}
}

func TestStationDMAndFRMR(t *testing.T) {
	c, _ := NewClient(Config{Client: clientAddr, Server: serverAddr})
	c.Connect()
	out, apdu, err := c.Receive(serverFrame(KindDM, 0, nil))
	if !errors.Is(err, ErrDisconnectedMode) || out != nil || apdu != nil || c.State() != StateDisconnected {
		t.Fatalf("DM to SNRM: %v, %v", err, c.State())
	}

	c.Connect()
	c.Receive(serverFrame(KindUA, 0, nil))
	if c.State() != StateConnected || c.Params() != (Params{128, 128, 1, 1}) {
		t.Fatalf("UA without parameters: %v %+v", c.State(), c.Params())
	}
	_, _, err = c.Receive(serverFrame(KindFRMR, 0, []byte{0x32, 0x8A, 0x08}))
	var fr *FrameRejectError
	if !errors.Is(err, ErrFrameReject) || !errors.As(err, &fr) || c.State() != StateDisconnected {
		t.Fatalf("FRMR: %v, %v", err, c.State())
	}
	if *fr != (FrameRejectError{Control: 0x32, VS: 5, VR: 4, Z: true}) {
		t.Errorf("FRMR content %+v", *fr)
	}
	if !strings.Contains(err.Error(), "0x32") || !strings.Contains(err.Error(), "invalid N(R)") {
		t.Errorf("FRMR error text %q", err)
	}

	// DM on a connected link, and DM as the answer to DISC (no error).
	c.Connect()
	c.Receive(serverFrame(KindUA, 0, nil))
	if _, _, err := c.Receive(serverFrame(KindDM, 0, nil)); !errors.Is(err, ErrDisconnectedMode) {
		t.Errorf("DM on a connected link: %v", err)
	}
	c.Connect()
	c.Receive(serverFrame(KindUA, 0, nil))
	c.Disconnect()
	if _, _, err := c.Receive(serverFrame(KindDM, 0, nil)); err != nil || c.State() != StateDisconnected {
		t.Errorf("DM to DISC: %v, %v", err, c.State())
	}
	// A UA with a broken parameter field.
	c.Connect()
	if _, _, err := c.Receive(serverFrame(KindUA, 0, []byte{0x81, 0x80, 0x05})); !errors.Is(err, ErrBadParams) || c.State() != StateDisconnected {
		t.Errorf("bad UA: %v, %v", err, c.State())
	}
}

// clientFrame encodes a frame from the client to the server.
func clientFrame(c Control, seg bool, info []byte) Frame {
	return Frame{Segmented: seg, Dest: serverAddr, Src: clientAddr, Control: c, Info: info}
}

func mustParse(tb testing.TB, b []byte) Frame {
	tb.Helper()
	f, err := ParseFrame(b)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func TestServerProtocolErrors(t *testing.T) {
	connected := func() *Station {
		s, _ := NewServer(Config{Server: serverAddr})
		if out, _, err := s.Receive(clientFrame(Control{Kind: KindSNRM, PF: true}, false, nil)); err != nil || len(out) != 1 {
			t.Fatalf("SNRM: %v", err)
		}
		return s
	}
	// N(R) acknowledging a frame never sent.
	s := connected()
	out, _, err := s.Receive(clientFrame(Control{Kind: KindI, NS: 0, NR: 3, PF: true}, false, []byte{0xE6, 0xE6, 0x00, 0xC0}))
	if !errors.Is(err, ErrSequence) || len(out) != 1 || s.State() != StateDisconnected {
		t.Fatalf("bad N(R): %v, %d frames, %v", err, len(out), s.State())
	}
	f := mustParse(t, out[0])
	if f.Control.Kind != KindFRMR || hex.EncodeToString(f.Info) != "700008" {
		t.Errorf("FRMR %v % X", f, f.Info)
	}
	// The client turns the FRMR into an error.
	c, _ := NewClient(Config{Client: clientAddr, Server: serverAddr})
	c.Connect()
	c.Receive(serverFrame(KindUA, 0, nil))
	var fr *FrameRejectError
	if _, _, err := c.Receive(f); !errors.As(err, &fr) || !fr.Z || fr.Control != 0x70 {
		t.Errorf("client on FRMR: %v", err)
	}

	// An information field above the negotiated 128 bytes.
	s = connected()
	out, _, err = s.Receive(clientFrame(Control{Kind: KindI, PF: true}, false, make([]byte, 129)))
	if !errors.Is(err, ErrInfoTooLong) || len(out) != 1 || mustParse(t, out[0]).Info[2] != 0x04 {
		t.Errorf("long info: %v, % X", err, out)
	}
	// A first segment without the LLC header.
	s = connected()
	out, _, err = s.Receive(clientFrame(Control{Kind: KindI, PF: true}, false, []byte{0xC0, 0x01, 0x00}))
	if !errors.Is(err, ErrBadLLC) || len(out) != 1 || mustParse(t, out[0]).Control.Kind != KindFRMR {
		t.Errorf("no LLC: %v, % X", err, out)
	}
	// An APDU above MaxAPDU.
	s, _ = NewServer(Config{Server: serverAddr, MaxAPDU: 100})
	s.Receive(clientFrame(Control{Kind: KindSNRM, PF: true}, false, nil))
	s.Receive(clientFrame(Control{Kind: KindI, NS: 0}, true, append([]byte{0xE6, 0xE6, 0x00}, make([]byte, 90)...)))
	if _, _, err := s.Receive(clientFrame(Control{Kind: KindI, NS: 1, PF: true}, false, make([]byte, 20))); !errors.Is(err, ErrAPDUTooLarge) {
		t.Errorf("APDU too large: %v", err)
	}
}

func TestServerDisconnectedMode(t *testing.T) {
	s, _ := NewServer(Config{Client: clientAddr, Server: serverAddr})
	for _, c := range []Control{{Kind: KindI, PF: true}, {Kind: KindRR, PF: true}, {Kind: KindDISC, PF: true}} {
		out, _, err := s.Receive(clientFrame(c, false, []byte{0xE6, 0xE6, 0x00, 0xC0}))
		if err != nil || len(out) != 1 || mustParse(t, out[0]).Control.Kind != KindDM {
			t.Errorf("%v while disconnected: % X, %v", c, out, err)
		}
	}
	// Without P, no answer.
	if out, _, _ := s.Receive(clientFrame(Control{Kind: KindRR}, false, nil)); out != nil {
		t.Errorf("RR without poll answered % X", out)
	}
	// Another client is not served.
	other := Frame{Dest: serverAddr, Src: ClientAddress(17), Control: Control{Kind: KindSNRM, PF: true}}
	if out, _, _ := s.Receive(other); out != nil || s.State() != StateDisconnected {
		t.Errorf("SNRM from client 17: % X, %v", out, s.State())
	}
	// A broken SNRM parameter field is refused with DM.
	out, _, err := s.Receive(clientFrame(Control{Kind: KindSNRM, PF: true}, false, []byte{0x82, 0x80, 0x00}))
	if !errors.Is(err, ErrBadParams) || len(out) != 1 || mustParse(t, out[0]).Control.Kind != KindDM {
		t.Errorf("bad SNRM: % X, %v", out, err)
	}
	// Connected, then inactive.
	s.Receive(clientFrame(Control{Kind: KindSNRM, PF: true}, false, nil))
	if out, err := s.Timeout(); !errors.Is(err, ErrInactivity) || out != nil || s.State() != StateDisconnected {
		t.Errorf("inactivity: %v, %v", err, s.State())
	}
	if _, err := s.Connect(); !errors.Is(err, ErrWrongRole) {
		t.Errorf("server Connect: %v", err)
	}
}

// TestServerSlowApplication: the client polls before the server's
// application has answered; the server returns the poll with RR and sends
// the response at the next poll.
func TestServerSlowApplication(t *testing.T) {
	s, _ := NewServer(Config{Server: serverAddr})
	s.Receive(clientFrame(Control{Kind: KindSNRM, PF: true}, false, nil))
	out, apdu, err := s.Receive(clientFrame(Control{Kind: KindI, PF: true}, false, []byte{0xE6, 0xE6, 0x00, 0xC0, 0x01}))
	if err != nil || out != nil || !bytes.Equal(apdu, []byte{0xC0, 0x01}) || s.State() != StateWaiting {
		t.Fatalf("request: % X % X %v %v", out, apdu, err, s.State())
	}
	out, _, _ = s.Receive(clientFrame(Control{Kind: KindRR, NR: 0, PF: true}, false, nil))
	if len(out) != 1 || mustParse(t, out[0]).Control != (Control{Kind: KindRR, NR: 1, PF: true}) {
		t.Fatalf("poll before the response: % X", out)
	}
	out, err = s.Send([]byte{0xC4, 0x01})
	if err != nil || out != nil || s.State() != StateSending {
		t.Fatalf("Send without the poll: % X %v %v", out, err, s.State())
	}
	out, _, _ = s.Receive(clientFrame(Control{Kind: KindRR, NR: 0, PF: true}, false, nil))
	if len(out) != 1 {
		t.Fatalf("poll after Send: % X", out)
	}
	if f := mustParse(t, out[0]); f.Control != (Control{Kind: KindI, NS: 0, NR: 1, PF: true}) || !bytes.Equal(f.Info, []byte{0xE6, 0xE7, 0x00, 0xC4, 0x01}) {
		t.Errorf("response %v % X", f, f.Info)
	}
}

func TestStationSendErrors(t *testing.T) {
	c, _ := NewClient(Config{Client: clientAddr, Server: serverAddr})
	if _, err := c.Send([]byte{1}); !errors.Is(err, ErrNotConnected) {
		t.Errorf("Send before Connect: %v", err)
	}
	c.Connect()
	if _, err := c.Connect(); !errors.Is(err, ErrBusy) {
		t.Errorf("second Connect: %v", err)
	}
	c.Receive(serverFrame(KindUA, 0, nil))
	if _, err := c.Send(nil); !errors.Is(err, ErrEmptyAPDU) {
		t.Errorf("empty APDU: %v", err)
	}
	if _, err := c.Send([]byte{1}); err != nil {
		t.Fatal(err)
	}
	if c.State() != StateWaiting {
		t.Errorf("state %v after Send", c.State())
	}
	if _, err := c.Send([]byte{2}); !errors.Is(err, ErrBusy) {
		t.Errorf("Send while waiting: %v", err)
	}
	// The server's RR F says "not ready": the client waits, then polls.
	out, _, err := c.Receive(serverFrame(KindRR, 1, nil))
	if err != nil || out != nil || c.State() != StateWaiting {
		t.Fatalf("RR from the server: % X %v %v", out, err, c.State())
	}
	out, err = c.Timeout()
	if err != nil || len(out) != 1 || mustParse(t, out[0]).Control != (Control{Kind: KindRR, NR: 0, PF: true}) {
		t.Errorf("poll after time-out: % X %v", out, err)
	}
}

func TestNewStationErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Client: Address{Upper: 1, Lower: 2, Size: 2}, Server: serverAddr},
		{Client: clientAddr, Server: Address{Upper: 1, Size: 3}},
		{Client: clientAddr, Server: serverAddr, WindowTx: 8},
		{Client: clientAddr, Server: serverAddr, MaxInfoRx: 3},
		{Client: clientAddr, Server: serverAddr, MaxInfoTx: MaxInfoLength + 1},
		{Client: clientAddr, Server: serverAddr, MaxRetries: -1},
	} {
		if _, err := NewClient(cfg); err == nil {
			t.Errorf("NewClient(%+v) succeeded", cfg)
		}
	}
	if _, err := NewServer(Config{Server: serverAddr}); err != nil {
		t.Errorf("server without a client address: %v", err)
	}
}

func TestStateAndRoleStrings(t *testing.T) {
	for st := StateDisconnected; st <= StateDisconnecting; st++ {
		if s := st.String(); s == "" || strings.HasPrefix(s, "state(") {
			t.Errorf("State(%d).String() = %q", st, s)
		}
	}
	if State(42).String() != "state(42)" || RoleClient.String() != "client" || RoleServer.String() != "server" || Role(0).String() != "role(0)" {
		t.Error("String methods")
	}
}
