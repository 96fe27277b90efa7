package prepay

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func FuzzNormalizeRegister(f *testing.F) {
	for _, s := range []string{regDay, regNight, regExpDay, regGas, "1-0:1.8.1.255", "1-0:1.8.0.101", "7-0:3.0.0", "", "1-0:1.8", "1-0:1.8.x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeRegister(s)
		if err != nil {
			return
		}
		again, err := NormalizeRegister(n)
		if err != nil || again != n {
			t.Fatalf("%q → %q → %q, %v", s, n, again, err)
		}
		_ = roleOf(n, Electricity)
		_ = roleOf(n, Gas)
	})
}

// FuzzImportRecharges feeds arbitrary files to the recharge import: it never
// fails but for an unreadable header, reports every line once, and leaves
// the ledger consistent.
func FuzzImportRecharges(f *testing.F) {
	ean := makeEAN("54144", 200)
	ref := Reference(ean)
	for _, s := range []string{
		"txn_id,reference,amount,channel\nA1," + ref + ",20.00,terminal\n",
		"txn_id,reference,amount,channel,paid_at,agent\nB," + ref + ",10.00,postal,2025-03-04T09:00:00Z,agent-1\nC," + ref + ",4.99,online,,\n",
		"amount,channel,reference,txn_id\n15.00,ter\"minal," + ref + ",B2\n\"x\",\"y\n",
		"txn_id,reference,amount,channel\nD,1234,abc,terminal,extra\n",
	} {
		f.Add(s)
	}
	db, err := bolt.Open(filepath.Join(f.TempDir(), "fuzz.db"), 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	clk := &clock{t: at(2025, time.March, 4, 10, 0)}
	e, err := Open(db, DefaultConfig(), WithClock(clk.now))
	if err != nil {
		f.Fatal(err)
	}
	if _, err := e.PutTariff(Tariff{ID: "t", Energy: Electricity, Versions: []TariffVersion{{From: day0, Prices: map[string]int64{regDay: 1}}}}, "a"); err != nil {
		f.Fatal(err)
	}
	if _, err := e.Activate(AccountSpec{EAN: ean, Energy: Electricity, TariffID: "t", Contact: contact()}, Activation{Kind: NewClient, Agent: "a"}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, file string) {
		rep, err := e.ImportRecharges(strings.NewReader(file))
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if rep.Booked+rep.Duplicate+rep.Refused != len(rep.Lines) {
			t.Fatalf("counts %d+%d+%d for %d lines", rep.Booked, rep.Duplicate, rep.Refused, len(rep.Lines))
		}
		for _, l := range rep.Lines {
			if l.Status == ImportRefused && l.Reason == "" {
				t.Fatalf("line %d refused without a reason", l.Line)
			}
		}
		if err := e.VerifyLedger(ean); err != nil {
			t.Fatal(err)
		}
	})
}
