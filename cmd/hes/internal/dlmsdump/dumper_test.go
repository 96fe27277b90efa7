package dlmsdump

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/hdlc"
	"github.com/openhes/hes/dlms/security"
)

// vectors is where the captured sessions are (see its PROVENANCE.md).
const vectors = "../../../../testdata/vectors"

// The keys of hdlc_hls_gmac_ciphered, from its index.json entry.
var vectorKeys = security.Keys{
	Encryption:     unhex("000102030405060708090A0B0C0D0E0F"),
	Authentication: unhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"),
}

// dumpText decodes the hex input with a new Dumper and returns the text
// output and the error.
func dumpText(t *testing.T, opts Options, text string) (string, error) {
	t.Helper()
	chunks, err := ReadText(text)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := dumpAll(t, opts, chunks)
	var b strings.Builder
	if werr := WriteText(&b, recs); werr != nil {
		t.Fatal(werr)
	}
	return b.String(), err
}

func dumpAll(t *testing.T, opts Options, chunks []Chunk) ([]*Record, error) {
	t.Helper()
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var recs []*Record
	for _, c := range chunks {
		r, err := d.Dump(c)
		recs = append(recs, r...)
		if err != nil {
			return recs, err
		}
	}
	return recs, nil
}

func TestDumpOne(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		in   string
		want string
		err  error
	}{{
		name: "I frame of security.md",
		in:   "7E A0 19 03 21 32 6F D8 E6 E6 00 C0 01 C1 00 08 00 00 01 00 00 FF 02 00 60 1A 7E",
		want: `HDLC frame  (client → server, 27 bytes)
  format: type 3, length 25, segmented: no
  destination: upper 1 (server), 1-byte address 0x03
  source: client SAP 16 (0x21)
  control: I N(S)=1 N(R)=1 P/F=1 (0x32)
  HCS: 6FD8 (ok)
  FCS: 601A (ok)
  LLC: E6 E6 00 (command)
  get-request-normal
    invoke-id-and-priority: 0xC1 (invoke-id 1, confirmed, high priority)
    cosem-attribute-descriptor
      class-id: 8 (Clock)
      instance-id: 0-0:1.0.0.255
      attribute-id: 2
    access-selection: absent
`,
	}, {
		name: "SNRM with a two-byte server address",
		in:   "7E A0 08 02 23 21 93 BD 64 7E",
		want: `HDLC frame  (client → server, 10 bytes)
  format: type 3, length 8, segmented: no
  destination: upper 1, lower 17 (server), 2-byte address 0x0223
  source: client SAP 16 (0x21)
  control: SNRM P/F=1 (0x93)
  FCS: BD64 (ok)
`,
	}, {
		name: "bad FCS",
		in:   "7EA0190321326FD8E6E600C001C100080000010000FF0200601B7E",
		want: `HDLC frame  (client → server, 27 bytes)
  format: type 3, length 25, segmented: no
  destination: upper 1 (server), 1-byte address 0x03
  source: client SAP 16 (0x21)
  control: I N(S)=1 N(R)=1 P/F=1 (0x32)
  HCS: 6FD8 (ok)
  FCS: 601B (wrong, computed 601A)
  error: FCS 601B, computed 601A: hdlc: bad frame check sequence at offset 24
`,
		err: hdlc.ErrBadFCS,
	}, {
		name: "wrapper frame of a GET response",
		in:   "0001000100100009C401C100060001E26A",
		want: `wrapper frame  (server → client, 17 bytes)
  version: 1
  source: wPort 1 (server)
  destination: wPort 16 (client)
  length: 9
  get-response-normal
    invoke-id-and-priority: 0xC1 (invoke-id 1, confirmed, high priority)
    result
      data: double-long-unsigned 123498
`,
	}, {
		name: "bare APDU with a date-time and trailing bytes",
		in:   "C401C100090C07EA0B1B0502240900000000090F",
		want: `APDU  (server → client, 20 bytes)
  get-response-normal
    invoke-id-and-priority: 0xC1 (invoke-id 1, confirmed, high priority)
    result
      data: octet-string 07ea0b1b0502240900000000 (2026-11-27T02:36:09.00+00:00)
    trailing-bytes: 090F (2 bytes after the end of the APDU)
`,
	}, {
		name: "glo-get-request of the Green Book, deciphered",
		opts: Options{Keys: &vectorKeys, SystemTitle: unhex("4D4D4D0000BC614E")},
		in:   "C8 1E 30 01234567 411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
		want: `APDU  (client → server, 32 bytes)
  glo-get-request
    security-control: 0x30 (suite 0, authenticated, encrypted)
    invocation-counter: 19088743
    ciphertext: 411312ff935a47566827c467bc7d825c3be4a77c3fcc056b6b (25 bytes)
    deciphered: with the system title 4D4D4D0000BC614E, authentication tag verified
      get-request-normal
        invoke-id-and-priority: 0x00 (invoke-id 0, unconfirmed, normal priority)
        cosem-attribute-descriptor
          class-id: 8 (Clock)
          instance-id: 0-0:1.0.0.255
          attribute-id: 2
        access-selection: absent
`,
	}, {
		name: "glo-get-request without the system title",
		opts: Options{Keys: &vectorKeys},
		in:   "C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
		want: `APDU  (client → server, 32 bytes)
  glo-get-request
    security-control: 0x30 (suite 0, authenticated, encrypted)
    invocation-counter: 19088743
    ciphertext: 411312ff935a47566827c467bc7d825c3be4a77c3fcc056b6b (25 bytes)
    deciphered: no: the sender's system title is not known
`,
	}, {
		name: "glo-get-request with a wrong system title",
		opts: Options{Keys: &vectorKeys, SystemTitle: unhex("4D4D4D0000BC614F")},
		in:   "C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
		want: `APDU  (client → server, 32 bytes)
  glo-get-request
    security-control: 0x30 (suite 0, authenticated, encrypted)
    invocation-counter: 19088743
    ciphertext: 411312ff935a47566827c467bc7d825c3be4a77c3fcc056b6b (25 bytes)
  error: security: decipher glo-get-request (0xC8) IC 19088743: authentication failed (wrong keys, or 4D4D4D0000BC614F is not the sender's system title)
`,
		err: security.ErrAuthentication,
	}, {
		name: "ded-get-request without the dedicated key",
		opts: Options{Keys: &vectorKeys, SystemTitle: unhex("4D4D4D0000BC614E")},
		in:   "D01E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
		want: `APDU  (client → server, 32 bytes)
  ded-get-request
    security-control: 0x30 (suite 0, authenticated, encrypted)
    invocation-counter: 19088743
    ciphertext: 411312ff935a47566827c467bc7d825c3be4a77c3fcc056b6b (25 bytes)
    deciphered: no: no key for service-specific dedicated ciphering
`,
	}, {
		name: "glo-get-request of security suite 1",
		opts: Options{Keys: &vectorKeys, SystemTitle: unhex("4D4D4D0000BC614E")},
		in:   "C81E3101234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
		want: `APDU  (client → server, 32 bytes)
  glo-get-request
    security-control: 0x31 (suite 1, authenticated, encrypted)
    invocation-counter: 19088743
    ciphertext: 411312ff935a47566827c467bc7d825c3be4a77c3fcc056b6b (25 bytes)
    deciphered: no: security: decipher glo-get-request (0xC8) IC 19088743: deciphering failed: unsupported security control: suite 1
`,
	}, {
		name: "get-response-with-list",
		in:   "C403C1020006000000010103",
		want: `APDU  (server → client, 12 bytes)
  get-response-with-list
    invoke-id-and-priority: 0xC1 (invoke-id 1, confirmed, high priority)
    result: 2 items
      [0]
        data: double-long-unsigned 1
      [1]
        data-access-result: 3 (read-write-denied)
`,
	}, {
		name: "set-request-with-list",
		in:   "C104C1020008 0000010000FF 02 00 0003 0100010800FF 02 00 02 090C07EA0B1BFF02240700000000 0600000001",
		want: `APDU  (client → server, 44 bytes)
  set-request-with-list
    invoke-id-and-priority: 0xC1 (invoke-id 1, confirmed, high priority)
    attribute-descriptor-list: 2 items
      [0]
        cosem-attribute-descriptor
          class-id: 8 (Clock)
          instance-id: 0-0:1.0.0.255
          attribute-id: 2
        access-selection: absent
      [1]
        cosem-attribute-descriptor
          class-id: 3 (Register)
          instance-id: 1-0:1.8.0.255
          attribute-id: 2
        access-selection: absent
    value-list: 2 items
      [0]: octet-string 07ea0b1bff02240700000000 (2026-11-27T02:36:07.00+00:00)
      [1]: double-long-unsigned 1
`,
	}, {
		name: "datablocks of a get-response to a get-request-with-list",
		in: `C->S C003C1020003 0100010800FF 0200 0008 0000010000FF 0200
S->C C402C100 00000001 00 04 02000600
S->C C402C101 00000002 00 05 0000010103
S->C C402C101 00000007 00 01 00
`,
		want: `[1] APDU  (client → server, 24 bytes)
  get-request-with-list
    invoke-id-and-priority: 0xC1 (invoke-id 1, confirmed, high priority)
    attribute-descriptor-list: 2 items
      [0]
        cosem-attribute-descriptor
          class-id: 3 (Register)
          instance-id: 1-0:1.8.0.255
          attribute-id: 2
        access-selection: absent
      [1]
        cosem-attribute-descriptor
          class-id: 8 (Clock)
          instance-id: 0-0:1.0.0.255
          attribute-id: 2
        access-selection: absent

[2] APDU  (server → client, 14 bytes)
  get-response-with-datablock
    invoke-id-and-priority: 0xC1 (invoke-id 1, confirmed, high priority)
    last-block: false
    block-number: 1
    raw-data: 02000600 (4 bytes)
    reassembly: block 1, 4 bytes so far

[3] APDU  (server → client, 15 bytes)
  get-response-with-datablock
    invoke-id-and-priority: 0xC1 (invoke-id 1, confirmed, high priority)
    last-block: true
    block-number: 2
    raw-data: 0000010103 (5 bytes)
    reassembled: 2 blocks, 9 bytes, frames 2 to 3
      result: 2 items
        [0]
          data: double-long-unsigned 1
        [1]
          data-access-result: 3 (read-write-denied)

[4] APDU  (server → client, 11 bytes)
  get-response-with-datablock
    invoke-id-and-priority: 0xC1 (invoke-id 1, confirmed, high priority)
    last-block: true
    block-number: 7
    raw-data: 00 (1 bytes)
    reassembly: not possible: block 7 without the blocks before it
`,
	}, {
		name: "truncated frame",
		in:   "7EA0190321326FD8E6E600C001C1",
		want: `HDLC frame  (14 bytes)
  error: truncated: the length field says 25 bytes between the flags, 13 present
`,
		err: errAny,
	}, {
		name: "unknown APDU",
		in:   "E0 01",
		want: `APDU  (2 bytes)
  error: apdu: apdu(0xE0) at offset 0: unknown APDU tag
`,
		err: apdu.ErrUnknownTag,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dumpText(t, tt.opts, tt.in)
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			var de *Error
			switch {
			case tt.err == nil && err != nil:
				t.Errorf("error %v", err)
			case tt.err != nil && !errors.As(err, &de):
				t.Errorf("error %v, want an *Error", err)
			case tt.err != nil && tt.err != errAny && !errors.Is(err, tt.err):
				t.Errorf("error %v, want %v", err, tt.err)
			}
		})
	}
}

// errAny stands for any error in the tables.
var errAny = errors.New("any error")

func TestErrorPosition(t *testing.T) {
	// A good SNRM, then a frame with a bad FCS 9 bytes into the input.
	_, err := dumpText(t, Options{}, "7EA0070321930F017E 7EA0190321326FD8E6E600C001C100080000010000FF0200601B7E")
	if err == nil || !strings.HasPrefix(err.Error(), "HDLC frame at byte 9: FCS 601B, computed 601A") {
		t.Errorf("error %v", err)
	}
	_, err = dumpText(t, Options{}, "# one frame\nC->S 7EA0070321930F017E\nS->C 7EA0070321930F027E\n")
	if err == nil || !strings.HasPrefix(err.Error(), "line 3: HDLC frame: FCS 0F02, computed 0F01") {
		t.Errorf("error %v", err)
	}
}

// session is a captured session: its chunks, and what its comments say
// about each frame line.
type session struct {
	chunks []Chunk
	plain  map[int][]byte // line of a frame -> its deciphered APDU, from the comments
}

var plainComment = regexp.MustCompile(`^#\s+plain: ([0-9A-F]+)`)

func loadSession(t *testing.T, name string) session {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectors, name))
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := ReadText(string(b))
	if err != nil {
		t.Fatal(err)
	}
	s := session{chunks: chunks, plain: map[int][]byte{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	var plain []byte
	for line := 1; sc.Scan(); line++ {
		if m := plainComment.FindStringSubmatch(sc.Text()); m != nil {
			plain = unhex(m[1])
		} else if !strings.HasPrefix(sc.Text(), "#") && plain != nil {
			s.plain[line] = plain
			plain = nil
		}
	}
	return s
}

func TestDumpVectors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(vectors, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			s := loadSession(t, name)
			for _, opts := range []Options{{}, {Keys: &vectorKeys}} {
				recs, err := dumpAll(t, opts, s.chunks)
				if err != nil {
					t.Fatal(err)
				}
				if len(recs) != len(s.chunks) {
					t.Fatalf("%d records for %d frames", len(recs), len(s.chunks))
				}
				for i, r := range recs {
					if r.Direction != s.chunks[i].Direction || r.Line != s.chunks[i].Line {
						t.Errorf("record %d: line %d %v, want line %d %v", i+1, r.Line, r.Direction, s.chunks[i].Line, s.chunks[i].Direction)
					}
				}
				var out bytes.Buffer
				if err := WriteJSON(&out, recs, nil); err != nil || !json.Valid(out.Bytes()) {
					t.Fatalf("WriteJSON: %v", err)
				}
			}
		})
	}
}

// TestDumpDeciphersVector checks every ciphered APDU of the HLS session
// against the plaintext that the capture's comments give.
func TestDumpDeciphersVector(t *testing.T) {
	s := loadSession(t, "hdlc_hls_gmac_ciphered.txt")
	if len(s.plain) == 0 {
		t.Fatal("no plaintext in the comments")
	}
	recs, err := dumpAll(t, Options{Keys: &vectorKeys}, s.chunks)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, r := range recs {
		plain, ok := s.plain[r.Line]
		if !ok {
			continue
		}
		a, err := apdu.Parse(plain)
		if err != nil {
			t.Fatalf("line %d: the comment's plaintext: %v", r.Line, err)
		}
		want := nodeText(apduNode(a))
		dec := find(r.Node, "deciphered")
		if dec == nil || len(dec.Fields) == 0 {
			t.Errorf("line %d: not deciphered", r.Line)
			continue
		}
		// The deciphered APDU shows what the plaintext shows, and maybe
		// more after it (reassembly, HLS checks).
		if got := nodeText(dec.Fields[0]); !strings.HasPrefix(got, want) {
			t.Errorf("line %d: deciphered\n%s\nwant\n%s", r.Line, got, want)
		}
		checked++
	}
	if checked != len(s.plain) {
		t.Errorf("checked %d deciphered APDUs, the comments give %d", checked, len(s.plain))
	}
	var all strings.Builder
	if err := WriteText(&all, recs); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"f(StoC) verified with the client's system title 4755525558313233, invocation counter 147",
		"f(CtoS) verified with the server's system title 4142434445464748, invocation counter 82",
		"reassembled: 11 blocks, 4105 bytes, frames 28 to 102",
	} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, k := range [][]byte{vectorKeys.Encryption, vectorKeys.Authentication} {
		for _, form := range []string{fmt.Sprintf("%X", k), fmt.Sprintf("%x", k)} {
			if strings.Contains(all.String(), form) {
				t.Errorf("a key appears in the output")
			}
		}
	}
}

// TestDumpReassembles checks the HDLC segments and GET datablocks of the
// plain block-transfer session, and that a hex stream of its frames,
// without directions, decodes as the session does.
func TestDumpReassembles(t *testing.T) {
	s := loadSession(t, "hdlc_none_block_transfer.txt")
	recs, err := dumpAll(t, Options{}, s.chunks)
	if err != nil {
		t.Fatal(err)
	}
	var whole *Node
	segments := 0
	for _, r := range recs {
		if n := r.child("segment"); n != nil && strings.Contains(n.Value, "reassembled from frames") {
			segments++
		}
		if n := find(r.Node, "reassembled"); n != nil {
			whole = n
		}
	}
	if segments == 0 || whole == nil {
		t.Fatalf("%d APDUs reassembled from segments, datablocks reassembled: %v", segments, whole != nil)
	}
	list := whole.child("data")
	if list == nil || list.Type != "array" || len(list.Fields) == 0 {
		t.Fatalf("reassembled value: %+v", list)
	}
	first := list.Fields[0]
	if got := nodeText(first); !strings.Contains(got, "[0]: long-unsigned 15 (Association LN)") ||
		!strings.Contains(got, "octet-string 0000280000ff (0-0:40.0.0.255)") {
		t.Errorf("first object of the list:\n%s", got)
	}

	var stream []byte
	for _, c := range s.chunks {
		stream = append(stream, c.Bytes...)
	}
	srecs, err := dumpAll(t, Options{}, []Chunk{{Bytes: stream}})
	if err != nil {
		t.Fatal(err)
	}
	var a, b strings.Builder
	if err := WriteText(&a, recs); err != nil {
		t.Fatal(err)
	}
	if err := WriteText(&b, srecs); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Error("the frames decode differently as one hex stream than as a session")
	}
}

func TestOctetReading(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"0100010800FF", "1-0:1.8.0.255"},
		{"07EA0B1B0502240400000000", "2026-11-27T02:36:04.00+00:00"},
		{"07EA0D1B0502240400000000", ""}, // month 13
		{"4755525558313233", `"GURUX123"`},
		{"010203", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := octetReading(unhex(tt.in)); got != tt.want {
			t.Errorf("octetReading(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewChecksOptions(t *testing.T) {
	short := security.Keys{Encryption: make([]byte, 15), Authentication: make([]byte, 16)}
	if _, err := New(Options{Keys: &short}); err == nil {
		t.Error("a 15-byte key is accepted")
	}
	if _, err := New(Options{SystemTitle: make([]byte, 7)}); err == nil {
		t.Error("a 7-byte system title is accepted")
	}
}

// find returns the first node named name under n, depth first.
func find(n *Node, name string) *Node {
	for _, c := range n.Fields {
		if c.Name == name {
			return c
		}
		if f := find(c, name); f != nil {
			return f
		}
	}
	return nil
}

// nodeText renders n and its fields as WriteText renders fields.
func nodeText(n *Node) string {
	var b strings.Builder
	writeFields(&b, []*Node{n}, 0)
	return b.String()
}
