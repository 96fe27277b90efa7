package cli

import (
	"encoding/json"
	"testing"
	"time"
)

func TestProfile(t *testing.T) {
	_, addr := startTechMeter(t)
	out, stderr, status := run(t, "profile", "daily_values", "--tcp", addr, "--from", "2026-11-21", "--to", "2026-11-23 00:00")
	if status != ExitOK {
		t.Fatalf("status %d: %s", status, stderr)
	}
	want := `CLOCK                    IMPORT_DAY (WH)  IMPORT_NIGHT (WH)
2026-11-21 00:00:00 CET  1000             10
2026-11-22 00:00:00 CET  2000             20
2026-11-23 00:00:00 CET  3000             30
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}

	out, stderr, status = run(t, "profile", "1-0:99.2.0.255", "--tcp", addr, "--from", "2026-11-23T00:00:00+01:00", "--json")
	if status != ExitOK {
		t.Fatalf("--json: status %d: %s", status, stderr)
	}
	var got struct {
		Columns []struct {
			OBIS       string `json:"obis"`
			Role       string `json:"role"`
			ScalerUnit *struct {
				Scaler int8   `json:"scaler"`
				Unit   string `json:"unit"`
			} `json:"scaler_unit"`
		} `json:"columns"`
		Rows [][]json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Columns) != 3 || got.Columns[1].Role != "import_day" || got.Columns[1].ScalerUnit == nil || got.Columns[1].ScalerUnit.Unit != "Wh" {
		t.Fatalf("%s", out)
	}
	// --to defaults to now: the rows of the 23rd and 24th.
	if len(got.Rows) != 2 {
		t.Fatalf("%d rows:\n%s", len(got.Rows), out)
	}
	var at time.Time
	if err := json.Unmarshal(got.Rows[1][0], &at); err != nil || !at.Equal(time.Date(2026, 11, 23, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("time %s", got.Rows[1][0])
	}
	var q struct {
		Value  int64
		Scaler int8
		Unit   string
	}
	if err := json.Unmarshal(got.Rows[1][1], &q); err != nil || q.Value != 4000 || q.Scaler != 0 || q.Unit != "Wh" {
		t.Errorf("index %s", got.Rows[1][1])
	}
}

func TestProfileBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"profile", "daily_values", "--tcp", "127.0.0.1:1"},
		{"profile", "no_such_role", "--tcp", "127.0.0.1:1", "--from", "2026-11-21"},
		{"profile", "daily_values", "--tcp", "127.0.0.1:1", "--from", "21/11/2026"},
		{"profile", "daily_values", "--tcp", "127.0.0.1:1", "--from", "2026-11-21", "--to", "2026-11-20"},
	} {
		if _, stderr, status := run(t, args...); status != ExitBadUse {
			t.Errorf("%v: status %d, %s", args, status, stderr)
		}
	}
}
