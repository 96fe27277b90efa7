package prepay

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSettlePendingActivatesOnFirstReading(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 20)
	if _, err := f.e.Activate(AccountSpec{EAN: ean, Energy: Electricity, TariffID: "t30", Contact: contact()}, Activation{Kind: NewClient, Agent: "a"}); err != nil {
		t.Fatal(err)
	}
	v := f.view(ean)
	if v.State != Pending || v.Balance != 0 {
		t.Fatalf("before the meter communicates: %s %s", v.State, v.Balance)
	}
	m := newMeter(ean, day0)
	s := f.settle(m.reading())
	if s.Status != ReferenceTaken {
		t.Errorf("status %s, want REFERENCE", s.Status)
	}
	v = f.view(ean)
	if v.State != Active || v.Balance != 2000 || v.Debt != 2000 {
		t.Errorf("after the first reading: %s %s %s", v.State, v.Balance, v.Debt)
	}
	if _, err := f.e.Activate(AccountSpec{EAN: ean, Energy: Electricity, TariffID: "t30", Contact: contact()}, Activation{Kind: NewClient, Agent: "a"}); !errors.Is(err, ErrConflict) {
		t.Errorf("second activation: %v", err)
	}
}

func TestSettleMissingDayCoveredByNextReading(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 21)
	m := newMeter(ean, day0)
	f.activate(ean, "t30", Activation{Kind: NewClient})
	f.settle(m.reading())
	m.consume(map[string]int64{regDay: 2_000})
	m.consume(map[string]int64{regDay: 3_000}) // the reading of this day is missing
	m.consume(map[string]int64{regNight: 1_000})
	s := f.settle(m.reading())
	if s.From != day0 || s.Until != day0.AddDays(2) {
		t.Errorf("covers %s to %s, want %s to %s", s.From, s.Until, day0, day0.AddDays(2))
	}
	wantCents(t, "cost of the three days", s.Cost, 180)
	wantCents(t, "recovery (one per settlement)", s.Recovery, 100)
	if n := len(f.entries(ean, Consumption)); n != 1 {
		t.Errorf("%d CONSUMPTION entries, want 1", n)
	}
	a, _ := f.e.Account(ean)
	if a.LastSettled != day0.AddDays(2) {
		t.Errorf("last settled %s", a.LastSettled)
	}
}

func TestSettleDuplicateAndStale(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 22)
	m := newMeter(ean, day0)
	f.activate(ean, "t30", Activation{Kind: NewClient})
	first := m.reading()
	f.settle(first)
	m.consume(map[string]int64{regDay: 10_000})
	r := m.reading()
	s1 := f.settle(r)
	r.Registers[regDay] += 999 // a re-read with other values does not count
	s2 := f.settle(r)
	if s2.Status != AlreadySettled || s2.Cost != s1.Cost || s2.Until != s1.Until {
		t.Errorf("second settlement %+v, want the first one", s2)
	}
	if s := f.settle(first); s.Status != Stale {
		t.Errorf("older reading: %s, want STALE", s.Status)
	}
	if n := len(f.entries(ean, Consumption)); n != 1 {
		t.Errorf("%d CONSUMPTION entries, want 1", n)
	}
}

func TestSettleExportRecordedNotCredited(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 23)
	m := newMeter(ean, day0)
	f.withBalance(ean, "t30", 2000)
	f.settle(m.reading())
	m.consume(map[string]int64{regDay: 1_000, regExpDay: 25_000, regExpNight: 100})
	s := f.settle(m.reading())
	wantCents(t, "cost", s.Cost, 30)
	var exp int64
	for _, d := range s.Registers {
		if d.Role == "export" {
			exp += d.Delta
			if d.Charged {
				t.Errorf("export register %s charged", d.Register)
			}
		}
	}
	if exp != 25_100 {
		t.Errorf("export recorded %d Wh, want 25100", exp)
	}
}

func TestSettleGasConversion(t *testing.T) {
	f := newFixture(t)
	if _, err := f.e.PutTariff(Tariff{ID: "gas", Energy: Gas, Versions: []TariffVersion{
		{From: MustParseDate("2025-01-01"), Prices: map[string]int64{"0-1:24.2.3.255": 100_000}, GasFactor: 112_345},
	}}, "agent-1"); err != nil {
		t.Fatal(err)
	}
	ean := makeEAN("54144", 24)
	f.activate(ean, "gas", Activation{Kind: BudgetTransfer, BudgetBalance: 2000}, func(s *AccountSpec) { s.Energy = Gas })
	r := DailyIndexes{EAN: ean, Day: day0, Registers: map[string]int64{regGas: 1_000_000}, Quality: QualityDaily}
	f.settle(r)
	r.Day, r.Registers = day0.AddDays(1), map[string]int64{regGas: 1_002_500} // 2.5 m³
	s := f.settle(r)
	// 2.5 m³ × 11.2345 kWh/m³ = 28.08625 kWh × 0.10 €/kWh = 2.808625 €
	if s.Exact != 28_086_250_000_000 {
		t.Errorf("exact %d × 10⁻¹³ €, want 2.808625 €", s.Exact)
	}
	wantCents(t, "cost", s.Cost, 280)
	if s.GasFactor != 112_345 {
		t.Errorf("gas factor %d", s.GasFactor)
	}
	a, _ := f.e.Account(ean)
	if a.Carry != 86_250_000_000 {
		t.Errorf("carry %d, want 0.008625 €", a.Carry)
	}
	// A tariff may not price an electricity register for gas, nor export.
	for _, bad := range []Tariff{
		{ID: "g2", Energy: Gas, Versions: []TariffVersion{{From: day0, Prices: map[string]int64{regDay: 1}, GasFactor: 110_000}}},
		{ID: "e2", Energy: Electricity, Versions: []TariffVersion{{From: day0, Prices: map[string]int64{regExpDay: 1}}}},
		{ID: "g3", Energy: Gas, Versions: []TariffVersion{{From: day0, Prices: map[string]int64{regGas: 1}}}},
	} {
		if _, err := f.e.PutTariff(bad, "agent-1"); !errors.Is(err, ErrInvalid) {
			t.Errorf("tariff %s accepted: %v", bad.ID, err)
		}
	}
}

func TestSettleTariffEffectiveDates(t *testing.T) {
	f := newFixture(t)
	change := day0.AddDays(2)
	if _, err := f.e.PutTariff(Tariff{ID: "bi", Energy: Electricity, Versions: []TariffVersion{
		{From: change, Prices: map[string]int64{regDay: 400_000, regNight: 310_000}},
		{From: MustParseDate("2024-01-01"), Prices: map[string]int64{regDay: 380_000, regNight: 300_000}},
	}}, "agent-1"); err != nil {
		t.Fatal(err)
	}
	ean := makeEAN("54144", 25)
	m := newMeter(ean, day0)
	f.withBalance(ean, "bi", 5000)
	f.settle(m.reading())
	var costs []Cents
	for range 3 {
		m.consume(map[string]int64{regDay: 10_000, regNight: 10_000})
		costs = append(costs, f.settle(m.reading()).Cost)
	}
	// Days 0 and 1 at 0.38 + 0.30, day 2 (the change) at 0.40 + 0.31.
	if costs[0] != 680 || costs[1] != 680 || costs[2] != 710 {
		t.Errorf("costs %v, want [6.80 6.80 7.10]", costs)
	}
}

func TestSettleInstantaneousFlagged(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 26)
	m := newMeter(ean, day0)
	f.withBalance(ean, "t30", 2000)
	f.settle(m.reading())
	m.consume(map[string]int64{regDay: 1_000})
	r := m.reading()
	r.Quality, r.CapturedAt = QualityInstantaneous, r.Day.Start(brussels).Add(7*time.Minute)
	s := f.settle(r)
	if s.Status != Settled || s.Quality != QualityInstantaneous || s.Cost != 30 {
		t.Errorf("settlement %+v", s)
	}
	r.Quality = "GUESSED"
	if _, err := f.e.Settle(r); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown quality: %v", err)
	}
}

func TestSettleNegativeDeltaHeld(t *testing.T) {
	for _, tc := range []struct {
		decision HoldDecision
		wantCost Cents // of the settlement that follows the decision
	}{
		// Rebase: the new meter's reading is the reference; the next day
		// (1 kWh) is charged from it.
		{RebaseHeld, 30},
		// Discard: the bad read is dropped; the next reading is settled
		// against the old reference: 2 kWh + 1 kWh.
		{DiscardHeld, 90},
	} {
		t.Run(string(tc.decision), func(t *testing.T) {
			f := newFixture(t)
			f.tariff("t30", 300_000)
			ean := makeEAN("54144", 27)
			m := newMeter(ean, day0)
			f.withBalance(ean, "t30", 2000)
			f.settle(m.reading())
			m.consume(map[string]int64{regDay: 2_000})
			bad := m.reading()
			bad.Registers[regDay] = 10 // the register went down
			s := f.settle(bad)
			if s.Status != HeldForAgent || !strings.Contains(s.Reason, "went down") {
				t.Fatalf("settlement %+v, want HELD", s)
			}
			if v := f.view(ean); v.Held == "" || v.Balance != 2000 {
				t.Errorf("view %+v", v)
			}
			// While held, the account waits; the newest reading is kept.
			m.consume(map[string]int64{regDay: 1_000})
			next := m.reading()
			if tc.decision == RebaseHeld {
				next.Registers[regDay] = 1_010
			}
			if s := f.settle(next); s.Status != HeldForAgent {
				t.Errorf("next reading while held: %s", s.Status)
			}
			if n := len(f.entries(ean, Consumption)); n != 0 {
				t.Fatalf("%d CONSUMPTION entries while held", n)
			}
			holds, _ := f.e.Holds()
			if len(holds) != 1 || holds[0].EAN != ean {
				t.Errorf("holds %v", holds)
			}
			if _, err := f.e.ResolveHold(ean, ChargeHeld, "agent-7", "try"); !errors.Is(err, ErrConflict) {
				t.Errorf("charging a negative delta: %v", err)
			}
			if _, err := f.e.ResolveHold(ean, tc.decision, "", "no agent"); !errors.Is(err, ErrInvalid) {
				t.Errorf("no agent: %v", err)
			}
			s, err := f.e.ResolveHold(ean, tc.decision, "agent-7", "meter exchanged on site")
			if err != nil {
				t.Fatal(err)
			}
			if s.Status != Settled || s.Cost != tc.wantCost {
				t.Errorf("after %s: %+v, want settled at %s", tc.decision, s, tc.wantCost)
			}
			if v := f.view(ean); v.Held != "" {
				t.Errorf("still held: %s", v.Held)
			}
			audit, _ := f.e.Audit(ean)
			if last := audit[len(audit)-1]; last.Agent != "agent-7" || last.Action != "resolve hold" {
				t.Errorf("audit %+v", last)
			}
			f.checkLedger(ean)
		})
	}
}

func TestSettleImplausibleHeldThenCharged(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxDailyElectricityWh = 50_000 })
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 28)
	m := newMeter(ean, day0)
	f.withBalance(ean, "t30", 5000)
	f.settle(m.reading())
	m.consume(map[string]int64{regDay: 50_000}) // at the bound: charged
	if s := f.settle(m.reading()); s.Status != Settled {
		t.Fatalf("50 kWh: %s", s.Status)
	}
	m.consume(map[string]int64{regDay: 50_001})
	s := f.settle(m.reading())
	if s.Status != HeldForAgent || !strings.Contains(s.Reason, "implausible") {
		t.Fatalf("50.001 kWh: %+v", s)
	}
	s, err := f.e.ResolveHold(ean, ChargeHeld, "agent-3", "customer confirmed a heat pump test")
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != Settled || s.Cost != 1500 || s.Agent != "agent-3" {
		t.Errorf("charged %+v", s)
	}
	// Over two days (a missing reading) the bound doubles.
	m.consume(map[string]int64{regDay: 40_000})
	m.consume(map[string]int64{regDay: 40_000})
	if s := f.settle(m.reading()); s.Status != Settled {
		t.Errorf("80 kWh over two days: %s", s.Status)
	}
}

func TestSettleMissingPricedRegisterHeld(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 29)
	m := newMeter(ean, day0)
	f.withBalance(ean, "t30", 2000)
	f.settle(m.reading())
	m.consume(nil)
	r := m.reading()
	delete(r.Registers, regNight)
	if s := f.settle(r); s.Status != HeldForAgent || !strings.Contains(s.Reason, regNight) {
		t.Errorf("%+v", s)
	}
	// An export register missing is no reason to hold.
	f2 := newFixture(t)
	f2.tariff("t30", 300_000)
	m2 := newMeter(ean, day0)
	f2.withBalance(ean, "t30", 2000)
	f2.settle(m2.reading())
	m2.consume(nil)
	r = m2.reading()
	delete(r.Registers, regExpNight)
	if s := f2.settle(r); s.Status != Settled {
		t.Errorf("export register missing: %+v", s)
	}
}

func TestDebtRecoverySuspendedWhileDisconnected(t *testing.T) {
	f := newFixture(t)
	f.tariff("t10", 100_000)
	ean := makeEAN("54144", 30)
	m := newMeter(ean, day0)
	f.activate(ean, "t10", Activation{Kind: NewClient}) // 20.00 with a 20.00 debt
	if _, err := f.e.Adjust(AdjustmentRequest{EAN: ean, Amount: -3300, Agent: "a", Reason: "test set-up"}); err != nil {
		t.Fatal(err)
	}
	f.settle(m.reading())
	m.consume(map[string]int64{regDay: 10_000}) // 1.00 + 1.00 recovery: -15.00
	s := f.settle(m.reading())
	if s.Recovery != 100 || s.Balance != -1500 {
		t.Fatalf("settlement %+v", s)
	}
	f.dispatch()
	if v := f.view(ean); v.SupplyState != Disconnected {
		t.Fatalf("supply %s", v.SupplyState)
	}
	for range 3 {
		m.consume(nil)
		if s := f.settle(m.reading()); s.Recovery != 0 {
			t.Errorf("recovered %s while disconnected", s.Recovery)
		}
	}
	if _, err := f.e.Recharge(RechargeRequest{TxnID: "p", Reference: Reference(ean), Amount: 2000, Channel: ChannelPaypoint}); err != nil {
		t.Fatal(err)
	}
	f.dispatch()
	if v := f.view(ean); v.SupplyState != ReconnectArmed {
		t.Fatalf("supply %s", v.SupplyState)
	}
	m.consume(nil) // armed, the customer has not pressed the button yet
	if s := f.settle(m.reading()); s.Recovery != 0 {
		t.Errorf("recovered %s while armed", s.Recovery)
	}
	m.consume(map[string]int64{regNight: 500}) // consumption: the breaker is closed
	if s := f.settle(m.reading()); s.Recovery != 100 {
		t.Errorf("recovered %s once reconnected, want 1.00", s.Recovery)
	}
	if v := f.view(ean); v.SupplyState != Connected {
		t.Errorf("supply %s, want CONNECTED", v.SupplyState)
	}
	f.checkLedger(ean)
}

func TestSettleDeactivatedAndUnknown(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 31)
	m := newMeter(ean, day0)
	f.withBalance(ean, "t30", 2000)
	f.settle(m.reading())
	if err := f.e.Deactivate(ean, "agent-1", "own contract effective"); err != nil {
		t.Fatal(err)
	}
	m.consume(map[string]int64{regDay: 1_000})
	if s := f.settle(m.reading()); s.Status != NotSettled {
		t.Errorf("deactivated: %s", s.Status)
	}
	r := m.reading()
	r.EAN = makeEAN("54144", 99)
	if _, err := f.e.Settle(r); !errors.Is(err, ErrUnknownAccount) {
		t.Errorf("unknown EAN: %v", err)
	}
	r.EAN = "541440000000000990"
	if _, err := f.e.Settle(r); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad EAN: %v", err)
	}
}
