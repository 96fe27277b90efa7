package prepay

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestOutboxConsumers(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 70)
	f.activate(ean, "t30", Activation{Kind: NewClient}, func(s *AccountSpec) {
		s.Contact = Contact{Preference: PreferEmail, Phone: "+32470111111"} // no e-mail
	})
	for i := range 3 {
		if _, err := f.e.Recharge(RechargeRequest{TxnID: string(rune('a' + i)), Reference: Reference(ean), Amount: 1000, Channel: ChannelOnline}); err != nil {
			t.Fatal(err)
		}
	}
	sms, err := f.e.ReadOutbox("sms", 2)
	if err != nil || len(sms) != 2 || sms[0].Event != EventActivated || sms[1].Event != EventRechargeBooked {
		t.Fatalf("first read: %+v, %v", sms, err)
	}
	if !slices.Equal(sms[0].Media, []Medium{SMS}) {
		t.Errorf("a customer without e-mail gets %v", sms[0].Media)
	}
	if sms[1].Data["amount"] != "10.00" || sms[1].Data["balance"] != "30.00" || !strings.Contains(sms[1].Text, "10.00 EUR") {
		t.Errorf("RECHARGE_BOOKED %+v", sms[1])
	}
	// Until acknowledged, the same notifications come back.
	again, _ := f.e.ReadOutbox("sms", 2)
	if again[0].ID != sms[0].ID {
		t.Errorf("unacknowledged notifications not read again")
	}
	if err := f.e.AckOutbox("sms", sms[1].ID); err != nil {
		t.Fatal(err)
	}
	if err := f.e.AckOutbox("sms", sms[0].ID); err != nil { // going back changes nothing
		t.Fatal(err)
	}
	rest, _ := f.e.ReadOutbox("sms", 10)
	if len(rest) != 2 || rest[0].ID != sms[1].ID+1 {
		t.Errorf("after ack: %+v", rest)
	}
	// Another consumer has its own position.
	if all, _ := f.e.ReadOutbox("mqtt", 10); len(all) != 4 {
		t.Errorf("mqtt consumer read %d", len(all))
	}
	if err := f.e.AckOutbox("sms", 999); !errors.Is(err, ErrInvalid) {
		t.Errorf("ack of a notification never written: %v", err)
	}
	if _, err := f.e.ReadOutbox("", 1); !errors.Is(err, ErrInvalid) {
		t.Errorf("no consumer: %v", err)
	}
	day, err := f.e.NotificationsDay(day0)
	if err != nil || len(day) != 4 {
		t.Errorf("notifications of the day: %d, %v", len(day), err)
	}
	if other, _ := f.e.NotificationsDay(day0.AddDays(1)); len(other) != 0 {
		t.Errorf("notifications of the next day: %d", len(other))
	}
}

func TestStatement(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 71)
	m := newMeter(ean, day0)
	f.clk.set(at(2025, time.March, 4, 9, 0))
	f.activate(ean, "t30", Activation{Kind: NewClient}) // +20.00 advance
	f.settle(m.reading())
	f.clk.set(at(2025, time.March, 5, 1, 0))
	m.consume(map[string]int64{regDay: 6_000})
	f.settle(m.reading()) // -1.80, -1.00 recovery
	f.clk.set(at(2025, time.March, 5, 12, 0))
	if _, err := f.e.Recharge(RechargeRequest{TxnID: "s", Reference: Reference(ean), Amount: 1000, Channel: ChannelTerminal}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.Adjust(AdjustmentRequest{EAN: ean, Amount: -50, Agent: "a", Reason: "r"}); err != nil {
		t.Fatal(err)
	}
	f.clk.set(at(2025, time.March, 5, 23, 59))
	if _, err := f.e.Adjust(AdjustmentRequest{EAN: ean, Amount: 25, Agent: "a", Reason: "r"}); err != nil {
		t.Fatal(err)
	}
	f.clk.set(at(2025, time.March, 6, 0, 0)) // the next day
	if _, err := f.e.Recharge(RechargeRequest{TxnID: "s2", Reference: Reference(ean), Amount: 1000, Channel: ChannelTerminal}); err != nil {
		t.Fatal(err)
	}

	st, err := f.e.Statement(ean, MustParseDate("2025-03-05"))
	if err != nil {
		t.Fatal(err)
	}
	want := Statement{EAN: ean, Day: MustParseDate("2025-03-05"), Opening: 2000, Consumption: 180, DebtRecovery: 100,
		Recharges: 1000, Adjustments: -25, Closing: 2695, EmergencyLeft: 1500, DebtLeft: 1900,
		CreditState: Normal, SupplyState: Connected, State: Active}
	if st != want {
		t.Errorf("statement\n%+v\nwant\n%+v", st, want)
	}
	if st.Opening-st.Consumption-st.DebtRecovery+st.Recharges+st.Adjustments != st.Closing {
		t.Error("statement does not add up")
	}
	first, _ := f.e.Statement(ean, day0)
	if first.Opening != 0 || first.Adjustments != 2000 || first.Closing != 2000 {
		t.Errorf("first day %+v", first)
	}
	all, err := f.e.Statements(MustParseDate("2025-03-03"))
	if err != nil || len(all) != 0 {
		t.Errorf("before the activation: %+v, %v", all, err)
	}
	if err := f.e.Deactivate(ean, "a", "contract"); err != nil {
		t.Fatal(err)
	}
	all, _ = f.e.Statements(MustParseDate("2025-03-06"))
	if len(all) != 1 || all[0].State != Deactivated || all[0].Closing != 3695 {
		t.Errorf("day of the deactivation: %+v", all)
	}
	if all, _ = f.e.Statements(MustParseDate("2025-03-07")); len(all) != 0 {
		t.Errorf("after the deactivation: %+v", all)
	}
	// The ledger export of a day lists the entries booked that day.
	entries, _ := f.e.LedgerDay(MustParseDate("2025-03-05"))
	var kinds []EntryKind
	for _, en := range entries {
		kinds = append(kinds, en.Kind)
	}
	if !slices.Equal(kinds, []EntryKind{Consumption, DebtRecovery, Recharge, Adjustment, Adjustment}) {
		t.Errorf("ledger of the day %v", kinds)
	}
}

func TestEstimatedBalance(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 72)
	m := newMeter(ean, day0)
	f.withBalance(ean, "t30", 10000)
	f.settle(m.reading())
	// Three expensive days, then seven days at 3.00 €, the last one
	// missing (covered by a two-day settlement at 6.00 €).
	for range 3 {
		m.consume(map[string]int64{regDay: 50_000})
		f.settle(m.reading())
	}
	for range 5 {
		m.consume(map[string]int64{regNight: 10_000})
		f.settle(m.reading())
	}
	m.consume(map[string]int64{regNight: 10_000})
	m.consume(map[string]int64{regNight: 10_000})
	f.settle(m.reading())
	a, _ := f.e.Account(ean)
	end := a.LastSettled.AddDays(1).Start(brussels)
	f.clk.set(end.Add(18 * time.Hour)) // three quarters of a day later
	v := f.view(ean)
	wantCents(t, "estimated", v.Estimated, v.Balance-225)
	f.clk.set(end.Add(-time.Hour))
	if v := f.view(ean); v.Estimated != v.Balance {
		t.Errorf("estimate before the end of the settled day: %s", v.Estimated)
	}
}

type readings map[string]DailyIndexes

func (r readings) DailyIndexes(_ context.Context, ean string, day Date) (DailyIndexes, error) {
	x, ok := r[ean]
	if !ok || x.Day != day {
		return DailyIndexes{}, ErrNoReading
	}
	return x, nil
}

func TestCycle(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	a, b, c := makeEAN("54144", 73), makeEAN("54144", 74), makeEAN("54144", 75)
	ma, mb := newMeter(a, day0), newMeter(b, day0)
	f.activate(a, "t30", Activation{Kind: NewClient})
	if _, err := f.e.Activate(AccountSpec{EAN: b, Energy: Electricity, TariffID: "t30", Contact: contact()}, Activation{Kind: NewClient, Agent: "x"}); err != nil {
		t.Fatal(err)
	}
	f.activate(c, "t30", Activation{Kind: NewClient})
	f.settle(ma.reading())
	ma.consume(map[string]int64{regDay: 10_000})
	src := readings{a: ma.reading(), b: mb.reading()}
	rep, err := f.e.Cycle(context.Background(), day0.AddDays(-1), src, f.meters)
	if err != nil {
		t.Fatal(err)
	}
	// Only b has a reading of day0: it is activated by it.
	if len(rep.Settlements) != 1 || rep.Settlements[0].Status != ReferenceTaken || len(rep.Missing) != 2 {
		t.Errorf("cycle of the day before: %+v", rep)
	}
	rep, err = f.e.Cycle(context.Background(), day0, src, f.meters)
	if err != nil || len(rep.Settlements) != 1 || rep.Settlements[0].Cost != 300 || rep.Dispatch.Sent == 0 {
		t.Errorf("cycle: %+v, %v", rep, err)
	}
	again, err := f.e.Cycle(context.Background(), day0, src, f.meters)
	if err != nil || again.Settlements[0].Status != AlreadySettled {
		t.Errorf("second cycle: %+v, %v", again, err)
	}
	if v := f.view(b); v.State != Active {
		t.Errorf("b is %s", v.State)
	}
}
