package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	t.Setenv(envDemoDays, "")
	out, errOut, status := run(t, "demo", "--days", "2", "--meters", "20", "--faults", "refuse=SIM000020")
	if status != ExitOK {
		t.Fatalf("demo: status %d, stderr %q", status, errOut)
	}
	for _, want := range []string{
		"hes demo: 20 meters (", " 2 virtual days from 2026-01-12",
		"Mon 2026-01-12  reference reading: 19 of 20 meters read",
		"DAY             READ     SETTLED  LOW  EMERGENCY  CUT  WAIT-NDP  LIMITED  RECHARGED  ARMED  RECONNECTED  FAILED  SECONDS\n",
		"Tue 2026-01-13   19/20 ", "Wed 2026-01-14   19/20 ",
		"ledgers verified", "orders to the meters: ",
		"The store was temporary. Keep it with hes demo --store demo.db",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	// The temporary store is gone.
	m := regexp.MustCompile(`(?m)^store (.+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no store line:\n%s", out)
	}
	if _, err := os.Stat(m[1]); !os.IsNotExist(err) {
		t.Errorf("the temporary store %s is still there: %v", m[1], err)
	}
}

func TestDemoKeepsTheStore(t *testing.T) {
	store := filepath.Join(t.TempDir(), "demo.db")
	t.Setenv(envDemoDays, "1")
	t.Setenv(envStore, "")
	t.Setenv(envConfig, "")
	t.Setenv(envMasterKeyFile, "")
	out, errOut, status := run(t, "demo", "--meters", "12", "--store", store, "--json")
	if status != ExitOK {
		t.Fatalf("demo: status %d, stderr %q", status, errOut)
	}
	var got demoOut
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("demo --json: %v\n%s", err, out)
	}
	if len(got.Days) != 1 || got.Days[0].Meters != 12 || got.Days[0].Settled == 0 || got.Store != store || got.Electricity == "" {
		t.Errorf("demo --json: %+v", got)
	}
	fi, err := os.Stat(store + ".key")
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v, %v", fi, err)
	}
	// The commands that the demo suggests work on the store it kept.
	t.Setenv(envNow, "2026-01-13T18:00:00+01:00")
	var bal map[string]any
	if err := json.Unmarshal([]byte(mustHes(t, store, "balance", got.Electricity, "--json")), &bal); err != nil {
		t.Fatal(err)
	}
	if bal["ean"] != got.Electricity {
		t.Errorf("balance: %v", bal)
	}
	mustHes(t, store, "account", "show", got.Electricity)
	if out := mustHes(t, store, "cmd", "list", "--ean", got.Electricity); !strings.Contains(out, "display") {
		t.Errorf("cmd list:\n%s", out)
	}
	t.Setenv(envMasterKeyFile, store+".key")
	if out := mustHes(t, store, "meters", "show", "SIM000001"); !strings.Contains(out, "SIM000001") {
		t.Errorf("meters show:\n%s", out)
	}

	// The demo builds a new store: it refuses an existing one.
	refusedHes(t, store, "exists", "demo", "--days", "1")
}

func TestDemoBadInput(t *testing.T) {
	t.Setenv(envDemoDays, "")
	for _, c := range []struct {
		want string
		args []string
	}{
		{"--days 0", []string{"demo", "--days", "0"}},
		{"--meters 0", []string{"demo", "--meters", "0"}},
		{"--gas-share 2", []string{"demo", "--gas-share", "2"}},
		{`--start "12/01/2026"`, []string{"demo", "--start", "12/01/2026"}},
		{"--faults", []string{"demo", "--faults", "nonsense=1%"}},
	} {
		_, errOut, status := run(t, c.args...)
		if status != ExitBadUse {
			t.Errorf("%v: status %d, stderr %q", c.args, status, errOut)
			continue
		}
		oneLineError(t, errOut, c.want)
	}
	t.Setenv(envDemoDays, "seven")
	if _, errOut, status := run(t, "demo"); status != ExitBadUse || !strings.Contains(errOut, envDemoDays) {
		t.Errorf("%s=seven: status %d, stderr %q", envDemoDays, status, errOut)
	}
}
