package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gopkg.in/yaml.v3"

	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/prepay"
)

// clearConfigEnv unsets the environment variables that override the
// configuration and name the master key, for the duration of the test.
func clearConfigEnv(t *testing.T) {
	t.Helper()
	for _, v := range []string{envStore, envConfig, envMasterKeyFile, envListen, envLogLevel, envPollWindow, meter.EnvMasterKey} {
		t.Setenv(v, "")
	}
}

// writeFile writes content to name in a new temporary directory and
// returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigDefaultsRoundTrip(t *testing.T) {
	clearConfigEnv(t)
	out, errOut, status := run(t, "config", "defaults")
	if status != ExitOK || errOut != "" {
		t.Fatalf("config defaults: status %d, stderr %q", status, errOut)
	}
	for _, want := range []string{"store: hes.db\n", "listen: 127.0.0.1:9464\n", "    start: \"01:00\"\n", "    end: \"06:00\"\n",
		"  time_zone: Europe/Brussels\n", "  starting_credit: 20.00\n", "# The daily reads.\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("config defaults lacks %q:\n%s", want, out)
		}
	}
	c, err := parseConfig([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, DefaultConfig()) {
		t.Errorf("defaults read back:\n%+v\nwant:\n%+v", c, DefaultConfig())
	}
	loaded, err := loadHeadEndConfig(writeFile(t, "hes.yaml", out))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(loaded, DefaultConfig()) {
		t.Errorf("defaults loaded back:\n%+v\nwant:\n%+v", loaded, DefaultConfig())
	}
	// Every key of the file carries the default: a file that sets nothing
	// gives the same configuration.
	empty, err := loadHeadEndConfig(writeFile(t, "empty.yaml", "# nothing\n"))
	if err != nil || !reflect.DeepEqual(empty, DefaultConfig()) {
		t.Errorf("empty file: %+v, %v", empty, err)
	}
}

// changedConfig returns a valid configuration in which every value differs
// from the default.
func changedConfig() Config {
	c := Config{
		Store:         "/var/lib/hes/hes.db",
		MasterKeyFile: "/etc/hes/master.key",
		LogLevel:      "debug",
		Listen:        "[::1]:9100",
		SystemTitle:   "484553FF0000002A",
		Link:          LinkConfig{FrameTimeout: 2 * time.Second, Retries: 5},
		Poll: PollConfig{
			Window:             meter.Window{Start: 30 * time.Minute, End: 24 * time.Hour},
			Concurrency:        meter.Limits{Global: 500, PerLink: 2, PerConcentrator: 16},
			MeterDeadline:      90 * time.Second,
			Retry:              RetryPolicy{InitialBackoff: 30 * time.Second, MaxBackoff: 10 * time.Minute, Jitter: 0.35, MaxAttempts: 5},
			CatchUpDays:        0,
			ClockSyncThreshold: 0,
		},
		Commands: CommandsConfig{
			Concurrency:     4,
			AttemptDeadline: 3*time.Minute + 30*time.Second,
			Retry:           RetryPolicy{InitialBackoff: 2 * time.Minute, MaxBackoff: 2 * time.Hour, Jitter: 1, MaxAttempts: 3},
		},
		Prepayment: prepay.Config{
			TimeZone: "Europe/Paris", StartingCredit: 2510, DebtRecoveryPerDay: 150, EmergencyCredit: 1000,
			ReconnectAbove: 1, DefaultLowThreshold: 700, MaxLowThreshold: 20000, RechargeMin: 1000, RechargeMax: 30000,
			ReferencePrefix: "54145", MaxDailyElectricityWh: 100_000, MaxDailyGasDm3: 50_000, DefaultLimiterWatts: 4600,
			NDP: prepay.NDPCalendar{
				WeekdayFrom: 18 * 60, WeekdayUntil: 7*60 + 30, Weekend: false,
				ExtraDates: []prepay.Date{prepay.MustParseDate("2026-12-25"), prepay.MustParseDate("2027-01-01")},
				Seasons:    []prepay.Season{{From: prepay.MustParseDate("2026-12-15"), Until: prepay.MustParseDate("2027-02-15")}},
			},
			RetryMin: 2 * time.Minute, RetryMax: 90 * time.Minute, ActionLease: time.Hour,
		},
	}
	return c
}

// TestConfigWriteReadRoundTrip writes a configuration whose every value
// differs from the default and reads it back: the writer and the reader
// agree on every key.
func TestConfigWriteReadRoundTrip(t *testing.T) {
	c := changedConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if same := sameLeaves(reflect.ValueOf(c), reflect.ValueOf(DefaultConfig()), "Config"); len(same) > 0 {
		t.Fatalf("changedConfig keeps the default of %v", same)
	}
	var buf bytes.Buffer
	if err := writeConfig(&buf, c); err != nil {
		t.Fatal(err)
	}
	got, err := parseConfig(buf.Bytes())
	if err != nil {
		t.Fatalf("%v in\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("read back:\n%+v\nwant:\n%+v\nfrom:\n%s", got, c, buf.String())
	}
}

// sameLeaves lists the fields (the elements of slices counting as one)
// whose values are equal in a and b.
func sameLeaves(a, b reflect.Value, path string) []string {
	if a.Kind() == reflect.Struct && a.Type().PkgPath() != "" && strings.HasPrefix(a.Type().PkgPath(), "github.com/openhes/hes") {
		var out []string
		for i := range a.NumField() {
			out = append(out, sameLeaves(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)...)
		}
		return out
	}
	if reflect.DeepEqual(a.Interface(), b.Interface()) {
		return []string{path}
	}
	return nil
}

// configPaths lists the dotted paths of the values of the schema.
func configPaths(keys []configKey, prefix string) []string {
	var out []string
	for _, k := range keys {
		if k.keys != nil {
			out = append(out, configPaths(k.keys, prefix+k.name+".")...)
			continue
		}
		out = append(out, prefix+k.name)
	}
	return out
}

// TestConfigPrepaymentKeys checks that the prepayment: section has exactly
// the keys of the mapping that loadConfig reads.
func TestConfigPrepaymentKeys(t *testing.T) {
	var want []string
	for k := range prepayConfigKeys() {
		if k != "ndp" {
			want = append(want, k)
		}
	}
	for k := range ndpConfigKeys() {
		want = append(want, "ndp."+k)
	}
	prepayment, _ := findConfigKey(configKeys(), "prepayment")
	got := configPaths(prepayment.keys, "")
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("prepayment keys %v, want %v", got, want)
	}
}

// TestConfigDocumented checks that docs/configuration.md names every key
// and every environment variable.
func TestConfigDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, p := range configPaths(configKeys(), "") {
		if !strings.Contains(doc, "`"+p+"`") {
			t.Errorf("docs/configuration.md does not document `%s`", p)
		}
	}
	for _, v := range []string{envStore, envConfig, envMasterKeyFile, envListen, envLogLevel, envPollWindow, meter.EnvMasterKey} {
		if !strings.Contains(doc, "`"+v+"`") {
			t.Errorf("docs/configuration.md does not document `%s`", v)
		}
	}
}

func TestLoadHeadEndConfig(t *testing.T) {
	clearConfigEnv(t)
	def := DefaultConfig()
	tests := []struct {
		name, yaml string
		check      func(c Config) bool
		err        string // "" when valid
	}{
		{"empty file", "", func(c Config) bool { return reflect.DeepEqual(c, def) }, ""},
		{"empty sections", "poll:\ncommands:\n", func(c Config) bool { return reflect.DeepEqual(c, def) }, ""},
		{"some keys", "store: /srv/hes.db\npoll:\n  window: {start: \"02:30\", end: \"24:00\"}\n  retry:\n    max_attempts: 3\ncommands:\n  concurrency: 1_000\nprepayment:\n  starting_credit: 25.00\n",
			func(c Config) bool {
				return c.Store == "/srv/hes.db" && c.Poll.Window == meter.Window{Start: 150 * time.Minute, End: 24 * time.Hour} &&
					c.Poll.Retry.MaxAttempts == 3 && c.Poll.Retry.InitialBackoff == def.Poll.Retry.InitialBackoff &&
					c.Commands.Concurrency == 1000 && c.Prepayment.StartingCredit == 2500 && c.Listen == def.Listen
			}, ""},
		{"listen off", "listen: \"\"\n", func(c Config) bool { return c.Listen == "" }, ""},
		{"unknown top key", "store: a.db\npol:\n  window: {}\n", nil, "config FILE: line 2: pol: unknown key"},
		{"unknown nested key", "poll:\n  window:\n    start: \"01:00\"\n    ende: \"05:00\"\n", nil, "line 4: poll.window.ende: unknown key"},
		{"unknown prepayment key", "prepayment:\n  ndp:\n    weekends: true\n", nil, "line 3: prepayment.ndp.weekends: unknown key"},
		{"key twice", "listen: a:1\nlisten: b:2\n", nil, "line 2: listen: given twice (also at line 1)"},
		{"no value", "poll:\n  meter_deadline:\n", nil, "line 2: poll.meter_deadline: no value"},
		{"bad duration", "poll:\n  meter_deadline: 5\n", nil, `line 2: poll.meter_deadline: "5": want a duration`},
		{"bad time of day", "poll:\n  window:\n    start: \"1h\"\n", nil, `line 3: poll.window.start: "1h": want a time of day HH:MM`},
		{"bad 24:30", "poll:\n  window:\n    end: \"24:30\"\n", nil, "poll.window.end"},
		{"bad integer", "commands:\n  concurrency: many\n", nil, `line 2: commands.concurrency: "many": want a whole number`},
		{"bad float", "poll:\n  retry:\n    jitter: some\n", nil, `line 3: poll.retry.jitter: "some": want a number`},
		{"section not a mapping", "poll: 5\n", nil, "line 1: poll: want a mapping"},
		{"value not a scalar", "store: [a, b]\n", nil, "line 1: store: want a single value"},
		{"top not a mapping", "- a\n", nil, "want a mapping of keys at the top"},
		{"not YAML", "poll: [\n", nil, "yaml:"},
		{"bad amount", "prepayment:\n  starting_credit: 1.234\n", nil, "line 2: prepayment.starting_credit: malformed amount"},
		{"window backwards", "poll:\n  window: {start: \"06:00\", end: \"01:00\"}\n", nil, "poll.window 06:00 to 01:00: want a start before the end"},
		{"no concurrency", "poll:\n  concurrency:\n    per_link: 0\n", nil, "poll.concurrency.per_link 0: want at least 1"},
		{"jitter too big", "commands:\n  retry:\n    jitter: 1.5\n", nil, "commands.retry.jitter 1.5: want a fraction above 0 and at most 1"},
		{"backoff backwards", "poll:\n  retry: {initial_backoff: 1h, max_backoff: 1m}\n", nil, "poll.retry: backoff 1h0m0s to 1m0s"},
		{"no attempt", "commands:\n  retry:\n    max_attempts: 0\n", nil, "commands.retry.max_attempts 0: want at least 1"},
		{"negative catch-up", "poll:\n  catch_up_days: -1\n", nil, "poll.catch_up_days -1: want 0 or more"},
		{"bad listen", "listen: localhost\n", nil, `listen "localhost": want host:port`},
		{"bad port", "listen: localhost:http\n", nil, "want a port from 1 to 65535"},
		{"bad log level", "log_level: loud\n", nil, `log_level "loud": want trace, debug, info, warn or error`},
		{"empty store", "store: \"\"\n", nil, "store: empty"},
		{"bad system title", "system_title: 484553\n", nil, `system_title "484553": want 8 bytes as 16 hexadecimal digits`},
		{"no frame timeout", "link:\n  frame_timeout: 0s\n", nil, "link.frame_timeout 0s: want a positive duration"},
		{"link keys", "system_title: 484553ff00000002\nlink: {frame_timeout: 1500ms, retries: 1}\n", func(c Config) bool {
			return c.SystemTitle == "484553ff00000002" && c.Link == LinkConfig{FrameTimeout: 1500 * time.Millisecond, Retries: 1}
		}, ""},
		{"every problem at once", "log_level: loud\ncommands:\n  concurrency: 0\n", nil, `log_level "loud": want trace, debug, info, warn or error; commands.concurrency 0`},
		{"prepayment inconsistent", "prepayment:\n  recharge_min: 300\n", nil, "prepayment: recharge bounds 300.00 to 250.00"},
		{"bad time zone", "prepayment:\n  time_zone: Mars/Olympus\n", nil, "time zone \"Mars/Olympus\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "hes.yaml", tt.yaml)
			c, err := loadHeadEndConfig(path)
			if tt.err != "" {
				want := strings.ReplaceAll(tt.err, "FILE", path)
				if err == nil || !strings.Contains(err.Error(), want) || exitStatus(err) != ExitBadUse || strings.Contains(err.Error(), "\n") {
					t.Fatalf("error %v: want one line of bad input containing %q", err, want)
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

func TestConfigEnvOverrides(t *testing.T) {
	clearConfigEnv(t)
	path := writeFile(t, "hes.yaml", "store: file.db\nlisten: 127.0.0.1:1\nlog_level: warn\nmaster_key_file: file.key\npoll:\n  window: {start: \"02:00\", end: \"03:00\"}\n")
	c, err := loadHeadEndConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Store != "file.db" || c.Listen != "127.0.0.1:1" || c.LogLevel != "warn" || c.MasterKeyFile != "file.key" ||
		c.Poll.Window != (meter.Window{Start: 2 * time.Hour, End: 3 * time.Hour}) {
		t.Fatalf("from the file: %+v", c)
	}
	t.Setenv(envStore, "env.db")
	t.Setenv(envListen, ":9999")
	t.Setenv(envLogLevel, "debug")
	t.Setenv(envMasterKeyFile, "env.key")
	t.Setenv(envPollWindow, "00:30-05:45")
	c, err = loadHeadEndConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Store != "env.db" || c.Listen != ":9999" || c.LogLevel != "debug" || c.MasterKeyFile != "env.key" ||
		c.Poll.Window != (meter.Window{Start: 30 * time.Minute, End: 5*time.Hour + 45*time.Minute}) {
		t.Errorf("with the environment: %+v", c)
	}
	// Without a file, the environment overrides the defaults.
	if c, err = loadHeadEndConfig(""); err != nil || c.Store != "env.db" || c.Listen != ":9999" {
		t.Errorf("no file: %+v, %v", c, err)
	}
	for _, bad := range []struct{ name, value, want string }{
		{envPollWindow, "01:00", `HES_POLL_WINDOW "01:00": want HH:MM-HH:MM`},
		{envPollWindow, "06:00-01:00", "poll.window 06:00 to 01:00"},
		{envLogLevel, "chatty", `log_level "chatty"`},
		{envListen, "nowhere", `listen "nowhere"`},
	} {
		t.Setenv(bad.name, bad.value)
		_, err := loadHeadEndConfig(path)
		if err == nil || !strings.Contains(err.Error(), bad.want) || exitStatus(err) != ExitBadUse {
			t.Errorf("%s=%q: error %v, want %q", bad.name, bad.value, err, bad.want)
		}
		t.Setenv(bad.name, "")
	}
}

func TestConfigCheckCommand(t *testing.T) {
	clearConfigEnv(t)
	good := writeFile(t, "good.yaml", "poll:\n  catch_up_days: 3\n")
	out, errOut, status := run(t, "config", "check", "--config", good)
	if status != ExitOK || out != "configuration "+good+" is valid\n" || errOut != "" {
		t.Errorf("check good: status %d, stdout %q, stderr %q", status, out, errOut)
	}
	out, _, status = run(t, "config", "check", "--config", good, "--json")
	var v struct {
		File  string `json:"file"`
		Valid bool   `json:"valid"`
	}
	if status != ExitOK || json.Unmarshal([]byte(out), &v) != nil || v.File != good || !v.Valid {
		t.Errorf("check --json: status %d, %q", status, out)
	}
	bad := writeFile(t, "bad.yaml", "poll:\n  catch_up_days: 3\n  clock_sync: 5s\n")
	out, errOut, status = run(t, "config", "check", "--config", bad)
	if status != ExitBadUse || out != "" {
		t.Errorf("check bad: status %d, stdout %q", status, out)
	}
	oneLineError(t, errOut, "config "+bad+": line 3: poll.clock_sync: unknown key")

	t.Setenv(envConfig, bad)
	if _, _, status := run(t, "config", "check"); status != ExitBadUse {
		t.Errorf("check of $%s: status %d", envConfig, status)
	}
	t.Setenv(envConfig, "")
	if out, _, status := run(t, "config", "check"); status != ExitOK || !strings.Contains(out, "the defaults") {
		t.Errorf("check without a file: status %d, %q", status, out)
	}
}

// TestConfigUsedByCommands checks that the store-backed commands take the
// store from the configuration, and refuse a configuration with an
// unknown key.
func TestConfigUsedByCommands(t *testing.T) {
	testStore(t)
	clearConfigEnv(t)
	dir := t.TempDir()
	t.Chdir(dir)
	store := filepath.Join(dir, "configured.db")
	cfg := writeFile(t, "hes.yaml", "store: "+store+"\n")
	for _, args := range [][]string{{"tariff", "list"}, {"meters", "list"}} {
		if err := os.Remove(store); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if _, errOut, status := run(t, append(args, "--config", cfg)...); status != ExitOK {
			t.Fatalf("%v: status %d, %s", args, status, errOut)
		}
		if _, err := os.Stat(store); err != nil {
			t.Errorf("%v with store: %s in the configuration: %v", args, store, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, defaultStore)); !os.IsNotExist(err) {
		t.Errorf("%s created in the working directory: %v", defaultStore, err)
	}
	typo := writeFile(t, "typo.yaml", "stor: x.db\n")
	for _, args := range [][]string{{"tariff", "list"}, {"meters", "list"}} {
		_, errOut, status := run(t, append(args, "--config", typo)...)
		if status != ExitBadUse {
			t.Errorf("%v with an unknown key: status %d", args, status)
		}
		oneLineError(t, errOut, "line 1: stor: unknown key")
	}
}

func TestConfigMapping(t *testing.T) {
	c := DefaultConfig()
	p := c.PollerConfig()
	if p.Window != meter.DefaultWindow || p.Timeout != 2*time.Minute || p.Backoff != meter.DefaultPollBackoff ||
		p.MaxAttempts != 8 || p.Read.MaxCatchUp != 10 || p.Read.DriftThreshold != 10*time.Second {
		t.Errorf("default poller config %+v", p)
	}
	if l := c.Limits(); l != (meter.Limits{Global: 64, PerLink: 1, PerConcentrator: 8}) {
		t.Errorf("default limits %+v", l)
	}
	e := c.ExecutorConfig()
	if e.Concurrency != 16 || e.Timeout != 2*time.Minute || e.Backoff != meter.DefaultCommandBackoff {
		t.Errorf("default executor config %+v", e)
	}
	if q := c.QueueConfig(); q.MaxAttempts != 10 {
		t.Errorf("default queue config %+v", q)
	}

	c = changedConfig()
	p = c.PollerConfig()
	if p.Read.MaxCatchUp != -1 || p.Read.DriftThreshold != -1 {
		t.Errorf("catch_up_days 0 and clock_sync_threshold 0: read options %+v, want none and never (-1)", p.Read)
	}
	if p.Backoff != (meter.Backoff{Min: 30 * time.Second, Max: 10 * time.Minute, Jitter: 0.35}) || p.MaxAttempts != 5 || p.Timeout != 90*time.Second {
		t.Errorf("poller config %+v", p)
	}
	so, err := c.StoreOptions(time.Now, zerolog.Nop())
	if err != nil || so.Location.String() != "Europe/Paris" {
		t.Errorf("store options %+v, %v", so, err)
	}
}

// TestParseDayTime checks the times of day of the poll window.
func TestParseDayTime(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"00:00", 0, true}, {"01:00", time.Hour, true}, {"23:59", 23*time.Hour + 59*time.Minute, true},
		{"24:00", 24 * time.Hour, true}, {" 6:05 ", 6*time.Hour + 5*time.Minute, true},
		{"24:01", 0, false}, {"25:00", 0, false}, {"12:60", 0, false}, {"12:5", 0, false}, {"1200", 0, false},
		{"-1:00", 0, false}, {"ab:cd", 0, false}, {"", 0, false},
	} {
		got, err := parseDayTime(tt.in)
		if tt.ok != (err == nil) || tt.ok && got != tt.want {
			t.Errorf("parseDayTime(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if tt.ok && dayTime(got) != strings.TrimSpace(tt.in) && tt.in != " 6:05 " {
			t.Errorf("dayTime(%v) = %q, want %q", got, dayTime(got), tt.in)
		}
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", time.Minute: "1m", time.Hour: "1h", 90 * time.Minute: "1h30m", 90 * time.Second: "1m30s",
		10 * time.Second: "10s", 1500 * time.Millisecond: "1.5s", 25*time.Hour + time.Second: "25h0m1s",
	} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(shortDuration(d)); err != nil || back != d {
			t.Errorf("%q reads back as %v, %v", shortDuration(d), back, err)
		}
	}
}

// TestConfigDefaultsIsYAML checks that the default file is one YAML
// mapping with a comment on every top-level key.
func TestConfigDefaultsIsYAML(t *testing.T) {
	var buf bytes.Buffer
	if err := writeConfig(&buf, DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	top := doc.Content[0]
	for i := 0; i < len(top.Content); i += 2 {
		if strings.TrimSpace(top.Content[i].HeadComment) == "" {
			t.Errorf("top-level key %s has no comment", top.Content[i].Value)
		}
	}
}

// FuzzParseConfig checks that no file makes the reader panic, and that a
// valid configuration written back reads the same.
func FuzzParseConfig(f *testing.F) {
	var def, changed bytes.Buffer
	if err := writeConfig(&def, DefaultConfig()); err != nil {
		f.Fatal(err)
	}
	if err := writeConfig(&changed, changedConfig()); err != nil {
		f.Fatal(err)
	}
	f.Add(def.Bytes())
	f.Add(changed.Bytes())
	f.Add([]byte("poll:\n  window: {start: \"02:30\", end: \"24:00\"}\nprepayment:\n  ndp:\n    seasons: [{from: 2026-12-15, until: 2027-02-15}]\n"))
	f.Add([]byte("listen: a:1\nlisten: b:2\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseConfig(b)
		if err != nil || c.Validate() != nil {
			return
		}
		var buf bytes.Buffer
		if err := writeConfig(&buf, c); err != nil {
			t.Fatalf("writing a valid configuration: %v", err)
		}
		back, err := parseConfig(buf.Bytes())
		if err != nil {
			t.Fatalf("reading back: %v\n%s", err, buf.String())
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("read back %+v, want %+v\nfrom:\n%s", back, c, buf.String())
		}
	})
}
