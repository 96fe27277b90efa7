// Package cli holds the commands of the hes binary, one file per command.
// Each command is built by a constructor from the shared options; there are
// no package-level variables, so tests build the real root command, set its
// arguments and outputs, and run it.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
)

// Exit statuses of the hes binary.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitBadUse  = 2 // bad input or a refused operation
)

// globals are the options every command shares.
type globals struct {
	logLevel string
	json     bool
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer
}

// logger returns the structured logger that writes to stderr at the chosen level.
func (g *globals) logger() zerolog.Logger {
	lvl, err := zerolog.ParseLevel(g.logLevel)
	if err != nil || g.logLevel == "" {
		lvl = zerolog.InfoLevel
	}
	return zerolog.New(g.stderr).Level(lvl).With().Timestamp().Logger()
}

// usageError marks an error as bad input: the command exits with status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// badInput wraps err so that the command exits with status 2.
func badInput(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// NewRoot builds the hes root command with all its sub-commands.
func NewRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "hes",
		Short:         "Head-end system for DLMS/COSEM smart meters with central prepayment",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if _, err := zerolog.ParseLevel(g.logLevel); err != nil {
				return badInput("--log-level %q: want trace, debug, info, warn or error", g.logLevel)
			}
			return nil
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: trace, debug, info, warn, error")
	root.PersistentFlags().BoolVar(&g.json, "json", false, "print machine-readable JSON instead of tables")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{err: err}
	})
	for _, sub := range subcommands(g) {
		root.AddCommand(sub)
	}
	return root
}

// subcommands lists the constructors of every command.
func subcommands(g *globals) []*cobra.Command {
	return []*cobra.Command{
		newVersionCmd(g),
		newDLMSCmd(g),
		newAccountCmd(g),
		newRechargeCmd(g),
		newAdjustCmd(g),
		newBalanceCmd(g),
		newTariffCmd(g),
		newMetersCmd(g),
		newKeysCmd(g, newKeysRotateCmd),
		newConfigCmd(g),
		newReadCmd(g),
		newObjectsCmd(g),
		newClockCmd(g),
		newProfileCmd(g),
		newBreakerCmd(g),
		newSimCmd(g),
		newServeCmd(g, servePrepayment),
		newPollCmd(g),
		newCmdCmd(g),
		newCommissionCmd(g),
		newCycleCmd(g),
		newDemoCmd(g),
	}
}

// Main runs hes with args and returns the process exit status. Errors are
// printed as one line on stderr.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	root := NewRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(stderr, "hes: "+oneLine(err.Error()))
	return exitStatus(err)
}

// exitStatus maps an error to the exit status: 2 for bad input and refused
// operations, 1 otherwise.
func exitStatus(err error) int {
	var ue *usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return ExitBadUse
	}
	return ExitFailure
}

// isCobraUsage recognises the argument errors that cobra raises itself.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "requires at most", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
