package security_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
)

// cipheredSeeds returns ciphered APDUs to seed the fuzz targets: the Green
// Book example in every form, and those of the captured session.
func cipheredSeeds(f *testing.F) [][]byte {
	seeds := [][]byte{
		unhex("C8 1E 30 01234567 411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B"),
		unhex("DB 08 4D4D4D0000BC614E 1E 30 01234567 411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B"),
		unhex("D0 1E 30 01234567 411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B"),
		unhex("C8 12 20 01234567 411312FF935A47566827C467BC"),
		unhex("DB 08 4D4D4D0000000001 19 10 00000001 503677524A323146 1A52FE7DD3E72748973C1E28"),
		unhex("DC 00 05 30 00000000"),
	}
	if _, err := os.Stat(captureFile); err == nil {
		for _, a := range loadCapture(f).ciphered {
			if a.apdu[0] == 0x60 || a.apdu[0] == 0x61 {
				ciphered, _ := cipheredInAssociation(f, a.apdu)
				seeds = append(seeds, ciphered)
				continue
			}
			seeds = append(seeds, a.apdu)
		}
	}
	return seeds
}

// ParseCiphered never panics, and what it parses re-encodes canonically to
// bytes that parse to the same APDU.
func FuzzParseCiphered(f *testing.F) {
	for _, s := range cipheredSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, n, err := security.ParseCiphered(in)
		if err != nil {
			var se *security.Error
			if !errors.Is(err, security.ErrMalformed) || !errors.As(err, &se) {
				t.Fatalf("error %v is not a *Error wrapping ErrMalformed", err)
			}
			return
		}
		if n <= 0 || n > len(in) {
			t.Fatalf("consumed %d of %d bytes", n, len(in))
		}
		out := c.Append(nil)
		c2, n2, err := security.ParseCiphered(out)
		if err != nil || n2 != len(out) {
			t.Fatalf("re-encoded %X: %d, %v", out, n2, err)
		}
		if !equalCiphered(c, c2) {
			t.Fatalf("parse→build→parse: %+v then %+v", c, c2)
		}
		if again := c2.Append(nil); !bytes.Equal(again, out) {
			t.Fatalf("unstable encoding: %X then %X", out, again)
		}
	})
}

// Decrypt never panics; what it deciphers enciphers again, under the same
// counter, to the canonical form of the input.
func FuzzDecrypt(f *testing.F) {
	for _, s := range cipheredSeeds(f) {
		f.Add(s)
	}
	keys := security.Keys{Encryption: gbEK, Authentication: gbAK, Broadcast: gbAK, Dedicated: gbEK}
	peer := unhex("4D4D4D0000BC614E")
	own := unhex("4142434445464748")
	receiver, err := security.NewContext(security.Config{Keys: keys, SystemTitle: own, PeerSystemTitle: peer})
	if err != nil {
		f.Fatal(err)
	}
	senders := map[security.Policy]*security.Context{}
	for _, p := range []security.Policy{security.PolicyAuthenticated, security.PolicyEncrypted, security.PolicyAuthenticatedEncrypted} {
		if senders[p], err = security.NewContext(security.Config{Keys: keys, SystemTitle: peer, PeerSystemTitle: own, Policy: p}); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		plain, h, err := receiver.Decrypt(nil, in)
		if err != nil {
			if !errors.Is(err, security.ErrDecipher) && !errors.Is(err, security.ErrAuthentication) {
				t.Fatalf("error %v is neither ErrDecipher nor ErrAuthentication", err)
			}
			return
		}
		p := security.Policy(0)
		if h.Control.Authenticated() {
			p |= security.PolicyAuthenticated
		}
		if h.Control.Encrypted() {
			p |= security.PolicyEncrypted
		}
		out, err := senders[p].Encrypt(nil, plain, h.Ciphering(), h.Counter)
		if err != nil {
			t.Fatalf("Encrypt of what Decrypt gave: %v", err)
		}
		if want := h.Append(nil); !bytes.Equal(out, want) {
			t.Fatalf("enciphered again\n got %X\nwant %X", out, want)
		}
	})
}

// VerifyHLSResponse never panics, and accepts what AppendHLSResponse
// computes on the other side.
func FuzzHLS(f *testing.F) {
	f.Add(unhex("503677524A323146"), unhex("10 00000001 1A52FE7DD3E72748973C1E28"), uint32(1))
	f.Add(unhex("48A45229148AC5E271B85C2E97CBE572"), unhex("10000000931575C5BFB013602AB2BEA970"), uint32(0x93))
	client, err := security.NewContext(security.Config{Keys: security.Keys{Encryption: gbEK, Authentication: gbAK},
		SystemTitle: unhex("4D4D4D0000000001"), PeerSystemTitle: unhex("4142434445464748")})
	if err != nil {
		f.Fatal(err)
	}
	server, err := security.NewContext(security.Config{Keys: security.Keys{Encryption: gbEK, Authentication: gbAK},
		SystemTitle: unhex("4142434445464748"), PeerSystemTitle: unhex("4D4D4D0000000001")})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, challenge, response []byte, ic uint32) {
		if _, err := server.VerifyHLSResponse(challenge, response); err != nil &&
			!errors.Is(err, security.ErrAuthentication) && !errors.Is(err, security.ErrChallenge) {
			t.Fatalf("unexpected error %v", err)
		}
		resp, err := client.AppendHLSResponse(nil, challenge, ic)
		if err != nil {
			if !errors.Is(err, security.ErrChallenge) {
				t.Fatalf("AppendHLSResponse: %v", err)
			}
			return
		}
		if got, err := server.VerifyHLSResponse(challenge, resp); err != nil || got != ic {
			t.Fatalf("VerifyHLSResponse of a fresh response: %d, %v", got, err)
		}
	})
}

// UnwrapKey never panics, and unwraps what WrapKey wraps.
func FuzzKeyWrap(f *testing.F) {
	f.Add(rfcKEK, unhex("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"))
	f.Add(rfcKEK, rfcKey)
	f.Fuzz(func(t *testing.T, kek, data []byte) {
		if _, err := security.UnwrapKey(nil, kek, data); err != nil &&
			!errors.Is(err, security.ErrKey) && !errors.Is(err, security.ErrUnwrap) {
			t.Fatalf("UnwrapKey: %v", err)
		}
		w, err := security.WrapKey(nil, kek, data)
		if err != nil {
			if !errors.Is(err, security.ErrKey) {
				t.Fatalf("WrapKey: %v", err)
			}
			return
		}
		if got, err := security.UnwrapKey(nil, kek, w); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip: %X, %v", got, err)
		}
	})
}

// ParseGlobalKeyTransfer never panics on any decoded argument, and what it
// accepts builds back to an argument that parses to the same keys.
func FuzzParseGlobalKeyTransfer(f *testing.F) {
	f.Add(unhex("01 01 02 02 16 00 09 18 1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"))
	f.Add(unhex("01 02 02 02 16 02 09 18 1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5 02 02 16 00 09 00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		arg, _, err := axdr.Decode(in)
		if err != nil {
			return
		}
		keys, err := security.ParseGlobalKeyTransfer(rfcKEK, arg)
		if err != nil {
			if !errors.Is(err, security.ErrKeyTransfer) && !errors.Is(err, security.ErrKey) && !errors.Is(err, security.ErrUnwrap) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		again, err := security.GlobalKeyTransfer(rfcKEK, keys...)
		if err != nil {
			t.Fatalf("GlobalKeyTransfer of parsed keys: %v", err)
		}
		keys2, err := security.ParseGlobalKeyTransfer(rfcKEK, again)
		if err != nil || len(keys2) != len(keys) {
			t.Fatalf("parse→build→parse: %d keys, %v", len(keys2), err)
		}
		for i := range keys {
			if keys[i].ID != keys2[i].ID || !bytes.Equal(keys[i].Key, keys2[i].Key) {
				t.Fatalf("key %d differs after parse→build→parse", i)
			}
		}
	})
}
