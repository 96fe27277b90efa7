package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/openhes/hes/meter"
)

// cycleProgress draws the progress of a read cycle on a terminal: a bar of
// the meters finished, with the count of those given up.
type cycleProgress struct {
	w      io.Writer
	bar    *progressbar.ProgressBar
	failed int
}

// newCycleProgress returns the progress bar of a cycle on w, or nil when w
// is not a terminal: a log file or a pipe gets no bar.
func newCycleProgress(w io.Writer) *cycleProgress {
	if !isTerminal(w) {
		return nil
	}
	return &cycleProgress{w: w}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// update moves the bar to p; it is a meter.CycleOptions.Progress. A nil
// cycleProgress does nothing.
func (c *cycleProgress) update(p meter.Progress) {
	if c == nil {
		return
	}
	if c.bar == nil {
		c.bar = progressbar.NewOptions(p.Total,
			progressbar.OptionSetWriter(c.w),
			progressbar.OptionSetDescription("reading"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
		)
	}
	if p.Reason != "" {
		c.failed++
		c.bar.Describe(fmt.Sprintf("reading (%d failed)", c.failed))
	}
	c.bar.Set(p.Done)
}

// finish removes the bar from the terminal.
func (c *cycleProgress) finish() {
	if c == nil || c.bar == nil {
		return
	}
	c.bar.Clear()
}
