package prepay

import (
	"errors"
	"testing"
	"time"
)

func TestActivateValidation(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ok := AccountSpec{EAN: makeEAN("54144", 80), Energy: Electricity, TariffID: "t30", Contact: contact()}
	act := Activation{Kind: NewClient, Agent: "a"}
	for _, tc := range []struct {
		name string
		mod  func(*AccountSpec, *Activation)
		want error
	}{
		{"bad EAN", func(s *AccountSpec, _ *Activation) { s.EAN = "541440000000000801" }, ErrInvalid},
		{"no energy", func(s *AccountSpec, _ *Activation) { s.Energy = "" }, ErrInvalid},
		{"no contact", func(s *AccountSpec, _ *Activation) { s.Contact = Contact{Preference: PreferSMS} }, ErrInvalid},
		{"bad preference", func(s *AccountSpec, _ *Activation) { s.Contact.Preference = "PIGEON" }, ErrInvalid},
		{"threshold too high", func(s *AccountSpec, _ *Activation) { s.LowThreshold = 25001 }, ErrAmountOutOfRange},
		{"negative threshold", func(s *AccountSpec, _ *Activation) { s.LowThreshold = -1 }, ErrAmountOutOfRange},
		{"limiter on gas", func(s *AccountSpec, _ *Activation) { s.Energy, s.Limiter = Gas, true }, ErrInvalid},
		{"unknown tariff", func(s *AccountSpec, _ *Activation) { s.TariffID = "nope" }, ErrInvalid},
		{"gas on an electricity tariff", func(s *AccountSpec, _ *Activation) { s.Energy = Gas }, ErrInvalid},
		{"unknown kind", func(_ *AccountSpec, a *Activation) { a.Kind = "GIFT" }, ErrInvalid},
		{"budget balance for a new client", func(_ *AccountSpec, a *Activation) { a.BudgetBalance = 100 }, ErrInvalid},
		{"no agent", func(_ *AccountSpec, a *Activation) { a.Agent = "" }, ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, a := ok, act
			tc.mod(&s, &a)
			if _, err := f.e.Activate(s, a); !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
		})
	}
	a, err := f.e.Activate(ok, act)
	if err != nil || a.State != Pending || a.LowThreshold != 500 || a.LimiterWatts != 2300 {
		t.Fatalf("%+v, %v", a, err)
	}
	audit, _ := f.e.Audit(ok.EAN)
	if len(audit) != 1 || audit[0].Action != "activate" || audit[0].Agent != "a" {
		t.Errorf("audit %+v", audit)
	}
	if ok, err := f.e.MeterCommunicated(ok.EAN); err != nil || !ok {
		t.Fatalf("MeterCommunicated = %t, %v", ok, err)
	}
	if again, err := f.e.MeterCommunicated(ok.EAN); err != nil || again {
		t.Errorf("second MeterCommunicated = %t, %v", again, err)
	}
	if _, err := f.e.NewOccupant(makeEAN("54144", 81), "a", "r"); !errors.Is(err, ErrUnknownAccount) {
		t.Errorf("new occupant of an unknown account: %v", err)
	}
}

func TestAccountSettings(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	f.tariff("t38", 380_000)
	ean := makeEAN("54144", 82)
	m := newMeter(ean, day0)
	f.withBalance(ean, "t30", 800)
	f.settle(m.reading())

	// Raising the threshold above the balance notifies nothing; the next
	// fall from NORMAL does.
	since := f.lastNotification()
	if err := f.e.SetLowThreshold(ean, 1000, "customer"); err != nil {
		t.Fatal(err)
	}
	if v := f.view(ean); v.CreditState != Low || len(f.events(ean, since)) != 0 {
		t.Errorf("after raising the threshold: %s, %v", v.CreditState, f.events(ean, since))
	}
	if err := f.e.SetLowThreshold(ean, 25001, "customer"); !errors.Is(err, ErrAmountOutOfRange) {
		t.Errorf("threshold too high: %v", err)
	}
	if err := f.e.SetLowThreshold(ean, 0, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("no author: %v", err)
	}
	if err := f.e.SetLowThreshold(ean, 0, "agent-2"); err != nil {
		t.Fatal(err)
	}
	if v := f.view(ean); v.CreditState != Normal {
		t.Errorf("threshold 0: %s", v.CreditState)
	}

	if err := f.e.SetContact(ean, Contact{Preference: PreferEmail, Email: "x@example.be"}, "customer"); err != nil {
		t.Fatal(err)
	}
	if err := f.e.SetContact(ean, Contact{Preference: PreferEmail}, "customer"); !errors.Is(err, ErrInvalid) {
		t.Errorf("no address: %v", err)
	}

	if err := f.e.SetTariff(ean, "t38", "agent-2"); err != nil {
		t.Fatal(err)
	}
	if err := f.e.SetTariff(ean, "nope", "agent-2"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown tariff: %v", err)
	}
	m.consume(map[string]int64{regDay: 1_000})
	if s := f.settle(m.reading()); s.Cost != 38 {
		t.Errorf("cost on the new tariff %s", s.Cost)
	}
	ns := f.notifications(ean, EventLowCredit)
	if len(ns) != 0 {
		t.Errorf("LOW_CREDIT with a zero threshold: %+v", ns)
	}
	audit, _ := f.e.Audit(ean)
	var actions []string
	for _, r := range audit {
		actions = append(actions, r.Action)
	}
	want := []string{"activate", "adjust", "set low threshold", "set low threshold", "set contact", "set tariff"}
	if len(actions) != len(want) {
		t.Fatalf("audit %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Errorf("audit %v, want %v", actions, want)
		}
	}
	tariffs, _ := f.e.Tariffs()
	if len(tariffs) != 2 {
		t.Errorf("tariffs %+v", tariffs)
	}
	if _, err := f.e.Tariff("nope"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown tariff: %v", err)
	}
	if _, err := f.e.PutTariff(Tariff{ID: "t30", Energy: Gas, Versions: []TariffVersion{{From: day0, Prices: map[string]int64{regGas: 1}, GasFactor: 110_000}}}, "a"); !errors.Is(err, ErrConflict) {
		t.Errorf("tariff changing energy: %v", err)
	}
}

func TestDSTDayBoundaries(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 83)
	f.withBalance(ean, "t30", 2000)
	// 26 October 2025 lasts 25 hours in Brussels: 00:30 local is 22:30 UTC
	// the day before, the second 02:30 is 01:30 UTC, 23:30 is 22:30 UTC.
	for i, utc := range []time.Time{
		time.Date(2025, 10, 25, 22, 30, 0, 0, time.UTC),
		time.Date(2025, 10, 26, 1, 30, 0, 0, time.UTC),
		time.Date(2025, 10, 26, 22, 30, 0, 0, time.UTC),
		time.Date(2025, 10, 26, 23, 0, 0, 0, time.UTC), // 00:00 on the 27th
	} {
		f.clk.set(utc)
		if _, err := f.e.Recharge(RechargeRequest{TxnID: string(rune('a' + i)), Reference: Reference(ean), Amount: 500, Channel: ChannelOnline}); err != nil {
			t.Fatal(err)
		}
	}
	day, _ := f.e.LedgerDay(MustParseDate("2025-10-26"))
	next, _ := f.e.LedgerDay(MustParseDate("2025-10-27"))
	if len(day) != 3 || len(next) != 1 {
		t.Errorf("entries on the 26th %d, on the 27th %d; want 3 and 1", len(day), len(next))
	}
	st, _ := f.e.Statement(ean, MustParseDate("2025-10-26"))
	if st.Opening != 2000 || st.Recharges != 1500 || st.Closing != 3500 {
		t.Errorf("statement %+v", st)
	}
	ns, _ := f.e.NotificationsDay(MustParseDate("2025-10-26"))
	if len(ns) != 3 {
		t.Errorf("%d notifications on the 26th", len(ns))
	}
}
