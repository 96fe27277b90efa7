package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/openhes/hes/meter"
)

type pollOptions struct {
	meterStoreOptions
	day      string
	meters   []string
	attempts int
	backoff  time.Duration
	timeout  time.Duration
}

func newPollCmd(g *globals) *cobra.Command {
	o := &pollOptions{}
	cmd := &cobra.Command{
		Use:   "poll [--day YYYY-MM-DD] [--meters ID,...]",
		Short: "Read the meters now for a day, and print what the cycle did",
		Long: `Run the daily read of every registered meter (or of --meters) now, for --day
(default: today in the meters' time zone), whatever the poll window: the
clock, the day's billing values (and the days missed before it, from the
profile), the breaker. Meters already read for the day are skipped, so poll
may be run again to read only the others; readings are stored once per meter
and day whatever happens.

A failed read is tried again after --backoff (doubling), at most --attempts
times, each attempt bounded by --timeout: a short policy, so that a hand-run
cycle ends in minutes rather than in the hours of the nightly one (hes serve
uses the configuration's poll.retry).

It prints the meters read, already read and given up, by reason, then each
meter given up with its reason; --json prints one object. A progress bar is
drawn on stderr when it is a terminal. The exit status is 0 when the cycle
ran, even with meters given up, 1 when it could not run or was interrupted
(the meters not read yet stay pending for the next run).`,
		Example: `  hes poll
  hes poll --day 2026-03-04 --meters SIM000001,SIM000002 --json
  hes poll --attempts 5 --backoff 10s --timeout 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, g)
		},
	}
	o.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.day, "day", "", "the day to read, `YYYY-MM-DD` (default: today in the meters' time zone)")
	f.StringSliceVar(&o.meters, "meters", nil, "read only these meters, by `ID`, comma-separated")
	f.IntVar(&o.attempts, "attempts", 3, "attempts per meter before it is given up")
	f.DurationVar(&o.backoff, "backoff", 2*time.Second, "wait before the first retry of a meter, doubling after each")
	f.DurationVar(&o.timeout, "timeout", 0, "bound of one attempt on one meter, session included (default: the configuration's poll.meter_deadline)")
	return cmd
}

// pollBackoffGrowth bounds the retry waits of hes poll at this multiple
// of --backoff.
const pollBackoffGrowth = 4

// commandLogger is the logger of a command that reports what it did on
// stdout: the meter package's events go to stderr only when --log-level
// is given.
func commandLogger(cmd *cobra.Command, g *globals) zerolog.Logger {
	if f := cmd.Flags().Lookup("log-level"); f == nil || !f.Changed {
		return zerolog.Nop()
	}
	return g.logger()
}

func (o *pollOptions) run(cmd *cobra.Command, g *globals) (err error) {
	switch {
	case o.attempts < 1:
		return badInput("--attempts %d: want at least 1", o.attempts)
	case o.backoff <= 0:
		return badInput("--backoff %s: want a positive duration", o.backoff)
	case o.timeout < 0:
		return badInput("--timeout %s: want a positive duration", o.timeout)
	}
	for _, id := range o.meters {
		if strings.TrimSpace(id) == "" {
			return badInput("--meters: an empty meter id")
		}
	}
	cfg, err := o.headEndConfig()
	if err != nil {
		return err
	}
	h, err := o.openHeadEnd(cfg, headEndOptions{
		log: commandLogger(cmd, g),
		poller: func(pc *meter.PollerConfig) {
			pc.MaxAttempts = o.attempts
			pc.Backoff = meter.Backoff{Min: o.backoff, Max: pollBackoffGrowth * o.backoff, Jitter: 0.2}
			if o.timeout > 0 {
				pc.Timeout = o.timeout
			}
		},
	})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := h.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	day := o.day
	if day == "" {
		day = h.now().In(h.loc).Format(time.DateOnly)
	} else if _, err := time.ParseInLocation(time.DateOnly, day, h.loc); err != nil {
		return badInput("--day %q: want a date YYYY-MM-DD", day)
	}
	var bar *cycleProgress
	if !g.json {
		bar = newCycleProgress(g.stderr)
	}
	start := time.Now()
	var lastRead time.Time // when the last meter was read
	opts := meter.CycleOptions{Meters: o.meters, Progress: func(p meter.Progress) {
		if p.Reason == "" {
			lastRead = time.Now()
		}
		bar.update(p)
	}}
	sum, err := h.poller.RunCycle(cmd.Context(), day, opts)
	took := time.Since(start)
	bar.finish()
	if err != nil && cmd.Context().Err() == nil {
		return meterRefusal(err)
	}
	reading := time.Duration(0)
	if !lastRead.IsZero() {
		reading = lastRead.Sub(start)
	}
	rep, rerr := newPollReport(h, sum, took, reading)
	if rerr != nil {
		return rerr
	}
	if werr := rep.write(g); werr != nil {
		return werr
	}
	if err != nil {
		return fmt.Errorf("poll interrupted: %d %s read, the others stay pending for the next run", sum.Read, plural(sum.Read, "meter", "meters"))
	}
	return nil
}

// pollReport is what hes poll prints: the cycle's summary with the
// failures explained.
type pollReport struct {
	Day         string `json:"day"`
	Meters      int    `json:"meters"`
	Read        int    `json:"read"`
	AlreadyRead int    `json:"already_read"`
	Estimated   int    `json:"estimated"`
	Incomplete  int    `json:"incomplete"`
	CaughtUp    int    `json:"caught_up"`
	ClockSet    int    `json:"clock_set"`
	Retries     int    `json:"retries"`
	Failed      int    `json:"failed"`
	// Failures gives the reason of each meter given up, by id.
	Failures map[string]meter.Reason `json:"failures"`
	// ByReason counts the meters given up by reason.
	ByReason map[meter.Reason]int `json:"by_reason"`
	// FailedMeters explain each meter given up, by id.
	FailedMeters []failedRead `json:"failed_meters"`
	// Seconds is how long the cycle took, retries included; ReadSeconds
	// how long until the last meter was read, and ReadPerSecond the
	// meters read per second of it.
	Seconds       float64 `json:"seconds"`
	ReadSeconds   float64 `json:"read_seconds"`
	ReadPerSecond float64 `json:"read_per_second"`
}

// failedRead is a meter given up.
type failedRead struct {
	MeterID   string       `json:"meter_id"`
	EAN       string       `json:"ean"`
	Reason    meter.Reason `json:"reason"`
	Attempts  int          `json:"attempts"`
	LastError string       `json:"last_error"`
}

func newPollReport(h *headEnd, s meter.Summary, took, reading time.Duration) (pollReport, error) {
	r := pollReport{
		Day: s.Day, Meters: s.Meters, Read: s.Read, AlreadyRead: s.AlreadyRead, Estimated: s.Estimated,
		Incomplete: s.Incomplete, CaughtUp: s.CaughtUp, ClockSet: s.ClockSet, Retries: s.Retries,
		Failed: s.Failed, Failures: map[string]meter.Reason{}, ByReason: s.ByReason(),
		FailedMeters: []failedRead{}, Seconds: took.Seconds(), ReadSeconds: reading.Seconds(),
	}
	if reading > 0 {
		r.ReadPerSecond = float64(s.Read) / reading.Seconds()
	}
	for id, reason := range s.Failures {
		r.Failures[id] = reason
		f := failedRead{MeterID: id, Reason: reason}
		if m, err := h.store.Get(id); err == nil {
			f.EAN = m.EAN
		}
		st, err := h.poller.Status(s.Day, id)
		if err != nil {
			return r, err
		}
		f.Attempts, f.LastError = st.Attempts, st.LastError
		r.FailedMeters = append(r.FailedMeters, f)
	}
	slices.SortFunc(r.FailedMeters, func(a, b failedRead) int { return strings.Compare(a.MeterID, b.MeterID) })
	return r, nil
}

func (r pollReport) write(g *globals) error {
	if g.json {
		return writeJSON(g.stdout, r)
	}
	failed := strconv.Itoa(r.Failed)
	if r.Failed > 0 {
		failed += " (" + reasonCounts(r.ByReason) + ")"
	}
	if err := keyValues(g.stdout,
		[2]string{"day", r.Day},
		[2]string{"meters", strconv.Itoa(r.Meters)},
		[2]string{"read", fmt.Sprintf("%d in %.1fs (%.1f per second)", r.Read, r.ReadSeconds, r.ReadPerSecond)},
		[2]string{"already read", strconv.Itoa(r.AlreadyRead)},
		[2]string{"estimated", strconv.Itoa(r.Estimated)},
		[2]string{"incomplete", strconv.Itoa(r.Incomplete)},
		[2]string{"days caught up", strconv.Itoa(r.CaughtUp)},
		[2]string{"clocks set", strconv.Itoa(r.ClockSet)},
		[2]string{"retries", strconv.Itoa(r.Retries)},
		[2]string{"failed", failed},
		[2]string{"took", fmt.Sprintf("%.1fs", r.Seconds)},
	); err != nil {
		return err
	}
	if len(r.FailedMeters) == 0 {
		return nil
	}
	fmt.Fprintln(g.stdout)
	t := newTableOf("meter", "ean", "reason", "attempts", "last error")
	for _, f := range r.FailedMeters {
		t.add(f.MeterID, f.EAN, string(f.Reason), strconv.Itoa(f.Attempts), f.LastError)
	}
	return t.write(g.stdout)
}

// reasonCounts writes counts by reason, the largest first: "timeout 10,
// link 2".
func reasonCounts(by map[meter.Reason]int) string {
	reasons := make([]meter.Reason, 0, len(by))
	for r := range by {
		reasons = append(reasons, r)
	}
	slices.SortFunc(reasons, func(a, b meter.Reason) int {
		if by[a] != by[b] {
			return by[b] - by[a]
		}
		return strings.Compare(string(a), string(b))
	})
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%s %d", r, by[r])
	}
	return strings.Join(parts, ", ")
}
