package prepay

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// benchEngine opens an engine on a bbolt file with fsync on, as in
// production, with n active accounts that have a reference reading.
func benchEngine(b *testing.B, n int) (*Engine, []*meter) {
	b.Helper()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "bench.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	clk := &clock{t: at(2025, time.March, 4, 10, 0)}
	e, err := Open(db, DefaultConfig(), WithClock(clk.now))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.PutTariff(Tariff{ID: "t", Energy: Electricity, Versions: []TariffVersion{{From: MustParseDate("2020-01-01"), Prices: map[string]int64{regDay: 380_000, regNight: 300_000}}}}, "a"); err != nil {
		b.Fatal(err)
	}
	var ms []*meter
	for i := range n {
		ean := makeEAN("54144", 1000+i)
		if _, err := e.Activate(AccountSpec{EAN: ean, Energy: Electricity, TariffID: "t", Contact: contact()}, Activation{Kind: NewClient, Agent: "a"}); err != nil {
			b.Fatal(err)
		}
		m := newMeter(ean, day0)
		if _, err := e.Settle(m.reading()); err != nil {
			b.Fatal(err)
		}
		ms = append(ms, m)
	}
	return e, ms
}

// BenchmarkSettle settles one account-day per iteration, display action and
// notifications included.
func BenchmarkSettle(b *testing.B) {
	e, ms := benchEngine(b, 100)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m := ms[i%len(ms)]
		m.consume(map[string]int64{regDay: 3_000, regNight: 2_000})
		if _, err := e.Settle(m.reading()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecharge books one recharge per iteration.
func BenchmarkRecharge(b *testing.B) {
	e, ms := benchEngine(b, 100)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		req := RechargeRequest{TxnID: fmt.Sprint("b", i), Reference: Reference(ms[i%len(ms)].ean), Amount: 1000, Channel: ChannelTerminal}
		if _, err := e.Recharge(req); err != nil {
			b.Fatal(err)
		}
	}
}
