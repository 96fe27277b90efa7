package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAdjust(t *testing.T) {
	store := testStore(t)
	activeAccount(t, store, eanElec)

	out := mustHes(t, store, "adjust", eanElec, "--amount", "-3.50", "--reason", "meter read twice", "--agent", "jdupont")
	if want := "adjusted: -3.50 EUR on " + eanElec + " by jdupont, entry 2; balance 16.50 EUR\n"; out != want {
		t.Errorf("adjust: %q, want %q", out, want)
	}
	en := ledger(t, store, eanElec)
	if last := en[len(en)-1]; len(en) != 2 || last.Reason != "meter read twice" || last.Agent != "jdupont" || last.Amount != -350 {
		t.Errorf("entries %+v", en)
	}

	args := []string{"adjust", eanElec, "--amount", "2", "--reason", "goodwill", "--request-id", "CRM-77", "--json"}
	var b struct {
		Status string         `json:"status"`
		Entry  map[string]any `json:"entry"`
	}
	for i, want := range []string{"BOOKED", "DUPLICATE"} {
		out := mustHes(t, store, args...)
		if err := json.Unmarshal([]byte(out), &b); err != nil {
			t.Fatal(err)
		}
		if b.Status != want || b.Entry["amount"] != "2.00" || b.Entry["balance_after"] != "18.50" || b.Entry["agent"] != testAgent {
			t.Errorf("adjust --request-id, time %d: %s", i+1, out)
		}
	}
	if n := len(ledger(t, store, eanElec)); n != 3 {
		t.Errorf("%d entries, want 3", n)
	}
}

func TestAdjustRefused(t *testing.T) {
	store := testStore(t)
	activeAccount(t, store, eanElec)
	tests := []struct {
		want string
		args []string
	}{
		{"--reason is mandatory", []string{eanElec, "--amount", "-3.50", "--agent", "jdupont"}},
		{"--reason is mandatory", []string{eanElec, "--amount", "-3.50", "--reason", "  "}},
		{"--amount: malformed amount", []string{eanElec, "--amount", "-3.505", "--reason", "r"}},
		{"adjust refused: a zero adjustment changes nothing", []string{eanElec, "--amount", "0.00", "--reason", "r"}},
		{"hes: no account with EAN " + eanOther, []string{eanOther, "--amount", "1.00", "--reason", "r"}},
		{`required flag(s) "amount" not set`, []string{eanElec, "--reason", "r"}},
		{"accepts 1 arg(s)", []string{"--amount", "1.00", "--reason", "r"}},
	}
	for _, tt := range tests {
		refusedHes(t, store, tt.want, append([]string{"adjust"}, tt.args...)...)
	}
	if n := len(ledger(t, store, eanElec)); n != 1 {
		t.Errorf("refused adjustments booked %d entries", n-1)
	}
}

func TestAdjustReasonOnOneLine(t *testing.T) {
	store := testStore(t)
	activeAccount(t, store, eanElec)
	mustHes(t, store, "adjust", eanElec, "--amount", "1.00", "--reason", "first line\nsecond\tline", "--agent", "jdupont")
	out := mustHes(t, store, "balance", eanElec, "--entries", "1")
	want := "\nID  BOOKED                KIND        AMOUNT  BALANCE  DEBT   DETAIL\n" +
		"2   2026-03-04 10:00 CET  ADJUSTMENT  1.00    21.00    20.00  first line second line (jdupont)\n"
	if !strings.Contains(out, want) {
		t.Errorf("balance screen:\n%s\nwant it to contain:\n%s", out, want)
	}
}
