package cli

import "github.com/spf13/cobra"

// newDLMSCmd groups the tools that work on the DLMS/COSEM protocol itself.
func newDLMSCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dlms",
		Short: "Tools for the DLMS/COSEM protocol: decode captured frames",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(newDLMSDecodeCmd(g))
	return cmd
}
