package prepay_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/openhes/hes/prepay"
	bolt "go.etcd.io/bbolt"
)

// printMeters is a Meters port that prints the orders and confirms them.
type printMeters struct{}

func (printMeters) ShowBalance(_ context.Context, ean string, d prepay.Display) error {
	fmt.Printf("meter %s: show balance %s, emergency credit %s\n", ean, d.Balance, d.EmergencyCredit)
	return nil
}
func (printMeters) Disconnect(_ context.Context, ean string) error {
	fmt.Printf("meter %s: disconnect\n", ean)
	return nil
}
func (printMeters) ArmReconnection(_ context.Context, ean string) error {
	fmt.Printf("meter %s: arm reconnection\n", ean)
	return nil
}
func (printMeters) SetLimiter(_ context.Context, ean string, watts int64) error {
	fmt.Printf("meter %s: limit to %d W\n", ean, watts)
	return nil
}
func (printMeters) ClearLimiter(_ context.Context, ean string) error {
	fmt.Printf("meter %s: clear limiter\n", ean)
	return nil
}

// A new prepayment client: activation, the first two daily readings, a
// recharge, and the orders that go to the meter.
func Example() {
	dir, _ := os.MkdirTemp("", "prepay-example")
	defer os.RemoveAll(dir)
	db, err := bolt.Open(filepath.Join(dir, "hes.db"), 0o600, nil)
	if err != nil {
		panic(err)
	}
	defer db.Close()

	brussels, _ := time.LoadLocation("Europe/Brussels")
	now := time.Date(2025, time.March, 4, 10, 0, 0, 0, brussels)
	e, err := prepay.Open(db, prepay.DefaultConfig(), prepay.WithClock(func() time.Time { return now }))
	if err != nil {
		panic(err)
	}
	const ean = "541441234567890120"
	_, err = e.PutTariff(prepay.Tariff{ID: "bi-hourly", Energy: prepay.Electricity, Versions: []prepay.TariffVersion{{
		From:   prepay.MustParseDate("2025-01-01"),
		Prices: map[string]int64{"1-0:1.8.1": 380_000, "1-0:1.8.2": 300_000}, // µ€/kWh
	}}}, "agent-1")
	if err != nil {
		panic(err)
	}
	_, err = e.Activate(prepay.AccountSpec{
		EAN: ean, Energy: prepay.Electricity, TariffID: "bi-hourly",
		Contact: prepay.Contact{Preference: prepay.PreferSMS, Phone: "+32470000000"},
	}, prepay.Activation{Kind: prepay.NewClient, Agent: "agent-1"})
	if err != nil {
		panic(err)
	}

	// The first reading activates the account and is its reference.
	day := prepay.MustParseDate("2025-03-03")
	e.Settle(prepay.DailyIndexes{EAN: ean, Day: day, Quality: prepay.QualityDaily,
		Registers: map[string]int64{"1-0:1.8.1": 1_000_000, "1-0:1.8.2": 2_000_000}})
	// The next one settles the day: 4 kWh day, 2 kWh night.
	s, _ := e.Settle(prepay.DailyIndexes{EAN: ean, Day: day.AddDays(1), Quality: prepay.QualityDaily,
		Registers: map[string]int64{"1-0:1.8.1": 1_004_000, "1-0:1.8.2": 2_002_000}})
	fmt.Printf("%s: cost %s, debt recovered %s, balance %s, debt %s\n", s.Until, s.Cost, s.Recovery, s.Balance, s.Debt)

	b, err := e.Recharge(prepay.RechargeRequest{TxnID: "ATOS-1", Reference: prepay.Reference(ean), Amount: prepay.MustParseCents("25.00"), Channel: prepay.ChannelTerminal})
	if err != nil {
		panic(err)
	}
	fmt.Println("recharged, balance", b.Entry.BalanceAfter)

	if _, err := e.Dispatch(context.Background(), printMeters{}); err != nil {
		panic(err)
	}
	notes, _ := e.ReadOutbox("sms-gateway", 10)
	for _, n := range notes {
		fmt.Println(n.Event, n.Media)
	}
	// Output:
	// 2025-03-03: cost 2.12, debt recovered 1.00, balance 16.88, debt 19.00
	// recharged, balance 41.88
	// meter 541441234567890120: show balance 41.88, emergency credit 15.00
	// PREPAYMENT_ACTIVATED [sms]
	// RECHARGE_BOOKED [sms]
}
