package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/openhes/hes/dlms/axdr"
)

func TestBreaker(t *testing.T) {
	m, addr := startTechMeter(t)
	hls := append([]string{"--tcp", addr}, keyFiles(t)...)
	breaker := func(args ...string) (breakerJSON, string, int) {
		t.Helper()
		out, stderr, status := run(t, append(append([]string{"breaker"}, args...), append(hls, "--json")...)...)
		var s breakerJSON
		if status == ExitOK {
			if err := json.Unmarshal([]byte(out), &s); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
		}
		return s, stderr, status
	}
	s, stderr, status := breaker("status")
	if status != ExitOK || !s.Output || s.State != "connected" || s.Mode != 1 || s.ReconnectCloses {
		t.Fatalf("status: %+v, %d, %s", s, status, stderr)
	}
	s, stderr, status = breaker("disconnect")
	if status != ExitOK || s.Output || s.State != "disconnected" {
		t.Fatalf("disconnect: %+v, %d, %s", s, status, stderr)
	}
	s, stderr, status = breaker("reconnect")
	if status != ExitOK || s.Output || s.State != "ready-for-reconnection" {
		t.Fatalf("reconnect in mode 1: %+v, %d, %s", s, status, stderr)
	}

	// In mode 2 a remote reconnection closes the breaker: refused without
	// --close.
	m.setValue(tmBreaker, 4, axdr.Enum(2))
	m.setValue(tmBreaker, 3, axdr.Enum(0))
	m.setValue(tmBreaker, 2, axdr.Bool(false))
	_, stderr, status = breaker("reconnect")
	if status != ExitBadUse || !strings.Contains(stderr, "refused: in control mode 2 a remote reconnection closes the breaker at once") {
		t.Fatalf("reconnect in mode 2: %d, %s", status, stderr)
	}
	if m.value(tmBreaker, 3).Uint != 0 {
		t.Fatal("the refused reconnection reached the meter")
	}
	s, stderr, status = breaker("reconnect", "--close")
	if status != ExitOK || !s.Output || s.State != "connected" || !s.ReconnectCloses {
		t.Fatalf("reconnect --close in mode 2: %+v, %d, %s", s, status, stderr)
	}

	out, stderr, status := run(t, append([]string{"breaker", "status"}, hls...)...)
	want := `object:            0-0:96.3.10.255
output:            closed
control state:     connected
control mode:      2
remote reconnect:  closes at once
`
	if status != ExitOK || out != want {
		t.Errorf("status %d, %s\n%s\nwant:\n%s", status, stderr, out, want)
	}

	// Only the management client may act.
	t.Setenv(envPassword, techPassword)
	_, stderr, status = run(t, "breaker", "disconnect", "--tcp", addr, "--auth", "lls")
	if status != ExitFailure || !strings.HasPrefix(stderr, "hes: action 0-0:96.3.10.255 method 1: action: read-write-denied") {
		t.Errorf("technician disconnect: %d, %s", status, stderr)
	}
	_, stderr, status = run(t, "breaker", "status", "--tcp", addr, "--obis", "1-0:1.8.0")
	if status != ExitFailure || !strings.HasPrefix(stderr, "hes: get 1-0:1.8.0.255 attr 2: data access: object-undefined") {
		t.Errorf("breaker status of a register: %d, %s", status, stderr)
	}
}
