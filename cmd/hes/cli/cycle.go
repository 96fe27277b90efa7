package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/prepay"
)

// The prepayment function wired to the head-end.
//
// The daily cycle goes readings → settlement → orders: after the poller's
// read cycle of day D (the indexes at D 00:00), the engine settles the
// consumption day D−1 from the stored readings (Engine.Cycle), then the
// actions it decided (display values, limits, disconnections outside a
// non-disconnection period, arming) are dispatched through meterPort to
// the command queue, whose executor sends each order and confirms it by
// reading it back.
//
// The dispatch follows the engine's protocol for a head-end with its own
// queue (Next, Recheck, the port, Complete), with the orders to different
// meters carried out at once, as many as the executor runs
// (commands.concurrency); a meter's orders go one after the other, in the
// order they were decided, and once the meter does not answer one of them
// its later orders wait for the next dispatch. The engine checks each
// order against the ledger immediately before it leaves (Recheck), so a
// recharge booked meanwhile wins.
//
// Disconnections decided inside a non-disconnection period wait for its
// end: the engine hands them out at the first dispatch after it, so a
// running head-end dispatches every prepayDispatchEvery, not only after
// the nightly cycle.

// prepayDispatchEvery is how often a running head-end hands the engine's
// due orders to the meters, so that a disconnection postponed to the end of
// a non-disconnection period, and the retry of an order not confirmed,
// leave soon after they are due.
const prepayDispatchEvery = time.Minute

// prepayment is the prepayment engine wired to a head-end.
type prepayment struct {
	h       *headEnd
	engine  *prepay.Engine
	port    *meterPort
	workers int
	log     zerolog.Logger

	mu sync.Mutex // one dispatch at a time
}

// openPrepayment opens the prepayment engine in the head-end's store, with
// the head-end's clock and logger, and makes sure the default tariffs
// exist.
func openPrepayment(h *headEnd) (*prepayment, error) {
	e, err := prepay.Open(h.db, h.cfg.Prepayment, prepay.WithClock(h.now), prepay.WithLogger(h.log))
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", h.path, err)
	}
	if err := ensureDefaultTariffs(e); err != nil {
		return nil, fmt.Errorf("store %s: default tariffs: %w", h.path, err)
	}
	return &prepayment{
		h: h, engine: e, log: h.log,
		port:    newMeterPort(h.store, h.queue, h.cfg.Commands.AttemptDeadline, h.log),
		workers: max(1, h.cfg.Commands.Concurrency),
	}, nil
}

// attach settles each day after the head-end's read cycle: the summary of
// the reads of day D starts the settlement of day D−1 and the dispatch of
// its orders, under ctx.
func (p *prepayment) attach(ctx context.Context) {
	p.h.AfterCycle(func(s meter.Summary) {
		d, err := prepay.ParseDate(s.Day)
		if err != nil {
			p.log.Error().Err(err).Str("day", s.Day).Msg("prepayment: read cycle of an unreadable day")
			return
		}
		if _, _, err := p.settle(ctx, d.AddDays(-1)); err != nil && ctx.Err() == nil {
			p.log.Error().Err(err).Str("day", d.AddDays(-1).String()).Msg("prepayment: daily cycle failed")
		}
	})
}

// run dispatches the due orders every prepayDispatchEvery until ctx ends.
func (p *prepayment) run(ctx context.Context) error {
	t := time.NewTicker(prepayDispatchEvery)
	defer t.Stop()
	for {
		if _, err := p.dispatch(ctx); err != nil && ctx.Err() == nil {
			p.log.Error().Err(err).Msg("prepayment: dispatch failed")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// settle settles consumption day from the stored readings of day+1, then
// dispatches the orders that are due.
func (p *prepayment) settle(ctx context.Context, day prepay.Date) (prepay.CycleReport, dispatchReport, error) {
	start := time.Now()
	rep, err := p.engine.Cycle(ctx, day, p.port, nil)
	if err != nil {
		return rep, dispatchReport{}, err
	}
	d, err := p.dispatch(ctx)
	rep.Dispatch = d.DispatchReport
	counts := settleCounts(rep)
	p.log.Info().Str("day", day.String()).Int("settled", counts[prepay.Settled]).Int("reference", counts[prepay.ReferenceTaken]).
		Int("held", counts[prepay.HeldForAgent]).Int("missing", len(rep.Missing)).Int("failed", len(rep.Failed)).
		Int("orders_confirmed", d.Sent).Int("orders_failed", d.Failed).Int("orders_withdrawn", d.Withdrawn).
		Dur("took", time.Since(start)).Msg("prepayment: daily cycle done")
	return rep, d, err
}

// settleCounts counts the settlements of a cycle by status.
func settleCounts(rep prepay.CycleReport) map[prepay.SettleStatus]int {
	n := map[prepay.SettleStatus]int{}
	for _, s := range rep.Settlements {
		n[s.Status]++
	}
	return n
}

// dispatchReport is what a dispatch did, with the orders not confirmed.
type dispatchReport struct {
	prepay.DispatchReport
	Failures []orderFailure
}

// orderFailure is an order of the engine that the meter did not confirm.
type orderFailure struct {
	Action uint64            `json:"action"`
	EAN    string            `json:"ean"`
	Kind   prepay.ActionKind `json:"kind"`
	Error  string            `json:"error"`
}

// dispatch carries out every due order of the engine, the orders to
// different meters at once, and records each outcome.
func (p *prepayment) dispatch(ctx context.Context) (dispatchReport, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var rep dispatchReport
	acts, err := p.engine.Next(math.MaxInt)
	if err != nil || len(acts) == 0 {
		return rep, err
	}
	groups := p.byMeter(acts)
	work := make(chan []prepay.Action)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range min(p.workers, len(groups)) {
		wg.Go(func() {
			for g := range work {
				r, err := p.carryOut(ctx, g)
				mu.Lock()
				rep.Sent += r.Sent
				rep.Failed += r.Failed
				rep.Withdrawn += r.Withdrawn
				rep.Failures = append(rep.Failures, r.Failures...)
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, g := range groups {
		select {
		case work <- g:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return rep, first
}

// byMeter groups the actions by the meter that carries them out (a gas
// access point's is its electricity meter), in the order of acts.
func (p *prepayment) byMeter(acts []prepay.Action) [][]prepay.Action {
	index := map[string]int{}
	var groups [][]prepay.Action
	for _, a := range acts {
		key := a.EAN
		if m, err := p.h.store.ByEAN(a.EAN); err == nil {
			key = m.ID
		}
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], a)
	}
	return groups
}

// errEarlierOrder completes the orders of a meter after one that did not
// reach it: they wait for the next dispatch, behind it.
var errEarlierOrder = errors.New("not sent: the meter did not answer an earlier order")

// unreachable reports whether an order failed because the meter could not
// be reached (no answer, a broken link, an association refused), rather
// than for the order itself (refused, not confirmed): the meter's next
// orders would fail the same way.
func unreachable(err error) bool {
	var ce *meter.CommandError
	if errors.As(err, &ce) {
		switch ce.Command.Reason {
		case meter.ReasonTimeout, meter.ReasonLink, meter.ReasonAssociation, meter.ReasonAuthentication,
			meter.ReasonDeciphering, meter.ReasonReplay, meter.ReasonNotReached:
			return true
		}
		return false
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// carryOut runs one meter's orders in turn. An error is a storage failure
// of the engine; an order that the meter did not confirm is counted and
// retried later.
func (p *prepayment) carryOut(ctx context.Context, acts []prepay.Action) (dispatchReport, error) {
	var rep dispatchReport
	var blocked error
	for _, act := range acts {
		if ctx.Err() != nil {
			// Left handed out: the engine hands them out again after the
			// lease.
			return rep, nil
		}
		var outcome error
		if blocked != nil {
			outcome = fmt.Errorf("%w (%v)", errEarlierOrder, blocked)
		} else {
			send, err := p.engine.Recheck(act.ID)
			if err != nil {
				return rep, err
			}
			if !send {
				rep.Withdrawn++
				continue
			}
			outcome = p.order(ctx, act)
		}
		if err := p.engine.Complete(act.ID, outcome); err != nil {
			return rep, err
		}
		if outcome == nil {
			rep.Sent++
			continue
		}
		rep.Failed++
		rep.Failures = append(rep.Failures, orderFailure{Action: act.ID, EAN: act.EAN, Kind: act.Kind, Error: outcome.Error()})
		if blocked == nil && unreachable(outcome) {
			blocked = outcome
		}
	}
	return rep, nil
}

// order sends one action through the port.
func (p *prepayment) order(ctx context.Context, act prepay.Action) error {
	switch act.Kind {
	case prepay.ActShowBalance:
		if act.Display == nil {
			return errors.New("show-balance action without display values")
		}
		return p.port.ShowBalance(ctx, act.EAN, *act.Display)
	case prepay.ActDisconnect:
		return p.port.Disconnect(ctx, act.EAN)
	case prepay.ActArmReconnection:
		return p.port.ArmReconnection(ctx, act.EAN)
	case prepay.ActSetLimiter:
		return p.port.SetLimiter(ctx, act.EAN, act.Watts)
	case prepay.ActClearLimiter:
		return p.port.ClearLimiter(ctx, act.EAN)
	}
	return fmt.Errorf("unknown action kind %q", act.Kind)
}

// cycleTimeout is the default bound of hes cycle.
const cycleTimeout = 5 * time.Minute

type cycleOptions struct {
	meterStoreOptions
	day     string
	read    bool
	timeout time.Duration
}

func newCycleCmd(g *globals) *cobra.Command {
	o := &cycleOptions{}
	cmd := &cobra.Command{
		Use:   "cycle [--day YYYY-MM-DD] [--read]",
		Short: "Settle a consumption day now and send the decided orders to the meters",
		Long: `Run the prepayment part of the daily cycle now for the consumption day --day
(default: yesterday in the prepayment time zone). Every pending or active
account is settled from the readings stored for the next day at 00:00, the
indexes that close the day: the consumption is charged, a day of debt
recovered, the balance and the credit state derived. Then the orders that the
engine decided go to the command queue, whose executor sends each one and
confirms it by reading the meter back: the three display screens, a power
limit, a disconnection (never inside a non-disconnection period: it waits for
the end of the period), the arming of a reconnection (never a remote close).

The command returns once every order is confirmed or not confirmed for now,
at most after --timeout. Orders not confirmed stay open: the next dispatch
(hes serve, or hes cycle again) retries them. Settling is idempotent: a day
already settled books nothing twice, so cycle may be run again, e.g. once the
missing meters are read. --read first reads the meters for the day after
--day (as hes poll does), the readings that close it.

Without the master key the meters cannot be reached: the day is settled all
the same and the orders wait for the head-end.

It prints one line per account (the status of its settlement, the cost, the
new balance, the credit and supply states), the orders confirmed and not
confirmed with the reason; --json prints one object. The exit status is 1
when an account could not be settled (an access point without a meter, a
storage failure), 0 otherwise.`,
		Example: `  hes cycle
  hes cycle --day 2026-03-04 --read --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, g)
		},
	}
	o.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.day, "day", "", "the consumption day to settle, `YYYY-MM-DD` (default: yesterday)")
	f.BoolVar(&o.read, "read", false, "read the meters for the day after --day first")
	f.DurationVar(&o.timeout, "timeout", cycleTimeout, "bound of the whole cycle, reads and orders included")
	return cmd
}

func (o *cycleOptions) run(cmd *cobra.Command, g *globals) (err error) {
	if o.timeout <= 0 {
		return badInput("--timeout %s: want a positive duration", o.timeout)
	}
	cfg, err := o.headEndConfig()
	if err != nil {
		return err
	}
	var day prepay.Date
	if o.day != "" {
		if day, err = prepay.ParseDate(o.day); err != nil {
			return badInput("--day %q: want a date YYYY-MM-DD", o.day)
		}
	}
	log := commandLogger(cmd, g)
	h, err := o.openHeadEnd(cfg, headEndOptions{log: log})
	if errors.Is(err, meter.ErrNoMasterKey) && !o.read {
		return o.runWithoutMeters(cmd, g, cfg, day)
	}
	if err != nil {
		return err
	}
	defer func() {
		if cerr := h.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	p, err := openPrepayment(h)
	if err != nil {
		return err
	}
	if day.IsZero() {
		day = prepay.DateOf(h.now(), h.loc).AddDays(-1)
	}
	out := cycleOut{Day: day}
	ctx, cancel := context.WithTimeout(cmd.Context(), o.timeout)
	defer cancel()
	var rep prepay.CycleReport
	var orders dispatchReport
	err = h.withExecutor(ctx, func(ctx context.Context) error {
		if o.read {
			sum, err := h.poller.RunCycle(ctx, day.AddDays(1).String(), meter.CycleOptions{})
			if err != nil {
				return fmt.Errorf("reading the meters for %s: %w", day.AddDays(1), err)
			}
			out.Read = &sum
		}
		var err error
		rep, orders, err = p.settle(ctx, day)
		if errors.Is(err, context.DeadlineExceeded) && cmd.Context().Err() == nil {
			err = nil // the orders left wait for the next dispatch
		}
		return err
	})
	if err != nil {
		return meterRefusal(err)
	}
	out.Orders = ordersOut{Confirmed: orders.Sent, NotConfirmed: orders.Failed, Withdrawn: orders.Withdrawn, Failures: orders.Failures}
	return out.finish(g, p.engine, rep)
}

// runWithoutMeters settles the day from the stored readings when the
// master key is missing: the orders stay open for the head-end.
func (o *cycleOptions) runWithoutMeters(cmd *cobra.Command, g *globals, cfg Config, day prepay.Date) (err error) {
	now, err := clock()
	if err != nil {
		return err
	}
	log := commandLogger(cmd, g)
	path, db, s, err := o.openMeterStore(cfg, nil, now, log)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing store %s: %w", path, cerr)
		}
	}()
	e, err := prepay.Open(db, cfg.Prepayment, prepay.WithClock(now), prepay.WithLogger(log))
	if err != nil {
		return fmt.Errorf("store %s: %w", path, err)
	}
	if err := ensureDefaultTariffs(e); err != nil {
		return fmt.Errorf("store %s: default tariffs: %w", path, err)
	}
	if day.IsZero() {
		day = prepay.DateOf(now(), s.Location()).AddDays(-1)
	}
	rep, err := e.Cycle(cmd.Context(), day, newMeterPort(s, nil, 0, log), nil)
	if err != nil {
		return err
	}
	open, err := e.OpenActions()
	if err != nil {
		return err
	}
	out := cycleOut{Day: day, Orders: ordersOut{Failures: []orderFailure{}, Waiting: len(open),
		WaitingWhy: "no master key (set " + meter.EnvMasterKey + " or master_key_file, or give --master-key-file): the meters cannot be reached from here"}}
	return out.finish(g, e, rep)
}

// cycleOut is what hes cycle prints.
type cycleOut struct {
	Day prepay.Date `json:"day"`
	// Read is the summary of the reads of the next day, with --read.
	Read     *meter.Summary              `json:"read,omitempty"`
	Counts   map[prepay.SettleStatus]int `json:"counts"`
	Accounts []cycleAccount              `json:"accounts"`
	// Missing lists the accounts without a reading: the next one covers
	// the gap. Failed gives the error of each account not settled.
	Missing []string          `json:"missing"`
	Failed  map[string]string `json:"failed"`
	Orders  ordersOut         `json:"orders"`
}

// cycleAccount is one account's line of hes cycle.
type cycleAccount struct {
	EAN     string              `json:"ean"`
	Energy  prepay.Energy       `json:"energy"`
	Status  prepay.SettleStatus `json:"status"`
	Reason  string              `json:"reason,omitempty"`
	From    prepay.Date         `json:"from,omitzero"`
	Until   prepay.Date         `json:"until,omitzero"`
	Cost    prepay.Cents        `json:"cost"`
	Balance prepay.Cents        `json:"balance"`
	Credit  prepay.CreditState  `json:"credit"`
	Supply  prepay.SupplyState  `json:"supply"`
}

// ordersOut says what became of the orders.
type ordersOut struct {
	Confirmed    int            `json:"confirmed"`
	NotConfirmed int            `json:"not_confirmed"`
	Withdrawn    int            `json:"withdrawn"`
	Failures     []orderFailure `json:"failures"`
	// Waiting counts the orders left for the head-end, and WaitingWhy
	// says why, when this command could not reach the meters.
	Waiting    int    `json:"waiting,omitempty"`
	WaitingWhy string `json:"waiting_why,omitempty"`
}

// finish completes out from the cycle's report and the accounts as they
// are now, and prints it.
func (out cycleOut) finish(g *globals, e *prepay.Engine, rep prepay.CycleReport) error {
	out.Counts = settleCounts(rep)
	out.Accounts, out.Missing, out.Failed = []cycleAccount{}, rep.Missing, map[string]string{}
	if out.Missing == nil {
		out.Missing = []string{}
	}
	if out.Orders.Failures == nil {
		out.Orders.Failures = []orderFailure{}
	}
	for _, s := range rep.Settlements {
		a, err := e.Account(s.EAN)
		if err != nil {
			return err
		}
		out.Accounts = append(out.Accounts, cycleAccount{
			EAN: s.EAN, Energy: a.Energy, Status: s.Status, Reason: s.Reason, From: s.From, Until: s.Until,
			Cost: s.Cost, Balance: a.Balance, Credit: a.Credit, Supply: a.Supply,
		})
	}
	for ean, err := range rep.Failed {
		out.Failed[ean] = withoutPackagePrefix(err.Error())
	}
	if g.json {
		if err := writeJSON(g.stdout, out); err != nil {
			return err
		}
	} else if err := out.write(g.stdout); err != nil {
		return err
	}
	if n := len(rep.Failed); n > 0 {
		return fmt.Errorf("cycle %s: %d %s not settled", out.Day, n, plural(n, "account", "accounts"))
	}
	return nil
}

// write prints out for people.
func (out cycleOut) write(w io.Writer) error {
	if r := out.Read; r != nil {
		fmt.Fprintf(w, "read %s: %d of %d meters read (%d already), %d given up\n", r.Day, r.Read+r.AlreadyRead, r.Meters, r.AlreadyRead, r.Failed)
	}
	c := out.Counts
	fmt.Fprintf(w, "day %s: %d settled, %d reference, %d held for an agent, %d already settled, %d without a reading, %d failed\n",
		out.Day, c[prepay.Settled]+c[prepay.Rebased], c[prepay.ReferenceTaken], c[prepay.HeldForAgent], c[prepay.AlreadySettled],
		len(out.Missing), len(out.Failed))
	t := newTableOf("ean", "energy", "status", "days", "cost", "balance", "credit", "supply")
	for _, a := range out.Accounts {
		days := "-"
		switch {
		case a.From.IsZero():
		case a.From == a.Until:
			days = a.From.String()
		default:
			days = a.From.String() + ".." + a.Until.String()
		}
		status := string(a.Status)
		if a.Reason != "" && a.Status == prepay.HeldForAgent {
			status += ": " + a.Reason
		}
		t.add(a.EAN, string(a.Energy), status, days, a.Cost.String(), a.Balance.String(), string(a.Credit), string(a.Supply))
	}
	for _, ean := range out.Missing {
		t.add(ean, "", "NO READING", "-", "-", "-", "-", "-")
	}
	for _, ean := range slices.Sorted(maps.Keys(out.Failed)) {
		t.add(ean, "", "FAILED: "+out.Failed[ean], "-", "-", "-", "-", "-")
	}
	if len(t.rows) > 0 {
		if err := t.write(w); err != nil {
			return err
		}
	}
	o := out.Orders
	if o.WaitingWhy != "" {
		_, err := fmt.Fprintf(w, "orders: %d waiting for the head-end: %s\n", o.Waiting, o.WaitingWhy)
		return err
	}
	fmt.Fprintf(w, "orders: %d confirmed, %d not confirmed (retried later), %d withdrawn\n", o.Confirmed, o.NotConfirmed, o.Withdrawn)
	if len(o.Failures) == 0 {
		return nil
	}
	ft := newTableOf("action", "ean", "order", "error")
	for _, f := range o.Failures {
		ft.add(strconv.FormatUint(f.Action, 10), f.EAN, string(f.Kind), f.Error)
	}
	return ft.write(w)
}

// rechargeOrdersTimeout bounds the wait of hes recharge for the meter's
// confirmation (and commands.attempt_deadline when it is shorter).
const rechargeOrdersTimeout = 30 * time.Second

// sendRechargeOrders hands the orders that a recharge of ean decided (new
// display values, the arming of a cut supply, the lifting of a limit) to
// the meter at once, when the store knows the access point's meter: it
// runs the head-end's due orders, this account's among them, for at most
// rechargeOrdersTimeout, and says on w what became of them. Without the master key the orders wait for the
// head-end, and w says so. A store without the access point's meter (a
// prepayment-only store) prints nothing.
func sendRechargeOrders(cmd *cobra.Command, g *globals, so *storeOptions, ean string, w io.Writer) (err error) {
	cfg, err := so.headEndConfig()
	if err != nil {
		return err
	}
	if ok, err := meterKnown(cfg, so, ean); err != nil || !ok {
		return err
	}
	mso := &meterStoreOptions{storeOptions: *so}
	h, err := mso.openHeadEnd(cfg, headEndOptions{log: commandLogger(cmd, g)})
	if errors.Is(err, meter.ErrNoMasterKey) {
		_, err = fmt.Fprintf(w, "meter: update queued for the head-end (no master key here: set %s or master_key_file to send it at once)\n", meter.EnvMasterKey)
		return err
	}
	if err != nil {
		return err
	}
	defer func() {
		if cerr := h.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	p, err := openPrepayment(h)
	if err != nil {
		return err
	}
	// The account's orders that the recharge left open: what becomes of
	// them is what the customer is told.
	before, err := p.engine.Actions(ean)
	if err != nil {
		return err
	}
	open := map[uint64]bool{}
	for _, act := range before {
		if act.Status == prepay.ActionOpen || act.Status == prepay.ActionSent {
			open[act.ID] = true
		}
	}
	timeout := min(rechargeOrdersTimeout, cfg.Commands.AttemptDeadline)
	ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
	defer cancel()
	err = h.withExecutor(ctx, func(ctx context.Context) error {
		_, err := p.dispatch(ctx)
		return err
	})
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	acts, err := p.engine.Actions(ean)
	if err != nil {
		return err
	}
	a, err := p.engine.Account(ean)
	if err != nil {
		return err
	}
	var done, waiting []string
	for _, act := range acts {
		if !open[act.ID] {
			continue
		}
		switch act.Status {
		case prepay.ActionDone:
			done = append(done, rechargeOrderDone(act, a))
		case prepay.ActionOpen, prepay.ActionSent:
			why := act.Reason
			if act.LastError != "" {
				why = act.LastError
			}
			waiting = append(waiting, fmt.Sprintf("%s (%s)", act.Kind, why))
		}
	}
	if len(done) > 0 {
		fmt.Fprintf(w, "meter: %s\n", joinSentences(done))
	}
	if len(waiting) > 0 {
		fmt.Fprintf(w, "meter: queued for the head-end, not confirmed within %s: %s\n", timeout, joinSentences(waiting))
	}
	return nil
}

// rechargeOrderDone says what a confirmed order did, for people.
func rechargeOrderDone(act prepay.Action, a prepay.Account) string {
	switch act.Kind {
	case prepay.ActShowBalance:
		if act.Energy == prepay.Gas {
			return "balance updated (a gas balance is not shown on the meter)"
		}
		return "balance " + act.Display.Balance.String() + " EUR shown"
	case prepay.ActArmReconnection:
		if a.Energy == prepay.Gas {
			return "gas valve armed: after the leak-tightness checks, the customer presses the button; the valve opens after the meter's safety test"
		}
		return "reconnection armed: the customer presses the button on the meter"
	case prepay.ActClearLimiter:
		return "power limit lifted"
	}
	return strings.ToLower(string(act.Kind)) + " confirmed"
}

// joinSentences joins parts with "; ".
func joinSentences(parts []string) string { return strings.Join(parts, "; ") }

// meterKnown reports whether the store registers the meter of access
// point ean, without the master key.
func meterKnown(cfg Config, so *storeOptions, ean string) (_ bool, err error) {
	opts, err := cfg.StoreOptions(nil, zerolog.Nop())
	if err != nil {
		return false, badInput("prepayment.time_zone: %v", err)
	}
	path := so.storePath(cfg)
	db, err := openStore(path)
	if err != nil {
		return false, err
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing store %s: %w", path, cerr)
		}
	}()
	s, err := meter.OpenStore(db, nil, opts)
	if err != nil {
		return false, fmt.Errorf("store %s: %w", path, err)
	}
	_, err = s.ByEAN(ean)
	if errors.Is(err, meter.ErrUnknownMeter) {
		return false, nil
	}
	return err == nil, err
}

// servePrepayment runs the prepayment in hes serve: each day's read cycle
// settles the day before, and the due orders are dispatched every
// prepayDispatchEvery.
func servePrepayment(ctx context.Context, h *headEnd) (func(context.Context) error, error) {
	p, err := openPrepayment(h)
	if err != nil {
		return nil, err
	}
	p.attach(ctx)
	return p.run, nil
}
