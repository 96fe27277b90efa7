package meter

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// testMaster is the master key of the test stores.
var testMaster = NewSecret(bytes.Repeat([]byte{0x4d}, 32))

func testSealer(t testing.TB, master Secret) *KeySealer {
	t.Helper()
	s, err := NewKeySealer(master)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// openDB opens (or reopens) the bbolt file at path. Syncing is off: the
// tests reopen files in the same process, where the page cache holds every
// committed write.
func openDB(t testing.TB, path string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// fixedClock returns a clock stopped at t.
func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

var testNow = time.Date(2025, 3, 30, 10, 0, 0, 0, time.UTC)

// newTestStore returns a Store on a new bbolt file, closed at the end of
// the test, and the file's path.
func newTestStore(t testing.TB, opts *StoreOptions) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hes.db")
	db := openDB(t, path)
	t.Cleanup(func() { db.Close() })
	if opts == nil {
		opts = &StoreOptions{}
	}
	if opts.Now == nil {
		opts.Now = fixedClock(testNow)
	}
	s, err := OpenStore(db, testSealer(t, testMaster), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, path
}

// ean returns the EAN that completes first17 with its check digit.
func ean(t testing.TB, first17 string) string {
	t.Helper()
	c, err := EANCheckDigit(first17)
	if err != nil {
		t.Fatal(err)
	}
	return first17 + string(c)
}

func key16(b byte) Secret { return NewSecret(bytes.Repeat([]byte{b}, 16)) }

// testKeys returns a full set of keys whose bytes all derive from seed.
func testKeys(seed byte) Keys {
	return Keys{
		EK: key16(seed), AK: key16(seed + 1), KEK: key16(seed + 2),
		LLSPassword: NewSecret([]byte{seed + 3, seed + 3, seed + 3, seed + 3}),
	}
}

// testMeter returns a valid meter on TCP with a gas meter.
func testMeter(t testing.TB, id string, n int) Meter {
	t.Helper()
	return Meter{
		ID:      id,
		EAN:     ean(t, "541448800000"+pad5(n)),
		Profile: "be-elec-default",
		Link:    LinkSpec{Address: "127.0.0.1:4059"},
		Gas:     &GasMeter{Channel: 1, EAN: ean(t, "541448900000"+pad5(n))},
	}
}

func pad5(n int) string {
	b := []byte("00000")
	for i := 4; i >= 0 && n > 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b)
}

func TestOpenCreatesBuckets(t *testing.T) {
	s, _ := newTestStore(t, nil)
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if !bytes.HasPrefix(b, []byte("meter/")) {
				t.Errorf("bucket %s outside meter/", b)
			}
			if tx.Bucket(b) == nil {
				t.Errorf("no bucket %s", b)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Location().String(); got != "Europe/Brussels" {
		t.Errorf("location %s, want Europe/Brussels", got)
	}
}
