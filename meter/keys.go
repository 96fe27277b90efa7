package meter

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/openhes/hes/dlms/security"
)

// Secret is key material: a key, a password. No printer, encoder or
// logger shows its bytes: every fmt verb prints "[redacted]" (or "none"
// when it is empty), JSON and text encodings give "[redacted]", and a
// Secret inside a struct, even in an unexported field that fmt reaches
// without calling Format, prints as a function address: the bytes are
// held by a closure, which reflection does not look into. Bytes is the
// only way to its content. A Secret is immutable; its zero value is empty.
type Secret struct {
	b func() []byte // nil when empty; returns the Secret's own slice
}

// NewSecret returns a Secret holding a copy of b.
func NewSecret(b []byte) Secret {
	if len(b) == 0 {
		return Secret{}
	}
	return own(bytes.Clone(b))
}

// own makes a Secret of b, which the caller gives up.
func own(b []byte) Secret { return Secret{b: func() []byte { return b }} }

// ParseHexSecret reads a Secret written in hexadecimal (either case). An
// empty string gives an empty Secret. Its errors say where the text is
// wrong, never what it holds.
func ParseHexSecret(s string) (Secret, error) {
	if len(s)%2 != 0 {
		return Secret{}, fmt.Errorf("%w: odd number of hexadecimal digits (%d)", ErrKeyFormat, len(s))
	}
	b := make([]byte, len(s)/2)
	for i := 0; i < len(s); i += 2 {
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			pos := i + 1
			if ok1 {
				pos++
			}
			clear(b)
			return Secret{}, fmt.Errorf("%w: character %d is not a hexadecimal digit", ErrKeyFormat, pos)
		}
		b[i/2] = hi<<4 | lo
	}
	if len(b) == 0 {
		return Secret{}, nil
	}
	return own(b), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Bytes returns a copy of the secret's bytes, nil when it is empty.
func (s Secret) Bytes() []byte { return bytes.Clone(s.view()) }

// Len returns the length of the secret in bytes.
func (s Secret) Len() int { return len(s.view()) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.Len() == 0 }

// Equal reports, in constant time for equal lengths, whether s and t hold
// the same bytes.
func (s Secret) Equal(t Secret) bool {
	return subtle.ConstantTimeCompare(s.view(), t.view()) == 1
}

// Hex returns the secret in lower-case hexadecimal, for the one place that
// must write it in clear: the simulator's inventory file.
func (s Secret) Hex() string {
	const digits = "0123456789abcdef"
	b := s.view()
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}

func (s Secret) view() []byte {
	if s.b == nil {
		return nil
	}
	return s.b()
}

func (s Secret) redacted() string {
	if s.IsZero() {
		return "none"
	}
	return "[redacted]"
}

// String returns "[redacted]", or "none" when the secret is empty.
func (s Secret) String() string { return s.redacted() }

// Format prints "[redacted]", or "none" when the secret is empty, for
// every verb.
func (s Secret) Format(f fmt.State, _ rune) { io.WriteString(f, s.redacted()) }

// MarshalText gives "[redacted]" (or "none"): a Secret cannot be encoded.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.redacted()), nil }

// Keys are the secrets of one meter. Printing or encoding a Keys value
// (fmt, JSON, text) shows which keys are set, never their bytes.
type Keys struct {
	EK          Secret // global unicast encryption key, 16 bytes
	AK          Secret // authentication key, 16 bytes
	KEK         Secret // master key (key encryption key), 16 bytes
	LLSPassword Secret // password of the LLS association
	HLSSecret   Secret // secret of an HLS association other than HLS-GMAC
}

// keyNames are the names of the keys, in the order of the Keys fields; the
// inventory, the CSV import and the errors use them.
var keyNames = []string{"ek", "ak", "kek", "lls_password", "hls_secret"}

func (k *Keys) field(name string) *Secret {
	switch name {
	case "ek":
		return &k.EK
	case "ak":
		return &k.AK
	case "kek":
		return &k.KEK
	case "lls_password":
		return &k.LLSPassword
	case "hls_secret":
		return &k.HLSSecret
	}
	return nil
}

// String returns which keys are set, redacted:
// meter.Keys{EK:[redacted] AK:[redacted] KEK:[redacted] LLSPassword:none HLSSecret:none}.
func (k Keys) String() string {
	return fmt.Sprintf("meter.Keys{EK:%s AK:%s KEK:%s LLSPassword:%s HLSSecret:%s}",
		k.EK.redacted(), k.AK.redacted(), k.KEK.redacted(), k.LLSPassword.redacted(), k.HLSSecret.redacted())
}

// Format prints what String returns, for every verb.
func (k Keys) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// MarshalJSON writes which keys are set, redacted:
// {"ek":"[redacted]","ak":"[redacted]","kek":"none",…}.
func (k Keys) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range keyNames {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%q", n, k.field(n).redacted())
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// KeySize is the size of the suite 0 keys EK, AK and KEK.
const KeySize = security.KeySize

// maxPasswordSize bounds the LLS password and the HLS secret.
const maxPasswordSize = 255

// Validate checks the sizes of the keys that are set: EK, AK and KEK
// KeySize bytes, the LLS password and the HLS secret at most 255 bytes.
func (k Keys) Validate() error {
	for _, n := range keyNames {
		s := k.field(n)
		switch {
		case s.IsZero():
		case (n == "ek" || n == "ak" || n == "kek") && s.Len() != KeySize:
			return fmt.Errorf("meter: %w: key %s of %d bytes, want %d", ErrKeyFormat, n, s.Len(), KeySize)
		case s.Len() > maxPasswordSize:
			return fmt.Errorf("meter: %w: %s of %d bytes, want at most %d", ErrKeyFormat, n, s.Len(), maxPasswordSize)
		}
	}
	return nil
}

// Present returns the names of the keys that are set, in the order of the
// Keys fields ("ek", "ak", "kek", "lls_password", "hls_secret").
func (k Keys) Present() []string {
	var out []string
	for _, n := range keyNames {
		if !k.field(n).IsZero() {
			out = append(out, n)
		}
	}
	return out
}

// Missing returns the names among required ("ek", "ak", "kek",
// "lls_password", "hls_secret") of the keys that are not set.
func (k Keys) Missing(required []string) []string {
	var out []string
	for _, n := range required {
		if s := k.field(n); s == nil || s.IsZero() {
			out = append(out, n)
		}
	}
	return out
}

// SecurityKeys returns the suite 0 keys for a security.Context: EK and AK.
func (k Keys) SecurityKeys() security.Keys {
	return security.Keys{Encryption: k.EK.Bytes(), Authentication: k.AK.Bytes()}
}

// Errors about keys and the master key. None of them carries key bytes.
var (
	ErrKeyFormat      = errors.New("malformed key")
	ErrNoMasterKey    = errors.New("no master key")
	ErrMasterKeyFile  = errors.New("unsafe master key file")
	ErrWrongMasterKey = errors.New("wrong master key")
	ErrSealedKeys     = errors.New("sealed keys do not open")
	ErrNoSealer       = errors.New("store opened without a master key")
	ErrNoKeys         = errors.New("no keys")
	ErrNoPendingKeys  = errors.New("no pending keys")
)

// EnvMasterKey is the environment variable that LoadMasterKey reads by
// default.
const EnvMasterKey = "HES_MASTER_KEY"

// LoadMasterKey reads the master key that seals the meters' keys at rest:
// from the file at path when path is not empty, else from the environment
// variable env (EnvMasterKey when env is empty). The key is written in
// hexadecimal, 32 or 64 digits (AES-128 or AES-256); white space anywhere
// is ignored. On Unix a key file that its group or others may read or
// write is refused (chmod 600 it). The master key is never taken from the
// command line, and no error repeats what the file or variable holds.
func LoadMasterKey(path, env string) (Secret, error) {
	var text []byte
	var from string
	if path != "" {
		from = "file " + path
		fi, err := os.Stat(path)
		if err != nil {
			return Secret{}, fmt.Errorf("meter: master key: %w", err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
			return Secret{}, fmt.Errorf("meter: %w %s: mode %v lets other users read it, want 0600", ErrMasterKeyFile, path, fi.Mode().Perm())
		}
		if !fi.Mode().IsRegular() {
			return Secret{}, fmt.Errorf("meter: %w %s: not a regular file", ErrMasterKeyFile, path)
		}
		f, err := os.Open(path)
		if err != nil {
			return Secret{}, fmt.Errorf("meter: master key: %w", err)
		}
		defer f.Close()
		text, err = io.ReadAll(io.LimitReader(f, 4096))
		if err != nil {
			return Secret{}, fmt.Errorf("meter: master key: reading %s: %w", path, err)
		}
		defer clear(text)
	} else {
		if env == "" {
			env = EnvMasterKey
		}
		from = "environment variable " + env
		v, ok := os.LookupEnv(env)
		if !ok || strings.TrimSpace(v) == "" {
			return Secret{}, fmt.Errorf("meter: %w: give a key file or set %s", ErrNoMasterKey, env)
		}
		text = []byte(v)
		defer clear(text)
	}
	compact := make([]byte, 0, len(text))
	for _, c := range text {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			compact = append(compact, c)
		}
	}
	defer clear(compact)
	s, err := ParseHexSecret(string(compact))
	if err != nil {
		return Secret{}, fmt.Errorf("meter: master key from %s: %w", from, err)
	}
	if s.Len() != 16 && s.Len() != 32 {
		return Secret{}, fmt.Errorf("meter: master key from %s: %w: %d bytes, want 16 or 32", from, ErrKeyFormat, s.Len())
	}
	return s, nil
}

// KeySealer seals the keys of meters with AES-GCM under the master key. A
// sealed blob is
//
//	version (1 byte, 1) ‖ nonce (12 random bytes) ‖ ciphertext ‖ tag (16 bytes)
//
// with the meter id as additional data, so that a blob moved to another
// meter does not open. It is safe for concurrent use.
type KeySealer struct {
	aead cipher.AEAD
	rand io.Reader
}

const (
	sealVersion   = 1
	sealNonceSize = 12
	sealDomain    = "hes/meter/keys/v1\x00"
)

// NewKeySealer returns a KeySealer for a master key of 16 or 32 bytes.
func NewKeySealer(master Secret) (*KeySealer, error) {
	if master.Len() != 16 && master.Len() != 32 {
		return nil, fmt.Errorf("meter: %w: master key of %d bytes, want 16 or 32", ErrKeyFormat, master.Len())
	}
	aead, err := security.NewGCM(master.view(), 16)
	if err != nil {
		return nil, fmt.Errorf("meter: %w: master key", ErrKeyFormat)
	}
	return &KeySealer{aead: aead, rand: rand.Reader}, nil
}

func sealAD(id string) []byte { return append([]byte(sealDomain), id...) }

// seal enciphers plain for the meter id (or the label of a check value).
func (s *KeySealer) seal(id string, plain []byte) ([]byte, error) {
	out := make([]byte, 1+sealNonceSize, 1+sealNonceSize+len(plain)+s.aead.Overhead())
	out[0] = sealVersion
	if _, err := io.ReadFull(s.rand, out[1:]); err != nil {
		return nil, fmt.Errorf("meter: sealing keys: reading a nonce: %w", err)
	}
	return s.aead.Seal(out, out[1:], plain, sealAD(id)), nil
}

// open deciphers a blob that seal made for id.
func (s *KeySealer) open(id string, blob []byte) ([]byte, error) {
	if len(blob) < 1+sealNonceSize+s.aead.Overhead() || blob[0] != sealVersion {
		return nil, fmt.Errorf("meter: %w for %q: not a version %d sealed record", ErrSealedKeys, id, sealVersion)
	}
	plain, err := s.aead.Open(nil, blob[1:1+sealNonceSize], blob[1+sealNonceSize:], sealAD(id))
	if err != nil {
		return nil, fmt.Errorf("meter: %w for %q: wrong master key, or a record altered or moved from another meter", ErrSealedKeys, id)
	}
	return plain, nil
}

// encodeKeys lays the keys out for sealing: for each key in the order of
// keyNames, one length byte and the bytes.
func encodeKeys(k Keys) []byte {
	var b []byte
	for _, n := range keyNames {
		v := k.field(n).view()
		b = append(b, byte(len(v)))
		b = append(b, v...)
	}
	return b
}

func decodeKeys(b []byte) (Keys, error) {
	var k Keys
	for _, n := range keyNames {
		if len(b) < 1 || len(b) < 1+int(b[0]) {
			return Keys{}, errors.New("truncated")
		}
		l := int(b[0])
		*k.field(n) = NewSecret(b[1 : 1+l])
		b = b[1+l:]
	}
	if len(b) != 0 {
		return Keys{}, errors.New("trailing bytes")
	}
	return k, nil
}

// The master key check: a constant sealed under the label below, kept in
// the store so that a wrong master key is told apart from a damaged record.
const (
	masterCheckLabel = "\x00master-key-check"
	masterCheckPlain = "hes master key check v1"
)

func (s *Store) sealKeys(tx *bolt.Tx, bucket []byte, id string, k Keys) error {
	if s.sealer == nil {
		return fmt.Errorf("meter: keys of %q: %w", id, ErrNoSealer)
	}
	if err := k.Validate(); err != nil {
		return fmt.Errorf("meter: keys of %q: %w", id, err)
	}
	plain := encodeKeys(k)
	defer clear(plain)
	blob, err := s.sealer.seal(id, plain)
	if err != nil {
		return err
	}
	return tx.Bucket(bucket).Put([]byte(id), blob)
}

func (s *Store) openKeys(tx *bolt.Tx, bucket []byte, id string, none error) (Keys, error) {
	if s.sealer == nil {
		return Keys{}, fmt.Errorf("meter: keys of %q: %w", id, ErrNoSealer)
	}
	blob := tx.Bucket(bucket).Get([]byte(id))
	if blob == nil {
		return Keys{}, fmt.Errorf("meter: %w for meter %q", none, id)
	}
	plain, err := s.sealer.open(id, blob)
	if err != nil {
		return Keys{}, err
	}
	defer clear(plain)
	k, err := decodeKeys(plain)
	if err != nil {
		return Keys{}, fmt.Errorf("meter: %w for %q: %v", ErrSealedKeys, id, err)
	}
	return k, nil
}

// PutKeys seals k and stores it as the current keys of meter id,
// replacing any; pending keys stay as they are. The meter must be
// registered.
func (s *Store) PutKeys(id string, k Keys) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := mustExist(tx, id); err != nil {
			return err
		}
		return s.sealKeys(tx, bucketKeys, id, k)
	})
}

// Keys returns the current keys of meter id, or an error wrapping ErrNoKeys
// when it has none.
func (s *Store) Keys(id string) (Keys, error) {
	var k Keys
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		k, err = s.openKeys(tx, bucketKeys, id, ErrNoKeys)
		return err
	})
	return k, err
}

// StagePendingKeys seals k and stores it as the pending keys of meter id,
// beside the current ones, replacing keys staged before. Key rotation
// stages the new keys, transfers them to the meter, verifies them with a
// new association, then promotes or discards them.
func (s *Store) StagePendingKeys(id string, k Keys) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := mustExist(tx, id); err != nil {
			return err
		}
		return s.sealKeys(tx, bucketKeysPending, id, k)
	})
}

// PendingKeys returns the pending keys of meter id, or an error wrapping
// ErrNoPendingKeys.
func (s *Store) PendingKeys(id string) (Keys, error) {
	var k Keys
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		k, err = s.openKeys(tx, bucketKeysPending, id, ErrNoPendingKeys)
		return err
	})
	return k, err
}

// PromotePendingKeys makes the pending keys of meter id its current keys,
// in one transaction; it fails with ErrNoPendingKeys when none are staged.
// The sending invocation counter of each client continues above every
// value it used under the old keys (see SendCounter).
func (s *Store) PromotePendingKeys(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := mustExist(tx, id); err != nil {
			return err
		}
		// Opening checks the blob before it replaces good keys.
		k, err := s.openKeys(tx, bucketKeysPending, id, ErrNoPendingKeys)
		if err != nil {
			return err
		}
		if err := s.sealKeys(tx, bucketKeys, id, k); err != nil {
			return err
		}
		return tx.Bucket(bucketKeysPending).Delete([]byte(id))
	})
}

// DiscardPendingKeys forgets the pending keys of meter id; it does nothing
// when there are none.
func (s *Store) DiscardPendingKeys(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketKeysPending).Delete([]byte(id))
	})
}

// KeyStatus tells whether a meter has current and pending keys.
type KeyStatus struct {
	Current bool `json:"current"`
	Pending bool `json:"pending"`
}

// KeyStatus returns which keys meter id has, without opening them.
func (s *Store) KeyStatus(id string) (KeyStatus, error) {
	var st KeyStatus
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := mustExist(tx, id); err != nil {
			return err
		}
		st.Current = tx.Bucket(bucketKeys).Get([]byte(id)) != nil
		st.Pending = tx.Bucket(bucketKeysPending).Get([]byte(id)) != nil
		return nil
	})
	return st, err
}
