package cli

import (
	"strings"
	"testing"

	"github.com/openhes/hes/prepay"
)

func TestBalanceScreen(t *testing.T) {
	store := testStore(t)
	activeAccount(t, store, eanElec)
	mustHes(t, store, "recharge", "--ref", refElec, "--amount", "10.00", "--txn", "ATOS-1", "--channel", "terminal")
	withEngine(t, store, func(e *prepay.Engine) {
		day := prepay.MustParseDate("2026-03-03")
		for i, night := range []int64{2_000_000, 2_006_000} {
			if _, err := e.Settle(prepay.DailyIndexes{EAN: eanElec, Day: day.AddDays(i), Quality: prepay.QualityDaily,
				Registers: map[string]int64{"1-0:1.8.1": 1_000_000, "1-0:1.8.2": night}}); err != nil {
				t.Fatal(err)
			}
		}
	})
	mustHes(t, store, "adjust", eanElec, "--amount", "-1.00", "--reason", "fee", "--agent", "jdupont")

	out := mustHes(t, store, "balance", eanElec, "--entries", "4")
	want := `Account                541448820000000015 (electricity, reference 8820000000015)
State                  ACTIVE
Balance                26.20 EUR
Emergency credit left  15.00 EUR
Debt                   19.00 EUR
Credit state           NORMAL
Supply state           CONNECTED
Estimated balance      25.45 EUR (2026-03-04 10:00 CET)
Last settled day       2026-03-03
Balance updated        2026-03-04 10:00 CET
Low-credit threshold   5.00 EUR
Leak test required     no
Hold                   none

Last entries
ID  BOOKED                KIND           AMOUNT  BALANCE  DEBT   DETAIL
2   2026-03-04 10:00 CET  RECHARGE       10.00   30.00    20.00  terminal ATOS-1
3   2026-03-04 10:00 CET  CONSUMPTION    -1.80   28.20    20.00  day 2026-03-03
4   2026-03-04 10:00 CET  DEBT_RECOVERY  -1.00   27.20    19.00  day 2026-03-03
5   2026-03-04 10:00 CET  ADJUSTMENT     -1.00   26.20    19.00  fee (jdupont)

Pending meter actions
ID  KIND          STATUS  DUE  ATTEMPTS  REASON
4   SHOW_BALANCE  OPEN    now  0         adjustment by jdupont
`
	if out != want {
		t.Errorf("balance:\n%s\nwant:\n%s", out, want)
	}
}

func TestBalanceNothingYet(t *testing.T) {
	store := testStore(t)
	mustHes(t, store, "account", "create", "--ean", eanGas, "--energy", "gas", "--email", "a@example.be")
	out := mustHes(t, store, "balance", eanGas, "--entries", "0")
	want := `Account                541448820000000022 (gas, reference 8820000000022)
State                  PENDING
Balance                0.00 EUR
Emergency credit left  15.00 EUR
Debt                   0.00 EUR
Credit state           LOW
Supply state           CONNECTED
Estimated balance      0.00 EUR (2026-03-04 10:00 CET)
Last settled day       -
Balance updated        -
Low-credit threshold   5.00 EUR
Leak test required     no
Hold                   none

Last entries
  none

Pending meter actions
  none
`
	if out != want {
		t.Errorf("balance:\n%s\nwant:\n%s", out, want)
	}
}

func TestBalanceRefused(t *testing.T) {
	store := testStore(t)
	refusedHes(t, store, "hes: no account with EAN "+eanElec, "balance", eanElec)
	refusedHes(t, store, "hes: no account with EAN "+eanElec, "balance", eanElec, "--json")
	refusedHes(t, store, "--entries -1", "balance", eanElec, "--entries", "-1")
	refusedHes(t, store, "accepts 1 arg(s)", "balance")
}

func TestBalanceHoldAndPendingCut(t *testing.T) {
	store := testStore(t)
	t.Setenv(envNow, "2026-03-04T17:00:00+01:00") // Wednesday, in the non-disconnection period
	activeAccount(t, store, eanElec)
	withEngine(t, store, func(e *prepay.Engine) {
		day := prepay.MustParseDate("2026-03-03")
		for i, night := range []int64{2_000_000, 1_999_000} { // the register went down
			if _, err := e.Settle(prepay.DailyIndexes{EAN: eanElec, Day: day.AddDays(i), Quality: prepay.QualityDaily,
				Registers: map[string]int64{"1-0:1.8.1": 1_000_000, "1-0:1.8.2": night}}); err != nil {
				t.Fatal(err)
			}
		}
	})
	mustHes(t, store, "adjust", eanElec, "--amount", "-36.00", "--reason", "back-billing", "--agent", "jdupont")

	checkBalance(t, store, eanElec, map[string]any{
		"ean": eanElec, "balance": "-16.00", "emergency_credit_left": "0.00", "debt": "20.00",
		"credit_state": "EXHAUSTED", "supply_state": "DISCONNECT_PENDING", "estimated_balance": "-16.00",
	})
	out := mustHes(t, store, "balance", eanElec, "--entries", "1")
	for _, want := range []string{
		"\nSupply state           DISCONNECT_PENDING\n",
		"\nHold                   register 1-0:1.8.2 went down",
		"\n2   2026-03-04 17:00 CET  ADJUSTMENT  -36.00  -16.00   20.00  back-billing (jdupont)\n",
		"  DISCONNECT    OPEN    2026-03-05 08:00 CET  0  ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("balance screen lacks %q:\n%s", want, out)
		}
	}
	out = mustHes(t, store, "account", "list")
	if !strings.Contains(out, "EXHAUSTED  DISCONNECT_PENDING  held\n") {
		t.Errorf("account list:\n%s", out)
	}
}
