package hdlc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/openhes/hes/dlms/dlmstest"
)

var vectors = os.DirFS("../../testdata/vectors")

func unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

var (
	client16 = Address{Upper: 16, Size: 1}                    // 0x21
	server1  = Address{Upper: 1, Size: 1}                     // 0x03
	server2  = Address{Upper: 1, Lower: 17, Size: 2}          // 0x02 0x23
	server4  = Address{Upper: 1, Lower: 17, Size: 4}          // 0x00 0x02 0x00 0x23
	serverBC = Address{Upper: 0x3FFF, Lower: 0x3FFF, Size: 4} // FE FE FE FF
)

// frameCases cover every kind and address size. The SNRM with a four-byte
// address is the example of an independent implementation's comments, the
// one with a two-byte address the example of security.md; the others were
// computed with a separate bitwise CRC.
var frameCases = []struct {
	name string
	f    Frame
	want string
}{
	{"SNRM 4-byte", Frame{Dest: server4, Src: Address{Upper: 120, Size: 1}, Control: Control{Kind: KindSNRM, PF: true}}, "7EA00A00020023F193232E7E"},
	{"SNRM 2-byte", Frame{Dest: server2, Src: client16, Control: Control{Kind: KindSNRM, PF: true}}, "7EA00802232193BD647E"},
	{"SNRM 1-byte", Frame{Dest: server1, Src: client16, Control: Control{Kind: KindSNRM, PF: true}}, "7EA0070321930F017E"},
	{"I response", Frame{Dest: client16, Src: server1, Control: Control{Kind: KindI, NS: 1, NR: 2, PF: true}, Info: []byte{0xE6, 0xE7, 0x00, 0xC4, 0x01}}, "7EA00E210352E989E6E700C401E6C37E"},
	{"I segmented", Frame{Segmented: true, Dest: server1, Src: client16, Control: Control{Kind: KindI, NS: 5, NR: 6}, Info: []byte{0xE6, 0xE6, 0x00, 0xC0}}, "7EA80D0321CAC548E6E600C0EB117E"},
	{"RR 2-byte", Frame{Dest: client16, Src: server2, Control: Control{Kind: KindRR, NR: 3, PF: true}}, "7EA0082102237168607E"},
	{"RR from vector", Frame{Dest: server1, Src: client16, Control: Control{Kind: KindRR, NR: 2, PF: true}}, "7EA00703215111E47E"},
	{"RNR 4-byte", Frame{Dest: server4, Src: client16, Control: Control{Kind: KindRNR, NR: 7, PF: true}}, "7EA00A0002002321F528777E"},
	{"DISC 4-byte", Frame{Dest: server4, Src: client16, Control: Control{Kind: KindDISC, PF: true}}, "7EA00A00020023215314B77E"},
	{"DISC 1-byte", Frame{Dest: server1, Src: client16, Control: Control{Kind: KindDISC, PF: true}}, "7EA00703215303C77E"},
	{"UA 4-byte", Frame{Dest: client16, Src: server4, Control: Control{Kind: KindUA, PF: true}}, "7EA00A2100020023734CE77E"},
	{"DM", Frame{Dest: client16, Src: server1, Control: Control{Kind: KindDM, PF: true}}, "7EA00721031F6BE97E"},
	{"FRMR 2-byte", Frame{Dest: client16, Src: server2, Control: Control{Kind: KindFRMR, PF: true}, Info: []byte{0x10, 0x22, 0x01}}, "7EA00D2102239704C4102201E84B7E"},
	{"UI broadcast", Frame{Dest: client16, Src: serverBC, Control: Control{Kind: KindUI, PF: true}, Info: []byte{0xE6, 0xE7, 0x00, 0x0F}}, "7EA01021FEFEFEFF1361ACE6E7000FCC757E"},
}

func TestAppendFrame(t *testing.T) {
	for _, c := range frameCases {
		t.Run(c.name, func(t *testing.T) {
			want := unhex(t, c.want)
			got, err := AppendFrame([]byte{0xAA}, c.f)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got[1:], want) || got[0] != 0xAA {
				t.Errorf("AppendFrame = % X\nwant        % X", got[1:], want)
			}
			back, err := ParseFrame(want)
			if err != nil {
				t.Fatal(err)
			}
			if !equalFrames(back, c.f) {
				t.Errorf("ParseFrame = %+v\nwant %+v", back, c.f)
			}
		})
	}
}

func equalFrames(a, b Frame) bool {
	return a.Segmented == b.Segmented && a.Dest == b.Dest && a.Src == b.Src &&
		a.Control == b.Control && bytes.Equal(a.Info, b.Info)
}

// TestAddressSizeZero checks that Size 0 picks the smallest encoding.
func TestAddressSizeZero(t *testing.T) {
	for _, c := range []struct {
		a    Address
		want string
	}{
		{Address{Upper: 1}, "03"},
		{Address{Upper: 0x7F}, "FF"},
		{Address{Upper: 1, Lower: 17}, "0223"},
		{Address{Upper: 0, Lower: 0x7F}, "00FF"},
		{Address{Upper: 0x80, Lower: 0}, "02000001"},
		{Address{Upper: 1, Lower: 0x80}, "00020201"},
		{Address{Upper: 0x1234, Lower: 0x2345}, "48688C8B"},
	} {
		got := hex.EncodeToString(appendAddress(nil, c.a))
		if got != strings.ToLower(c.want) {
			t.Errorf("%+v encodes as %s, want %s", c.a, got, c.want)
		}
		back, n, err := parseAddress(unhex(t, c.want))
		if err != nil || n != len(c.want)/2 || back.Upper != c.a.Upper || back.Lower != c.a.Lower {
			t.Errorf("parseAddress(%s) = %+v, %d, %v", c.want, back, n, err)
		}
	}
}

func TestAppendFrameErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		f    Frame
		want error
	}{
		{"address size 3", Frame{Dest: Address{Upper: 1, Size: 3}, Src: client16, Control: Control{Kind: KindSNRM}}, ErrBadAddress},
		{"1-byte upper too big", Frame{Dest: Address{Upper: 0x80, Size: 1}, Src: client16, Control: Control{Kind: KindSNRM}}, ErrBadAddress},
		{"1-byte with lower", Frame{Dest: Address{Upper: 1, Lower: 1, Size: 1}, Src: client16, Control: Control{Kind: KindSNRM}}, ErrBadAddress},
		{"2-byte lower too big", Frame{Dest: Address{Upper: 1, Lower: 0x80, Size: 2}, Src: client16, Control: Control{Kind: KindSNRM}}, ErrBadAddress},
		{"4-byte too big", Frame{Dest: Address{Upper: 0x4000, Size: 4}, Src: client16, Control: Control{Kind: KindSNRM}}, ErrBadAddress},
		{"source too big", Frame{Dest: server1, Src: Address{Upper: 200, Size: 1}, Control: Control{Kind: KindSNRM}}, ErrBadAddress},
		{"N(S) 8", Frame{Dest: server1, Src: client16, Control: Control{Kind: KindI, NS: 8}}, ErrBadControl},
		{"N(R) 9", Frame{Dest: server1, Src: client16, Control: Control{Kind: KindRR, NR: 9}}, ErrBadControl},
		{"no kind", Frame{Dest: server1, Src: client16}, ErrBadControl},
		{"info too long", Frame{Dest: server1, Src: client16, Control: Control{Kind: KindI}, Info: make([]byte, MaxInfoLength+1)}, ErrBadLength},
		{"info too long for 4-byte", Frame{Dest: server4, Src: client16, Control: Control{Kind: KindI}, Info: make([]byte, MaxInfoLength)}, ErrBadLength},
	} {
		dst := []byte{1, 2}
		got, err := AppendFrame(dst, c.f)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
		if len(got) != 2 {
			t.Errorf("%s: dst grew to %d bytes on error", c.name, len(got))
		}
	}
}

// TestLongInfo encodes information fields above 255 bytes, up to the
// limit of the 11-bit length.
func TestLongInfo(t *testing.T) {
	for _, n := range []int{255, 256, 300, 1024, MaxInfoLength} {
		info := make([]byte, n)
		for i := range info {
			info[i] = byte(i * 7)
		}
		f := Frame{Dest: client16, Src: server1, Control: Control{Kind: KindI, NS: 3, NR: 4, PF: true}, Info: info}
		b, err := AppendFrame(nil, f)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if want := n + 11; len(b) != want {
			t.Errorf("%d bytes: frame of %d bytes, want %d", n, len(b), want)
		}
		if length := int(b[1]&7)<<8 | int(b[2]); length != len(b)-2 {
			t.Errorf("%d bytes: length field %d, frame %d", n, length, len(b))
		}
		if crcBitwise(b[1:6]) != uint16(b[6])|uint16(b[7])<<8 || crcBitwise(b[1:len(b)-3]) != uint16(b[len(b)-3])|uint16(b[len(b)-2])<<8 {
			t.Errorf("%d bytes: HCS or FCS wrong", n)
		}
		back, err := ParseFrame(b)
		if err != nil || !equalFrames(back, f) {
			t.Errorf("%d bytes: ParseFrame = %v, %v", n, back, err)
		}
	}
	// A 300-byte frame computed by a separate implementation starts and
	// ends so: length field 0x135, HCS 5C C9, FCS 6B C7.
	info := make([]byte, 300)
	for i := range 256 {
		info[i] = byte(i)
	}
	b, err := AppendFrame(nil, Frame{Dest: server1, Src: client16, Control: Control{Kind: KindI, PF: true}, Info: info})
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(b[:10]) + ".." + hex.EncodeToString(b[len(b)-5:]); got != "7ea1350321105cc90001..00006bc77e" {
		t.Errorf("300-byte frame = %s", got)
	}
}

// TestSecurityMDFrames checks the two frames of security.md.
func TestSecurityMDFrames(t *testing.T) {
	snrm := unhex(t, "7E A0 08 02 23 21 93 BD 64 7E")
	f, err := ParseFrame(snrm)
	if err != nil {
		t.Fatal(err)
	}
	if f.Dest != server2 || f.Src != client16 || f.Control.Kind != KindSNRM || f.Info != nil {
		t.Errorf("SNRM = %v", f)
	}
	if got := Checksum(snrm[1:7]); got != 0x64BD {
		t.Errorf("FCS = %#04x, want BD 64 on the wire", got)
	}

	i := unhex(t, "7E A0 19 03 21 32 6F D8 E6 E6 00 C0 01 C1 00 08 00 00 01 00 00 FF 02 00 60 1A 7E")
	f, err = ParseFrame(i)
	if err != nil {
		t.Fatal(err)
	}
	if f.Control != (Control{Kind: KindI, NS: 1, NR: 1, PF: true}) || f.Dest != server1 || f.Src != client16 {
		t.Errorf("I frame = %v", f)
	}
	if got := Checksum(i[1:6]); got != 0xD86F {
		t.Errorf("HCS = %#04x, want 6F D8 on the wire", got)
	}
	if got := Checksum(i[1 : len(i)-3]); got != 0x1A60 {
		t.Errorf("FCS = %#04x, want 60 1A on the wire", got)
	}
	apdu, resp, err := CutLLC(f.Info)
	if err != nil || resp || hex.EncodeToString(apdu) != "c001c100080000010000ff0200" {
		t.Errorf("CutLLC = %X %v %v", apdu, resp, err)
	}
}

var reLabel = regexp.MustCompile(`^(SNRM|UA|DISC|DM|RR|RNR|I-frame)(?: N\(S\)=(\d))?(?: N\(R\)=(\d))?`)

// TestVectorFrames parses every frame of every HDLC session, checks it
// against the frame's comment and re-encodes it byte for byte.
func TestVectorFrames(t *testing.T) {
	n := 0
	for _, s := range dlmstest.MustLoadAll(t, vectors) {
		if s.Framing != dlmstest.FramingHDLC {
			continue
		}
		for _, vf := range s.Frames {
			n++
			f, err := ParseFrame(vf.Bytes)
			if err != nil {
				t.Errorf("%s line %d: %v", s.Name, vf.Line, err)
				continue
			}
			b, err := AppendFrame(nil, f)
			if err != nil || !bytes.Equal(b, vf.Bytes) {
				t.Errorf("%s line %d: re-encoded as % X, %v", s.Name, vf.Line, b, err)
			}
			m := reLabel.FindStringSubmatch(vf.Label)
			if m == nil {
				t.Errorf("%s line %d: label %q", s.Name, vf.Line, vf.Label)
				continue
			}
			kind := strings.TrimSuffix(m[1], "-frame")
			if f.Control.Kind.String() != kind {
				t.Errorf("%s line %d: kind %v, label %q", s.Name, vf.Line, f.Control.Kind, vf.Label)
			}
			if m[2] != "" && m[2] != strconv.Itoa(int(f.Control.NS)) || m[3] != "" && m[3] != strconv.Itoa(int(f.Control.NR)) {
				t.Errorf("%s line %d: %v, label %q", s.Name, vf.Line, f.Control, vf.Label)
			}
			if seg := strings.Contains(vf.Label, "segmented"); seg != f.Segmented {
				t.Errorf("%s line %d: segmented %v, label %q", s.Name, vf.Line, f.Segmented, vf.Label)
			}
			// Client frames go to server 1 from the client; server frames the other way.
			cl, sv := f.Src, f.Dest
			if vf.Dir == dlmstest.ServerToClient {
				cl, sv = sv, cl
			}
			if sv != server1 || cl.Size != 1 {
				t.Errorf("%s line %d: client %v server %v", s.Name, vf.Line, cl, sv)
			}
		}
	}
	if n < 200 {
		t.Errorf("only %d HDLC frames in the vectors", n)
	}
}

func TestParseFrameErrors(t *testing.T) {
	good := "7EA00E210352E989E6E700C401E6C37E" // I frame with an information field
	for _, c := range []struct {
		name   string
		in     string
		want   error
		offset int
	}{
		{"empty", "", ErrBadFlag, 0},
		{"no opening flag", "00A0070321930F017E", ErrBadFlag, 0},
		{"no closing flag", "7EA0070321930F0100", ErrBadFlag, 8},
		{"format type 0", "7E00070321930F017E", ErrBadFormat, 1},
		{"format type B", "7EB0070321930F017E", ErrBadFormat, 1},
		{"length below minimum", "7EA0060321930F017E", ErrBadLength, 1},
		{"length above input", "7EA0080321930F017E", ErrBadLength, 1},
		{"length below input", "7EA0070321930F017E7E", ErrBadLength, 1},
		{"truncated header", "7EA007", ErrBadLength, 3},
		{"length 8 no room for info", "7EA008032193000F017E", ErrBadLength, 1},
		{"3-byte address", "7EA00902022321930F017E", ErrBadAddress, 3},
		{"address without end bit", "7EA00902020202020F017E", ErrBadAddress, 3},
		{"source address without end bit", "7EA00A0302020202930F017E", ErrBadAddress, 4},
		{"zero FCS", "7EA00703219300007E", ErrBadFCS, 6},
		{"bad HCS", strings.Replace(good, "E989", "E988", 1), ErrBadHCS, 6},
		{"bad FCS", strings.Replace(good, "E6C3", "E6C4", 1), ErrBadFCS, 13},
		{"info corrupted", strings.Replace(good, "C401", "C402", 1), ErrBadFCS, 13},
	} {
		_, err := ParseFrame(unhex(t, c.in))
		var fe *FrameError
		if !errors.Is(err, c.want) || !errors.As(err, &fe) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
			continue
		}
		if fe.Offset != c.offset {
			t.Errorf("%s: offset %d, want %d (%v)", c.name, fe.Offset, c.offset, err)
		}
	}

	// A REJ with a right FCS is a control field error.
	rej := []byte{Flag, 0xA0, 0x07, 0x03, 0x21, 0x29}
	rej = appendChecksum(rej, 1)
	rej = append(rej, Flag)
	_, err := ParseFrame(rej)
	var fe *FrameError
	if !errors.Is(err, ErrBadControl) || !errors.As(err, &fe) || fe.Offset != 5 {
		t.Errorf("REJ: %v", err)
	}
	if !strings.Contains(err.Error(), "offset 5") {
		t.Errorf("error text %q lacks the offset", err)
	}
}

func TestFrameString(t *testing.T) {
	f := Frame{Segmented: true, Dest: client16, Src: server2, Control: Control{Kind: KindI, NS: 1, NR: 2, PF: true}, Info: make([]byte, 20)}
	if got, want := f.String(), "I N(S)=1 N(R)=2 P/F 1/17->16 segmented info 20 bytes"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestAddressString(t *testing.T) {
	for a, want := range map[Address]string{client16: "16", server2: "1/17", server4: "1/17 (4 bytes)", {Upper: 300}: "300/0 (4 bytes)"} {
		if got := a.String(); got != want {
			t.Errorf("%+v: %q, want %q", a, got, want)
		}
	}
}

func TestAppendBinary(t *testing.T) {
	c := frameCases[3]
	b, err := c.f.AppendBinary(nil)
	if err != nil || hex.EncodeToString(b) != strings.ToLower(c.want) {
		t.Errorf("AppendBinary = % X, %v", b, err)
	}
}
