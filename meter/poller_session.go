package meter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/openhes/hes/dlms/security"
)

// Dial opens a connected link to meter m for the client of association
// ("public", "management" …, a name of m.Associations): the wiring of the
// binary implements it with the transport package, from m.Link,
// m.Addresses and the association's client SAP. ctx bounds the
// connection (TCP connect, HDLC SNRM/UA, optical sign-on).
type Dial func(ctx context.Context, m Meter, association string) (Link, error)

// The associations that Sessions opens.
const (
	AssociationPublic     = "public"
	AssociationManagement = "management"
)

// Limits bound how many sessions run at once: in all, on one link (a TCP
// address or a serial device, which a gateway or a multi-drop line may
// share between meters), and through one concentrator. A meter never has
// two sessions at once, whoever opens them.
type Limits struct {
	Global          int // 0: 64
	PerLink         int // 0: 1
	PerConcentrator int // 0: 8
}

func (l Limits) withDefaults() Limits {
	if l.Global <= 0 {
		l.Global = 64
	}
	if l.PerLink <= 0 {
		l.PerLink = 1
	}
	if l.PerConcentrator <= 0 {
		l.PerConcentrator = 8
	}
	return l
}

// linkKey names the link a session with m occupies: its TCP address or
// serial device; a meter behind a concentrator is its own link.
func linkKey(m Meter) string {
	switch m.Link.Kind {
	case LinkTCP:
		return "tcp " + m.Link.Address
	case LinkSerial:
		return "serial " + m.Link.Device
	}
	return "meter " + m.ID
}

// gate hands out the session slots of Limits. Slots are taken in one
// step, all or none, so a meter that waits holds nothing and a slow
// meter holds only its own slots.
type gate struct {
	limits Limits

	mu     sync.Mutex
	global int
	links  map[string]int
	concs  map[string]int
	meters map[string]bool
	wake   chan struct{} // closed and replaced at every release
}

func newGate(l Limits) *gate {
	return &gate{
		limits: l.withDefaults(), links: map[string]int{}, concs: map[string]int{},
		meters: map[string]bool{}, wake: make(chan struct{}),
	}
}

// tryAcquire takes the slots of a session with m, or reports false when
// one of them is taken. release gives them back; it may be called once.
func (g *gate) tryAcquire(m Meter) (release func(), ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	lk, conc := linkKey(m), m.Link.Concentrator
	if g.meters[m.ID] || g.global >= g.limits.Global || g.links[lk] >= g.limits.PerLink ||
		(conc != "" && g.concs[conc] >= g.limits.PerConcentrator) {
		return nil, false
	}
	g.meters[m.ID] = true
	g.global++
	g.links[lk]++
	if conc != "" {
		g.concs[conc]++
	}
	var once sync.Once
	return func() { once.Do(func() { g.release(m.ID, lk, conc) }) }, true
}

func (g *gate) release(id, lk, conc string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.meters, id)
	g.global--
	if g.links[lk]--; g.links[lk] == 0 {
		delete(g.links, lk)
	}
	if conc != "" {
		if g.concs[conc]--; g.concs[conc] == 0 {
			delete(g.concs, conc)
		}
	}
	close(g.wake)
	g.wake = make(chan struct{})
}

// changed returns a channel that is closed at the next release.
func (g *gate) changed() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.wake
}

// full reports whether every global slot is taken.
func (g *gate) full() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.global >= g.limits.Global
}

// acquire waits until the slots of a session with m are free and takes
// them.
func (g *gate) acquire(ctx context.Context, m Meter) (func(), error) {
	for {
		wake := g.changed()
		if release, ok := g.tryAcquire(m); ok {
			return release, nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// SessionsConfig configures Sessions.
type SessionsConfig struct {
	// Dial opens the links; required.
	Dial Dial
	// SystemTitle is the head-end's system title (8 bytes), required by
	// HLS-GMAC and ciphering.
	SystemTitle []byte
	// Limits bound the sessions at once.
	Limits Limits
	// Rand is the source of the HLS challenges; crypto/rand when nil.
	// Sessions serialise its use.
	Rand io.Reader
	// Logger receives one event per session opened, closed or failed;
	// the zero Logger logs nothing.
	Logger zerolog.Logger
	// ClientLogger, when set, receives the clients' debug event per
	// service call.
	ClientLogger *zerolog.Logger
}

// Sessions opens management sessions with the registered meters: the one
// place that turns a meter of the Store into an association, for the
// poller, the command executor, commissioning and key rotation. It takes
// the meter's keys from the Store, ciphers with the Store's persistent
// SendCounter, checks the meter's counters with the persisted ReplayGuard
// and saves it when the session ends. When the Store knows no counter
// received from the meter under its key (the first session, or the first
// after a key change), and again after an association that the meter
// refused or did not authenticate, it first reads the meter's invocation
// counter through the public association and raises the SendCounter
// above it: another client with the same key may have moved it.
//
// Sessions also enforce Limits, and a meter never has two sessions at
// once. It is safe for concurrent use.
type Sessions struct {
	store *Store
	cfg   SessionsConfig
	gate  *gate
}

// NewSessions returns Sessions over store.
func NewSessions(store *Store, cfg SessionsConfig) (*Sessions, error) {
	if store == nil || cfg.Dial == nil {
		return nil, errors.New("meter: sessions need a store and a Dial")
	}
	if len(cfg.SystemTitle) != 8 {
		return nil, fmt.Errorf("meter: sessions: head-end system title of %d bytes, want 8", len(cfg.SystemTitle))
	}
	if cfg.Rand != nil {
		cfg.Rand = &lockedReader{r: cfg.Rand}
	}
	return &Sessions{store: store, cfg: cfg, gate: newGate(cfg.Limits)}, nil
}

// lockedReader serialises the reads of a random source that sessions
// running at once share.
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

// Store returns the store that the sessions use.
func (s *Sessions) Store() *Store { return s.store }

// Limits returns the limits in force, defaults filled in.
func (s *Sessions) Limits() Limits { return s.gate.limits }

// Session is a management association with a registered meter. The
// Client's methods read, write and invoke its objects; Close releases the
// association, saves the replay guard and frees the session's slots.
// Close the Session, not its Client.
type Session struct {
	*Client
	Meter   Meter
	Profile Profile

	store   *Store
	ek      Secret
	guard   *security.ReplayGuard
	release func()
	log     zerolog.Logger
	start   time.Time
}

// Store returns the store of the session's meter.
func (s *Session) Store() *Store { return s.store }

// Object returns the object that plays role r on the meter, moved to the
// M-Bus channel of the meter's gas meter when it is a device on the M-Bus.
// It fails with ErrUnsupported when the profile has no such object.
func (s *Session) Object(r Role) (Object, error) {
	m, p := s.Meter, s.Profile
	o, ok := p.Object(r)
	if !ok {
		return Object{}, fmt.Errorf("meter %q: %w: profile %s has no %s", m.ID, ErrUnsupported, p.Name, r)
	}
	if o.Channel != 0 {
		if m.Gas == nil {
			return Object{}, fmt.Errorf("meter %q: %w: no gas meter on the M-Bus for %s", m.ID, ErrUnsupported, r)
		}
		o = o.OnChannel(m.Gas.Channel)
	}
	return o, nil
}

// Close releases the association and closes the link, saves the counters
// received from the meter, and frees the session's slots. Closing twice
// does nothing more.
func (s *Session) Close(ctx context.Context) error {
	err := s.Client.Close(ctx)
	if serr := s.store.SaveReplayGuard(s.Meter.ID, s.ek, s.guard); serr != nil {
		err = errors.Join(err, serr)
	}
	if s.release != nil {
		s.release()
	}
	ev := s.log.Debug()
	if err != nil {
		ev = s.log.Warn().Err(err)
	}
	ev.Dur("took", time.Since(s.start)).Msg("meter: session closed")
	return err
}

// Open waits for the meter's slots, then opens a management association
// with meter id under its current keys. ctx bounds the wait and the
// association.
func (s *Sessions) Open(ctx context.Context, id string) (*Session, error) {
	return s.openWith(ctx, id, false)
}

// OpenPending is Open with the meter's pending keys: the association
// that proves a key change.
func (s *Sessions) OpenPending(ctx context.Context, id string) (*Session, error) {
	return s.openWith(ctx, id, true)
}

func (s *Sessions) openWith(ctx context.Context, id string, pending bool) (*Session, error) {
	m, err := s.store.Get(id)
	if err != nil {
		return nil, err
	}
	release, err := s.gate.acquire(ctx, m)
	if err != nil {
		return nil, err
	}
	sess, err := s.connect(ctx, m, pending)
	if err != nil {
		release()
		return nil, err
	}
	sess.release = release
	return sess, nil
}

// Do runs fn in a management session with meter id: it waits for the
// meter's slots under ctx, then opens the session, runs fn and closes the
// session, all under a deadline of timeout (none when 0) that starts once
// the slots are taken. It returns the error of opening or of fn; a failed
// release after fn is only logged.
func (s *Sessions) Do(ctx context.Context, id string, timeout time.Duration, fn func(ctx context.Context, sess *Session) error) error {
	m, err := s.store.Get(id)
	if err != nil {
		return err
	}
	release, err := s.gate.acquire(ctx, m)
	if err != nil {
		return err
	}
	defer release()
	return s.run(ctx, m, timeout, fn)
}

// run opens a session with m, whose slots are held, under timeout, and
// runs fn.
func (s *Sessions) run(ctx context.Context, m Meter, timeout time.Duration, fn func(ctx context.Context, sess *Session) error) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return s.with(ctx, m, false, fn)
}

// with opens a session with m, whose slots are held, under its current or
// pending keys, runs fn and closes the session.
func (s *Sessions) with(ctx context.Context, m Meter, pending bool, fn func(ctx context.Context, sess *Session) error) error {
	sess, err := s.connect(ctx, m, pending)
	if err != nil {
		return err
	}
	err = fn(ctx, sess)
	// Once fn is done, a failed release changes nothing: Close logs it.
	_ = sess.Close(ctx)
	return err
}

// connect opens a management session with m, whose slots are held.
func (s *Sessions) connect(ctx context.Context, m Meter, pending bool) (*Session, error) {
	log := s.cfg.Logger.With().Str("meter_id", m.ID).Str("ean", m.EAN).Logger()
	p, err := s.store.Profile(m.Profile)
	if err != nil {
		return nil, err
	}
	spec, ok := p.Association(AssociationManagement)
	if !ok {
		return nil, fmt.Errorf("meter %q: %w: profile %s has no %s association", m.ID, ErrUnsupported, p.Name, AssociationManagement)
	}
	sap, ok := m.ClientSAP(AssociationManagement)
	if !ok {
		sap = spec.ClientSAP
	}
	var keys Keys
	if pending {
		keys, err = s.store.PendingKeys(m.ID)
	} else {
		keys, err = s.store.Keys(m.ID)
	}
	if err != nil {
		return nil, err
	}
	counter, err := s.store.SendCounter(m.ID, sap, keys.EK)
	if err != nil {
		return nil, err
	}
	guard, err := s.store.ReplayGuard(m.ID, keys.EK)
	if err != nil {
		return nil, err
	}
	cfg := Config{
		Auth: spec.Authentication, Policy: spec.Policy, Keys: keys.SecurityKeys(),
		SystemTitle: s.cfg.SystemTitle, ServerSystemTitle: m.SystemTitle,
		Counter: counter, ReplayGuard: guard, Rand: s.cfg.Rand, Location: s.store.Location(),
	}
	if s.cfg.ClientLogger != nil {
		cfg.Logger = s.cfg.ClientLogger.With().Str("meter_id", m.ID).Logger()
	}
	start := time.Now()
	synced := false
	if _, seen := guard.Last(); !seen {
		synced = s.syncCounter(ctx, m, counter, log)
	}
	c, err := s.associate(ctx, m, cfg)
	if r := ReasonOf(err); !synced && (r == ReasonAssociation || r == ReasonAuthentication) {
		if s.syncCounter(ctx, m, counter, log) {
			c, err = s.associate(ctx, m, cfg)
		}
	}
	if err != nil {
		log.Debug().Err(err).Str("reason", string(ReasonOf(err))).Msg("meter: association failed")
		return nil, err
	}
	log.Debug().Bool("pending_keys", pending).Msg("meter: session opened")
	return &Session{Client: c, Meter: m, Profile: p, store: s.store, ek: keys.EK, guard: guard, log: log, start: start}, nil
}

// associate dials the management link of m and opens the association.
func (s *Sessions) associate(ctx context.Context, m Meter, cfg Config) (*Client, error) {
	link, err := s.dial(ctx, m, AssociationManagement)
	if err != nil {
		return nil, err
	}
	c, err := Connect(ctx, link, cfg)
	if err != nil {
		_ = link.Close()
		return nil, err
	}
	return c, nil
}

// dial opens a link whose errors wrap ErrLink.
func (s *Sessions) dial(ctx context.Context, m Meter, association string) (Link, error) {
	l, err := s.cfg.Dial(ctx, m, association)
	if err != nil {
		return nil, fmt.Errorf("meter %q: dial %s: %w", m.ID, association, &linkError{err})
	}
	if r, ok := l.(receiverLink); ok {
		return guardedReceiver{guardedLink{r}, r}, nil
	}
	return guardedLink{l}, nil
}

// syncCounter reads the meter's invocation counter through the public
// association and raises counter above it. It reports whether it did;
// a failure is logged, not returned: the management association decides.
func (s *Sessions) syncCounter(ctx context.Context, m Meter, counter *SendCounter, log zerolog.Logger) bool {
	if _, ok := m.ClientSAP(AssociationPublic); !ok {
		return false
	}
	link, err := s.dial(ctx, m, AssociationPublic)
	if err != nil {
		log.Warn().Err(err).Msg("meter: reading the invocation counter: no public link")
		return false
	}
	ic, err := ReadInvocationCounter(ctx, link)
	if err != nil {
		log.Warn().Err(err).Msg("meter: reading the invocation counter failed")
		return false
	}
	if err := counter.RaiseAbove(ic); err != nil {
		log.Error().Err(err).Msg("meter: raising the invocation counter failed")
		return false
	}
	log.Debug().Uint32("meter_counter", ic).Msg("meter: invocation counter synchronised")
	return true
}

// receiverLink is a Link that is also a Receiver.
type receiverLink interface {
	Link
	Receiver
}

// guardedLink marks the errors of a link as ErrLink.
type guardedLink struct{ l Link }

func (g guardedLink) Exchange(ctx context.Context, apdu []byte) ([]byte, error) {
	b, err := g.l.Exchange(ctx, apdu)
	if err != nil {
		return nil, &linkError{err}
	}
	return b, nil
}

func (g guardedLink) Close() error { return g.l.Close() }

// guardedReceiver is a guardedLink that keeps the Receiver of its link.
type guardedReceiver struct {
	guardedLink
	r Receiver
}

func (g guardedReceiver) Receive(ctx context.Context) ([]byte, error) {
	b, err := g.r.Receive(ctx)
	if err != nil {
		return nil, &linkError{err}
	}
	return b, nil
}
