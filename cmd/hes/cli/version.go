package cli

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is the release of hes, set at build time with
// -ldflags "-X github.com/openhes/hes/cmd/hes/cli.Version=v1.2.3".
var Version = "dev"

type versionInfo struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of hes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			info := versionInfo{Version: Version, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						info.Commit = s.Value
					}
				}
			}
			if g.json {
				enc := json.NewEncoder(g.stdout)
				return enc.Encode(info)
			}
			_, err := fmt.Fprintf(g.stdout, "hes %s (%s, %s", info.Version, info.Go, info.Platform)
			if err != nil {
				return err
			}
			if info.Commit != "" {
				fmt.Fprintf(g.stdout, ", commit %.12s", info.Commit)
			}
			fmt.Fprintln(g.stdout, ")")
			return nil
		},
	}
}
