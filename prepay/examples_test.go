package prepay

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// The worked examples of the prepayment specification, each with its exact
// numbers. Examples 4 to 10 start from an account without debt.

var day0 = MustParseDate("2025-03-04") // a Tuesday

func TestExample01NewClient(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000) // 0.30 €/kWh
	ean := makeEAN("54144", 1)
	m := newMeter(ean, day0)
	f.activate(ean, "t30", Activation{Kind: NewClient})
	v := f.view(ean)
	wantCents(t, "starting balance", v.Balance, 2000)
	wantCents(t, "starting debt", v.Debt, 2000)

	f.settle(m.reading())
	m.consume(map[string]int64{regDay: 4_000, regNight: 2_000}) // 6.000 kWh
	s := f.settle(m.reading())
	wantCents(t, "day cost", s.Cost, 180)
	wantCents(t, "recovery", s.Recovery, 100)
	v = f.view(ean)
	wantCents(t, "balance", v.Balance, 1720)
	wantCents(t, "debt", v.Debt, 1900)
	if got := f.notifications(ean, EventActivated); len(got) != 1 {
		t.Errorf("%d PREPAYMENT_ACTIVATED notifications, want 1", len(got))
	}
	f.checkLedger(ean)
}

func TestExample02BudgetMeterBelowStartingCredit(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 2)
	m := newMeter(ean, day0)
	f.activate(ean, "t30", Activation{Kind: BudgetTransfer, BudgetBalance: 1240})
	v := f.view(ean)
	wantCents(t, "balance", v.Balance, 2000)
	wantCents(t, "debt", v.Debt, 760)

	f.settle(m.reading())
	var recovered []Cents
	for range 9 {
		m.consume(nil)
		s := f.settle(m.reading())
		recovered = append(recovered, s.Recovery)
	}
	want := []Cents{100, 100, 100, 100, 100, 100, 100, 60, 0}
	if !slices.Equal(recovered, want) {
		t.Errorf("daily recoveries %v, want %v", recovered, want)
	}
	wantCents(t, "debt after 8 days", f.view(ean).Debt, 0)
	if n := len(f.entries(ean, DebtRecovery)); n != 8 {
		t.Errorf("%d DEBT_RECOVERY entries, want 8", n)
	}
	f.checkLedger(ean)
}

func TestExample03BudgetMeterAboveStartingCredit(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 3)
	f.activate(ean, "t30", Activation{Kind: BudgetTransfer, BudgetBalance: 3100})
	v := f.view(ean)
	wantCents(t, "balance", v.Balance, 3100)
	wantCents(t, "debt", v.Debt, 0)
	if n := len(f.entries(ean, CreditAdvance)); n != 0 {
		t.Errorf("%d CREDIT_ADVANCE entries, want none", n)
	}
	f.checkLedger(ean)
}

func TestExample04LowCreditOncePerCrossing(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 4)
	m := newMeter(ean, day0)
	f.withBalance(ean, "t30", 600)
	f.settle(m.reading())
	since := f.lastNotification()

	m.consume(map[string]int64{regDay: 5_000}) // 1.50 €
	s := f.settle(m.reading())
	wantCents(t, "balance after day 1", s.Balance, 450)
	if got := f.events(ean, since); !slices.Equal(got, []Event{EventLowCredit}) {
		t.Fatalf("day 1 notifications %v, want one LOW_CREDIT", got)
	}
	n := f.notifications(ean, EventLowCredit)[0]
	if n.Data["balance"] != "4.50" || n.Data["threshold"] != "5.00" {
		t.Errorf("LOW_CREDIT data %v", n.Data)
	}

	since = f.lastNotification()
	m.consume(map[string]int64{regDay: 5_000})
	s = f.settle(m.reading())
	wantCents(t, "balance after day 2", s.Balance, 300)
	if got := f.events(ean, since); len(got) != 0 {
		t.Errorf("day 2 notifications %v, want none", got)
	}

	// Back at the threshold re-arms the notification.
	if _, err := f.e.Recharge(RechargeRequest{TxnID: "r1", Reference: Reference(ean), Amount: 500, Channel: ChannelTerminal}); err != nil {
		t.Fatal(err)
	}
	m.consume(map[string]int64{regDay: 5_000})
	since = f.lastNotification()
	s = f.settle(m.reading())
	wantCents(t, "balance after day 3", s.Balance, 650)
	m.consume(map[string]int64{regDay: 5_000})
	s = f.settle(m.reading())
	wantCents(t, "balance after day 4", s.Balance, 500)
	m.consume(map[string]int64{regDay: 1_000})
	s = f.settle(m.reading())
	wantCents(t, "balance after day 5", s.Balance, 470)
	if got := f.events(ean, since); !slices.Equal(got, []Event{EventLowCredit}) {
		t.Errorf("notifications after re-arming %v, want one LOW_CREDIT", got)
	}
}

func TestExample05EmergencyCreditStarted(t *testing.T) {
	f := newFixture(t)
	f.tariff("t10", 100_000) // 0.10 €/kWh
	ean := makeEAN("54144", 5)
	m := newMeter(ean, day0)
	f.withBalance(ean, "t10", 80)
	f.settle(m.reading())
	f.dispatch()
	since := f.lastNotification()

	m.consume(map[string]int64{regDay: 15_000, regNight: 8_000}) // 23 kWh: 2.30 €
	s := f.settle(m.reading())
	wantCents(t, "balance", s.Balance, -150)
	if got := f.events(ean, since); !slices.Equal(got, []Event{EventEmergencyStarted}) {
		t.Fatalf("notifications %v, want EMERGENCY_CREDIT_STARTED", got)
	}
	f.dispatch()
	d, ok := f.meters.lastDisplay(ean)
	if !ok {
		t.Fatal("no display values sent")
	}
	wantCents(t, "displayed balance", d.Balance, -150)
	wantCents(t, "displayed emergency credit", d.EmergencyCredit, 1350)
	if !d.UpdatedAt.Equal(f.clk.now()) {
		t.Errorf("displayed update time %v, want %v", d.UpdatedAt, f.clk.now())
	}
	if v := f.view(ean); v.CreditState != Emergency || v.EmergencyLeft != 1350 {
		t.Errorf("view %s, emergency left %s", v.CreditState, v.EmergencyLeft)
	}
}

func TestExample06Disconnection(t *testing.T) {
	setup := func(t *testing.T, settleAt time.Time) (*fixture, string, *meter) {
		f := newFixture(t)
		f.tariff("t10", 100_000)
		ean := makeEAN("54144", 6)
		m := newMeter(ean, day0)
		f.withBalance(ean, "t10", -1400)
		f.settle(m.reading())
		f.dispatch()
		f.clk.set(settleAt)
		m.consume(map[string]int64{regDay: 20_000}) // 2.00 €
		s := f.settle(m.reading())
		wantCents(t, "balance", s.Balance, -1600)
		if v := f.view(ean); v.CreditState != Exhausted || v.SupplyState != DisconnectPending {
			t.Fatalf("after settlement: %s, %s", v.CreditState, v.SupplyState)
		}
		return f, ean, m
	}

	t.Run("outside an NDP", func(t *testing.T) {
		f, ean, _ := setup(t, at(2025, time.March, 5, 10, 0)) // Wednesday 10:00
		ex := f.notifications(ean, EventEmergencyExhausted)
		if len(ex) != 1 || ex[0].Data["at"] != "now" || ex[0].Data["action"] != "disconnect" {
			t.Fatalf("EMERGENCY_CREDIT_EXHAUSTED %+v", ex)
		}
		f.dispatch()
		if n := f.meters.count(ean, ActDisconnect); n != 1 {
			t.Fatalf("%d disconnect orders, want 1", n)
		}
		if v := f.view(ean); v.SupplyState != Disconnected {
			t.Errorf("supply %s, want DISCONNECTED", v.SupplyState)
		}
		if n := len(f.notifications(ean, EventDisconnected)); n != 1 {
			t.Errorf("%d DISCONNECTED notifications, want 1", n)
		}
	})

	t.Run("inside an NDP", func(t *testing.T) {
		f, ean, _ := setup(t, at(2025, time.March, 8, 2, 0)) // Saturday 02:00
		ex := f.notifications(ean, EventEmergencyExhausted)
		end := at(2025, time.March, 10, 8, 0) // Monday 08:00
		if len(ex) != 1 || ex[0].Data["at"] != end.Format(time.RFC3339) {
			t.Fatalf("EMERGENCY_CREDIT_EXHAUSTED %+v, want the cut at %v", ex, end)
		}
		for _, now := range []time.Time{at(2025, time.March, 8, 2, 0), at(2025, time.March, 9, 12, 0), at(2025, time.March, 10, 7, 59)} {
			f.clk.set(now)
			f.dispatch()
			if n := f.meters.count(ean, ActDisconnect); n != 0 {
				t.Fatalf("disconnect sent at %v, inside the NDP", now)
			}
			if v := f.view(ean); v.SupplyState != DisconnectPending {
				t.Fatalf("supply %s at %v, want DISCONNECT_PENDING", v.SupplyState, now)
			}
		}
		f.clk.set(end)
		f.dispatch()
		if n := f.meters.count(ean, ActDisconnect); n != 1 {
			t.Fatalf("%d disconnect orders at the end of the NDP, want 1", n)
		}
		if v := f.view(ean); v.SupplyState != Disconnected {
			t.Errorf("supply %s, want DISCONNECTED", v.SupplyState)
		}
	})

	t.Run("inside an NDP, recharged before its end", func(t *testing.T) {
		f, ean, _ := setup(t, at(2025, time.March, 8, 2, 0))
		f.clk.set(at(2025, time.March, 9, 18, 0))
		if _, err := f.e.Recharge(RechargeRequest{TxnID: "sun", Reference: Reference(ean), Amount: 500, Channel: ChannelOnline}); err != nil {
			t.Fatal(err)
		}
		if v := f.view(ean); v.SupplyState != Connected || v.Balance != -1100 {
			t.Fatalf("after recharge: supply %s balance %s, want CONNECTED -11.00", v.SupplyState, v.Balance)
		}
		f.clk.set(at(2025, time.March, 10, 8, 0))
		f.dispatch()
		if n := f.meters.count(ean, ActDisconnect); n != 0 {
			t.Errorf("%d disconnect orders after the recharge, want 0", n)
		}
		if n := f.meters.count(ean, ActArmReconnection); n != 0 {
			t.Errorf("%d arm orders for a supply never cut, want 0", n)
		}
	})
}

func TestExample07ReconnectionAboveThreshold(t *testing.T) {
	f := newFixture(t)
	f.tariff("t10", 100_000)
	ean := makeEAN("54144", 7)
	m := newMeter(ean, day0)
	f.withBalance(ean, "t10", -1400)
	f.settle(m.reading())
	m.consume(map[string]int64{regDay: 20_000})
	f.settle(m.reading())
	f.dispatch()
	if v := f.view(ean); v.SupplyState != Disconnected || v.Balance != -1600 {
		t.Fatalf("set-up: %s at %s", v.SupplyState, v.Balance)
	}

	since := f.lastNotification()
	b, err := f.e.Recharge(RechargeRequest{TxnID: "t-1", Reference: Reference(ean), Amount: 1000, Channel: ChannelTerminal})
	if err != nil {
		t.Fatal(err)
	}
	wantCents(t, "balance after 10.00", b.Entry.BalanceAfter, -600)
	f.dispatch()
	if d, _ := f.meters.lastDisplay(ean); d.Balance != -600 || d.EmergencyCredit != 900 {
		t.Errorf("display after 10.00: %+v", d)
	}
	if v := f.view(ean); v.SupplyState != Disconnected {
		t.Errorf("supply %s, want still DISCONNECTED", v.SupplyState)
	}
	if n := f.meters.count(ean, ActArmReconnection); n != 0 {
		t.Errorf("armed at -6.00")
	}
	if got := f.events(ean, since); !slices.Equal(got, []Event{EventRechargeBooked}) {
		t.Errorf("notifications %v, want RECHARGE_BOOKED", got)
	}

	since = f.lastNotification()
	b, err = f.e.Recharge(RechargeRequest{TxnID: "t-2", Reference: Reference(ean), Amount: 700, Channel: ChannelTerminal})
	if err != nil {
		t.Fatal(err)
	}
	wantCents(t, "balance after 7.00 more", b.Entry.BalanceAfter, 100)
	f.dispatch()
	if n := f.meters.count(ean, ActArmReconnection); n != 1 {
		t.Fatalf("%d arm orders, want 1", n)
	}
	if v := f.view(ean); v.SupplyState != ReconnectArmed {
		t.Errorf("supply %s, want RECONNECT_ARMED", v.SupplyState)
	}
	got := f.events(ean, since)
	if !slices.Equal(got, []Event{EventRechargeBooked, EventReconnectionReady}) {
		t.Errorf("notifications %v, want RECHARGE_BOOKED, RECONNECTION_READY", got)
	}
	if n := f.notifications(ean, EventReconnectionReady)[0]; n.Data["instruction"] != "press_button" {
		t.Errorf("RECONNECTION_READY data %v", n.Data)
	}
}

func TestExample08RechargeRefused(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 8)
	f.withBalance(ean, "t30", 1000)
	before, _ := f.e.Entries(ean)
	since := f.lastNotification()
	for _, tc := range []struct {
		name   string
		amount Cents
		ref    string
		want   error
	}{
		{"4.99", 499, Reference(ean), ErrAmountOutOfRange},
		{"250.01", 25001, Reference(ean), ErrAmountOutOfRange},
		{"12-digit reference", 2000, Reference(ean)[1:], ErrBadReference},
	} {
		_, err := f.e.Recharge(RechargeRequest{TxnID: "x-" + tc.name, Reference: tc.ref, Amount: tc.amount, Channel: ChannelTerminal})
		var re *RefusedError
		if !errors.Is(err, tc.want) || !errors.As(err, &re) || re.Reason == "" {
			t.Errorf("%s: err %v, want a refusal wrapping %v", tc.name, err, tc.want)
		}
	}
	after, _ := f.e.Entries(ean)
	if len(after) != len(before) {
		t.Errorf("%d entries booked by refused recharges", len(after)-len(before))
	}
	if got := f.events(ean, since); len(got) != 0 {
		t.Errorf("notifications %v for refused recharges", got)
	}
}

func TestExample09SameTransactionTwice(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 9)
	f.withBalance(ean, "t30", 1000)
	req := RechargeRequest{TxnID: "ATOS-000123", Reference: Reference(ean), Amount: 2000, Channel: ChannelTerminal}
	first, err := f.e.Recharge(req)
	if err != nil || first.Duplicate {
		t.Fatalf("first: %+v, %v", first, err)
	}
	f.reopen()
	second, err := f.e.Recharge(req)
	if err != nil || !second.Duplicate || second.Entry != first.Entry {
		t.Fatalf("second: %+v, %v; want the first booking %+v", second, err, first)
	}
	if n := len(f.entries(ean, Recharge)); n != 1 {
		t.Errorf("%d RECHARGE entries, want 1", n)
	}
	if n := len(f.notifications(ean, EventRechargeBooked)); n != 1 {
		t.Errorf("%d RECHARGE_BOOKED notifications, want 1", n)
	}
	wantCents(t, "balance", f.view(ean).Balance, 3000)
}

func TestExample10SubCentCarry(t *testing.T) {
	f := newFixture(t)
	f.tariff("odd", 123_457) // 0.123457 €/kWh
	ean := makeEAN("54144", 10)
	m := newMeter(ean, day0)
	f.withBalance(ean, "odd", 2000)
	f.settle(m.reading())
	var booked []Cents
	var exactSum int64
	for range 3 {
		m.consume(map[string]int64{regDay: 3_000}) // 3 kWh
		s := f.settle(m.reading())
		booked = append(booked, s.Cost)
		exactSum += s.Exact
		if s.Exact != 3_000*123_457*10_000 {
			t.Errorf("exact day cost %d, want 0.370371 € (3 704 710 000 000 × 10⁻¹³ €)", s.Exact)
		}
	}
	if !slices.Equal(booked, []Cents{37, 37, 37}) {
		t.Errorf("booked %v, want 0.37, 0.37, 0.37", booked)
	}
	a, _ := f.e.Account(ean)
	if a.Carry != 1_113_000*10_000 { // 0.001113 € = 1 113 000 n€
		t.Errorf("carry %d, want 0.001113 €", a.Carry)
	}
	diff := exactSum - 111*exactPerCent
	if diff < 0 || diff >= exactPerCent {
		t.Errorf("booked 1.11 is %d × 10⁻¹³ € from the exact total", diff)
	}
	wantCents(t, "balance", f.view(ean).Balance, 2000-111)
}
