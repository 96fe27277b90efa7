package dlmstest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"testing"
	"testing/fstest"
)

var vectors = os.DirFS("../../testdata/vectors")

// TestLoadAllMatchesIndex checks every session file against index.json:
// the frame count, the framing and the addresses.
func TestLoadAllMatchesIndex(t *testing.T) {
	raw, err := fs.ReadFile(vectors, "index.json")
	if err != nil {
		t.Fatal(err)
	}
	var index struct {
		Cases []struct {
			File          string  `json:"file"`
			Framing       string  `json:"framing"`
			ClientSAP     int     `json:"client_sap"`
			ServerAddress int     `json:"server_address"`
			Password      *string `json:"password"`
			Frames        int     `json:"frames"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &index); err != nil {
		t.Fatal(err)
	}
	all := MustLoadAll(t, vectors)
	if len(all) != len(index.Cases) {
		t.Fatalf("%d session files, index lists %d", len(all), len(index.Cases))
	}
	byName := map[string]*Session{}
	for _, s := range all {
		byName[s.Name+".txt"] = s
	}
	for _, c := range index.Cases {
		s := byName[c.File]
		if s == nil {
			t.Errorf("%s: listed in index.json, not loaded", c.File)
			continue
		}
		if len(s.Frames) != c.Frames {
			t.Errorf("%s: %d frames, index says %d", c.File, len(s.Frames), c.Frames)
		}
		if s.Framing != c.Framing {
			t.Errorf("%s: framing %q, index says %q", c.File, s.Framing, c.Framing)
		}
		if s.ClientAddress != c.ClientSAP || s.ServerAddress != c.ServerAddress {
			t.Errorf("%s: addresses %d/%d, index says %d/%d", c.File, s.ClientAddress, s.ServerAddress, c.ClientSAP, c.ServerAddress)
		}
		want := ""
		if c.Password != nil {
			want = *c.Password
		}
		if s.Password != want {
			t.Errorf("%s: password %q, index says %q", c.File, s.Password, want)
		}
		for i, f := range s.Frames {
			if f.Index != i+1 {
				t.Errorf("%s line %d: index %d, want %d", c.File, f.Line, f.Index, i+1)
			}
			if f.Conn != 1 {
				t.Errorf("%s line %d: connection %d, want 1", c.File, f.Line, f.Conn)
			}
		}
	}
}

func TestSessionKeyLines(t *testing.T) {
	s := MustLoad(t, vectors, "hdlc_hls_gmac_ciphered.txt")
	for _, c := range []struct {
		name string
		got  []byte
		want string
	}{
		{"block cipher key", s.BlockCipherKey, "000102030405060708090A0B0C0D0E0F"},
		{"authentication key", s.AuthenticationKey, "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"},
		{"client system title", s.ClientSystemTitle, "4755525558313233"},
		{"server system title", s.ServerSystemTitle, "4142434445464748"},
	} {
		if got := hex.EncodeToString(c.got); got != lower(c.want) {
			t.Errorf("%s = %s, want %s", c.name, got, c.want)
		}
	}
	if s.Authentication != "HLS-GMAC (mechanism 5)" || s.Password != "" {
		t.Errorf("authentication %q password %q", s.Authentication, s.Password)
	}
	if s.Security != "authenticated+encrypted, suite 0" {
		t.Errorf("security %q", s.Security)
	}
	if got := s.Fields["client"]; got != "gurux-python (gurux_dlms 1.0.197)" {
		t.Errorf(`Fields["client"] = %q`, got)
	}

	// Frame [11] is the ciphered AARQ.
	f := s.Frames[10]
	if f.Index != 11 || f.Dir != ClientToServer || f.Label != "I-frame N(S)=0 N(R)=0 P/F: AARQ (HLS-GMAC, mechanism 5) LN-with-ciphering context" {
		t.Fatalf("frame 11: %d %v %q", f.Index, f.Dir, f.Label)
	}
	if f.Cipher == nil {
		t.Fatal("frame 11: no cipher comment")
	}
	if c := f.Cipher; c.Service != "user-information glo-initiate-request" || c.SecurityControl != 0x30 ||
		c.InvocationCounter != 146 || hex.EncodeToString(c.SystemTitle) != "4755525558313233" {
		t.Errorf("frame 11 cipher = %+v", *c)
	}
	if got := hex.EncodeToString(f.Plain); got != lower("01000000065F1F0400401E5DFFFF") {
		t.Errorf("frame 11 plain = %s", got)
	}
	// Frame [13] has a cipher comment without a service name.
	if c := s.Frames[12].Cipher; c == nil || c.Service != "" || c.InvocationCounter != 148 {
		t.Errorf("frame 13 cipher = %+v", c)
	}

	lls := MustLoad(t, vectors, "hdlc_lls_get_set_action.txt")
	if lls.Password != "Gurux" || lls.Authentication != "LLS (mechanism 1)" || lls.BlockCipherKey != nil {
		t.Errorf("lls: authentication %q password %q key %x", lls.Authentication, lls.Password, lls.BlockCipherKey)
	}
}

func lower(s string) string { return string(bytes.ToLower([]byte(s))) }

func TestParseFrameLines(t *testing.T) {
	text := "# header: value\r\n\n# [1] first\n#   plain: C001\nC->S 7E A0 07\nS->C 7ea0\n# trailing\n"
	s, err := Parse("x.txt", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "x" || s.Framing != FramingHDLC || s.Fields["header"] != "value" {
		t.Errorf("session %q framing %q fields %v", s.Name, s.Framing, s.Fields)
	}
	if len(s.Frames) != 2 {
		t.Fatalf("%d frames", len(s.Frames))
	}
	if f := s.Frames[0]; f.Dir != ClientToServer || !bytes.Equal(f.Bytes, []byte{0x7E, 0xA0, 0x07}) ||
		f.Line != 5 || f.Index != 1 || f.Label != "first" || !bytes.Equal(f.Plain, []byte{0xC0, 0x01}) {
		t.Errorf("frame 0 = %+v", f)
	}
	if f := s.Frames[1]; f.Dir != ServerToClient || f.Comments != nil || f.Index != 0 {
		t.Errorf("frame 1 = %+v", f)
	}
	if got := s.Comments; len(got) != 2 || got[1] != "trailing" {
		t.Errorf("comments = %q", got)
	}

	for _, bad := range []string{"X->Y 00\n", "C->S\n", "C->S 0G\n", "S->C 123\n", "# [1] x\n#  cipher: SC=30 IC=99999999999 ST=00\nC->S 00\n"} {
		if _, err := Parse("bad.txt", []byte(bad)); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(fstest.MapFS{}, "missing.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: %v", err)
	}
	fsys := fstest.MapFS{"a.txt": {Data: []byte("C->S 00\n")}, "b.txt": {Data: []byte("junk\n")}}
	if _, err := LoadAll(fsys); err == nil {
		t.Error("LoadAll with a bad file succeeded")
	}
}

func TestSessionStreamAndFilter(t *testing.T) {
	s := MustLoad(t, vectors, "wrapper_none_get.txt")
	if s.Framing != FramingWrapper {
		t.Errorf("framing %q", s.Framing)
	}
	var n int
	for _, f := range s.Frames {
		n += len(f.Bytes)
	}
	if got := len(s.Stream()); got != n {
		t.Errorf("stream of %d bytes, frames total %d", got, n)
	}
	c, sv := s.Filter(ClientToServer), s.Filter(ServerToClient)
	if len(c) != 5 || len(sv) != 5 {
		t.Errorf("%d client and %d server frames", len(c), len(sv))
	}
}
