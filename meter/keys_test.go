package meter

import (
	"bytes"
	"encoding/base64"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// The key material of the redaction tests: distinctive enough that its
// appearance in any rendering is caught.
var (
	rawEK  = []byte{0xa7, 0x13, 0x5c, 0xe2, 0x91, 0x0f, 0x6d, 0x38, 0xb4, 0x7a, 0xc9, 0x22, 0x5e, 0x81, 0xf3, 0x46}
	rawAK  = []byte{0x19, 0xd4, 0x63, 0xaa, 0x07, 0xbe, 0x52, 0xf1, 0x8c, 0x3d, 0xe6, 0x70, 0x2b, 0x95, 0x4f, 0xc8}
	rawLLS = []byte("lls-pass-7Q!")
)

func leakyKeys() Keys {
	return Keys{EK: NewSecret(rawEK), AK: NewSecret(rawAK), KEK: NewSecret(rawEK[:16]), LLSPassword: NewSecret(rawLLS)}
}

// leaks returns a description of the key material found in out, or "".
func leaks(out string) string {
	for _, raw := range [][]byte{rawEK, rawAK, rawLLS} {
		for _, form := range []string{
			string(raw), hex.EncodeToString(raw), strings.ToUpper(hex.EncodeToString(raw)),
			base64.StdEncoding.EncodeToString(raw), fmt.Sprint(raw)[1:20], fmt.Sprintf("%#v", raw)[8:30],
		} {
			if strings.Contains(out, form) {
				return form
			}
		}
	}
	return ""
}

func TestKeysRedacted(t *testing.T) {
	k := leakyKeys()
	type named struct {
		Name string
		Keys Keys
	}
	type hidden struct {
		name string
		keys Keys
	}
	type embedded struct {
		Keys
		ID string
	}
	type secrets struct {
		EK  Secret
		lls Secret
	}
	values := map[string]any{
		"Keys":             k,
		"*Keys":            &k,
		"field":            named{"m1", k},
		"*field":           &named{"m1", k},
		"unexported field": hidden{"m1", k},
		"*unexported":      &hidden{"m1", k},
		"embedded":         embedded{k, "m1"},
		"slice":            []Keys{k, k},
		"map":              map[string]Keys{"m1": k},
		"Secret":           k.EK,
		"secrets":          secrets{k.EK, k.LLSPassword},
		"InventoryKeys":    NewInventoryKeys(k),
		"inventory meter":  InventoryMeter{ID: "m1", Keys: NewInventoryKeys(k)},
	}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
			out := fmt.Sprintf(verb, v)
			if l := leaks(out); l != "" {
				t.Errorf("%s with %s shows %q: %s", name, verb, l, out)
			}
		}
		if strings.HasPrefix(name, "Inventory") || name == "inventory meter" {
			continue // the inventory file holds keys by design
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Errorf("%s: json: %v", name, err)
		}
		if l := leaks(string(b)); l != "" {
			t.Errorf("%s: json shows %q: %s", name, l, b)
		}
	}
	if got := fmt.Sprint(k); got != "meter.Keys{EK:[redacted] AK:[redacted] KEK:[redacted] LLSPassword:[redacted] HLSSecret:none}" {
		t.Errorf("Sprint = %s", got)
	}
	b, _ := json.Marshal(k)
	if string(b) != `{"ek":"[redacted]","ak":"[redacted]","kek":"[redacted]","lls_password":"[redacted]","hls_secret":"none"}` {
		t.Errorf("json = %s", b)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(k); err == nil {
		t.Error("gob encoded keys")
	}
	if l := leaks(buf.String()); l != "" {
		t.Errorf("gob wrote %q", l)
	}
}

func TestSecret(t *testing.T) {
	src := []byte{1, 2, 3}
	s := NewSecret(src)
	src[0] = 9
	if b := s.Bytes(); !bytes.Equal(b, []byte{1, 2, 3}) {
		t.Errorf("NewSecret did not copy: %v", b)
	}
	s.Bytes()[1] = 9
	if !s.Equal(NewSecret([]byte{1, 2, 3})) || s.Equal(NewSecret([]byte{1, 2})) {
		t.Error("Equal or Bytes aliasing wrong")
	}
	if s.Hex() != "010203" || s.Len() != 3 || s.IsZero() || !(Secret{}).IsZero() {
		t.Error("Hex, Len or IsZero wrong")
	}
	if p, err := ParseHexSecret("0A0b0C"); err != nil || !p.Equal(NewSecret([]byte{10, 11, 12})) {
		t.Errorf("ParseHexSecret = %v", err)
	}
	for _, bad := range []string{"abX", "QQ", "0Z", "4X"} {
		_, err := ParseHexSecret(bad)
		if !errors.Is(err, ErrKeyFormat) || strings.ContainsAny(err.Error(), "QXZ") {
			t.Errorf("ParseHexSecret(%q) = %v", bad, err)
		}
	}
	if a, b := key16(1).Fingerprint(), key16(2).Fingerprint(); a == b || a != key16(1).Fingerprint() || len(a.String()) != 16 {
		t.Errorf("fingerprints %s %s", a, b)
	}
}

func TestKeysValidate(t *testing.T) {
	tests := []struct {
		name string
		k    Keys
		want string
	}{
		{"full", testKeys(1), ""},
		{"empty", Keys{}, ""},
		{"short ek", Keys{EK: NewSecret(rawEK[:15])}, "key ek of 15 bytes"},
		{"long kek", Keys{KEK: NewSecret(append(rawEK, 1))}, "key kek of 17 bytes"},
		{"long password", Keys{LLSPassword: NewSecret(make([]byte, 256))}, "lls_password of 256 bytes"},
	}
	for _, tt := range tests {
		err := tt.k.Validate()
		if tt.want == "" && err != nil || tt.want != "" && (!errors.Is(err, ErrKeyFormat) || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	if got := (Keys{EK: key16(1)}).Missing([]string{"ek", "ak", "hls_secret"}); strings.Join(got, ",") != "ak,hls_secret" {
		t.Errorf("Missing = %v", got)
	}
	sk := testKeys(1).SecurityKeys()
	if !bytes.Equal(sk.Encryption, key16(1).Bytes()) || !bytes.Equal(sk.Authentication, key16(2).Bytes()) {
		t.Error("SecurityKeys")
	}
}

func TestSealedKeys(t *testing.T) {
	s, path := newTestStore(t, nil)
	for i, id := range []string{"A", "B"} {
		if err := s.Add(testMeter(t, id, i)); err != nil {
			t.Fatal(err)
		}
	}
	k := leakyKeys()
	if err := s.PutKeys("A", k); err != nil {
		t.Fatal(err)
	}
	got, err := s.Keys("A")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range keyNames {
		if !got.field(n).Equal(*k.field(n)) {
			t.Errorf("%s differs after the round trip", n)
		}
	}
	if _, err := s.Keys("B"); !errors.Is(err, ErrNoKeys) {
		t.Errorf("Keys(B) = %v, want ErrNoKeys", err)
	}
	if err := s.PutKeys("C", k); !errors.Is(err, ErrUnknownMeter) {
		t.Errorf("PutKeys(C) = %v", err)
	}
	if err := s.PutKeys("A", Keys{EK: NewSecret(rawEK[:8])}); !errors.Is(err, ErrKeyFormat) || leaks(err.Error()) != "" {
		t.Errorf("PutKeys(short) = %v", err)
	}
	// The key bytes are nowhere in the file.
	if err := s.db.Sync(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range [][]byte{rawEK, rawAK, rawLLS} {
		if bytes.Contains(file, raw) {
			t.Errorf("key bytes in clear in the file")
		}
	}

	// A blob moved to another meter does not open.
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKeys)
		return b.Put([]byte("B"), bytes.Clone(b.Get([]byte("A"))))
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Keys("B")
	if !errors.Is(err, ErrSealedKeys) || leaks(err.Error()) != "" {
		t.Errorf("moved blob: %v", err)
	}
	// A damaged blob does not open either.
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKeys)
		v := bytes.Clone(b.Get([]byte("A")))
		v[len(v)-1] ^= 1
		return b.Put([]byte("A"), v)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Keys("A"); !errors.Is(err, ErrSealedKeys) {
		t.Errorf("damaged blob: %v", err)
	}
}

func TestWrongMasterKey(t *testing.T) {
	s, _ := newTestStore(t, nil)
	if err := s.Add(testMeter(t, "A", 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutKeys("A", leakyKeys()); err != nil {
		t.Fatal(err)
	}
	other := NewSecret(rawAK) // 16 bytes: AES-128
	_, err := OpenStore(s.db, testSealer(t, other), nil)
	if !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("Open with another master key: %v", err)
	}
	if l := leaks(err.Error()); l != "" || strings.Contains(err.Error(), testMaster.Hex()) {
		t.Errorf("error shows key material: %v", err)
	}
	// Past the check (a store opened without it), the keys still do not open.
	wrong := &Store{db: s.db, sealer: testSealer(t, other)}
	if _, err := wrong.Keys("A"); !errors.Is(err, ErrSealedKeys) || !strings.Contains(err.Error(), "wrong master key") {
		t.Errorf("Keys with another master key: %v", err)
	}
	// Without a sealer the store opens, and keys are out of reach.
	ns, err := OpenStore(s.db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ns.Keys("A"); !errors.Is(err, ErrNoSealer) {
		t.Errorf("Keys without a sealer: %v", err)
	}
	if _, err := ns.Get("A"); err != nil {
		t.Errorf("Get without a sealer: %v", err)
	}
	// The right master key still opens.
	if _, err := OpenStore(s.db, testSealer(t, testMaster), nil); err != nil {
		t.Errorf("Open with the right master key: %v", err)
	}
}

func TestPendingKeys(t *testing.T) {
	s, _ := newTestStore(t, nil)
	if err := s.Add(testMeter(t, "A", 1)); err != nil {
		t.Fatal(err)
	}
	old, next := testKeys(10), testKeys(50)
	if err := s.PutKeys("A", old); err != nil {
		t.Fatal(err)
	}
	if err := s.PromotePendingKeys("A"); !errors.Is(err, ErrNoPendingKeys) {
		t.Errorf("Promote without pending keys: %v", err)
	}
	if err := s.StagePendingKeys("A", next); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.KeyStatus("A"); st != (KeyStatus{Current: true, Pending: true}) {
		t.Errorf("status %+v", st)
	}
	cur, _ := s.Keys("A")
	pend, _ := s.PendingKeys("A")
	if !cur.EK.Equal(old.EK) || !pend.EK.Equal(next.EK) {
		t.Error("staging changed the current keys")
	}
	if err := s.DiscardPendingKeys("A"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PendingKeys("A"); !errors.Is(err, ErrNoPendingKeys) {
		t.Errorf("after discard: %v", err)
	}
	if err := s.DiscardPendingKeys("A"); err != nil {
		t.Errorf("second discard: %v", err)
	}
	if err := s.StagePendingKeys("A", next); err != nil {
		t.Fatal(err)
	}
	if err := s.PromotePendingKeys("A"); err != nil {
		t.Fatal(err)
	}
	cur, _ = s.Keys("A")
	if !cur.EK.Equal(next.EK) || !cur.LLSPassword.Equal(next.LLSPassword) {
		t.Error("promotion did not install the pending keys")
	}
	if st, _ := s.KeyStatus("A"); st != (KeyStatus{Current: true}) {
		t.Errorf("status after promotion %+v", st)
	}
	if err := s.StagePendingKeys("nope", next); !errors.Is(err, ErrUnknownMeter) {
		t.Errorf("stage for unknown meter: %v", err)
	}
}

func TestLoadMasterKey(t *testing.T) {
	dir := t.TempDir()
	hexKey := testMaster.Hex()
	spaced := "  " + hexKey[:16] + " " + hexKey[16:40] + "\n\t" + hexKey[40:] + "\r\n"
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", spaced, 0o600)
	k, err := LoadMasterKey(good, "")
	if err != nil || !k.Equal(testMaster) {
		t.Fatalf("LoadMasterKey(file) = %v", err)
	}
	k16, err := LoadMasterKey(write("k16", strings.ToUpper(hexKey[:32]), 0o400), "")
	if err != nil || k16.Len() != 16 {
		t.Errorf("16-byte key: %v", err)
	}
	t.Setenv("TEST_HES_KEY", spaced)
	if k, err := LoadMasterKey("", "TEST_HES_KEY"); err != nil || !k.Equal(testMaster) {
		t.Errorf("LoadMasterKey(env) = %v", err)
	}
	t.Setenv(EnvMasterKey, hexKey)
	if k, err := LoadMasterKey("", ""); err != nil || !k.Equal(testMaster) {
		t.Errorf("LoadMasterKey(default env) = %v", err)
	}
	t.Setenv("TEST_HES_EMPTY", " ")
	secretText := "q" + hexKey[1:]
	tests := []struct {
		name      string
		path, env string
		want      error
		says      string
	}{
		{"group readable", write("g", hexKey, 0o640), "", ErrMasterKeyFile, "want 0600"},
		{"world readable", write("w", hexKey, 0o604), "", ErrMasterKeyFile, "want 0600"},
		{"not hex", write("x", secretText, 0o600), "", ErrKeyFormat, "character 1"},
		{"odd", write("o", hexKey[:31], 0o600), "", ErrKeyFormat, "odd number"},
		{"24 bytes", write("24", hexKey[:48], 0o600), "", ErrKeyFormat, "24 bytes, want 16 or 32"},
		{"empty file", write("e", "\n", 0o600), "", ErrKeyFormat, "0 bytes"},
		{"no file", filepath.Join(dir, "missing"), "", os.ErrNotExist, "missing"},
		{"unset env", "", "TEST_HES_UNSET", ErrNoMasterKey, "TEST_HES_UNSET"},
		{"blank env", "", "TEST_HES_EMPTY", ErrNoMasterKey, "TEST_HES_EMPTY"},
	}
	for _, tt := range tests {
		_, err := LoadMasterKey(tt.path, tt.env)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s: %v, want %v saying %q", tt.name, err, tt.want, tt.says)
			continue
		}
		if strings.Contains(err.Error(), hexKey[8:24]) || strings.Contains(err.Error(), secretText[:8]) {
			t.Errorf("%s: the error shows the key: %v", tt.name, err)
		}
	}
	if _, err := NewKeySealer(NewSecret(make([]byte, 24))); !errors.Is(err, ErrKeyFormat) {
		t.Errorf("NewKeySealer(24 bytes) = %v", err)
	}
}

func TestSealerFormat(t *testing.T) {
	s := testSealer(t, testMaster)
	plain := encodeKeys(testKeys(3))
	a, err := s.seal("m", plain)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.seal("m", plain)
	if a[0] != sealVersion || len(a) != 1+12+len(plain)+16 || bytes.Equal(a, b) {
		t.Errorf("blob %x: want version 1, 12-byte random nonce, 16-byte tag", a)
	}
	for _, bad := range [][]byte{nil, a[:20], append([]byte{2}, a[1:]...)} {
		if _, err := s.open("m", bad); !errors.Is(err, ErrSealedKeys) {
			t.Errorf("open(%x) = %v", bad, err)
		}
	}
	got, err := s.open("m", a)
	if err != nil || !bytes.Equal(got, plain) {
		t.Errorf("open = %v", err)
	}
	k, err := decodeKeys(got)
	if err != nil || !k.AK.Equal(testKeys(3).AK) || !k.HLSSecret.IsZero() {
		t.Errorf("decodeKeys = %v", err)
	}
	for _, bad := range [][]byte{{}, {16, 1}, append(bytes.Clone(plain), 0)} {
		if _, err := decodeKeys(bad); err == nil {
			t.Errorf("decodeKeys(%x) accepted", bad)
		}
	}
}
