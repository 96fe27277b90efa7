package meter

import (
	"errors"
	"fmt"
	"time"
	_ "time/tzdata" // the meter's day is a Europe/Brussels day on any host

	"github.com/rs/zerolog"
	bolt "go.etcd.io/bbolt"
)

// The buckets of the package, at the top level of the bbolt file that it
// shares with other packages. Meter records and readings are JSON; keys
// are sealed blobs (see KeySealer); counters are big-endian integers.
var (
	bucketMeta        = []byte("meter/meta")         // name → value (the master key check)
	bucketMeters      = []byte("meter/meters")       // id → Meter (JSON)
	bucketEAN         = []byte("meter/ean")          // EAN (meter's or gas meter's) → id
	bucketKeys        = []byte("meter/keys")         // id → sealed current Keys
	bucketKeysPending = []byte("meter/keys-pending") // id → sealed pending Keys
	bucketICKey       = []byte("meter/ic-key")       // key fingerprint (8) → next sending counter (uint64)
	bucketICClient    = []byte("meter/ic-client")    // id 0x00 client SAP (2) → next sending counter (uint64)
	bucketICRecv      = []byte("meter/ic-recv")      // id 0x00 key fingerprint (8) → last received counter (uint32)
	bucketReadings    = []byte("meter/readings")     // id 0x00 day (4) OBIS (6) → Reading (JSON)
	bucketReadingsDay = []byte("meter/readings-day") // day (4) id 0x00 OBIS (6) → ""
)

var allBuckets = [][]byte{
	bucketMeta, bucketMeters, bucketEAN, bucketKeys, bucketKeysPending,
	bucketICKey, bucketICClient, bucketICRecv, bucketReadings, bucketReadingsDay,
}

// StoreOptions tune a Store; the zero value (or nil) gives the defaults.
type StoreOptions struct {
	// Logger receives the store's events (counters near exhaustion). The
	// zero Logger logs nothing.
	Logger zerolog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Location is the time zone of the meter's day; Europe/Brussels when
	// nil.
	Location *time.Location
	// CounterBatch is how many sending invocation counter values a
	// SendCounter reserves per write transaction; 64 when 0. A crash skips
	// at most this many values.
	CounterBatch uint32
	// CounterMargin: a sending counter that comes within this distance of
	// 2^32 is logged at warning level so that a key change is planned;
	// DefaultCounterMargin when 0.
	CounterMargin uint32
	// Profiles are meter profiles read with ParseProfile; they are found
	// before the embedded profiles of the same name.
	Profiles []Profile
}

// DefaultCounterMargin is the default distance to 2^32 at which a sending
// invocation counter is reported as near exhaustion.
const DefaultCounterMargin = 1 << 24

// Store keeps what the head-end knows of its meters in a bbolt file: the
// registry, the sealed keys, the invocation counters and the daily
// readings. Every change is one write transaction; every value returned is
// a copy. A Store is safe for concurrent use.
type Store struct {
	db       *bolt.DB
	sealer   *KeySealer
	log      zerolog.Logger
	now      func() time.Time
	loc      *time.Location
	batch    uint32
	margin   uint32
	profiles map[string]Profile
}

// Errors of the registry.
var (
	ErrUnknownMeter = errors.New("unknown meter")
	ErrMeterExists  = errors.New("meter already registered")
	ErrEANInUse     = errors.New("EAN already registered")
	ErrInvalidMeter = errors.New("invalid meter")
)

// OpenStore creates the package's buckets in db when missing and returns the
// Store. db stays open and owned by the caller. sealer may be nil for a
// store that never touches keys (the key methods then fail with
// ErrNoSealer). With a sealer, OpenStore checks it against the master key
// check kept in the file (written by the first OpenStore with a sealer) and
// fails with ErrWrongMasterKey when the master key is not the one that
// sealed the keys already stored.
func OpenStore(db *bolt.DB, sealer *KeySealer, opts *StoreOptions) (*Store, error) {
	if opts == nil {
		opts = &StoreOptions{}
	}
	s := &Store{
		db: db, sealer: sealer, log: opts.Logger, now: opts.Now, loc: opts.Location,
		batch: opts.CounterBatch, margin: opts.CounterMargin, profiles: map[string]Profile{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.loc == nil {
		loc, err := time.LoadLocation("Europe/Brussels")
		if err != nil {
			return nil, fmt.Errorf("meter: %w", err)
		}
		s.loc = loc
	}
	if s.batch == 0 {
		s.batch = 64
	}
	if s.margin == 0 {
		s.margin = DefaultCounterMargin
	}
	for _, p := range opts.Profiles {
		if p.Name == "" || p.byRole == nil {
			return nil, fmt.Errorf("meter: %w: a profile that ParseProfile did not return", ErrProfile)
		}
		s.profiles[p.Name] = p
	}
	err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("meter: creating bucket %s: %w", b, err)
			}
		}
		if sealer == nil {
			return nil
		}
		meta := tx.Bucket(bucketMeta)
		check := meta.Get([]byte("master-key-check"))
		if check == nil {
			blob, err := sealer.seal(masterCheckLabel, []byte(masterCheckPlain))
			if err != nil {
				return err
			}
			return meta.Put([]byte("master-key-check"), blob)
		}
		if plain, err := sealer.open(masterCheckLabel, check); err != nil || string(plain) != masterCheckPlain {
			return fmt.Errorf("meter: %w: it does not open the keys stored in this file", ErrWrongMasterKey)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Location returns the time zone of the meter's day.
func (s *Store) Location() *time.Location { return s.loc }

// Profile returns the profile named name: one given in
// StoreOptions.Profiles, else an embedded one.
func (s *Store) Profile(name string) (Profile, error) {
	if p, ok := s.profiles[name]; ok {
		return p, nil
	}
	return LookupProfile(name)
}

// mustExist fails with ErrUnknownMeter unless meter id is registered.
func mustExist(tx *bolt.Tx, id string) error {
	if tx.Bucket(bucketMeters).Get([]byte(id)) == nil {
		return fmt.Errorf("meter: %w %q", ErrUnknownMeter, id)
	}
	return nil
}

// idKey returns id followed by the 0x00 separator, the prefix of every
// composite key of a meter (ids never contain 0x00).
func idKey(id string) []byte {
	b := make([]byte, 0, len(id)+1+10)
	b = append(b, id...)
	return append(b, 0)
}
