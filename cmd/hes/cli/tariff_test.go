package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/openhes/hes/prepay"
)

func TestParseFixed(t *testing.T) {
	tests := []struct {
		in       string
		decimals int
		want     int64
		err      string
	}{
		{"0.38", 6, 380_000, ""},
		{"0.123457", 6, 123_457, ""},
		{"0.1", 6, 100_000, ""},
		{"1", 6, 1_000_000, ""},
		{"0", 6, 0, ""},
		{"007.50", 6, 7_500_000, ""},
		{"11.0000", 4, 110_000, ""},
		{"11.2345", 4, 112_345, ""},
		{"999999999.999999", 6, 999_999_999_999_999, ""},
		{"0.1234567", 6, 0, "at most 6 decimals"},
		{"11.23456", 4, 0, "at most 4 decimals"},
		{"1000000000", 6, 0, "too large"},
		{"", 6, 0, "want a decimal number"},
		{".5", 6, 0, "want a decimal number"},
		{"5.", 6, 0, "want a decimal number"},
		{"-0.38", 6, 0, "want a decimal number"},
		{"+0.38", 6, 0, "want a decimal number"},
		{"0,38", 6, 0, "want a decimal number"},
		{"3.8e-1", 6, 0, "want a decimal number"},
		{" 0.38", 6, 0, "want a decimal number"},
		{"0.3.8", 6, 0, "want a decimal number"},
	}
	for _, tt := range tests {
		got, err := parseFixed(tt.in, tt.decimals)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseFixed(%q, %d): %d, %v; want an error with %q", tt.in, tt.decimals, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseFixed(%q, %d) = %d, %v; want %d", tt.in, tt.decimals, got, err, tt.want)
		}
	}
}

func TestFormatFixed(t *testing.T) {
	tests := []struct {
		v                 int64
		decimals, minimum int
		want              string
	}{
		{380_000, 6, 2, "0.38"},
		{123_457, 6, 2, "0.123457"},
		{100_000, 6, 2, "0.10"},
		{1_000_000, 6, 2, "1.00"},
		{0, 6, 2, "0.00"},
		{7, 6, 2, "0.000007"},
		{110_000, 4, 4, "11.0000"},
		{-350, 6, 2, "-0.00035"},
		{120, 2, 0, "1.2"},
		{100, 2, 0, "1"},
	}
	for _, tt := range tests {
		if got := formatFixed(tt.v, tt.decimals, tt.minimum); got != tt.want {
			t.Errorf("formatFixed(%d, %d, %d) = %q, want %q", tt.v, tt.decimals, tt.minimum, got, tt.want)
		}
	}
}

func FuzzParseFixed(f *testing.F) {
	for _, s := range []string{"0.38", "0.123457", "11.0000", "1", "", ".5", "-1", "1e3", "999999999.999999", "0.1234567"} {
		f.Add(s, uint8(6))
	}
	f.Fuzz(func(t *testing.T, s string, d uint8) {
		decimals := int(d % 7)
		v, err := parseFixed(s, decimals)
		if err != nil {
			return
		}
		if v < 0 {
			t.Fatalf("parseFixed(%q) = %d: negative", s, v)
		}
		text := formatFixed(v, decimals, 0)
		back, err := parseFixed(text, decimals)
		if err != nil || back != v {
			t.Fatalf("parseFixed(%q) = %d, formatted %q, read back %d, %v", s, v, text, back, err)
		}
	})
}

func TestParsePrice(t *testing.T) {
	tests := []struct {
		in, reg string
		price   int64
		err     string
	}{
		{"day=0.38", "1-0:1.8.1", 380_000, ""},
		{"Night=0.30", "1-0:1.8.2", 300_000, ""},
		{"gas=0.10", "0-1:24.2.3", 100_000, ""},
		{"1-0:1.8.1.255=0.123457", "1-0:1.8.1", 123_457, ""},
		{"0-2:24.2.3=0.1", "0-2:24.2.3", 100_000, ""},
		{"day", "", 0, "want REGISTER=PRICE"},
		{"peak=0.5", "", 0, "want an OBIS code"},
		{"day=0.38 EUR", "", 0, "want a decimal number"},
	}
	for _, tt := range tests {
		reg, price, err := parsePrice(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || exitStatus(err) != ExitBadUse {
				t.Errorf("parsePrice(%q): %v; want bad input with %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || reg != tt.reg || price != tt.price {
			t.Errorf("parsePrice(%q) = %s, %d, %v; want %s, %d", tt.in, reg, price, err, tt.reg, tt.price)
		}
	}
}

func TestTariffDefaults(t *testing.T) {
	store := testStore(t)
	out := mustHes(t, store, "tariff", "list")
	want := "" +
		"TARIFF         ENERGY       IN FORCE FROM  PRICES (EUR/kWh)                GAS FACTOR (kWh/m3)  VERSIONS\n" +
		"elec-social    electricity  2026-01-01     1-0:1.8.1 0.21, 1-0:1.8.2 0.21  -                    1\n" +
		"elec-standard  electricity  2026-01-01     1-0:1.8.1 0.38, 1-0:1.8.2 0.30  -                    1\n" +
		"gas-social     gas          2026-01-01     0-1:24.2.3 0.06                 11.0000              1\n" +
		"gas-standard   gas          2026-01-01     0-1:24.2.3 0.10                 11.0000              1\n"
	if out != want {
		t.Errorf("tariff list:\n%s\nwant:\n%s", out, want)
	}
	var list []tariffJSON
	if err := json.Unmarshal([]byte(mustHes(t, store, "tariff", "list", "--json")), &list); err != nil || len(list) != 4 {
		t.Fatalf("tariff list --json: %v, %v", list, err)
	}
	// The defaults are created once: the store has tariffs now.
	var audits int
	withEngine(t, store, func(e *prepay.Engine) {
		recs, err := e.Audit("")
		if err != nil {
			t.Fatal(err)
		}
		audits = len(recs)
	})
	if audits != 4 {
		t.Errorf("%d tariff audit records, want the 4 default tariffs once", audits)
	}
}

func TestTariffSetAndShow(t *testing.T) {
	store := testStore(t)
	out := mustHes(t, store, "tariff", "set", "elec-standard", "--from", "2026-07-01", "--price", "day=0.40", "--price", "night=0.315")
	want := "" +
		"Tariff elec-standard (electricity)\n" +
		"\n" +
		"FROM        REGISTER   PRICE (EUR/kWh)  STATUS\n" +
		"2026-01-01  1-0:1.8.1  0.38             in force\n" +
		"2026-01-01  1-0:1.8.2  0.30             in force\n" +
		"2026-07-01  1-0:1.8.1  0.40             future\n" +
		"2026-07-01  1-0:1.8.2  0.315            future\n"
	if out != want {
		t.Errorf("tariff set:\n%s\nwant:\n%s", out, want)
	}
	// The same date again replaces that version.
	mustHes(t, store, "tariff", "set", "elec-standard", "--from", "2026-07-01", "--price", "day=0.41", "--price", "night=0.32")
	out = mustHes(t, store, "tariff", "show", "elec-standard", "--json")
	want = `{
  "id": "elec-standard",
  "energy": "electricity",
  "versions": [
    {
      "from": "2026-01-01",
      "prices": {
        "1-0:1.8.1": "0.38",
        "1-0:1.8.2": "0.30"
      }
    },
    {
      "from": "2026-07-01",
      "prices": {
        "1-0:1.8.1": "0.41",
        "1-0:1.8.2": "0.32"
      }
    }
  ]
}
`
	if out != want {
		t.Errorf("tariff show --json:\n%s\nwant:\n%s", out, want)
	}

	out = mustHes(t, store, "tariff", "set", "gas-winter", "--energy", "gas", "--from", "2026-03-01", "--price", "gas=0.123457", "--gas-factor", "11.2345")
	want = "" +
		"Tariff gas-winter (gas)\n" +
		"\n" +
		"FROM        REGISTER    PRICE (EUR/kWh)  GAS FACTOR (kWh/m3)  STATUS\n" +
		"2026-03-01  0-1:24.2.3  0.123457         11.2345              in force\n"
	if out != want {
		t.Errorf("tariff set gas:\n%s\nwant:\n%s", out, want)
	}
	var tr prepay.Tariff
	withEngine(t, store, func(e *prepay.Engine) { tr, _ = e.Tariff("gas-winter") })
	if v := tr.Versions[0]; v.Prices["0-1:24.2.3"] != 123_457 || v.GasFactor != 112_345 {
		t.Errorf("stored %+v: want 123457 µ€/kWh and 112345", v)
	}
	mustHes(t, store, "account", "create", "--ean", eanGas, "--energy", "gas", "--tariff", "gas-winter", "--phone", "1")

	t.Setenv(envNow, "2026-08-01T12:00:00+02:00")
	out = mustHes(t, store, "tariff", "show", "elec-standard")
	want = "" +
		"Tariff elec-standard (electricity)\n" +
		"\n" +
		"FROM        REGISTER   PRICE (EUR/kWh)  STATUS\n" +
		"2026-01-01  1-0:1.8.1  0.38             past\n" +
		"2026-01-01  1-0:1.8.2  0.30             past\n" +
		"2026-07-01  1-0:1.8.1  0.41             in force\n" +
		"2026-07-01  1-0:1.8.2  0.32             in force\n"
	if out != want {
		t.Errorf("tariff show in August:\n%s\nwant:\n%s", out, want)
	}
	out = mustHes(t, store, "tariff", "list")
	if !strings.Contains(out, "\nelec-standard  electricity  2026-07-01     1-0:1.8.1 0.41, 1-0:1.8.2 0.32  -                    2\n") {
		t.Errorf("tariff list in August:\n%s", out)
	}
}

func TestTariffRefused(t *testing.T) {
	store := testStore(t)
	tests := []struct {
		want string
		args []string
	}{
		{`tariff "flat" is new: give its --energy`, []string{"set", "flat", "--from", "2026-01-01", "--price", "day=0.3"}},
		{"a gas tariff needs --gas-factor", []string{"set", "flat", "--energy", "gas", "--from", "2026-01-01", "--price", "gas=0.1"}},
		{`tariff "elec-social" is for electricity, not gas`, []string{"set", "elec-social", "--energy", "gas", "--from", "2026-01-01", "--price", "gas=0.1"}},
		{"--gas-factor: \"11.23456\": at most 4 decimals", []string{"set", "gas-standard", "--from", "2026-01-01", "--price", "gas=0.1", "--gas-factor", "11.23456"}},
		{"gas conversion factor on an electricity tariff", []string{"set", "elec-social", "--from", "2026-01-01", "--price", "day=0.1", "--gas-factor", "11"}},
		{"register 1-0:2.8.1 is not a electricity import register", []string{"set", "elec-social", "--from", "2026-01-01", "--price", "1-0:2.8.1=0.1"}},
		{"register 1-0:1.8.1 priced twice", []string{"set", "elec-social", "--from", "2026-01-01", "--price", "day=0.1", "--price", "1-0:1.8.1=0.2"}},
		{"at least one price", []string{"set", "elec-social", "--from", "2026-01-01"}},
		{"--from: malformed date", []string{"set", "elec-social", "--from", "1/1/2026", "--price", "day=0.1"}},
		{`required flag(s) "from" not set`, []string{"set", "elec-social", "--price", "day=0.1"}},
		{"--price \"day=0.1234567\": \"0.1234567\": at most 6 decimals", []string{"set", "elec-social", "--from", "2026-01-01", "--price", "day=0.1234567"}},
		{`hes: no tariff "flat"`, []string{"show", "flat"}},
	}
	for _, tt := range tests {
		refusedHes(t, store, tt.want, append([]string{"tariff"}, tt.args...)...)
	}
	var list []tariffJSON
	if err := json.Unmarshal([]byte(mustHes(t, store, "tariff", "list", "--json")), &list); err != nil || len(list) != 4 {
		t.Errorf("after refused changes: %v, %v", list, err)
	}
	for _, tr := range list {
		if len(tr.Versions) != 1 {
			t.Errorf("tariff %s: %d versions after refused changes", tr.ID, len(tr.Versions))
		}
	}
}
