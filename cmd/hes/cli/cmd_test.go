package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/sim"
)

// cmdJSON runs a hes cmd sub-command with --json and decodes its output
// into v.
func cmdJSON(t *testing.T, store string, v any, args ...string) {
	t.Helper()
	out := mustHes(t, store, append(append([]string{"cmd"}, args...), "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("cmd %v --json: %v in %q", args, err, out)
	}
}

// TestCmd follows commands through the queue with hes cmd: a display write
// superseded by a newer one, orders carried out and confirmed by reading
// the meter back, a command given up after its attempts, retried,
// cancelled, and carried out once the meter answers again.
func TestCmd(t *testing.T) {
	store := fleetStore(t)
	cfg := writeFile(t, "hes.yaml", `commands:
  attempt_deadline: 5s
  retry:
    initial_backoff: 50ms
    max_backoff: 100ms
    max_attempts: 2
`)
	t.Setenv(envConfig, cfg)
	s := startFleet(t, 3, nil)
	importFleet(t, store, s)
	f := s.Fleet()
	if _, err := f.ApplyFaults(sim.FaultSpec{{Kind: sim.FaultRefuse, IDs: []string{"SIM000003"}}}); err != nil {
		t.Fatal(err)
	}
	updated := time.Now().UTC().Truncate(time.Second)
	withHeadEnd(t, store, func(h *headEnd) {
		for _, r := range []meter.CommandRequest{
			{MeterID: "SIM000001", Kind: meter.CmdDisplay, Display: &meter.DisplayValues{UpdatedAt: updated, Balance: 100, EmergencyCredit: 1500}},
			{MeterID: "SIM000001", Kind: meter.CmdDisplay, Display: &meter.DisplayValues{UpdatedAt: updated.Add(time.Hour), Balance: -250, EmergencyCredit: 1250}},
			{MeterID: "SIM000002", Kind: meter.CmdDisconnect},
			{MeterID: "SIM000003", Kind: meter.CmdLimiterSet, Watts: 2300},
		} {
			r.Origin = "test"
			if _, err := h.queue.Enqueue(r); err != nil {
				t.Fatal(err)
			}
		}
	})

	var cs []meter.Command
	cmdJSON(t, store, &cs, "list")
	if len(cs) != 4 || cs[0].State != meter.StateSuperseded || cs[0].SupersededBy != 2 {
		t.Fatalf("list: %+v", cs)
	}
	cmdJSON(t, store, &cs, "list", "--state", "pending")
	if len(cs) != 3 {
		t.Errorf("pending: %+v", cs)
	}
	out := mustHes(t, store, "cmd", "list", "--meter", "SIM000001")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID  METER      EAN ") ||
		!strings.Contains(lines[1], "superseded") || !strings.Contains(lines[1], "by command 2") {
		t.Errorf("list --meter:\n%s", out)
	}

	// One pass: the display and the disconnection are confirmed; the
	// limiter waits for its retry.
	var run struct {
		Attempts int             `json:"attempts"`
		Commands []meter.Command `json:"commands"`
	}
	cmdJSON(t, store, &run, "run")
	if run.Attempts != 3 || len(run.Commands) != 3 {
		t.Fatalf("run: %+v", run)
	}
	for _, c := range run.Commands {
		switch c.ID {
		case 2:
			if c.State != meter.StateDone || !strings.Contains(c.Outcome, "balance -2.50") {
				t.Errorf("display: %+v", c)
			}
		case 3:
			if c.State != meter.StateDone || c.Outcome == "" {
				t.Errorf("disconnect: %+v", c)
			}
		case 4:
			if c.State != meter.StatePending || c.Attempts != 1 || c.Reason != meter.ReasonAssociation {
				t.Errorf("limiter: %+v", c)
			}
		}
	}
	if st, _ := f.Status("SIM000001"); st.Display.BalanceCents != -250 || st.Display.EmergencyCents != 1250 {
		t.Errorf("SIM000001 shows %+v", st.Display)
	}
	if st, _ := f.Status("SIM000002"); st.Breaker.State != sim.Disconnected {
		t.Errorf("SIM000002 breaker %+v", st.Breaker)
	}

	// The second attempt is the last: the limiter is given up.
	time.Sleep(150 * time.Millisecond)
	out = mustHes(t, store, "cmd", "run")
	if !strings.HasPrefix(out, "1 attempt\n") || !strings.Contains(out, "failed") {
		t.Errorf("second run:\n%s", out)
	}
	out = mustHes(t, store, "cmd", "show", "4")
	for _, want := range []string{"kind:", "limiter_set", "parameters:", "2300 W", "state:", "failed", "attempts:", "2 of 2", "reason:", "association_refused", "origin:", "test"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	var c meter.Command
	cmdJSON(t, store, &c, "show", "3")
	if c.Kind != meter.CmdDisconnect || c.State != meter.StateDone || c.FinishedAt.IsZero() {
		t.Errorf("show 3: %+v", c)
	}

	// Retried, cancelled, retried again: carried out once the meter
	// answers.
	out = mustHes(t, store, "cmd", "retry", "4")
	if out != "command 4 (limiter_set SIM000003) is pending again, due now\n" {
		t.Errorf("retry: %q", out)
	}
	cmdJSON(t, store, &c, "cancel", "4", "--reason", "meter replaced")
	if c.State != meter.StateCancelled || c.LastError != "cancelled by agent-1: meter replaced" {
		t.Errorf("cancel: %+v", c)
	}
	mustHes(t, store, "cmd", "cancel", "4") // cancelled already: nothing changes
	mustHes(t, store, "cmd", "retry", "4")
	f.Meters()[2].SetFaults(sim.Faults{})
	cmdJSON(t, store, &run, "run")
	if len(run.Commands) != 1 || run.Commands[0].State != meter.StateDone {
		t.Errorf("run after the retry: %+v", run)
	}
	if st, _ := f.Status("SIM000003"); st.Limiter.ThresholdW != 2300 {
		t.Errorf("SIM000003 limiter %+v", st.Limiter)
	}

	for _, tt := range []struct {
		want string
		args []string
	}{
		{"only failed or cancelled commands are retried", []string{"cmd", "retry", "2"}},
		{"only pending commands are cancelled", []string{"cmd", "cancel", "3"}},
		{"unknown command", []string{"cmd", "show", "99"}},
		{`command id "x"`, []string{"cmd", "show", "x"}},
		{`--kind "reboot"`, []string{"cmd", "list", "--kind", "reboot"}},
		{`--state "lost"`, []string{"cmd", "list", "--state", "done,lost"}},
	} {
		refusedHes(t, store, tt.want, tt.args...)
	}
}
