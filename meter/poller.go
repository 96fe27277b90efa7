package meter

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// The poller.
//
// Every meter is read once a day (ReadDaily) inside a window of local time,
// 01:00 to 06:00 by default, after the meters captured their daily values
// at midnight. A cycle starts every meter as soon as the session limits
// (Limits) allow, in order of meter id, rather than spreading the reads
// over the window: the limits already protect the network, and what is
// left of the window is time for the retries. A failed read is retried
// with exponential backoff and jitter while the window lasts, at most
// MaxAttempts times; a meter whose next try would fall after the window
// is given up at once, with the reason of its last failure. A failing or
// silent meter holds only its own session slots, under a per-attempt
// deadline, so it never delays the others.
//
// The state of each meter's read for the day is kept in the bbolt file
// (PollStatus): a cycle stopped in the middle and started again reads only
// the meters not read yet. Readings are stored before the meter is marked
// read, so a crash in between reads the meter again, which stores nothing
// twice (Store.PutReadings is idempotent).

// Window is the part of the day when the daily reads run: from Start to
// End after local midnight.
type Window struct {
	Start time.Duration
	End   time.Duration
}

// DefaultWindow is 01:00 to 06:00.
var DefaultWindow = Window{Start: time.Hour, End: 6 * time.Hour}

// On returns the window of day (YYYY-MM-DD) in loc. The times are wall
// clock times: on the days of a daylight saving change the window is one
// hour shorter or longer.
func (w Window) On(day string, loc *time.Location) (start, end time.Time, err error) {
	d, err := dayStart(day, loc)
	if err != nil {
		return start, end, err
	}
	wall := func(off time.Duration) time.Time {
		h := int(off / time.Hour)
		return time.Date(d.Year(), d.Month(), d.Day(), h, 0, 0, 0, loc).Add(off - time.Duration(h)*time.Hour)
	}
	return wall(w.Start), wall(w.End), nil
}

// PollerConfig configures a Poller; the zero value gives the defaults.
type PollerConfig struct {
	// Window is when Run reads; DefaultWindow when zero.
	Window Window
	// Timeout is the deadline of one attempt on one meter, session
	// included; 0 means 2 minutes.
	Timeout time.Duration
	// Backoff spaces the retries; 1 min doubling to 15 min with a jitter
	// of 20 % by default.
	Backoff Backoff
	// MaxAttempts bounds the attempts per meter in one cycle; 0 means 8.
	MaxAttempts int
	// Read tunes the daily read; its Now and Logger are the poller's.
	Read ReadOptions
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Rand draws the jitter; a generator seeded from the clock when nil.
	// The poller serialises its use.
	Rand *rand.Rand
	// Logger receives one event per meter read, retried or given up, and
	// one per cycle.
	Logger zerolog.Logger
	// Observer receives the events that metrics count.
	Observer Observer
	// OnCycle, when set, is called by Run with the summary of each cycle,
	// e.g. to start the day's settlement.
	OnCycle func(Summary)
}

// DefaultPollBackoff is the default of PollerConfig.Backoff.
var DefaultPollBackoff = Backoff{Min: time.Minute, Max: 15 * time.Minute, Jitter: 0.2}

// Poller reads the meters every day; see the comment at the top of this
// file. It is safe for concurrent use, but two cycles of the same day at
// once would read their meters twice.
type Poller struct {
	sessions *Sessions
	store    *Store
	cfg      PollerConfig

	mu  sync.Mutex // guards rnd
	rnd *rand.Rand
}

// NewPoller returns a poller that opens its sessions with s.
func NewPoller(s *Sessions, cfg PollerConfig) (*Poller, error) {
	if s == nil {
		return nil, errors.New("meter: a poller needs Sessions")
	}
	if cfg.Window == (Window{}) {
		cfg.Window = DefaultWindow
	}
	if cfg.Window.Start < 0 || cfg.Window.End <= cfg.Window.Start || cfg.Window.End > 24*time.Hour {
		return nil, fmt.Errorf("meter: poll window %v to %v: want 0 ≤ start < end ≤ 24h", cfg.Window.Start, cfg.Window.End)
	}
	if err := cfg.Backoff.validate(); err != nil {
		return nil, err
	}
	cfg.Backoff = cfg.Backoff.withDefaults(DefaultPollBackoff)
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Read.Now, cfg.Read.Logger = cfg.Now, cfg.Logger
	rnd := cfg.Rand
	if rnd == nil {
		seed := uint64(cfg.Now().UnixNano())
		rnd = rand.New(rand.NewPCG(seed, seed>>1|1))
	}
	if err := createBuckets(s.store.db, bucketPoll); err != nil {
		return nil, err
	}
	return &Poller{sessions: s, store: s.store, cfg: cfg, rnd: rnd}, nil
}

// CycleOptions tune one cycle.
type CycleOptions struct {
	// Meters are the ids of the meters to read; every registered meter
	// when nil.
	Meters []string
	// Until is when the cycle gives up the meters not read yet; zero for
	// no limit but MaxAttempts.
	Until time.Time
	// Progress, when set, is called after each meter is read or given up,
	// from the goroutine of RunCycle.
	Progress func(Progress)
}

// Progress tells how far a cycle is.
type Progress struct {
	Done    int    // meters read or given up so far in this run
	Total   int    // meters to read in this run
	MeterID string // the meter just finished
	Reason  Reason // "" when it was read
}

// Summary tells what a cycle did.
type Summary struct {
	Day    string `json:"day"`
	Meters int    `json:"meters"` // meters of the cycle
	// AlreadyRead counts the meters read by an earlier run of the day.
	AlreadyRead int `json:"already_read"`
	// Read counts the meters read by this run; Estimated those of them
	// whose day's indexes are estimated, Incomplete those with registers
	// missing for the day.
	Read       int `json:"read"`
	Estimated  int `json:"estimated"`
	Incomplete int `json:"incomplete"`
	// CaughtUp counts the earlier days filled in, over all the meters.
	CaughtUp int `json:"caught_up"`
	ClockSet int `json:"clock_set"`
	// Failed counts the meters given up, Failures says why, by meter id.
	Failed   int               `json:"failed"`
	Failures map[string]Reason `json:"failures,omitempty"`
	// Retries counts the attempts after a first failure.
	Retries int `json:"retries"`
}

// ByReason counts the failures by reason.
func (s Summary) ByReason() map[Reason]int {
	out := map[Reason]int{}
	for _, r := range s.Failures {
		out[r]++
	}
	return out
}

// pollJob is one meter of a cycle.
type pollJob struct {
	m     Meter
	st    PollStatus
	tries int // attempts in this run
	due   time.Time
	err   error // of the last attempt
}

type pollResult struct {
	j    *pollJob
	read DailyRead
	err  error
	took time.Duration
}

// RunCycle reads the meters for day (YYYY-MM-DD) and returns what it did.
// Meters already read for day are skipped; meters given up by an earlier
// run of the day are tried again. It returns when every meter is read or
// given up (after MaxAttempts, or at opts.Until), or when ctx ends (with
// ctx's error; the meters not read stay pending for the next run).
// Progress is reported as meters finish.
func (p *Poller) RunCycle(ctx context.Context, day string, opts CycleOptions) (Summary, error) {
	sum := Summary{Day: day, Failures: map[string]Reason{}}
	if _, err := dayStart(day, p.store.Location()); err != nil {
		return sum, err
	}
	meters, err := p.meters(opts.Meters)
	if err != nil {
		return sum, err
	}
	statuses, err := loadStatuses(p.store.db, day)
	if err != nil {
		return sum, err
	}
	sum.Meters = len(meters)
	now := p.cfg.Now()
	var pending, waiting []*pollJob
	for _, m := range meters {
		st, ok := statuses[m.ID]
		if !ok {
			st = PollStatus{MeterID: m.ID, Day: day, State: PollPending}
		}
		if st.State == PollDone {
			sum.AlreadyRead++
			continue
		}
		j := &pollJob{m: m, st: st, due: st.NextAttemptAt}
		if j.due.After(now) {
			waiting = append(waiting, j)
		} else {
			pending = append(pending, j)
		}
	}
	total := len(pending) + len(waiting)
	log := p.cfg.Logger.With().Str("day", day).Logger()
	log.Info().Int("meters", total).Int("already_read", sum.AlreadyRead).Msg("meter: poll cycle started")

	results := make(chan pollResult)
	head, inflight, done := 0, 0, 0
	finish := func(j *pollJob, r Reason) {
		done++
		if opts.Progress != nil {
			opts.Progress(Progress{Done: done, Total: total, MeterID: j.m.ID, Reason: r})
		}
	}
	gate := p.sessions.gate
	for {
		now = p.cfg.Now()
		closing := !opts.Until.IsZero() && !now.Before(opts.Until)
		stopped := ctx.Err() != nil || closing
		wake := gate.changed()
		if !stopped {
			// Retries that are due join the queue.
			keep := waiting[:0]
			for _, j := range waiting {
				if j.due.After(now) {
					keep = append(keep, j)
				} else {
					pending = append(pending, j)
				}
			}
			waiting = keep
			// Start every queued meter whose slots are free; a meter that
			// waits for its link keeps its place.
			var blocked []*pollJob
			i := head
			for ; i < len(pending) && !gate.full(); i++ {
				j := pending[i]
				release, ok := gate.tryAcquire(j.m)
				if !ok {
					blocked = append(blocked, j)
					continue
				}
				pending[i] = nil
				j.tries++
				j.st.Attempts++
				if j.tries > 1 {
					sum.Retries++
				}
				inflight++
				go p.attempt(ctx, day, j, release, results)
			}
			head = i - len(blocked)
			copy(pending[head:i], blocked)
		}
		if inflight == 0 && (stopped || (head == len(pending) && len(waiting) == 0)) {
			break
		}
		// Wait for a result, a free slot, the next retry, the window's end
		// or the end of ctx; once stopped, only for the results.
		var timer *time.Timer
		var tick <-chan time.Time
		var cancelled <-chan struct{}
		if !stopped {
			cancelled = ctx.Done()
			next := opts.Until
			for _, j := range waiting {
				if next.IsZero() || j.due.Before(next) {
					next = j.due
				}
			}
			if !next.IsZero() {
				timer = time.NewTimer(max(next.Sub(now), time.Millisecond))
				tick = timer.C
			}
		} else {
			wake = nil
		}
		select {
		case r := <-results:
			inflight--
			p.result(ctx, r, &sum, opts, log, func(retry bool) {
				if retry {
					waiting = append(waiting, r.j)
				} else {
					finish(r.j, sum.Failures[r.j.m.ID])
				}
			})
		case <-wake:
		case <-tick:
		case <-cancelled:
		}
		if timer != nil {
			timer.Stop()
		}
	}
	if err := ctx.Err(); err != nil {
		log.Warn().Err(err).Int("read", sum.Read).Int("left", total-done).Msg("meter: poll cycle interrupted")
		return sum, err
	}
	// The window closed: give up the meters left.
	for _, j := range append(pending[head:], waiting...) {
		r := ReasonOf(j.err)
		if r == "" {
			r = ReasonNotReached
		}
		p.giveUp(day, j, r, &sum, log)
		finish(j, r)
	}
	log.Info().Int("read", sum.Read).Int("failed", sum.Failed).Int("estimated", sum.Estimated).
		Int("caught_up", sum.CaughtUp).Int("retries", sum.Retries).Interface("failures", sum.ByReason()).
		Msg("meter: poll cycle done")
	return sum, nil
}

// meters returns the meters of ids, or every meter.
func (p *Poller) meters(ids []string) ([]Meter, error) {
	if ids == nil {
		return p.store.List()
	}
	out := make([]Meter, 0, len(ids))
	for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		m, err := p.store.Get(id)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// attempt reads j's meter once, with its slots held, and sends the
// result.
func (p *Poller) attempt(ctx context.Context, day string, j *pollJob, release func(), results chan<- pollResult) {
	start := time.Now()
	var read DailyRead
	err := p.sessions.run(ctx, j.m, p.cfg.Timeout, func(ctx context.Context, s *Session) error {
		var err error
		read, err = ReadDaily(ctx, s, day, p.cfg.Read)
		return err
	})
	release()
	results <- pollResult{j: j, read: read, err: err, took: time.Since(start)}
}

// result handles the outcome of an attempt; then says whether the meter
// is to be retried (true) or is finished (false). It is not called for an
// attempt cut short by the end of ctx, whose meter stays pending.
func (p *Poller) result(ctx context.Context, r pollResult, sum *Summary, opts CycleOptions, log zerolog.Logger, then func(retry bool)) {
	j, m := r.j, r.j.m
	mlog := log.With().Str("meter_id", m.ID).Str("ean", m.EAN).Logger()
	reason := ReasonOf(r.err)
	if ctx.Err() != nil && r.err != nil {
		// Stopped, not failed: the meter stays pending for the next run.
		if err := saveStatus(p.store.db, j.st); err != nil {
			mlog.Error().Err(err).Msg("meter: saving the poll status")
		}
		return
	}
	if f := p.cfg.Observer.ReadDone; f != nil {
		f(m.ID, reason, r.took)
	}
	now := p.cfg.Now()
	j.st.UpdatedAt = now.UTC()
	if r.err == nil {
		rd := r.read
		j.st.State, j.st.ReadAt, j.st.NextAttemptAt = PollDone, now.UTC(), time.Time{}
		j.st.Reason, j.st.LastError = "", ""
		j.st.Estimated, j.st.CaughtUp, j.st.Drift, j.st.ClockSet = rd.Estimated, rd.CaughtUp, rd.Drift, rd.ClockSet
		j.st.Breaker, j.st.GasValve = rd.Breaker, rd.GasValve
		if err := saveStatus(p.store.db, j.st); err != nil {
			mlog.Error().Err(err).Msg("meter: saving the poll status")
		}
		sum.Read++
		sum.CaughtUp += len(rd.CaughtUp)
		if rd.Estimated {
			sum.Estimated++
		}
		if len(rd.Missing) > 0 {
			sum.Incomplete++
		}
		if rd.ClockSet {
			sum.ClockSet++
			if f := p.cfg.Observer.ClockSet; f != nil {
				f(m.ID, rd.Drift)
			}
		}
		mlog.Info().Dur("took", r.took).Int("attempt", j.tries).Bool("estimated", rd.Estimated).
			Strs("caught_up", rd.CaughtUp).Dur("drift", rd.Drift).Msg("meter: read")
		then(false)
		return
	}
	j.err = r.err
	j.st.Reason, j.st.LastError = reason, r.err.Error()
	delay := p.delay(j.tries)
	j.due = now.Add(delay)
	if j.tries >= p.cfg.MaxAttempts || permanent(r.err) || (!opts.Until.IsZero() && !j.due.Before(opts.Until)) {
		p.giveUp(j.st.Day, j, reason, sum, log)
		then(false)
		return
	}
	j.st.NextAttemptAt = j.due.UTC()
	if err := saveStatus(p.store.db, j.st); err != nil {
		mlog.Error().Err(err).Msg("meter: saving the poll status")
	}
	if f := p.cfg.Observer.Retry; f != nil {
		f(m.ID, reason)
	}
	mlog.Warn().Err(r.err).Str("reason", string(reason)).Int("attempt", j.tries).Dur("retry_in", delay).Msg("meter: read failed")
	then(true)
}

// giveUp records that meter j is not read for day, and stores its
// registers for the day as missing (a reading of better quality stays).
func (p *Poller) giveUp(day string, j *pollJob, reason Reason, sum *Summary, log zerolog.Logger) {
	m := j.m
	mlog := log.With().Str("meter_id", m.ID).Str("ean", m.EAN).Logger()
	j.st.State, j.st.Reason, j.st.NextAttemptAt, j.st.UpdatedAt = PollFailed, reason, time.Time{}, p.cfg.Now().UTC()
	if j.err == nil {
		j.st.LastError = "the window closed before the meter's turn"
	}
	if err := saveStatus(p.store.db, j.st); err != nil {
		mlog.Error().Err(err).Msg("meter: saving the poll status")
	}
	sum.Failed++
	sum.Failures[m.ID] = reason
	if prof, err := p.store.Profile(m.Profile); err == nil {
		if regs, err := dailyRegisters(m, prof); err == nil {
			missing := make([]Reading, len(regs))
			for i, o := range regs {
				missing[i] = Reading{MeterID: m.ID, Day: day, Register: o.OBIS, Scaler: o.ScalerUnit.Scaler, Unit: o.ScalerUnit.Unit, Quality: QualityMissing}
			}
			if _, err := p.store.PutReadings(missing...); err != nil {
				mlog.Error().Err(err).Msg("meter: storing missing readings")
			}
		}
	}
	mlog.Error().Str("reason", string(reason)).Str("last_error", j.st.LastError).Int("attempts", j.tries).Msg("meter: read given up")
}

// delay returns the wait before retry n.
func (p *Poller) delay(n int) time.Duration {
	p.mu.Lock()
	u := p.rnd.Float64()
	p.mu.Unlock()
	return p.cfg.Backoff.Delay(n, u)
}

// permanent reports whether retrying cannot help: the meter or its keys
// are not in the store, its profile lacks what the read needs.
func permanent(err error) bool {
	for _, e := range []error{ErrUnknownMeter, ErrNoKeys, ErrSealedKeys, ErrNoSealer, ErrUnknownProfile, ErrUnsupported, ErrRemoteClose, ErrNoPendingKeys, ErrKeysRejected, ErrInvalidCommand} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Run reads the meters every day inside the window until ctx ends: at the
// window's start it runs the cycle of the day with the window's end as
// its limit, then waits for the next day. Started inside a window, it runs
// that day's cycle at once (reading only the meters not read yet); started
// after it, it waits for the next day, whose reads catch up the missed
// days from the profile.
func (p *Poller) Run(ctx context.Context) error {
	loc := p.store.Location()
	for {
		now := p.cfg.Now()
		day := now.In(loc).Format(time.DateOnly)
		start, end, err := p.cfg.Window.On(day, loc)
		if err != nil {
			return err
		}
		if now.Before(end) {
			if err := sleep(ctx, start.Sub(now)); err != nil {
				return err
			}
			sum, err := p.RunCycle(ctx, day, CycleOptions{Until: end})
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				p.cfg.Logger.Error().Err(err).Str("day", day).Msg("meter: poll cycle failed")
			} else if p.cfg.OnCycle != nil {
				p.cfg.OnCycle(sum)
			}
		}
		next, _, err := p.cfg.Window.On(addDays(day, 1), loc)
		if err != nil {
			return err
		}
		if err := sleep(ctx, next.Sub(p.cfg.Now())); err != nil {
			return err
		}
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
