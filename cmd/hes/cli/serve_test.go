package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/sim"
)

// serveAddr waits for hes serve's "started" event and returns the address
// of its HTTP endpoints.
func serveAddr(t *testing.T, r *hesRun) string {
	t.Helper()
	m := waitFor(t, r.stderr, regexp.MustCompile(`\{[^\n]*"message":"hes serve: started"[^\n]*\}`))
	var ev struct{ Listen string }
	if err := json.Unmarshal([]byte(m[0]), &ev); err != nil || ev.Listen == "" {
		t.Fatalf("started event %s: %v", m[0], err)
	}
	return "http://" + ev.Listen
}

// getHealth returns what /healthz says.
func getHealth(t *testing.T, base string) health {
	t.Helper()
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %d, %v", resp.StatusCode, err)
	}
	return h
}

// checkLog checks that the log is one JSON event per line.
func checkLog(t *testing.T, log string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSuffix(log, "\n"), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %q", line)
		}
	}
}

func TestServeReadsFleetUnattended(t *testing.T) {
	store := fleetStore(t)
	// The read window is around the time now.
	t.Setenv(envPollWindow, windowAroundNow())
	s := startFleet(t, 20, nil)
	importFleet(t, store, s)
	// A prepayment account on the first meter: serve's daily cycle
	// activates it at the meter's first reading.
	ean := s.Fleet().Meters()[0].Identity().EAN
	mustHes(t, store, "account", "create", "--ean", ean, "--energy", "electricity", "--phone", "0470000000", "--agent", "test")

	r := startHes(t, "serve", "--store", store, "--listen", "127.0.0.1:0")
	base := serveAddr(t, r)
	var h health
	eventually(t, 20*time.Second, "the day's cycle", func() bool {
		h = getHealth(t, base)
		return h.LastCycle != nil
	})
	if c := h.LastCycle; h.Status != "ok" || c.Day != today() || c.Read != 20 || c.Failed != 0 {
		t.Errorf("health %+v, last cycle %+v", h, c)
	}

	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("/metrics content type %q", ct)
	}
	for _, want := range []string{
		"# TYPE hes_meter_reads_total counter\nhes_meter_reads_total 20\n",
		`hes_meter_read_failures_total{reason="timeout"} 0`,
		"# TYPE hes_meter_read_session_seconds histogram\n",
		`hes_meter_read_session_seconds_bucket{result="ok",le="+Inf"} 20`,
		`hes_meter_read_session_seconds_count{result="ok"} 20`,
		`hes_poll_last_cycle_meters{result="read"} 20`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, text)
		}
	}

	// The account's balance goes to the meter's screens.
	eventually(t, 20*time.Second, "the display write", func() bool {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return strings.Contains(string(body), `hes_commands_total{kind="display",state="done"} 1`+"\n")
	})
	if h := getHealth(t, base); h.QueueDepth != 0 {
		t.Errorf("queue depth %d once the display is written, want 0", h.QueueDepth)
	}

	if err := r.stop(t); err != nil {
		t.Fatalf("serve ended with %v", err)
	}
	log := r.stderr.String()
	checkLog(t, log)
	var account struct{ State string }
	if err := json.Unmarshal([]byte(mustHes(t, store, "account", "show", ean, "--json")), &account); err != nil || account.State != "ACTIVE" {
		t.Errorf("account of %s after serve's cycle: %+v, %v; want ACTIVE", ean, account, err)
	}
	for _, want := range []string{`"message":"meter: read"`, `"meter_id":"SIM000020"`, `"message":"hes serve: stopped"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %s", want)
		}
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("/healthz still answers after the stop")
	}
	// The store was closed: another command opens it.
	mustHes(t, store, "cmd", "list")
}

// TestServeInterrupted stops hes serve in the middle of the day's cycle
// and of its commands, as SIGTERM does, then starts it again: the second
// run reads the meters left and carries out the commands left, and no
// meter is read twice, no command sent twice.
func TestServeInterrupted(t *testing.T) {
	const n, ncmd = 40, 12
	store := fleetStore(t)
	t.Setenv(envPollWindow, windowAroundNow())
	cfg := writeFile(t, "hes.yaml", "poll:\n  concurrency:\n    global: 4\n")
	s := startFleet(t, n, nil)
	// Every answer comes late, so that the cycle lasts a few seconds.
	spec, err := sim.ParseFaultSpec("slow=100%:15ms")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Fleet().ApplyFaults(spec); err != nil {
		t.Fatal(err)
	}
	importFleet(t, store, s)
	updated := time.Now().UTC().Truncate(time.Second)
	withHeadEnd(t, store, func(h *headEnd) {
		for i := range ncmd {
			d := &meter.DisplayValues{UpdatedAt: updated, Balance: int64(1000 + i), EmergencyCredit: 1500}
			if _, err := h.queue.Enqueue(meter.CommandRequest{MeterID: sim.MeterID(n - 1 - i), Kind: meter.CmdDisplay, Display: d, Origin: "test"}); err != nil {
				t.Fatal(err)
			}
		}
	})

	r := startHes(t, "serve", "--store", store, "--config", cfg, "--listen", "127.0.0.1:0")
	waitFor(t, r.stderr, regexp.MustCompile(`(?s)("message":"meter: read".*){8}`))
	if err := r.stop(t); err != nil {
		t.Fatalf("serve ended with %v", err)
	}
	checkLog(t, r.stderr.String())
	var readFirst int
	withHeadEnd(t, store, func(h *headEnd) {
		sts, err := h.poller.Statuses(today())
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range sts {
			if st.State == meter.PollDone {
				readFirst++
			}
		}
		cs, err := h.queue.List(meter.CommandFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.State == meter.StateRunning {
				t.Errorf("command %d left running", c.ID)
			}
		}
	})
	t.Logf("%d of %d meters read before the stop", readFirst, n)
	if readFirst < 8 || readFirst >= n {
		t.Fatalf("%d meters read before the stop: not in the middle of the cycle", readFirst)
	}

	r = startHes(t, "serve", "--store", store, "--config", cfg, "--listen", "127.0.0.1:0")
	base := serveAddr(t, r)
	var h health
	eventually(t, 60*time.Second, "the rest of the cycle and the commands", func() bool {
		h = getHealth(t, base)
		return h.LastCycle != nil && h.QueueDepth == 0
	})
	if err := r.stop(t); err != nil {
		t.Fatalf("serve ended with %v", err)
	}
	if c := h.LastCycle; c.AlreadyRead != readFirst || c.Read != n-readFirst || c.Failed != 0 {
		t.Errorf("second run: %+v, after %d read by the first", c, readFirst)
	}
	withHeadEnd(t, store, func(h *headEnd) {
		sts, err := h.poller.Statuses(today())
		if err != nil {
			t.Fatal(err)
		}
		for id, st := range sts {
			if st.State != meter.PollDone {
				t.Errorf("%s: %s", id, st.State)
			}
		}
		rs, err := h.store.ReadingsOn(today())
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, r := range rs {
			k := r.MeterID + " " + r.Register.String()
			if seen[k] {
				t.Errorf("reading %s stored twice", k)
			}
			seen[k] = true
			if r.Quality != meter.QualityRead {
				t.Errorf("reading %s: %s", k, r.Quality)
			}
		}
		cs, err := h.queue.List(meter.CommandFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != ncmd {
			t.Errorf("%d commands, want %d", len(cs), ncmd)
		}
		for _, c := range cs {
			if c.State != meter.StateDone || c.Attempts != 1 {
				t.Errorf("command %d: %s after %d attempts: %s", c.ID, c.State, c.Attempts, c.LastError)
			}
			st, err := s.Fleet().Status(c.MeterID)
			if err != nil {
				t.Fatal(err)
			}
			if d := st.Display; d.BalanceCents != c.Params.Display.Balance || !d.LastUpdate.Equal(updated) {
				t.Errorf("%s shows %+v, want %+v", c.MeterID, d, c.Params.Display)
			}
		}
	})
}

func TestServeBadInput(t *testing.T) {
	store := fleetStore(t)
	refusedHes(t, store, "config", "serve", "--config", writeFile(t, "bad.yaml", "poll:\n  windoww: 1\n"))
	_, stderr, status := hes(t, store, "serve", "--listen", "256.0.0.1:1")
	if status != ExitFailure {
		t.Errorf("serve on a bad address: status %d", status)
	}
	oneLineError(t, stderr, "listen")
}

func TestHealthz(t *testing.T) {
	store := fleetStore(t)
	o := &meterStoreOptions{storeOptions: storeOptions{store: store}}
	cfg, err := o.headEndConfig()
	if err != nil {
		t.Fatal(err)
	}
	h, err := o.openHeadEnd(cfg, headEndOptions{})
	if err != nil {
		t.Fatal(err)
	}
	get := func() (int, health) {
		rec := httptest.NewRecorder()
		h.httpHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		var st health
		if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
			t.Fatalf("/healthz: %v in %q", err, rec.Body.String())
		}
		return rec.Code, st
	}
	if code, st := get(); code != http.StatusOK || st.Status != "ok" || st.LastCycle != nil {
		t.Errorf("/healthz: %d %+v", code, st)
	}
	h.cycleDone(meter.Summary{Day: "2026-03-04", Read: 3})
	if _, st := get(); st.LastCycle == nil || st.LastCycle.Read != 3 {
		t.Errorf("/healthz after a cycle: %+v", st)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if code, st := get(); code != http.StatusServiceUnavailable || st.Status != "unavailable" || st.Error == "" {
		t.Errorf("/healthz with the store closed: %d %+v", code, st)
	}
}
