package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/openhes/hes/prepay"
	"github.com/openhes/hes/sim"
)

// hes cycle on a store that a bench filled, against the bench's meters
// still served on loopback.

// cycleBench opens an electricity and a gas account, reads the reference
// day and settles it (the accounts become active), reads the next days
// up to benchDay+last, and hands the store over to the commands. It
// returns the store and its master key file.
func cycleBench(t *testing.T, last int) (*simBench, string, string, []string) {
	t.Helper()
	b := newTestBench(t, 1, 1)
	m := b.fleet.Meters()[0]
	gas, _ := m.Gas()
	eans := []string{m.Identity().EAN, gas.EAN}
	b.openAccount(t, eans[0], prepay.Electricity, "20.00")
	b.openAccount(t, eans[1], prepay.Gas, "31.00")
	b.read(t, benchDay)
	b.settle(t, benchDay.AddDays(-1))
	for i := 1; i <= last; i++ {
		b.read(t, benchDay.AddDays(i))
	}
	store := b.store
	b.releaseStore(t)
	t.Setenv(envStore, "")
	t.Setenv(envConfig, "")
	t.Setenv(envMasterKeyFile, "")
	t.Setenv("HES_MASTER_KEY", "")
	return b, store, store + ".key", eans
}

func TestCycleCommand(t *testing.T) {
	b, store, key, eans := cycleBench(t, 2)
	m := b.meterOf(t, eans[0])
	t.Setenv(envNow, at(benchDay.AddDays(2), 9, 0).Format(time.RFC3339))

	// The day is settled and the new balance shown on the meter.
	out := mustHes(t, store, "cycle", "--day", benchDay.String(), "--master-key-file", key)
	for _, want := range []string{
		"day 2026-03-10: 2 settled, 0 reference, 0 held for an agent, 0 already settled, 0 without a reading, 0 failed\n",
		"EAN  ", eans[0] + "  electricity  SETTLED  2026-03-10", eans[1] + "  gas          SETTLED  2026-03-10",
		"orders: 2 confirmed, 0 not confirmed (retried later), 0 withdrawn\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("cycle output lacks %q:\n%s", want, out)
		}
	}
	var bal map[string]any
	if err := json.Unmarshal([]byte(mustHes(t, store, "balance", eans[0], "--json")), &bal); err != nil {
		t.Fatal(err)
	}
	if shown := prepay.Cents(m.Display().BalanceCents).String(); shown != bal["balance"] {
		t.Errorf("the meter shows %s, the account has %v", shown, bal["balance"])
	}

	// Again: nothing is booked twice.
	out = mustHes(t, store, "cycle", "--day", benchDay.String(), "--master-key-file", key)
	if !strings.Contains(out, "0 settled, 0 reference, 0 held for an agent, 2 already settled") || !strings.Contains(out, "orders: 0 confirmed") {
		t.Errorf("cycle again:\n%s", out)
	}

	// Without the master key the day is settled and the orders wait.
	out = mustHes(t, store, "cycle", "--day", benchDay.AddDays(1).String())
	if !strings.Contains(out, "2 settled") || !strings.Contains(out, "orders: 2 waiting for the head-end: no master key") {
		t.Errorf("cycle without the master key:\n%s", out)
	}
	before := m.Display().BalanceCents
	// With it, the waiting orders go out, in JSON this time.
	var got cycleOut
	if err := json.Unmarshal([]byte(mustHes(t, store, "cycle", "--day", benchDay.AddDays(1).String(), "--master-key-file", key, "--json")), &got); err != nil {
		t.Fatal(err)
	}
	if got.Counts[prepay.AlreadySettled] != 2 || got.Orders.Confirmed != 2 || len(got.Accounts) != 2 {
		t.Errorf("cycle --json: %+v", got)
	}
	if after := m.Display().BalanceCents; after == before || prepay.Cents(after) != got.Accounts[0].Balance {
		t.Errorf("the meter showed %d, then %d; the account has %s", before, after, got.Accounts[0].Balance)
	}

	// A day whose closing readings are missing: nothing to settle yet.
	out = mustHes(t, store, "cycle", "--day", benchDay.AddDays(2).String(), "--master-key-file", key)
	if !strings.Contains(out, "0 settled") || strings.Count(out, "NO READING") != 2 {
		t.Errorf("cycle without the readings:\n%s", out)
	}
	// --read reads them first.
	b.advanceTo(at(benchDay.AddDays(3), 1, 0))
	t.Setenv(envNow, at(benchDay.AddDays(3), 1, 0).Format(time.RFC3339))
	out = mustHes(t, store, "cycle", "--day", benchDay.AddDays(2).String(), "--read", "--master-key-file", key)
	if !strings.Contains(out, "read 2026-03-13: 1 of 1 meters read") || !strings.Contains(out, "2 settled") {
		t.Errorf("cycle --read:\n%s", out)
	}

	// A silent meter: the order is not confirmed within --timeout and stays
	// open for the next dispatch.
	m.SetFaults(sim.Faults{Silent: true})
	out = mustHes(t, store, "recharge", "--ref", prepay.Reference(eans[0]), "--amount", "10.00", "--txn", "C-1", "--channel", "terminal")
	if !strings.Contains(out, "meter: update queued for the head-end") {
		t.Errorf("recharge without the master key:\n%s", out)
	}
	out = mustHes(t, store, "cycle", "--day", benchDay.AddDays(2).String(), "--master-key-file", key, "--timeout", "1s")
	if !strings.Contains(out, "orders: 0 confirmed, 1 not confirmed (retried later), 0 withdrawn\n") ||
		!strings.Contains(out, eans[0]+"  SHOW_BALANCE  ") || !strings.Contains(out, "stays queued") {
		t.Errorf("cycle with a silent meter:\n%s", out)
	}

	refusedHes(t, store, `--day "13/03/2026"`, "cycle", "--day", "13/03/2026")
	refusedHes(t, store, "--timeout", "cycle", "--timeout", "0s")
}

// An account whose meter is not registered cannot be settled: it is
// reported, and the exit status says so.
func TestCycleWithoutMeter(t *testing.T) {
	store := testStore(t)
	t.Setenv("HES_MASTER_KEY", "")
	t.Setenv(envMasterKeyFile, "")
	mustHes(t, store, "account", "create", "--ean", eanElec, "--energy", "electricity", "--phone", "+32470000000")
	out, errOut, status := hes(t, store, "cycle")
	if status != ExitFailure {
		t.Fatalf("cycle: status %d, stderr %q", status, errOut)
	}
	for _, want := range []string{"day 2026-03-03: 0 settled", "1 failed", eanElec + "          FAILED: unknown meter with EAN " + eanElec, "orders: 0 waiting for the head-end"} {
		if !strings.Contains(out, want) {
			t.Errorf("cycle output lacks %q:\n%s", want, out)
		}
	}
	oneLineError(t, errOut, "cycle 2026-03-03: 1 account not settled")
}
