package meter

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/openhes/hes/dlms"
)

// Quality says how a reading was obtained. The export codes are those of
// the readings files: 01 read, 02 estimated, 04 implausible, 99 missing.
type Quality string

// The qualities, from best to worst.
const (
	// QualityRead: the daily billing value that the meter captured.
	QualityRead Quality = "read"
	// QualityEstimated: no daily value; derived from the fallback
	// (instantaneous) registers read later.
	QualityEstimated Quality = "estimated"
	// QualityImplausible: a value was read but failed a plausibility check
	// (a decrease, a jump above the daily maximum).
	QualityImplausible Quality = "implausible"
	// QualityMissing: nothing could be read; Value is 0.
	QualityMissing Quality = "missing"
)

var qualityRank = map[Quality]int{QualityMissing: 1, QualityImplausible: 2, QualityEstimated: 3, QualityRead: 4}

// Code returns the export code of the quality: "01", "02", "04" or "99".
func (q Quality) Code() string {
	switch q {
	case QualityRead:
		return "01"
	case QualityEstimated:
		return "02"
	case QualityImplausible:
		return "04"
	case QualityMissing:
		return "99"
	}
	return ""
}

// Better reports whether q ranks above r: read, estimated, implausible,
// missing, in that order.
func (q Quality) Better(r Quality) bool { return qualityRank[q] > qualityRank[r] }

// Reading is one register of one meter for one day: the index that the
// meter captured at 00:00 local time at the start of Day. The value is
// exact: the quantity is Value × 10^Scaler Unit.
type Reading struct {
	MeterID  string    `json:"meter_id"`
	Day      string    `json:"day"`      // local date, YYYY-MM-DD, in the store's time zone
	Register dlms.OBIS `json:"register"` // the register's logical name, e.g. 1-0:1.8.1.255
	Value    int64     `json:"value"`
	Scaler   int8      `json:"scaler"`
	Unit     Unit      `json:"unit"`
	Quality  Quality   `json:"quality"`
	// CapturedAt is when the value was captured, by the meter's clock
	// (00:00 local for a daily value; the read time for an estimate).
	CapturedAt time.Time `json:"captured_at"`
	// StoredAt is when the store accepted the reading; set by PutReadings.
	StoredAt time.Time `json:"stored_at"`
}

// ErrInvalidReading is wrapped by the errors of PutReadings about a
// malformed reading.
var ErrInvalidReading = errors.New("invalid reading")

// PutSummary counts what PutReadings did.
type PutSummary struct {
	Added    int // readings stored for a new (meter, day, register)
	Replaced int // stored readings replaced by one of better quality
	Kept     int // readings not stored: one of the same or better quality was there
}

func parseDay(day string) (uint32, error) {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return 0, fmt.Errorf("day %q: want YYYY-MM-DD", day)
	}
	y, m, d := t.Date()
	return uint32(y*10000 + int(m)*100 + d), nil
}

// Day returns the local date of t in the store's time zone, as
// YYYY-MM-DD: the day of a reading captured at t.
func (s *Store) Day(t time.Time) string { return t.In(s.loc).Format(time.DateOnly) }

func readingKey(id string, day uint32, reg dlms.OBIS) []byte {
	k := binary.BigEndian.AppendUint32(idKey(id), day)
	return append(k, reg[:]...)
}

func readingDayKey(id string, day uint32, reg dlms.OBIS) []byte {
	k := binary.BigEndian.AppendUint32(nil, day)
	k = append(k, idKey(id)...)
	return append(k, reg[:]...)
}

// PutReadings stores readings, all or none, in one transaction. Storing
// is idempotent per meter, day and register: a reading replaces the stored
// one only when its quality is strictly better (read over estimated over
// implausible over missing); otherwise the stored reading stays as it is,
// even if its value differs, since the settlement may already have used
// it. The meter need not be registered any more (readings outlive it).
func (s *Store) PutReadings(rs ...Reading) (PutSummary, error) {
	var sum PutSummary
	type item struct {
		r   Reading
		day uint32
	}
	items := make([]item, 0, len(rs))
	now := s.now().UTC()
	for i, r := range rs {
		if err := validID(r.MeterID); err != nil {
			return sum, fmt.Errorf("meter: %w %d: %v", ErrInvalidReading, i, err)
		}
		day, err := parseDay(r.Day)
		if err != nil {
			return sum, fmt.Errorf("meter: %w %d of %q: %v", ErrInvalidReading, i, r.MeterID, err)
		}
		if r.Register == (dlms.OBIS{}) {
			return sum, fmt.Errorf("meter: %w %d of %q on %s: no register", ErrInvalidReading, i, r.MeterID, r.Day)
		}
		if _, ok := qualityRank[r.Quality]; !ok {
			return sum, fmt.Errorf("meter: %w %d of %q: quality %q, want read, estimated, implausible or missing", ErrInvalidReading, i, r.MeterID, r.Quality)
		}
		if r.CapturedAt.IsZero() && r.Quality != QualityMissing {
			return sum, fmt.Errorf("meter: %w %d of %q on %s: no capture time", ErrInvalidReading, i, r.MeterID, r.Day)
		}
		r.CapturedAt = r.CapturedAt.UTC()
		r.StoredAt = now
		items = append(items, item{r, day})
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		sum = PutSummary{}
		rb, db := tx.Bucket(bucketReadings), tx.Bucket(bucketReadingsDay)
		for _, it := range items {
			k := readingKey(it.r.MeterID, it.day, it.r.Register)
			if old := rb.Get(k); old != nil {
				var prev Reading
				if err := json.Unmarshal(old, &prev); err != nil {
					return fmt.Errorf("meter: decoding reading %q %s %s: %w", it.r.MeterID, it.r.Day, it.r.Register, err)
				}
				if !it.r.Quality.Better(prev.Quality) {
					sum.Kept++
					continue
				}
				sum.Replaced++
			} else {
				sum.Added++
			}
			b, err := json.Marshal(it.r)
			if err != nil {
				return fmt.Errorf("meter: encoding reading: %w", err)
			}
			if err := rb.Put(k, b); err != nil {
				return err
			}
			if err := db.Put(readingDayKey(it.r.MeterID, it.day, it.r.Register), nil); err != nil {
				return err
			}
		}
		return nil
	})
	return sum, err
}

// Readings returns the readings of meter id from day from to day to, both
// included (YYYY-MM-DD), ordered by day then register.
func (s *Store) Readings(id, from, to string) ([]Reading, error) {
	if err := validID(id); err != nil {
		return nil, fmt.Errorf("meter: readings: %v", err)
	}
	f, err := parseDay(from)
	if err != nil {
		return nil, fmt.Errorf("meter: readings: %v", err)
	}
	t, err := parseDay(to)
	if err != nil {
		return nil, fmt.Errorf("meter: readings: %v", err)
	}
	var out []Reading
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketReadings).Cursor()
		prefix := idKey(id)
		stop := binary.BigEndian.AppendUint32(bytes.Clone(prefix), t)
		for k, v := c.Seek(binary.BigEndian.AppendUint32(bytes.Clone(prefix), f)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if bytes.Compare(k[:len(stop)], stop) > 0 {
				break
			}
			var r Reading
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("meter: decoding reading %x: %w", k, err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// ReadingsOn returns the readings of every meter for day (YYYY-MM-DD),
// ordered by meter id then register.
func (s *Store) ReadingsOn(day string) ([]Reading, error) {
	d, err := parseDay(day)
	if err != nil {
		return nil, fmt.Errorf("meter: readings: %v", err)
	}
	var out []Reading
	err = s.db.View(func(tx *bolt.Tx) error {
		rb := tx.Bucket(bucketReadings)
		c := tx.Bucket(bucketReadingsDay).Cursor()
		prefix := binary.BigEndian.AppendUint32(nil, d)
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			rest := k[len(prefix):]
			sep := bytes.IndexByte(rest, 0)
			if sep < 0 || len(rest) != sep+1+6 {
				return fmt.Errorf("meter: malformed readings index key %x", k)
			}
			v := rb.Get(readingKey(string(rest[:sep]), d, dlms.OBIS(rest[sep+1:])))
			if v == nil {
				continue
			}
			var r Reading
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("meter: decoding reading %x: %w", k, err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}
