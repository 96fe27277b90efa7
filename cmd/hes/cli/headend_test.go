package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/sim"
)

// The head-end tests run the real root command against a fleet of the
// simulator served in-process on loopback TCP, each meter on a port of its
// own, with a real bbolt file. The head-end and the fleet run on the real
// time: commands run one after the other, each with its own clock, and
// retries fall due as time passes.

// fleetStore fixes the environment of the head-end tests, with the master
// key and the real time, and returns the path of a new store file.
func fleetStore(t *testing.T) string {
	t.Helper()
	store := meterStore(t)
	t.Setenv(envNow, "")
	return store
}

// today is the meters' day now.
func today() string { return time.Now().In(sim.Brussels).Format(time.DateOnly) }

// windowAroundNow is a poll window of two hours around the local time
// now, as HES_POLL_WINDOW reads it.
func windowAroundNow() string {
	now := time.Now().In(sim.Brussels)
	mins := now.Hour()*60 + now.Minute()
	from, until := max(mins-60, 0), min(mins+60, 24*60)
	return fmt.Sprintf("%02d:%02d-%02d:%02d", from/60, from%60, until/60, until%60)
}

// startFleet serves a fleet of n meters for the test; adjust, when set,
// changes the configuration first.
func startFleet(t *testing.T, n int, adjust func(*sim.Config)) *sim.Server {
	t.Helper()
	cfg := sim.Config{
		FleetConfig: sim.FleetConfig{Seed: 7, Size: n, GasShare: 0.3, PVShare: 0.2, Start: time.Now(), Speed: 1},
		MeterPorts:  true,
	}
	if adjust != nil {
		adjust(&cfg)
	}
	return sim.StartTest(t, cfg)
}

// importFleet registers the fleet's meters in store with hes meters import.
func importFleet(t *testing.T, store string, s *sim.Server) {
	t.Helper()
	var b bytes.Buffer
	if err := s.WriteInventory(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "inventory.json")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	mustHes(t, store, "meters", "import", path)
}

// hesRun is a command of the root running in the background.
type hesRun struct {
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan error
}

// startHes runs the root command with args in the background, until it
// returns or stop is called.
func startHes(t *testing.T, args ...string) *hesRun {
	t.Helper()
	r := &hesRun{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	root := NewRoot(strings.NewReader(""), r.stdout, r.stderr)
	root.SetArgs(args)
	go func() { r.done <- root.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
		}
	})
	return r
}

// stop cancels the command's context, as SIGTERM does, and returns its
// error.
func (r *hesRun) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("the command did not stop; stderr:\n%s", r.stderr.String())
		return nil
	}
}

// eventually waits until cond holds, failing the test after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// withHeadEnd opens the head-end of store, with the configuration of the
// environment, runs fn and closes it.
func withHeadEnd(t *testing.T, store string, fn func(h *headEnd)) {
	t.Helper()
	o := &meterStoreOptions{storeOptions: storeOptions{store: store}}
	cfg, err := o.headEndConfig()
	if err != nil {
		t.Fatal(err)
	}
	h, err := o.openHeadEnd(cfg, headEndOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := h.Close(); err != nil {
			t.Error(err)
		}
	}()
	fn(h)
}

func TestHeadEndAssembly(t *testing.T) {
	store := fleetStore(t)
	s := startFleet(t, 2, nil)
	importFleet(t, store, s)
	withHeadEnd(t, store, func(h *headEnd) {
		if h.store == nil || h.sessions == nil || h.poller == nil || h.queue == nil || h.executor == nil || h.metrics == nil {
			t.Fatalf("head-end not assembled: %+v", h)
		}
		if h.loc.String() != "Europe/Brussels" {
			t.Errorf("location %s", h.loc)
		}
		if d := time.Since(h.now()); d.Abs() > time.Second {
			t.Errorf("clock %s, want the real time", h.now())
		}
		if h.now().Location() != time.UTC {
			t.Errorf("clock in %s, want UTC", h.now().Location())
		}
		var cycles []string
		h.AfterCycle(func(s meter.Summary) { cycles = append(cycles, s.Day) })
		h.cycleDone(meter.Summary{Day: "2026-03-04", Read: 2})
		if len(cycles) != 1 || cycles[0] != "2026-03-04" {
			t.Errorf("AfterCycle hooks saw %v", cycles)
		}
		if last, ok := h.metrics.lastCycle(); !ok || last.Read != 2 {
			t.Errorf("last cycle %+v, %v", last, ok)
		}
		var finals []uint64
		h.OnFinal(func(c meter.Command) { finals = append(finals, c.ID) })
		c, err := h.queue.Enqueue(meter.CommandRequest{MeterID: "SIM000001", Kind: meter.CmdClockSync})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.queue.Cancel(c.ID, "test"); err != nil {
			t.Fatal(err)
		}
		if len(finals) != 1 || finals[0] != c.ID {
			t.Errorf("OnFinal hooks saw %v", finals)
		}
	})
}

func TestHeadEndNeedsMasterKey(t *testing.T) {
	store := fleetStore(t)
	t.Setenv(meter.EnvMasterKey, "")
	for _, args := range [][]string{{"serve"}, {"poll"}, {"cmd", "run"}, {"keys", "rotate", "SIM000001"}} {
		_, stderr, status := hes(t, store, args...)
		if status != ExitBadUse {
			t.Errorf("%v: status %d, want %d", args, status, ExitBadUse)
		}
		oneLineError(t, stderr, "no master key")
	}
	// The store file was not even created.
	if _, err := os.Stat(store); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("store %s: %v", store, err)
	}
}

func TestRunningClock(t *testing.T) {
	t.Setenv(envNow, "2026-03-04T10:00:00+01:00")
	now, err := runningClock()
	if err != nil {
		t.Fatal(err)
	}
	a := now()
	time.Sleep(20 * time.Millisecond)
	b := now()
	start := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	if a.Before(start) || a.Sub(start) > time.Second || !b.After(a) || b.Location() != time.UTC {
		t.Errorf("clock from %s: %s then %s", start, a, b)
	}
	t.Setenv(envNow, "")
	if now, err = runningClock(); err != nil || time.Since(now()).Abs() > time.Second {
		t.Errorf("real clock: %v, %v", now(), err)
	}
	t.Setenv(envNow, "yesterday")
	if _, err := runningClock(); err == nil {
		t.Error("a malformed HES_NOW is accepted")
	}
}
