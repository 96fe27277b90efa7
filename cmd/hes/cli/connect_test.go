package cli

import (
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConnectFlags(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.hex")
	if err := os.WriteFile(bad, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"clock"}, "say where the meter is: --tcp HOST:PORT or --serial DEVICE"},
		{[]string{"clock", "--tcp", "h:1", "--serial", "/dev/x"}, "--tcp and --serial: give one of them"},
		{[]string{"clock", "--tcp", "h:1", "--hdlc", "--wrapper"}, "--hdlc and --wrapper"},
		{[]string{"clock", "--serial", "/dev/x", "--wrapper"}, "--wrapper needs --tcp"},
		{[]string{"clock", "--tcp", "h:1", "--optical"}, "--optical needs --serial"},
		{[]string{"clock", "--tcp", "h:1", "--address-size", "3"}, "--address-size 3"},
		{[]string{"clock", "--tcp", "h:1", "--auth", "hls"}, `--auth "hls": want none, lls or hls-gmac`},
		{[]string{"clock", "--tcp", "h:1", "--auth", "lls"}, "--auth lls needs a password: --password, --password-file or HES_PASSWORD"},
		{[]string{"clock", "--tcp", "h:1", "--auth", "lls", "--password", "a", "--password-file", empty}, "--password and --password-file"},
		{[]string{"clock", "--tcp", "h:1", "--auth", "lls", "--password-file", empty}, "is empty"},
		{[]string{"clock", "--tcp", "h:1", "--password", "secret"}, "a password is for --auth lls"},
		{[]string{"clock", "--tcp", "h:1", "--client", "300"}, "--client 300"},
		{[]string{"clock", "--tcp", "h:1", "--system-title", "00"}, "are for --auth hls-gmac"},
		{[]string{"clock", "--tcp", "h:1", "--auth", "hls-gmac"}, "--auth hls-gmac needs the keys"},
		{[]string{"clock", "--tcp", "h:1", "--auth", "hls-gmac", "--ek-file", bad, "--ak-file", bad}, "--ek-file: want a 16-byte key"},
		{[]string{"clock", "--tcp", "h:1", "--timeout", "-1s"}, "cannot be negative"},
		{[]string{"clock", "--tcp", "h:1", "--client", "x"}, "invalid argument"},
	}
	for _, tt := range tests {
		_, stderr, status := run(t, tt.args...)
		if status != ExitBadUse || !strings.Contains(stderr, tt.msg) {
			t.Errorf("%v: status %d, stderr %q; want 2 and %q", tt.args, status, stderr, tt.msg)
		}
		if strings.Contains(stderr, "secret") {
			t.Errorf("%v: stderr shows the password: %q", tt.args, stderr)
		}
	}

	keys := keyFiles(t)
	for _, args := range [][]string{
		append(append([]string{"clock", "--tcp", "h:1"}, keys[:6]...), "--system-title", "4845"),
		append(append([]string{"clock", "--tcp", "h:1"}, keys...), "--security", "some"),
	} {
		_, stderr, status := run(t, args...)
		if status != ExitBadUse {
			t.Errorf("%v: status %d, %s", args, status, stderr)
		}
		for _, k := range [][]byte{techEK, techAK} {
			if strings.Contains(strings.ToLower(stderr), hex.EncodeToString(k)) {
				t.Errorf("%v: stderr shows a key: %s", args, stderr)
			}
		}
	}
}

// Keys from the environment, the client SAP from --client, the password
// from a file.
func TestConnectSources(t *testing.T) {
	_, addr := startTechMeter(t)
	t.Setenv(envEK, hex.EncodeToString(techEK))
	t.Setenv(envAK, hex.EncodeToString(techAK))
	out, stderr, status := run(t, "read", "--tcp", addr, "--auth", "hls-gmac", "--system-title", techClientTitle, "0-0:43.0.0.255:64:2")
	if status != ExitOK || !strings.Contains(out, "enum 3") {
		t.Errorf("keys from the environment: %d, %s%s", status, out, stderr)
	}

	file := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(file, []byte(techPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, status = run(t, "read", "--tcp", addr, "--auth", "lls", "--password-file", file, "0-0:1.0.0"); status != ExitOK {
		t.Errorf("password file: %d, %s", status, stderr)
	}
	// The technician's password on the management SAP is refused.
	_, stderr, status = run(t, "read", "--tcp", addr, "--auth", "lls", "--password-file", file, "--client", "1", "0-0:1.0.0")
	if status != ExitFailure || !strings.HasPrefix(stderr, "hes: associate: ") {
		t.Errorf("LLS on SAP 1: %d, %s", status, stderr)
	}
}

// A counter below the meter's is refused; the meter's, read through the
// public client, is not.
func TestConnectInvocationCounter(t *testing.T) {
	_, addr := startTechMeter(t)
	args := append([]string{"read", "--tcp", addr, "1-0:1.8.1"}, keyFiles(t)...)
	_, stderr, status := run(t, append(args, "--invocation-counter", "10")...)
	if status != ExitFailure || !strings.HasPrefix(stderr, "hes: associate: ") || strings.Count(stderr, "\n") != 1 ||
		!strings.Contains(stderr, "the meter could not decipher the request") {
		t.Errorf("old counter: %d, %q", status, stderr)
	}
	out, stderr, status := run(t, args...)
	if status != ExitOK || !strings.Contains(out, "80000 Wh") {
		t.Errorf("counter read from the meter: %d, %s%s", status, out, stderr)
	}
	if _, stderr, status = run(t, append(args, "--invocation-counter", "600")...); status != ExitOK {
		t.Errorf("counter above the meter's: %d, %s", status, stderr)
	}
}

func TestConnectLinkFailure(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, stderr, status := run(t, "clock", "--tcp", addr)
	if status != ExitFailure || !strings.HasPrefix(stderr, "hes: link: ") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("closed port: %d, %q", status, stderr)
	}
	_, stderr, status = run(t, "clock", "--tcp", addr, "--auth", "hls-gmac", "--ek-file", os.DevNull, "--ak-file", os.DevNull, "--system-title", techClientTitle)
	if status != ExitBadUse {
		t.Errorf("empty key files: %d, %q", status, stderr)
	}
}

func TestTrace(t *testing.T) {
	_, addr := startTechMeter(t)
	out, stderr, status := run(t, "read", "--tcp", addr, "--hdlc", "--auth", "lls", "--password", techPassword, "--trace", "0-0:1.0.0")
	if status != ExitOK || !strings.Contains(out, "2026-11-27 03:36:04 CET") {
		t.Fatalf("status %d: %s", status, stderr)
	}
	for _, want := range []string{
		"# client 17 TX\nC->S 7EA007032393BF327E\n#     HDLC frame  (client → server, 9 bytes)",
		"control: SNRM P/F=1 (0x93)",
		"8008****************BE10",
		"calling-authentication-value: (8 bytes, not shown)",
		"# client 17 RX\nS->C 7EA01E230352F0FF",
		"(LLS password masked)",
		"data: octet-string 07ea0b1b0503240400ffc400 (2026-11-27T03:36:04.00+01:00)",
		"control: DISC P/F=1 (0x53)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("trace lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(strings.ToUpper(stderr), strings.ToUpper(hex.EncodeToString([]byte(techPassword)))) || strings.Contains(stderr, techPassword) {
		t.Error("the trace shows the password")
	}

	// With HLS-GMAC the trace deciphers, and never shows a key.
	_, stderr, status = run(t, append([]string{"read", "--tcp", addr, "--trace", "1-0:1.8.0"}, keyFiles(t)...)...)
	if status != ExitOK {
		t.Fatalf("HLS: status %d: %s", status, stderr)
	}
	for _, want := range []string{"public client TX", "client 1 TX", "glo-get-request", "get-request-normal", "double-long-unsigned 123456"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("HLS trace lacks %q", want)
		}
	}
	for _, k := range [][]byte{techEK, techAK} {
		if strings.Contains(strings.ToUpper(stderr), strings.ToUpper(hex.EncodeToString(k))) {
			t.Error("the trace shows a key")
		}
	}

	// A trace is a session file: hes dlms decode reads it back.
	capture := filepath.Join(t.TempDir(), "trace.txt")
	if err := os.WriteFile(capture, []byte(stderr), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, status := run(t, append([]string{"dlms", "decode", "--file", capture}, decodeKeyFlags(t)...)...)
	if status != ExitOK || !strings.Contains(out, "double-long-unsigned 123456") {
		t.Errorf("decoding the trace: status %d, %s\n%s", status, errOut, out)
	}
}

// A meter that refuses an association with an exception response is asked
// again, --retries times.
func TestConnectRetry(t *testing.T) {
	m, addr := startTechMeter(t)
	m.refuse = 1
	if _, stderr, status := run(t, "read", "--tcp", addr, "1-0:1.8.0"); status != ExitOK {
		t.Errorf("one refusal: %d, %s", status, stderr)
	}
	m.refuse = 3
	_, stderr, status := run(t, "read", "--tcp", addr, "--hdlc", "--retries", "2", "1-0:1.8.0")
	if status != ExitFailure || !strings.HasPrefix(stderr, "hes: associate: exception response: service-not-allowed") {
		t.Errorf("three refusals, two retries: %d, %s", status, stderr)
	}
	if m.refuse != 0 {
		t.Errorf("%d refusals left", m.refuse)
	}
}
