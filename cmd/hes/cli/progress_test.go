package cli

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/openhes/hes/meter"
)

func TestCycleProgress(t *testing.T) {
	if p := newCycleProgress(&bytes.Buffer{}); p != nil {
		t.Fatal("a progress bar on a buffer")
	}
	var none *cycleProgress
	none.update(meter.Progress{Done: 1, Total: 2})
	none.finish()

	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	out := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(ptmx)
		out <- string(b)
	}()
	p := newCycleProgress(tty)
	if p == nil {
		t.Fatal("no progress bar on a terminal")
	}
	p.update(meter.Progress{Done: 1, Total: 3, MeterID: "M1"})
	time.Sleep(150 * time.Millisecond) // past the throttle
	p.update(meter.Progress{Done: 2, Total: 3, MeterID: "M2", Reason: meter.ReasonTimeout})
	p.finish()
	tty.Close()
	text := <-out
	for _, want := range []string{"reading", "(1/3", "reading (1 failed)"} {
		if !strings.Contains(text, want) {
			t.Errorf("the terminal lacks %q: %q", want, text)
		}
	}
}
