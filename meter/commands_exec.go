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
	bolt "go.etcd.io/bbolt"

	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
)

// ExecutorConfig configures an Executor; the zero value gives the
// defaults.
type ExecutorConfig struct {
	// Concurrency bounds the commands under way at once (each on its own
	// meter); 0 means 16. Sessions' Limits apply as well.
	Concurrency int
	// Timeout is the deadline of one attempt, sessions included; 0 means
	// 2 minutes.
	Timeout time.Duration
	// Backoff spaces the attempts; 1 min doubling to 1 h with a jitter of
	// 20 % by default.
	Backoff Backoff
	// ConfirmReads is how many times a breaker's state is read back after
	// an order before the attempt fails as not confirmed; 0 means 5.
	ConfirmReads int
	// ConfirmInterval is the wait between those reads; 0 means 2 s.
	ConfirmInterval time.Duration
	// ClockTolerance is the largest drift accepted after a clock sync;
	// 0 means 5 s.
	ClockTolerance time.Duration
	// Poll is how often Run looks for due commands when nothing wakes it;
	// 0 means 1 minute.
	Poll time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Rand draws the jitter; a generator seeded from the clock when nil.
	Rand *rand.Rand
	// Logger receives one event per attempt.
	Logger zerolog.Logger
}

// DefaultCommandBackoff is the default of ExecutorConfig.Backoff.
var DefaultCommandBackoff = Backoff{Min: time.Minute, Max: time.Hour, Jitter: 0.2}

// Executor carries out the commands of a Queue: each attempt opens a
// management session, sends the order and reads the object back until it
// shows the order's effect:
//
//	display        SET of the three screens, read back equal
//	disconnect     remote_disconnect, control_state read back until 0 (disconnected)
//	arm            control_mode read first: modes 2 and 4 (remote close) are refused
//	               unless AllowRemoteClose; remote_reconnect, control_state read back
//	               until 2 (ready for reconnection) or 1 (closed, by the customer's
//	               button or the allowed remote close)
//	limiter_set    SET of threshold_normal, read back equal
//	limiter_clear  the same with the profile's "off" threshold (99999 W)
//	clock_sync     SET of the time, drift read back within ClockTolerance
//	key_change     global_key_transfer of the staged keys wrapped under the current
//	               KEK, then a new association with them, then PromotePendingKeys
//
// An order already in effect (a breaker already disconnected …) is
// confirmed without being sent again, so that an attempt repeated after a
// crash or a lost answer does no harm. Disconnect and arm act on the gas
// valve (M-Bus channel of the gas meter) for a gas access point.
//
// A failed attempt is retried after a backoff; a command is given up
// after its MaxAttempts, or at once when retrying cannot help (refused).
// A key change given up before the meter took the new keys discards them
// (the old keys stay in use); one given up after keeps them pending, since
// the meter may use them: an agent checks it.
type Executor struct {
	q   *Queue
	s   *Sessions
	cfg ExecutorConfig

	mu  sync.Mutex // guards rnd
	rnd *rand.Rand
}

// NewExecutor returns an executor of q's commands that opens its sessions
// with s.
func NewExecutor(q *Queue, s *Sessions, cfg ExecutorConfig) (*Executor, error) {
	if q == nil || s == nil {
		return nil, errors.New("meter: an executor needs a Queue and Sessions")
	}
	if err := cfg.Backoff.validate(); err != nil {
		return nil, err
	}
	cfg.Backoff = cfg.Backoff.withDefaults(DefaultCommandBackoff)
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if cfg.ConfirmReads <= 0 {
		cfg.ConfirmReads = 5
	}
	if cfg.ConfirmInterval <= 0 {
		cfg.ConfirmInterval = 2 * time.Second
	}
	if cfg.ClockTolerance <= 0 {
		cfg.ClockTolerance = 5 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	rnd := cfg.Rand
	if rnd == nil {
		seed := uint64(cfg.Now().UnixNano())
		rnd = rand.New(rand.NewPCG(seed, seed>>1|1))
	}
	return &Executor{q: q, s: s, cfg: cfg, rnd: rnd}, nil
}

type execResult struct {
	c       Command
	outcome string
	err     error
	took    time.Duration
}

// Run carries out the commands until ctx ends. It first makes the
// commands that a stopped process left running pending again: their
// order may or may not have reached the meter, and the read-back of the
// next attempt tells. When ctx ends, it waits for the attempts under way
// (they are cut short by ctx) and returns ctx's error.
func (e *Executor) Run(ctx context.Context) error {
	if !e.q.exec.TryLock() {
		return ErrExecutorBusy
	}
	defer e.q.exec.Unlock()
	if err := e.recoverRunning(); err != nil {
		return err
	}
	var n int
	return e.loop(ctx, false, &n)
}

// ErrExecutorBusy is returned by Run and RunDue when another executor
// runs the same queue: the running commands that one recovers would be
// the other's.
var ErrExecutorBusy = errors.New("another executor runs this command queue")

// RunDue carries out the commands that are due now, each in its meter's
// order, and returns when none is due any more (commands waiting for a
// retry are left for later): the one-shot form for a command line. It
// returns the number of attempts made. Like Run, it first makes the
// running commands pending again, so Run and RunDue never run at once on
// one queue (ErrExecutorBusy).
func (e *Executor) RunDue(ctx context.Context) (int, error) {
	if !e.q.exec.TryLock() {
		return 0, ErrExecutorBusy
	}
	defer e.q.exec.Unlock()
	if err := e.recoverRunning(); err != nil {
		return 0, err
	}
	n := 0
	err := e.loop(ctx, true, &n)
	return n, err
}

// loop claims and runs the commands until ctx ends or, when untilIdle,
// until none is due; it counts the attempts in attempts.
func (e *Executor) loop(ctx context.Context, untilIdle bool, attempts *int) error {
	busy := map[string]bool{}
	results := make(chan execResult)
	for {
		wake := e.q.wait()
		next := time.Time{}
		// At full capacity, only a result frees a place.
		if ctx.Err() == nil && len(busy) < e.cfg.Concurrency {
			claimed, due, err := e.claim(e.cfg.Concurrency-len(busy), busy)
			if err != nil {
				e.cfg.Logger.Error().Err(err).Msg("meter: claiming commands")
			}
			next = due
			for _, c := range claimed {
				busy[c.MeterID] = true
				*attempts++
				go e.attempt(ctx, c, results)
			}
		}
		// Nothing under way after a claim: nothing was due (or ctx ended).
		if len(busy) == 0 && (ctx.Err() != nil || untilIdle) {
			return ctx.Err()
		}
		var cancelled <-chan struct{}
		var tick <-chan time.Time
		var timer *time.Timer
		if ctx.Err() == nil {
			cancelled = ctx.Done()
			wait := e.cfg.Poll
			if !next.IsZero() {
				wait = min(wait, max(next.Sub(e.cfg.Now()), time.Millisecond))
			}
			if !untilIdle {
				timer = time.NewTimer(wait)
				tick = timer.C
			}
		} else {
			wake = nil
		}
		select {
		case r := <-results:
			delete(busy, r.c.MeterID)
			e.finish(ctx, r)
		case <-wake:
		case <-tick:
		case <-cancelled:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// recoverRunning makes the running commands pending again.
func (e *Executor) recoverRunning() error {
	now := e.cfg.Now().UTC()
	var n int
	err := e.q.db.Update(func(tx *bolt.Tx) error {
		running, err := commandsIn(tx, StateRunning)
		if err != nil {
			return err
		}
		n = len(running)
		for _, c := range running {
			c.State, c.NextAttemptAt = StatePending, now
			if err := putCommand(tx, c, StateRunning); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && n > 0 {
		e.cfg.Logger.Warn().Int("commands", n).Msg("meter: commands left running by a stopped process are pending again")
		e.q.notify()
	}
	return err
}

// claim marks as running up to n due commands, the first open command of
// each meter that is not busy, and returns them with the time when the
// next command falls due (zero when none waits).
func (e *Executor) claim(n int, busy map[string]bool) ([]Command, time.Time, error) {
	now := e.cfg.Now()
	var out []Command
	var next time.Time
	err := e.q.db.Update(func(tx *bolt.Tx) error {
		out, next = nil, time.Time{}
		// The heads that are due, oldest first.
		var due []uint64
		err := openHeads(tx, func(meterID string, id uint64, running bool, at time.Time) bool {
			switch {
			case running || busy[meterID]:
			case at.After(now):
				if next.IsZero() || at.Before(next) {
					next = at
				}
			default:
				due = append(due, id)
			}
			return true
		})
		if err != nil {
			return err
		}
		slices.Sort(due)
		if len(due) > n {
			due, next = due[:max(n, 0)], now
		}
		for _, id := range due {
			c, err := getCommand(tx, id)
			if err != nil {
				return err
			}
			c.State = StateRunning
			c.Attempts++
			if err := putCommand(tx, c, StatePending); err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	if len(out) > 0 {
		e.q.notify()
	}
	return out, next, nil
}

// attempt makes one attempt of c and sends the result.
func (e *Executor) attempt(ctx context.Context, c Command, results chan<- execResult) {
	start := time.Now()
	var outcome string
	var err error
	if c.Kind == CmdKeyChange {
		outcome, err = e.changeKeys(ctx, c)
	} else {
		err = e.s.Do(ctx, c.MeterID, e.cfg.Timeout, func(ctx context.Context, s *Session) error {
			var err error
			outcome, err = e.execute(ctx, s, c)
			return err
		})
	}
	results <- execResult{c: c, outcome: outcome, err: err, took: time.Since(start)}
}

// finish records the outcome of an attempt.
func (e *Executor) finish(ctx context.Context, r execResult) {
	c := r.c
	log := e.cfg.Logger.With().Str("meter_id", c.MeterID).Str("ean", c.EAN).Uint64("command", c.ID).Str("kind", string(c.Kind)).Logger()
	reason := ReasonOf(r.err)
	stopped := r.err != nil && ctx.Err() != nil
	var discard bool
	c, _, err := e.q.change(c.ID, func(c *Command) error {
		now := e.cfg.Now().UTC()
		switch {
		case r.err == nil:
			c.State, c.FinishedAt, c.Outcome, c.LastError, c.Reason, c.NextAttemptAt = StateDone, now, r.outcome, "", "", time.Time{}
		case stopped:
			// Cut short by the end of the process: not an attempt of the
			// meter's.
			c.State, c.NextAttemptAt = StatePending, now
			c.Attempts = max(c.Attempts-1, 0)
		default:
			c.LastError, c.Reason = r.err.Error(), reason
			if c.Attempts >= c.MaxAttempts || permanent(r.err) {
				c.State, c.FinishedAt, c.NextAttemptAt = StateFailed, now, time.Time{}
				discard = c.Kind == CmdKeyChange && c.Stage != stageTransferred && !errors.Is(r.err, ErrKeysRejected)
			} else {
				c.State = StatePending
				c.NextAttemptAt = now.Add(e.delay(c.Attempts))
			}
		}
		return nil
	})
	if err != nil {
		log.Error().Err(err).Msg("meter: recording the outcome of a command")
		return
	}
	switch c.State {
	case StateDone:
		log.Info().Dur("took", r.took).Int("attempt", c.Attempts).Str("outcome", c.Outcome).Msg("meter: command done")
		e.q.final(c)
	case StateFailed:
		if discard {
			if err := e.q.store.DiscardPendingKeys(c.MeterID); err != nil {
				log.Error().Err(err).Msg("meter: discarding the pending keys")
			}
		}
		ev := log.Error().Str("reason", string(c.Reason)).Str("last_error", c.LastError).Int("attempts", c.Attempts)
		if c.Kind == CmdKeyChange && c.Stage == stageTransferred {
			ev = ev.Bool("pending_keys_kept", true)
		}
		ev.Msg("meter: command given up")
		e.q.final(c)
	case StatePending:
		if stopped {
			return
		}
		if f := e.q.cfg.Observer.Retry; f != nil {
			f(c.MeterID, reason)
		}
		log.Warn().Err(r.err).Str("reason", string(reason)).Int("attempt", c.Attempts).Time("next_attempt_at", c.NextAttemptAt).Msg("meter: command failed")
	}
}

// delay returns the wait before retry n.
func (e *Executor) delay(n int) time.Duration {
	e.mu.Lock()
	u := e.rnd.Float64()
	e.mu.Unlock()
	return e.cfg.Backoff.Delay(n, u)
}

// execute carries out command c in session s and confirms it by reading
// back; it returns what the read-back showed.
func (e *Executor) execute(ctx context.Context, s *Session, c Command) (string, error) {
	switch c.Kind {
	case CmdDisplay:
		if c.Params.Display == nil {
			return "", fmt.Errorf("%w: display command without values", ErrInvalidCommand)
		}
		return e.display(ctx, s, *c.Params.Display)
	case CmdDisconnect:
		return e.disconnect(ctx, s, c)
	case CmdArm:
		return e.arm(ctx, s, c)
	case CmdLimiterSet:
		return e.limiter(ctx, s, c.Params.Watts, false)
	case CmdLimiterClear:
		return e.limiter(ctx, s, 0, true)
	case CmdClockSync:
		return e.clockSync(ctx, s)
	}
	return "", fmt.Errorf("%w: kind %q", ErrInvalidCommand, c.Kind)
}

// control returns the disconnect control of c's access point: the
// breaker, or the gas valve of the gas meter.
func control(s *Session, c Command) (Object, error) {
	if c.Energy == EnergyGas && c.EAN != s.Meter.EAN {
		return s.Object(RoleGasValve)
	}
	return s.Object(RoleBreaker)
}

func (e *Executor) disconnect(ctx context.Context, s *Session, c Command) (string, error) {
	o, err := control(s, c)
	if err != nil {
		return "", err
	}
	b, err := s.ReadBreaker(ctx, o.OBIS)
	if err != nil {
		return "", err
	}
	if b.State == Disconnected {
		return "already disconnected", nil
	}
	if b.Mode == 0 {
		return "", fmt.Errorf("%w: %v never disconnects (%v)", ErrUnsupported, b.Mode, o.OBIS)
	}
	if err := s.RemoteDisconnect(ctx, o.OBIS); err != nil {
		return "", err
	}
	return e.confirm(ctx, s, o, func(st ControlState) bool { return st == Disconnected })
}

func (e *Executor) arm(ctx context.Context, s *Session, c Command) (string, error) {
	o, err := control(s, c)
	if err != nil {
		return "", err
	}
	b, err := s.ReadBreaker(ctx, o.OBIS)
	if err != nil {
		return "", err
	}
	switch b.State {
	case ReadyForReconnection:
		return "already ready for reconnection", nil
	case Connected:
		return "already connected", nil
	}
	if ReconnectClosesBreaker(b.Mode) && !c.Params.AllowRemoteClose {
		return "", fmt.Errorf("%w: %v of %v closes at once; an agent may allow a remote close", ErrRemoteClose, b.Mode, o.OBIS)
	}
	if err := s.RemoteReconnect(ctx, o.OBIS); err != nil {
		return "", err
	}
	return e.confirm(ctx, s, o, func(st ControlState) bool { return st == ReadyForReconnection || st == Connected })
}

// confirm reads the control state of o until ok accepts it, at most
// ConfirmReads times.
func (e *Executor) confirm(ctx context.Context, s *Session, o Object, ok func(ControlState) bool) (string, error) {
	var b BreakerState
	for i := range e.cfg.ConfirmReads {
		if i > 0 {
			if err := sleep(ctx, e.cfg.ConfirmInterval); err != nil {
				return "", err
			}
		}
		var err error
		if b, err = s.ReadBreaker(ctx, o.OBIS); err != nil {
			return "", err
		}
		if ok(b.State) {
			return fmt.Sprintf("control state %v, output %v", b.State, closedOrOpen(b.Output)), nil
		}
	}
	return "", fmt.Errorf("%w: control state of %v still %v after %d reads", ErrNotConfirmed, o.OBIS, b.State, e.cfg.ConfirmReads)
}

func closedOrOpen(closed bool) string {
	if closed {
		return "closed"
	}
	return "open"
}

func (e *Executor) display(ctx context.Context, s *Session, d DisplayValues) (string, error) {
	last, err := s.Object(RoleDisplayLastUpdate)
	if err != nil {
		return "", err
	}
	bal, err := s.Object(RoleDisplayBalance)
	if err != nil {
		return "", err
	}
	emer, err := s.Object(RoleDisplayEmergency)
	if err != nil {
		return "", err
	}
	dt := axdr.DateTimeOf(d.UpdatedAt.In(s.Location()))
	v := axdr.OctetString(dt.Append(nil))
	if a, ok := last.Attribute(2); ok && a.Type == axdr.TagDateTime {
		v = axdr.DateTimeData(dt)
	}
	if err := s.WriteData(ctx, last.OBIS, v); err != nil {
		return "", err
	}
	cents := func(n int64) Quantity { return Quantity{Value: n, Scaler: -2, Unit: UnitCurrency} }
	if err := s.WriteRegister(ctx, bal.OBIS, cents(d.Balance)); err != nil {
		return "", err
	}
	if err := s.WriteRegister(ctx, emer.OBIS, cents(d.EmergencyCredit)); err != nil {
		return "", err
	}
	// The read-back.
	got, err := s.ReadDataDateTime(ctx, last.OBIS)
	if err != nil {
		return "", err
	}
	if t, ok := timeOf(got, s.Location()); !ok || !t.Equal(d.UpdatedAt) {
		return "", fmt.Errorf("%w: %v reads %v, want %v", ErrNotConfirmed, last.OBIS, got, dt)
	}
	for _, w := range []struct {
		o    Object
		want int64
	}{{bal, d.Balance}, {emer, d.EmergencyCredit}} {
		q, err := s.ReadRegister(ctx, w.o.OBIS)
		if err != nil {
			return "", err
		}
		if n, err := q.Int(-2); err != nil || n != w.want {
			return "", fmt.Errorf("%w: %v reads %v, want %v", ErrNotConfirmed, w.o.OBIS, q, cents(w.want))
		}
	}
	return fmt.Sprintf("display %s, balance %s, emergency credit %s", d.UpdatedAt.In(s.Location()).Format(time.DateTime),
		cents(d.Balance).Decimal(), cents(d.EmergencyCredit).Decimal()), nil
}

func (e *Executor) limiter(ctx context.Context, s *Session, watts int64, clear bool) (string, error) {
	o, err := s.Object(RoleLimiter)
	if err != nil {
		return "", err
	}
	if clear {
		watts = o.ThresholdOff
		if watts == 0 {
			watts = 99999
		}
	}
	cur, err := s.ReadLimiter(ctx, o.OBIS)
	if err != nil {
		return "", err
	}
	if cur.ThresholdNormal == watts {
		return fmt.Sprintf("threshold already %d", watts), nil
	}
	if err := s.SetLimiterThreshold(ctx, o.OBIS, watts); err != nil {
		return "", err
	}
	got, err := s.ReadLimiter(ctx, o.OBIS)
	if err != nil {
		return "", err
	}
	if got.ThresholdNormal != watts {
		return "", fmt.Errorf("%w: %v threshold reads %d, want %d", ErrNotConfirmed, o.OBIS, got.ThresholdNormal, watts)
	}
	return fmt.Sprintf("threshold %d", watts), nil
}

func (e *Executor) clockSync(ctx context.Context, s *Session) (string, error) {
	o, err := s.Object(RoleClock)
	if err != nil {
		return "", err
	}
	if err := s.SetTime(ctx, o.OBIS, e.cfg.Now()); err != nil {
		return "", err
	}
	drift, err := s.Drift(ctx, o.OBIS, e.cfg.Now)
	if err != nil {
		return "", err
	}
	if drift.Abs() > e.cfg.ClockTolerance {
		return "", fmt.Errorf("%w: clock drift %v after setting it", ErrNotConfirmed, drift)
	}
	return fmt.Sprintf("clock set, drift %v", drift), nil
}

// stageTransferred marks a key change whose keys the meter accepted.
const stageTransferred = "transferred"

// ErrKeysRejected: after a key transfer, the meter still takes its old
// keys and not the new ones; the new keys are discarded.
var ErrKeysRejected = errors.New("the meter did not take the new keys")

// changeKeys runs one attempt of a key change (see Executor).
func (e *Executor) changeKeys(ctx context.Context, c Command) (string, error) {
	st := e.q.store
	m, err := st.Get(c.MeterID)
	if err != nil {
		return "", err
	}
	release, err := e.s.gate.acquire(ctx, m)
	if err != nil {
		return "", err
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	pend, err := st.PendingKeys(m.ID)
	if err != nil {
		return "", err
	}
	if keysRef(pend) != c.Params.Keys {
		return "", fmt.Errorf("%w: the keys staged for meter %q changed after command %d was queued", ErrNoPendingKeys, m.ID, c.ID)
	}
	cur, err := st.Keys(m.ID)
	if err != nil {
		return "", err
	}
	if cur.KEK.IsZero() {
		return "", fmt.Errorf("meter %q: %w: no master key (KEK) to wrap the new keys", m.ID, ErrNoKeys)
	}
	noop := func(context.Context, *Session) error { return nil }
	promote := func(how string) (string, error) {
		if err := st.PromotePendingKeys(m.ID); err != nil {
			return "", err
		}
		return how, nil
	}
	if c.Stage == stageTransferred {
		// An earlier attempt transferred the keys: maybe the meter uses
		// them already.
		err := e.s.with(ctx, m, true, noop)
		if err == nil {
			return promote("new keys verified")
		}
		if !keyRejection(err) {
			return "", err
		}
	}
	var transfer []security.KeyData
	for _, k := range []struct {
		id       security.KeyID
		cur, new Secret
	}{{security.KeyGlobalUnicast, cur.EK, pend.EK}, {security.KeyAuthentication, cur.AK, pend.AK}, {security.KeyMaster, cur.KEK, pend.KEK}} {
		if !k.new.IsZero() && !k.new.Equal(k.cur) {
			transfer = append(transfer, security.KeyData{ID: k.id, Key: k.new.Bytes()})
		}
	}
	if len(transfer) == 0 {
		return promote("nothing to transfer: the staged keys are the current ones")
	}
	err = e.s.with(ctx, m, false, func(ctx context.Context, s *Session) error {
		o, err := s.Object(RoleSecuritySetup)
		if err != nil {
			return err
		}
		return s.TransferGlobalKeys(ctx, o.OBIS, cur.KEK.Bytes(), transfer...)
	})
	for _, k := range transfer {
		clear(k.Key)
	}
	if err != nil {
		return "", err
	}
	if _, _, err := e.q.change(c.ID, func(c *Command) error { c.Stage = stageTransferred; return nil }); err != nil {
		return "", err
	}
	err = e.s.with(ctx, m, true, noop)
	if err == nil {
		return promote(fmt.Sprintf("%d keys transferred and verified", len(transfer)))
	}
	if keyRejection(err) {
		if e.s.with(ctx, m, false, noop) == nil {
			// The meter kept its keys: the new ones are of no use.
			if derr := st.DiscardPendingKeys(m.ID); derr != nil {
				return "", derr
			}
			return "", fmt.Errorf("%w: an association with them failed (%w), one with the current keys works", ErrKeysRejected, err)
		}
	}
	return "", err
}

// keyRejection reports whether err is an association that failed for the
// keys.
func keyRejection(err error) bool {
	switch ReasonOf(err) {
	case ReasonAuthentication, ReasonDeciphering, ReasonAssociation:
		return true
	}
	return false
}
