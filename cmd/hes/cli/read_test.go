package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	_, addr := startTechMeter(t)
	out, stderr, status := run(t, "read", "--tcp", addr, "1-0:1.8.0", "0-0:1.0.0.255", "0-0:42.0.0.255", "1-0:1.8.1.255:3:3")
	if status != ExitOK {
		t.Fatalf("status %d: %s", status, stderr)
	}
	want := `OBJECT                                CLASS  ATTR  VALUE
1-0:1.8.0.255 (import_total)          3      2     123.456 Wh
0-0:1.0.0.255 (clock)                 8      2     2026-11-27 03:36:04 CET (2026-11-27T03:36:04.00+01:00)
0-0:42.0.0.255 (logical_device_name)  1      2     "HES0012345678"
1-0:1.8.1.255 (import_day)            3      3     structure[2]{integer 0, enum 30}
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

func TestReadJSON(t *testing.T) {
	_, addr := startTechMeter(t)
	t.Setenv(envPassword, techPassword)
	out, stderr, status := run(t, "read", "--tcp", addr, "--hdlc", "--auth", "lls", "--json", "1-0:1.8.0.255", "0-0:43.0.0.255", "0-0:96.99.9.255:1:2")
	if status != ExitFailure {
		t.Fatalf("status %d, want 1 for the refused objects: %s", status, stderr)
	}
	if !strings.HasPrefix(stderr, "hes: 2 of 3 objects could not be read") {
		t.Errorf("stderr %q", stderr)
	}
	var got []struct {
		OBIS     string `json:"obis"`
		Class    int    `json:"class"`
		Quantity *struct {
			Value  int64  `json:"value"`
			Scaler int8   `json:"scaler"`
			Unit   string `json:"unit"`
		} `json:"quantity"`
		Text  string `json:"text"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(got) != 3 || got[0].Quantity == nil || got[0].Quantity.Value != 123456 || got[0].Quantity.Scaler != -3 || got[0].Quantity.Unit != "Wh" {
		t.Fatalf("%s", out)
	}
	if got[1].OBIS != "0-0:43.0.0.255" || got[1].Class != 64 || got[1].Error != "data access: read-write-denied" {
		t.Errorf("security setup: %+v", got[1])
	}
	if got[2].Error != "data access: object-undefined" {
		t.Errorf("missing object: %+v", got[2])
	}
}

func TestReadBadInput(t *testing.T) {
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"read", "--tcp", "127.0.0.1:1", "0-0:96.99.9.255"}, "the be-elec-default profile does not know 0-0:96.99.9.255: give its class"},
		{[]string{"read", "--tcp", "127.0.0.1:1", "1-0:1.8.0.255:x"}, `class "x" is not a class id`},
		{[]string{"read", "--tcp", "127.0.0.1:1", "1-0:1.8.0.255:3:0"}, `attribute "0" is not an attribute index`},
		{[]string{"read", "--tcp", "127.0.0.1:1", "1-0:1.8"}, "want OBIS[:CLASS[:ATTR]]"},
		{[]string{"read", "--tcp", "127.0.0.1:1", "1-0:1.8.0.255:3:2:1"}, "want OBIS[:CLASS[:ATTR]]"},
		{[]string{"read"}, "requires at least 1 arg"},
	}
	for _, tt := range tests {
		_, stderr, status := run(t, tt.args...)
		if status != ExitBadUse || !strings.Contains(stderr, tt.msg) {
			t.Errorf("%v: status %d, stderr %q; want 2 and %q", tt.args, status, stderr, tt.msg)
		}
	}
}
