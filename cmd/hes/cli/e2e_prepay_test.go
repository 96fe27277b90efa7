package cli

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/prepay"
	"github.com/openhes/hes/sim"
)

// The end-to-end test of the prepayment: simulated meters on loopback, the
// head-end's poller, command queue and executor, and the prepayment engine
// wired to them, for thirty virtual days on the fleet's clock. It starts
// on a Monday in March 2026 and runs past the change to summer time
// (29 March).

// e2eStart is the first day: the reference reading.
var e2eStart = prepay.MustParseDate("2026-03-09")

const e2eDays = 30

// e2eCustomer is one access point of the test and how its customer acts.
type e2eCustomer struct {
	name    string
	ean     string
	meterID string
	energy  prepay.Energy
	// recharges are the amounts the customer pays, one at noon of each
	// day after the supply was found cut or limited; a recharge that does
	// not bring the balance above 0.50 is followed by the next one the day
	// after.
	recharges []prepay.Cents
	next      int

	credits  []prepay.CreditState // credit states seen after each night, without repeats
	supplies []prepay.SupplyState // supply states seen, without repeats
	pressed  int
	// opened is set when the gas valve opened after the press, until the
	// next night's reading shows it to the head-end.
	opened bool
}

func (c *e2eCustomer) see(a prepay.Account) {
	if n := len(c.credits); n == 0 || c.credits[n-1] != a.Credit {
		c.credits = append(c.credits, a.Credit)
	}
	if n := len(c.supplies); n == 0 || c.supplies[n-1] != a.Supply {
		c.supplies = append(c.supplies, a.Supply)
	}
}

// hasInOrder reports whether want appears in got in that order, not
// necessarily next to each other.
func hasInOrder[T comparable](got, want []T) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

type e2e struct {
	t     *testing.T
	ctx   context.Context
	b     *simBench
	cust  []*e2eCustomer
	ndp   prepay.NDPCalendar
	loc   *time.Location
	byEAN map[string]*e2eCustomer
	// pendingSeen records that a cut was seen waiting for the end of a
	// non-disconnection period.
	pendingSeen, weekendWait bool
}

func TestPrepaymentEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("thirty virtual days")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, err := startSimBench(ctx, simBenchConfig{
		fleet: sim.FleetConfig{Seed: 7, Size: 6, GasShare: 0.34, Start: at(e2eStart, 0, 0).Add(-time.Hour)},
		store: filepath.Join(t.TempDir(), "hes.db"),
		log:   zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	}()
	x := &e2e{t: t, ctx: ctx, b: b, ndp: b.he.cfg.Prepayment.NDP, loc: b.pp.engine.Location(), byEAN: map[string]*e2eCustomer{}}
	x.setUp()
	// The settlement runs from the head-end's hook after each read cycle.
	b.pp.attach(ctx)
	err = b.run(ctx, func(ctx context.Context) error {
		x.night(e2eStart)
		for i := 1; i <= e2eDays; i++ {
			x.day(e2eStart.AddDays(i))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	x.check()
}

// setUp gives the meters a fixed consumption and opens the accounts.
func (x *e2e) setUp() {
	t, b := x.t, x.b
	var elec, withGas []*sim.Meter
	for _, m := range b.fleet.Meters() {
		if _, ok := m.Gas(); ok {
			withGas = append(withGas, m)
		} else {
			elec = append(elec, m)
		}
	}
	if len(elec) < 3 || len(withGas) < 2 {
		t.Fatalf("fleet: %d meters without gas, %d with: change the seed", len(elec), len(withGas))
	}
	now := b.fleet.Now()
	add := func(name string, m *sim.Meter, energy prepay.Energy, limiter bool, balance string, recharges ...string) {
		c := &e2eCustomer{name: name, ean: m.Identity().EAN, meterID: m.ID(), energy: energy}
		if energy == prepay.Gas {
			g, _ := m.Gas()
			c.ean = g.EAN
		}
		for _, r := range recharges {
			c.recharges = append(c.recharges, prepay.MustParseCents(r))
		}
		_, err := b.pp.engine.Activate(prepay.AccountSpec{
			EAN: c.ean, Energy: energy, TariffID: defaultTariffID(energy), Limiter: limiter,
			Contact: prepay.Contact{Preference: prepay.PreferSMS, Phone: "+32470000000"},
		}, prepay.Activation{Kind: prepay.BudgetTransfer, BudgetBalance: prepay.MustParseCents(balance), Agent: "e2e"})
		if err != nil {
			t.Fatal(err)
		}
		x.cust = append(x.cust, c)
		x.byEAN[c.ean] = c
	}
	fixed := func(m *sim.Meter, wh, dm3 int64) {
		if err := b.fleet.SetConsumption(m.ID(), sim.Consumption{Fixed: true, WhPerDay: wh, GasDm3PerDay: dm3}); err != nil {
			t.Fatal(err)
		}
	}
	// About 4 EUR a day: NORMAL, LOW, EMERGENCY, EXHAUSTED in 9 days. The
	// first recharge (10.00) is not enough to arm, the second is.
	fixed(elec[0], 12_000, 0)
	add("cut", elec[0], prepay.Electricity, false, "20.00", "10.00", "40.00", "40.00", "40.00")
	// The same with a power limiter: limited instead of cut.
	fixed(elec[1], 12_000, 0)
	add("limiter", elec[1], prepay.Electricity, true, "20.00", "40.00", "40.00", "40.00")
	// A breaker in control mode 2: a remote reconnection would close it,
	// so the head-end refuses to arm it and says so.
	fixed(elec[2], 12_000, 0)
	if err := elec[2].SetControlMode(now, sim.Breaker, 2); err != nil {
		t.Fatal(err)
	}
	add("remote-close", elec[2], prepay.Electricity, false, "20.00", "40.00")
	// Gas, 7.70 EUR a day (7 m³): exhausted by the first Friday's
	// consumption, cut on Monday at 08:00 after the weekend's
	// non-disconnection period. Its meter's electricity stays well in credit
	// and shows the screens.
	fixed(withGas[0], 3_000, 7_000)
	add("gas", withGas[0], prepay.Gas, false, "20.00", "40.00", "40.00", "40.00", "40.00")
	add("gas-meter-elec", withGas[0], prepay.Electricity, false, "250.00")
	// A customer who never runs out.
	fixed(withGas[1], 4_000, 1_000)
	add("steady", withGas[1], prepay.Electricity, false, "90.00")
}

// night runs the head-end's night of day: the read cycle at 01:00, then
// the settlement of the day before and its orders, from the hook.
func (x *e2e) night(day prepay.Date) {
	t, b := x.t, x.b
	b.advanceTo(at(day, 1, 0))
	sum, err := b.he.poller.RunCycle(x.ctx, day.String(), meter.CycleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read+sum.AlreadyRead != sum.Meters {
		t.Fatalf("%s: %d of %d meters read: %v", day, sum.Read+sum.AlreadyRead, sum.Meters, sum.Failures)
	}
	b.he.cycleDone(sum)
	for _, c := range x.cust {
		a := x.account(c)
		if a.State != prepay.Active {
			t.Fatalf("%s %s: account %s after the night of %s", c.name, c.ean, a.State, day)
		}
		if a.LastSettled != day.AddDays(-1) && !a.LastSettled.IsZero() {
			t.Errorf("%s: last settled %s after the night of %s", c.name, a.LastSettled, day)
		}
		c.see(a)
		x.waiting(c, a)
		if c.energy == prepay.Gas {
			x.leakTest(day, c, a)
		}
	}
	x.checkMeters(day, "night")
}

// leakTest checks the gas account's leak-test flag: set at a confirmed
// cut, cleared once the day's reading shows the valve open.
func (x *e2e) leakTest(day prepay.Date, c *e2eCustomer, a prepay.Account) {
	switch {
	case c.opened && a.LeakTestRequired:
		x.t.Errorf("%s gas: leak test still required after the valve opened", day)
	case a.Supply == prepay.Disconnected && !a.LeakTestRequired:
		x.t.Errorf("%s gas: cut without the leak test required", day)
	}
	c.opened = false
}

// waiting checks that a cut decided and not carried out waits for the end
// of a non-disconnection period.
func (x *e2e) waiting(c *e2eCustomer, a prepay.Account) {
	if a.Supply != prepay.DisconnectPending {
		return
	}
	now := x.b.fleet.Now()
	if !x.ndp.In(now, x.loc) {
		x.t.Errorf("%s: a cut waits at %s, outside a non-disconnection period", c.name, now.In(x.loc))
	}
	if wd := now.In(x.loc).Weekday(); wd == time.Saturday || wd == time.Sunday {
		x.weekendWait = true
	}
	x.pendingSeen = true
}

func (x *e2e) account(c *e2eCustomer) prepay.Account {
	a, err := x.b.pp.engine.Account(c.ean)
	if err != nil {
		x.t.Fatal(err)
	}
	return a
}

// dispatch hands the due orders to the meters, as a running head-end does
// every minute.
func (x *e2e) dispatch() {
	if _, err := x.b.pp.dispatch(x.ctx); err != nil {
		x.t.Fatal(err)
	}
}

// day runs one day: the night, the end of the non-disconnection period,
// the customers at noon.
func (x *e2e) day(day prepay.Date) {
	t, b := x.t, x.b
	x.night(day)
	b.advanceTo(at(day, 8, 1))
	x.dispatch()
	b.advanceTo(at(day, 12, 0))
	for _, c := range x.cust {
		a := x.account(c)
		c.see(a)
		x.waiting(c, a)
		if (a.Supply == prepay.Disconnected || a.Supply == prepay.Limited) && c.next < len(c.recharges) {
			amount := c.recharges[c.next]
			c.next++
			_, err := b.pp.engine.Recharge(prepay.RechargeRequest{
				TxnID: "E2E-" + c.name + "-" + day.String(), Reference: prepay.Reference(c.ean),
				Amount: amount, Channel: prepay.ChannelTerminal, PaidAt: b.fleet.Now(),
			})
			if err != nil {
				t.Fatalf("%s recharge: %v", c.name, err)
			}
		}
	}
	// The recharge goes to the meter at once.
	x.dispatch()
	x.checkMeters(day, "after the recharges")
	b.advanceTo(at(day, 12, 30))
	for _, c := range x.cust {
		a := x.account(c)
		c.see(a)
		if a.Supply != prepay.ReconnectArmed {
			continue
		}
		x.press(day, c)
	}
	b.advanceTo(at(day, 18, 0))
	x.dispatch()
}

// press presses the button of an armed meter and checks what follows: the
// breaker closes at once, the gas valve after its safety test.
func (x *e2e) press(day prepay.Date, c *e2eCustomer) {
	t, b := x.t, x.b
	before := x.status(c)
	if before.State != sim.ReadyForReconnection {
		t.Fatalf("%s %s: armed in the head-end, %v on the meter", day, c.name, before.State)
	}
	r, err := b.fleet.Press(c.meterID)
	if err != nil {
		t.Fatal(err)
	}
	c.pressed++
	if c.energy == prepay.Electricity {
		if got := x.status(c); got.State != sim.Connected || !got.Output {
			t.Errorf("%s %s: breaker %v after the press", day, c.name, got.State)
		}
		return
	}
	pressedAt := b.fleet.Now()
	if !r.SafetyTest {
		t.Fatalf("%s %s: the press did not start the valve's safety test", day, c.name)
	}
	if d := r.ValveOpensAt.Sub(pressedAt); d < 11*time.Minute || d > 13*time.Minute {
		t.Errorf("%s %s: the valve opens %s after the press, want about 12 minutes", day, c.name, d)
	}
	b.advanceTo(pressedAt.Add(11 * time.Minute))
	if got := x.status(c); got.State == sim.Connected {
		t.Errorf("%s %s: the valve is open 11 minutes after the press, during the safety test", day, c.name)
	}
	b.advanceTo(pressedAt.Add(13 * time.Minute))
	if got := x.status(c); got.State != sim.Connected {
		t.Errorf("%s %s: valve %v 13 minutes after the press", day, c.name, got.State)
	}
	c.opened = true
}

// status is the meter's breaker, or the valve for a gas access point.
func (x *e2e) status(c *e2eCustomer) sim.Switch {
	st, err := x.b.fleet.Status(c.meterID)
	if err != nil {
		x.t.Fatal(err)
	}
	if c.energy == prepay.Gas {
		return st.Gas.Valve
	}
	return st.Breaker
}

// checkMeters compares what the meters show with what the head-end knows,
// for the accounts whose orders are all confirmed.
func (x *e2e) checkMeters(day prepay.Date, when string) {
	t := x.t
	for _, c := range x.cust {
		a := x.account(c)
		if len(a.Open) > 0 && c.name != "remote-close" {
			continue
		}
		st, err := x.b.fleet.Status(c.meterID)
		if err != nil {
			t.Fatal(err)
		}
		sw := x.status(c)
		want := map[prepay.SupplyState]sim.ControlState{
			prepay.Disconnected: sim.Disconnected, prepay.ReconnectArmed: sim.ReadyForReconnection,
		}
		if s, ok := want[a.Supply]; ok && sw.State != s {
			t.Errorf("%s %s %s: supply %s, meter %v", day, when, c.name, a.Supply, sw.State)
		}
		if a.Supply == prepay.Connected && !sw.Output && !(c.name == "remote-close") {
			t.Errorf("%s %s %s: supply connected, meter %v", day, when, c.name, sw.State)
		}
		if c.energy == prepay.Electricity && len(a.Open) == 0 {
			wantLimit := a.Supply == prepay.Limited
			if got := st.Limiter.Active(); got != wantLimit {
				t.Errorf("%s %s %s: supply %s, limiter at %d W", day, when, c.name, a.Supply, st.Limiter.ThresholdW)
			}
			watts := a.LimiterWatts
			if watts == 0 {
				watts = x.b.he.cfg.Prepayment.DefaultLimiterWatts
			}
			if wantLimit && st.Limiter.ThresholdW != watts {
				t.Errorf("%s %s %s: limiter at %d W, want %d", day, when, c.name, st.Limiter.ThresholdW, watts)
			}
			emergency := max(0, 1500+min(int64(a.Balance), 0))
			if st.Display.BalanceCents != int64(a.Balance) || st.Display.EmergencyCents != emergency {
				t.Errorf("%s %s %s: the meter shows %d and %d, the account %s", day, when, c.name,
					st.Display.BalanceCents, st.Display.EmergencyCents, a.Balance)
			}
		}
	}
}

// check looks at the whole month.
func (x *e2e) check() {
	t, b := x.t, x.b
	path := []prepay.CreditState{prepay.Normal, prepay.Low, prepay.Emergency, prepay.Exhausted, prepay.Normal}
	for _, name := range []string{"cut", "limiter", "remote-close", "gas"} {
		c := x.named(name)
		if !hasInOrder(c.credits, path) {
			t.Errorf("%s: credit states %v, want %v in order", name, c.credits, path)
		}
		if err := b.pp.engine.VerifyLedger(c.ean); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	cutPath := []prepay.SupplyState{prepay.Connected, prepay.Disconnected, prepay.ReconnectArmed, prepay.Connected,
		prepay.Disconnected, prepay.ReconnectArmed, prepay.Connected}
	for _, name := range []string{"cut", "gas"} {
		if c := x.named(name); !hasInOrder(c.supplies, cutPath) {
			t.Errorf("%s: supply states %v, want %v in order", name, c.supplies, cutPath)
		}
	}
	limitPath := []prepay.SupplyState{prepay.Connected, prepay.Limited, prepay.Connected, prepay.Limited, prepay.Connected}
	if c := x.named("limiter"); !hasInOrder(c.supplies, limitPath) || slices.Contains(c.supplies, prepay.Disconnected) {
		t.Errorf("limiter: supply states %v, want %v and never a cut", c.supplies, limitPath)
	}
	if c := x.named("steady"); len(c.credits) != 1 || c.credits[0] != prepay.Normal || len(c.supplies) != 1 {
		t.Errorf("steady: credit states %v, supply states %v", c.credits, c.supplies)
	}
	// The first recharge of "cut" (10.00) left it below 0.50: it stayed
	// disconnected, not armed, until the second.
	if c := x.named("cut"); c.pressed < 2 {
		t.Errorf("cut: %d presses, want 2 or more", c.pressed)
	}
	if !x.pendingSeen || !x.weekendWait {
		t.Errorf("cuts seen waiting for the end of a non-disconnection period: %v, over a weekend: %v", x.pendingSeen, x.weekendWait)
	}
	// Every cut happened outside a non-disconnection period.
	cuts := 0
	for _, c := range x.cust {
		m, err := b.fleet.Meter(c.meterID)
		if err != nil {
			t.Fatal(err)
		}
		code := sim.EventRemoteDisconnection
		if c.energy == prepay.Gas {
			code = sim.EventValveRemoteClose
		}
		for _, ev := range m.Events(b.fleet.Now()) {
			if ev.Code != code {
				continue
			}
			cuts++
			t.Logf("%s cut at %s", c.name, ev.Time.In(x.loc).Format("Mon 2006-01-02 15:04"))
			if x.ndp.In(ev.Time, x.loc) {
				t.Errorf("%s: cut at %s, inside a non-disconnection period", c.name, ev.Time.In(x.loc))
			}
		}
	}
	if cuts < 5 {
		t.Errorf("%d cuts in the month, want at least 5", cuts)
	}
	// The breaker in control mode 2 was never closed remotely: it is
	// still open, and the arming waits for an agent with its reason.
	c := x.named("remote-close")
	if st := x.status(c); st.State != sim.Disconnected {
		t.Errorf("remote-close: breaker %v, want disconnected (never closed remotely)", st.State)
	}
	acts, err := b.pp.engine.Actions(c.ean)
	if err != nil {
		t.Fatal(err)
	}
	refused := false
	for _, a := range acts {
		if a.Kind == prepay.ActArmReconnection && a.Status == prepay.ActionOpen && strings.Contains(a.LastError, "arming refused") {
			refused = true
		}
	}
	if !refused {
		t.Errorf("remote-close: no open arming with the refusal as its error: %+v", acts)
	}
	ns, err := b.pp.engine.ReadOutbox("e2e", 10_000)
	if err != nil {
		t.Fatal(err)
	}
	instructions := 0
	for _, n := range ns {
		if n.EAN == x.named("gas").ean && n.Event == prepay.EventReconnectionReady && n.Data["leak_test"] == "required" {
			instructions++
		}
	}
	if instructions < 2 {
		t.Errorf("gas: %d reconnection notices with the leak test, want 2 or more", instructions)
	}
}

func (x *e2e) named(name string) *e2eCustomer {
	for _, c := range x.cust {
		if c.name == name {
			return c
		}
	}
	x.t.Fatalf("no customer %s", name)
	return nil
}
