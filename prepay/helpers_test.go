package prepay

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	_ "time/tzdata"
)

var brussels = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at returns a Brussels wall-clock time.
func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, brussels)
}

// clock is a settable clock for the engine.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// call is one call received by fakeMeters.
type call struct {
	Kind    ActionKind
	EAN     string
	Display Display
	Watts   int64
}

// fakeMeters records the orders it gets and fails the next failures[kind]
// of each kind.
type fakeMeters struct {
	mu       sync.Mutex
	calls    []call
	failures map[ActionKind]int
}

var errNoReadBack = errors.New("read-back did not confirm")

func (m *fakeMeters) do(c call) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, c)
	if m.failures[c.Kind] > 0 {
		m.failures[c.Kind]--
		return errNoReadBack
	}
	return nil
}

func (m *fakeMeters) ShowBalance(_ context.Context, ean string, d Display) error {
	return m.do(call{Kind: ActShowBalance, EAN: ean, Display: d})
}
func (m *fakeMeters) Disconnect(_ context.Context, ean string) error {
	return m.do(call{Kind: ActDisconnect, EAN: ean})
}
func (m *fakeMeters) ArmReconnection(_ context.Context, ean string) error {
	return m.do(call{Kind: ActArmReconnection, EAN: ean})
}
func (m *fakeMeters) SetLimiter(_ context.Context, ean string, watts int64) error {
	return m.do(call{Kind: ActSetLimiter, EAN: ean, Watts: watts})
}
func (m *fakeMeters) ClearLimiter(_ context.Context, ean string) error {
	return m.do(call{Kind: ActClearLimiter, EAN: ean})
}

func (m *fakeMeters) fail(kind ActionKind, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failures == nil {
		m.failures = map[ActionKind]int{}
	}
	m.failures[kind] = n
}

// count returns how many orders of kind went to ean.
func (m *fakeMeters) count(ean string, kind ActionKind) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.calls {
		if c.EAN == ean && c.Kind == kind {
			n++
		}
	}
	return n
}

// lastWatts returns the last limiter threshold set on ean.
func (m *fakeMeters) lastWatts(ean string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.calls) - 1; i >= 0; i-- {
		if c := m.calls[i]; c.EAN == ean && c.Kind == ActSetLimiter {
			return c.Watts
		}
	}
	return -1
}

// lastDisplay returns the last display values sent to ean.
func (m *fakeMeters) lastDisplay(ean string) (Display, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.calls) - 1; i >= 0; i-- {
		if c := m.calls[i]; c.EAN == ean && c.Kind == ActShowBalance {
			return c.Display, true
		}
	}
	return Display{}, false
}

// fixture is an engine on a real bbolt file, a clock and fake meters.
type fixture struct {
	t      *testing.T
	path   string
	db     *bolt.DB
	e      *Engine
	cfg    Config
	clk    *clock
	meters *fakeMeters
}

func newFixture(t *testing.T, mods ...func(*Config)) *fixture {
	t.Helper()
	cfg := DefaultConfig()
	for _, m := range mods {
		m(&cfg)
	}
	f := &fixture{
		t:      t,
		path:   filepath.Join(t.TempDir(), "hes.db"),
		cfg:    cfg,
		clk:    &clock{t: at(2025, time.March, 4, 10, 0)}, // a Tuesday, outside the NDP
		meters: &fakeMeters{},
	}
	f.open()
	t.Cleanup(func() { f.db.Close() })
	return f
}

func (f *fixture) open() {
	f.t.Helper()
	db, err := bolt.Open(f.path, 0o600, &bolt.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		f.t.Fatal(err)
	}
	e, err := Open(db, f.cfg, WithClock(f.clk.now))
	if err != nil {
		f.t.Fatal(err)
	}
	f.db, f.e = db, e
}

// reopen closes the bbolt file and opens it again with a new engine, as a
// restart after a crash does.
func (f *fixture) reopen() {
	f.t.Helper()
	if err := f.db.Close(); err != nil {
		f.t.Fatal(err)
	}
	f.open()
}

// makeEAN builds a valid EAN from a five-digit prefix and a number.
func makeEAN(prefix string, n int) string {
	s := fmt.Sprintf("%s%012d", prefix, n)
	c, _ := CheckDigit(s)
	return s + string(c)
}

const (
	regDay      = "1-0:1.8.1"
	regNight    = "1-0:1.8.2"
	regExpDay   = "1-0:2.8.1"
	regExpNight = "1-0:2.8.2"
	regGas      = "0-1:24.2.3"
)

// tariff stores an electricity tariff with one price for day and night.
func (f *fixture) tariff(id string, price int64) {
	f.t.Helper()
	_, err := f.e.PutTariff(Tariff{ID: id, Energy: Electricity, Versions: []TariffVersion{
		{From: MustParseDate("2020-01-01"), Prices: map[string]int64{regDay: price, regNight: price}},
	}}, "agent-1")
	if err != nil {
		f.t.Fatal(err)
	}
}

func contact() Contact {
	return Contact{Preference: PreferBoth, Phone: "+32470000000", Email: "client@example.be"}
}

// activate creates an active electricity account on tariff id.
func (f *fixture) activate(ean, tariffID string, act Activation, mods ...func(*AccountSpec)) {
	f.t.Helper()
	spec := AccountSpec{EAN: ean, Energy: Electricity, TariffID: tariffID, Contact: contact()}
	for _, m := range mods {
		m(&spec)
	}
	if act.Agent == "" {
		act.Agent = "agent-1"
	}
	if _, err := f.e.Activate(spec, act); err != nil {
		f.t.Fatal(err)
	}
	if ok, err := f.e.MeterCommunicated(ean); err != nil || !ok {
		f.t.Fatalf("MeterCommunicated = %v, %v", ok, err)
	}
}

// withBalance activates an account without debt and brings its balance to
// b with an agent adjustment.
func (f *fixture) withBalance(ean, tariffID string, b Cents, mods ...func(*AccountSpec)) {
	f.t.Helper()
	f.activate(ean, tariffID, Activation{Kind: BudgetTransfer, BudgetBalance: f.cfg.StartingCredit}, mods...)
	if d := b - f.cfg.StartingCredit; d != 0 {
		if _, err := f.e.Adjust(AdjustmentRequest{EAN: ean, Amount: d, Agent: "agent-1", Reason: "test set-up"}); err != nil {
			f.t.Fatal(err)
		}
	}
}

// meter simulates the index registers of one electricity meter.
type meter struct {
	ean  string
	regs map[string]int64
	day  Date
}

func newMeter(ean string, day Date) *meter {
	return &meter{ean: ean, day: day, regs: map[string]int64{regDay: 1_000_000, regNight: 2_000_000, regExpDay: 5_000, regExpNight: 0}}
}

// reading returns the indexes at 00:00 of the meter's current day.
func (m *meter) reading() DailyIndexes {
	regs := make(map[string]int64, len(m.regs))
	for k, v := range m.regs {
		regs[k] = v
	}
	return DailyIndexes{EAN: m.ean, Day: m.day, Registers: regs, Quality: QualityDaily, CapturedAt: m.day.Start(brussels)}
}

// consume adds a day of consumption (Wh per register) and moves to the
// next day.
func (m *meter) consume(deltas map[string]int64) {
	for k, v := range deltas {
		m.regs[k] += v
	}
	m.day = m.day.AddDays(1)
}

func (f *fixture) settle(r DailyIndexes) Settlement {
	f.t.Helper()
	s, err := f.e.Settle(r)
	if err != nil {
		f.t.Fatalf("Settle(%s %s): %v", r.EAN, r.Day, err)
	}
	return s
}

func (f *fixture) dispatch() DispatchReport {
	f.t.Helper()
	rep, err := f.e.Dispatch(context.Background(), f.meters)
	if err != nil {
		f.t.Fatal(err)
	}
	return rep
}

func (f *fixture) view(ean string) View {
	f.t.Helper()
	v, err := f.e.Balance(ean)
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

// lastNotification returns the id of the newest notification, so a test
// can look at what comes after.
func (f *fixture) lastNotification() uint64 {
	f.t.Helper()
	var id uint64
	if err := f.db.View(func(tx *bolt.Tx) error {
		id = tx.Bucket(bucketOutbox).Sequence()
		return nil
	}); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// events returns the events notified to ean after notification id since.
func (f *fixture) events(ean string, since uint64) []Event {
	f.t.Helper()
	ns, err := f.e.ReadOutbox("test-all", 1<<30)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []Event
	for _, n := range ns {
		if n.EAN == ean && n.ID > since {
			out = append(out, n.Event)
		}
	}
	return out
}

// notifications returns the notifications of ean with event ev.
func (f *fixture) notifications(ean string, ev Event) []Notification {
	f.t.Helper()
	ns, err := f.e.ReadOutbox("test-all", 1<<30)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []Notification
	for _, n := range ns {
		if n.EAN == ean && n.Event == ev {
			out = append(out, n)
		}
	}
	return out
}

// entries returns the entries of ean of a kind.
func (f *fixture) entries(ean string, kind EntryKind) []Entry {
	f.t.Helper()
	all, err := f.e.Entries(ean)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []Entry
	for _, en := range all {
		if en.Kind == kind {
			out = append(out, en)
		}
	}
	return out
}

// checkLedger asserts that the ledger of ean sums to the account's balance
// and debt.
func (f *fixture) checkLedger(ean string) {
	f.t.Helper()
	if err := f.e.VerifyLedger(ean); err != nil {
		f.t.Fatal(err)
	}
	a, err := f.e.Account(ean)
	if err != nil {
		f.t.Fatal(err)
	}
	var lb Cents
	if err := f.db.View(func(tx *bolt.Tx) error {
		lb, err = ledgerBalance(tx, ean)
		return err
	}); err != nil || lb != a.Balance {
		f.t.Fatalf("ledger balance %s, account %s, %v", lb, a.Balance, err)
	}
}

func wantCents(t *testing.T, what string, got, want Cents) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}
