package meter

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// queue returns the command queue of the bench and an executor with short
// retries.
func (b *bench) queue(qcfg QueueConfig, ecfg ExecutorConfig) (*Queue, *Executor) {
	b.t.Helper()
	if qcfg.Now == nil {
		qcfg.Now = b.now
	}
	q, err := OpenQueue(b.store, qcfg)
	if err != nil {
		b.t.Fatal(err)
	}
	if ecfg.Now == nil {
		ecfg.Now = b.now
	}
	if ecfg.Backoff == (Backoff{}) {
		ecfg.Backoff = Backoff{Min: time.Millisecond, Max: 4 * time.Millisecond}
	}
	if ecfg.ConfirmInterval == 0 {
		ecfg.ConfirmInterval = time.Millisecond
	}
	if ecfg.ConfirmReads == 0 {
		ecfg.ConfirmReads = 3
	}
	if ecfg.Timeout == 0 {
		ecfg.Timeout = 2 * time.Second
	}
	if ecfg.Rand == nil {
		ecfg.Rand = rand.New(rand.NewPCG(3, 4))
	}
	e, err := NewExecutor(q, b.sess, ecfg)
	if err != nil {
		b.t.Fatal(err)
	}
	return q, e
}

// start runs e in the background until the end of the test.
func start(t *testing.T, e *Executor) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("executor: %v", err)
		}
	})
}

func enqueue(t *testing.T, q *Queue, r CommandRequest) Command {
	t.Helper()
	c, err := q.Enqueue(r)
	if err != nil {
		t.Fatalf("enqueue %+v: %v", r, err)
	}
	return c
}

// drain runs the due commands until none is left, waiting for the
// retries.
func drain(t *testing.T, q *Queue, e *Executor) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		if _, err := e.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		n, err := q.Depth()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if err := sleep(ctx, 2*time.Millisecond); err != nil {
			t.Fatal("commands left pending")
		}
	}
}

func get(t *testing.T, q *Queue, id uint64) Command {
	t.Helper()
	c, err := q.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCommandDisplayConfirmed(t *testing.T) {
	b := newBench(t, Limits{})
	m, d := b.addMeter(1, nil)
	var final []Command
	q, e := b.queue(QueueConfig{OnFinal: func(c Command) { final = append(final, c) }}, ExecutorConfig{})
	at := time.Date(2026, 3, 10, 1, 30, 15, 500_000_000, time.UTC)
	c := enqueue(t, q, CommandRequest{EAN: m.EAN, Kind: CmdDisplay, Display: &DisplayValues{UpdatedAt: at, Balance: -150, EmergencyCredit: 1350}, Origin: "prepay"})
	if c.ID == 0 || c.State != StatePending || c.Energy != EnergyElectricity || c.Params.Display.UpdatedAt != at.Truncate(time.Second) {
		t.Errorf("queued %+v", c)
	}
	drain(t, q, e)
	c = get(t, q, c.ID)
	if c.State != StateDone || c.Attempts != 1 || c.Outcome == "" || c.FinishedAt.IsZero() {
		t.Errorf("command %+v", c)
	}
	if d.dispBal != -150 || d.dispEmerg != 1350 {
		t.Errorf("screens %d and %d", d.dispBal, d.dispEmerg)
	}
	dt, _ := d.dispLast.DateTime()
	if got, _ := dt.AsTime(); !got.Equal(at.Truncate(time.Second)) {
		t.Errorf("screen 1 shows %v", got)
	}
	if len(final) != 1 || final[0].ID != c.ID || final[0].State != StateDone {
		t.Errorf("OnFinal got %+v", final)
	}
}

func TestCommandNotConfirmedIsRetriedThenGivenUp(t *testing.T) {
	b := newBench(t, Limits{})
	m, d := b.addMeter(1, nil)
	d.stuckBreaker = true
	d.ignoreDisplay = true
	var mu sync.Mutex
	var retries []Reason
	var done []CommandState
	obs := Observer{
		Retry:       func(_ string, r Reason) { mu.Lock(); retries = append(retries, r); mu.Unlock() },
		CommandDone: func(_ CommandKind, s CommandState, _ Reason) { mu.Lock(); done = append(done, s); mu.Unlock() },
	}
	q, e := b.queue(QueueConfig{MaxAttempts: 3, Observer: obs}, ExecutorConfig{})
	disc := enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdDisconnect})
	disp := enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdDisplay, Display: &DisplayValues{UpdatedAt: b.now(), Balance: 5}})
	drain(t, q, e)
	for _, id := range []uint64{disc.ID, disp.ID} {
		c := get(t, q, id)
		if c.State != StateFailed || c.Attempts != 3 || c.Reason != ReasonNotConfirmed || !strings.Contains(c.LastError, "not confirmed") {
			t.Errorf("command %+v", c)
		}
	}
	if !strings.Contains(get(t, q, disc.ID).LastError, "still connected") {
		t.Errorf("last error %q", get(t, q, disc.ID).LastError)
	}
	if d.breakerState != 1 {
		t.Errorf("breaker state %d", d.breakerState)
	}
	if len(retries) != 4 || len(done) != 2 || done[0] != StateFailed {
		t.Errorf("retries %v, done %v", retries, done)
	}
}

func TestCommandBreaker(t *testing.T) {
	b := newBench(t, Limits{})
	m, d := b.addMeter(1, nil)
	q, e := b.queue(QueueConfig{}, ExecutorConfig{})
	disc := enqueue(t, q, CommandRequest{EAN: m.EAN, Kind: CmdDisconnect})
	arm := enqueue(t, q, CommandRequest{EAN: m.EAN, Kind: CmdArm})
	drain(t, q, e)
	if c := get(t, q, disc.ID); c.State != StateDone || !strings.Contains(c.Outcome, "disconnected") {
		t.Errorf("disconnect %+v", c)
	}
	if c := get(t, q, arm.ID); c.State != StateDone || !strings.Contains(c.Outcome, "ready-for-reconnection") {
		t.Errorf("arm %+v", c)
	}
	if d.breakerState != 2 {
		t.Errorf("breaker state %d, want ready for reconnection", d.breakerState)
	}
	// The same order again is confirmed without an action.
	actions := len(d.actions)
	again := enqueue(t, q, CommandRequest{EAN: m.EAN, Kind: CmdArm})
	drain(t, q, e)
	if c := get(t, q, again.ID); c.State != StateDone || c.Outcome != "already ready for reconnection" || len(d.actions) != actions {
		t.Errorf("arm again: %+v, %d actions", c, len(d.actions)-actions)
	}
}

func TestCommandArmRefusedInRemoteCloseMode(t *testing.T) {
	b := newBench(t, Limits{})
	m, d := b.addMeter(1, nil)
	d.breakerState, d.breakerMode = 0, 2
	q, e := b.queue(QueueConfig{}, ExecutorConfig{})
	start(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := q.Do(ctx, CommandRequest{EAN: m.EAN, Kind: CmdArm})
	if !errors.Is(err, ErrRemoteClose) || c.State != StateFailed || c.Attempts != 1 || c.Reason != ReasonRefused {
		t.Fatalf("arm: %+v, %v", c, err)
	}
	if d.breakerState != 0 || len(d.actions) != 0 {
		t.Errorf("breaker state %d after %d actions", d.breakerState, len(d.actions))
	}
	// An agent asks for a remote close explicitly.
	c, err = q.Do(ctx, CommandRequest{EAN: m.EAN, Kind: CmdArm, AllowRemoteClose: true, Origin: "agent:test"})
	if err != nil || c.State != StateDone || !strings.Contains(c.Outcome, "connected") {
		t.Fatalf("arm with remote close: %+v, %v", c, err)
	}
	if d.breakerState != 1 {
		t.Errorf("breaker state %d, want connected", d.breakerState)
	}
}

func TestCommandGasValve(t *testing.T) {
	b := newBench(t, Limits{})
	m, d := b.addMeter(1, nil)
	q, e := b.queue(QueueConfig{}, ExecutorConfig{})
	c := enqueue(t, q, CommandRequest{EAN: m.Gas.EAN, Kind: CmdDisconnect})
	if c.Energy != EnergyGas || c.MeterID != m.ID {
		t.Errorf("queued %+v", c)
	}
	drain(t, q, e)
	if c = get(t, q, c.ID); c.State != StateDone || d.valveState != 0 || d.breakerState != 1 {
		t.Errorf("%+v: valve %d, breaker %d", c, d.valveState, d.breakerState)
	}
	for _, r := range []CommandRequest{
		{EAN: m.Gas.EAN, Kind: CmdLimiterSet, Watts: 2300},
		{EAN: m.Gas.EAN, Kind: CmdDisplay, Display: &DisplayValues{UpdatedAt: b.now()}},
	} {
		if _, err := q.Enqueue(r); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s on gas: %v", r.Kind, err)
		}
	}
}

func TestCommandLimiterAndClock(t *testing.T) {
	b := newBench(t, Limits{})
	m, d := b.addMeter(1, nil)
	d.offset = -90 * time.Second
	q, e := b.queue(QueueConfig{}, ExecutorConfig{})
	set := enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdLimiterSet, Watts: 2300})
	clk := enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdClockSync})
	drain(t, q, e)
	if c := get(t, q, set.ID); c.State != StateDone || d.threshold != 2300 {
		t.Errorf("limiter %+v, threshold %d", c, d.threshold)
	}
	if c := get(t, q, clk.ID); c.State != StateDone || d.offset.Abs() > time.Second {
		t.Errorf("clock %+v, offset %v", c, d.offset)
	}
	clr := enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdLimiterClear})
	drain(t, q, e)
	if c := get(t, q, clr.ID); c.State != StateDone || d.threshold != 99999 {
		t.Errorf("limiter clear %+v, threshold %d", c, d.threshold)
	}
}

func TestCommandSupersessionAndDeduplication(t *testing.T) {
	b := newBench(t, Limits{})
	m, d := b.addMeter(1, nil)
	var final []Command
	q, e := b.queue(QueueConfig{OnFinal: func(c Command) { final = append(final, c) }}, ExecutorConfig{})
	at := b.now()
	first := enqueue(t, q, CommandRequest{EAN: m.EAN, Kind: CmdDisplay, Display: &DisplayValues{UpdatedAt: at, Balance: 100}})
	second := enqueue(t, q, CommandRequest{EAN: m.EAN, Kind: CmdDisplay, Display: &DisplayValues{UpdatedAt: at.Add(time.Hour), Balance: 50}})
	if c := get(t, q, first.ID); c.State != StateSuperseded || c.SupersededBy != second.ID {
		t.Errorf("first display %+v", c)
	}
	if len(final) != 1 || final[0].ID != first.ID {
		t.Errorf("OnFinal got %+v", final)
	}
	// The same display values, and the same disconnection, are not queued
	// twice; an idempotency key maps to one command.
	if c := enqueue(t, q, CommandRequest{EAN: m.EAN, Kind: CmdDisplay, Display: &DisplayValues{UpdatedAt: at.Add(time.Hour), Balance: 50}}); c.ID != second.ID {
		t.Errorf("same display values queued again as %d", c.ID)
	}
	disc := enqueue(t, q, CommandRequest{EAN: m.EAN, Kind: CmdDisconnect, IdempotencyKey: "prepay:7"})
	if c := enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdDisconnect}); c.ID != disc.ID {
		t.Errorf("disconnect queued again as %d", c.ID)
	}
	if c := enqueue(t, q, CommandRequest{EAN: m.EAN, Kind: CmdArm, IdempotencyKey: "prepay:7"}); c.ID != disc.ID {
		t.Errorf("idempotency key gave command %d", c.ID)
	}
	if c, err := q.ByKey("prepay:7"); err != nil || c.ID != disc.ID {
		t.Errorf("by key: %+v, %v", c, err)
	}
	if _, err := q.ByKey("prepay:8"); !errors.Is(err, ErrUnknownCommand) {
		t.Errorf("unknown key: %v", err)
	}
	drain(t, q, e)
	if d.displaySets != 1 || d.dispBal != 50 {
		t.Errorf("%d display writes, balance %d", d.displaySets, d.dispBal)
	}
	all, _ := q.List(CommandFilter{MeterID: m.ID})
	var states []CommandState
	for _, c := range all {
		states = append(states, c.State)
	}
	if want := []CommandState{StateSuperseded, StateDone, StateDone}; !slices.Equal(states, want) {
		t.Errorf("states %v, want %v", states, want)
	}
	// A display write that is under way is not superseded: the newer one
	// runs after it.
	if _, err := q.Enqueue(CommandRequest{EAN: m.EAN, Kind: CmdDisplay, Display: &DisplayValues{UpdatedAt: at, Balance: 1}}); err != nil {
		t.Fatal(err)
	}
	claimed, _, err := e.claim(1, map[string]bool{})
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claimed %v, %v", claimed, err)
	}
	newer := enqueue(t, q, CommandRequest{EAN: m.EAN, Kind: CmdDisplay, Display: &DisplayValues{UpdatedAt: at, Balance: 2}})
	if c := get(t, q, claimed[0].ID); c.State != StateRunning {
		t.Errorf("running display %+v", c)
	}
	if newer.ID == claimed[0].ID || newer.State != StatePending {
		t.Errorf("newer display %+v", newer)
	}
}

func TestCommandFIFOPerMeter(t *testing.T) {
	b := newBench(t, Limits{})
	m, d := b.addMeter(1, nil)
	q, e := b.queue(QueueConfig{}, ExecutorConfig{})
	ids := []uint64{
		enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdDisconnect}).ID,
		enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdArm}).ID,
		enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdLimiterSet, Watts: 1000}).ID,
		enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdDisplay, Display: &DisplayValues{UpdatedAt: b.now(), Balance: 1}}).ID,
	}
	drain(t, q, e)
	var methods []int8
	for _, a := range d.actions {
		methods = append(methods, a.Method)
	}
	if !slices.Equal(methods, []int8{1, 2}) || d.breakerState != 2 || d.threshold != 1000 {
		t.Errorf("methods %v, state %d, threshold %d", methods, d.breakerState, d.threshold)
	}
	var last time.Time
	for _, id := range ids {
		c := get(t, q, id)
		if c.State != StateDone || c.FinishedAt.Before(last) {
			t.Errorf("command %d %s at %v, after %v", id, c.State, c.FinishedAt, last)
		}
		last = c.FinishedAt
	}
}

func TestCommandsSurviveRestart(t *testing.T) {
	b := newBench(t, Limits{})
	m, d := b.addMeter(1, nil)
	q, e := b.queue(QueueConfig{}, ExecutorConfig{})
	disc := enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdDisconnect, IdempotencyKey: "k1"})
	lim := enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdLimiterSet, Watts: 4600})
	// The process stops while the first command is under way.
	if claimed, _, err := e.claim(1, map[string]bool{}); err != nil || len(claimed) != 1 || claimed[0].ID != disc.ID {
		t.Fatalf("claimed %+v, %v", claimed, err)
	}
	b.reopen(Limits{})
	q, e = b.queue(QueueConfig{}, ExecutorConfig{})
	all, err := q.List(CommandFilter{States: []CommandState{StateRunning, StatePending}})
	if err != nil || len(all) != 2 || all[0].ID != disc.ID || all[0].State != StateRunning || all[1].ID != lim.ID {
		t.Fatalf("after reopening: %+v, %v", all, err)
	}
	if c, err := q.ByKey("k1"); err != nil || c.ID != disc.ID {
		t.Errorf("by key after reopening: %+v, %v", c, err)
	}
	drain(t, q, e)
	if c := get(t, q, disc.ID); c.State != StateDone || c.Attempts != 2 {
		t.Errorf("disconnect %+v", c)
	}
	if c := get(t, q, lim.ID); c.State != StateDone || d.threshold != 4600 {
		t.Errorf("limiter %+v", c)
	}
}

func TestCommandCancelAndRetry(t *testing.T) {
	b := newBench(t, Limits{})
	m, d := b.addMeter(1, nil)
	q, e := b.queue(QueueConfig{}, ExecutorConfig{})
	c := enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdDisconnect})
	c, err := q.Cancel(c.ID, "agent: wrong meter")
	if err != nil || c.State != StateCancelled || c.LastError != "agent: wrong meter" {
		t.Fatalf("cancel: %+v, %v", c, err)
	}
	if again, err := q.Cancel(c.ID, "twice"); err != nil || again.LastError != "agent: wrong meter" {
		t.Errorf("cancel again: %+v, %v", again, err)
	}
	drain(t, q, e)
	if d.breakerState != 1 {
		t.Fatal("a cancelled command ran")
	}
	if c, err = q.Retry(c.ID); err != nil || c.State != StatePending || c.Attempts != 0 {
		t.Fatalf("retry: %+v, %v", c, err)
	}
	drain(t, q, e)
	if c = get(t, q, c.ID); c.State != StateDone || d.breakerState != 0 {
		t.Errorf("retried: %+v, state %d", c, d.breakerState)
	}
	if _, err := q.Retry(c.ID); !errors.Is(err, ErrCommandState) {
		t.Errorf("retry of a done command: %v", err)
	}
	if _, err := q.Cancel(c.ID, ""); !errors.Is(err, ErrCommandState) {
		t.Errorf("cancel of a done command: %v", err)
	}
	if _, err := q.Get(999); !errors.Is(err, ErrUnknownCommand) {
		t.Errorf("unknown command: %v", err)
	}
	// A failed command is retried from its first attempt.
	d.stuckBreaker = true
	arm := enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdArm, MaxAttempts: 1})
	drain(t, q, e)
	if arm = get(t, q, arm.ID); arm.State != StateFailed {
		t.Fatalf("arm %+v", arm)
	}
	d.stuckBreaker = false
	if _, err := q.Retry(arm.ID); err != nil {
		t.Fatal(err)
	}
	drain(t, q, e)
	if arm = get(t, q, arm.ID); arm.State != StateDone || arm.Attempts != 1 || arm.LastError != "" {
		t.Errorf("arm retried: %+v", arm)
	}
}

func TestCommandListAndWait(t *testing.T) {
	b := newBench(t, Limits{})
	m1, _ := b.addMeter(1, nil)
	m2, _ := b.addMeter(2, nil)
	q, e := b.queue(QueueConfig{}, ExecutorConfig{})
	a := enqueue(t, q, CommandRequest{MeterID: m1.ID, Kind: CmdDisconnect})
	enqueue(t, q, CommandRequest{MeterID: m2.ID, Kind: CmdClockSync})
	enqueue(t, q, CommandRequest{EAN: m1.Gas.EAN, Kind: CmdDisconnect})
	for _, c := range []struct {
		f    CommandFilter
		want int
	}{
		{CommandFilter{}, 3},
		{CommandFilter{MeterID: m1.ID}, 2},
		{CommandFilter{EAN: m1.Gas.EAN}, 1},
		{CommandFilter{Kind: CmdClockSync}, 1},
		{CommandFilter{States: []CommandState{StatePending}}, 3},
		{CommandFilter{States: []CommandState{StateDone}}, 0},
		{CommandFilter{Limit: 2}, 2},
	} {
		if got, err := q.List(c.f); err != nil || len(got) != c.want {
			t.Errorf("list %+v: %d, %v; want %d", c.f, len(got), err, c.want)
		}
	}
	if _, err := q.List(CommandFilter{States: []CommandState{"lost"}}); !errors.Is(err, ErrInvalidCommand) {
		t.Errorf("unknown state: %v", err)
	}
	if n, _ := q.Depth(); n != 3 {
		t.Errorf("depth %d", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if c, err := q.Wait(ctx, a.ID); !errors.Is(err, context.DeadlineExceeded) || c.State != StatePending {
		t.Errorf("wait without an executor: %+v, %v", c, err)
	}
	start(t, e)
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c, err := q.Wait(ctx, a.ID); err != nil || c.State != StateDone {
		t.Errorf("wait: %+v, %v", c, err)
	}
	if _, err := e.RunDue(context.Background()); !errors.Is(err, ErrExecutorBusy) {
		t.Errorf("a second executor: %v", err)
	}
}

func TestCommandRequestErrors(t *testing.T) {
	b := newBench(t, Limits{})
	m, _ := b.addMeter(1, nil)
	other, _ := b.addMeter(2, nil)
	q, _ := b.queue(QueueConfig{}, ExecutorConfig{})
	for _, c := range []struct {
		name string
		r    CommandRequest
		want error
	}{
		{"no kind", CommandRequest{MeterID: m.ID}, ErrInvalidCommand},
		{"unknown kind", CommandRequest{MeterID: m.ID, Kind: "reboot"}, ErrInvalidCommand},
		{"no meter", CommandRequest{Kind: CmdArm}, ErrInvalidCommand},
		{"unknown meter", CommandRequest{MeterID: "X", Kind: CmdArm}, ErrUnknownMeter},
		{"unknown EAN", CommandRequest{EAN: ean(t, "54144880000099999"), Kind: CmdArm}, ErrUnknownMeter},
		{"EAN of another meter", CommandRequest{MeterID: m.ID, EAN: other.EAN, Kind: CmdArm}, ErrInvalidCommand},
		{"display without values", CommandRequest{MeterID: m.ID, Kind: CmdDisplay}, ErrInvalidCommand},
		{"display without a time", CommandRequest{MeterID: m.ID, Kind: CmdDisplay, Display: &DisplayValues{Balance: 1}}, ErrInvalidCommand},
		{"negative emergency credit", CommandRequest{MeterID: m.ID, Kind: CmdDisplay, Display: &DisplayValues{UpdatedAt: b.now(), EmergencyCredit: -1}}, ErrInvalidCommand},
		{"limiter at 0 W", CommandRequest{MeterID: m.ID, Kind: CmdLimiterSet}, ErrInvalidCommand},
		{"key change without staged keys", CommandRequest{MeterID: m.ID, Kind: CmdKeyChange}, ErrNoPendingKeys},
	} {
		if _, err := q.Enqueue(c.r); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if n, _ := q.Depth(); n != 0 {
		t.Errorf("%d commands queued", n)
	}
}

func TestCommandKeyChange(t *testing.T) {
	b := newBench(t, Limits{})
	m, d := b.addMeter(1, nil)
	q, e := b.queue(QueueConfig{}, ExecutorConfig{})
	old, _ := b.store.Keys(m.ID)
	fresh := testKeys(0x61)
	fresh.KEK = old.KEK
	if err := b.store.StagePendingKeys(m.ID, fresh); err != nil {
		t.Fatal(err)
	}
	c := enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdKeyChange})
	if strings.Contains(c.Params.Keys, fresh.EK.Hex()) || c.Params.Keys == "" {
		t.Fatalf("the command refers to the keys as %q", c.Params.Keys)
	}
	drain(t, q, e)
	if c = get(t, q, c.ID); c.State != StateDone || c.Stage != stageTransferred || !strings.Contains(c.Outcome, "2 keys") {
		t.Fatalf("key change %+v", c)
	}
	cur, _ := b.store.Keys(m.ID)
	if !cur.EK.Equal(fresh.EK) || !cur.AK.Equal(fresh.AK) || !d.keys.EK.Equal(fresh.EK) {
		t.Error("the new keys are not in use")
	}
	if st, _ := b.store.KeyStatus(m.ID); st.Pending {
		t.Error("pending keys left")
	}
	// A session under the new keys works.
	if err := b.sess.Do(context.Background(), m.ID, time.Second, func(context.Context, *Session) error { return nil }); err != nil {
		t.Errorf("session with the new keys: %v", err)
	}
}

func TestCommandKeyChangeRefused(t *testing.T) {
	b := newBench(t, Limits{})
	m, d := b.addMeter(1, nil)
	d.refuseKeys = true
	q, e := b.queue(QueueConfig{MaxAttempts: 2}, ExecutorConfig{})
	if err := b.store.StagePendingKeys(m.ID, testKeys(0x71)); err != nil {
		t.Fatal(err)
	}
	c := enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdKeyChange})
	drain(t, q, e)
	if c = get(t, q, c.ID); c.State != StateFailed || c.Reason != ReasonData || c.Attempts != 2 || c.Stage != "" {
		t.Fatalf("key change %+v", c)
	}
	if st, _ := b.store.KeyStatus(m.ID); st.Pending || !st.Current {
		t.Errorf("key status %+v: the pending keys were not discarded", st)
	}
	if err := b.sess.Do(context.Background(), m.ID, time.Second, func(context.Context, *Session) error { return nil }); err != nil {
		t.Errorf("session with the old keys: %v", err)
	}
	// Keys staged again after the command was queued are not transferred.
	if err := b.store.StagePendingKeys(m.ID, testKeys(0x71)); err != nil {
		t.Fatal(err)
	}
	c = enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdKeyChange})
	if err := b.store.StagePendingKeys(m.ID, testKeys(0x81)); err != nil {
		t.Fatal(err)
	}
	d.refuseKeys = false
	drain(t, q, e)
	if c = get(t, q, c.ID); c.State != StateFailed || c.Reason != ReasonRefused || c.Attempts != 1 || d.keyTransfers != 0 {
		t.Errorf("key change of keys staged again: %+v", c)
	}
}

func TestCommandKeyChangeResumesAfterTheTransfer(t *testing.T) {
	b := newBench(t, Limits{})
	m, d := b.addMeter(1, nil)
	// The link fails right after the meter took the new keys: the
	// head-end cannot know, and keeps them pending.
	d.onTransfer = func() { d.failDials = 2 }
	q, e := b.queue(QueueConfig{MaxAttempts: 1}, ExecutorConfig{})
	fresh := testKeys(0x91)
	if err := b.store.StagePendingKeys(m.ID, fresh); err != nil {
		t.Fatal(err)
	}
	c := enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdKeyChange})
	drain(t, q, e)
	if c = get(t, q, c.ID); c.State != StateFailed || c.Reason != ReasonLink || c.Stage != stageTransferred {
		t.Fatalf("key change %+v", c)
	}
	if st, _ := b.store.KeyStatus(m.ID); !st.Pending {
		t.Fatal("the pending keys were discarded although the meter may use them")
	}
	// Retried: the new keys work, nothing is transferred again.
	d.onTransfer = nil
	if _, err := q.Retry(c.ID); err != nil {
		t.Fatal(err)
	}
	drain(t, q, e)
	if c = get(t, q, c.ID); c.State != StateDone || c.Outcome != "new keys verified" || d.keyTransfers != 1 {
		t.Fatalf("key change retried: %+v, %d transfers", c, d.keyTransfers)
	}
	if cur, _ := b.store.Keys(m.ID); !cur.EK.Equal(fresh.EK) {
		t.Error("the new keys are not current")
	}
}

func TestCommandKeyChangeNotTaken(t *testing.T) {
	b := newBench(t, Limits{})
	m, d := b.addMeter(1, nil)
	d.ignoreKeys = true
	q, e := b.queue(QueueConfig{}, ExecutorConfig{})
	if err := b.store.StagePendingKeys(m.ID, testKeys(0xA1)); err != nil {
		t.Fatal(err)
	}
	c := enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdKeyChange})
	drain(t, q, e)
	c = get(t, q, c.ID)
	if r := c.Reason; c.State != StateFailed || c.Attempts != 1 || (r != ReasonAuthentication && r != ReasonAssociation) ||
		!strings.Contains(c.LastError, "did not take") {
		t.Fatalf("key change %+v", c)
	}
	if st, _ := b.store.KeyStatus(m.ID); st.Pending {
		t.Error("the refused keys are still pending")
	}
}

func TestCommandErrorMatchesItsReason(t *testing.T) {
	for _, c := range []struct {
		cmd  Command
		want error
		not  error
	}{
		{Command{Kind: CmdDisconnect, State: StateFailed, Reason: ReasonNotConfirmed}, ErrNotConfirmed, ErrRemoteClose},
		{Command{Kind: CmdArm, State: StateFailed, Reason: ReasonRefused}, ErrRemoteClose, ErrNotConfirmed},
		{Command{Kind: CmdDisplay, State: StateFailed, Reason: ReasonRefused}, ErrUnsupported, ErrRemoteClose},
		{Command{Kind: CmdDisplay, State: StateCancelled}, nil, ErrNotConfirmed},
	} {
		err := &CommandError{Command: c.cmd}
		if (c.want != nil && !errors.Is(err, c.want)) || errors.Is(err, c.not) {
			t.Errorf("%+v: matches %v, %v", c.cmd, c.want, c.not)
		}
	}
	msg := (&CommandError{Command: Command{ID: 12, Kind: CmdDisconnect, EAN: "541448800000123457", State: StateFailed, Reason: ReasonTimeout, LastError: "no answer"}}).Error()
	if want := "meter: command 12 (disconnect 541448800000123457) failed (timeout): no answer"; msg != want {
		t.Errorf("message %q, want %q", msg, want)
	}
}

func TestCommandConcurrency(t *testing.T) {
	b := newBench(t, Limits{})
	var ms []Meter
	for n := 1; n <= 6; n++ {
		m, d := b.addMeter(n, nil)
		d.delay = 2 * time.Millisecond
		ms = append(ms, m)
	}
	q, e := b.queue(QueueConfig{}, ExecutorConfig{Concurrency: 2})
	for _, m := range ms {
		enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdDisconnect})
		enqueue(t, q, CommandRequest{MeterID: m.ID, Kind: CmdLimiterSet, Watts: 2300})
	}
	n, err := e.RunDue(context.Background())
	if err != nil || n != 12 {
		t.Fatalf("%d attempts, %v", n, err)
	}
	if done, _ := q.List(CommandFilter{States: []CommandState{StateDone}}); len(done) != 12 {
		t.Errorf("%d commands done", len(done))
	}
	if b.fleet.maxAll != 2 {
		t.Errorf("at most %d sessions at once, want 2", b.fleet.maxAll)
	}
}

func TestCommandDoFollowsSupersession(t *testing.T) {
	b := newBench(t, Limits{})
	m, d := b.addMeter(1, nil)
	q, e := b.queue(QueueConfig{}, ExecutorConfig{})
	old := enqueue(t, q, CommandRequest{EAN: m.EAN, Kind: CmdDisplay, Display: &DisplayValues{UpdatedAt: b.now(), Balance: 1}, IdempotencyKey: "prepay:1"})
	newer := enqueue(t, q, CommandRequest{EAN: m.EAN, Kind: CmdDisplay, Display: &DisplayValues{UpdatedAt: b.now(), Balance: 2}, IdempotencyKey: "prepay:2"})
	start(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The decision of "prepay:1" is carried out by the newer display write.
	c, err := q.Do(ctx, CommandRequest{EAN: m.EAN, Kind: CmdDisplay, Display: &DisplayValues{UpdatedAt: b.now(), Balance: 1}, IdempotencyKey: "prepay:1"})
	if err != nil || c.ID != newer.ID || c.State != StateDone || d.dispBal != 2 {
		t.Errorf("do: %+v, %v; want command %d done (not %d)", c, err, newer.ID, old.ID)
	}
}
