package apdu

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/apdu from testdata/vectors")

const (
	vectorDir = "../../testdata/vectors"
	apduDir   = "../../testdata/apdu"
)

// recorded is one APDU of a recorded session.
type recorded struct {
	Frame      string // the frame label of the recording, e.g. "[3]" or "[6]-[12]"
	Dir        string // "C->S" or "S->C"
	Deciphered bool   // the plaintext of a ciphered APDU, from the recording's comments
	Note       string // what the recording says the frame is
	APDU       []byte
}

func (r recorded) String() string {
	kind := "wire"
	if r.Deciphered {
		kind = "deciphered"
	}
	return fmt.Sprintf("%s %s %s", r.Frame, r.Dir, kind)
}

// extractVector returns the APDUs of a recorded session: for HDLC the
// information fields of the I-frames after the LLC header, the segments of
// a segmented APDU joined; for the wrapper the data after the 8-byte
// header. It also returns the recording's header comment.
func extractVector(t testing.TB, path string) (header []string, out []recorded) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		label, note string
		first       = map[string]string{} // direction -> label of the first segment
		segments    = map[string][]byte{}
		pending     []recorded // deciphered APDUs waiting for their frame's direction
		inHeader    = true
	)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "# connection"):
			inHeader = false
		case strings.HasPrefix(line, "# ["):
			inHeader = false
			l, rest, _ := strings.Cut(strings.TrimPrefix(line, "# "), " ")
			label, note = l, rest
		case strings.HasPrefix(line, "#") && strings.Contains(line, "plain: "):
			_, rest, _ := strings.Cut(line, "plain: ")
			h, desc, _ := strings.Cut(rest, " ")
			pending = append(pending, recorded{Frame: label, Deciphered: true, Note: strings.TrimSpace(desc), APDU: unhex(t, h)})
		case strings.HasPrefix(line, "#"):
			if inHeader {
				header = append(header, strings.TrimSpace(strings.TrimPrefix(line, "#")))
			}
		default:
			dir, h, ok := strings.Cut(line, " ")
			if !ok || (dir != "C->S" && dir != "S->C") {
				t.Fatalf("%s: bad line %q", path, line)
			}
			for _, p := range pending {
				p.Dir = dir
				out = append(out, p)
			}
			pending = nil
			b := unhex(t, h)
			if b[0] != 0x7E {
				out = append(out, recorded{Frame: label, Dir: dir, Note: note, APDU: wrapperData(t, b)})
				continue
			}
			info, more, ok := hdlcInfo(t, b)
			if !ok {
				continue
			}
			if len(segments[dir]) == 0 {
				first[dir] = label
			}
			segments[dir] = append(segments[dir], info...)
			if more {
				continue
			}
			apdu := segments[dir]
			segments[dir] = nil
			llc := []byte{0xE6, 0xE6, 0x00}
			if dir == "S->C" {
				llc = []byte{0xE6, 0xE7, 0x00}
			}
			if !bytes.HasPrefix(apdu, llc) {
				t.Fatalf("%s %s: information field %x does not start with the LLC header %x", path, label, apdu, llc)
			}
			frames := label
			if first[dir] != label {
				frames = first[dir] + "-" + label
			}
			out = append(out, recorded{Frame: frames, Dir: dir, Note: note, APDU: apdu[len(llc):]})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return header, out
}

// hdlcInfo returns the information field of an HDLC I-frame and whether
// the segmentation bit says that more segments follow; ok is false for the
// other frames.
func hdlcInfo(t testing.TB, b []byte) (info []byte, more, ok bool) {
	t.Helper()
	if len(b) < 9 || b[0] != 0x7E || b[len(b)-1] != 0x7E || b[1]&0xF0 != 0xA0 {
		t.Fatalf("not an HDLC frame: %x", b)
	}
	if n := int(b[1]&0x07)<<8 | int(b[2]); n != len(b)-2 {
		t.Fatalf("HDLC frame %x: length %d, have %d", b, n, len(b)-2)
	}
	p := 3
	for range 2 { // destination and source addresses
		for p < len(b) && b[p]&1 == 0 {
			p++
		}
		p++
	}
	control := b[p]
	if control&1 != 0 { // not an I-frame
		return nil, false, false
	}
	// control, HCS (2) ... FCS (2), flag
	return b[p+3 : len(b)-3], b[1]&0x08 != 0, true
}

// wrapperData returns the data of a wrapper frame.
func wrapperData(t testing.TB, b []byte) []byte {
	t.Helper()
	if len(b) < 8 || b[0] != 0 || b[1] != 1 {
		t.Fatalf("not a wrapper frame: %x", b)
	}
	if n := int(b[6])<<8 | int(b[7]); n != len(b)-8 {
		t.Fatalf("wrapper frame %x: length %d, have %d", b, n, len(b)-8)
	}
	return b[8:]
}

// renderAPDUFile writes the testdata/apdu file of a vector.
func renderAPDUFile(name string, header []string, apdus []recorded) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `# APDUs of the recorded DLMS/COSEM session %s.
#
# Provenance: extracted from testdata/vectors/%s.txt, a session recorded on
# 2026-11-27 on a loopback connection between the Gurux C example meter server and
# the Gurux client libraries (Go for the plain sessions, Python for the ciphered one).
# None of these bytes were produced by hes. For HDLC, an APDU is the information
# field of the I-frames after the 3-byte LLC header, the segments of a segmented
# APDU joined; for the wrapper, the data after the 8-byte header. A "deciphered"
# line is the plaintext of a ciphered APDU as given in the recording's comments.
# Regenerate with: go test ./dlms/apdu -run TestVectorFiles -update
#
# The recording says:
`, name, name)
	for _, h := range header {
		if strings.HasPrefix(h, "format:") {
			continue
		}
		fmt.Fprintf(&b, "#   %s\n", h)
	}
	b.WriteString("#\n# Line format: <frames> <direction> <wire|deciphered> <APDU in hex>\n")
	for _, a := range apdus {
		fmt.Fprintf(&b, "\n# %s\n%s %s\n", a.Note, a, strings.ToUpper(hex.EncodeToString(a.APDU)))
	}
	return b.Bytes()
}

// loadAPDUFile reads a testdata/apdu file.
func loadAPDUFile(t testing.TB, path string) []recorded {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []recorded
	note := ""
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "#"):
			note = strings.TrimSpace(strings.TrimPrefix(line, "#"))
		default:
			f := strings.Fields(line)
			if len(f) != 4 || (f[2] != "wire" && f[2] != "deciphered") {
				t.Fatalf("%s:%d: bad line %q", path, i+1, line)
			}
			out = append(out, recorded{Frame: f[0], Dir: f[1], Deciphered: f[2] == "deciphered", Note: note, APDU: unhex(t, f[3])})
		}
	}
	return out
}

// TestVectorFiles checks that testdata/apdu holds exactly the APDUs of the
// recorded sessions of testdata/vectors (or rewrites it with -update).
func TestVectorFiles(t *testing.T) {
	vectors, err := filepath.Glob(filepath.Join(vectorDir, "*.txt"))
	if err != nil || len(vectors) == 0 {
		t.Fatalf("no vectors in %s: %v", vectorDir, err)
	}
	for _, v := range vectors {
		name := strings.TrimSuffix(filepath.Base(v), ".txt")
		header, apdus := extractVector(t, v)
		want := renderAPDUFile(name, header, apdus)
		path := filepath.Join(apduDir, name+".hex")
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the APDUs extracted from %s (run with -update)", path, v)
		}
	}
}

// allVectorAPDUs returns the APDUs of every testdata/apdu file, by file name.
func allVectorAPDUs(t testing.TB) map[string][]recorded {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(apduDir, "*.hex"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no APDU files in %s: %v", apduDir, err)
	}
	m := map[string][]recorded{}
	for _, f := range files {
		m[strings.TrimSuffix(filepath.Base(f), ".hex")] = loadAPDUFile(t, f)
	}
	return m
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.NewReplacer(" ", "", "\n", "", "\t", "").Replace(s))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}
