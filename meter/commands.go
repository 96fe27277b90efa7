package meter

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"
	bolt "go.etcd.io/bbolt"
)

// The command queue.
//
// A Command is an order for a meter that the head-end keeps in the bbolt
// file until it is carried out and confirmed by reading the object back,
// or given up: nothing is lost across restarts. Enqueue records it;
// an Executor (commands_exec.go) sends it, confirms it, retries it with
// backoff and gives it up after MaxAttempts with the reason.
//
// The rules of the queue:
//   - a meter runs one command at a time, in the order they were queued
//     (strict FIFO: a command waiting for its retry holds back the
//     meter's later commands);
//   - a display write supersedes the meter's older display writes that
//     have not started;
//   - any other command equal to one that is still open (same meter,
//     access point, kind and parameters) is not queued twice: Enqueue
//     returns the open one;
//   - an idempotency key (e.g. a prepayment decision id) maps to exactly
//     one command: Enqueue with a known key returns that command;
//   - a command record never holds key material: a key change refers to
//     the keys staged with Store.StagePendingKeys, by fingerprint.

// CommandKind is what a command does.
type CommandKind string

// The command kinds.
const (
	// CmdDisplay writes the three prepayment screens.
	CmdDisplay CommandKind = "display"
	// CmdDisconnect opens the breaker (the gas valve for a gas access
	// point).
	CmdDisconnect CommandKind = "disconnect"
	// CmdArm arms the reconnection: the customer closes with the button.
	CmdArm CommandKind = "arm"
	// CmdLimiterSet sets the power limiter's threshold.
	CmdLimiterSet CommandKind = "limiter_set"
	// CmdLimiterClear deactivates the power limiter.
	CmdLimiterClear CommandKind = "limiter_clear"
	// CmdClockSync sets the meter's clock to the head-end's.
	CmdClockSync CommandKind = "clock_sync"
	// CmdKeyChange transfers the staged pending keys, proves them with a
	// new association and makes them current.
	CmdKeyChange CommandKind = "key_change"
)

// CommandKinds lists the kinds, for metrics and the command line.
var CommandKinds = []CommandKind{CmdDisplay, CmdDisconnect, CmdArm, CmdLimiterSet, CmdLimiterClear, CmdClockSync, CmdKeyChange}

func (k CommandKind) valid() bool {
	for _, c := range CommandKinds {
		if k == c {
			return true
		}
	}
	return false
}

// CommandState is where a command is.
type CommandState string

// The command states. Pending and running commands are open; the others
// are final.
const (
	StatePending    CommandState = "pending"    // waiting for its turn or its next attempt
	StateRunning    CommandState = "running"    // an attempt is under way
	StateDone       CommandState = "done"       // carried out and confirmed
	StateFailed     CommandState = "failed"     // given up; LastError and Reason say why
	StateCancelled  CommandState = "cancelled"  // cancelled by an agent before it ran
	StateSuperseded CommandState = "superseded" // replaced by a newer display write
)

// CommandStates lists the states.
var CommandStates = []CommandState{StatePending, StateRunning, StateDone, StateFailed, StateCancelled, StateSuperseded}

// Open reports whether the command may still run.
func (s CommandState) Open() bool { return s == StatePending || s == StateRunning }

func (s CommandState) valid() bool {
	for _, c := range CommandStates {
		if s == c {
			return true
		}
	}
	return false
}

// DisplayValues are the three prepayment screens.
type DisplayValues struct {
	UpdatedAt       time.Time `json:"updated_at"`       // screen 1: the last balance update, to the second
	Balance         int64     `json:"balance"`          // screen 2: the balance in cents, negative in debt
	EmergencyCredit int64     `json:"emergency_credit"` // screen 3: the emergency credit left, in cents
}

// CommandParams are the parameters of a command; each kind uses its own.
type CommandParams struct {
	Display *DisplayValues `json:"display,omitempty"` // CmdDisplay
	Watts   int64          `json:"watts,omitempty"`   // CmdLimiterSet
	// AllowRemoteClose lets CmdArm send remote_reconnect to a meter whose
	// control mode closes the breaker at once (modes 2 and 4): an agent's
	// explicit request for a remote close.
	AllowRemoteClose bool `json:"allow_remote_close,omitempty"`
	// Keys is the fingerprint of the pending encryption and
	// authentication keys that CmdKeyChange transfers, taken when it was
	// queued: keys staged again meanwhile are refused.
	Keys string `json:"keys,omitempty"`
}

func (p CommandParams) equal(q CommandParams) bool {
	if (p.Display == nil) != (q.Display == nil) {
		return false
	}
	if p.Display != nil && (!p.Display.UpdatedAt.Equal(q.Display.UpdatedAt) ||
		p.Display.Balance != q.Display.Balance || p.Display.EmergencyCredit != q.Display.EmergencyCredit) {
		return false
	}
	return p.Watts == q.Watts && p.AllowRemoteClose == q.AllowRemoteClose && p.Keys == q.Keys
}

// Command is an order for a meter, as the queue keeps it.
type Command struct {
	ID      uint64        `json:"id"`
	MeterID string        `json:"meter_id"`
	EAN     string        `json:"ean"`    // the access point: the meter's, or its gas meter's
	Energy  Energy        `json:"energy"` // of the access point: gas commands act on the valve
	Kind    CommandKind   `json:"kind"`
	Params  CommandParams `json:"params"`
	// Origin says who asked, e.g. "prepay" or "agent:jdoe".
	Origin         string       `json:"origin,omitempty"`
	IdempotencyKey string       `json:"idempotency_key,omitempty"`
	State          CommandState `json:"state"`
	RequestedAt    time.Time    `json:"requested_at"`
	// Attempts counts the attempts made; MaxAttempts is the limit after
	// which the command is given up.
	Attempts      int       `json:"attempts"`
	MaxAttempts   int       `json:"max_attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	// LastError is the error of the last failed attempt, Reason its class.
	LastError  string    `json:"last_error,omitempty"`
	Reason     Reason    `json:"reason,omitempty"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Outcome is what the read-back showed, e.g. "control state
	// disconnected".
	Outcome      string `json:"outcome,omitempty"`
	SupersededBy uint64 `json:"superseded_by,omitempty"`
	// Stage records the progress of a key change across attempts:
	// "transferred" once the meter accepted the new keys.
	Stage string `json:"stage,omitempty"`
}

// Errors of the commands.
var (
	// ErrUnknownCommand: no command has that id or idempotency key.
	ErrUnknownCommand = errors.New("unknown command")
	// ErrCommandState: the command is not in a state that allows the
	// operation (cancelling a running command, retrying a done one).
	ErrCommandState = errors.New("command state does not allow it")
	// ErrInvalidCommand: the request is malformed.
	ErrInvalidCommand = errors.New("invalid command")
	// ErrNotConfirmed: the order was sent but the read-back does not show
	// it.
	ErrNotConfirmed = errors.New("not confirmed by read-back")
	// ErrRemoteClose: an arming was refused because the meter's control
	// mode would close the breaker remotely.
	ErrRemoteClose = errors.New("remote reconnection would close the breaker")
	// ErrUnsupported: the meter, its profile or the access point cannot
	// do what was asked (a limiter on a gas access point, a control mode
	// that never disconnects, an object the profile lacks).
	ErrUnsupported = errors.New("not supported by the meter")
)

// CommandError is the error of Queue.Do for a command that ended
// otherwise than done.
type CommandError struct {
	Command Command
}

func (e *CommandError) Error() string {
	c := e.Command
	s := "meter: command " + strconv.FormatUint(c.ID, 10) + " (" + string(c.Kind) + " " + c.EAN + ") " + string(c.State)
	if c.Reason != "" {
		s += " (" + string(c.Reason) + ")"
	}
	if c.LastError != "" {
		s += ": " + c.LastError
	}
	return s
}

// Is makes a failed command match the sentinel error of its reason:
// ErrNotConfirmed, ErrRemoteClose or ErrUnsupported (refused).
func (e *CommandError) Is(target error) bool {
	switch e.Command.Reason {
	case ReasonNotConfirmed:
		return target == ErrNotConfirmed
	case ReasonRefused:
		return target == ErrUnsupported || (target == ErrRemoteClose && e.Command.Kind == CmdArm)
	}
	return false
}

// CommandRequest asks for a command. The access point is named by EAN
// (the meter's or its gas meter's), or by MeterID for the meter's own;
// when both are given they must agree.
type CommandRequest struct {
	MeterID string
	EAN     string
	Kind    CommandKind
	// Display is required by CmdDisplay; its time is kept to the second.
	Display *DisplayValues
	// Watts is required by CmdLimiterSet (above 0).
	Watts int64
	// AllowRemoteClose: see CommandParams.
	AllowRemoteClose bool
	// IdempotencyKey, when set, makes Enqueue return the command queued
	// first with that key instead of queuing another.
	IdempotencyKey string
	Origin         string
	// MaxAttempts overrides the queue's default.
	MaxAttempts int
}

// QueueConfig configures a Queue.
type QueueConfig struct {
	// MaxAttempts is the default number of attempts before a command is
	// given up; 0 means 10.
	MaxAttempts int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives one event per command queued, superseded, cancelled
	// or retried.
	Logger zerolog.Logger
	// Observer receives QueueDepth after each change, CommandDone for
	// each command that becomes final and Retry for each failed attempt
	// to be retried.
	Observer Observer
	// OnFinal, when set, is called with each command that becomes final:
	// done or failed (by the Executor), cancelled or superseded (by the
	// Queue). The prepayment wiring reports the outcome of its decisions
	// with it. It is called after the change is stored, from the
	// goroutine that made it, and must not block for long.
	OnFinal func(Command)
}

// Queue is the persistent command queue, in buckets "meter/commands…" of
// the Store's bbolt file. It is safe for concurrent use.
type Queue struct {
	store *Store
	db    *bolt.DB
	cfg   QueueConfig

	mu      sync.Mutex
	changed chan struct{} // closed and replaced at every change
	exec    sync.Mutex    // held by the executor that runs the queue
}

// OpenQueue creates the queue's buckets when missing and returns the
// queue of store.
func OpenQueue(store *Store, cfg QueueConfig) (*Queue, error) {
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := createBuckets(store.db, bucketCommands, bucketCommandsState, bucketCommandsOpen, bucketCommandsKey); err != nil {
		return nil, err
	}
	return &Queue{store: store, db: store.db, cfg: cfg, changed: make(chan struct{})}, nil
}

// notify wakes the waiters and the executor after a change.
func (q *Queue) notify() {
	q.mu.Lock()
	close(q.changed)
	q.changed = make(chan struct{})
	q.mu.Unlock()
	if q.cfg.Observer.QueueDepth != nil {
		if n, err := q.Depth(); err == nil {
			q.cfg.Observer.QueueDepth(n)
		}
	}
}

// wait returns a channel closed at the next change.
func (q *Queue) wait() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.changed
}

// Enqueue records a command and returns it; see the rules at the top of
// this file for the cases where it returns a command queued before.
func (q *Queue) Enqueue(r CommandRequest) (Command, error) {
	c, err := q.prepare(r)
	if err != nil {
		return Command{}, err
	}
	var superseded []Command
	created := false
	err = q.db.Update(func(tx *bolt.Tx) error {
		superseded, created = nil, false
		if r.IdempotencyKey != "" {
			if v := tx.Bucket(bucketCommandsKey).Get([]byte(r.IdempotencyKey)); v != nil {
				old, err := getCommand(tx, u64be(v))
				if err != nil {
					return err
				}
				c = old
				return nil
			}
		}
		open, err := openCommands(tx, c.MeterID)
		if err != nil {
			return err
		}
		for _, o := range open {
			if o.EAN == c.EAN && o.Kind == c.Kind && o.Params.equal(c.Params) {
				c = o
				if r.IdempotencyKey != "" {
					return tx.Bucket(bucketCommandsKey).Put([]byte(r.IdempotencyKey), u64key(o.ID))
				}
				return nil
			}
		}
		b := tx.Bucket(bucketCommands)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		c.ID = id
		for _, o := range open {
			if c.Kind == CmdDisplay && o.Kind == CmdDisplay && o.EAN == c.EAN && o.State == StatePending {
				o.State, o.SupersededBy, o.FinishedAt = StateSuperseded, id, c.RequestedAt
				if err := putCommand(tx, o, StatePending); err != nil {
					return err
				}
				superseded = append(superseded, o)
			}
		}
		if r.IdempotencyKey != "" {
			if err := tx.Bucket(bucketCommandsKey).Put([]byte(r.IdempotencyKey), u64key(id)); err != nil {
				return err
			}
		}
		created = true
		return putCommand(tx, c, "")
	})
	if err != nil {
		return Command{}, err
	}
	if !created {
		q.cfg.Logger.Debug().Str("meter_id", c.MeterID).Str("ean", c.EAN).Uint64("command", c.ID).Str("kind", string(c.Kind)).
			Str("state", string(c.State)).Msg("meter: command queued already")
		return c, nil
	}
	ev := q.cfg.Logger.Info().Str("meter_id", c.MeterID).Str("ean", c.EAN).Uint64("command", c.ID).Str("kind", string(c.Kind))
	if len(superseded) > 0 {
		ids := make([]uint64, len(superseded))
		for i, o := range superseded {
			ids[i] = o.ID
		}
		ev = ev.Uints64("superseded", ids)
	}
	ev.Str("state", string(c.State)).Msg("meter: command queued")
	q.notify()
	for _, o := range superseded {
		q.final(o)
	}
	return c, nil
}

// prepare checks a request and makes its command, not stored yet.
func (q *Queue) prepare(r CommandRequest) (Command, error) {
	bad := func(format string, args ...any) (Command, error) {
		return Command{}, fmt.Errorf("meter: %w: %s", ErrInvalidCommand, fmt.Sprintf(format, args...))
	}
	if !r.Kind.valid() {
		return bad("kind %q", r.Kind)
	}
	var m Meter
	var err error
	switch {
	case r.EAN != "":
		m, err = q.store.ByEAN(r.EAN)
		if err == nil && r.MeterID != "" && r.MeterID != m.ID {
			return bad("EAN %s belongs to meter %q, not %q", r.EAN, m.ID, r.MeterID)
		}
	case r.MeterID != "":
		m, err = q.store.Get(r.MeterID)
		r.EAN = m.EAN
	default:
		return bad("no meter id nor EAN")
	}
	if err != nil {
		return Command{}, err
	}
	energy, _ := m.EnergyOf(r.EAN)
	c := Command{
		MeterID: m.ID, EAN: r.EAN, Energy: energy, Kind: r.Kind, Origin: r.Origin, IdempotencyKey: r.IdempotencyKey,
		State: StatePending, RequestedAt: q.cfg.Now().UTC(), MaxAttempts: r.MaxAttempts,
		Params: CommandParams{AllowRemoteClose: r.AllowRemoteClose},
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = q.cfg.MaxAttempts
	}
	c.NextAttemptAt = c.RequestedAt
	unsupported := func(what string) (Command, error) {
		return Command{}, fmt.Errorf("meter: %w: %s on %s access point %s", ErrUnsupported, what, energy, r.EAN)
	}
	switch r.Kind {
	case CmdDisplay:
		if r.Display == nil {
			return bad("display without values")
		}
		if energy != EnergyElectricity {
			return unsupported("the prepayment screens")
		}
		if r.Display.UpdatedAt.IsZero() {
			return bad("display without the time of the balance update")
		}
		if r.Display.EmergencyCredit < 0 {
			return bad("negative emergency credit %d", r.Display.EmergencyCredit)
		}
		d := *r.Display
		d.UpdatedAt = d.UpdatedAt.UTC().Truncate(time.Second)
		c.Params.Display = &d
	case CmdLimiterSet:
		if r.Watts <= 0 {
			return bad("limiter threshold %d W", r.Watts)
		}
		if energy != EnergyElectricity {
			return unsupported("a power limiter")
		}
		c.Params.Watts = r.Watts
	case CmdLimiterClear:
		if energy != EnergyElectricity {
			return unsupported("a power limiter")
		}
	case CmdClockSync:
	case CmdKeyChange:
		k, err := q.store.PendingKeys(m.ID)
		if err != nil {
			return Command{}, err
		}
		c.Params.Keys = keysRef(k)
	}
	return c, nil
}

// keysRef is the fingerprint of the keys that a key change transfers.
func keysRef(k Keys) string {
	return k.EK.Fingerprint().String() + "." + k.AK.Fingerprint().String()
}

// Get returns the command with id.
func (q *Queue) Get(id uint64) (Command, error) {
	var c Command
	err := q.db.View(func(tx *bolt.Tx) error {
		var err error
		c, err = getCommand(tx, id)
		return err
	})
	return c, err
}

// ByKey returns the command queued with the idempotency key.
func (q *Queue) ByKey(key string) (Command, error) {
	var c Command
	err := q.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCommandsKey).Get([]byte(key))
		if v == nil {
			return fmt.Errorf("meter: %w with idempotency key %q", ErrUnknownCommand, key)
		}
		var err error
		c, err = getCommand(tx, u64be(v))
		return err
	})
	return c, err
}

// CommandFilter selects commands for List; its zero value selects all.
type CommandFilter struct {
	MeterID string
	EAN     string
	Kind    CommandKind
	States  []CommandState // any of them; all when empty
	// Limit is the largest number of commands returned, the newest; 0
	// means no limit.
	Limit int
}

// List returns the commands that f selects, oldest first.
func (q *Queue) List(f CommandFilter) ([]Command, error) {
	for _, s := range f.States {
		if !s.valid() {
			return nil, fmt.Errorf("meter: %w: state %q", ErrInvalidCommand, s)
		}
	}
	var out []Command
	err := q.db.View(func(tx *bolt.Tx) error {
		match := func(c Command) bool {
			return (f.MeterID == "" || c.MeterID == f.MeterID) && (f.EAN == "" || c.EAN == f.EAN) &&
				(f.Kind == "" || c.Kind == f.Kind)
		}
		if len(f.States) == 0 {
			return tx.Bucket(bucketCommands).ForEach(func(_, v []byte) error {
				c, err := decodeCommand(v)
				if err == nil && match(c) {
					out = append(out, c)
				}
				return err
			})
		}
		for _, s := range f.States {
			cs, err := commandsIn(tx, s)
			if err != nil {
				return err
			}
			for _, c := range cs {
				if match(c) {
					out = append(out, c)
				}
			}
		}
		sortCommands(out)
		return nil
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[len(out)-f.Limit:]
	}
	return out, err
}

// Depth returns the number of open commands (pending or running).
func (q *Queue) Depth() (int, error) {
	n := 0
	err := q.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketCommandsOpen).Stats().KeyN
		return nil
	})
	return n, err
}

// Retry makes a failed or cancelled command pending again, due now, with
// its attempts counted from zero.
func (q *Queue) Retry(id uint64) (Command, error) {
	c, _, err := q.change(id, func(c *Command) error {
		if c.State != StateFailed && c.State != StateCancelled {
			return fmt.Errorf("meter: command %d is %s: %w: only failed or cancelled commands are retried", id, c.State, ErrCommandState)
		}
		c.State, c.Attempts, c.NextAttemptAt, c.FinishedAt = StatePending, 0, q.cfg.Now().UTC(), time.Time{}
		return nil
	})
	if err == nil {
		q.cfg.Logger.Info().Str("meter_id", c.MeterID).Str("ean", c.EAN).Uint64("command", id).Str("kind", string(c.Kind)).Msg("meter: command retried")
	}
	return c, err
}

// Cancel cancels a pending command with the reason why. A running command
// cannot be cancelled; a command that is already cancelled is returned as
// it is.
func (q *Queue) Cancel(id uint64, why string) (Command, error) {
	c, changed, err := q.change(id, func(c *Command) error {
		switch c.State {
		case StateCancelled:
			return errUnchanged
		case StatePending:
		default:
			return fmt.Errorf("meter: command %d is %s: %w: only pending commands are cancelled", id, c.State, ErrCommandState)
		}
		c.State, c.FinishedAt, c.LastError = StateCancelled, q.cfg.Now().UTC(), why
		return nil
	})
	if changed {
		q.cfg.Logger.Info().Str("meter_id", c.MeterID).Str("ean", c.EAN).Uint64("command", id).Str("kind", string(c.Kind)).Str("why", why).Msg("meter: command cancelled")
		q.final(c)
	}
	return c, err
}

// final reports a command that became final.
func (q *Queue) final(c Command) {
	if f := q.cfg.Observer.CommandDone; f != nil {
		f(c.Kind, c.State, c.Reason)
	}
	if q.cfg.OnFinal != nil {
		q.cfg.OnFinal(c)
	}
}

// errUnchanged tells change that fn changed nothing.
var errUnchanged = errors.New("unchanged")

// change applies fn to command id in one transaction and stores it. It
// reports whether fn changed it (fn returns errUnchanged when not).
func (q *Queue) change(id uint64, fn func(c *Command) error) (Command, bool, error) {
	var c Command
	changed := true
	err := q.db.Update(func(tx *bolt.Tx) error {
		var err error
		if c, err = getCommand(tx, id); err != nil {
			return err
		}
		was := c.State
		if err := fn(&c); err != nil {
			if err == errUnchanged {
				changed = false
				return nil
			}
			return err
		}
		return putCommand(tx, c, was)
	})
	if err == nil && changed {
		q.notify()
	}
	return c, changed && err == nil, err
}

// Wait waits until command id is final (done, failed, cancelled or
// superseded) and returns it. It returns ctx's error when ctx ends first;
// the command then goes on.
func (q *Queue) Wait(ctx context.Context, id uint64) (Command, error) {
	for {
		ch := q.wait()
		c, err := q.Get(id)
		if err != nil || !c.State.Open() {
			return c, err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return c, ctx.Err()
		}
	}
}

// Do queues a command and waits until it is final: nil once it is done,
// a *CommandError when it failed or was cancelled, ctx's error when ctx
// ends first (the command goes on; a Do with the same request finds it
// again). A display write superseded by a newer one waits for the newer.
// It is the synchronous form for a port that returns only once the meter
// confirmed the order, such as the prepayment engine's.
func (q *Queue) Do(ctx context.Context, r CommandRequest) (Command, error) {
	c, err := q.Enqueue(r)
	for err == nil {
		if c, err = q.Wait(ctx, c.ID); err != nil {
			break
		}
		switch c.State {
		case StateDone:
			return c, nil
		case StateSuperseded:
			c.ID = c.SupersededBy
			continue
		}
		return c, &CommandError{Command: c}
	}
	return c, err
}
