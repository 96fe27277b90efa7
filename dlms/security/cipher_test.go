package security_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/openhes/hes/dlms/security"
)

// The known answers below come from the DLMS UA Green Book (DLMS UA
// 1000-2, security suite 0 examples): the ciphering of a GET-request with
// EK 000102…0F, AK D0D1…DF, system title 4D4D4D0000BC614E and invocation
// counter 01234567, and the HLS-GMAC tag of StoC 503677524A323146 with
// system title 4D4D4D0000000001 and invocation counter 00000001. The other
// forms are derived from them: the dedicated forms with the Green Book EK
// as dedicated key give the same bytes under another tag, the encryption
// alone is the GCM ciphertext without its tag, and authentication alone of
// the challenge is the HLS-GMAC tag.
func TestEncryptKnownAnswers(t *testing.T) {
	const (
		gbST    = "4D4D4D0000BC614E"
		gbPlain = "C0 01 00 0008 0000010000FF 02 00" // GET-request normal, clock attribute 2
		gbCT    = "411312FF935A47566827C467BC"       // ciphertext
		gbTag   = "7D825C3BE4A77C3FCC056B6B"         // authentication tag
	)
	tests := []struct {
		name   string
		policy security.Policy
		how    security.Ciphering
		st     string
		ic     uint32
		plain  string
		want   string
	}{
		{"glo-get-request (Green Book)", security.PolicyAuthenticatedEncrypted, security.ServiceGlobal, gbST, 0x01234567, gbPlain,
			"C8 1E 30 01234567" + gbCT + gbTag},
		{"general-glo-ciphering", security.PolicyAuthenticatedEncrypted, security.GeneralGlobal, gbST, 0x01234567, gbPlain,
			"DB 08" + gbST + "1E 30 01234567" + gbCT + gbTag},
		{"ded-get-request", security.PolicyAuthenticatedEncrypted, security.ServiceDedicated, gbST, 0x01234567, gbPlain,
			"D0 1E 30 01234567" + gbCT + gbTag},
		{"general-ded-ciphering", security.PolicyAuthenticatedEncrypted, security.GeneralDedicated, gbST, 0x01234567, gbPlain,
			"DC 08" + gbST + "1E 30 01234567" + gbCT + gbTag},
		{"encryption only", security.PolicyEncrypted, security.ServiceGlobal, gbST, 0x01234567, gbPlain,
			"C8 12 20 01234567" + gbCT},
		{"authentication only (HLS-GMAC tag, Green Book)", security.PolicyAuthenticated, security.GeneralGlobal, "4D4D4D0000000001", 1, "503677524A323146",
			"DB 08 4D4D4D0000000001 19 10 00000001 503677524A323146 1A52FE7DD3E72748973C1E28"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := security.Keys{Encryption: gbEK, Authentication: gbAK, Dedicated: gbEK}
			sender, receiver := pair(t, keys, tt.policy, unhex(tt.st), unhex("4142434445464748"))
			prefix := []byte{0xEE}
			got, err := sender.Encrypt(prefix, unhex(tt.plain), tt.how, tt.ic)
			if err != nil {
				t.Fatal(err)
			}
			if want := append([]byte{0xEE}, unhex(tt.want)...); !bytes.Equal(got, want) {
				t.Fatalf("Encrypt\n got %X\nwant %X", got, want)
			}
			plain, h, err := receiver.Decrypt(prefix, got[1:])
			if err != nil {
				t.Fatal(err)
			}
			if want := append([]byte{0xEE}, unhex(tt.plain)...); !bytes.Equal(plain, want) {
				t.Errorf("Decrypt = %X, want %X", plain, want)
			}
			if h.Counter != tt.ic || h.Ciphering() != tt.how || h.Control != tt.policy.Control() {
				t.Errorf("header = %+v (%v), want IC %d, %v, control %v", h, h.Ciphering(), tt.ic, tt.how, tt.policy.Control())
			}
			if tt.how.General() && !bytes.Equal(h.SystemTitle, unhex(tt.st)) {
				t.Errorf("system title %X, want %s", h.SystemTitle, tt.st)
			}
		})
	}
}

// Every form under every policy, with the broadcast and dedicated keys
// distinct from the unicast key, enciphers and deciphers back, and only
// with the right key.
func TestRoundTrip(t *testing.T) {
	keys := security.Keys{
		Encryption:     gbEK,
		Authentication: gbAK,
		Broadcast:      unhex("101112131415161718191A1B1C1D1E1F"),
		Dedicated:      unhex("202122232425262728292A2B2C2D2E2F"),
	}
	plains := map[string][]byte{
		"get-request":       unhex("C0 01 C1 0003 0100010800FF 02 00"),
		"action-response":   unhex("C7 01 C1 00 00"),
		"initiate-request":  unhex("01 00 00 00 06 5F1F0400401E5D FFFF"),
		"long set-request":  append(unhex("C1 01 C1 0001 0000600100FF 02 00 09 82 01 2C"), bytes.Repeat([]byte{0x5A}, 300)...),
		"data-notification": unhex("0F 00000001 00 09 04 01020304"),
	}
	forms := []security.Ciphering{security.ServiceGlobal, security.ServiceBroadcast, security.ServiceDedicated,
		security.GeneralGlobal, security.GeneralBroadcast, security.GeneralDedicated}
	policies := []security.Policy{security.PolicyAuthenticated, security.PolicyEncrypted, security.PolicyAuthenticatedEncrypted}
	for _, policy := range policies {
		for _, how := range forms {
			for name, plain := range plains {
				t.Run(fmt.Sprintf("%v/%v/%s", policy, how, name), func(t *testing.T) {
					a, b := pair(t, keys, policy, unhex("4755525558313233"), unhex("4142434445464748"))
					ct, err := a.Encrypt(nil, plain, how, 0xA5)
					if name == "data-notification" && !how.General() {
						if !errors.Is(err, security.ErrServiceTag) {
							t.Fatalf("Encrypt data-notification as %v: err %v, want ErrServiceTag", how, err)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					if n := a.SealedLen(len(plain), how); n != len(ct) {
						t.Errorf("SealedLen = %d, Encrypt wrote %d bytes", n, len(ct))
					}
					if policy.Encrypted() && bytes.Contains(ct, plain) {
						t.Errorf("the plaintext is visible in %X", ct)
					}
					if !policy.Encrypted() && !bytes.Contains(ct, plain) {
						t.Errorf("an authenticated-only APDU must carry the plaintext: %X", ct)
					}
					got, h, err := b.Decrypt(nil, ct)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, plain) {
						t.Errorf("Decrypt = %X, want %X", got, plain)
					}
					if h.Ciphering() != how || h.Control.BroadcastKey() != how.Broadcast() || h.Counter != 0xA5 {
						t.Errorf("header %+v: form %v, want %v", h, h.Ciphering(), how)
					}
					// A receiver without the key the form needs cannot decipher it.
					bare, err := security.NewContext(security.Config{
						Keys:        security.Keys{Encryption: keys.Encryption, Authentication: keys.Authentication},
						SystemTitle: unhex("4142434445464748"), PeerSystemTitle: unhex("4755525558313233"), Policy: policy,
					})
					if err != nil {
						t.Fatal(err)
					}
					_, _, err = bare.Decrypt(nil, ct)
					if how == security.ServiceGlobal || how == security.GeneralGlobal {
						if err != nil {
							t.Errorf("with the global keys: %v", err)
						}
					} else if !errors.Is(err, security.ErrNoKey) || !errors.Is(err, security.ErrDecipher) {
						t.Errorf("without the %v key: err %v, want ErrNoKey and ErrDecipher", how, err)
					}
				})
			}
		}
	}
}

// greenBookPair returns the contexts of the Green Book example: the sender
// (system title 4D4D4D0000BC614E) and the receiver, and the ciphered
// GET-request.
func greenBookPair(t *testing.T, keys security.Keys, policy security.Policy) (sender, receiver *security.Context, apdu []byte) {
	t.Helper()
	sender, receiver = pair(t, keys, policy, unhex("4D4D4D0000BC614E"), unhex("4142434445464748"))
	apdu, err := sender.Encrypt(nil, unhex("C0010000080000010000FF0200"), security.ServiceGlobal, 0x01234567)
	if err != nil {
		t.Fatal(err)
	}
	return sender, receiver, apdu
}

// ae is the policy of most tests.
const ae = security.PolicyAuthenticatedEncrypted

func TestDecryptErrors(t *testing.T) {
	gbKeys := security.Keys{Encryption: gbEK, Authentication: gbAK}
	wrongEK := unhex("0F0E0D0C0B0A09080706050403020100")
	wrongAK := unhex("DFDEDDDCDBDAD9D8D7D6D5D4D3D2D1D0")
	const gbAPDU = "C8 1E 30 01234567 411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B"

	tests := []struct {
		name       string
		cfg        security.Config
		apdu       string
		want       []error
		hasCounter bool
		offset     int
	}{
		{"wrong authentication key",
			security.Config{Keys: security.Keys{Encryption: gbEK, Authentication: wrongAK}, PeerSystemTitle: unhex("4D4D4D0000BC614E"), Policy: ae},
			gbAPDU, []error{security.ErrAuthentication}, true, -1},
		{"wrong encryption key",
			security.Config{Keys: security.Keys{Encryption: wrongEK, Authentication: gbAK}, PeerSystemTitle: unhex("4D4D4D0000BC614E"), Policy: ae},
			gbAPDU, []error{security.ErrAuthentication}, true, -1},
		{"wrong peer system title",
			security.Config{Keys: gbKeys, PeerSystemTitle: unhex("4D4D4D0000BC614F"), Policy: ae},
			gbAPDU, []error{security.ErrAuthentication}, true, -1},
		{"peer system title unknown",
			security.Config{Keys: gbKeys, Policy: ae},
			gbAPDU, []error{security.ErrDecipher, security.ErrSystemTitle}, true, -1},
		{"general-glo from another system title",
			security.Config{Keys: gbKeys, PeerSystemTitle: unhex("4D4D4D0000BC614F"), Policy: ae},
			"DB 08 4D4D4D0000BC614E 1E 30 01234567 411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
			[]error{security.ErrDecipher, security.ErrSystemTitle}, true, -1},
		{"general-glo reflecting the own system title",
			security.Config{Keys: gbKeys, SystemTitle: unhex("4D4D4D0000BC614E"), Policy: ae},
			"DB 08 4D4D4D0000BC614E 1E 30 01234567 411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
			[]error{security.ErrDecipher, security.ErrSystemTitle}, true, -1},
		{"general-glo with a short system title",
			security.Config{Keys: gbKeys, Policy: ae},
			"DB 07 4D4D4D0000BC61 1E 30 01234567 411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
			[]error{security.ErrDecipher, security.ErrSystemTitle}, true, -1},
		{"authenticated only under an encrypting policy",
			security.Config{Keys: gbKeys, PeerSystemTitle: unhex("4D4D4D0000BC614E"), Policy: ae},
			"C8 1E 10 01234567 411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
			[]error{security.ErrDecipher, security.ErrPolicy}, true, -1},
		{"suite 1", security.Config{Keys: gbKeys, PeerSystemTitle: unhex("4D4D4D0000BC614E"), Policy: ae},
			"C8 1E 31 01234567 411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
			[]error{security.ErrDecipher, security.ErrUnsupported}, true, -1},
		{"compression", security.Config{Keys: gbKeys, PeerSystemTitle: unhex("4D4D4D0000BC614E"), Policy: ae},
			"C8 1E B0 01234567 411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
			[]error{security.ErrDecipher, security.ErrUnsupported}, true, -1},
		{"control byte protecting nothing", security.Config{Keys: gbKeys, PeerSystemTitle: unhex("4D4D4D0000BC614E")},
			"C8 1E 00 01234567 411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
			[]error{security.ErrDecipher, security.ErrMalformed}, true, -1},
		{"dedicated ciphering without a dedicated key",
			security.Config{Keys: gbKeys, PeerSystemTitle: unhex("4D4D4D0000BC614E"), Policy: ae},
			"D0 1E 30 01234567 411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
			[]error{security.ErrDecipher, security.ErrNoKey}, true, -1},
		{"broadcast key bit without a broadcast key",
			security.Config{Keys: gbKeys, PeerSystemTitle: unhex("4D4D4D0000BC614E"), Policy: ae},
			"C8 1E 70 01234567 411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
			[]error{security.ErrDecipher, security.ErrNoKey}, true, -1},
		{"broadcast key bit in dedicated ciphering",
			security.Config{Keys: security.Keys{Encryption: gbEK, Authentication: gbAK, Dedicated: gbEK}, PeerSystemTitle: unhex("4D4D4D0000BC614E"), Policy: ae},
			"D0 1E 70 01234567 411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
			[]error{security.ErrDecipher, security.ErrMalformed}, true, -1},
		{"payload shorter than the tag",
			security.Config{Keys: gbKeys, PeerSystemTitle: unhex("4D4D4D0000BC614E"), Policy: ae},
			"C8 10 30 01234567 411312FF935A47566827C4",
			[]error{security.ErrDecipher, security.ErrMalformed}, true, 7},
		{"trailing byte", security.Config{Keys: gbKeys, PeerSystemTitle: unhex("4D4D4D0000BC614E"), Policy: ae},
			gbAPDU + "00", []error{security.ErrDecipher, security.ErrMalformed}, true, 32},
		{"length past the end", security.Config{Keys: gbKeys, PeerSystemTitle: unhex("4D4D4D0000BC614E"), Policy: ae},
			"C8 1F 30 01234567 411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
			[]error{security.ErrDecipher, security.ErrMalformed}, false, 2},
		{"not a ciphered tag", security.Config{Keys: gbKeys, Policy: ae},
			"C0010000080000010000FF0200", []error{security.ErrDecipher, security.ErrMalformed}, false, 0},
		{"empty", security.Config{Keys: gbKeys, Policy: ae},
			"", []error{security.ErrDecipher, security.ErrMalformed}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cfg.SystemTitle == nil {
				tt.cfg.SystemTitle = unhex("4142434445464748")
			}
			c, err := security.NewContext(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			dst := []byte{1, 2, 3}
			got, _, err := c.Decrypt(dst, unhex(tt.apdu))
			if err == nil {
				t.Fatalf("Decrypt = %X, want an error", got)
			}
			if !bytes.Equal(got, dst) {
				t.Errorf("Decrypt appended %X on error", got[len(dst):])
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("error %q is not %q", err, w)
				}
			}
			if errors.Is(err, security.ErrAuthentication) && errors.Is(err, security.ErrDecipher) {
				t.Errorf("error %q is both an authentication and a deciphering failure", err)
			}
			var se *security.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *security.Error", err)
			}
			if len(tt.apdu) > 0 && se.Tag != unhex(tt.apdu)[0] && security.IsCiphered(unhex(tt.apdu)[0]) {
				t.Errorf("Error.Tag = %#x", se.Tag)
			}
			if se.HasCounter != tt.hasCounter || (tt.hasCounter && se.Counter != 0x01234567) {
				t.Errorf("Error counter = %v %#x, want %v", se.HasCounter, se.Counter, tt.hasCounter)
			}
			if se.Offset != tt.offset {
				t.Errorf("Error.Offset = %d, want %d (%v)", se.Offset, tt.offset, err)
			}
			noKeyMaterial(t, err.Error(), gbEK, gbAK, wrongEK, wrongAK)
		})
	}
}

// Any change to the security header or the payload of an authenticated
// APDU fails authentication. (The tag byte is not authenticated; the check
// that the plaintext matches it is TestDecryptTagMismatch.)
func TestDecryptTampered(t *testing.T) {
	for _, policy := range []security.Policy{security.PolicyAuthenticated, security.PolicyAuthenticatedEncrypted} {
		_, receiver, apdu := greenBookPair(t, security.Keys{Encryption: gbEK, Authentication: gbAK}, policy)
		for i := 3; i < len(apdu); i++ {
			for _, bit := range []byte{0x01, 0x80} {
				bad := bytes.Clone(apdu)
				bad[i] ^= bit
				if _, _, err := receiver.Decrypt(nil, bad); !errors.Is(err, security.ErrAuthentication) {
					t.Errorf("%v: byte %d ^ %#x: err %v, want ErrAuthentication", policy, i, bit, err)
				}
			}
		}
	}
}

func TestDecryptTagMismatch(t *testing.T) {
	sender, receiver := pair(t, security.Keys{Encryption: gbEK, Authentication: gbAK}, security.PolicyAuthenticatedEncrypted,
		unhex("4D4D4D0000BC614E"), unhex("4142434445464748"))
	apdu, err := sender.Encrypt(nil, unhex("C1 01 C1 0008 0000010000FF 02 00 09 00"), security.ServiceGlobal, 7)
	if err != nil {
		t.Fatal(err)
	}
	if apdu[0] != 0xC9 {
		t.Fatalf("set-request ciphered under tag %#x, want 0xC9", apdu[0])
	}
	apdu[0] = 0xC8 // glo-get-request holding a set-request
	if _, _, err := receiver.Decrypt(nil, apdu); !errors.Is(err, security.ErrMalformed) {
		t.Errorf("err %v, want ErrMalformed", err)
	}
}

func TestEncryptErrors(t *testing.T) {
	get := unhex("C0010000080000010000FF0200")
	tests := []struct {
		name   string
		policy security.Policy
		dk     []byte
		apdu   []byte
		how    security.Ciphering
		want   error
	}{
		{"policy none", security.PolicyNone, nil, get, security.ServiceGlobal, security.ErrPolicy},
		{"data-notification as glo-", ae, nil, unhex("0F000000010009020102"), security.ServiceGlobal, security.ErrServiceTag},
		{"exception-response as ded-", ae, gbEK, unhex("D80102"), security.ServiceDedicated, security.ErrServiceTag},
		{"empty APDU", ae, nil, nil, security.ServiceGlobal, security.ErrServiceTag},
		{"no dedicated key", ae, nil, get, security.ServiceDedicated, security.ErrNoKey},
		{"no dedicated key, general", ae, nil, get, security.GeneralDedicated, security.ErrNoKey},
		{"no broadcast key", ae, nil, get, security.GeneralBroadcast, security.ErrNoKey},
		{"invalid form", ae, nil, get, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := security.NewContext(security.Config{
				Keys:        security.Keys{Encryption: gbEK, Authentication: gbAK, Dedicated: tt.dk},
				SystemTitle: unhex("4D4D4D0000BC614E"), Policy: tt.policy,
			})
			if err != nil {
				t.Fatal(err)
			}
			dst := []byte{0xAA}
			got, err := c.Encrypt(dst, tt.apdu, tt.how, 1)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if !bytes.Equal(got, dst) {
				t.Errorf("Encrypt appended %X on error", got[1:])
			}
			noKeyMaterial(t, err.Error(), gbEK, gbAK)
		})
	}
}

func TestNewContextErrors(t *testing.T) {
	st := unhex("4D4D4D0000BC614E")
	short := gbEK[:15]
	tests := []struct {
		name string
		cfg  security.Config
		want error
	}{
		{"short encryption key", security.Config{Keys: security.Keys{Encryption: short, Authentication: gbAK}, SystemTitle: st}, security.ErrKey},
		{"no authentication key", security.Config{Keys: security.Keys{Encryption: gbEK}, SystemTitle: st}, security.ErrKey},
		{"long authentication key", security.Config{Keys: security.Keys{Encryption: gbEK, Authentication: append(gbAK, 0)}, SystemTitle: st}, security.ErrKey},
		{"short dedicated key", security.Config{Keys: security.Keys{Encryption: gbEK, Authentication: gbAK, Dedicated: short}, SystemTitle: st}, security.ErrKey},
		{"short broadcast key", security.Config{Keys: security.Keys{Encryption: gbEK, Authentication: gbAK, Broadcast: short}, SystemTitle: st}, security.ErrKey},
		{"no system title", security.Config{Keys: security.Keys{Encryption: gbEK, Authentication: gbAK}}, security.ErrSystemTitle},
		{"short peer system title", security.Config{Keys: security.Keys{Encryption: gbEK, Authentication: gbAK}, SystemTitle: st, PeerSystemTitle: st[:7]}, security.ErrSystemTitle},
		{"invalid policy", security.Config{Keys: security.Keys{Encryption: gbEK, Authentication: gbAK}, SystemTitle: st, Policy: 4}, security.ErrPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := security.NewContext(tt.cfg)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			noKeyMaterial(t, err.Error(), gbEK, gbAK, short)
		})
	}
}

func TestContextAccessors(t *testing.T) {
	c, err := security.NewContext(security.Config{
		Keys:        security.Keys{Encryption: gbEK, Authentication: gbAK},
		SystemTitle: unhex("4D4D4D0000BC614E"), Policy: security.PolicyAuthenticated,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.PeerSystemTitle(); ok {
		t.Error("peer system title known before it was set")
	}
	if err := c.SetPeerSystemTitle(unhex("4142434445464748")); err != nil {
		t.Fatal(err)
	}
	if st, ok := c.PeerSystemTitle(); !ok || !bytes.Equal(st, unhex("4142434445464748")) {
		t.Errorf("PeerSystemTitle = %X %v", st, ok)
	}
	if st := c.SystemTitle(); !bytes.Equal(st, unhex("4D4D4D0000BC614E")) {
		t.Errorf("SystemTitle = %X", st)
	}
	if c.Policy() != security.PolicyAuthenticated {
		t.Errorf("Policy = %v", c.Policy())
	}
	if c.HasDedicatedKey() {
		t.Error("dedicated key before one was set")
	}
	if err := c.SetDedicatedKey(gbEK); err != nil || !c.HasDedicatedKey() {
		t.Errorf("SetDedicatedKey: %v, has %v", err, c.HasDedicatedKey())
	}
	if err := c.SetDedicatedKey(nil); err != nil || c.HasDedicatedKey() {
		t.Errorf("SetDedicatedKey(nil): %v, has %v", err, c.HasDedicatedKey())
	}
	if err := c.SetDedicatedKey(gbEK[:8]); !errors.Is(err, security.ErrKey) {
		t.Errorf("SetDedicatedKey(8 bytes): %v, want ErrKey", err)
	}
}

func TestKeysAreRedacted(t *testing.T) {
	keys := security.Keys{Encryption: gbEK, Authentication: gbAK, Dedicated: unhex("202122232425262728292A2B2C2D2E2F")}
	kd := security.KeyData{ID: security.KeyAuthentication, Key: gbAK}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
		for _, v := range []any{keys, &keys, kd, []security.KeyData{kd}} {
			s := fmt.Sprintf(verb, v)
			noKeyMaterial(t, s, keys.Encryption, keys.Authentication, keys.Dedicated)
			if !bytes.Contains([]byte(s), []byte("redacted")) {
				t.Errorf("%s of %T = %q, want it redacted", verb, v, s)
			}
		}
	}
	if s := fmt.Sprint(keys); s != "security.Keys{Encryption:[redacted] Authentication:[redacted] Broadcast:none Dedicated:[redacted]}" {
		t.Errorf("Keys print as %q", s)
	}
}

// The hot path allocates nothing of its own once the destination has room:
// what remains are the few fixed allocations of crypto/cipher's portable
// GCM (see NewGCM), whatever the size of the APDU.
const maxGCMAllocs = 5

func TestAllocations(t *testing.T) {
	plain := unhex("C0010000080000010000FF0200")
	for _, policy := range []security.Policy{security.PolicyAuthenticated, security.PolicyEncrypted, security.PolicyAuthenticatedEncrypted} {
		sender, receiver, apdu := greenBookPair(t, security.Keys{Encryption: gbEK, Authentication: gbAK}, policy)
		buf := make([]byte, 0, 256)
		if n := testing.AllocsPerRun(100, func() {
			if _, err := sender.Encrypt(buf, plain, security.ServiceGlobal, 1); err != nil {
				t.Fatal(err)
			}
		}); n > maxGCMAllocs {
			t.Errorf("%v: Encrypt allocates %v times, want at most %d", policy, n, maxGCMAllocs)
		}
		if n := testing.AllocsPerRun(100, func() {
			if _, _, err := receiver.Decrypt(buf, apdu); err != nil {
				t.Fatal(err)
			}
		}); n > maxGCMAllocs {
			t.Errorf("%v: Decrypt allocates %v times, want at most %d", policy, n, maxGCMAllocs)
		}
	}
}

func BenchmarkEncrypt(b *testing.B) {
	sender, _ := pair(b, security.Keys{Encryption: gbEK, Authentication: gbAK}, security.PolicyAuthenticatedEncrypted,
		unhex("4D4D4D0000BC614E"), unhex("4142434445464748"))
	plain := append(unhex("C4 01 C1 00 09 81 C8"), bytes.Repeat([]byte{0x42}, 200)...)
	buf := make([]byte, 0, 512)
	b.SetBytes(int64(len(plain)))
	for i := 0; b.Loop(); i++ {
		if _, err := sender.Encrypt(buf, plain, security.GeneralGlobal, uint32(i)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecrypt(b *testing.B) {
	sender, receiver := pair(b, security.Keys{Encryption: gbEK, Authentication: gbAK}, security.PolicyAuthenticatedEncrypted,
		unhex("4D4D4D0000BC614E"), unhex("4142434445464748"))
	plain := append(unhex("C4 01 C1 00 09 81 C8"), bytes.Repeat([]byte{0x42}, 200)...)
	apdu, err := sender.Encrypt(nil, plain, security.GeneralGlobal, 1)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 512)
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		if _, _, err := receiver.Decrypt(buf, apdu); err != nil {
			b.Fatal(err)
		}
	}
}
