package sim

import (
	pqueue "container/heap"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/hdlc"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/dlms/wrapper"
	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/transport"
)

// PushConfig says where and how the meters send their daily push: a
// data-notification with the objects of the profile's push setup (the
// push setup's logical name, the clock, the four indexes, the gas volume
// and its capture time), at the push instant of each meter (MeterConfig
// PushDelay after local midnight by the meter's clock). Each push opens a
// TCP connection to the destination of the meter's push setup, sends one
// message and closes it. When the virtual clock jumps over several push
// instants, a meter pushes once, with its values of the moment.
type PushConfig struct {
	// Address is the host:port the meters push to, until a client writes
	// another destination to a meter's push setup; "" pushes nothing.
	Address string
	// Framing is transport.FramingWrapper (the default) or
	// transport.FramingHDLC: the APDU in UI frames, from the meter's
	// address to ClientSAP.
	Framing transport.Framing
	// Ciphered protects the push with general-glo-ciphering under the
	// meter's keys (authenticated and encrypted, the meter's own
	// invocation counter); in clear otherwise.
	Ciphered bool
	// ClientSAP is the destination wPort, or the HDLC client address; 0
	// means DefaultPushSAP.
	ClientSAP uint16
	// Timeout bounds the connection and the sending of one push; 0 means
	// ten seconds.
	Timeout time.Duration
	// Concurrency is how many pushes are sent at once; 0 means 16.
	Concurrency int
	// Dial opens the connections; nil means a net.Dialer.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// Sent, if set, is told of every push sent or failed.
	Sent func(id string, err error)
}

// DefaultPushSAP is the client SAP that pushes are sent to by default.
const DefaultPushSAP = 102

// The pieces of a push split by the SplitPush fault: HDLC information
// fields of splitPushInfo bytes, or wrapper messages written in pieces
// with a pause between them.
const (
	splitPushInfo  = 64
	splitPushPause = 20 * time.Millisecond
)

// pusher sends the daily pushes of a Server's meters.
type pusher struct {
	s      *Server
	cfg    PushConfig
	queue  chan *Device
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newPusher(s *Server, cfg PushConfig) *pusher {
	if cfg.Framing == 0 {
		cfg.Framing = transport.FramingWrapper
	}
	if cfg.ClientSAP == 0 {
		cfg.ClientSAP = DefaultPushSAP
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	if cfg.Dial == nil {
		cfg.Dial = (&net.Dialer{}).DialContext
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &pusher{s: s, cfg: cfg, queue: make(chan *Device, cfg.Concurrency), ctx: ctx, cancel: cancel}
}

// start starts the scheduler and the senders. The first push of each
// meter is the first after the virtual instant of the call.
func (p *pusher) start() {
	now := p.s.fleet.Clock().Now()
	h := make(dueHeap, 0, len(p.s.devices))
	for _, d := range p.s.devices {
		h = append(h, due{at: d.m.NextPush(now), d: d})
	}
	pqueue.Init(&h)
	p.wg.Add(1 + p.cfg.Concurrency)
	go p.schedule(h)
	for range p.cfg.Concurrency {
		go func() {
			defer p.wg.Done()
			for {
				select {
				case <-p.ctx.Done():
					return
				case d := <-p.queue:
					p.push(d)
				}
			}
		}()
	}
}

// stop stops sending and waits for the goroutines.
func (p *pusher) stop() {
	p.cancel()
	p.wg.Wait()
}

// due is a meter's next push instant, in the scheduler's heap.
type due struct {
	at time.Time
	d  *Device
}

type dueHeap []due

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(due)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// schedule waits on the virtual clock for each meter's push instant.
func (p *pusher) schedule(h dueHeap) {
	defer p.wg.Done()
	clock := p.s.fleet.Clock()
	for h.Len() > 0 {
		if err := clock.WaitUntil(p.ctx, h[0].at); err != nil {
			return
		}
		now := clock.Now()
		for h.Len() > 0 && !h[0].at.After(now) {
			select {
			case p.queue <- h[0].d:
			case <-p.ctx.Done():
				return
			}
			h[0].at = h[0].d.m.NextPush(now)
			pqueue.Fix(&h, 0)
		}
	}
}

// sendNow queues d's push, for the push method of its push setup. It does
// not wait: the caller holds d's lock, which the push needs.
func (p *pusher) sendNow(d *Device) error {
	select {
	case <-p.ctx.Done():
		return dlms.ActionTemporaryFailure
	default:
	}
	select {
	case p.queue <- d:
		return nil
	default:
		return dlms.ActionTemporaryFailure // pushes enough under way
	}
}

// push sends one push of d and reports it.
func (p *pusher) push(d *Device) {
	err := p.send(d)
	if p.cfg.Sent != nil {
		p.cfg.Sent(d.m.ID(), err)
	}
}

func (p *pusher) send(d *Device) error {
	d.mu.Lock()
	dest := d.pushDest
	f := d.m.Faults()
	var msg []byte
	var err error
	if dest != "" && !f.Silent {
		msg, err = d.pushAPDU(d.now(), p.cfg.Ciphered)
	}
	d.mu.Unlock()
	if err != nil || msg == nil {
		return err
	}
	ctx, cancel := context.WithTimeout(p.ctx, p.cfg.Timeout)
	defer cancel()
	conn, err := p.cfg.Dial(ctx, "tcp", dest)
	if err != nil {
		return fmt.Errorf("sim: push of %s: %w", d.m.ID(), err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetWriteDeadline(dl)
	}
	pieces, err := p.frames(d, msg, f.SplitPush)
	if err != nil {
		return fmt.Errorf("sim: push of %s: %w", d.m.ID(), err)
	}
	for i, b := range pieces {
		if i > 0 && f.SplitPush {
			select {
			case <-time.After(splitPushPause):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if _, err := conn.Write(b); err != nil {
			return fmt.Errorf("sim: push of %s: %w", d.m.ID(), err)
		}
	}
	return nil
}

// frames returns the writes that carry a push APDU: one wrapper message
// (in three writes when split), or HDLC UI frames (segmented when the APDU
// does not fit one frame, or when split).
func (p *pusher) frames(d *Device, msg []byte, split bool) ([][]byte, error) {
	logical := d.cat.profile.ServerAddress
	if p.cfg.Framing == transport.FramingWrapper {
		b, err := wrapper.AppendFrame(nil, logical, p.cfg.ClientSAP, msg)
		if err != nil {
			return nil, err
		}
		if !split {
			return [][]byte{b}, nil
		}
		third := (len(b) - wrapper.HeaderLen) / 3
		return [][]byte{b[:wrapper.HeaderLen], b[wrapper.HeaderLen : wrapper.HeaderLen+third], b[wrapper.HeaderLen+third:]}, nil
	}
	info := hdlc.AppendLLC(nil, true)
	info = append(info, msg...)
	size := hdlc.DefaultMaxInfo
	if split {
		size = splitPushInfo
	}
	var out [][]byte
	for len(info) > 0 {
		n := min(size, len(info))
		f := hdlc.Frame{
			Segmented: n < len(info),
			Dest:      hdlc.ClientAddress(uint8(p.cfg.ClientSAP)),
			Src:       hdlc.Address{Upper: logical, Lower: d.m.Identity().PhysicalAddress, Size: 4},
			Control:   hdlc.Control{Kind: hdlc.KindUI},
			Info:      info[:n],
		}
		b, err := f.AppendBinary(nil)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
		info = info[n:]
	}
	return out, nil
}

// pushAPDU returns the data-notification that d pushes at now, ciphered
// with general-glo-ciphering when ciphered is true; d.mu is held.
func (d *Device) pushAPDU(now time.Time, ciphered bool) ([]byte, error) {
	o := d.cat.byRole[meter.RolePushSetup]
	if o == nil {
		return nil, errors.New("sim: the profile has no push setup")
	}
	pc := d.m.PushContent(now)
	_, hasGas := d.m.Gas()
	s := snapshot{
		clock: pc.Clock, regs: pc.Registers, hasRegs: true,
		importTotal: pc.Registers.ImportTotal(), exportTotal: pc.Registers.ExportTotal(), hasTotals: true,
		gas: pc.Gas, hasGas: hasGas,
	}
	om := objectModel{d}
	items := make([]axdr.Data, len(o.Capture))
	for i, co := range o.Capture {
		items[i] = om.column(co, &s)
	}
	d.pushes++
	n := apdu.DataNotification{
		Invoke:   apdu.LongInvokeIDAndPriority(d.pushes & 0xFFFFFF),
		DateTime: axdr.DateTimeOf(pc.Clock.In(d.m.Location())).Append(nil),
		Body:     axdr.Structure(items...),
	}
	plain := n.Append(nil)
	if !ciphered {
		return plain, nil
	}
	st := d.m.Identity().SystemTitle
	sc, err := security.NewContext(security.Config{Keys: d.keys.security(), SystemTitle: st[:], Policy: security.PolicyAuthenticatedEncrypted})
	if err != nil {
		return nil, err
	}
	ic, err := d.counter.Reserve(1)
	if err != nil {
		return nil, err
	}
	return sc.Encrypt(nil, plain, security.GeneralGlobal, ic)
}
