package cli

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/prepay"
	"github.com/openhes/hes/sim"
)

// benchDay is the first day of the tests' benches: a Tuesday.
var benchDay = prepay.MustParseDate("2026-03-10")

// newTestBench starts a simBench of size meters, a share gasShare of them
// with a gas meter, on a store in the test's directory, an hour before
// benchDay. It is closed when the test ends.
func newTestBench(t *testing.T, size int, gasShare float64) *simBench {
	t.Helper()
	b, err := startSimBench(context.Background(), simBenchConfig{
		fleet: sim.FleetConfig{Seed: 3, Size: size, GasShare: gasShare, Start: at(benchDay, 0, 0).Add(-time.Hour)},
		store: filepath.Join(t.TempDir(), "hes.db"),
		log:   zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b
}

// openAccount requests prepayment for ean with a transferred balance.
func (b *simBench) openAccount(t *testing.T, ean string, energy prepay.Energy, balance string) {
	t.Helper()
	_, err := b.pp.engine.Activate(prepay.AccountSpec{
		EAN: ean, Energy: energy, TariffID: defaultTariffID(energy),
		Contact: prepay.Contact{Preference: prepay.PreferSMS, Phone: "+32470000001"},
	}, prepay.Activation{Kind: prepay.BudgetTransfer, BudgetBalance: prepay.MustParseCents(balance), Agent: "test"})
	if err != nil {
		t.Fatal(err)
	}
}

// read runs the read cycle of day at 01:00 and fails the test unless every
// meter was read.
func (b *simBench) read(t *testing.T, day prepay.Date) {
	t.Helper()
	b.advanceTo(at(day, 1, 0))
	sum, err := b.he.poller.RunCycle(context.Background(), day.String(), meter.CycleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read+sum.AlreadyRead != sum.Meters {
		t.Fatalf("%s: %d of %d meters read: %v", day, sum.Read+sum.AlreadyRead, sum.Meters, sum.Failures)
	}
}

// settle settles day with the executor running and returns the report.
func (b *simBench) settle(t *testing.T, day prepay.Date) prepay.CycleReport {
	t.Helper()
	var rep prepay.CycleReport
	err := b.run(context.Background(), func(ctx context.Context) error {
		var err error
		rep, _, err = b.pp.settle(ctx, day)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// releaseStore closes the head-end's store, so that a command of the
// binary can open it, and keeps the fleet serving.
func (b *simBench) releaseStore(t *testing.T) {
	t.Helper()
	if err := b.he.db.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := b.he.Close(); err != nil {
		t.Fatal(err)
	}
	b.he, b.pp = nil, nil
}

// meterOf returns the simulated meter of an access point.
func (b *simBench) meterOf(t *testing.T, ean string) *sim.Meter {
	t.Helper()
	m, err := b.fleet.MeterByEAN(ean)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
