package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/openhes/hes/prepay"
)

// TestWorkedExample1 is the specification's first worked example through the
// CLI: a new prepayment client on the default tariff starts at 20.00 with a
// 20.00 debt; a day of 6 kWh at night (0.30) costs 1.80 and recovers 1.00.
func TestWorkedExample1(t *testing.T) {
	store := testStore(t)
	out := mustHes(t, store, "account", "create", "--ean", eanElec, "--energy", "electricity", "--phone", "+32470123456")
	want := "account " + eanElec + " (electricity, tariff elec-standard) is PENDING: prepayment starts at the first communication with its meter\n" +
		"payment reference " + refElec + "\n"
	if out != want {
		t.Errorf("create:\n%s\nwant:\n%s", out, want)
	}
	if b := balanceOf(t, store, eanElec); b["balance"] != "0.00" || b["debt"] != "0.00" {
		t.Errorf("pending: balance %v, want nothing booked yet", b)
	}

	out = mustHes(t, store, "account", "confirm-communication", eanElec)
	if want := "account " + eanElec + " is ACTIVE: balance 20.00 EUR, debt 20.00 EUR\n"; out != want {
		t.Errorf("confirm-communication: %q, want %q", out, want)
	}
	checkBalance(t, store, eanElec, map[string]any{
		"ean": eanElec, "balance": "20.00", "emergency_credit_left": "15.00", "debt": "20.00",
		"credit_state": "NORMAL", "supply_state": "CONNECTED", "estimated_balance": "20.00",
	})

	// Day 1, settled by the daily cycle (not part of the CLI): 6.000 kWh at night.
	withEngine(t, store, func(e *prepay.Engine) {
		day := prepay.MustParseDate("2026-03-03")
		for i, night := range []int64{2_000_000, 2_006_000} {
			_, err := e.Settle(prepay.DailyIndexes{EAN: eanElec, Day: day.AddDays(i), Quality: prepay.QualityDaily,
				Registers: map[string]int64{"1-0:1.8.1": 1_000_000, "1-0:1.8.2": night}})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
	// Estimated for 10:00: 1.80 a day over the 10 hours since midnight is 0.75.
	checkBalance(t, store, eanElec, map[string]any{
		"ean": eanElec, "balance": "17.20", "emergency_credit_left": "15.00", "debt": "19.00",
		"credit_state": "NORMAL", "supply_state": "CONNECTED", "estimated_balance": "16.45",
	})

	out = mustHes(t, store, "account", "confirm-communication", eanElec)
	if want := "account " + eanElec + " is ACTIVE: nothing changed\n"; out != want {
		t.Errorf("confirm-communication again: %q, want %q", out, want)
	}
	out = mustHes(t, store, "account", "confirm-communication", eanElec, "--json")
	want = `{
  "ean": "541448820000000015",
  "activated": false,
  "state": "ACTIVE",
  "balance": "17.20",
  "debt": "19.00"
}
`
	if out != want {
		t.Errorf("confirm-communication --json:\n%s\nwant:\n%s", out, want)
	}
	refusedHes(t, store, "no account with EAN "+eanOther, "account", "confirm-communication", eanOther)
}

// checkBalance compares hes balance --json with want, keys and types included.
func checkBalance(t *testing.T, store, ean string, want map[string]any) {
	t.Helper()
	got := balanceOf(t, store, ean)
	if len(got) != len(want) {
		t.Errorf("balance --json has %d keys, want %d: %v", len(got), len(want), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("balance --json %q = %#v, want %#v", k, got[k], v)
		}
	}
}

func TestAccountCreateActivations(t *testing.T) {
	tests := []struct {
		name          string
		args          []string
		balance, debt string
		tariff        string
	}{
		{"budget meter below the starting credit", []string{"--energy", "gas", "--budget-balance", "12.40", "--email", "a@example.be"}, "20.00", "7.60", "gas-standard"},
		{"budget meter above the starting credit", []string{"--energy", "gas", "--budget-balance", "31.00", "--email", "a@example.be", "--tariff", "gas-social"}, "31.00", "0.00", "gas-social"},
		{"budget meter in emergency credit", []string{"--energy", "electricity", "--budget-balance", "-3.20", "--phone", "1", "--limiter"}, "20.00", "23.20", "elec-standard"},
		{"new occupant of an unknown access point", []string{"--energy", "electricity", "--new-occupant", "--reason", "moved in", "--phone", "1"}, "20.00", "20.00", "elec-standard"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := testStore(t)
			mustHes(t, store, append([]string{"account", "create", "--ean", eanGas}, tt.args...)...)
			mustHes(t, store, "account", "confirm-communication", eanGas)
			var a prepay.Account
			if err := json.Unmarshal([]byte(mustHes(t, store, "account", "show", eanGas, "--json")), &a); err != nil {
				t.Fatal(err)
			}
			if a.State != prepay.Active || a.Balance.String() != tt.balance || a.Debt.String() != tt.debt || a.TariffID != tt.tariff {
				t.Errorf("account %s %s, balance %s, debt %s: want ACTIVE %s, %s, %s", a.State, a.TariffID, a.Balance, a.Debt, tt.tariff, tt.balance, tt.debt)
			}
		})
	}
}

func TestAccountCreateRefused(t *testing.T) {
	store := testStore(t)
	mustHes(t, store, "account", "create", "--ean", eanElec, "--energy", "electricity", "--phone", "1")
	tests := []struct {
		want string
		args []string
	}{
		{"--ean: ", []string{"--ean", "541448820000000016", "--energy", "electricity", "--phone", "1"}},
		{"--energy \"water\"", []string{"--ean", eanGas, "--energy", "water", "--phone", "1"}},
		{"required flag", []string{"--ean", eanGas, "--phone", "1"}},
		{"--phone or --email", []string{"--ean", eanGas, "--energy", "gas"}},
		{"--notify \"fax\"", []string{"--ean", eanGas, "--energy", "gas", "--phone", "1", "--notify", "fax"}},
		{"activate refused: no tariff \"gas-premium\"", []string{"--ean", eanGas, "--energy", "gas", "--phone", "1", "--tariff", "gas-premium"}},
		{"tariff \"elec-standard\" is for electricity", []string{"--ean", eanGas, "--energy", "gas", "--phone", "1", "--tariff", "elec-standard"}},
		{"power limiter is for electricity only", []string{"--ean", eanGas, "--energy", "gas", "--phone", "1", "--limiter"}},
		{"give one of them", []string{"--ean", eanGas, "--energy", "gas", "--phone", "1", "--budget-balance", "3.00", "--new-occupant"}},
		{"--budget-balance: malformed amount", []string{"--ean", eanGas, "--energy", "gas", "--phone", "1", "--budget-balance", "3,00"}},
		{"--new-occupant needs a --reason", []string{"--ean", eanGas, "--energy", "gas", "--phone", "1", "--new-occupant"}},
		{"--threshold: malformed amount", []string{"--ean", eanGas, "--energy", "gas", "--phone", "1", "--threshold", "five"}},
		{"low-credit threshold 250.01 not within", []string{"--ean", eanGas, "--energy", "gas", "--phone", "1", "--threshold", "250.01"}},
		{"is already PENDING", []string{"--ean", eanElec, "--energy", "electricity", "--phone", "1"}},
		{"is already PENDING", []string{"--ean", eanElec, "--energy", "electricity", "--phone", "1", "--new-occupant", "--reason", "moved in"}},
	}
	for _, tt := range tests {
		refusedHes(t, store, tt.want, append([]string{"account", "create"}, tt.args...)...)
	}
	out := mustHes(t, store, "account", "list", "--json")
	var list []accountSummary
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0].EAN != eanElec {
		t.Errorf("after refused creations: %s", out)
	}
}

func TestAccountNewOccupantOnActive(t *testing.T) {
	store := testStore(t)
	activeAccount(t, store, eanElec)
	mustHes(t, store, "adjust", eanElec, "--amount", "-31.00", "--reason", "consumption of the previous occupant")
	out := mustHes(t, store, "account", "create", "--ean", eanElec, "--energy", "electricity", "--new-occupant",
		"--reason", "tenant moved in on 2 March", "--email", "new@example.be", "--tariff", "elec-social", "--threshold", "7.00")
	if want := "new occupant on account " + eanElec + ": balance 20.00 EUR, debt 20.00 EUR\n"; out != want {
		t.Errorf("new occupant: %q, want %q", out, want)
	}
	var a prepay.Account
	withEngine(t, store, func(e *prepay.Engine) { a, _ = e.Account(eanElec) })
	if a.Contact.Email != "new@example.be" || a.Contact.Phone != "" || a.TariffID != "elec-social" || a.LowThreshold != 700 {
		t.Errorf("account %+v: want the new occupant's contact, tariff and threshold", a)
	}
	kinds := []prepay.EntryKind{}
	for _, en := range ledger(t, store, eanElec) {
		kinds = append(kinds, en.Kind)
	}
	want := []prepay.EntryKind{prepay.CreditAdvance, prepay.Adjustment, prepay.BalanceReset, prepay.CreditAdvance}
	if strings.Join(strKinds(kinds), " ") != strings.Join(strKinds(want), " ") {
		t.Errorf("entries %v, want %v", kinds, want)
	}
	refusedHes(t, store, "account "+eanElec+" is electricity, not gas",
		"account", "create", "--ean", eanElec, "--energy", "gas", "--new-occupant", "--reason", "r", "--phone", "1")
}

func strKinds(ks []prepay.EntryKind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

func TestAccountListAndShow(t *testing.T) {
	store := testStore(t)
	activeAccount(t, store, eanElec)
	mustHes(t, store, "account", "create", "--ean", eanGas, "--energy", "gas", "--budget-balance", "12.40", "--email", "a@example.be", "--notify", "both", "--phone", "+32470000000")

	out := mustHes(t, store, "account", "list")
	want := "" +
		"EAN                 ENERGY       STATE    TARIFF         BALANCE  DEBT   CREDIT  SUPPLY     HOLD\n" +
		"541448820000000015  electricity  ACTIVE   elec-standard  20.00    20.00  NORMAL  CONNECTED  -\n" +
		"541448820000000022  gas          PENDING  gas-standard   0.00     0.00   LOW     CONNECTED  -\n"
	if out != want {
		t.Errorf("account list:\n%s\nwant:\n%s", out, want)
	}
	out = mustHes(t, store, "account", "list", "--state", "active", "--json")
	var list []accountSummary
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0].EAN != eanElec || list[0].Balance != 2000 {
		t.Errorf("account list --state active --json: %s", out)
	}
	refusedHes(t, store, "--state \"closed\"", "account", "list", "--state", "closed")

	out = mustHes(t, store, "account", "show", eanGas)
	want = "" +
		"EAN                   541448820000000022\n" +
		"Payment reference     8820000000022\n" +
		"Energy                gas\n" +
		"State                 PENDING\n" +
		"Tariff                gas-standard\n" +
		"Low-credit threshold  5.00 EUR\n" +
		"Power limiter         no\n" +
		"Notify                BOTH +32470000000 a@example.be\n" +
		"Balance               0.00 EUR\n" +
		"Debt                  0.00 EUR\n" +
		"Credit state          LOW\n" +
		"Supply state          CONNECTED\n" +
		"Balance updated       -\n" +
		"Activation requested  BUDGET_TRANSFER of 12.40 EUR by agent-1, 2026-03-04 10:00 CET\n" +
		"Activated             -\n" +
		"Last settled day      -\n" +
		"Leak test required    no\n" +
		"Hold                  none\n"
	if out != want {
		t.Errorf("account show:\n%s\nwant:\n%s", out, want)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(mustHes(t, store, "account", "show", eanElec, "--json")), &m); err != nil ||
		m["ean"] != eanElec || m["state"] != "ACTIVE" || m["balance"] != "20.00" || m["tariff_id"] != "elec-standard" {
		t.Errorf("account show --json: %v (%v)", m, err)
	}
	refusedHes(t, store, "no account with EAN "+eanOther, "account", "show", eanOther)
	refusedHes(t, store, "accepts 1 arg(s)", "account", "show")
}

func TestAccountChanges(t *testing.T) {
	store := testStore(t)
	activeAccount(t, store, eanElec)

	out := mustHes(t, store, "account", "set-threshold", eanElec, "7.50")
	if want := "account " + eanElec + ": low-credit threshold set to 7.50 EUR (ACTIVE, balance 20.00 EUR)\n"; out != want {
		t.Errorf("set-threshold: %q, want %q", out, want)
	}
	refusedHes(t, store, "low-credit threshold 250.01 not within 0.00 and 250.00", "account", "set-threshold", eanElec, "250.01")
	refusedHes(t, store, "threshold: malformed amount", "account", "set-threshold", eanElec, "7,50")

	out = mustHes(t, store, "account", "set-tariff", eanElec, "elec-social")
	if want := "account " + eanElec + ": tariff set to elec-social from the next settlement (ACTIVE, balance 20.00 EUR)\n"; out != want {
		t.Errorf("set-tariff: %q, want %q", out, want)
	}
	refusedHes(t, store, "tariff \"gas-standard\" is for gas", "account", "set-tariff", eanElec, "gas-standard")
	refusedHes(t, store, "no account with EAN", "account", "set-tariff", eanOther, "elec-social")

	refusedHes(t, store, "--reason is mandatory", "account", "deactivate", eanElec)
	var a prepay.Account
	if err := json.Unmarshal([]byte(mustHes(t, store, "account", "deactivate", eanElec, "--reason", "own contract from 1 April", "--json")), &a); err != nil {
		t.Fatal(err)
	}
	if a.State != prepay.Deactivated || a.LowThreshold != 750 || a.TariffID != "elec-social" || a.Balance != 2000 {
		t.Errorf("after the changes: %+v", a)
	}
	refusedHes(t, store, "deactivate refused: account "+eanElec+" is already DEACTIVATED", "account", "deactivate", eanElec, "--reason", "again")
	refusedHes(t, store, "is not in prepayment", "recharge", "--ref", refElec, "--amount", "10.00", "--txn", "T1", "--channel", "terminal")
}

func TestGroupCommands(t *testing.T) {
	for _, group := range []string{"account", "tariff", "recharge"} {
		_, errOut, status := run(t, group, "no-such-command")
		if status != ExitBadUse {
			t.Errorf("%s no-such-command: status %d", group, status)
		}
		oneLineError(t, errOut, `unknown command "no-such-command"`)
	}
	out, _, status := run(t, "account")
	if status != ExitOK || !strings.Contains(out, "confirm-communication") {
		t.Errorf("account without a sub-command: status %d, %q", status, out)
	}
}
