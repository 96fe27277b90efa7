package cli

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/sim"
)

// pollJSON runs hes poll --json with args and decodes its report.
func pollJSON(t *testing.T, store string, args ...string) pollReport {
	t.Helper()
	out := mustHes(t, store, append([]string{"poll", "--json"}, args...)...)
	var rep pollReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("poll --json: %v in %q", err, out)
	}
	return rep
}

func TestPollFleet(t *testing.T) {
	store := fleetStore(t)
	s := startFleet(t, 12, nil)
	importFleet(t, store, s)

	out := mustHes(t, store, "poll", "--json")
	// The JSON shape that scripts rely on.
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"day", "meters", "read", "already_read", "failed", "failures", "by_reason", "failed_meters"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("poll --json lacks %q: %s", k, out)
		}
	}
	var rep pollReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	day := today()
	if rep.Day != day || rep.Meters != 12 || rep.Read != 12 || rep.Failed != 0 || len(rep.Failures) != 0 || rep.Retries != 0 {
		t.Errorf("first poll: %+v", rep)
	}

	// Every meter has the day's indexes, as the fleet captured them at
	// midnight.
	withMeterStore(t, store, func(st *meter.Store) {
		f := s.Fleet()
		for _, m := range f.Meters() {
			di, err := st.DayIndexes(m.Identity().EAN, day)
			if err != nil {
				t.Fatalf("%s: %v", m.ID(), err)
			}
			if di.Quality != meter.QualityRead {
				t.Errorf("%s: quality %s", m.ID(), di.Quality)
			}
			midnight, err := time.ParseInLocation(time.DateOnly, day, sim.Brussels)
			if err != nil {
				t.Fatal(err)
			}
			r := m.RegistersAt(f.Now(), midnight)
			if got := di.Registers["1-0:1.8.1"] + di.Registers["1-0:1.8.2"]; got != r.ImportTotal() {
				t.Errorf("%s: import %d Wh stored, the meter had %d at midnight", m.ID(), got, r.ImportTotal())
			}
		}
	})

	// A second run reads nothing again; the table says so.
	out = mustHes(t, store, "poll")
	for _, want := range []string{"day:             " + day, "meters:          12", "read:            0 in", "already read:    12", "failed:          0"} {
		if !strings.Contains(out, want) {
			t.Errorf("poll table lacks %q:\n%s", want, out)
		}
	}

	// Some meters, another day.
	before := time.Now().In(sim.Brussels).AddDate(0, 0, -2).Format(time.DateOnly)
	rep = pollJSON(t, store, "--day", before, "--meters", "SIM000002,SIM000001")
	if rep.Day != before || rep.Meters != 2 || rep.Read != 2 {
		t.Errorf("poll of two meters: %+v", rep)
	}
}

func TestPollBadInput(t *testing.T) {
	store := fleetStore(t)
	s := startFleet(t, 1, nil)
	importFleet(t, store, s)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"poll", "--day", "04/03/2026"}, `--day "04/03/2026"`},
		{[]string{"poll", "--attempts", "0"}, "--attempts 0"},
		{[]string{"poll", "--backoff", "0s"}, "--backoff"},
		{[]string{"poll", "--meters", "SIM000001,NOPE"}, `unknown meter`},
		{[]string{"poll", "--meters", ","}, "empty meter id"},
	} {
		refusedHes(t, store, tt.want, tt.args...)
	}
}

// TestPollFaultyFleet reads a fleet of which 5 % misbehave as meters do in
// the field: silent, refusing the association, or corrupting every HDLC
// frame. Every healthy meter is read at the first attempt; every faulty one
// is tried again and reported with the reason of its fault.
func TestPollFaultyFleet(t *testing.T) {
	n := 500
	if raceEnabled || testing.Short() {
		n = 100
	}
	store := fleetStore(t)
	s := startFleet(t, n, func(c *sim.Config) { c.Framing = meter.FramingHDLC })
	spec, err := sim.ParseFaultSpec("silent=2%,refuse=2%,fcs=1%:1")
	if err != nil {
		t.Fatal(err)
	}
	faulty, err := s.Fleet().ApplyFaults(spec)
	if err != nil || len(faulty) == 0 {
		t.Fatalf("faults: %v on %v", err, faulty)
	}
	importFleet(t, store, s)

	start := time.Now()
	rep := pollJSON(t, store, "--timeout", "1s", "--attempts", "2", "--backoff", "50ms")
	t.Logf("%d meters, %d faulty: %s", n, len(faulty), time.Since(start))

	if rep.Meters != n || rep.Read != n-len(faulty) || rep.Failed != len(faulty) || len(rep.Failures) != len(faulty) {
		t.Errorf("read %d, failed %d of %d meters, %d faulty", rep.Read, rep.Failed, rep.Meters, len(faulty))
	}
	if rep.Retries != len(faulty) {
		t.Errorf("%d retries, want one per faulty meter: %d", rep.Retries, len(faulty))
	}
	for _, id := range faulty {
		st, err := s.Fleet().Status(id)
		if err != nil {
			t.Fatal(err)
		}
		var want []meter.Reason
		switch f := st.Faults; {
		case f.RefuseAssociation:
			want = []meter.Reason{meter.ReasonAssociation}
		case f.Silent, f.CorruptFCSEvery > 0:
			want = []meter.Reason{meter.ReasonTimeout, meter.ReasonLink}
		}
		if got := rep.Failures[id]; !slices.Contains(want, got) {
			t.Errorf("%s with faults %+v: reason %q, want one of %v", id, st.Faults, got, want)
		}
	}
	byID := map[string]failedRead{}
	for _, f := range rep.FailedMeters {
		byID[f.MeterID] = f
		if f.Attempts != 2 || f.LastError == "" || f.EAN == "" {
			t.Errorf("failed meter %+v: want 2 attempts, the last error and the EAN", f)
		}
	}
	withHeadEnd(t, store, func(h *headEnd) {
		sts, err := h.poller.Statuses(rep.Day)
		if err != nil {
			t.Fatal(err)
		}
		if len(sts) != n {
			t.Errorf("%d statuses for %d meters", len(sts), n)
		}
		for id, st := range sts {
			_, failed := byID[id]
			switch {
			case failed && st.State != meter.PollFailed:
				t.Errorf("%s: %s, reported failed", id, st.State)
			case !failed && (st.State != meter.PollDone || st.Attempts != 1):
				t.Errorf("%s: %s after %d attempts, want read at the first", id, st.State, st.Attempts)
			}
		}
		// The faulty meters' day is stored as missing, the others' as read.
		rs, err := h.store.ReadingsOn(rep.Day)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			_, failed := byID[r.MeterID]
			if want := map[bool]meter.Quality{true: meter.QualityMissing, false: meter.QualityRead}[failed]; r.Quality != want {
				t.Errorf("%s %s: quality %s, want %s", r.MeterID, r.Register, r.Quality, want)
			}
		}
	})

	// The table lists the meters given up with their reason.
	out := mustHes(t, store, "poll", "--timeout", "1s", "--attempts", "1")
	if !regexp.MustCompile(`(?m)^failed: +\d+ \(`).MatchString(out) || !strings.Contains(out, "METER") {
		t.Errorf("poll table:\n%s", out)
	}
	for _, id := range faulty {
		if !regexp.MustCompile(`(?m)^` + id + ` +\d+ +\S+ +3 +`).MatchString(out) {
			t.Errorf("the table does not list %s given up:\n%s", id, out)
		}
	}
}

// TestPollInterrupted stops hes poll in the middle of its cycle, as
// SIGINT does: it reports how far it got and fails; the next run reads the
// others only.
func TestPollInterrupted(t *testing.T) {
	const n = 30
	store := fleetStore(t)
	cfg := writeFile(t, "hes.yaml", "poll:\n  concurrency:\n    global: 3\n")
	s := startFleet(t, n, nil)
	spec, err := sim.ParseFaultSpec("slow=100%:15ms")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Fleet().ApplyFaults(spec); err != nil {
		t.Fatal(err)
	}
	importFleet(t, store, s)

	r := startHes(t, "poll", "--store", store, "--config", cfg, "--log-level", "info")
	waitFor(t, r.stderr, regexp.MustCompile(`(?s)("message":"meter: read".*){5}`))
	err = r.stop(t)
	if err == nil || !strings.HasPrefix(err.Error(), "poll interrupted: ") || !strings.HasSuffix(err.Error(), "read, the others stay pending for the next run") {
		t.Fatalf("interrupted poll: %v", err)
	}
	m := regexp.MustCompile(`(?m)^read: +(\d+) in`).FindStringSubmatch(r.stdout.String())
	if m == nil {
		t.Fatalf("no report of the interrupted poll:\n%s", r.stdout.String())
	}
	read, _ := strconv.Atoi(m[1])
	if read < 5 || read >= n {
		t.Fatalf("%d of %d meters read before the stop", read, n)
	}
	rep := pollJSON(t, store, "--config", cfg)
	if rep.AlreadyRead != read || rep.Read != n-read || rep.Failed != 0 {
		t.Errorf("second poll %+v after %d read", rep, read)
	}
}
