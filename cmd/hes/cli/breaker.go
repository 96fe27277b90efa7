package cli

import (
	"context"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/meter"
)

// breakerOptions are the flags of hes breaker and its sub-commands.
type breakerOptions struct {
	connectOptions
	obis  string
	close bool
}

func newBreakerCmd(g *globals) *cobra.Command {
	o := &breakerOptions{}
	cmd := &cobra.Command{
		Use:   "breaker",
		Short: "Show, open or close a meter's breaker (or gas valve)",
		Long: `Show the state of a disconnect control (class 70), open it with
remote_disconnect, or reconnect it with remote_reconnect.

What a remote reconnection does depends on the control mode: in modes 1, 3,
5 and 6 it arms the breaker (ready for reconnection) and the customer closes
it with the button; in modes 2 and 4 it closes the breaker at once. hes
breaker reconnect refuses the latter unless --close is given, so that power
never comes back with nobody there by mistake.

The breaker is 0-0:96.3.10.255; --obis names another disconnect control,
such as the gas valve 0-1:24.4.0.255.`,
		Example: `  hes breaker status --tcp 10.0.0.7:4059 --auth hls-gmac --ek-file ek.hex --ak-file ak.hex
  hes breaker disconnect --tcp 10.0.0.7:4059 --auth hls-gmac ...
  hes breaker reconnect --obis 0-1:24.4.0.255 --tcp 10.0.0.7:4059 --auth hls-gmac ...`,
		Args: cobra.NoArgs,
	}
	o.addFlags(cmd.PersistentFlags())
	cmd.PersistentFlags().StringVar(&o.obis, "obis", "", "the disconnect control's `OBIS` code (default the breaker, 0-0:96.3.10.255)")
	status := &cobra.Command{
		Use:   "status",
		Short: "Show the breaker's output, control state and control mode",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd, g, nil)
		},
	}
	disconnect := &cobra.Command{
		Use:   "disconnect",
		Short: "Open the breaker (remote_disconnect), then show its state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd, g, func(ctx context.Context, c *meter.Client, obis dlms.OBIS, _ meter.BreakerState) error {
				return c.RemoteDisconnect(ctx, obis)
			})
		},
	}
	reconnect := &cobra.Command{
		Use:   "reconnect",
		Short: "Arm the breaker for the customer (remote_reconnect), then show its state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd, g, func(ctx context.Context, c *meter.Client, obis dlms.OBIS, s meter.BreakerState) error {
				if meter.ReconnectClosesBreaker(s.Mode) && !o.close {
					return badInput("refused: in control %v a remote reconnection closes the breaker at once, not only arms it; give --close to close it", s.Mode)
				}
				return c.RemoteReconnect(ctx, obis)
			})
		},
	}
	reconnect.Flags().BoolVar(&o.close, "close", false, "reconnect even when the control mode closes the breaker at once")
	cmd.AddCommand(status, disconnect, reconnect)
	return cmd
}

// run reads the state of the disconnect control, runs act (when not nil)
// with it, and prints the state read last.
func (o *breakerOptions) run(cmd *cobra.Command, g *globals, act func(ctx context.Context, c *meter.Client, obis dlms.OBIS, s meter.BreakerState) error) error {
	obis, err := o.object()
	if err != nil {
		return err
	}
	var s meter.BreakerState
	err = o.withMeter(cmd, g, func(ctx context.Context, c *meter.Client) error {
		var err error
		if s, err = c.ReadBreaker(ctx, obis); err != nil || act == nil {
			return err
		}
		if err := act(ctx, c, obis, s); err != nil {
			return err
		}
		s, err = c.ReadBreaker(ctx, obis)
		return err
	})
	if err != nil {
		return err
	}
	out := breakerJSON{
		OBIS: obis, Output: s.Output, State: s.State.String(), Mode: uint8(s.Mode),
		ReconnectCloses: meter.ReconnectClosesBreaker(s.Mode),
	}
	if g.json {
		return writeJSON(g.stdout, out)
	}
	output, reconnect := "open", "arms (the customer closes)"
	if out.Output {
		output = "closed"
	}
	if out.ReconnectCloses {
		reconnect = "closes at once"
	}
	return keyValues(g.stdout,
		[2]string{"object", obis.String()},
		[2]string{"output", output},
		[2]string{"control state", out.State},
		[2]string{"control mode", strconv.Itoa(int(out.Mode))},
		[2]string{"remote reconnect", reconnect},
	)
}

// object returns the disconnect control to act on.
func (o *breakerOptions) object() (dlms.OBIS, error) {
	if o.obis == "" {
		return profileOBIS(meter.RoleBreaker)
	}
	obis, err := dlms.ParseOBIS(o.obis)
	if err != nil {
		return obis, badInput("--obis: %v", err)
	}
	return obis, nil
}

// breakerJSON is what hes breaker prints.
type breakerJSON struct {
	OBIS            dlms.OBIS `json:"obis"`
	Output          bool      `json:"output"` // true when closed
	State           string    `json:"control_state"`
	Mode            uint8     `json:"control_mode"`
	ReconnectCloses bool      `json:"reconnect_closes"`
}
