package prepay

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// exhaust brings an account from −14.00 to −16.00 with one settled day at
// the clock's current time.
func (f *fixture) exhaust(ean string, m *meter) {
	f.t.Helper()
	m.consume(map[string]int64{regDay: 20_000})
	s := f.settle(m.reading())
	if s.Balance != -1600 {
		f.t.Fatalf("exhaust: balance %s", s.Balance)
	}
}

// exhaustedAccount sets up an account at −14.00 with a reference reading.
func exhaustedAccount(t *testing.T, n int, mods ...func(*AccountSpec)) (*fixture, string, *meter) {
	t.Helper()
	f := newFixture(t)
	f.tariff("t10", 100_000)
	ean := makeEAN("54144", n)
	m := newMeter(ean, day0)
	f.withBalance(ean, "t10", -1400, mods...)
	f.settle(m.reading())
	f.dispatch()
	return f, ean, m
}

func TestDispatchRetriesUnconfirmedDisconnect(t *testing.T) {
	f, ean, m := exhaustedAccount(t, 50)
	f.exhaust(ean, m)
	f.meters.fail(ActDisconnect, 2)
	rep := f.dispatch()
	if rep.Failed != 1 {
		t.Fatalf("report %+v", rep)
	}
	if v := f.view(ean); v.SupplyState != DisconnectPending {
		t.Fatalf("unconfirmed: supply %s, want DISCONNECT_PENDING", v.SupplyState)
	}
	if n := len(f.notifications(ean, EventDisconnected)); n != 0 {
		t.Fatalf("DISCONNECTED notified before the confirmation")
	}
	open, _ := f.e.OpenActions()
	if len(open) != 1 || open[0].Kind != ActDisconnect || open[0].Attempts != 1 || open[0].LastError == "" {
		t.Fatalf("open actions %+v", open)
	}
	// Not retried before the backoff.
	f.dispatch()
	if n := f.meters.count(ean, ActDisconnect); n != 1 {
		t.Fatalf("%d attempts before the backoff", n)
	}
	f.clk.advance(f.cfg.RetryMin)
	f.dispatch() // second failure: the backoff doubles
	f.clk.advance(f.cfg.RetryMin)
	f.dispatch()
	if n := f.meters.count(ean, ActDisconnect); n != 2 {
		t.Fatalf("%d attempts, want 2 (backoff doubled)", n)
	}
	f.clk.advance(f.cfg.RetryMin)
	f.dispatch()
	if n := f.meters.count(ean, ActDisconnect); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
	if v := f.view(ean); v.SupplyState != Disconnected {
		t.Errorf("supply %s, want DISCONNECTED", v.SupplyState)
	}
	if n := len(f.notifications(ean, EventDisconnected)); n != 1 {
		t.Errorf("%d DISCONNECTED notifications, want 1", n)
	}
	acts, _ := f.e.Actions(ean)
	var disc []Action
	for _, a := range acts {
		if a.Kind == ActDisconnect {
			disc = append(disc, a)
		}
	}
	if len(disc) != 1 || disc[0].Status != ActionDone || disc[0].Attempts != 3 || disc[0].LastError != "" {
		t.Errorf("disconnect actions %+v", disc)
	}
}

func TestRechargeBeforeDisconnectWins(t *testing.T) {
	f, ean, m := exhaustedAccount(t, 51)
	f.exhaust(ean, m)
	if _, err := f.e.Recharge(RechargeRequest{TxnID: "x", Reference: Reference(ean), Amount: 500, Channel: ChannelOnline}); err != nil {
		t.Fatal(err)
	}
	f.dispatch()
	if n := f.meters.count(ean, ActDisconnect); n != 0 {
		t.Errorf("disconnected after the recharge")
	}
	if v := f.view(ean); v.SupplyState != Connected || v.CreditState != Emergency {
		t.Errorf("%s %s", v.SupplyState, v.CreditState)
	}
}

func TestRecheckBeforeSending(t *testing.T) {
	f, ean, m := exhaustedAccount(t, 52)
	f.exhaust(ean, m)
	acts, err := f.e.Next(10)
	if err != nil {
		t.Fatal(err)
	}
	var disc Action
	for _, a := range acts {
		if a.Kind == ActDisconnect {
			disc = a
		}
	}
	if disc.ID == 0 || disc.Status != ActionSent {
		t.Fatalf("handed out %+v", acts)
	}
	// The head-end's queue holds the order; a recharge arrives before it
	// leaves. The ledger is read again right before sending.
	if _, err := f.e.Recharge(RechargeRequest{TxnID: "x", Reference: Reference(ean), Amount: 500, Channel: ChannelOnline}); err != nil {
		t.Fatal(err)
	}
	if v := f.view(ean); v.SupplyState != DisconnectPending {
		t.Fatalf("an order already handed out cannot be cancelled by the recharge: %s", v.SupplyState)
	}
	send, err := f.e.Recheck(disc.ID)
	if err != nil || send {
		t.Fatalf("Recheck = %t, %v; want false", send, err)
	}
	if v := f.view(ean); v.SupplyState != Connected {
		t.Errorf("supply %s, want CONNECTED", v.SupplyState)
	}
}

func TestRechargeWhileDisconnectUnderWay(t *testing.T) {
	f, ean, m := exhaustedAccount(t, 53)
	f.exhaust(ean, m)
	acts, _ := f.e.Next(10)
	var id uint64
	for _, a := range acts {
		if a.Kind == ActDisconnect {
			id = a.ID
		}
	}
	if send, err := f.e.Recheck(id); err != nil || !send {
		t.Fatalf("Recheck = %t, %v", send, err)
	}
	// Sent; the recharge lands before the meter confirms.
	if _, err := f.e.Recharge(RechargeRequest{TxnID: "x", Reference: Reference(ean), Amount: 500, Channel: ChannelOnline}); err != nil {
		t.Fatal(err)
	}
	if err := f.e.Complete(id, nil); err != nil {
		t.Fatal(err)
	}
	if v := f.view(ean); v.SupplyState != Disconnected {
		t.Fatalf("supply %s, want DISCONNECTED (the meter confirmed)", v.SupplyState)
	}
	// The recharge wins: the supply is armed although −11.00 is not above
	// 0.50, because the cut was decided on a balance no longer true.
	f.dispatch()
	if v := f.view(ean); v.SupplyState != ReconnectArmed {
		t.Errorf("supply %s, want RECONNECT_ARMED", v.SupplyState)
	}
}

func TestCompleteIsIdempotent(t *testing.T) {
	f, ean, m := exhaustedAccount(t, 54)
	f.exhaust(ean, m)
	acts, _ := f.e.Next(10)
	for _, a := range acts {
		for range 3 {
			if err := f.e.Complete(a.ID, nil); err != nil {
				t.Fatal(err)
			}
		}
		// A failure reported after the confirmation changes nothing.
		if err := f.e.Complete(a.ID, errNoReadBack); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.notifications(ean, EventDisconnected)); n != 1 {
		t.Errorf("%d DISCONNECTED notifications, want 1", n)
	}
	if v := f.view(ean); v.SupplyState != Disconnected {
		t.Errorf("supply %s", v.SupplyState)
	}
	if err := f.e.Complete(9999, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown action: %v", err)
	}
}

func TestNextLease(t *testing.T) {
	f, ean, m := exhaustedAccount(t, 55)
	f.exhaust(ean, m)
	acts, _ := f.e.Next(10)
	if len(acts) != 2 { // new display values and the disconnection
		t.Fatalf("handed out %+v", acts)
	}
	if again, _ := f.e.Next(10); len(again) != 0 {
		t.Fatalf("handed out again during the lease: %+v", again)
	}
	f.clk.advance(f.cfg.ActionLease)
	again, _ := f.e.Next(10)
	if len(again) != 2 || again[0].ID != acts[0].ID || again[0].Attempts != 2 {
		t.Fatalf("after the lease: %+v", again)
	}
	if one, _ := f.e.Next(1); len(one) != 0 {
		t.Errorf("limit ignored")
	}
}

func TestShowBalanceCoalesced(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 56)
	f.withBalance(ean, "t30", 1000)
	f.dispatch()
	before := f.meters.count(ean, ActShowBalance)
	for i, amount := range []Cents{1000, 2000, 3000} {
		f.clk.advance(time.Minute)
		if _, err := f.e.Recharge(RechargeRequest{TxnID: string(rune('a' + i)), Reference: Reference(ean), Amount: amount, Channel: ChannelOnline}); err != nil {
			t.Fatal(err)
		}
	}
	f.dispatch()
	if n := f.meters.count(ean, ActShowBalance) - before; n != 1 {
		t.Errorf("%d display writes, want 1 with the newest values", n)
	}
	d, _ := f.meters.lastDisplay(ean)
	if d.Balance != 7000 || d.EmergencyCredit != 1500 || !d.UpdatedAt.Equal(f.clk.now()) {
		t.Errorf("display %+v", d)
	}
}

func TestFridayCutBoundary(t *testing.T) {
	t.Run("15:59", func(t *testing.T) {
		f, ean, m := exhaustedAccount(t, 57)
		f.clk.set(at(2025, time.March, 14, 15, 59))
		f.exhaust(ean, m)
		f.dispatch()
		if n := f.meters.count(ean, ActDisconnect); n != 1 {
			t.Errorf("%d disconnect orders at 15:59, want 1", n)
		}
	})
	t.Run("16:00", func(t *testing.T) {
		f, ean, m := exhaustedAccount(t, 58)
		f.clk.set(at(2025, time.March, 14, 16, 0))
		f.exhaust(ean, m)
		f.dispatch()
		if n := f.meters.count(ean, ActDisconnect); n != 0 {
			t.Errorf("disconnect order at 16:00 on a Friday")
		}
		open, _ := f.e.OpenActions()
		if len(open) != 1 || !open[0].NotBefore.Equal(at(2025, time.March, 17, 8, 0)) {
			t.Errorf("open %+v, want the cut due Monday 08:00", open)
		}
	})
	t.Run("decided at 15:59, sent at 16:00", func(t *testing.T) {
		f, ean, m := exhaustedAccount(t, 59)
		f.clk.set(at(2025, time.March, 14, 15, 59))
		f.exhaust(ean, m)
		acts, _ := f.e.Next(10)
		f.clk.set(at(2025, time.March, 14, 16, 0))
		for _, a := range acts {
			send, err := f.e.Recheck(a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if a.Kind == ActDisconnect && send {
				t.Error("disconnect cleared to leave at 16:00")
			}
		}
		if v := f.view(ean); v.SupplyState != DisconnectPending {
			t.Errorf("supply %s", v.SupplyState)
		}
		f.clk.set(at(2025, time.March, 17, 7, 59))
		f.dispatch()
		if n := f.meters.count(ean, ActDisconnect); n != 0 {
			t.Error("cut on Monday 07:59")
		}
		f.clk.set(at(2025, time.March, 17, 8, 0))
		f.dispatch()
		if n := f.meters.count(ean, ActDisconnect); n != 1 {
			t.Errorf("%d cuts on Monday 08:00, want 1", n)
		}
	})
	t.Run("holiday", func(t *testing.T) {
		f, ean, m := exhaustedAccount(t, 60)
		f.e.cfg.NDP.ExtraDates = []Date{MustParseDate("2025-03-05")} // that Wednesday
		f.clk.set(at(2025, time.March, 5, 10, 0))
		f.exhaust(ean, m)
		f.dispatch()
		if n := f.meters.count(ean, ActDisconnect); n != 0 {
			t.Error("cut on a holiday")
		}
		f.clk.set(at(2025, time.March, 6, 8, 0))
		f.dispatch()
		if n := f.meters.count(ean, ActDisconnect); n != 1 {
			t.Errorf("%d cuts the morning after the holiday, want 1", n)
		}
	})
}

func TestLimiterAccount(t *testing.T) {
	f, ean, m := exhaustedAccount(t, 61, func(s *AccountSpec) { s.Limiter = true; s.LimiterWatts = 2300 })
	f.clk.set(at(2025, time.March, 8, 2, 0)) // inside an NDP: limiting is not cutting
	f.exhaust(ean, m)
	ex := f.notifications(ean, EventEmergencyExhausted)
	if len(ex) != 1 || ex[0].Data["action"] != "limit" || ex[0].Data["at"] != "now" {
		t.Fatalf("EMERGENCY_CREDIT_EXHAUSTED %+v", ex)
	}
	f.dispatch()
	if f.meters.count(ean, ActDisconnect) != 0 || f.meters.count(ean, ActSetLimiter) != 1 {
		t.Fatalf("orders %+v", f.meters.calls)
	}
	if w := f.meters.lastWatts(ean); w != 2300 {
		t.Errorf("limit %d W", w)
	}
	if v := f.view(ean); v.SupplyState != Limited {
		t.Fatalf("supply %s", v.SupplyState)
	}
	if n := len(f.notifications(ean, EventLimited)); n != 1 {
		t.Errorf("%d LIMITED notifications", n)
	}
	// At 0.50 the limit stays.
	if _, err := f.e.Recharge(RechargeRequest{TxnID: "1", Reference: Reference(ean), Amount: 1650, Channel: ChannelOnline}); err != nil {
		t.Fatal(err)
	}
	f.dispatch()
	if v := f.view(ean); v.SupplyState != Limited || v.Balance != 50 {
		t.Fatalf("at 0.50: %s %s", v.SupplyState, v.Balance)
	}
	if err := f.e.Deactivate(ean, "", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("deactivate without agent: %v", err)
	}
	// One cent more lifts it.
	if _, err := f.e.Adjust(AdjustmentRequest{EAN: ean, Amount: 1, Agent: "a", Reason: "goodwill"}); err != nil {
		t.Fatal(err)
	}
	f.dispatch()
	if f.meters.count(ean, ActClearLimiter) != 1 {
		t.Fatal("limit not lifted at 0.51")
	}
	if v := f.view(ean); v.SupplyState != Connected {
		t.Errorf("supply %s", v.SupplyState)
	}
	if f.meters.count(ean, ActArmReconnection) != 0 {
		t.Error("a limited supply was armed")
	}
}

func TestLimiterFlagChanged(t *testing.T) {
	f, ean, m := exhaustedAccount(t, 62)
	f.clk.set(at(2025, time.March, 8, 2, 0))
	f.exhaust(ean, m) // pending cut (NDP)
	if err := f.e.SetAccountLimiter(ean, true, 0, "agent-1"); err != nil {
		t.Fatal(err)
	}
	f.dispatch()
	if v := f.view(ean); v.SupplyState != Limited || f.meters.count(ean, ActDisconnect) != 0 {
		t.Fatalf("supply %s", v.SupplyState)
	}
	if w := f.meters.lastWatts(ean); w != f.cfg.DefaultLimiterWatts {
		t.Errorf("limit %d W", w)
	}
	// Without the limiter, the limit is lifted and the supply cut (after
	// the NDP).
	if err := f.e.SetAccountLimiter(ean, false, 0, "agent-1"); err != nil {
		t.Fatal(err)
	}
	f.dispatch()
	if v := f.view(ean); v.SupplyState != DisconnectPending {
		t.Fatalf("supply %s", v.SupplyState)
	}
	f.clk.set(at(2025, time.March, 10, 8, 0))
	f.dispatch()
	if v := f.view(ean); v.SupplyState != Disconnected {
		t.Errorf("supply %s", v.SupplyState)
	}
}

func TestGasLeakTest(t *testing.T) {
	f := newFixture(t)
	if _, err := f.e.PutTariff(Tariff{ID: "gas", Energy: Gas, Versions: []TariffVersion{
		{From: MustParseDate("2025-01-01"), Prices: map[string]int64{regGas: 100_000}, GasFactor: 100_000},
	}}, "agent-1"); err != nil {
		t.Fatal(err)
	}
	ean := makeEAN("54144", 63)
	f.withBalance(ean, "gas", -1400, func(s *AccountSpec) { s.Energy = Gas })
	if err := f.e.SetAccountLimiter(ean, true, 0, "agent-1"); !errors.Is(err, ErrInvalid) {
		t.Errorf("limiter on gas: %v", err)
	}
	r := DailyIndexes{EAN: ean, Day: day0, Registers: map[string]int64{regGas: 500_000}, Quality: QualityDaily}
	f.settle(r)
	r.Day, r.Registers = r.Day.AddDays(1), map[string]int64{regGas: 502_000} // 2 m³ × 10 kWh/m³ × 0.10 = 2.00
	f.settle(r)
	f.dispatch()
	v := f.view(ean)
	if v.SupplyState != Disconnected || !v.LeakTestRequired {
		t.Fatalf("after the cut: %s, leak test %t", v.SupplyState, v.LeakTestRequired)
	}
	if _, err := f.e.Recharge(RechargeRequest{TxnID: "g", Reference: Reference(ean), Amount: 2000, Channel: ChannelPaypoint}); err != nil {
		t.Fatal(err)
	}
	f.dispatch()
	n := f.notifications(ean, EventReconnectionReady)
	if len(n) != 1 || n[0].Data["leak_test"] != "required" || !strings.Contains(n[0].Text, "leak-tightness test") {
		t.Fatalf("RECONNECTION_READY %+v", n)
	}
	if v := f.view(ean); v.SupplyState != ReconnectArmed || !v.LeakTestRequired {
		t.Fatalf("armed: %s, leak test %t", v.SupplyState, v.LeakTestRequired)
	}
	// The next session reads the valve open: the test was passed.
	r.Day = r.Day.AddDays(1)
	r.Breaker = BreakerConnected
	f.settle(r)
	if v := f.view(ean); v.SupplyState != Connected || v.LeakTestRequired {
		t.Errorf("after the valve opened: %s, leak test %t", v.SupplyState, v.LeakTestRequired)
	}
}

func TestDeactivateLeavesSupplyConnected(t *testing.T) {
	t.Run("disconnected", func(t *testing.T) {
		f, ean, m := exhaustedAccount(t, 64)
		f.exhaust(ean, m)
		f.dispatch()
		if err := f.e.Deactivate(ean, "agent-1", "own contract effective"); err != nil {
			t.Fatal(err)
		}
		f.dispatch()
		v := f.view(ean)
		if v.State != Deactivated || v.SupplyState != ReconnectArmed || v.Balance != -1600 {
			t.Errorf("%s %s %s", v.State, v.SupplyState, v.Balance)
		}
		if err := f.e.Deactivate(ean, "agent-1", "again"); !errors.Is(err, ErrNotPrepayment) {
			t.Errorf("second deactivation: %v", err)
		}
	})
	t.Run("pending cut", func(t *testing.T) {
		f, ean, m := exhaustedAccount(t, 65)
		f.clk.set(at(2025, time.March, 8, 2, 0))
		f.exhaust(ean, m)
		if err := f.e.Deactivate(ean, "agent-1", "own contract effective"); err != nil {
			t.Fatal(err)
		}
		f.clk.set(at(2025, time.March, 10, 9, 0))
		f.dispatch()
		if f.meters.count(ean, ActDisconnect) != 0 {
			t.Error("a deactivated account was cut")
		}
		if v := f.view(ean); v.SupplyState != Connected {
			t.Errorf("supply %s", v.SupplyState)
		}
	})
	t.Run("reactivated", func(t *testing.T) {
		f, ean, _ := exhaustedAccount(t, 66)
		if err := f.e.Deactivate(ean, "agent-1", "moved out"); err != nil {
			t.Fatal(err)
		}
		f.activate(ean, "t10", Activation{Kind: NewClient})
		v := f.view(ean)
		if v.Balance != 2000 || v.Debt != 2000 {
			t.Errorf("reactivated at %s debt %s, want a fresh 20.00/20.00", v.Balance, v.Debt)
		}
		if n := len(f.entries(ean, BalanceReset)); n != 1 {
			t.Errorf("%d BALANCE_RESET entries", n)
		}
		f.checkLedger(ean)
	})
}

func TestNewOccupant(t *testing.T) {
	f, ean, m := exhaustedAccount(t, 67)
	f.exhaust(ean, m)
	f.dispatch()
	if _, err := f.e.NewOccupant(ean, "agent-5", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("no reason: %v", err)
	}
	entries, err := f.e.NewOccupant(ean, "agent-5", "tenant moved in 2025-03-04, no contract yet")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[1].BalanceAfter != 2000 || entries[1].DebtAfter != 2000 {
		t.Errorf("entries %+v", entries)
	}
	f.dispatch()
	if v := f.view(ean); v.SupplyState != ReconnectArmed || v.Balance != 2000 || v.Debt != 2000 {
		t.Errorf("%s %s %s", v.SupplyState, v.Balance, v.Debt)
	}
	if got := f.notifications(ean, EventReconnectionReady); len(got) != 1 {
		t.Errorf("%d RECONNECTION_READY", len(got))
	}
	f.checkLedger(ean)
}

func TestDispatchStopsOnCancelledContext(t *testing.T) {
	f, ean, m := exhaustedAccount(t, 68)
	f.exhaust(ean, m)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := len(f.meters.calls)
	if _, err := f.e.Dispatch(ctx, f.meters); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v", err)
	}
	if len(f.meters.calls) != before {
		t.Errorf("calls %+v", f.meters.calls[before:])
	}
	kinds := []ActionKind{}
	open, _ := f.e.OpenActions()
	for _, a := range open {
		kinds = append(kinds, a.Kind)
	}
	if !slices.Contains(kinds, ActDisconnect) {
		t.Errorf("open %v", kinds)
	}
}

func TestLateConfirmationOfCancelledOrder(t *testing.T) {
	f, ean, m := exhaustedAccount(t, 69)
	f.exhaust(ean, m)
	acts, _ := f.e.Next(10)
	var id uint64
	for _, a := range acts {
		if a.Kind == ActDisconnect {
			id = a.ID
		}
	}
	// The head-end's queue keeps the order past its lease; a recharge
	// comes, and the next Next drops the order.
	if _, err := f.e.Recharge(RechargeRequest{TxnID: "late", Reference: Reference(ean), Amount: 2000, Channel: ChannelOnline}); err != nil {
		t.Fatal(err)
	}
	f.clk.advance(f.cfg.ActionLease)
	if _, err := f.e.Next(10); err != nil {
		t.Fatal(err)
	}
	if v := f.view(ean); v.SupplyState != Connected {
		t.Fatalf("supply %s", v.SupplyState)
	}
	// The queue sent it anyway and the meter confirms: that is a fact.
	if err := f.e.Complete(id, nil); err != nil {
		t.Fatal(err)
	}
	if v := f.view(ean); v.SupplyState != Disconnected {
		t.Fatalf("supply %s, want DISCONNECTED as the meter says", v.SupplyState)
	}
	f.dispatch()
	if v := f.view(ean); v.SupplyState != ReconnectArmed || v.Balance != 400 {
		t.Errorf("supply %s at %s, want armed", v.SupplyState, v.Balance)
	}
}
