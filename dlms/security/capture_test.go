package security_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/openhes/hes/dlms/security"
)

// captureFile is a session between two independent implementations (the
// Gurux Python client and the Gurux C server): HLS-GMAC authentication and
// every APDU of the association ciphered. Its comments give the keys, the
// system titles and, for each ciphered APDU, its security header and the
// deciphered content. See testdata/vectors/PROVENANCE.md.
const captureFile = "../../testdata/vectors/hdlc_hls_gmac_ciphered.txt"

// capturedAPDU is one ciphered APDU of the capture with what its comments
// say about it.
type capturedAPDU struct {
	line     int    // of the frame that completes the APDU
	dir      string // "C->S" or "S->C"
	comments string // the comment lines before that frame
	apdu     []byte // the APDU as sent: a ciphered APDU, or an AARQ/AARE
	control  byte
	counter  uint32
	title    []byte
	plain    []byte
}

// capture is what the test reads from captureFile.
type capture struct {
	ek, ak, clientTitle, serverTitle []byte
	ciphered                         []capturedAPDU
	plainAPDUs                       []capturedAPDU // the other complete APDUs (no cipher comment)
}

var (
	reKeys    = regexp.MustCompile(`\(EK/GUEK\): ([0-9A-F]{32})\s+authentication key \(AK\): ([0-9A-F]{32})`)
	reTitles  = regexp.MustCompile(`client system title: ([0-9A-F]{16}).*server system title.*: ([0-9A-F]{16})`)
	reCipher  = regexp.MustCompile(`cipher: .*SC=([0-9A-F]{2}) IC=(\d+) ST=([0-9A-F]{16})`)
	rePlain   = regexp.MustCompile(`plain: ([0-9A-F]+)`)
	reSegment = regexp.MustCompile(`segmented, more follows`)
	// reCipherLine matches the comment lines that announce a ciphered APDU.
	reCipherLine = regexp.MustCompile(`(?m)^#\s+cipher: `)
)

// loadCapture reads the capture and reassembles the APDUs of its I-frames.
func loadCapture(t testing.TB) capture {
	t.Helper()
	data, err := os.ReadFile(captureFile)
	if err != nil {
		t.Fatal(err)
	}
	var c capture
	var comments []string
	pending := map[string][]byte{} // per direction, the APDU being reassembled
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "#"):
			if m := reKeys.FindStringSubmatch(line); m != nil {
				c.ek, c.ak = unhex(m[1]), unhex(m[2])
			}
			if m := reTitles.FindStringSubmatch(line); m != nil {
				c.clientTitle, c.serverTitle = unhex(m[1]), unhex(m[2])
			}
			comments = append(comments, line)
			continue
		}
		dir, frameHex, ok := strings.Cut(line, " ")
		if !ok || (dir != "C->S" && dir != "S->C") {
			t.Fatalf("line %d: not a frame line: %q", n, line)
		}
		info, segmented, iframe, err := hdlcInformation(unhex(frameHex))
		if err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		note := strings.Join(comments, "\n")
		comments = nil
		if !iframe {
			continue
		}
		if len(pending[dir]) == 0 {
			if !bytes.HasPrefix(info, []byte{0xE6, 0xE6, 0x00}) && !bytes.HasPrefix(info, []byte{0xE6, 0xE7, 0x00}) {
				t.Fatalf("line %d: the first segment of an APDU has no LLC header", n)
			}
			info = info[3:]
		}
		pending[dir] = append(pending[dir], info...)
		if reSegment.MatchString(note) != segmented {
			t.Fatalf("line %d: the frame's segmentation bit is %v, its comment says otherwise", n, segmented)
		}
		if segmented {
			continue
		}
		a := capturedAPDU{line: n, dir: dir, comments: note, apdu: pending[dir]}
		delete(pending, dir)
		m := reCipher.FindStringSubmatch(note)
		if m == nil {
			c.plainAPDUs = append(c.plainAPDUs, a)
			continue
		}
		control, _ := strconv.ParseUint(m[1], 16, 8)
		counter, _ := strconv.ParseUint(m[2], 10, 32)
		a.control, a.counter, a.title = byte(control), uint32(counter), unhex(m[3])
		p := rePlain.FindStringSubmatch(note)
		if p == nil {
			t.Fatalf("line %d: cipher comment without plain comment", n)
		}
		a.plain = unhex(p[1])
		c.ciphered = append(c.ciphered, a)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if c.ek == nil || c.clientTitle == nil {
		t.Fatal("the capture's header does not give the keys and system titles")
	}
	for dir, p := range pending {
		if len(p) > 0 {
			t.Fatalf("%s: segmented APDU without its last segment", dir)
		}
	}
	return c
}

// hdlcInformation returns the information field of an HDLC frame
// (IEC 62056-46): flag, format (2 bytes, with the segmentation bit 0x08
// and the frame length), destination and source addresses (each ends with
// a byte whose low bit is set), control, then for frames with an
// information field the HCS (2 bytes), the information and the FCS (2
// bytes), and the closing flag. The check sequences are not verified here.
func hdlcInformation(f []byte) (info []byte, segmented, iframe bool, err error) {
	if len(f) < 9 || f[0] != 0x7E || f[len(f)-1] != 0x7E || f[1]&0xF0 != 0xA0 {
		return nil, false, false, fmt.Errorf("not an HDLC frame of format type 3: %X", f)
	}
	if length := int(f[1]&0x07)<<8 | int(f[2]); length != len(f)-2 {
		return nil, false, false, fmt.Errorf("format length %d, frame of %d bytes between flags", length, len(f)-2)
	}
	i := 3
	for range 2 { // destination, source
		for i < len(f) && f[i]&1 == 0 {
			i++
		}
		i++
	}
	if i >= len(f)-3 {
		return nil, false, false, fmt.Errorf("addresses run to the end of %X", f)
	}
	control := f[i]
	i++
	end := len(f) - 3 // FCS and flag
	if i == end {
		return nil, f[1]&0x08 != 0, control&1 == 0, nil
	}
	i += 2 // HCS
	if i > end {
		return nil, false, false, fmt.Errorf("truncated frame %X", f)
	}
	return f[i:end], f[1]&0x08 != 0, control&1 == 0, nil
}

// berElements returns the elements of a BER encoding by tag (a tag that
// occurs twice keeps the last), accepting short and 0x81/0x82 long-form
// lengths.
func berElements(t testing.TB, b []byte) map[byte][]byte {
	t.Helper()
	out := map[byte][]byte{}
	for len(b) > 0 {
		if len(b) < 2 {
			t.Fatalf("BER: truncated at %X", b)
		}
		tag, l, i := b[0], int(b[1]), 2
		switch b[1] {
		case 0x81:
			l, i = int(b[2]), 3
		case 0x82:
			l, i = int(b[2])<<8|int(b[3]), 4
		}
		if i+l > len(b) {
			t.Fatalf("BER: element %#x of %d bytes, %d left", tag, l, len(b)-i)
		}
		out[tag] = b[i : i+l]
		b = b[i+l:]
	}
	return out
}

// cipheredInAssociation returns the ciphered APDU in the user-information
// of an AARQ (0x60) or AARE (0x61), with the ACSE elements.
func cipheredInAssociation(t testing.TB, apdu []byte) (ciphered []byte, acse map[byte][]byte) {
	t.Helper()
	outer := berElements(t, apdu)
	body, ok := outer[apdu[0]]
	if !ok || len(outer) != 1 {
		t.Fatalf("not a single ACSE APDU: %X", apdu)
	}
	acse = berElements(t, body)
	ui := berElements(t, acse[0xBE]) // user-information: OCTET STRING
	ciphered, ok = ui[0x04]
	if !ok {
		t.Fatalf("no user-information octet string in %X", apdu)
	}
	return ciphered, acse
}

// TestCapturedSession deciphers every ciphered APDU of the capture with
// the receiver's context, checks it against the recorded plaintext and
// security header, and enciphers the plaintext again with the sender's
// context and the recorded counter, which must give the captured bytes.
func TestCapturedSession(t *testing.T) {
	c := loadCapture(t)
	keys := security.Keys{Encryption: c.ek, Authentication: c.ak}
	client, server := pair(t, keys, security.PolicyAuthenticatedEncrypted, c.clientTitle, c.serverTitle)
	guards := map[string]*security.ReplayGuard{"C->S": {}, "S->C": {}}
	forms := map[string]int{}

	for _, a := range c.ciphered {
		sender, receiver, senderTitle := client, server, c.clientTitle
		if a.dir == "S->C" {
			sender, receiver, senderTitle = server, client, c.serverTitle
		}
		if !bytes.Equal(a.title, senderTitle) {
			t.Errorf("line %d: comment ST=%X, sender's system title %X", a.line, a.title, senderTitle)
		}
		ciphered := a.apdu
		if a.apdu[0] == 0x60 || a.apdu[0] == 0x61 {
			var acse map[byte][]byte
			ciphered, acse = cipheredInAssociation(t, a.apdu)
			// calling-AP-title (AARQ) or responding-AP-title (AARE): the
			// sender's system title.
			titleTag := byte(0xA6)
			if a.apdu[0] == 0x61 {
				titleTag = 0xA4
			}
			if got := berElements(t, acse[titleTag])[0x04]; !bytes.Equal(got, senderTitle) {
				t.Errorf("line %d: AP-title %X, want the sender's system title %X", a.line, got, senderTitle)
			}
		}
		plain, h, err := receiver.Decrypt(nil, ciphered)
		if err != nil {
			t.Errorf("line %d: Decrypt: %v", a.line, err)
			continue
		}
		name := security.TagName(h.Tag)
		forms[name]++
		if !strings.Contains(a.comments, name) {
			t.Errorf("line %d: deciphered a %s, the comments say:\n%s", a.line, name, a.comments)
		}
		if !bytes.Equal(plain, a.plain) {
			t.Errorf("line %d: plaintext\n got %X\nwant %X", a.line, plain, a.plain)
		}
		if byte(h.Control) != a.control || h.Counter != a.counter {
			t.Errorf("line %d: header SC=%02X IC=%d, comment SC=%02X IC=%d", a.line, byte(h.Control), h.Counter, a.control, a.counter)
		}
		if h.Ciphering().General() && !bytes.Equal(h.SystemTitle, senderTitle) {
			t.Errorf("line %d: system title %X, want %X", a.line, h.SystemTitle, senderTitle)
		}
		if err := guards[a.dir].Accept(h.Counter); err != nil {
			t.Errorf("line %d: %v", a.line, err)
		}
		again, err := sender.Encrypt(nil, plain, h.Ciphering(), h.Counter)
		if err != nil {
			t.Errorf("line %d: Encrypt: %v", a.line, err)
		} else if !bytes.Equal(again, ciphered) {
			t.Errorf("line %d: enciphered again\n got %X\nwant %X", a.line, again, ciphered)
		}
		// The other side's context holds the wrong peer system title for this
		// APDU, so it cannot take it for its own.
		if _, _, err := sender.Decrypt(nil, ciphered); err == nil {
			t.Errorf("line %d: the sender deciphered its own APDU", a.line)
		}
	}

	// Every ciphered APDU the comments announce was found and deciphered,
	// in all the forms the session uses.
	if got := len(reCipherLine.FindAllString(mustRead(t, captureFile), -1)); got != len(c.ciphered) {
		t.Errorf("read %d ciphered APDUs, the file announces %d", len(c.ciphered), got)
	}
	for _, want := range []string{"glo-initiate-request", "glo-initiate-response", "glo-action-request", "glo-action-response", "general-glo-ciphering"} {
		if forms[want] == 0 {
			t.Errorf("no %s deciphered (forms: %v)", want, forms)
		}
	}
	t.Logf("deciphered and enciphered again: %v", forms)

	// A replayed counter is rejected in both directions.
	for dir, g := range guards {
		last, _ := g.Last()
		var re *security.ReplayError
		if err := g.Accept(last); !errors.As(err, &re) || !errors.Is(err, security.ErrReplay) || re.Received != last || re.Last != last {
			t.Errorf("%s: replay of IC %d: %v", dir, last, err)
		}
	}
}

func mustRead(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCapturedHLS checks the HLS-GMAC exchange of the capture: the
// client's challenge CtoS (calling-authentication-value of the AARQ), the
// server's StoC (responding-authentication-value of the AARE), f(StoC) in
// the reply_to_HLS_authentication ACTION request and f(CtoS) in its
// response.
func TestCapturedHLS(t *testing.T) {
	c := loadCapture(t)
	keys := security.Keys{Encryption: c.ek, Authentication: c.ak}
	client, server := pair(t, keys, security.PolicyAuthenticatedEncrypted, c.clientTitle, c.serverTitle)

	var ctos, stoc, fStoC, fCtoS []byte
	for _, a := range c.ciphered {
		switch {
		case a.apdu[0] == 0x60:
			_, acse := cipheredInAssociation(t, a.apdu)
			ctos = berElements(t, acse[0xAC])[0x80] // calling-authentication-value, charstring
		case a.apdu[0] == 0x61:
			_, acse := cipheredInAssociation(t, a.apdu)
			stoc = berElements(t, acse[0xAA])[0x80] // responding-authentication-value
		case a.plain[0] == 0xC3 && bytes.Contains(a.plain, unhex("0000280000FF01")): // ACTION association LN, method 1
			fStoC = hlsParameter(t, a.plain)
		case a.plain[0] == 0xC7 && fStoC != nil && fCtoS == nil:
			fCtoS = hlsParameter(t, a.plain)
		}
	}
	if ctos == nil || stoc == nil || fStoC == nil || fCtoS == nil {
		t.Fatalf("the capture lacks part of the HLS exchange: CtoS %X StoC %X f(StoC) %X f(CtoS) %X", ctos, stoc, fStoC, fCtoS)
	}

	ic, err := server.VerifyHLSResponse(stoc, fStoC)
	if err != nil {
		t.Errorf("server verifies f(StoC): %v", err)
	}
	if got, err := client.AppendHLSResponse(nil, stoc, ic); err != nil || !bytes.Equal(got, fStoC) {
		t.Errorf("client computes f(StoC) = %X, %v; captured %X", got, err, fStoC)
	}
	ic, err = client.VerifyHLSResponse(ctos, fCtoS)
	if err != nil {
		t.Errorf("client verifies f(CtoS): %v", err)
	}
	if got, err := server.AppendHLSResponse(nil, ctos, ic); err != nil || !bytes.Equal(got, fCtoS) {
		t.Errorf("server computes f(CtoS) = %X, %v; captured %X", got, err, fCtoS)
	}

	// The responses do not verify against the other challenge, nor with the
	// sides swapped.
	if _, err := server.VerifyHLSResponse(ctos, fStoC); !errors.Is(err, security.ErrAuthentication) {
		t.Errorf("f(StoC) against CtoS: %v, want ErrAuthentication", err)
	}
	if _, err := client.VerifyHLSResponse(stoc, fStoC); !errors.Is(err, security.ErrAuthentication) {
		t.Errorf("f(StoC) checked with the server's system title: %v, want ErrAuthentication", err)
	}
}

// hlsParameter returns the 17-byte octet-string that ends the plaintext of
// the reply_to_HLS_authentication request or response.
func hlsParameter(t testing.TB, plain []byte) []byte {
	t.Helper()
	n := len(plain)
	if n < 19 || plain[n-19] != 0x09 || plain[n-18] != security.HLSResponseSize {
		t.Fatalf("no HLS response octet-string at the end of %X", plain)
	}
	return plain[n-17:]
}

// Deciphering the capture with a wrong key or the wrong system title fails
// authentication, and the error names no key.
func TestCapturedWrongKeys(t *testing.T) {
	c := loadCapture(t)
	wrongEK := bytes.Clone(c.ek)
	wrongEK[15] ^= 1
	wrongAK := bytes.Clone(c.ak)
	wrongAK[0] ^= 0x80
	otherTitle := bytes.Clone(c.clientTitle)
	otherTitle[7] ^= 1
	tests := []struct {
		name      string
		keys      security.Keys
		peerTitle []byte
	}{
		{"wrong encryption key", security.Keys{Encryption: wrongEK, Authentication: c.ak}, c.clientTitle},
		{"wrong authentication key", security.Keys{Encryption: c.ek, Authentication: wrongAK}, c.clientTitle},
		{"wrong client system title", security.Keys{Encryption: c.ek, Authentication: c.ak}, otherTitle},
	}
	var glo []byte // the glo-action-request: its nonce comes from the context
	for _, a := range c.ciphered {
		if a.dir == "C->S" && a.apdu[0] == 0xCB {
			glo = a.apdu
		}
	}
	if glo == nil {
		t.Fatal("no glo-action-request in the capture")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, err := security.NewContext(security.Config{Keys: tt.keys, SystemTitle: c.serverTitle, PeerSystemTitle: tt.peerTitle, Policy: security.PolicyAuthenticatedEncrypted})
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = server.Decrypt(nil, glo)
			if !errors.Is(err, security.ErrAuthentication) {
				t.Fatalf("err %v, want ErrAuthentication", err)
			}
			noKeyMaterial(t, err.Error(), c.ek, c.ak, wrongEK, wrongAK)
			if !strings.Contains(err.Error(), "glo-action-request") || !strings.Contains(err.Error(), "IC 148") {
				t.Errorf("error %q does not name the APDU and its counter", err)
			}
		})
	}
}
