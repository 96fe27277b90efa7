package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openhes/hes/prepay"
)

func TestRecharge(t *testing.T) {
	store := testStore(t)
	activeAccount(t, store, eanElec)

	args := []string{"recharge", "--ref", refElec, "--amount", "10.00", "--txn", "ATOS-1", "--channel", "terminal"}
	out := mustHes(t, store, args...)
	if want := "booked: 10.00 EUR on " + eanElec + " by terminal (transaction ATOS-1), entry 2; balance 30.00 EUR\n"; out != want {
		t.Errorf("recharge: %q, want %q", out, want)
	}
	out = mustHes(t, store, args...)
	if want := "already booked: transaction ATOS-1 of 10.00 EUR on " + eanElec + ", entry 2; nothing booked again\n"; out != want {
		t.Errorf("recharge again: %q, want %q", out, want)
	}

	var b struct {
		Status string         `json:"status"`
		Entry  map[string]any `json:"entry"`
	}
	out = mustHes(t, store, "recharge", "--ref", refElec, "--amount", "7", "--txn", "R-2", "--channel", "Postal", "--agent", "clerk", "--paid-at", "2026-03-02T16:30:00+01:00", "--json")
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	if b.Status != "BOOKED" || b.Entry["amount"] != "7.00" || b.Entry["balance_after"] != "37.00" || b.Entry["channel"] != "postal" ||
		b.Entry["agent"] != "clerk" || b.Entry["paid_at"] != "2026-03-02T15:30:00Z" || b.Entry["kind"] != "RECHARGE" {
		t.Errorf("recharge --json: %s", out)
	}
	out = mustHes(t, store, "recharge", "--ref", refElec, "--amount", "7", "--txn", "R-2", "--channel", "postal", "--json")
	if err := json.Unmarshal([]byte(out), &b); err != nil || b.Status != "DUPLICATE" || b.Entry["id"] != 3.0 {
		t.Errorf("recharge again --json: %s", out)
	}
	if n := len(ledger(t, store, eanElec)); n != 3 {
		t.Errorf("%d entries, want 3", n)
	}
}

func TestRechargeRefused(t *testing.T) {
	store := testStore(t)
	activeAccount(t, store, eanElec)
	mustHes(t, store, "recharge", "--ref", refElec, "--amount", "10.00", "--txn", "T-1", "--channel", "terminal")
	before := ledger(t, store, eanElec)

	tests := []struct {
		name, want string
		flags      []string // ref, amount, txn, channel
	}{
		{"below the minimum", "recharge refused: amount 4.99 EUR not within 5.00 and 250.00 EUR", []string{refElec, "4.99", "T-2", "terminal"}},
		{"above the maximum", "recharge refused: amount 250.01 EUR not within 5.00 and 250.00 EUR", []string{refElec, "250.01", "T-2", "terminal"}},
		{"12-digit reference", `recharge refused: reference "882000000001" is not 13 digits`, []string{refElec[:12], "10.00", "T-2", "terminal"}},
		{"unknown reference", "recharge refused: reference " + refGas + " matches no access point", []string{refGas, "10.00", "T-2", "terminal"}},
		{"wrong check digit", `recharge refused: reference "8820000000016" has a wrong check digit`, []string{"8820000000016", "10.00", "T-2", "terminal"}},
		{"decimal comma", "--amount: malformed amount", []string{refElec, "10,00", "T-2", "terminal"}},
		{"unknown channel", `recharge refused: channel "cash", want terminal`, []string{refElec, "10.00", "T-2", "cash"}},
		{"postal without agent", "a postal transfer is booked by an agent", []string{refElec, "10.00", "T-2", "postal"}},
		{"reused transaction id", "recharge refused: transaction id already booked for another reference or amount", []string{refElec, "20.00", "T-1", "terminal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envAgent, "") // postal falls back to HES_AGENT only
			refusedHes(t, store, tt.want, "recharge", "--ref", tt.flags[0], "--amount", tt.flags[1], "--txn", tt.flags[2], "--channel", tt.flags[3])
		})
	}
	refusedHes(t, store, "--paid-at \"yesterday\"", "recharge", "--ref", refElec, "--amount", "10.00", "--txn", "T-2", "--channel", "online", "--paid-at", "yesterday")
	refusedHes(t, store, `required flag(s) "txn" not set`, "recharge", "--ref", refElec, "--amount", "10.00", "--channel", "online")

	after := ledger(t, store, eanElec)
	if len(after) != len(before) {
		t.Errorf("refused recharges booked %d entries", len(after)-len(before))
	}
	if b := balanceOf(t, store, eanElec); b["balance"] != "30.00" {
		t.Errorf("balance %v after refused recharges, want 30.00", b["balance"])
	}
}

const importFile = `txn_id,reference,amount,channel,paid_at,agent
PP-1,8820000000015,10.00,paypoint,2026-03-03T18:02:00+01:00,
PP-2,8820000000015,4.99,paypoint,,
PP-3,8820000000022,25.00,online,,
PP-4,882000000001,10.00,terminal,,
PP-5,8820000000015,12.00,postal,,clerk
PP-6,8820000000015,1O.00,online,,
PP-7,8820000000015,10.00,online
PP-1,8820000000015,10.00,paypoint,,
`

func TestRechargeImport(t *testing.T) {
	store := testStore(t)
	activeAccount(t, store, eanElec)
	mustHes(t, store, "account", "create", "--ean", eanGas, "--energy", "gas", "--email", "a@example.be")
	file := filepath.Join(t.TempDir(), "payments.csv")
	if err := os.WriteFile(file, []byte(importFile), 0o600); err != nil {
		t.Fatal(err)
	}

	out, errOut, status := hes(t, store, "recharge", "import", file)
	want := "" +
		"LINE  TRANSACTION  STATUS     DETAIL\n" +
		"2     PP-1         BOOKED     10.00 EUR on 541448820000000015, entry 2\n" +
		"3     PP-2         REFUSED    amount 4.99 EUR not within 5.00 and 250.00 EUR\n" +
		"4     PP-3         BOOKED     25.00 EUR on 541448820000000022, entry 3\n" +
		"5     PP-4         REFUSED    reference \"882000000001\" is not 13 digits (the last 13 digits of the EAN)\n" +
		"6     PP-5         BOOKED     12.00 EUR on 541448820000000015, entry 4\n" +
		"7     PP-6         REFUSED    malformed amount \"1O.00\": unexpected character 'O'\n" +
		"8     PP-7         REFUSED    4 fields, the header has 6\n" +
		"9     PP-1         DUPLICATE  10.00 EUR on 541448820000000015, entry 2\n" +
		"3 booked, 1 duplicate, 4 refused\n"
	if status != ExitBadUse || out != want {
		t.Errorf("import: status %d, output:\n%s\nwant:\n%s", status, out, want)
	}
	oneLineError(t, errOut, "recharge import: 4 of 8 lines refused")
	if b := balanceOf(t, store, eanElec); b["balance"] != "42.00" {
		t.Errorf("balance %v, want 42.00", b["balance"])
	}

	// Again: nothing is booked twice.
	out, _, status = hes(t, store, "recharge", "import", file, "--json")
	var rep importJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	if status != ExitBadUse || rep.Booked != 0 || rep.Duplicate != 4 || rep.Refused != 4 || len(rep.Lines) != 8 {
		t.Errorf("import again: status %d, %+v", status, rep)
	}
	if l := rep.Lines[0]; l.Line != 2 || l.Status != prepay.ImportDuplicate || l.EAN != eanElec || l.Amount == nil || *l.Amount != 1000 || l.EntryID != 2 {
		t.Errorf("line 2 again: %+v", l)
	}
	if l := rep.Lines[1]; l.Line != 3 || l.Status != prepay.ImportRefused || !strings.Contains(l.Reason, "4.99") || l.Amount != nil {
		t.Errorf("line 3 again: %+v", l)
	}
	if n := len(ledger(t, store, eanElec)); n != 3 {
		t.Errorf("%d entries after the second import, want 3", n)
	}
	if b := balanceOf(t, store, eanElec); b["balance"] != "42.00" {
		t.Errorf("balance %v after the second import, want 42.00", b["balance"])
	}
}

func TestRechargeImportStdinAndErrors(t *testing.T) {
	store := testStore(t)
	activeAccount(t, store, eanElec)
	var out, errb bytes.Buffer
	in := strings.NewReader("reference,amount,txn_id,channel\r\n" + refElec + ",15.00,W-1,online\r\n")
	if status := Main([]string{"recharge", "import", "-", "--store", store}, in, &out, &errb); status != ExitOK {
		t.Fatalf("import from stdin: status %d, %s", status, errb.String())
	}
	if want := "LINE  TRANSACTION  STATUS  DETAIL\n2     W-1          BOOKED  15.00 EUR on " + eanElec + ", entry 2\n1 booked, 0 duplicate, 0 refused\n"; out.String() != want {
		t.Errorf("import from stdin:\n%s\nwant:\n%s", out.String(), want)
	}

	dir := t.TempDir()
	for name, content := range map[string]string{
		"empty.csv":   "",
		"unknown.csv": "txn_id,reference,amount,channel,colour\n",
		"missing.csv": "txn_id,reference,amount\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	refusedHes(t, store, "import recharges refused: no header line", "recharge", "import", filepath.Join(dir, "empty.csv"))
	refusedHes(t, store, `unknown column "colour"`, "recharge", "import", filepath.Join(dir, "unknown.csv"))
	refusedHes(t, store, `missing column "channel"`, "recharge", "import", filepath.Join(dir, "missing.csv"))
	refusedHes(t, store, "no such file", "recharge", "import", filepath.Join(dir, "none.csv"))
	if n := len(ledger(t, store, eanElec)); n != 2 {
		t.Errorf("%d entries, want 2", n)
	}
}
