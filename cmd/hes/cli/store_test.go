package cli

import (
	"encoding/json"
	"os"
	"os/user"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/openhes/hes/prepay"
)

// Access points of the tests: valid EANs of the operator's prefix and their
// payment references.
const (
	eanElec   = "541448820000000015"
	refElec   = "8820000000015"
	eanGas    = "541448820000000022"
	refGas    = "8820000000022"
	eanOther  = "541448820000000039"
	testNow   = "2026-03-04T10:00:00+01:00" // a Wednesday, outside the NDP
	testAgent = "agent-1"
)

// testStore fixes the environment of the store-backed commands and returns
// the path of a new store file.
func testStore(t *testing.T) string {
	t.Helper()
	t.Setenv(envNow, testNow)
	t.Setenv(envAgent, testAgent)
	t.Setenv(envStore, "")
	t.Setenv(envConfig, "")
	return filepath.Join(t.TempDir(), "hes.db")
}

// hes runs the root command on store.
func hes(t *testing.T, store string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	return run(t, append(args, "--store", store)...)
}

// mustHes runs the root command on store and fails the test unless it succeeds.
func mustHes(t *testing.T, store string, args ...string) string {
	t.Helper()
	out, errOut, status := hes(t, store, args...)
	if status != ExitOK {
		t.Fatalf("hes %s: status %d, stderr %q", strings.Join(args, " "), status, errOut)
	}
	return out
}

// refusedHes runs a command that must exit with status 2 and a one-line
// reason containing want.
func refusedHes(t *testing.T, store, want string, args ...string) {
	t.Helper()
	out, errOut, status := hes(t, store, args...)
	if status != ExitBadUse {
		t.Fatalf("hes %s: status %d, want %d (stdout %q, stderr %q)", strings.Join(args, " "), status, ExitBadUse, out, errOut)
	}
	oneLineError(t, errOut, want)
}

// oneLineError checks that stderr is one line "hes: ..." containing want.
func oneLineError(t *testing.T, stderr, want string) {
	t.Helper()
	if !strings.HasPrefix(stderr, "hes: ") || strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr %q: want one line starting with \"hes: \"", stderr)
	}
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr %q: want it to contain %q", stderr, want)
	}
}

// activeAccount creates an electricity account on the default tariff and
// confirms the communication with its meter: balance 20.00, debt 20.00.
func activeAccount(t *testing.T, store, ean string) {
	t.Helper()
	mustHes(t, store, "account", "create", "--ean", ean, "--energy", "electricity", "--phone", "+32470123456")
	mustHes(t, store, "account", "confirm-communication", ean)
}

// withEngine opens store directly with the engine, at the time of the tests.
func withEngine(t *testing.T, store string, fn func(e *prepay.Engine)) {
	t.Helper()
	db, err := bolt.Open(store, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now, _ := time.Parse(time.RFC3339, testNow)
	e, err := prepay.Open(db, prepay.DefaultConfig(), prepay.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	fn(e)
}

// ledger returns the entries of an account, read directly from the store.
func ledger(t *testing.T, store, ean string) []prepay.Entry {
	t.Helper()
	var out []prepay.Entry
	withEngine(t, store, func(e *prepay.Engine) {
		var err error
		if out, err = e.Entries(ean); err != nil {
			t.Fatal(err)
		}
	})
	return out
}

// balanceOf returns the balance --json output of an account as a map.
func balanceOf(t *testing.T, store, ean string) map[string]any {
	t.Helper()
	var m map[string]any
	out := mustHes(t, store, "balance", ean, "--json")
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("balance --json: %v in %q", err, out)
	}
	return m
}

func TestStoreInUse(t *testing.T) {
	store := testStore(t)
	mustHes(t, store, "tariff", "list")
	db, err := openStore(store)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	start := time.Now()
	_, errOut, status := hes(t, store, "balance", eanElec)
	if status != ExitFailure {
		t.Errorf("status %d, want %d", status, ExitFailure)
	}
	want := "hes: store " + store + " is in use by another process\n"
	if errOut != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
	if d := time.Since(start); d < storeLockTimeout/2 {
		t.Errorf("gave up after %v, want about %v", d, storeLockTimeout)
	}
}

func TestOpenStoreNotBolt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not-a-store")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a bbolt file\n", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := openStore(path)
	if err == nil || !strings.HasPrefix(err.Error(), "store "+path+": ") {
		t.Fatalf("openStore of a text file: %v", err)
	}
}

func TestStorePath(t *testing.T) {
	testStore(t)
	dir := t.TempDir()
	t.Chdir(dir)

	mustHes(t, "", "tariff", "list") // --store "" falls back
	if _, err := os.Stat(filepath.Join(dir, defaultStore)); err != nil {
		t.Errorf("without --store and %s: %v", envStore, err)
	}

	env := filepath.Join(dir, "from-env.db")
	t.Setenv(envStore, env)
	if _, errOut, status := run(t, "tariff", "list"); status != ExitOK {
		t.Fatalf("status %d, %s", status, errOut)
	}
	if _, err := os.Stat(env); err != nil {
		t.Errorf("with %s: %v", envStore, err)
	}

	flag := filepath.Join(dir, "from-flag.db")
	mustHes(t, flag, "tariff", "list")
	if _, err := os.Stat(flag); err != nil {
		t.Errorf("with --store: %v", err)
	}
}

func TestHESNow(t *testing.T) {
	store := testStore(t)
	activeAccount(t, store, eanElec)
	en := ledger(t, store, eanElec)
	if want, _ := time.Parse(time.RFC3339, testNow); len(en) != 1 || !en[0].BookedAt.Equal(want) {
		t.Errorf("entries %+v: want one booked at %s", en, testNow)
	}
	t.Setenv(envNow, "yesterday")
	refusedHes(t, store, envNow+` "yesterday": want an RFC 3339 time`, "balance", eanElec)
}

func TestAgentDefault(t *testing.T) {
	login, err := user.Current()
	if err != nil || login.Username == "" {
		t.Skipf("no login name on this host: %v", err)
	}
	store := testStore(t)
	t.Setenv(envAgent, "")
	t.Setenv("USER", "")
	t.Setenv("USERNAME", "")
	// Without --agent, HES_AGENT or USER, the agent is the login name of
	// the account that runs the command.
	mustHes(t, store, "account", "create", "--ean", eanElec, "--energy", "electricity", "--phone", "1")
	var a prepay.Account
	withEngine(t, store, func(e *prepay.Engine) { a, _ = e.Account(eanElec) })
	if a.Activation == nil || a.Activation.Agent != login.Username {
		t.Errorf("activation %+v: want the agent %s", a.Activation, login.Username)
	}
}

func TestLoadConfig(t *testing.T) {
	def := prepay.DefaultConfig()
	tests := []struct {
		name, yaml string
		check      func(c prepay.Config) bool
		err        string // "" when valid
	}{
		{"empty file", "", func(c prepay.Config) bool { return reflect.DeepEqual(c, def) }, ""},
		{"no prepayment section", "listen: 127.0.0.1:9000\n", func(c prepay.Config) bool { return reflect.DeepEqual(c, def) }, ""},
		{"amounts read exactly", "prepayment:\n  starting_credit: 25.10\n  recharge_min: 10\n  emergency_credit: \"12.5\"\n",
			func(c prepay.Config) bool {
				return c.StartingCredit == 2510 && c.RechargeMin == 1000 && c.EmergencyCredit == 1250 && c.RechargeMax == def.RechargeMax
			}, ""},
		{"integers, strings, durations", "prepayment:\n  max_daily_gas_dm3: 50_000\n  time_zone: Europe/Paris\n  retry_min: 30s\n  action_lease: 1h\n  reference_prefix: \"54145\"\n",
			func(c prepay.Config) bool {
				return c.MaxDailyGasDm3 == 50000 && c.TimeZone == "Europe/Paris" && c.RetryMin == 30*time.Second &&
					c.ActionLease == time.Hour && c.ReferencePrefix == "54145"
			}, ""},
		{"ndp", "prepayment:\n  ndp:\n    weekday_from: \"18:00\"\n    weekend: false\n    extra_dates: [2026-12-25, 2027-01-01]\n    seasons:\n      - {from: 2026-12-15, until: 2027-02-15}\n",
			func(c prepay.Config) bool {
				n := c.NDP
				return n.WeekdayFrom.String() == "18:00" && n.WeekdayUntil == def.NDP.WeekdayUntil && !n.Weekend &&
					len(n.ExtraDates) == 2 && n.ExtraDates[1] == prepay.MustParseDate("2027-01-01") &&
					len(n.Seasons) == 1 && n.Seasons[0].Until == prepay.MustParseDate("2027-02-15")
			}, ""},
		{"third decimal", "prepayment:\n  starting_credit: 1.234\n", nil, "line 2: prepayment.starting_credit: malformed amount"},
		{"unknown key", "prepayment:\n  startin_credit: 1\n", nil, "line 2: prepayment.startin_credit: unknown key"},
		{"unknown ndp key", "prepayment:\n  ndp:\n    weekends: true\n", nil, "line 3: prepayment.ndp.weekends: unknown key"},
		{"list for an amount", "prepayment:\n  recharge_max: [1]\n", nil, "prepayment.recharge_max: want a single value"},
		{"bad duration", "prepayment:\n  retry_max: 5\n", nil, `prepayment.retry_max: "5": want a duration`},
		{"bad integer", "prepayment:\n  default_limiter_watts: 2.3kW\n", nil, "want a whole number"},
		{"bad weekend", "prepayment:\n  ndp:\n    weekend: sometimes\n", nil, "want true or false"},
		{"bad date", "prepayment:\n  ndp:\n    extra_dates: [25/12/2026]\n", nil, "malformed date"},
		{"season without until", "prepayment:\n  ndp:\n    seasons: [{from: 2026-12-15}]\n", nil, "a season needs from and until"},
		{"section not a mapping", "prepayment: 5\n", nil, "prepayment: want a mapping"},
		{"top not a mapping", "- a\n", nil, "want a mapping of keys at the top"},
		{"not YAML", "prepayment: [\n", nil, "yaml:"},
		{"inconsistent", "prepayment:\n  recharge_min: 300\n", nil, "recharge bounds 300.00 to 250.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hes.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			hc, err := loadHeadEndConfig(path)
			c := hc.Prepayment
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || exitStatus(err) != ExitBadUse {
					t.Fatalf("error %v: want bad input containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("config %+v", c)
			}
		})
	}
	if _, err := loadHeadEndConfig(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || exitStatus(err) != ExitBadUse {
		t.Errorf("missing file: %v", err)
	}
}

// TestConfigKeysComplete checks that every field of prepay.Config and of its
// NDP calendar can be set from the configuration file, under its JSON name.
func TestConfigKeysComplete(t *testing.T) {
	for _, c := range []struct {
		typ  reflect.Type
		keys map[string]configSetter
	}{
		{reflect.TypeFor[prepay.Config](), prepayConfigKeys()},
		{reflect.TypeFor[prepay.NDPCalendar](), ndpConfigKeys()},
	} {
		for f := range c.typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if _, ok := c.keys[name]; !ok {
				t.Errorf("%s.%s (json %q) has no configuration key", c.typ.Name(), f.Name, name)
			}
		}
		if len(c.keys) != c.typ.NumField() {
			t.Errorf("%s: %d keys for %d fields", c.typ.Name(), len(c.keys), c.typ.NumField())
		}
	}
}

func TestConfigThroughCLI(t *testing.T) {
	store := testStore(t)
	cfg := filepath.Join(t.TempDir(), "hes.yaml")
	if err := os.WriteFile(cfg, []byte("prepayment:\n  starting_credit: 25.00\n  recharge_min: 10.00\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustHes(t, store, "account", "create", "--ean", eanElec, "--energy", "electricity", "--phone", "1", "--config", cfg)
	mustHes(t, store, "account", "confirm-communication", eanElec, "--config", cfg)
	if b := balanceOf(t, store, eanElec); b["balance"] != "25.00" || b["debt"] != "25.00" {
		t.Errorf("balance %v: want 25.00 and debt 25.00 from the configuration", b)
	}
	refusedHes(t, store, "amount 9.99 EUR not within 10.00 and 250.00 EUR",
		"recharge", "--ref", refElec, "--amount", "9.99", "--txn", "T1", "--channel", "terminal", "--config", cfg)

	t.Setenv(envConfig, cfg)
	refusedHes(t, store, "not within 10.00", "recharge", "--ref", refElec, "--amount", "9.99", "--txn", "T1", "--channel", "terminal")
	refusedHes(t, store, "config: open", "balance", eanElec, "--config", cfg+".missing")
}

func TestEngineLogOnlyWhenAsked(t *testing.T) {
	store := testStore(t)
	_, errOut, _ := hes(t, store, "account", "create", "--ean", eanElec, "--energy", "electricity", "--phone", "1")
	if errOut != "" {
		t.Errorf("stderr %q: want nothing without --log-level", errOut)
	}
	_, errOut, _ = hes(t, store, "account", "confirm-communication", eanElec, "--log-level", "info")
	if !strings.Contains(errOut, `"message":"prepay: account state"`) {
		t.Errorf("stderr %q: want the engine's log with --log-level info", errOut)
	}
}
