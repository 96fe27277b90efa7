package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/sim"
)

// syncBuffer is a bytes.Buffer that a command writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until re matches what out holds and returns the match.
func waitFor(t *testing.T, out *syncBuffer, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %v in %q", re, out.String())
	return nil
}

func TestSimCommand(t *testing.T) {
	inv := filepath.Join(t.TempDir(), "inventory.json")
	var out, errb syncBuffer
	root := NewRoot(strings.NewReader(""), &out, &errb)
	root.SetArgs([]string{"sim", "--meters", "3", "--gas-share", "1", "--seed", "4", "--speed", "0",
		"--start", "2026-03-02T10:00:00+01:00", "--listen", "127.0.0.1:0", "--port-per-meter", "0",
		"--control", "127.0.0.1:0", "--inventory", inv, "--faults", "refuse=SIM000003", "--serial", "--status-every", "50ms"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	base := waitFor(t, &out, regexp.MustCompile(`control: (http://\S+)`))[1]
	text := out.String()
	for _, want := range []string{
		"hes sim: 3 meters (seed 4), virtual time 2026-03-02T10:00:00+01:00 at 0× real time",
		"listening: 127.0.0.1:",
		"optical port of SIM000001: /dev/",
		"faults: refuse=SIM000003 on 1 meters",
		"inventory: " + inv,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}

	b, err := os.ReadFile(inv)
	if err != nil {
		t.Fatal(err)
	}
	var inventory meter.Inventory
	if err := json.Unmarshal(b, &inventory); err != nil || len(inventory.Meters) != 3 || inventory.Meters[0].Framing != meter.FramingHDLC {
		t.Fatalf("inventory %s: %v", b, err)
	}
	if fi, err := os.Stat(inv); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("inventory mode %v, %v", fi.Mode(), err)
	}

	resp, err := http.Post(base+"/advance?d=48h", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Get(base + "/status")
	if err != nil {
		t.Fatal(err)
	}
	var fv sim.FleetView
	err = json.NewDecoder(resp.Body).Decode(&fv)
	resp.Body.Close()
	if err != nil || len(fv.Meters) != 3 || !fv.Now.Equal(time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)) || fv.Meters[2].Faults[0] != "refuse" {
		t.Errorf("status %+v, %v", fv, err)
	}
	waitFor(t, &out, regexp.MustCompile(`2026-03-04T10:00:00\+01:00  \(3 meters\)\nMETER .*\nSIM000001 `))

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sim ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sim did not stop")
	}
	if !strings.HasSuffix(out.String(), "hes sim: stopped\n") {
		t.Errorf("last output %q", out.String())
	}
}

func TestSimCommandBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"sim", "--meters", "0"},
		{"sim", "--gas-share", "1.5"},
		{"sim", "--speed", "-1"},
		{"sim", "--start", "yesterday"},
		{"sim", "--listen", "", "--port-per-meter", "0"},
		{"sim", "--framing", "serial"},
		{"sim", "--control", "0.0.0.0:8059"},
		{"sim", "--faults", "frozen=1%"},
		{"sim", "--faults", "refuse=SIM999999", "--listen", "127.0.0.1:0"},
		{"sim", "--push", "127.0.0.1:1", "--push-framing", "mqtt"},
	} {
		_, stderr, status := run(t, args...)
		if status != ExitBadUse || !strings.HasPrefix(stderr, "hes: ") {
			t.Errorf("%v: status %d, %q", args, status, stderr)
		}
	}
}
