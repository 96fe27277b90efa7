package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	_, addr := startTechMeter(t)
	// The host is 30 s ahead of the meter.
	t.Setenv(envNow, techMeterTime.Add(30*time.Second).Format(time.RFC3339))
	out, stderr, status := run(t, "clock", "--tcp", addr)
	if status != ExitOK {
		t.Fatalf("status %d: %s", status, stderr)
	}
	want := `meter time:     2026-11-27 03:36:04 CET
as written:     2026-11-27T03:36:04.00+01:00
host time:      2026-11-27 03:36:34 CET
drift:          -30s
status:         ok
time zone:      -60 min
DST begins:     ****-03-lastT02:00:00.00 Sun [not-specified]
DST ends:       ****-10-lastT03:00:00.00 Sun [not-specified]
DST deviation:  60 min
DST enabled:    true
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

func TestClockSet(t *testing.T) {
	m, addr := startTechMeter(t)
	host := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	t.Setenv(envNow, host.Format(time.RFC3339))
	t.Setenv(envPassword, techPassword)
	out, stderr, status := run(t, "clock", "--tcp", addr, "--auth", "lls", "--set", "--json")
	if status != ExitOK {
		t.Fatalf("status %d: %s", status, stderr)
	}
	var got clockJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if !got.Set || got.MeterTime == nil || !got.MeterTime.Equal(host) || got.DriftSeconds == nil || *got.DriftSeconds != 0 {
		t.Errorf("%s", out)
	}
	if got.DateTime != "2026-07-01T12:00:00.00+02:00 [dst]" {
		t.Errorf("the meter holds %s, want local summer time", got.DateTime)
	}
	dt, err := m.value(tmClock, 2).DateTime()
	if err != nil || dt.String() != got.DateTime {
		t.Errorf("the model holds %v, %v", dt, err)
	}

	// The public client may not set the clock.
	_, stderr, status = run(t, "clock", "--tcp", addr, "--set")
	if status != ExitFailure || !strings.HasPrefix(stderr, "hes: set 0-0:1.0.0.255 attr 2: data access: read-write-denied") {
		t.Errorf("public --set: status %d, %q", status, stderr)
	}
}
