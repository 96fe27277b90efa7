package prepay

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"testing"
	"time"
)

// TestPropertyLedger drives accounts through random days of consumption,
// missing and repeated readings, recharges (some repeated), adjustments,
// meter orders that fail at random and restarts, and checks after every
// day that the ledger sums to the balance and that the booked consumption
// is within one cent of the exact cost.
func TestPropertyLedger(t *testing.T) {
	seen := map[SupplyState]bool{}
	for seed := int64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { propertyRun(t, seed, seen) })
	}
	// The runs went through every supply state.
	for _, s := range []SupplyState{Connected, DisconnectPending, Disconnected, ReconnectArmed, Limited} {
		if !seen[s] {
			t.Errorf("no run reached %s", s)
		}
	}
}

type simAccount struct {
	ean     string
	energy  Energy
	price   int64 // µ€/kWh on every charged register
	factor  int64 // gas
	regs    map[string]int64
	initial map[string]int64
	day     Date
}

// exactSince is the exact cost in 10⁻¹³ € of the consumption between the
// first reading and the given indexes.
func (s *simAccount) exactSince(regs map[string]int64) int64 {
	mult := int64(10_000)
	if s.energy == Gas {
		mult = s.factor
	}
	var total int64
	for _, r := range []string{regDay, regNight, regGas} {
		if v, ok := regs[r]; ok {
			total += (v - s.initial[r]) * s.price * mult
		}
	}
	return total
}

func propertyRun(t *testing.T, seed int64, seen map[SupplyState]bool) {
	rng := rand.New(rand.NewSource(seed))
	f := newFixture(t)
	f.tariff("odd", 123_457)
	if _, err := f.e.PutTariff(Tariff{ID: "gas", Energy: Gas, Versions: []TariffVersion{
		{From: MustParseDate("2020-01-01"), Prices: map[string]int64{regGas: 98_765}, GasFactor: 112_345},
	}}, "agent-1"); err != nil {
		t.Fatal(err)
	}
	sims := []*simAccount{
		{ean: makeEAN("54144", 100), energy: Electricity, price: 123_457, regs: map[string]int64{regDay: 5_000_000, regNight: 3_000_000, regExpDay: 0}},
		{ean: makeEAN("54144", 101), energy: Electricity, price: 123_457, regs: map[string]int64{regDay: 0, regNight: 0}},
		{ean: makeEAN("54144", 102), energy: Gas, price: 98_765, factor: 112_345, regs: map[string]int64{regGas: 42_000}},
	}
	for i, s := range sims {
		spec := func(a *AccountSpec) {
			a.Energy = s.energy
			a.Limiter = i == 1
			if s.energy == Gas {
				a.TariffID = "gas"
			}
		}
		f.activate(s.ean, "odd", Activation{Kind: NewClient}, spec)
		s.day = day0
		s.initial = maps(s.regs)
		f.settle(DailyIndexes{EAN: s.ean, Day: s.day, Registers: maps(s.regs), Quality: QualityDaily})
	}
	var txns []RechargeRequest
	for d := range 60 {
		f.clk.set(day0.AddDays(d + 1).Start(brussels).Add(time.Duration(rng.Intn(24*60)) * time.Minute))
		for _, s := range sims {
			// A day of consumption.
			if s.energy == Gas {
				s.regs[regGas] += int64(rng.Intn(6_000))
			} else {
				s.regs[regDay] += int64(rng.Intn(25_000))
				s.regs[regNight] += int64(rng.Intn(15_000))
				if _, ok := s.regs[regExpDay]; ok {
					s.regs[regExpDay] += int64(rng.Intn(10_000))
				}
			}
			s.day = s.day.AddDays(1)
			if rng.Intn(10) == 0 {
				continue // the reading is missing
			}
			r := DailyIndexes{EAN: s.ean, Day: s.day, Registers: maps(s.regs), Quality: QualityDaily}
			before := f.view(s.ean).SupplyState
			if st := f.settle(r); st.Recovery > 0 && before != Connected && before != ReconnectArmed {
				t.Fatalf("%s: debt recovered while %s", s.ean, before)
			}
			if rng.Intn(5) == 0 {
				if got := f.settle(r); got.Status != AlreadySettled {
					t.Fatalf("repeated reading: %s", got.Status)
				}
			}
		}
		for _, s := range sims {
			low := f.view(s.ean).Balance <= -1500
			switch n := rng.Intn(10); {
			case n < 1 || low && n < 5:
				req := RechargeRequest{TxnID: fmt.Sprint("txn-", d, "-", s.ean), Reference: Reference(s.ean), Amount: Cents(500 + rng.Intn(2500)), Channel: ChannelTerminal}
				txns = append(txns, req)
				if _, err := f.e.Recharge(req); err != nil {
					t.Fatal(err)
				}
			case n == 2 && len(txns) > 0:
				req := txns[rng.Intn(len(txns))]
				if b, err := f.e.Recharge(req); err != nil || !b.Duplicate {
					t.Fatalf("repeated recharge: %+v, %v", b, err)
				}
			case n == 3:
				if _, err := f.e.Adjust(AdjustmentRequest{EAN: s.ean, Amount: Cents(rng.Intn(2001) - 1000), Agent: "a", Reason: "random"}); err != nil && !errors.Is(err, ErrInvalid) {
					t.Fatal(err)
				}
			}
		}
		for _, k := range []ActionKind{ActShowBalance, ActDisconnect, ActArmReconnection, ActSetLimiter, ActClearLimiter} {
			f.meters.fail(k, rng.Intn(2))
		}
		f.dispatch()
		if rng.Intn(8) == 0 {
			f.reopen()
		}
		for _, s := range sims {
			f.checkLedger(s.ean)
			a, err := f.e.Account(s.ean)
			if err != nil {
				t.Fatal(err)
			}
			if a.Hold != nil {
				t.Fatalf("%s held: %s", s.ean, a.Hold.Reason)
			}
			seen[a.Supply] = true
			var booked Cents
			for _, en := range f.entries(s.ean, Consumption) {
				booked -= en.Amount
			}
			exact := s.exactSince(a.Reference.Registers)
			if int64(booked)*exactPerCent+a.Carry != exact || a.Carry < 0 || a.Carry >= exactPerCent {
				t.Fatalf("%s day %d: booked %s + carry %d ≠ exact %d", s.ean, d, booked, a.Carry, exact)
			}
			n := map[ActionKind]int{}
			open, _ := f.e.OpenActions()
			for _, act := range open {
				if act.EAN == s.ean && act.Status == ActionOpen {
					n[act.Kind]++
				}
			}
			for k, c := range n {
				if c > 1 {
					t.Fatalf("%s: %d open %s actions", s.ean, c, k)
				}
			}
		}
	}
}

func maps(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// errCrash simulates a crash of the process at a step.
var errCrash = errors.New("crash")

// crashRun runs a scenario of days, recharges and meter orders step by
// step, crashing (closing and reopening the bbolt file, losing every
// in-memory state) at step crashAt, then retrying the interrupted operation
// from its start. It returns what the run left behind.
type outcome struct {
	entries []string
	events  []Event
	supply  SupplyState
	steps   int
}

func crashRun(t *testing.T, crashAt int) outcome {
	f := newFixture(t)
	f.tariff("t10", 100_000)
	ean := makeEAN("54144", 110)
	m := newMeter(ean, day0)
	f.withBalance(ean, "t10", -1300)
	step := 0
	crash := func() error {
		step++
		if step == crashAt {
			return errCrash
		}
		return nil
	}
	dispatch := func() error {
		acts, err := f.e.Next(100)
		if err != nil {
			return err
		}
		for _, a := range acts {
			if err := crash(); err != nil { // handed out, not sent
				return err
			}
			send, err := f.e.Recheck(a.ID)
			if err != nil {
				return err
			}
			if !send {
				continue
			}
			outcome := run(context.Background(), f.meters, a)
			if err := crash(); err != nil { // carried out, not recorded
				return err
			}
			if err := f.e.Complete(a.ID, outcome); err != nil {
				return err
			}
		}
		return crash()
	}
	// The readings are fixed in advance: a retried operation settles the
	// same reading again.
	r0 := m.reading()
	m.consume(map[string]int64{regDay: 10_000}) // −14.00
	r1 := m.reading()
	m.consume(map[string]int64{regDay: 20_000}) // −16.00: cut
	r2 := m.reading()
	m.consume(map[string]int64{regNight: 3_000})
	r3 := m.reading()
	settle := func(r DailyIndexes) func() error {
		return func() error {
			f.settle(r)
			return crash()
		}
	}
	ops := []func() error{
		settle(r0),
		settle(r1),
		settle(r2),
		func() error {
			_, err := f.e.Recharge(RechargeRequest{TxnID: "T", Reference: Reference(ean), Amount: 2000, Channel: ChannelTerminal})
			if err != nil {
				return err
			}
			return crash()
		},
		settle(r3),
		// Whatever still waits (a retry after a crash) goes out.
		func() error { return nil },
	}
	for i, op := range ops {
		f.clk.set(day0.AddDays(i + 1).Start(brussels).Add(10 * time.Hour))
		for {
			err := op()
			if err == nil {
				err = dispatch()
			}
			if err == nil {
				break
			}
			if !errors.Is(err, errCrash) {
				t.Fatal(err)
			}
			f.reopen()
			f.clk.advance(f.cfg.ActionLease)
		}
	}
	var out outcome
	all, _ := f.e.Entries(ean)
	for _, en := range all {
		out.entries = append(out.entries, fmt.Sprint(en.Kind, " ", en.Amount, " ", en.BalanceAfter))
	}
	ns, _ := f.e.ReadOutbox("check", 1000)
	for _, n := range ns {
		out.events = append(out.events, n.Event)
	}
	out.supply = f.view(ean).SupplyState
	out.steps = step
	f.checkLedger(ean)
	return out
}

// TestPropertyCrashAtAnyStep crashes a scenario (settlements, a cut, a
// recharge, the arming, the reconnection) at every step in turn and checks
// that each run books and notifies exactly what the run without a crash
// does.
func TestPropertyCrashAtAnyStep(t *testing.T) {
	clean := crashRun(t, 0)
	t.Logf("%d steps", clean.steps)
	if clean.supply != Connected {
		t.Fatalf("clean run ends %s", clean.supply)
	}
	wantEvents := []Event{EventActivated, EventEmergencyStarted, EventEmergencyExhausted, EventDisconnected, EventRechargeBooked, EventReconnectionReady}
	if !slices.Equal(clean.events, wantEvents) {
		t.Fatalf("clean run events %v, want %v", clean.events, wantEvents)
	}
	for k := 1; k <= clean.steps; k++ {
		got := crashRun(t, k)
		if !slices.Equal(got.entries, clean.entries) {
			t.Errorf("crash at step %d: entries\n%v\nwant\n%v", k, got.entries, clean.entries)
		}
		if !slices.Equal(got.events, clean.events) {
			t.Errorf("crash at step %d: events %v, want %v", k, got.events, clean.events)
		}
		if got.supply != clean.supply {
			t.Errorf("crash at step %d: supply %s", k, got.supply)
		}
	}
}
