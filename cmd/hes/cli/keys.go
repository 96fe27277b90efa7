package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/openhes/hes/meter"
)

// keysSubcommand builds a sub-command of hes keys with the options that
// they share: the store, the configuration and the master key file.
type keysSubcommand func(g *globals, o *meterStoreOptions) *cobra.Command

// newKeysCmd builds hes keys with its store-side sub-commands (show, set)
// and the extra ones given, such as the rotation that talks to the meter:
// root.go lists newKeysCmd(g, newKeysRotateCmd).
func newKeysCmd(g *globals, extra ...keysSubcommand) *cobra.Command {
	o := &meterStoreOptions{}
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Show a meter's keys' state, install keys in the store, rotate a meter's keys",
		Long: `Show the state of a meter's keys and install keys in the store. The keys
are sealed under the master key (--master-key-file, the configuration's
master_key_file, or HES_MASTER_KEY); no command prints them, and none takes
them from the command line.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	o.addFlags(cmd)
	for _, sub := range append([]keysSubcommand{newKeysShowCmd, newKeysSetCmd}, extra...) {
		cmd.AddCommand(sub(g, o))
	}
	return cmd
}

func newKeysShowCmd(g *globals, so *meterStoreOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "show METER",
		Short: "Show which keys a meter has, its pending keys and its invocation counters",
		Long: `Show which keys a meter has (ek, ak, kek, lls_password, hls_secret), which
pending keys a rotation staged, the next invocation counter that each
ciphering client will send under the current key and the last counter
received from the meter. Never the keys themselves.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return so.withMeters(cmd, g, needsMasterKey, func(s *meter.Store, sealed bool) error {
				m, err := s.Get(args[0])
				if err != nil {
					return err
				}
				r, err := newKeyReport(s, m, sealed)
				if err != nil {
					return err
				}
				if g.json {
					return writeJSON(g.stdout, struct {
						Meter string `json:"meter"`
						keyReport
					}{m.ID, r})
				}
				tw := newTable(g.stdout)
				row := func(k, format string, args ...any) {
					fmt.Fprintf(tw, "%s\t%s\n", k, cell(fmt.Sprintf(format, args...)))
				}
				row("Meter", "%s", m.ID)
				r.rows(row)
				return tw.Flush()
			})
		},
	}
}

func newKeysSetCmd(g *globals, so *meterStoreOptions) *cobra.Command {
	var keysFile string
	cmd := &cobra.Command{
		Use:   "set METER --keys-file FILE",
		Short: "Install a meter's keys in the store, without talking to the meter",
		Long: `Install a meter's keys in the store, e.g. the factory keys delivered with
the meter, without talking to the meter: they replace the current keys; the
pending keys of a rotation stay as they are. The file is a JSON object of
hexadecimal strings:
  {"ek": "000102…0f", "ak": "…", "kek": "…", "lls_password": "…"}
with every key that the meter's profile needs.`,
		Example: `  hes keys set MTR00001 --keys-file mtr00001.keys.json`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := readKeysFile(keysFile)
			if err != nil {
				return err
			}
			return so.withMeters(cmd, g, needsMasterKey, func(s *meter.Store, sealed bool) error {
				m, err := s.Get(args[0])
				if err != nil {
					return err
				}
				if err := checkRequiredKeys(s, m.Profile, k, keysFile); err != nil {
					return err
				}
				if err := s.PutKeys(m.ID, k); err != nil {
					return err
				}
				if g.json {
					r, err := newKeyReport(s, m, sealed)
					if err != nil {
						return err
					}
					return writeJSON(g.stdout, struct {
						Meter string `json:"meter"`
						keyReport
					}{m.ID, r})
				}
				_, err = fmt.Fprintf(g.stdout, "keys of meter %s installed: %s\n", m.ID, strings.Join(k.Present(), ", "))
				return err
			})
		},
	}
	cmd.Flags().StringVar(&keysFile, "keys-file", "", "JSON `FILE` with the meter's keys in hexadecimal")
	_ = cmd.MarkFlagRequired("keys-file")
	return cmd
}
