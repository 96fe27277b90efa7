package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// run executes the real root command with args and returns its outputs and exit status.
func run(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errb bytes.Buffer
	status = Main(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), status
}

func TestVersion(t *testing.T) {
	out, _, status := run(t, "version")
	if status != ExitOK || !strings.HasPrefix(out, "hes ") {
		t.Fatalf("version: status %d, output %q", status, out)
	}
	out, _, status = run(t, "version", "--json")
	var v versionInfo
	if status != ExitOK || json.Unmarshal([]byte(out), &v) != nil || v.Version == "" || v.Go == "" {
		t.Fatalf("version --json: status %d, output %q", status, out)
	}
}

func TestExitStatus(t *testing.T) {
	tests := []struct {
		args   []string
		status int
	}{
		{[]string{"no-such-command"}, ExitBadUse},
		{[]string{"version", "--no-such-flag"}, ExitBadUse},
		{[]string{"version", "extra"}, ExitBadUse},
		{[]string{"version", "--log-level", "loud"}, ExitBadUse},
	}
	for _, tt := range tests {
		_, stderr, status := run(t, tt.args...)
		if status != tt.status {
			t.Errorf("%v: status %d, want %d", tt.args, status, tt.status)
		}
		if strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.HasPrefix(stderr, "hes: ") {
			t.Errorf("%v: stderr %q is not one line starting with \"hes: \"", tt.args, stderr)
		}
	}
}
