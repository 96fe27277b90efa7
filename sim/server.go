package sim

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/dlms/session"
	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/transport"
)

// DeviceConfig configures a Device.
type DeviceConfig struct {
	// Profile is the meter profile the device serves; the zero Profile
	// means DefaultProfile.
	Profile meter.Profile
	// Now is the virtual clock the device reads its meter at: the fleet's
	// Clock().Now. Required.
	Now func() time.Time
	// Rand is the source of the HLS challenges, safe for concurrent use;
	// crypto/rand when nil.
	Rand io.Reader
	// MaxPDU is the server-max-receive-pdu-size; 0 means
	// session.DefaultServerMaxPDU.
	MaxPDU uint16
	// CounterStart is the first invocation counter the device ciphers
	// with; 0 means 1. A simulator restarted under the same seed should
	// start above the values it used before, since the head-end remembers
	// them.
	CounterStart uint32
	// PushDestination is where the push setup says the meter pushes
	// (attribute 3), until a client writes another.
	PushDestination string
	// Push queues the device's push, for the push method of the push
	// setup; nil makes that method fail with temporary-failure. It is
	// called with the device's lock held, so it must not wait for the
	// push, which takes the lock. An error that is a dlms.ActionResult is
	// the method's result.
	Push func(d *Device) error
}

// Device is a simulated meter on the wire: the behaviour model of one Meter
// served as the COSEM objects of a meter profile, through the associations
// of the profile (public, management with HLS-GMAC and ciphering,
// technician with LLS), with the fault switches of the Meter applied.
//
// It keeps what a meter keeps beside its measurements: its current keys
// (which global_key_transfer replaces for the next association), the
// invocation counter it ciphers with, and a replay guard per client system
// title under its current keys, shared by all the associations and links
// it serves, in which it remembers the last counter each client used. A
// Device serves any number of links at once, one request at a time.
type Device struct {
	m   *Meter
	cat *catalog
	cfg *DeviceConfig

	mu          sync.Mutex // held while a request is answered
	keys        deviceKeys
	counter     deviceCounter
	guards      map[[security.SystemTitleSize]byte]*security.ReplayGuard
	clientTitle []byte // of the last management client accepted
	policy      security.Policy
	suite       uint8
	refusedOnce bool // the first association was refused (NotAllowedFirst)
	emergencyW  int64
	pushDest    string
	pushes      uint32 // the invoke id of the last push
}

// deviceKeys are a device's current suite 0 keys.
type deviceKeys struct {
	ek, ak, kek, bk [security.KeySize]byte
	hasBK           bool
}

func (k *deviceKeys) security() security.Keys {
	s := security.Keys{Encryption: bytes.Clone(k.ek[:]), Authentication: bytes.Clone(k.ak[:])}
	if k.hasBK {
		s.Broadcast = bytes.Clone(k.bk[:])
	}
	return s
}

// NewDevice returns the device that serves meter m.
func NewDevice(m *Meter, cfg DeviceConfig) (*Device, error) {
	if cfg.Now == nil {
		return nil, errors.New("sim: DeviceConfig.Now is required")
	}
	if cfg.Profile.Name == "" {
		p, err := meter.LookupProfile(DefaultProfile)
		if err != nil {
			return nil, err
		}
		cfg.Profile = p
	}
	ch := uint8(1)
	if g, ok := m.Gas(); ok {
		ch = uint8(g.Channel)
	}
	cat, err := newCatalog(cfg.Profile, ch)
	if err != nil {
		return nil, err
	}
	return newDevice(m, cat, &cfg), nil
}

// newDevice returns the device of m with a catalog and a config that it
// may share with other devices.
func newDevice(m *Meter, cat *catalog, cfg *DeviceConfig) *Device {
	d := &Device{m: m, cat: cat, cfg: cfg, pushDest: cfg.PushDestination}
	k := m.Identity().Keys
	d.keys = deviceKeys{ek: k.EK, ak: k.AK, kek: k.KEK}
	d.counter.next = max(cfg.CounterStart, 1)
	for _, a := range cat.profile.Associations() {
		if a.Policy > d.policy {
			d.policy, d.suite = a.Policy, a.Suite
		}
	}
	return d
}

// Meter returns the behaviour model of the device.
func (d *Device) Meter() *Meter { return d.m }

// Profile returns the meter profile that the device serves.
func (d *Device) Profile() meter.Profile { return d.cat.profile }

// now returns the virtual instant.
func (d *Device) now() time.Time { return d.cfg.Now() }

// Keys returns the device's current keys: the meter's test keys, or those
// that a global_key_transfer installed.
func (d *Device) Keys() meter.Keys {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := meter.Keys{
		EK:          meter.NewSecret(d.keys.ek[:]),
		AK:          meter.NewSecret(d.keys.ak[:]),
		KEK:         meter.NewSecret(d.keys.kek[:]),
		LLSPassword: meter.NewSecret([]byte(d.m.Identity().Keys.LLSPassword)),
	}
	hs := d.m.Identity().Keys.HLSSecret
	k.HLSSecret = meter.NewSecret(hs[:])
	return k
}

// InvocationCounter returns what the invocation counter object
// (0-0:43.1.0.255) shows: the last invocation counter that the device
// accepted from a management client under its current keys (the highest
// of its clients' when several used them), 0 before any. The head-end
// sends above it.
func (d *Device) InvocationCounter() uint32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.invocationCounter()
}

// invocationCounter is InvocationCounter with d.mu held.
func (d *Device) invocationCounter() uint32 {
	var last uint32
	for _, g := range d.guards {
		if v, ok := g.Last(); ok && v > last {
			last = v
		}
	}
	return last
}

// guard returns the replay guard of the client with system title title;
// d.mu is held.
func (d *Device) guard(title []byte) *security.ReplayGuard {
	if d.guards == nil {
		d.guards = map[[security.SystemTitleSize]byte]*security.ReplayGuard{}
	}
	k := [security.SystemTitleSize]byte(title)
	g := d.guards[k]
	if g == nil {
		g = new(security.ReplayGuard)
		d.guards[k] = g
	}
	return g
}

// installKeys installs the keys of a global_key_transfer; they take effect
// at the next association. A new encryption key starts new replay guards
// (the counters of the clients start again under it); the device's own
// counter goes on, never reusing a value. d.mu is held.
func (d *Device) installKeys(keys []security.KeyData) {
	for _, k := range keys {
		switch k.ID {
		case security.KeyGlobalUnicast:
			if !bytes.Equal(d.keys.ek[:], k.Key) {
				d.guards = nil
			}
			copy(d.keys.ek[:], k.Key)
		case security.KeyGlobalBroadcast:
			copy(d.keys.bk[:], k.Key)
			d.keys.hasBK = true
		case security.KeyAuthentication:
			copy(d.keys.ak[:], k.Key)
		case security.KeyMaster:
			copy(d.keys.kek[:], k.Key)
		}
	}
}

// pushDestination returns where the device pushes; d.mu is held.
func (d *Device) pushDestination() string { return d.pushDest }

// pushNow runs the push method; d.mu is held.
func (d *Device) pushNow() error {
	if d.cfg.Push == nil || d.pushDest == "" {
		return dlms.ActionTemporaryFailure
	}
	return d.cfg.Push(d)
}

// emergencyThreshold returns threshold_emergency of the limiter; d.mu is
// held.
func (d *Device) emergencyThreshold(o *meter.Object) int64 {
	if d.emergencyW == 0 {
		if o.ThresholdOff != 0 {
			return o.ThresholdOff
		}
		return LimiterOff
	}
	return d.emergencyW
}

// ObjectModel returns the device's COSEM objects as a session.ObjectModel,
// for a session.Server that a test drives without a link. Each call takes
// the device's lock.
func (d *Device) ObjectModel() session.ObjectModel { return lockedModel{d} }

type lockedModel struct{ d *Device }

func (l lockedModel) Objects() []session.Object { return l.d.cat.list }

func (l lockedModel) Exists(class dlms.ClassID, obis dlms.OBIS) bool {
	return objectModel(l).Exists(class, obis)
}

func (l lockedModel) Get(r session.AttributeRequest) (axdr.Data, error) {
	l.d.mu.Lock()
	defer l.d.mu.Unlock()
	return objectModel(l).Get(r)
}

func (l lockedModel) Set(r session.AttributeRequest, v axdr.Data) error {
	l.d.mu.Lock()
	defer l.d.mu.Unlock()
	return objectModel(l).Set(r, v)
}

func (l lockedModel) Action(r session.MethodRequest, param *axdr.Data) (*axdr.Data, error) {
	l.d.mu.Lock()
	defer l.d.mu.Unlock()
	return objectModel(l).Action(r, param)
}

// Open opens the session of a link to the device: an HDLC link to the
// profile's server address (the upper HDLC address) and the meter's
// physical address (or a one-byte address), or a wrapper link to the
// profile's server address as wPort. A silent meter opens nothing. Open
// makes the Device a transport.Handler for a port or a line of its own.
func (d *Device) Open(_ context.Context, p transport.Peer) (transport.Session, bool) {
	if p.Logical != d.cat.profile.ServerAddress {
		return nil, false
	}
	if p.Framing == transport.FramingHDLC && p.Physical != 0 && p.Physical != d.m.Identity().PhysicalAddress {
		return nil, false
	}
	if d.m.Faults().Silent {
		return nil, false
	}
	return &linkSession{d: d, sap: p.Client}, true
}

// linkSession answers the requests of one link, the associations of one
// client SAP, with a session.Server made at each AARQ from the device's
// keys and counters of that moment.
type linkSession struct {
	d     *Device
	sap   uint16
	srv   *session.Server
	title []byte // of a ciphering client, until its association is established
}

// Serve answers one request, applying the faults that act on the
// association: silence, a refused association, service-not-allowed at the
// first attempt, another system title, a replayed invocation counter.
func (s *linkSession) Serve(_ context.Context, req transport.Request) []byte {
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	f := d.m.Faults()
	if f.Silent || len(req.APDU) == 0 {
		return nil
	}
	d.counter.replay = f.ReplayCounter
	var title []byte
	if apdu.Tag(req.APDU[0]) == apdu.TagAARQ {
		if f.RefuseAssociation {
			return refusal()
		}
		if !f.NotAllowedFirst {
			d.refusedOnce = false
		} else if !d.refusedOnce {
			d.refusedOnce = true
			e := apdu.ExceptionResponse{StateError: dlms.StateServiceNotAllowed, ServiceError: dlms.ServiceOperationNotPossible}
			return e.Append(nil)
		}
		if aarq, err := apdu.ParseAARQ(req.APDU); err == nil {
			title = aarq.CallingAPTitle
		}
		s.srv = nil
	}
	if s.srv == nil {
		srv, err := d.server(s.sap, title, f.WrongSystemTitle)
		if err != nil {
			return refusal()
		}
		s.srv = srv
	}
	if title != nil {
		s.title = nil
		if spec, ok := d.cat.profile.AssociationBySAP(s.sap); ok && spec.Policy != security.PolicyNone {
			s.title = bytes.Clone(title)
		}
	}
	resp, _ := s.srv.Handle(s.sap, req.APDU)
	if s.title != nil && s.srv.State(s.sap) == session.Associated {
		// The security setup shows the last client that associated.
		d.clientTitle, s.title = s.title, nil
	}
	return resp
}

// Close ends the link's association.
func (s *linkSession) Close() {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	if s.srv != nil {
		s.srv.Reset(s.sap)
	}
}

// server returns a session server for client SAP sap with the device's
// current keys, and the system title of the client when the AARQ gave it;
// wrongTitle makes it cipher under another system title than the meter's.
// d.mu is held.
func (d *Device) server(sap uint16, clientTitle []byte, wrongTitle bool) (*session.Server, error) {
	assocs := map[uint16]session.AssociationPolicy{}
	if spec, ok := d.cat.profile.AssociationBySAP(sap); ok {
		assocs[sap] = d.associationPolicy(spec, clientTitle)
	}
	st := d.m.Identity().SystemTitle
	if wrongTitle {
		st[len(st)-1] ^= 0xA5
	}
	r := d.cfg.Rand
	if r == nil {
		r = rand.Reader
	}
	srv, err := session.NewServer(session.ServerConfig{
		Objects:      objectModel{d},
		Associations: assocs,
		SystemTitle:  st[:],
		MaxPDU:       d.cfg.MaxPDU,
		Rand:         r,
	})
	if err != nil {
		return nil, fmt.Errorf("sim: meter %s: %w", d.m.ID(), err)
	}
	return srv, nil
}

// refusal is the AARE of a meter that refuses every association.
func refusal() []byte {
	aare := apdu.AARE{
		ApplicationContext: apdu.ContextLN,
		Result:             apdu.ResultRejectedPermanent,
		Diagnostic:         apdu.Diagnostic{Value: apdu.DiagNoReasonGiven},
	}
	return aare.Append(nil)
}

// deviceCounter hands out the invocation counters a device ciphers with.
// With replay set (the ReplayCounter fault), every other reservation gets
// the value reserved before it once more. It is used with the device's
// lock held.
type deviceCounter struct {
	next     uint32
	last     uint32
	replay   bool
	repeated bool
	used     bool
}

// Reserve implements security.CounterReserver.
func (c *deviceCounter) Reserve(n uint32) (uint32, error) {
	if n == 0 {
		return 0, fmt.Errorf("sim: reserve of 0 invocation counters")
	}
	if c.replay && c.used && !c.repeated {
		c.repeated = true
		return c.last, nil
	}
	if uint64(c.next)+uint64(n)-1 > security.MaxCounter || c.next == 0 {
		return 0, security.ErrCounterExhausted
	}
	first := c.next
	c.next += n // wraps to 0 after MaxCounter: exhausted from then on
	c.last, c.used, c.repeated = first+n-1, true, false
	return first, nil
}

// NextCounter returns the invocation counter the device ciphers its next APDU
// with.
func (d *Device) NextCounter() uint32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.counter.next
}
