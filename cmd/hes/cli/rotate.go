package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/openhes/hes/meter"
)

type rotateOptions struct {
	timeout  time.Duration
	attempts int
	backoff  time.Duration
	agent    string
}

// newKeysRotateCmd builds hes keys rotate, a sub-command of hes keys.
func newKeysRotateCmd(g *globals, so *meterStoreOptions) *cobra.Command {
	o := &rotateOptions{}
	cmd := &cobra.Command{
		Use:   "rotate METER",
		Short: "Give a meter new keys: transfer, verify, then keep them",
		Long: `Give a registered meter new keys drawn at random (EK, AK and KEK; its LLS
password and HLS secret stay): they are staged in the store as pending keys,
sent to the meter with global_key_transfer wrapped under its current KEK,
proved by a new association with them, and only then made the meter's keys.

It queues a key_change command and carries out the queue (this command and
any other that is due) until the command ends or --timeout passes; the store
must not be in use by hes serve. When the meter does not take the new keys,
they are discarded and the old ones stay in use. When it cannot be told
whether the meter took them (the meter went silent after the transfer), they
stay pending and the command says so: hes cmd retry checks again. A command
still open at --timeout goes on with hes serve or hes cmd run; the exit status
is then 1, as for a failure.`,
		Example: `  hes keys rotate SIM000001
  hes keys rotate MTR00042 --timeout 5m --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, g, so, args[0])
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.timeout, "timeout", 2*time.Minute, "how long to wait for the key change to end")
	f.IntVar(&o.attempts, "attempts", 3, "attempts before the key change is given up")
	f.DurationVar(&o.backoff, "backoff", 5*time.Second, "wait before the first retry, doubling after each")
	agentFlag(cmd, &o.agent)
	return cmd
}

// rotateReport is what hes keys rotate prints with --json.
type rotateReport struct {
	Meter   string        `json:"meter"`
	Rotated bool          `json:"rotated"`
	Keys    string        `json:"keys"` // which keys the store uses: new, previous, or previous with new pending
	Command meter.Command `json:"command"`
}

func (o *rotateOptions) run(cmd *cobra.Command, g *globals, so *meterStoreOptions, id string) (err error) {
	switch {
	case o.timeout <= 0 || o.backoff <= 0:
		return badInput("--timeout and --backoff: want positive durations")
	case o.attempts < 1:
		return badInput("--attempts %d: want at least 1", o.attempts)
	}
	who, err := agentName(o.agent)
	if err != nil {
		return err
	}
	cfg, err := so.headEndConfig()
	if err != nil {
		return err
	}
	h, err := so.openHeadEnd(cfg, headEndOptions{
		log: commandLogger(cmd, g),
		executor: func(ec *meter.ExecutorConfig) {
			ec.Backoff = meter.Backoff{Min: o.backoff, Max: pollBackoffGrowth * o.backoff, Jitter: 0.2}
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
	c, err := stageKeyChange(h, id, "agent:"+who, o.attempts)
	if err != nil {
		return meterRefusal(commandRefusal(err))
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), o.timeout)
	defer cancel()
	// The executor runs until the command is final or the time is up.
	var werr error
	if err := h.withExecutor(ctx, func(ctx context.Context) error {
		_, werr = h.queue.Wait(ctx, c.ID)
		return nil
	}); err != nil {
		return err
	}
	if errors.Is(werr, context.Canceled) {
		return fmt.Errorf("interrupted: the key change of meter %s, command %d, goes on with hes serve or hes cmd run", id, c.ID)
	}
	if werr != nil && !errors.Is(werr, context.DeadlineExceeded) {
		return werr
	}
	if c, err = h.queue.Get(c.ID); err != nil {
		return err
	}
	rep := rotateReport{Meter: id, Rotated: c.State == meter.StateDone, Command: c}
	var failure error
	switch {
	case c.State == meter.StateDone:
		rep.Keys = "new"
	case c.State.Open():
		rep.Keys = "previous, new pending"
		failure = fmt.Errorf("key change of meter %s (command %d) not finished after %s: attempt %d of %d, %s; hes serve or hes cmd run carries it on",
			id, c.ID, o.timeout, c.Attempts, c.MaxAttempts, orNothingYet(c.LastError))
	case c.Stage == "transferred":
		rep.Keys = "previous, new pending"
		failure = fmt.Errorf("key change of meter %s (command %d) %s (%s): %s; the meter took the new keys but they could not be verified: they stay pending (hes cmd retry %d checks them)",
			id, c.ID, c.State, c.Reason, c.LastError, c.ID)
	default:
		rep.Keys = "previous"
		failure = fmt.Errorf("key change of meter %s (command %d) %s (%s): %s; the meter keeps its keys, and so does the store",
			id, c.ID, c.State, c.Reason, c.LastError)
	}
	if g.json {
		if werr := writeJSON(g.stdout, rep); werr != nil {
			return werr
		}
	} else if failure == nil {
		fmt.Fprintf(g.stdout, "keys of meter %s rotated (command %d): %s\n", id, c.ID, c.Outcome)
	}
	return failure
}

func orNothingYet(lastError string) string {
	if lastError == "" {
		return "no error yet"
	}
	return "last error: " + lastError
}

// stageKeyChange draws new keys for meter id, stages them as its pending
// keys and queues the key change, with at most attempts attempts. It
// refuses a meter that has a key change under way, or pending keys left by
// one that the meter may use.
func stageKeyChange(h *headEnd, id, origin string, attempts int) (meter.Command, error) {
	if _, err := h.store.Get(id); err != nil {
		return meter.Command{}, err
	}
	open, err := h.queue.List(meter.CommandFilter{MeterID: id, Kind: meter.CmdKeyChange, States: []meter.CommandState{meter.StatePending, meter.StateRunning}})
	if err != nil {
		return meter.Command{}, err
	}
	if len(open) > 0 {
		return meter.Command{}, badInput("meter %s has a key change under way, command %d: let it end (hes cmd show %d) or cancel it", id, open[0].ID, open[0].ID)
	}
	cur, err := h.store.Keys(id)
	if err != nil {
		return meter.Command{}, err
	}
	if cur.KEK.IsZero() {
		return meter.Command{}, badInput("meter %s has no KEK in the store: its keys cannot be transferred", id)
	}
	st, err := h.store.KeyStatus(id)
	if err != nil {
		return meter.Command{}, err
	}
	if st.Pending {
		hint := "hes keys show " + id
		if last, err := h.queue.List(meter.CommandFilter{MeterID: id, Kind: meter.CmdKeyChange, Limit: 1}); err == nil && len(last) == 1 {
			hint = fmt.Sprintf("hes cmd retry %d checks whether the meter uses them", last[0].ID)
		}
		return meter.Command{}, badInput("meter %s has pending keys from an earlier key change, which the meter may use: %s", id, hint)
	}
	fresh, err := newMeterKeys(cur)
	if err != nil {
		return meter.Command{}, err
	}
	if err := h.store.StagePendingKeys(id, fresh); err != nil {
		return meter.Command{}, err
	}
	c, err := h.queue.Enqueue(meter.CommandRequest{MeterID: id, Kind: meter.CmdKeyChange, Origin: origin, MaxAttempts: attempts})
	if err != nil {
		if derr := h.store.DiscardPendingKeys(id); derr != nil {
			return c, errors.Join(err, derr)
		}
	}
	return c, err
}
