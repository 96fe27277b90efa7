package security_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/openhes/hes/dlms/security"
)

// unhex decodes hex written with optional spaces; it panics on bad input,
// which is a broken test table.
func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// Keys of the DLMS UA Green Book ciphering examples.
var (
	gbEK = unhex("000102030405060708090A0B0C0D0E0F")
	gbAK = unhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
)

// pair returns two contexts that talk to each other: a (system title stA)
// and b (stB), with the same keys and policy.
func pair(t testing.TB, keys security.Keys, policy security.Policy, stA, stB []byte) (a, b *security.Context) {
	t.Helper()
	var err error
	a, err = security.NewContext(security.Config{Keys: keys, SystemTitle: stA, PeerSystemTitle: stB, Policy: policy})
	if err != nil {
		t.Fatal(err)
	}
	b, err = security.NewContext(security.Config{Keys: keys, SystemTitle: stB, PeerSystemTitle: stA, Policy: policy})
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

// noKeyMaterial fails the test if msg contains any of the keys in hex.
func noKeyMaterial(t testing.TB, msg string, keys ...[]byte) {
	t.Helper()
	for _, k := range keys {
		h := hex.EncodeToString(k)
		if strings.Contains(strings.ToLower(msg), h) {
			t.Errorf("message %q contains key material %s", msg, h)
		}
	}
}
