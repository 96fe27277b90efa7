package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vectorsDir holds the captured sessions (see its PROVENANCE.md).
const vectorsDir = "../../../testdata/vectors"

// runIn is run with stdin.
func runIn(t *testing.T, stdin string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errb bytes.Buffer
	status = Main(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), status
}

// vectorCase is one captured session from index.json.
type vectorCase struct {
	Case   string  `json:"case"`
	File   string  `json:"file"`
	EK     *string `json:"block_cipher_key"`
	AK     *string `json:"authentication_key"`
	Frames int     `json:"frames"`
}

func loadIndex(t *testing.T) map[string]vectorCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorsDir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx struct{ Cases []vectorCase }
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	m := map[string]vectorCase{}
	for _, c := range idx.Cases {
		m[c.Case] = c
	}
	return m
}

// TestDLMSDecodeVectors decodes every captured session and looks for the
// facts that its description gives.
func TestDLMSDecodeVectors(t *testing.T) {
	facts := map[string][]string{
		"hdlc_none_get": {
			"control: SNRM P/F=1 (0x93)",
			"max-info-field-length-receive: 128",
			"octet-string 07ea0b1b0502240400000000 (2026-11-27T02:36:04.00+00:00)",
			"instance-id: 1-0:1.8.0.255",
			"data: double-long-unsigned 123493",
			"[1]: enum 30",
			"RLRE",
		},
		"hdlc_lls_get_set_action": {
			"mechanism-name: LLS (2.16.756.5.8.2.1)",
			"calling-authentication-value: (5 bytes, not shown)",
			"value: octet-string 07ea0b1b0502240503000000 (2026-11-27T02:36:05.03+00:00)",
			"set-response-normal\n    invoke-id-and-priority: 0xC1 (invoke-id 1, confirmed, high priority)\n    result: 0 (success)",
			"method-id: 3",
		},
		"hdlc_lls_wrong_password": {
			"result: 1 (rejected-permanent)",
			"result-source-diagnostic: 13 (acse-service-user: authentication-failure)",
		},
		"hdlc_none_block_transfer": {
			"segmented: yes, more segments follow",
			"control: RR N(R)=",
			"is reassembled from frames 30, 32, 34, 36",
			"reassembled: 10 blocks, 4105 bytes, frames 12 to 78",
			"[2]: octet-string 0000280000ff (0-0:40.0.0.255)",
		},
		"hdlc_hls_gmac_ciphered": {
			"calling-AP-title: 4755525558313233 (8 bytes) (\"GURUX123\")",
			"glo-initiate-request",
			"general-glo-ciphering",
			"security-control: 0x30 (suite 0, authenticated, encrypted)",
			"invocation-counter: 149",
			"deciphered: no: no keys given",
			"exception-response",
		},
		"wrapper_none_get": {
			"source: wPort 16 (client)",
			"destination: wPort 16 (client)",
			"(2026-11-27T02:36:09.00+00:00)",
			"data: double-long-unsigned 123498",
		},
	}
	t.Setenv(envEK, "") // no keys from the environment
	t.Setenv(envAK, "")
	idx := loadIndex(t)
	if len(idx) != len(facts) {
		t.Errorf("index.json lists %d cases, the test knows %d", len(idx), len(facts))
	}
	for name, want := range facts {
		t.Run(name, func(t *testing.T) {
			c, ok := idx[name]
			if !ok {
				t.Fatalf("%s is not in index.json", name)
			}
			out, stderr, status := run(t, "dlms", "decode", "--file", filepath.Join(vectorsDir, c.File))
			if status != ExitOK || stderr != "" {
				t.Fatalf("status %d, stderr %q", status, stderr)
			}
			if got := strings.Count(out, " frame  ("); got != c.Frames {
				t.Errorf("%d frames decoded, index.json says %d", got, c.Frames)
			}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			if strings.Contains(out, "\n  error: ") {
				t.Error("output reports an error")
			}
		})
	}
}

// TestDLMSDecodeKeys deciphers the ciphered session with its keys from
// index.json, given as flags, files and environment variables; the keys
// never appear in what hes writes.
func TestDLMSDecodeKeys(t *testing.T) {
	c := loadIndex(t)["hdlc_hls_gmac_ciphered"]
	if c.EK == nil || c.AK == nil {
		t.Fatal("index.json gives no keys for hdlc_hls_gmac_ciphered")
	}
	ek, ak := *c.EK, *c.AK
	file := filepath.Join(vectorsDir, c.File)
	dir := t.TempDir()
	ekFile, akFile := filepath.Join(dir, "ek"), filepath.Join(dir, "ak")
	if err := os.WriteFile(ekFile, []byte(ek+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(akFile, unhexT(t, ak), 0o600); err != nil { // raw bytes
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  [2]string
		args []string
	}{
		{"flags", [2]string{}, []string{"--ek", ek, "--ak", strings.ToLower(ak)}},
		{"files", [2]string{}, []string{"--ek-file", ekFile, "--ak-file", akFile}},
		{"environment", [2]string{ek, ak}, nil},
		{"flag over environment", [2]string{"00000000000000000000000000000000", ak}, []string{"--ek", ek}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envEK, tt.env[0])
			t.Setenv(envAK, tt.env[1])
			args := append([]string{"dlms", "decode", "--file", file}, tt.args...)
			out, stderr, status := run(t, args...)
			if status != ExitOK {
				t.Fatalf("status %d: %s", status, stderr)
			}
			for _, w := range []string{
				"deciphered: with the system title 4755525558313233, authentication tag verified",
				"deciphered: with the system title 4142434445464748, authentication tag verified",
				"client-max-receive-pdu-size: 65535",
				"f(StoC) verified",
				"data: octet-string 07ea0b1b0502240700000000 (2026-11-27T02:36:07.00+00:00)",
				"data: double-long-unsigned 123496",
				"instance-id: 0-0:96.3.10.255",
				"reassembled: 11 blocks",
			} {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			if strings.Contains(out, "deciphered: no") {
				t.Error("an APDU is not deciphered")
			}
			noKeys(t, out+stderr, ek, ak)
		})
	}

	// Wrong keys stop at the first ciphered APDU, without showing them.
	wrong := "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDE"
	out, stderr, status := run(t, "dlms", "decode", "--file", file, "--ek", ek, "--ak", wrong)
	if status != ExitBadUse || !strings.Contains(stderr, "line 46: HDLC frame: ") || !strings.Contains(stderr, "authentication failed") {
		t.Errorf("wrong key: status %d, stderr %q", status, stderr)
	}
	if !strings.Contains(out, "[10] HDLC frame") {
		t.Error("wrong key: the frames before the error are not shown")
	}
	noKeys(t, out+stderr, ek, wrong)

	out, stderr, status = run(t, "dlms", "decode", "--json", "--file", file, "--ek", ek, "--ak", ak)
	if status != ExitOK || !json.Valid([]byte(out)) {
		t.Fatalf("--json: status %d, stderr %q", status, stderr)
	}
	noKeys(t, out, ek, ak)
}

// noKeys fails when a key appears in s, in either case.
func noKeys(t *testing.T, s string, keys ...string) {
	t.Helper()
	low := strings.ToLower(s)
	for _, k := range keys {
		if strings.Contains(low, strings.ToLower(k)) {
			t.Error("a key appears in the output")
		}
	}
}

func unhexT(t *testing.T, s string) []byte {
	t.Helper()
	b, err := parseHexValue(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDLMSDecodeJSON checks that --json gives the same tree as the text.
func TestDLMSDecodeJSON(t *testing.T) {
	out, stderr, status := run(t, "dlms", "decode", "--json", "--file", filepath.Join(vectorsDir, "hdlc_none_get.txt"))
	if status != ExitOK {
		t.Fatalf("status %d: %s", status, stderr)
	}
	type node struct {
		Name, Type, Value, Reading string
		Fields                     []node
	}
	var doc struct {
		Frames []struct {
			Index     int
			Line      int
			Direction string
			Length    int
			node
		}
		Error string
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Frames) != 14 || doc.Error != "" {
		t.Fatalf("%d frames, error %q", len(doc.Frames), doc.Error)
	}
	f := doc.Frames[5]
	if f.Index != 6 || f.Line != 28 || f.Direction != "server-to-client" || f.Length != 50 || f.Name != "HDLC frame" {
		t.Errorf("frame 6: %+v", f)
	}
	var data *node
	var walk func(n []node)
	walk = func(ns []node) {
		for i := range ns {
			if ns[i].Name == "data" {
				data = &ns[i]
			}
			walk(ns[i].Fields)
		}
	}
	walk(f.Fields)
	if data == nil || data.Type != "octet-string" || data.Value != "07ea0b1b0502240400000000" || data.Reading != "2026-11-27T02:36:04.00+00:00" {
		t.Errorf("clock value: %+v", data)
	}
}

// TestDLMSDecodeInput feeds the forms of input: hex arguments with spaces,
// colons and line breaks, stdin, wrapper frames and bare APDUs.
func TestDLMSDecodeInput(t *testing.T) {
	const getClock = "get-request-normal\n    invoke-id-and-priority: 0xC1"
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  []string
	}{
		{"one argument", "", []string{"7EA0190321326FD8E6E600C001C100080000010000FF0200601A7E"},
			[]string{"HDLC frame  (client → server, 27 bytes)", "HCS: 6FD8 (ok)", getClock}},
		{"bytes as arguments", "", strings.Fields("7E A0 19 03 21 32 6F D8 E6 E6 00 C0 01 C1 00 08 00 00 01 00 00 FF 02 00 60 1A 7E"),
			[]string{"HDLC frame  (client → server, 27 bytes)", getClock}},
		{"colons", "", []string{"7E:A0:19:03:21:32:6F:D8:E6:E6:00:C0:01:C1:00:08:00:00:01:00:00:FF:02:00:60:1A:7E"},
			[]string{getClock}},
		{"stdin with line breaks and comments", "# GET clock\n7EA0 1903 2132\n6FD8 E6E6 00C0\n01C1 0008 0000 0100 00FF 0200 601A 7E\n", []string{"--file", "-"},
			[]string{getClock}},
		{"two frames in one stream", "", []string{"7EA0070321930F017E", "7EA01E210373C37A818012050180060180070400000001080400000001533B7E"},
			[]string{"[1] HDLC frame  (client → server, 9 bytes)", "[2] HDLC frame  (server → client, 32 bytes)", "window-size-receive: 1"}},
		{"wrapper frame", "", []string{"000100100001000DC001C100080000010000FF0200"},
			[]string{"wrapper frame  (client → server, 21 bytes)", "source: wPort 16 (client)", getClock}},
		{"bare APDU", "", []string{"C0 01 C1 00 08 00 00 01 00 00 FF 02 00"},
			[]string{"APDU  (client → server, 13 bytes)", "  get-request-normal\n"}},
		{"session on stdin", "C->S 7EA0070321930F017E\nS->C C401C100060001E265\n", []string{"--file", "-"},
			[]string{"[1] HDLC frame  (client → server, 9 bytes)", "[2] APDU  (server → client, 9 bytes)", "double-long-unsigned 123493"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, status := runIn(t, tt.stdin, append([]string{"dlms", "decode"}, tt.args...)...)
			if status != ExitOK || stderr != "" {
				t.Fatalf("status %d, stderr %q", status, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestDLMSDecodeBadInput checks that bad input exits with status 2 and a
// one-line reason that says where, after printing what came before.
func TestDLMSDecodeBadInput(t *testing.T) {
	t.Setenv(envEK, "")
	t.Setenv(envAK, "")
	secret := "00112233445566778899AABBCCDDEEF"
	tests := []struct {
		name   string
		stdin  string
		args   []string
		stderr string
		stdout string // part of what is printed before the error
	}{
		{"bad hex", "", []string{"7EA0", "07G3"}, "argument 2, column 3: not a hex digit: 'G'", ""},
		{"odd digits", "", []string{"7EA 007"}, "argument 1, column 1: odd number of hex digits", ""},
		{"bad hex in a file", "# x\n\nC->S 7EA0 0G\n", []string{"--file", "-"}, "line 3, column 12: not a hex digit: 'G'", ""},
		{"line without direction", "C->S 7EA0070321930F017E\n7EA0070321930F017E\n", []string{"--file", "-"}, "line 2: want C->S or S->C", ""},
		{"truncated frame", "", []string{"7EA0190321326FD8E6E600C001C100"},
			"decode: HDLC frame at byte 0: truncated: the length field says 25 bytes between the flags, 14 present", "error: truncated"},
		{"bad FCS after a good frame", "", []string{"7EA0070321930F017E 7EA0190321326FD8E6E600C001C100080000010000FF0200601B7E"},
			"decode: HDLC frame at byte 9: FCS 601B, computed 601A", "control: SNRM"},
		{"bad HCS", "", []string{"7EA0190321326FD9E6E600C001C100080000010000FF0200601A7E"},
			"decode: HDLC frame at byte 0: HCS 6FD9, computed 6FD8", "HCS: 6FD9 (wrong, computed 6FD8)"},
		{"bytes after a frame", "", []string{"7EA0070321930F017E00"}, "HDLC frame at byte 9: byte 0x00 where a frame should open", "control: SNRM"},
		{"truncated APDU", "", []string{"C401C100060001"}, "decode: APDU at byte 0: ", ""},
		{"truncated wrapper", "", []string{"0001001000010010C001"}, "decode: wrapper frame at byte 0: truncated: the length field says 16 bytes of APDU, 2 present", ""},
		{"nothing", "", nil, "nothing to decode", ""},
		{"empty stdin", "# only a comment\n", []string{"--file", "-"}, "no hex bytes", ""},
		{"arguments and file", "", []string{"--file", "-", "7E"}, "not both", ""},
		{"missing file", "", []string{"--file", filepath.Join(t.TempDir(), "none")}, "--file: open", ""},
		{"short key", "", []string{"--ek", secret, "--ak", secret + "0", "C0"}, "--ek: want a 16-byte key as 32 hex digits", ""},
		{"key not hex", "", []string{"--ek", "ZZ" + secret[1:], "--ak", secret + "0", "C0"}, "--ek: want a 16-byte key", ""},
		{"one key", "", []string{"--ak", secret + "0", "C0"}, "needs the encryption key too", ""},
		{"bad system title", "", []string{"--system-title", "0102", "C0"}, "--system-title: want 8 bytes as 16 hex digits", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, status := runIn(t, tt.stdin, append([]string{"dlms", "decode"}, tt.args...)...)
			if status != ExitBadUse {
				t.Errorf("status %d, want %d", status, ExitBadUse)
			}
			if !strings.HasPrefix(stderr, "hes: ") || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr %q, want one line with %q", stderr, tt.stderr)
			}
			if !strings.Contains(out, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, out)
			}
			noKeys(t, out+stderr, secret, secret[1:])
		})
	}
}

// TestDLMSDecodeJSONError checks that --json still writes a document, with
// the frames before the error and the error itself.
func TestDLMSDecodeJSONError(t *testing.T) {
	out, _, status := run(t, "dlms", "decode", "--json", "7EA0070321930F017E7EA0070321930F027E")
	var doc struct {
		Frames []json.RawMessage
		Error  string
	}
	if status != ExitBadUse || json.Unmarshal([]byte(out), &doc) != nil {
		t.Fatalf("status %d, output %q", status, out)
	}
	if len(doc.Frames) != 2 || !strings.Contains(doc.Error, "HDLC frame at byte 9: FCS 0F02, computed 0F01") {
		t.Errorf("%d frames, error %q", len(doc.Frames), doc.Error)
	}
}

func TestDLMSGroup(t *testing.T) {
	if _, _, status := run(t, "dlms", "no-such-tool"); status != ExitBadUse {
		t.Errorf("dlms no-such-tool: status %d", status)
	}
	out, _, status := run(t, "dlms")
	if status != ExitOK || !strings.Contains(out, "decode") {
		t.Errorf("dlms: status %d, output %q", status, out)
	}
}
