package cli

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/prepay"
	"github.com/openhes/hes/sim"
)

// The demonstration: a simulated fleet on loopback, the head-end that
// reads and commands it with its prepayment engine, and simulated
// customers, all on the fleet's virtual clock. docs/demo.md shows a run.

// envDemoDays is the number of days of hes demo when --days is not given.
const envDemoDays = "HES_DEMO_DAYS"

// Defaults of hes demo.
const (
	demoDays     = 7
	demoMaxDays  = 60
	demoMeters   = 300
	demoGasShare = 0.3
	demoStart    = "2026-01-12" // a Monday: the week's weekend shows the non-disconnection period
	demoAgent    = "demo"
)

type demoOptions struct {
	days     int
	meters   int
	gasShare float64
	seed     uint64
	start    string
	store    string
	faults   string
}

func newDemoCmd(g *globals) *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo [--days N] [--meters N] [--store FILE]",
		Short: "Run a simulated fleet through days of prepayment at high speed",
		Long: `Run the whole head-end on a simulated fleet, in one process, on loopback:
a few hundred simulated meters (some with a gas meter on their M-Bus, a few
faulty) that speak DLMS/COSEM over TCP, the head-end that reads them and
commands them (HLS-GMAC, ciphering, read-back confirmation), its prepayment
engine, and simulated customers who run out of credit and recharge.

Every meter's access point (electricity and gas) gets a prepayment account
from a transferred budget-meter balance, and a fixed daily consumption so that
some run out within the days. Each virtual day the head-end reads every meter
at 01:00 and settles the day before: display values go to the meters, the
accounts whose emergency credit is used up are cut (at 08:00 at the earliest:
16:00 to 08:00 and the weekends are non-disconnection periods) or limited when
they have a power limiter. At noon some customers recharge at a terminal;
the new balance and the arming of their meter go out at once, and they press
the button on the meter, which closes the breaker (a gas valve opens after its
twelve-minute safety test).

It prints one line per day, then how to look at one meter and one account. The
virtual clock of the fleet drives the meters and the head-end alike; it needs
no configuration, no network beyond loopback, and the store is a temporary
file unless --store names a new one to keep (its master key is written beside
it, FILE.key).`,
		Example: `  hes demo
  HES_DEMO_DAYS=14 hes demo --meters 500 --store demo.db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("days") {
				if v := os.Getenv(envDemoDays); v != "" {
					n, err := strconv.Atoi(strings.TrimSpace(v))
					if err != nil {
						return badInput("%s %q: want a number of days", envDemoDays, v)
					}
					o.days = n
				}
			}
			return o.run(cmd, g)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.days, "days", demoDays, "virtual days to run (default: $"+envDemoDays+", else 7)")
	f.IntVar(&o.meters, "meters", demoMeters, "number of simulated electricity meters")
	f.Float64Var(&o.gasShare, "gas-share", demoGasShare, "share of the meters with a gas meter, 0 to 1")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the fleet and of the customers")
	f.StringVar(&o.start, "start", demoStart, "the first virtual day, `YYYY-MM-DD`")
	f.StringVar(&o.store, "store", "", "keep the store in this new `FILE` (default: a temporary file)")
	f.StringVar(&o.faults, "faults", "", "faults of the fleet (hes sim --faults; default: a few silent, refusing and noisy meters)")
	return cmd
}

func (o *demoOptions) run(cmd *cobra.Command, g *globals) (err error) {
	switch {
	case o.days < 1 || o.days > demoMaxDays:
		return badInput("--days %d: want 1 to %d", o.days, demoMaxDays)
	case o.meters < 1 || o.meters > 5000:
		return badInput("--meters %d: want 1 to 5000", o.meters)
	case o.gasShare < 0 || o.gasShare > 1:
		return badInput("--gas-share %v: want a share from 0 to 1", o.gasShare)
	}
	start, err := time.ParseInLocation(time.DateOnly, o.start, sim.Brussels)
	if err != nil {
		return badInput("--start %q: want a date YYYY-MM-DD", o.start)
	}
	if o.store != "" {
		if _, err := os.Stat(o.store); err == nil {
			return badInput("--store %s exists: the demo builds a new store, give a new file", o.store)
		}
	}
	faults := o.faults
	if !cmd.Flags().Changed("faults") {
		faults = defaultDemoFaults(o.meters)
	}
	spec, err := sim.ParseFaultSpec(faults)
	if err != nil {
		return badInput("--faults: %v", err)
	}
	ctx := cmd.Context()
	// The fleet starts an hour before the first day's midnight, so that the
	// customers' consumption is in force for the whole first day.
	b, err := startSimBench(ctx, simBenchConfig{
		fleet: sim.FleetConfig{Seed: o.seed, Size: o.meters, GasShare: o.gasShare, Start: start.Add(-time.Hour)},
		store: o.store,
		log:   commandLogger(cmd, g),
	})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := b.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	d := &demo{bench: b, out: g.stdout, json: g.json, rng: rand.New(rand.NewPCG(o.seed, 0x4845534445)), first: prepay.DateOf(start, sim.Brussels)}
	if o.meters >= 20 {
		d.outageMeter = sim.MeterID(7)
	}
	if err := d.setUp(spec); err != nil {
		return err
	}
	realStart := time.Now()
	if err := b.run(ctx, func(ctx context.Context) error { return d.run(ctx, o.days) }); err != nil {
		return err
	}
	return d.finish(o.store, time.Since(realStart))
}

// defaultDemoFaults switches on a few of the misbehaviours of field meters:
// a meter that refuses every association (never read: its accounts stay
// pending), and meters that corrupt and drop frames (read after HDLC
// retransmissions). One more meter is silent for two nights (see outage).
func defaultDemoFaults(n int) string {
	if n < 20 {
		return ""
	}
	id := func(i int) string { return sim.MeterID(n - i) }
	return "refuse=" + id(1) + ",fcs=" + id(2) + "+" + id(3) + ":7,drop=" + id(4) + ":9"
}

// demo runs the customers of a simBench through the days.
type demo struct {
	bench     *simBench
	out       io.Writer
	json      bool
	rng       *rand.Rand
	first     prepay.Date // the day of the reference reading
	customers []*demoCustomer
	days      []demoDay
	// confirmed counts the orders confirmed, attemptsFailed the attempts
	// not confirmed, over the whole run.
	confirmed, attemptsFailed int
	// outageMeter is the meter that is silent for two nights; "" for none.
	outageMeter string
}

// demoCustomer is a simulated customer: one access point and how its
// occupant behaves.
type demoCustomer struct {
	ean     string
	meterID string
	energy  prepay.Energy
	// early recharges as soon as the emergency credit starts; otherwise
	// the customer recharges delay days after the supply was cut or
	// limited, or never when delay is negative.
	early  bool
	delay  int
	amount prepay.Cents
	// cutOn is the day the customer found the supply cut or limited.
	cutOn    prepay.Date
	recharge int // recharges made
	// cut and reconnected record that the supply was cut (or limited) and
	// that a press on the button brought it back, for the examples.
	cut, reconnected bool
}

// demoDay is the line of one virtual day.
type demoDay struct {
	Day         prepay.Date `json:"day"`
	Read        int         `json:"read"`
	Meters      int         `json:"meters"`
	Settled     int         `json:"settled"`
	Low         int         `json:"low_credit"`
	Emergency   int         `json:"emergency_credit"`
	Disconnect  int         `json:"disconnected"`
	WaitingNDP  int         `json:"cut_waiting_ndp"`
	Limited     int         `json:"limited"`
	Recharged   int         `json:"recharged"`
	Armed       int         `json:"armed"`
	Reconnected int         `json:"reconnected"`
	Failed      int         `json:"orders_failed"`
	Seconds     float64     `json:"seconds"`
}

// setUp registers the customers: a prepayment account for every access
// point with a budget-meter balance, a fixed consumption, a limiter for a
// few, a behaviour; and the faults of the fleet.
func (d *demo) setUp(spec sim.FaultSpec) error {
	b := d.bench
	now := b.fleet.Now()
	balances := []string{"-3.20", "4.80", "12.40", "20.00", "20.00", "31.00", "45.50", "62.00", "90.00"}
	whPerDay := []int64{5_000, 7_000, 9_000, 12_000, 16_000, 22_000, 30_000, 38_000}
	dm3PerDay := []int64{3_000, 5_000, 7_000, 9_000, 12_000}
	for i, m := range b.fleet.Meters() {
		id := m.ID()
		gas, hasGas := m.Gas()
		c := sim.Consumption{Fixed: true, WhPerDay: whPerDay[d.rng.IntN(len(whPerDay))]}
		if hasGas {
			c.GasDm3PerDay = dm3PerDay[d.rng.IntN(len(dm3PerDay))]
		}
		// A few breakers in a control mode where a remote reconnection
		// would close them at once; their households run out of credit
		// and recharge at once, and the head-end must refuse to arm them.
		remoteClose := i%demoRemoteCloseEvery == demoRemoteCloseEvery/2
		if remoteClose {
			c.WhPerDay = whPerDay[len(whPerDay)-1]
			if err := m.SetControlMode(now, sim.Breaker, 2); err != nil {
				return err
			}
		}
		if err := b.fleet.SetConsumption(id, c); err != nil {
			return err
		}
		points := []demoCustomer{{ean: m.Identity().EAN, meterID: id, energy: prepay.Electricity}}
		if hasGas {
			points = append(points, demoCustomer{ean: gas.EAN, meterID: id, energy: prepay.Gas})
		}
		for _, cu := range points {
			balance := balances[d.rng.IntN(len(balances))]
			cu.delay, cu.amount = d.rng.IntN(3), prepay.Cents(2000+500*d.rng.IntN(9))
			switch r := d.rng.IntN(100); {
			case r < 15:
				cu.early = true
			case r < 25:
				cu.delay = -1
			}
			limiter := cu.energy == prepay.Electricity && d.rng.IntN(100) < 8
			if remoteClose && cu.energy == prepay.Electricity {
				balance, cu.delay, cu.early, limiter = "20.00", 0, false, false
			}
			spec := prepay.AccountSpec{
				EAN: cu.ean, Energy: cu.energy, TariffID: defaultTariffID(cu.energy), Limiter: limiter,
				Contact: prepay.Contact{Preference: prepay.PreferSMS, Phone: fmt.Sprintf("+32470%06d", i)},
			}
			act := prepay.Activation{Kind: prepay.BudgetTransfer, BudgetBalance: prepay.MustParseCents(balance), Agent: demoAgent}
			if _, err := b.pp.engine.Activate(spec, act); err != nil {
				return fmt.Errorf("demo account %s: %w", cu.ean, err)
			}
			d.customers = append(d.customers, &cu)
		}
	}
	if _, err := b.fleet.ApplyFaults(spec); err != nil {
		return badInput("--faults: %v", err)
	}
	return nil
}

// demoRemoteCloseEvery puts one breaker in so many in control mode 2.
const demoRemoteCloseEvery = 97

// The outage: one meter answers nothing on the nights of days 3 and 4;
// on day 5 the head-end catches the missed days up from its profile and
// the settlement covers them.
const (
	demoOutageFrom  = 3
	demoOutageUntil = 5
)

// outage switches the outage of meter id on or off before the night of
// day n (1 for the first day after the reference).
func (d *demo) outage(n int) error {
	id := d.outageMeter
	if id == "" {
		return nil
	}
	m, err := d.bench.fleet.Meter(id)
	if err != nil {
		return err
	}
	switch n {
	case demoOutageFrom:
		f := m.Faults()
		f.Silent = true
		m.SetFaults(f)
	case demoOutageUntil:
		f := m.Faults()
		f.Silent = false
		m.SetFaults(f)
	}
	return nil
}

// run runs the reference day, then days virtual days.
func (d *demo) run(ctx context.Context, days int) error {
	b := d.bench
	if !d.json {
		fmt.Fprintf(d.out, "hes demo: %d meters (%d access points) on loopback, %d virtual days from %s, virtual clock of the fleet\n",
			b.fleet.Len(), len(d.customers), days, d.first)
		fmt.Fprintf(d.out, "store %s\n\n", b.store)
	}
	// Day 0: the first reading of every meter activates its accounts; it
	// is their reference, nothing is charged.
	start := time.Now()
	sum, _, err := d.headEndNight(ctx, d.first, map[uint64]bool{})
	if err != nil {
		return err
	}
	if !d.json {
		fmt.Fprintf(d.out, "%s  reference reading: %d of %d meters read, accounts activated, balances shown (%.1fs)\n\n",
			dayLabel(d.first), sum.Read, sum.Meters, time.Since(start).Seconds())
		fmt.Fprintln(d.out, "DAY             READ     SETTLED  LOW  EMERGENCY  CUT  WAIT-NDP  LIMITED  RECHARGED  ARMED  RECONNECTED  FAILED  SECONDS")
	}
	for i := 1; i <= days; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := d.outage(i); err != nil {
			return err
		}
		day, err := d.day(ctx, d.first.AddDays(i))
		if err != nil {
			return err
		}
		d.days = append(d.days, day)
		if !d.json {
			fmt.Fprintf(d.out, "%-14s  %3d/%-3d  %7d  %3d  %9d  %3d  %8d  %7d  %9d  %5d  %11d  %6d  %7.1f\n",
				dayLabel(day.Day), day.Read, day.Meters, day.Settled, day.Low, day.Emergency, day.Disconnect, day.WaitingNDP,
				day.Limited, day.Recharged, day.Armed, day.Reconnected, day.Failed, day.Seconds)
		}
	}
	return nil
}

func dayLabel(d prepay.Date) string {
	return d.Weekday().String()[:3] + " " + d.String()
}

// at returns the instant of local time hh:mm on day.
func at(day prepay.Date, hh, mm int) time.Time {
	return time.Date(day.Year, day.Month, day.Day, hh, mm, 0, 0, sim.Brussels)
}

// headEndNight runs the head-end's night of day: the reads at 01:00 (the
// indexes that close the day before), the settlement of the day before
// and its orders; failed collects the actions not confirmed.
func (d *demo) headEndNight(ctx context.Context, day prepay.Date, failed map[uint64]bool) (meter.Summary, prepay.CycleReport, error) {
	b := d.bench
	b.advanceTo(at(day, 1, 0))
	sum, err := b.he.poller.RunCycle(ctx, day.String(), meter.CycleOptions{})
	if err != nil {
		return sum, prepay.CycleReport{}, err
	}
	rep, r, err := b.pp.settle(ctx, day.AddDays(-1))
	d.count(r, failed)
	return sum, rep, err
}

// dispatch hands the due orders to the meters and records in failed the
// actions not confirmed.
func (d *demo) dispatch(ctx context.Context, failed map[uint64]bool) error {
	r, err := d.bench.pp.dispatch(ctx)
	d.count(r, failed)
	return err
}

// count counts the orders of a dispatch and records in failed the actions
// not confirmed.
func (d *demo) count(r dispatchReport, failed map[uint64]bool) {
	d.confirmed += r.Sent
	d.attemptsFailed += r.Failed
	for _, f := range r.Failures {
		failed[f.Action] = true
	}
}

// day runs one virtual day: the head-end's night, the cuts at 08:00, the
// customers' recharges at noon and their presses on the button.
func (d *demo) day(ctx context.Context, day prepay.Date) (demoDay, error) {
	b := d.bench
	start := time.Now()
	failed := map[uint64]bool{}
	sum, rep, err := d.headEndNight(ctx, day, failed)
	if err != nil {
		return demoDay{}, err
	}
	out := demoDay{Day: day, Read: sum.Read + sum.AlreadyRead, Meters: sum.Meters}
	for _, s := range rep.Settlements {
		if s.Status == prepay.Settled {
			out.Settled++
		}
	}
	// 08:00: the end of the weekday non-disconnection period; the cuts
	// decided in the night go out.
	b.advanceTo(at(day, 8, 1))
	if err := d.dispatch(ctx, failed); err != nil {
		return out, err
	}
	// Noon: the customers look at their meter.
	b.advanceTo(at(day, 12, 0))
	for _, c := range d.customers {
		if err := d.customerNoon(c, day); err != nil {
			return out, err
		}
	}
	if err := d.dispatch(ctx, failed); err != nil {
		return out, err
	}
	// 12:30: those whose meter is armed press the button; a gas valve
	// opens after its safety test.
	b.advanceTo(at(day, 12, 30))
	var pressed []*demoCustomer
	for _, c := range d.customers {
		a, err := b.pp.engine.Account(c.ean)
		if err != nil {
			return out, err
		}
		if a.Supply != prepay.ReconnectArmed {
			continue
		}
		if _, err := b.fleet.Press(c.meterID); err != nil {
			return out, err
		}
		pressed = append(pressed, c)
	}
	b.advanceTo(at(day, 13, 0))
	for _, c := range pressed {
		st, err := b.fleet.Status(c.meterID)
		if err != nil {
			return out, err
		}
		sw := st.Breaker
		if c.energy == prepay.Gas && st.Gas != nil {
			sw = st.Gas.Valve
		}
		if sw.State == sim.Connected {
			out.Reconnected++
			c.reconnected = true
		}
	}
	// Evening: the other dispatches of the day (retries) before the next
	// night; the day is counted from the notifications it created.
	b.advanceTo(at(day, 18, 0))
	if err := d.dispatch(ctx, failed); err != nil {
		return out, err
	}
	out.Failed = len(failed)
	if err := d.tally(day, &out); err != nil {
		return out, err
	}
	out.Seconds = time.Since(start).Seconds()
	return out, nil
}

// customerNoon is what a customer does at noon: recharge at a terminal
// when the supply is cut or limited (after the customer's delay), or as
// soon as the emergency credit starts for an early one.
func (d *demo) customerNoon(c *demoCustomer, day prepay.Date) error {
	e := d.bench.pp.engine
	a, err := e.Account(c.ean)
	if err != nil || a.State != prepay.Active {
		return err
	}
	off := a.Supply == prepay.Disconnected || a.Supply == prepay.Limited
	if off && c.cutOn.IsZero() {
		c.cutOn, c.cut = day, true
	}
	if !off {
		c.cutOn = prepay.Date{}
	}
	// A customer whose balance is back above the reconnection threshold
	// waits for the meter (or for an agent) rather than paying again.
	due := (off && c.delay >= 0 && c.cutOn.DaysUntil(day) >= c.delay && a.Balance <= e.Config().ReconnectAbove) ||
		(c.early && a.Balance < 0 && !off)
	if !due {
		return nil
	}
	// Enough to be back above the reconnection threshold.
	amount := c.amount
	if need := -a.Balance + 500; amount < need {
		amount = min((need+499)/500*500, e.Config().RechargeMax)
	}
	c.recharge++
	_, err = e.Recharge(prepay.RechargeRequest{
		TxnID: fmt.Sprintf("DEMO-%s-%s-%d", day, c.ean[len(c.ean)-6:], c.recharge), Reference: prepay.Reference(c.ean),
		Amount: amount, Channel: prepay.ChannelTerminal, PaidAt: d.bench.fleet.Now(),
	})
	return err
}

// tally fills the day's line from the accounts and the day's
// notifications.
func (d *demo) tally(day prepay.Date, out *demoDay) error {
	e := d.bench.pp.engine
	accounts, err := e.Accounts()
	if err != nil {
		return err
	}
	for _, a := range accounts {
		switch a.Credit {
		case prepay.Low:
			out.Low++
		case prepay.Emergency:
			out.Emergency++
		}
		if a.Supply == prepay.DisconnectPending {
			out.WaitingNDP++
		}
	}
	ns, err := e.NotificationsDay(day)
	if err != nil {
		return err
	}
	for _, n := range ns {
		switch n.Event {
		case prepay.EventDisconnected:
			out.Disconnect++
		case prepay.EventLimited:
			out.Limited++
		case prepay.EventRechargeBooked:
			out.Recharged++
		case prepay.EventReconnectionReady:
			out.Armed++
		}
	}
	return nil
}

// finish prints the totals and how to look at one meter and one account.
func (d *demo) finish(keep string, took time.Duration) error {
	b := d.bench
	e := b.pp.engine
	accounts, err := e.Accounts()
	if err != nil {
		return err
	}
	states := map[string]int{}
	for _, a := range accounts {
		if err := e.VerifyLedger(a.EAN); err != nil {
			return fmt.Errorf("demo: ledger of %s: %w", a.EAN, err)
		}
		if a.State != prepay.Active {
			states[string(a.State)]++
			continue
		}
		states[string(a.Supply)]++
	}
	refused, err := b.he.queue.List(meter.CommandFilter{Kind: meter.CmdArm, States: []meter.CommandState{meter.StateFailed}})
	if err != nil {
		return err
	}
	var needAgent []string
	for _, c := range refused {
		if c.Reason == meter.ReasonRefused && !slices.Contains(needAgent, c.EAN) {
			needAgent = append(needAgent, c.EAN)
		}
	}
	slices.Sort(needAgent)
	elec, gas := d.showcase()
	if d.json {
		return writeJSON(d.out, demoOut{
			Days: d.days, Accounts: len(accounts), States: states, OrdersConfirmed: d.confirmed, AttemptsFailed: d.attemptsFailed,
			ArmingRefused: needAgent, Store: keep, Seconds: took.Seconds(), Electricity: elec, Gas: gas,
		})
	}
	w := d.out
	fmt.Fprintf(w, "\n%d accounts, ledgers verified: ", len(accounts))
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(states)) {
		parts = append(parts, fmt.Sprintf("%d %s", states[k], k))
	}
	fmt.Fprintln(w, strings.Join(parts, ", "))
	fmt.Fprintf(w, "orders to the meters: %d confirmed by read-back; %d attempts not confirmed, retried at the next dispatch\n", d.confirmed, d.attemptsFailed)
	if len(needAgent) > 0 {
		fmt.Fprintf(w, "arming refused, an agent must act (control mode 2 would close the breaker remotely): %s\n", strings.Join(needAgent, ", "))
	}
	fmt.Fprintf(w, "%d virtual days in %.1f s\n", len(d.days), took.Seconds())
	end := b.fleet.Now().In(sim.Brussels).Format(time.RFC3339)
	store := keep
	if keep == "" {
		store = "demo.db"
		fmt.Fprintf(w, "\nThe store was temporary. Keep it with hes demo --store %s, then look at one account and one meter:\n", store)
	} else {
		fmt.Fprintln(w, "\nLook at one account and one meter in the store kept:")
	}
	if elec != "" {
		fmt.Fprintf(w, "  HES_NOW=%s hes balance %s --store %s\n", end, elec, store)
		fmt.Fprintf(w, "  hes account show %s --store %s\n", elec, store)
		fmt.Fprintf(w, "  hes cmd list --ean %s --store %s\n", elec, store)
		if m, err := b.he.store.ByEAN(elec); err == nil {
			fmt.Fprintf(w, "  HES_MASTER_KEY_FILE=%s.key hes meters show %s --store %s\n", store, m.ID, store)
		}
	}
	if gas != "" {
		fmt.Fprintf(w, "  HES_NOW=%s hes balance %s --store %s\n", end, gas, store)
	}
	return nil
}

// showcase picks an electricity and a gas account to look at: one that
// went the whole way (cut, recharged, armed, reconnected) and is supplied
// again, else one that went the whole way, else one that was cut.
func (d *demo) showcase() (elec, gas string) {
	e := d.bench.pp.engine
	supplied := func(c *demoCustomer) bool {
		a, err := e.Account(c.ean)
		return err == nil && (a.Supply == prepay.Connected || a.Supply == prepay.ReconnectArmed)
	}
	for _, pass := range []func(c *demoCustomer) bool{
		func(c *demoCustomer) bool { return c.reconnected && supplied(c) },
		func(c *demoCustomer) bool { return c.reconnected },
		func(c *demoCustomer) bool { return c.cut },
	} {
		for _, c := range d.customers {
			if !pass(c) {
				continue
			}
			if c.energy == prepay.Gas && gas == "" {
				gas = c.ean
			}
			if c.energy == prepay.Electricity && elec == "" {
				elec = c.ean
			}
		}
	}
	if elec == "" && len(d.customers) > 0 {
		elec = d.customers[0].ean
	}
	return elec, gas
}

// demoOut is hes demo --json.
type demoOut struct {
	Days            []demoDay      `json:"days"`
	Accounts        int            `json:"accounts"`
	States          map[string]int `json:"states"`
	OrdersConfirmed int            `json:"orders_confirmed"`
	AttemptsFailed  int            `json:"attempts_failed"`
	ArmingRefused   []string       `json:"arming_refused"`
	Store           string         `json:"store,omitempty"`
	Seconds         float64        `json:"seconds"`
	Electricity     string         `json:"electricity_example,omitempty"`
	Gas             string         `json:"gas_example,omitempty"`
}

// simBench is a simulated fleet served on loopback and the head-end that
// reads and commands it, with its prepayment engine, on the fleet's
// virtual clock: hes demo and the end-to-end tests run on it.
type simBench struct {
	server *sim.Server
	fleet  *sim.Fleet
	he     *headEnd
	pp     *prepayment
	store  string
	tmp    string // the temporary directory to remove, "" when the store is kept
}

// simBenchConfig configures a simBench.
type simBenchConfig struct {
	fleet sim.FleetConfig // its Speed is ignored: the clock runs at real time, and advanceTo moves it forward
	store string          // the store file to create; a temporary one when empty
	log   zerolog.Logger
}

// benchFrameTimeout is how long the head-end waits for a simulated meter's
// answer to a frame before it sends the frame again (HDLC) or gives up:
// the meters are on loopback.
const benchFrameTimeout = 300 * time.Millisecond

// simBenchConfigOf is the head-end's configuration on a simBench: the
// defaults, with short deadlines and retries since the meters are on
// loopback.
func simBenchConfigOf(store, keyFile string) Config {
	cfg := DefaultConfig()
	cfg.Store, cfg.MasterKeyFile, cfg.Listen = store, keyFile, ""
	cfg.Poll.MeterDeadline = 10 * time.Second
	cfg.Poll.Retry = RetryPolicy{InitialBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Jitter: 0.2, MaxAttempts: 2}
	cfg.Commands.AttemptDeadline = 5 * time.Second
	cfg.Commands.Retry = RetryPolicy{InitialBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Jitter: 0.2, MaxAttempts: 2}
	return cfg
}

// startSimBench starts the fleet, creates the store with a new master
// key, registers the fleet's meters and opens the head-end and the
// prepayment engine on the fleet's clock.
func startSimBench(ctx context.Context, c simBenchConfig) (_ *simBench, err error) {
	b := &simBench{store: c.store}
	if b.store == "" {
		if b.tmp, err = os.MkdirTemp("", "hes-demo-"); err != nil {
			return nil, err
		}
		b.store = filepath.Join(b.tmp, "hes.db")
	}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	keyFile := b.store + ".key"
	if err := writeMasterKey(keyFile); err != nil {
		return nil, err
	}
	// The clock runs at real time between the steps that move it forward:
	// the retries of the poller and of the executor wait for a virtual time.
	c.fleet.Speed = 1
	if b.server, err = sim.Start(ctx, sim.Config{FleetConfig: c.fleet, MeterPorts: true, Framing: meter.FramingHDLC}); err != nil {
		return nil, err
	}
	b.fleet = b.server.Fleet()
	cfg := simBenchConfigOf(b.store, keyFile)
	o := &meterStoreOptions{storeOptions: storeOptions{store: b.store}, masterKeyFile: keyFile}
	b.he, err = o.openHeadEnd(cfg, headEndOptions{
		log: c.log, now: func() time.Time { return b.fleet.Now().UTC() },
		frameTimeout: benchFrameTimeout, frameRetries: 2,
		executor: func(ec *meter.ExecutorConfig) { ec.ConfirmInterval = 20 * time.Millisecond },
	})
	if err != nil {
		return nil, err
	}
	// The bench's store is rebuilt at every run: it need not survive a
	// crash of the machine, and skipping the fsyncs makes it fast.
	b.he.db.NoSync = true
	var inv bytes.Buffer
	if err := b.server.WriteInventory(&inv); err != nil {
		return nil, err
	}
	if _, err := b.he.store.ImportInventory(&inv); err != nil {
		return nil, err
	}
	if b.pp, err = openPrepayment(b.he); err != nil {
		return nil, err
	}
	return b, nil
}

// writeMasterKey writes a new random master key to path, readable by its
// owner only.
func writeMasterKey(path string) error {
	k := make([]byte, 32)
	if _, err := crand.Read(k); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	_, err = fmt.Fprintln(f, hex.EncodeToString(k))
	return errors.Join(err, f.Close())
}

// advanceTo moves the virtual clock forward to t (never back).
func (b *simBench) advanceTo(t time.Time) {
	if d := t.Sub(b.fleet.Now()); d > 0 {
		b.fleet.Advance(d)
	}
}

// run runs fn while the head-end's executor carries out the commands.
func (b *simBench) run(ctx context.Context, fn func(ctx context.Context) error) error {
	return b.he.withExecutor(ctx, fn)
}

// Close stops the fleet, closes the store (synced to disk) and removes a
// temporary store.
func (b *simBench) Close() error {
	var errs []error
	if b.server != nil {
		errs = append(errs, b.server.Close())
	}
	if b.he != nil {
		errs = append(errs, b.he.db.Sync(), b.he.Close())
	}
	if b.tmp != "" {
		errs = append(errs, os.RemoveAll(b.tmp))
	}
	return errors.Join(errs...)
}
