package meter_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/hdlc"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/dlms/wrapper"
	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/sim"
	"github.com/openhes/hes/transport"
	"github.com/openhes/hes/transport/tcp"
)

// The sending invocation counters, end to end. The head-end runs
// management associations with simulated meters through Sessions, over
// the wrapper and HDLC, and dies at random points: its connections cut,
// or left hanging as a frozen process leaves them, its sessions never
// released, its store file closed with nothing else. The next life starts
// from the file alone. Every invocation counter that the head-end put on
// the wire is read back from the frames it wrote and attributed to the key
// that deciphers its APDU: suite 0 allows no (key, counter) pair twice.

// crashTitle is the head-end's system title.
var crashTitle = []byte("HESCRASH")

// crashStart is the virtual time of the simulated fleets.
var crashStart = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

// errCrashed is what the dials of a dead head-end return.
var errCrashed = errors.New("the head-end crashed")

// TestSessionsCounterCrashes runs rounds of management associations with
// a few simulated meters at once, most rounds ending in a crash at a
// random frame, and checks what the head-end sent: no invocation counter
// twice under a key, counters that increase under each key and for each
// meter whatever its key (across key changes too), and meters that accept
// every association under their own keys at the first attempt, right
// after a crash as well. A head-end whose counter forgets what it sent
// before a crash is caught.
func TestSessionsCounterCrashes(t *testing.T) {
	t.Run("crashes", func(t *testing.T) {
		t.Parallel()
		res := runCrashes(t, crashOpts{seed: 1, meters: 4, rounds: 40})
		res.mustHold(t)
	})
	t.Run("crashes and key changes", func(t *testing.T) {
		t.Parallel()
		o := crashOpts{seed: 2, meters: 4, rounds: 40, keyChanges: true}
		res := runCrashes(t, o)
		res.mustHold(t)
		if res.keyChanges+res.recovered < 5 || res.discarded+res.recovered == 0 {
			t.Errorf("%d key changes completed, %d more after a crash, %d discarded after a crash: too little exercised",
				res.keyChanges, res.recovered, res.discarded)
		}
		// The counters went on upwards across the key changes (checked
		// with the rest): the meters were sent counters under several keys.
		keys := map[meter.KeyFingerprint]bool{}
		for _, s := range res.sent {
			keys[s.key] = true
		}
		if len(keys) < o.meters+5 {
			t.Errorf("counters sent under %d keys to %d meters: too few key changes", len(keys), o.meters)
		}
	})
	t.Run("a counter that forgets is caught", func(t *testing.T) {
		t.Parallel()
		res := runCrashes(t, crashOpts{seed: 3, meters: 2, rounds: 12, forgetful: true})
		vs := res.violations()
		for _, kind := range []violationKind{violationDuplicate, violationRefused} {
			if !slices.ContainsFunc(vs, func(v violation) bool { return v.kind == kind }) {
				t.Errorf("a counter that forgets after a crash went unnoticed: no %q among %d violations (%d counters sent, %d crashes)",
					kind, len(vs), len(res.sent), res.abrupt+res.frozen)
			}
		}
	})
}

// TestCheckCounters shows that the checker tells each fault.
func TestCheckCounters(t *testing.T) {
	fp := func(b byte) meter.KeyFingerprint { return meter.NewSecret(bytes.Repeat([]byte{b}, 16)).Fingerprint() }
	k1, k2, k3 := fp(1), fp(2), fp(3)
	s := func(m string, k meter.KeyFingerprint, ic uint32) sentIC {
		return sentIC{meter: m, key: k, ic: ic, what: "glo-get-request"}
	}
	for _, tc := range []struct {
		name string
		sent []sentIC
		want []violationKind
	}{
		{"increasing across a key change", []sentIC{s("A", k1, 1), s("A", k1, 2), s("B", k3, 0), s("A", k2, 3), s("B", k3, 9)}, nil},
		{"a value twice", []sentIC{s("A", k1, 1), s("A", k1, 2), s("A", k1, 2)}, []violationKind{violationDuplicate, violationDecrease}},
		{"an old value again", []sentIC{s("A", k1, 1), s("A", k1, 2), s("A", k1, 1)}, []violationKind{violationDuplicate, violationDecrease}},
		{"two meters, one key, one value", []sentIC{s("A", k1, 5), s("B", k1, 5)}, []violationKind{violationDuplicate, violationDecrease}},
		{"down under a key", []sentIC{s("A", k1, 5), s("A", k1, 4)}, []violationKind{violationDecrease}},
		{"down after a key change", []sentIC{s("A", k1, 7), s("A", k2, 3)}, []violationKind{violationDecrease}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []violationKind
			for _, v := range checkCounters(tc.sent) {
				if !slices.Contains(got, v.kind) {
					got = append(got, v.kind)
				}
			}
			slices.Sort(got)
			slices.Sort(tc.want)
			if !slices.Equal(got, tc.want) {
				t.Errorf("violations %q, want %q", got, tc.want)
			}
		})
	}
}

// crashOpts describe one run of rounds.
type crashOpts struct {
	seed       uint64
	meters     int
	rounds     int
	keyChanges bool // some rounds change a meter's keys
	// forgetful replaces Sessions by associations whose counter records
	// what it handed out only when a session ends cleanly.
	forgetful bool
}

// crashResult is what a run did and what the wire showed.
type crashResult struct {
	crashTally
	sent           []sentIC
	problems       []violation // seen on the wire: unknown keys, refusals
	abrupt, frozen int         // rounds that crashed, cutting or leaving the connections
}

// crashTally counts what the head-end did with one meter in one round, or
// in all.
type crashTally struct {
	opens     int // associations opened
	reopened  int // first associations after a crash
	abandoned int // associations left open by a crash
	// keyChanges completed within a round; recovered (promoted) and
	// discarded in the round after a crash cut them short.
	keyChanges, recovered, discarded int
	failures                         []string // operations that failed before any crash
}

func (c *crashTally) add(o crashTally) {
	c.opens += o.opens
	c.reopened += o.reopened
	c.abandoned += o.abandoned
	c.keyChanges += o.keyChanges
	c.recovered += o.recovered
	c.discarded += o.discarded
	c.failures = append(c.failures, o.failures...)
}

// violations returns everything the run broke.
func (r *crashResult) violations() []violation {
	return append(checkCounters(r.sent), r.problems...)
}

// mustHold fails t on any failure or violation, and when the run did not
// exercise enough to prove anything.
func (r *crashResult) mustHold(t *testing.T) {
	t.Helper()
	for i, f := range r.failures {
		if i == 10 {
			t.Errorf("… and %d more failures", len(r.failures)-i)
			break
		}
		t.Error(f)
	}
	vs := r.violations()
	for i, v := range vs {
		if i == 10 {
			t.Errorf("… and %d more violations", len(vs)-i)
			break
		}
		t.Error(v)
	}
	if r.abrupt < 3 || r.frozen < 3 || r.abandoned < 5 || r.reopened < 10 || len(r.sent) < 500 {
		t.Errorf("too little exercised: %d crashes cutting the connections, %d leaving them, %d associations abandoned, %d opened after a crash, %d counters sent",
			r.abrupt, r.frozen, r.abandoned, r.reopened, len(r.sent))
	}
	t.Logf("%d counters sent in %d associations; %d crashes cutting the connections, %d leaving them; %d associations abandoned, %d opened after a crash; key changes: %d, %d promoted and %d discarded after a crash",
		len(r.sent), r.opens, r.abrupt, r.frozen, r.abandoned, r.reopened, r.keyChanges, r.recovered, r.discarded)
}

// runCrashes runs o.rounds lives of the head-end against a simulator that
// outlives them all.
func runCrashes(t *testing.T, o crashOpts) *crashResult {
	rig := newCrashRig(t, o)
	res := &crashResult{}
	rng := rand.New(rand.NewPCG(o.seed, 0))
	crashed := false
	for n := range o.rounds {
		r := &crashRound{n: n, afterCrash: crashed, mgmt: map[string]int{}}
		if rng.IntN(5) < 4 {
			// About 45 frames per meter in a round: a crash point past
			// the last frame is a clean exit.
			r.crashAt = 1 + rng.Int64N(int64(45*o.meters))
			r.abrupt = rng.IntN(2) == 0
		}
		batch := []uint32{1, 2, 3, 5, 8, 0}[rng.IntN(6)] // 0: the default batch
		res.add(rig.run(r, batch))
		crashed = r.dead()
		switch {
		case crashed && r.abrupt:
			res.abrupt++
		case crashed:
			res.frozen++
		}
	}
	rig.wire.mu.Lock()
	defer rig.wire.mu.Unlock()
	res.sent, res.problems = rig.wire.sent, rig.wire.problems
	return res
}

// crashRig is the simulator, the head-end's store file and the record of
// the wire, which live across the head-end's lives.
type crashRig struct {
	t      *testing.T
	o      crashOpts
	path   string
	sealer *meter.KeySealer
	ids    []string
	wire   *wireLog

	profile                        meter.Profile
	spec                           meter.AssociationSpec
	clock, register, securitySetup dlms.OBIS

	mu      sync.Mutex
	hanging []net.Conn // left open by frozen head-ends, until the test ends
}

// newCrashRig starts the simulator and registers its meters in a new
// store file, half of them over HDLC (the meters' ports answer both
// framings).
func newCrashRig(t *testing.T, o crashOpts) *crashRig {
	t.Helper()
	srv := sim.StartTest(t, sim.Config{
		FleetConfig: sim.FleetConfig{Seed: o.seed, Size: o.meters, Start: crashStart, History: 48 * time.Hour},
		MeterPorts:  true,
	})
	p := srv.Profile()
	spec, ok := p.Association(meter.AssociationManagement)
	if !ok {
		t.Fatalf("profile %s has no management association", p.Name)
	}
	obis := func(r meter.Role) dlms.OBIS {
		obj, ok := p.Object(r)
		if !ok {
			t.Fatalf("profile %s has no %s", p.Name, r)
		}
		return obj.OBIS
	}
	sealer, err := meter.NewKeySealer(meter.NewSecret(bytes.Repeat([]byte{0x5a}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	rig := &crashRig{
		t: t, o: o, path: filepath.Join(t.TempDir(), "hes.db"), sealer: sealer,
		wire:    &wireLog{meters: map[string]*wireMeter{}},
		profile: p, spec: spec,
		clock: obis(meter.RoleClock), register: obis(meter.RoleImportTotal), securitySetup: obis(meter.RoleSecuritySetup),
	}
	t.Cleanup(func() {
		rig.mu.Lock()
		defer rig.mu.Unlock()
		for _, c := range rig.hanging {
			c.Close()
		}
	})
	inv := srv.Inventory()
	for i := range inv.Meters {
		im := &inv.Meters[i]
		if i%2 == 1 {
			im.Framing = meter.FramingHDLC
		}
		keys, err := im.Keys.Parse()
		if err != nil {
			t.Fatal(err)
		}
		d, err := srv.Device(im.ID)
		if err != nil {
			t.Fatal(err)
		}
		rig.wire.meters[im.ID] = &wireMeter{id: im.ID, title: im.SystemTitle, policy: spec.Policy, dev: d, keys: []meter.Keys{keys}}
		rig.ids = append(rig.ids, im.ID)
	}
	var buf bytes.Buffer
	if err := meter.WriteInventory(&buf, inv); err != nil {
		t.Fatal(err)
	}
	db := rig.openDB()
	store, err := meter.OpenStore(db, sealer, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := store.ImportInventory(&buf); err != nil || n != o.meters {
		t.Fatalf("imported %d meters: %v", n, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return rig
}

// openDB opens the store file. Syncing is off: the lives of the head-end
// share the process, whose page cache holds every committed write.
func (rig *crashRig) openDB() *bolt.DB {
	rig.t.Helper()
	db, err := bolt.Open(rig.path, 0o600, &bolt.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		rig.t.Fatal(err)
	}
	return db
}

// run is one life of the head-end: it opens the file, works with every
// meter at once until it is done or dies, and closes the file, which is
// all that is left of it.
func (rig *crashRig) run(r *crashRound, batch uint32) crashTally {
	rig.t.Helper()
	rig.wire.setRound(r.n)
	db := rig.openDB()
	store, err := meter.OpenStore(db, rig.sealer, &meter.StoreOptions{CounterBatch: batch})
	if err != nil {
		rig.t.Fatal(err)
	}
	open := rig.opener(store, r)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tallies := make([]crashTally, len(rig.ids))
	var wg sync.WaitGroup
	for i, id := range rig.ids {
		w := &crashWorker{
			rig: rig, r: r, id: id, store: store, open: open,
			rng: rand.New(rand.NewPCG(rig.o.seed, uint64(r.n)<<8|uint64(i))),
		}
		wg.Go(func() {
			w.run(ctx)
			tallies[i] = w.tally
		})
	}
	wg.Wait()
	if err := db.Close(); err != nil {
		rig.t.Fatal(err)
	}
	r.mu.Lock()
	if r.crashed && !r.abrupt {
		rig.mu.Lock()
		rig.hanging = append(rig.hanging, r.conns...)
		rig.mu.Unlock()
	} else {
		for _, c := range r.conns { // closed already, unless a link was left open
			c.Close()
		}
	}
	r.mu.Unlock()
	var sum crashTally
	for _, tl := range tallies {
		sum.add(tl)
	}
	return sum
}

// crashAssociation is what the workers do with an association: a Session,
// or a forgetful one.
type crashAssociation interface {
	ReadClock(ctx context.Context, obis dlms.OBIS) (meter.ClockState, error)
	ReadRegister(ctx context.Context, obis dlms.OBIS) (meter.Quantity, error)
	TransferGlobalKeys(ctx context.Context, obis dlms.OBIS, kek []byte, keys ...security.KeyData) error
	Close(ctx context.Context) error
}

// openFunc opens a management association with meter id, under its
// pending keys when pending.
type openFunc func(ctx context.Context, id string, pending bool) (crashAssociation, error)

// opener returns how the head-end of round r opens associations: through
// Sessions, or forgetfully.
func (rig *crashRig) opener(store *meter.Store, r *crashRound) openFunc {
	dial := rig.dial(r)
	if rig.o.forgetful {
		f := &forgetful{store: store, dial: dial, spec: rig.spec, counters: map[string]*forgetfulCounter{}}
		return f.open
	}
	s, err := meter.NewSessions(store, meter.SessionsConfig{Dial: dial, SystemTitle: crashTitle})
	if err != nil {
		rig.t.Fatal(err)
	}
	return func(ctx context.Context, id string, pending bool) (crashAssociation, error) {
		open := s.Open
		if pending {
			open = s.OpenPending
		}
		sess, err := open(ctx, id)
		if err != nil {
			return nil, err
		}
		return sess, nil
	}
}

// dial returns the meter.Dial of round r: TCP to the meter's port in its
// framing, every frame traced to the wire log and counted towards the
// crash.
func (rig *crashRig) dial(r *crashRound) meter.Dial {
	d := tcp.Dialer{Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, address)
		if err != nil {
			return nil, err
		}
		if err := r.addConn(c); err != nil {
			return nil, err
		}
		return c, nil
	}}
	return func(ctx context.Context, m meter.Meter, association string) (meter.Link, error) {
		if r.dead() {
			return nil, errCrashed
		}
		sap, ok := m.ClientSAP(association)
		if !ok {
			return nil, fmt.Errorf("meter %s has no %s association", m.ID, association)
		}
		if association == meter.AssociationManagement {
			r.countDial(m.ID)
		}
		hdlcLink := m.Link.Framing == meter.FramingHDLC
		lt := rig.wire.link(m.ID, hdlcLink)
		trace := func(dir transport.Direction, frame []byte) {
			lt.trace(dir, frame)
			r.tick()
		}
		server := m.Addresses.Server
		if server == 0 {
			server = rig.profile.ServerAddress
		}
		if hdlcLink {
			l, err := d.DialHDLC(ctx, m.Link.Address, transport.HDLCConfig{
				Client: uint8(sap), Logical: server, Physical: m.Addresses.Physical, AddressSize: m.Addresses.HDLCSize, Trace: trace,
			})
			if err != nil {
				return nil, err
			}
			return l, nil
		}
		l, err := d.DialWrapper(ctx, m.Link.Address, transport.WrapperConfig{Client: sap, Server: server, Trace: trace})
		if err != nil {
			return nil, err
		}
		return l, nil
	}
}

// crashRound is one life of the head-end, from opening the store file to
// a clean exit or a crash.
type crashRound struct {
	n          int
	afterCrash bool  // the previous life crashed
	crashAt    int64 // the traced frame at which the head-end dies; 0: never
	abrupt     bool  // the crash cuts the connections; else they hang

	frames atomic.Int64

	mu      sync.Mutex
	crashed bool
	conns   []net.Conn
	mgmt    map[string]int // management links dialled, per meter
}

func (r *crashRound) dead() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.crashed
}

// tick counts a traced frame and kills the head-end at the crashAt-th:
// from then on nothing of it goes on but what is already running, which
// fails at once when the crash cuts the connections.
func (r *crashRound) tick() {
	if r.frames.Add(1) != r.crashAt {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.crashed = true
	if r.abrupt {
		for _, c := range r.conns {
			c.Close()
		}
	}
}

func (r *crashRound) addConn(c net.Conn) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.crashed {
		c.Close()
		return errCrashed
	}
	r.conns = append(r.conns, c)
	return nil
}

func (r *crashRound) countDial(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mgmt[id]++
}

func (r *crashRound) dials(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.mgmt[id]
}

// crashWorker is what the head-end does with one meter in one round:
// finish a key change that a crash cut short, then one to five
// associations reading the clock and a register, one of them maybe a key
// change.
type crashWorker struct {
	rig   *crashRig
	r     *crashRound
	id    string
	rng   *rand.Rand
	store *meter.Store
	open  openFunc
	tally crashTally
}

func (w *crashWorker) run(ctx context.Context) {
	if w.rig.o.keyChanges && !w.recoverKeys(ctx) {
		return
	}
	n := 1 + w.rng.IntN(5)
	change := -1
	if w.rig.o.keyChanges && w.rng.IntN(3) == 0 {
		change = w.rng.IntN(n)
	}
	for i := range n {
		ok := false
		if i == change {
			ok = w.changeKeys(ctx)
		} else {
			ok = w.session(ctx)
		}
		if !ok {
			return
		}
	}
}

// ok records err as a failure unless the head-end is dead, and reports
// whether the work goes on.
func (w *crashWorker) ok(what string, err error) bool {
	if err == nil {
		return !w.r.dead()
	}
	if !w.r.dead() && !w.rig.o.forgetful {
		w.tally.failures = append(w.tally.failures, fmt.Sprintf("round %d, meter %s: %s: %v", w.r.n, w.id, what, err))
	}
	return false
}

// associate opens an association that the meter must accept at the first
// attempt: through Sessions, which would read the meter's counter and try
// again after a refusal, one management link per association.
func (w *crashWorker) associate(ctx context.Context, pending bool) (crashAssociation, bool) {
	before := w.r.dials(w.id)
	a, err := w.open(ctx, w.id, pending)
	if !w.ok("open", err) {
		if a != nil {
			w.tally.abandoned++
		}
		return nil, false
	}
	if w.tally.opens == 0 && w.r.afterCrash {
		w.tally.reopened++
	}
	w.tally.opens++
	if n := w.r.dials(w.id) - before; n != 1 && !w.rig.o.forgetful {
		w.ok("open", fmt.Errorf("%d management links for one association: the meter refused one", n))
	}
	return a, true
}

// session is an association with zero to five GETs.
func (w *crashWorker) session(ctx context.Context) bool {
	a, ok := w.associate(ctx, false)
	if !ok {
		return false
	}
	for range w.rng.IntN(6) {
		var err error
		if w.rng.IntN(2) == 0 {
			_, err = a.ReadClock(ctx, w.rig.clock)
		} else {
			_, err = a.ReadRegister(ctx, w.rig.register)
		}
		if !w.ok("GET", err) {
			w.tally.abandoned++
			return false
		}
	}
	return w.release(ctx, a)
}

// release closes a, unless the head-end died: then a is abandoned.
func (w *crashWorker) release(ctx context.Context, a crashAssociation) bool {
	if w.r.dead() {
		w.tally.abandoned++
		return false
	}
	return w.ok("close", a.Close(ctx))
}

// changeKeys changes the meter's EK and AK as the key rotation does:
// stage them, transfer them under the current KEK, open an association
// with them, promote them.
func (w *crashWorker) changeKeys(ctx context.Context) bool {
	cur, err := w.store.Keys(w.id)
	if !w.ok("keys", err) {
		return false
	}
	next := cur
	next.EK, next.AK = w.newKey(), w.newKey()
	w.rig.wire.addKeys(w.id, next)
	if !w.ok("stage keys", w.store.StagePendingKeys(w.id, next)) {
		return false
	}
	a, ok := w.associate(ctx, false)
	if !ok {
		return false
	}
	err = a.TransferGlobalKeys(ctx, w.rig.securitySetup, cur.KEK.Bytes(),
		security.KeyData{ID: security.KeyGlobalUnicast, Key: next.EK.Bytes()},
		security.KeyData{ID: security.KeyAuthentication, Key: next.AK.Bytes()})
	if !w.ok("key transfer", err) {
		w.tally.abandoned++
		return false
	}
	if !w.release(ctx, a) {
		return false
	}
	if a, ok = w.associate(ctx, true); !ok || !w.release(ctx, a) {
		return false
	}
	if !w.ok("promote keys", w.store.PromotePendingKeys(w.id)) {
		return false
	}
	w.tally.keyChanges++
	return true
}

func (w *crashWorker) newKey() meter.Secret {
	k := binary.BigEndian.AppendUint64(nil, w.rng.Uint64())
	return meter.NewSecret(binary.BigEndian.AppendUint64(k, w.rng.Uint64()))
}

// recoverKeys finishes a key change that a crash cut short, as the
// executor's next attempt does: the pending keys are promoted when the
// meter opens an association with them, discarded otherwise.
func (w *crashWorker) recoverKeys(ctx context.Context) bool {
	_, err := w.store.PendingKeys(w.id)
	if errors.Is(err, meter.ErrNoPendingKeys) {
		return true
	}
	if !w.ok("pending keys", err) {
		return false
	}
	a, err := w.open(ctx, w.id, true)
	if err != nil {
		if w.r.dead() {
			return false
		}
		w.tally.discarded++
		return w.ok("discard keys", w.store.DiscardPendingKeys(w.id))
	}
	if !w.release(ctx, a) || !w.ok("promote keys", w.store.PromotePendingKeys(w.id)) {
		return false
	}
	w.tally.recovered++
	return true
}

// forgetful opens management associations as Sessions would, but with a
// forgetfulCounter.
type forgetful struct {
	store *meter.Store
	dial  meter.Dial
	spec  meter.AssociationSpec

	mu       sync.Mutex
	counters map[string]*forgetfulCounter
}

func (f *forgetful) open(ctx context.Context, id string, pending bool) (crashAssociation, error) {
	if pending {
		return nil, errors.New("forgetful: no pending keys")
	}
	m, err := f.store.Get(id)
	if err != nil {
		return nil, err
	}
	keys, err := f.store.Keys(id)
	if err != nil {
		return nil, err
	}
	c, err := f.counter(m, keys.EK)
	if err != nil {
		return nil, err
	}
	link, err := f.dial(ctx, m, meter.AssociationManagement)
	if err != nil {
		return nil, err
	}
	cl, err := meter.Connect(ctx, link, meter.Config{
		Auth: f.spec.Authentication, Policy: f.spec.Policy, Keys: keys.SecurityKeys(),
		SystemTitle: crashTitle, ServerSystemTitle: m.SystemTitle, Counter: c,
	})
	if err != nil {
		link.Close()
		return nil, err
	}
	return forgetfulSession{Client: cl, c: c}, nil
}

// counter returns the round's counter of meter m.
func (f *forgetful) counter(m meter.Meter, ek meter.Secret) (*forgetfulCounter, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.counters[m.ID]; c != nil {
		return c, nil
	}
	sap, _ := m.ClientSAP(meter.AssociationManagement)
	stored, err := f.store.SendCounter(m.ID, sap, ek)
	if err != nil {
		return nil, err
	}
	next, _, err := stored.Next()
	if err != nil {
		return nil, err
	}
	c := &forgetfulCounter{stored: stored, next: next}
	f.counters[m.ID] = c
	return c, nil
}

// forgetfulCounter is the fault that the store's reservations prevent:
// it hands out values from memory and records them in the store only when
// a session ends cleanly, so a crash forgets what it sent.
type forgetfulCounter struct {
	stored *meter.SendCounter

	mu   sync.Mutex
	next uint32
}

func (c *forgetfulCounter) Reserve(n uint32) (uint32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.next
	c.next += n
	return v, nil
}

// save records the values handed out.
func (c *forgetfulCounter) save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next == 0 {
		return nil
	}
	return c.stored.RaiseAbove(c.next - 1)
}

// forgetfulSession records its counter when it closes.
type forgetfulSession struct {
	*meter.Client
	c *forgetfulCounter
}

func (s forgetfulSession) Close(ctx context.Context) error {
	return errors.Join(s.Client.Close(ctx), s.c.save())
}

// violationKind is what a violation breaks.
type violationKind string

// The violations.
const (
	violationDuplicate  violationKind = "duplicate"      // a (key, IC) pair sent twice
	violationDecrease   violationKind = "not increasing" // an IC not above the last one of its key or meter
	violationUnknownKey violationKind = "unknown key"    // a ciphered APDU that no key of its meter deciphers
	violationRefused    violationKind = "refused"        // a meter refused an association under its own keys
	violationFrame      violationKind = "unreadable"     // a frame or APDU that does not parse
)

// violation is a fault of what the head-end sent.
type violation struct {
	kind violationKind
	msg  string
}

func (v violation) String() string { return string(v.kind) + ": " + v.msg }

// sentIC is an invocation counter the head-end sent.
type sentIC struct {
	meter string
	key   meter.KeyFingerprint // of the EK
	ic    uint32
	what  string // the APDU, or f(StoC)
	round int
}

func (s sentIC) String() string {
	return fmt.Sprintf("IC %d in %s to %s in round %d", s.ic, s.what, s.meter, s.round)
}

// checkCounters returns what the counters sent, in sending order, break:
// a (key, IC) pair twice; an IC not above the last one under its key
// (each key of these tests is one meter's), or the last one the meter was
// sent under any key.
func checkCounters(sent []sentIC) []violation {
	type keyIC struct {
		key meter.KeyFingerprint
		ic  uint32
	}
	var vs []violation
	first := map[keyIC]sentIC{}
	lastOfKey := map[meter.KeyFingerprint]sentIC{}
	lastOfMeter := map[string]sentIC{}
	for _, s := range sent {
		if p, dup := first[keyIC{s.key, s.ic}]; dup {
			vs = append(vs, violation{violationDuplicate, fmt.Sprintf("key %s: %s, already sent as %s", s.key, s, p)})
		} else {
			first[keyIC{s.key, s.ic}] = s
		}
		if p, ok := lastOfKey[s.key]; ok && s.ic <= p.ic {
			vs = append(vs, violation{violationDecrease, fmt.Sprintf("key %s: %s after %s", s.key, s, p)})
		}
		if p, ok := lastOfMeter[s.meter]; ok && s.ic <= p.ic {
			vs = append(vs, violation{violationDecrease, fmt.Sprintf("meter %s: %s after %s under key %s", s.meter, s, p, p.key)})
		}
		lastOfKey[s.key], lastOfMeter[s.meter] = s, s
	}
	return vs
}

// wireLog records what the head-end put on the wire: the invocation
// counters it sent, in sending order, with the key of each, and the
// faults seen on the way.
type wireLog struct {
	mu       sync.Mutex
	round    int
	meters   map[string]*wireMeter
	sent     []sentIC
	problems []violation
}

// wireMeter is what the wire log knows of a meter.
type wireMeter struct {
	id     string
	title  []byte
	policy security.Policy
	dev    *sim.Device  // tells the keys the meter uses now
	keys   []meter.Keys // every key set the head-end may use with it
}

func (w *wireLog) setRound(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.round = n
}

func (w *wireLog) addKeys(id string, k meter.Keys) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.meters[id]
	m.keys = append(m.keys, k)
}

func (w *wireLog) link(id string, overHDLC bool) *linkTrace {
	w.mu.Lock()
	defer w.mu.Unlock()
	return &linkTrace{w: w, m: w.meters[id], hdlc: overHDLC}
}

// add and problem are called with w.mu held.
func (w *wireLog) add(id string, key meter.KeyFingerprint, ic uint32, what string) {
	w.sent = append(w.sent, sentIC{meter: id, key: key, ic: ic, what: what, round: w.round})
}

func (w *wireLog) problem(kind violationKind, format string, args ...any) {
	w.problems = append(w.problems, violation{kind, fmt.Sprintf("round %d: ", w.round) + fmt.Sprintf(format, args...)})
}

// linkTrace reads the APDUs of one link from its frames.
type linkTrace struct {
	w      *wireLog
	m      *wireMeter
	hdlc   bool
	tx, rx reassembly
	// ownKeys: the last AARQ was in clear, or ciphered under the keys
	// the meter uses.
	ownKeys bool
}

// trace is the link's transport.Trace.
func (l *linkTrace) trace(dir transport.Direction, frame []byte) {
	l.w.mu.Lock()
	defer l.w.mu.Unlock()
	var b []byte
	var err error
	switch {
	case !l.hdlc:
		_, b, err = wrapper.ParseFrame(frame)
	case dir == transport.Sent:
		b, err = l.tx.add(frame)
	default:
		b, err = l.rx.add(frame)
	}
	switch {
	case err != nil:
		l.w.problem(violationFrame, "meter %s: %s frame % x: %v", l.m.id, dir, frame, err)
	case len(b) == 0:
	case dir == transport.Sent:
		l.sent(b)
	default:
		l.received(b)
	}
}

// sent records the invocation counters of an APDU that the head-end sent:
// the AARQ and the RLRQ carry a ciphered InitiateRequest.
func (l *linkTrace) sent(b []byte) {
	var ui []byte
	switch tag := apdu.Tag(b[0]); {
	case tag == apdu.TagAARQ:
		a, err := apdu.ParseAARQ(b)
		if err != nil {
			l.w.problem(violationFrame, "meter %s: %v", l.m.id, err)
			return
		}
		l.ownKeys = true
		if ui = a.UserInformation; len(ui) > 0 && apdu.Tag(ui[0]).Ciphered() {
			k, ok := l.ciphered(ui, "AARQ ")
			l.ownKeys = ok && k.EK.Equal(l.m.dev.Keys().EK)
		}
	case tag == apdu.TagRLRQ:
		r, err := apdu.ParseRLRQ(b)
		if err != nil {
			l.w.problem(violationFrame, "meter %s: %v", l.m.id, err)
			return
		}
		if ui = r.UserInformation; len(ui) > 0 && apdu.Tag(ui[0]).Ciphered() {
			l.ciphered(ui, "RLRQ ")
		}
	case tag.Ciphered():
		l.ciphered(b, "")
	}
}

// ciphered records the invocation counter of a ciphered APDU that the
// head-end sent and, for the HLS pass 3, first the one of the f(StoC)
// inside, which was reserved before. It returns the keys that decipher
// the APDU.
func (l *linkTrace) ciphered(b []byte, where string) (meter.Keys, bool) {
	for _, k := range l.m.keys {
		c, err := security.NewContext(security.Config{
			Keys: k.SecurityKeys(), SystemTitle: l.m.title, PeerSystemTitle: crashTitle, Policy: l.m.policy,
		})
		if err != nil {
			l.w.problem(violationFrame, "meter %s: %v", l.m.id, err)
			return meter.Keys{}, false
		}
		plain, h, err := c.Decrypt(nil, b)
		if err != nil {
			continue
		}
		fp := k.EK.Fingerprint()
		if ic, ok := hlsCounter(plain); ok {
			l.w.add(l.m.id, fp, ic, "f(StoC)")
		}
		l.w.add(l.m.id, fp, h.Counter, where+security.TagName(h.Tag))
		return k, true
	}
	h, _, err := security.ParseCiphered(b)
	l.w.problem(violationUnknownKey, "meter %s: %s%s with IC %d under none of its keys (%v)", l.m.id, where, security.TagName(b[0]), h.Counter, err)
	return meter.Keys{}, false
}

// received checks the meter's answers to the AARQs: under its own keys,
// an association must be accepted.
func (l *linkTrace) received(b []byte) {
	if apdu.Tag(b[0]) != apdu.TagAARE {
		return
	}
	a, err := apdu.ParseAARE(b)
	if err != nil {
		l.w.problem(violationFrame, "meter %s: %v", l.m.id, err)
		return
	}
	if err := a.Err(); err != nil && l.ownKeys {
		l.w.problem(violationRefused, "meter %s refused an association under its own keys: %v", l.m.id, err)
	}
}

// hlsCounter returns the invocation counter of f(StoC) (SC ‖ IC ‖ tag)
// when plain is the ACTION reply_to_HLS_authentication of the current
// association.
func hlsCounter(plain []byte) (uint32, bool) {
	req, err := apdu.ParseActionRequest(plain)
	if err != nil {
		return 0, false
	}
	r, ok := req.(*apdu.ActionRequestNormal)
	if !ok || r.Method.ClassID != dlms.ClassAssociationLN || r.Method.Method != 1 || r.Parameters == nil || len(r.Parameters.Bytes) < security.HeaderSize {
		return 0, false
	}
	return binary.BigEndian.Uint32(r.Parameters.Bytes[1:security.HeaderSize]), true
}

// reassembly puts the APDUs of one direction of an HDLC link back
// together from its I frames.
type reassembly struct {
	last []byte // the last I frame: the same frame again is a retransmission
	buf  []byte
}

// add takes a frame and returns the APDU that it completes, if any.
func (r *reassembly) add(frame []byte) ([]byte, error) {
	f, err := hdlc.ParseFrame(frame)
	if err != nil {
		return nil, err
	}
	if f.Control.Kind != hdlc.KindI || bytes.Equal(frame, r.last) {
		return nil, nil
	}
	r.last = append(r.last[:0], frame...)
	r.buf = append(r.buf, f.Info...)
	if f.Segmented {
		return nil, nil
	}
	b, _, err := hdlc.CutLLC(r.buf)
	r.buf = nil
	return b, err
}
