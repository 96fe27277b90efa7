package security_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/openhes/hes/dlms/security"
)

// The HLS-GMAC example of the DLMS UA Green Book (mechanism 5): the client
// (system title 4D4D4D0000000001) answers StoC 503677524A323146 with
// invocation counter 1.
func TestHLSGreenBook(t *testing.T) {
	client, server := pair(t, security.Keys{Encryption: gbEK, Authentication: gbAK}, security.PolicyNone,
		unhex("4D4D4D0000000001"), unhex("4142434445464748"))
	stoc := unhex("503677524A323146")
	want := unhex("10 00000001 1A52FE7DD3E72748973C1E28")
	got, err := client.AppendHLSResponse([]byte{0x09, 0x11}, stoc, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, append([]byte{0x09, 0x11}, want...)) {
		t.Fatalf("f(StoC) = %X, want 0911%X", got, want)
	}
	ic, err := server.VerifyHLSResponse(stoc, want)
	if err != nil || ic != 1 {
		t.Fatalf("VerifyHLSResponse = %d, %v", ic, err)
	}
}

func TestHLSVerifyErrors(t *testing.T) {
	client, server := pair(t, security.Keys{Encryption: gbEK, Authentication: gbAK}, security.PolicyNone,
		unhex("4D4D4D0000000001"), unhex("4142434445464748"))
	stoc := unhex("503677524A323146")
	good, err := client.AppendHLSResponse(nil, stoc, 1)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 1; return b }
	unknownPeer, err := security.NewContext(security.Config{Keys: security.Keys{Encryption: gbEK, Authentication: gbAK}, SystemTitle: unhex("4142434445464748")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		c         *security.Context
		challenge []byte
		response  []byte
		want      error
	}{
		{"tag altered", server, stoc, flip(16), security.ErrAuthentication},
		{"counter altered", server, stoc, flip(4), security.ErrAuthentication},
		{"control byte 0x30", server, stoc, append([]byte{0x30}, good[1:]...), security.ErrAuthentication},
		{"other challenge", server, unhex("503677524A323147"), good, security.ErrAuthentication},
		{"short response", server, stoc, good[:16], security.ErrAuthentication},
		{"long response", server, stoc, append(bytes.Clone(good), 0), security.ErrAuthentication},
		{"empty response", server, stoc, nil, security.ErrAuthentication},
		{"own system title", client, stoc, good, security.ErrAuthentication},
		{"peer unknown", unknownPeer, stoc, good, security.ErrSystemTitle},
		{"challenge of 7 bytes", server, stoc[:7], good, security.ErrChallenge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.VerifyHLSResponse(tt.challenge, tt.response)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			noKeyMaterial(t, err.Error(), gbEK, gbAK)
		})
	}
}

func TestChallengeLength(t *testing.T) {
	c, _ := pair(t, security.Keys{Encryption: gbEK, Authentication: gbAK}, security.PolicyNone,
		unhex("4D4D4D0000000001"), unhex("4142434445464748"))
	source := bytes.Repeat([]byte{0x5A}, 100)
	for _, n := range []int{0, 1, 7, 8, 16, 32, 64, 65, 200} {
		valid := n >= security.MinChallengeSize && n <= security.MaxChallengeSize
		challenge := source[:min(n, len(source))]
		check := func(what string, err error) {
			t.Helper()
			if valid && err != nil {
				t.Errorf("%s with %d bytes: %v", what, n, err)
			}
			if !valid && !errors.Is(err, security.ErrChallenge) {
				t.Errorf("%s with %d bytes: %v, want ErrChallenge", what, n, err)
			}
		}
		check("CheckChallenge", security.CheckChallenge(challenge))
		ch, err := security.NewChallenge(bytes.NewReader(source), n)
		check("NewChallenge", err)
		if valid && !bytes.Equal(ch, source[:n]) {
			t.Errorf("NewChallenge(%d) = %X, want the reader's first bytes", n, ch)
		}
		resp, err := c.AppendHLSResponse(nil, challenge, 9)
		check("AppendHLSResponse", err)
		if valid && len(resp) != security.HLSResponseSize {
			t.Errorf("response of %d bytes", len(resp))
		}
	}
}

func TestNewChallengeReaderFails(t *testing.T) {
	_, err := security.NewChallenge(strings.NewReader("short"), 16)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err %v, want io.ErrUnexpectedEOF", err)
	}
}
