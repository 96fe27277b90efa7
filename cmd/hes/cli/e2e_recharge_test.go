package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/openhes/hes/prepay"
	"github.com/openhes/hes/sim"
)

// hes recharge sends the new balance and the arming to the meter at once
// when the store knows the meter and the master key is at hand.
func TestRechargeGoesToTheMeter(t *testing.T) {
	b := newTestBench(t, 1, 1)
	m := b.fleet.Meters()[0]
	gas, _ := m.Gas()
	elec := m.Identity().EAN
	b.openAccount(t, elec, prepay.Electricity, "20.00")
	b.openAccount(t, gas.EAN, prepay.Gas, "20.00")
	b.read(t, benchDay)
	b.settle(t, benchDay.AddDays(-1))
	// Both emergency credits used up on Tuesday at 10:00, outside a
	// non-disconnection period: cut at once.
	b.advanceTo(at(benchDay, 10, 0))
	for _, ean := range []string{elec, gas.EAN} {
		if _, err := b.pp.engine.Adjust(prepay.AdjustmentRequest{EAN: ean, Amount: -4000, Reason: "test", Agent: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.run(context.Background(), func(ctx context.Context) error { _, err := b.pp.dispatch(ctx); return err }); err != nil {
		t.Fatal(err)
	}
	st, _ := b.fleet.Status(m.ID())
	if st.Breaker.State != sim.Disconnected || st.Gas.Valve.State != sim.Disconnected {
		t.Fatalf("after the cut: breaker %v, valve %v", st.Breaker.State, st.Gas.Valve.State)
	}
	store := b.store
	b.releaseStore(t)
	t.Setenv(envStore, "")
	t.Setenv(envConfig, "")
	t.Setenv(envNow, b.fleet.Now().Format(time.RFC3339))
	t.Setenv("HES_MASTER_KEY", "")
	t.Setenv(envMasterKeyFile, store+".key")
	recharge := func(ean, amount, txn string, extra ...string) string {
		return mustHes(t, store, append([]string{"recharge", "--ref", prepay.Reference(ean), "--amount", amount, "--txn", txn, "--channel", "terminal"}, extra...)...)
	}

	// -20.00 + 10.00: shown, still cut.
	out := recharge(elec, "10.00", "T-1")
	if want := "meter: balance -10.00 EUR shown\n"; !strings.HasSuffix(out, want) || !strings.HasPrefix(out, "booked: 10.00 EUR on "+elec) {
		t.Errorf("first recharge:\n%s\nwant it to end with %q", out, want)
	}
	if st, _ := b.fleet.Status(m.ID()); st.Breaker.State != sim.Disconnected || st.Display.BalanceCents != -1000 {
		t.Errorf("after the first recharge: breaker %v, display %d", st.Breaker.State, st.Display.BalanceCents)
	}
	// + 30.00: above 0.50, armed at once; the customer presses the button.
	out = recharge(elec, "30.00", "T-2")
	if want := "meter: balance 20.00 EUR shown; reconnection armed: the customer presses the button on the meter\n"; !strings.HasSuffix(out, want) {
		t.Errorf("second recharge:\n%s\nwant it to end with %q", out, want)
	}
	if st, _ := b.fleet.Status(m.ID()); st.Breaker.State != sim.ReadyForReconnection || st.Display.BalanceCents != 2000 {
		t.Errorf("after the second recharge: breaker %v, display %d", st.Breaker.State, st.Display.BalanceCents)
	}
	// The gas valve is armed too, with the leak test; its balance is not on
	// the screens. In JSON, stdout holds the booking only.
	var booked bookingOut
	o, errOut, status := hes(t, store, "recharge", "--ref", prepay.Reference(gas.EAN), "--amount", "25.00", "--txn", "T-3", "--channel", "terminal", "--json")
	if status != ExitOK || json.Unmarshal([]byte(o), &booked) != nil || booked.Status != prepay.ImportBooked {
		t.Fatalf("gas recharge --json: status %d, stdout %q, stderr %q", status, o, errOut)
	}
	if !strings.Contains(errOut, "gas valve armed") || !strings.Contains(errOut, "balance updated (a gas balance is not shown") {
		t.Errorf("gas recharge, stderr: %q", errOut)
	}
	if st, _ := b.fleet.Status(m.ID()); st.Gas.Valve.State != sim.ReadyForReconnection || st.Display.BalanceCents != 2000 {
		t.Errorf("after the gas recharge: valve %v, display %d", st.Gas.Valve.State, st.Display.BalanceCents)
	}
	// The same payment again: nothing booked, nothing sent.
	if out := recharge(elec, "30.00", "T-2"); strings.Contains(out, "meter:") || !strings.HasPrefix(out, "already booked") {
		t.Errorf("repeated recharge:\n%s", out)
	}
	// Without the master key the update waits for the head-end.
	t.Setenv(envMasterKeyFile, "")
	out = recharge(elec, "5.00", "T-4")
	if want := "meter: update queued for the head-end (no master key here: set HES_MASTER_KEY or master_key_file to send it at once)\n"; !strings.HasSuffix(out, want) {
		t.Errorf("recharge without the master key:\n%s", out)
	}
	if st, _ := b.fleet.Status(m.ID()); st.Display.BalanceCents != 2000 {
		t.Errorf("without the master key the meter shows %d", st.Display.BalanceCents)
	}
	// A meter that does not answer: the recharge is booked, and the update
	// is left to the head-end after the deadline.
	t.Setenv(envMasterKeyFile, store+".key")
	m.SetFaults(sim.Faults{Silent: true})
	config := writeFile(t, "hes.yaml", "commands:\n  attempt_deadline: 300ms\n")
	out = recharge(elec, "5.00", "T-5", "--config", config)
	if !strings.Contains(out, "meter: queued for the head-end, not confirmed within 300ms: SHOW_BALANCE (") {
		t.Errorf("recharge with a silent meter:\n%s", out)
	}
}
