package cli

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openhes/hes/meter"
)

func newCmdCmd(g *globals) *cobra.Command {
	o := &meterStoreOptions{}
	cmd := &cobra.Command{
		Use:   "cmd",
		Short: "List, show, retry and cancel the commands of the queue, or run those due",
		Long: `The command queue holds the orders for the meters (display, disconnect, arm,
limiter_set, limiter_clear, clock_sync, key_change) until each is carried out
and confirmed by reading the meter back, or given up after its attempts.
hes serve carries them out; hes cmd run does it once, for those due now.

States: pending (waiting for its turn or its next attempt), running, done
(confirmed), failed (given up: the reason says why), cancelled, superseded (a
display write replaced by a newer one before it was sent).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	o.addFlags(cmd)
	cmd.AddCommand(newCmdListCmd(g, o), newCmdShowCmd(g, o), newCmdRetryCmd(g, o), newCmdCancelCmd(g, o), newCmdRunCmd(g, o))
	return cmd
}

// withQueue opens the store and its command queue without the master
// key, runs fn with the queue and the meters' time zone, and closes the
// store.
func (o *meterStoreOptions) withQueue(cmd *cobra.Command, g *globals, fn func(q *meter.Queue, loc *time.Location) error) error {
	cfg, err := o.headEndConfig()
	if err != nil {
		return err
	}
	now, err := runningClock()
	if err != nil {
		return err
	}
	return o.withMeters(cmd, g, withoutMasterKey, func(s *meter.Store, _ bool) error {
		qcfg := cfg.QueueConfig()
		qcfg.Now, qcfg.Logger = now, storeLogger(cmd, g)
		q, err := meter.OpenQueue(s, qcfg)
		if err != nil {
			return err
		}
		return commandRefusal(fn(q, s.Location()))
	})
}

// commandRefusal turns an operation that the queue refuses (an unknown
// command, a state that does not allow it) into a bad-input error with its
// reason.
func commandRefusal(err error) error {
	for _, target := range []error{meter.ErrUnknownCommand, meter.ErrCommandState, meter.ErrInvalidCommand} {
		if errors.Is(err, target) {
			return &usageError{err: errors.New(withoutPackagePrefix(err.Error()))}
		}
	}
	return err
}

// commandID reads a command id argument.
func commandID(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, badInput("command id %q: want a number from 1", s)
	}
	return id, nil
}

type cmdListOptions struct {
	meter, ean, kind string
	states           []string
	limit            int
}

// filter checks the options and returns the filter they make.
func (o *cmdListOptions) filter() (meter.CommandFilter, error) {
	f := meter.CommandFilter{MeterID: o.meter, EAN: o.ean, Kind: meter.CommandKind(o.kind), Limit: o.limit}
	if o.kind != "" && !slices.Contains(meter.CommandKinds, f.Kind) {
		return f, badInput("--kind %q: want one of %s", o.kind, joinKinds())
	}
	for _, s := range o.states {
		st := meter.CommandState(strings.TrimSpace(s))
		if !slices.Contains(meter.CommandStates, st) {
			return f, badInput("--state %q: want one of %s", s, joinStates())
		}
		f.States = append(f.States, st)
	}
	if o.limit < 0 {
		return f, badInput("--limit %d: want 0 (all) or more", o.limit)
	}
	return f, nil
}

func joinKinds() string {
	s := make([]string, len(meter.CommandKinds))
	for i, k := range meter.CommandKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func joinStates() string {
	s := make([]string, len(meter.CommandStates))
	for i, k := range meter.CommandStates {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func newCmdListCmd(g *globals, so *meterStoreOptions) *cobra.Command {
	o := &cmdListOptions{}
	cmd := &cobra.Command{
		Use:   "list [--meter ID] [--ean EAN] [--kind KIND] [--state STATE,...]",
		Short: "List the commands, oldest first",
		Example: `  hes cmd list --state pending,running
  hes cmd list --meter SIM000001 --kind disconnect --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := o.filter()
			if err != nil {
				return err
			}
			return so.withQueue(cmd, g, func(q *meter.Queue, loc *time.Location) error {
				cs, err := q.List(f)
				if err != nil {
					return err
				}
				if g.json {
					if cs == nil {
						cs = []meter.Command{}
					}
					return writeJSON(g.stdout, cs)
				}
				t := newTableOf("id", "meter", "ean", "kind", "state", "attempts", "requested", "next/finished", "result")
				for _, c := range cs {
					t.add(strconv.FormatUint(c.ID, 10), c.MeterID, c.EAN, string(c.Kind), string(c.State),
						fmt.Sprintf("%d/%d", c.Attempts, c.MaxAttempts), localStamp(c.RequestedAt, loc),
						localStamp(commandWhen(c), loc), commandResult(c))
				}
				return t.write(g.stdout)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.meter, "meter", "", "only the commands of meter `ID`")
	f.StringVar(&o.ean, "ean", "", "only the commands of the access point `EAN` (a meter's or its gas meter's)")
	f.StringVar(&o.kind, "kind", "", "only the commands of `KIND`: "+joinKinds())
	f.StringSliceVar(&o.states, "state", nil, "only the commands in these `STATES`, comma-separated: "+joinStates())
	f.IntVar(&o.limit, "limit", 100, "at most this many commands, the newest; 0 for all")
	return cmd
}

// commandWhen is the next attempt of an open command, the end of a final
// one.
func commandWhen(c meter.Command) time.Time {
	if c.State.Open() {
		return c.NextAttemptAt
	}
	return c.FinishedAt
}

// commandResult is what a command came to, in a few words: the read-back
// of a done command, the reason and error of a failed one.
func commandResult(c meter.Command) string {
	switch {
	case c.State == meter.StateDone:
		return c.Outcome
	case c.State == meter.StateSuperseded:
		return "by command " + strconv.FormatUint(c.SupersededBy, 10)
	case c.Reason != "":
		return string(c.Reason) + ": " + c.LastError
	}
	return c.LastError
}

func newCmdShowCmd(g *globals, so *meterStoreOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a command: its order, its state, its attempts and what came of it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := commandID(args[0])
			if err != nil {
				return err
			}
			return so.withQueue(cmd, g, func(q *meter.Queue, loc *time.Location) error {
				c, err := q.Get(id)
				if err != nil {
					return err
				}
				return writeCommand(g, c, loc)
			})
		},
	}
}

// writeCommand prints one command, as JSON with --json.
func writeCommand(g *globals, c meter.Command, loc *time.Location) error {
	if g.json {
		return writeJSON(g.stdout, c)
	}
	pairs := [][2]string{
		{"id", strconv.FormatUint(c.ID, 10)},
		{"meter", c.MeterID},
		{"ean", fmt.Sprintf("%s (%s)", c.EAN, c.Energy)},
		{"kind", string(c.Kind)},
	}
	if p := commandParams(c.Params); p != "" {
		pairs = append(pairs, [2]string{"parameters", p})
	}
	if c.Origin != "" {
		pairs = append(pairs, [2]string{"origin", c.Origin})
	}
	if c.IdempotencyKey != "" {
		pairs = append(pairs, [2]string{"idempotency key", c.IdempotencyKey})
	}
	pairs = append(pairs,
		[2]string{"state", string(c.State)},
		[2]string{"requested", localStamp(c.RequestedAt, loc)},
		[2]string{"attempts", fmt.Sprintf("%d of %d", c.Attempts, c.MaxAttempts)},
	)
	if c.State.Open() {
		pairs = append(pairs, [2]string{"next attempt", localStamp(c.NextAttemptAt, loc)})
	} else {
		pairs = append(pairs, [2]string{"finished", localStamp(c.FinishedAt, loc)})
	}
	if c.Stage != "" {
		pairs = append(pairs, [2]string{"stage", c.Stage})
	}
	if c.Outcome != "" {
		pairs = append(pairs, [2]string{"outcome", c.Outcome})
	}
	if c.SupersededBy != 0 {
		pairs = append(pairs, [2]string{"superseded by", strconv.FormatUint(c.SupersededBy, 10)})
	}
	if c.Reason != "" {
		pairs = append(pairs, [2]string{"reason", string(c.Reason)})
	}
	if c.LastError != "" {
		pairs = append(pairs, [2]string{"last error", c.LastError})
	}
	for i := range pairs {
		pairs[i][1] = cell(pairs[i][1])
	}
	return keyValues(g.stdout, pairs...)
}

// commandParams describes the parameters of a command.
func commandParams(p meter.CommandParams) string {
	var s []string
	if d := p.Display; d != nil {
		s = append(s, fmt.Sprintf("balance %s, emergency credit %s, updated %s",
			cents(d.Balance), cents(d.EmergencyCredit), d.UpdatedAt.UTC().Format(time.RFC3339)))
	}
	if p.Watts != 0 {
		s = append(s, fmt.Sprintf("%d W", p.Watts))
	}
	if p.AllowRemoteClose {
		s = append(s, "remote close allowed")
	}
	if p.Keys != "" {
		s = append(s, "keys "+p.Keys)
	}
	return strings.Join(s, "; ")
}

// cents formats an amount in cents as euros, e.g. -12.50.
func cents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

func newCmdRetryCmd(g *globals, so *meterStoreOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "retry ID",
		Short: "Make a failed or cancelled command pending again, with its attempts from zero",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := commandID(args[0])
			if err != nil {
				return err
			}
			return so.withQueue(cmd, g, func(q *meter.Queue, loc *time.Location) error {
				c, err := q.Retry(id)
				if err != nil {
					return err
				}
				if g.json {
					return writeJSON(g.stdout, c)
				}
				_, err = fmt.Fprintf(g.stdout, "command %d (%s %s) is pending again, due now\n", c.ID, c.Kind, c.MeterID)
				return err
			})
		},
	}
}

func newCmdCancelCmd(g *globals, so *meterStoreOptions) *cobra.Command {
	var why, agent string
	cmd := &cobra.Command{
		Use:   "cancel ID [--reason TEXT]",
		Short: "Cancel a pending command",
		Long: `Cancel a pending command, which is then never sent. A running command cannot
be cancelled: its attempt is under way.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := commandID(args[0])
			if err != nil {
				return err
			}
			who, err := agentName(agent)
			if err != nil {
				return err
			}
			text := "cancelled by " + who
			if why = strings.TrimSpace(why); why != "" {
				text += ": " + why
			}
			return so.withQueue(cmd, g, func(q *meter.Queue, loc *time.Location) error {
				c, err := q.Cancel(id, text)
				if err != nil {
					return err
				}
				if g.json {
					return writeJSON(g.stdout, c)
				}
				_, err = fmt.Fprintf(g.stdout, "command %d (%s %s) %s\n", c.ID, c.Kind, c.MeterID, c.LastError)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&why, "reason", "", "why the command is cancelled, kept with it")
	agentFlag(cmd, &agent)
	return cmd
}

func newCmdRunCmd(g *globals, so *meterStoreOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Carry out the commands due now, once, and print what came of them",
		Long: `Carry out the commands that are due now, each in its meter's order, and
return when none is due any more; the commands that failed and wait for their
next attempt are left for later (hes serve, or hes cmd run again). The store
must not be in use by hes serve.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			cfg, err := so.headEndConfig()
			if err != nil {
				return err
			}
			h, err := so.openHeadEnd(cfg, headEndOptions{log: commandLogger(cmd, g)})
			if err != nil {
				return err
			}
			defer func() {
				if cerr := h.Close(); cerr != nil && err == nil {
					err = cerr
				}
			}()
			before, err := h.queue.List(meter.CommandFilter{States: []meter.CommandState{meter.StatePending, meter.StateRunning}})
			if err != nil {
				return err
			}
			attempts, err := h.executor.RunDue(cmd.Context())
			if err != nil {
				return err
			}
			// The commands that an attempt changed.
			cs := []meter.Command{}
			for _, b := range before {
				c, err := h.queue.Get(b.ID)
				if err != nil {
					return err
				}
				if c.State != b.State || c.Attempts != b.Attempts || c.LastError != b.LastError {
					cs = append(cs, c)
				}
			}
			if g.json {
				return writeJSON(g.stdout, struct {
					Attempts int             `json:"attempts"`
					Commands []meter.Command `json:"commands"`
				}{attempts, cs})
			}
			fmt.Fprintf(g.stdout, "%d %s\n", attempts, plural(attempts, "attempt", "attempts"))
			if len(cs) == 0 {
				return nil
			}
			t := newTableOf("id", "meter", "kind", "state", "attempts", "result")
			for _, c := range cs {
				t.add(strconv.FormatUint(c.ID, 10), c.MeterID, string(c.Kind), string(c.State),
					fmt.Sprintf("%d/%d", c.Attempts, c.MaxAttempts), commandResult(c))
			}
			return t.write(g.stdout)
		},
	}
}
