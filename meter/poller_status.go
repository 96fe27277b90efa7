package meter

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketPoll holds the state of each meter's read for each day, so that a
// cycle that is stopped and started again reads only the meters it did
// not read yet.
var bucketPoll = []byte("meter/poll") // day (4) id → PollStatus (JSON)

// PollState is where the read of a meter for a day is.
type PollState string

// The poll states.
const (
	PollPending PollState = "pending" // not read yet; maybe waiting for a retry
	PollDone    PollState = "done"    // read and stored
	PollFailed  PollState = "failed"  // given up; Reason says why
)

// PollStatus is the state of the daily read of one meter for one day.
type PollStatus struct {
	MeterID string    `json:"meter_id"`
	Day     string    `json:"day"`
	State   PollState `json:"state"`
	// Attempts counts every attempt for the day, over all the runs.
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	// Reason and LastError tell why the last attempt failed.
	Reason    Reason    `json:"reason,omitempty"`
	LastError string    `json:"last_error,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	// What the successful read found.
	ReadAt    time.Time     `json:"read_at,omitzero"`
	Estimated bool          `json:"estimated,omitempty"`
	CaughtUp  []string      `json:"caught_up,omitempty"`
	Drift     time.Duration `json:"drift,omitempty"`
	ClockSet  bool          `json:"clock_set,omitempty"`
	Breaker   *BreakerState `json:"breaker,omitempty"`
	GasValve  *BreakerState `json:"gas_valve,omitempty"`
}

func pollKey(day uint32, id string) []byte {
	return append(binary.BigEndian.AppendUint32(nil, day), id...)
}

// loadStatuses returns the statuses of day, by meter id.
func loadStatuses(db *bolt.DB, day string) (map[string]PollStatus, error) {
	d, err := parseDay(day)
	if err != nil {
		return nil, fmt.Errorf("meter: %v", err)
	}
	out := map[string]PollStatus{}
	err = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPoll)
		if b == nil {
			return nil
		}
		prefix := binary.BigEndian.AppendUint32(nil, d)
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var st PollStatus
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("meter: decoding poll status %x: %w", k, err)
			}
			out[st.MeterID] = st
		}
		return nil
	})
	return out, err
}

// saveStatus stores st.
func saveStatus(db *bolt.DB, st PollStatus) error {
	d, err := parseDay(st.Day)
	if err != nil {
		return fmt.Errorf("meter: %v", err)
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("meter: encoding poll status: %w", err)
	}
	return db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPoll).Put(pollKey(d, st.MeterID), b)
	})
}

// pollStatus returns the status of meter id on day, and false when there
// is none.
func pollStatus(tx *bolt.Tx, day, id string) (PollStatus, bool, error) {
	var st PollStatus
	d, err := parseDay(day)
	if err != nil {
		return st, false, fmt.Errorf("meter: %v", err)
	}
	b := tx.Bucket(bucketPoll)
	if b == nil {
		return st, false, nil
	}
	v := b.Get(pollKey(d, id))
	if v == nil {
		return st, false, nil
	}
	if err := json.Unmarshal(v, &st); err != nil {
		return st, false, fmt.Errorf("meter: decoding poll status of %q on %s: %w", id, day, err)
	}
	return st, true, nil
}

// Status returns the state of the read of meter id for day (YYYY-MM-DD);
// a meter not tried yet is pending.
func (p *Poller) Status(day, id string) (PollStatus, error) {
	var st PollStatus
	var ok bool
	err := p.store.db.View(func(tx *bolt.Tx) error {
		var err error
		st, ok, err = pollStatus(tx, day, id)
		return err
	})
	if err == nil && !ok {
		st = PollStatus{MeterID: id, Day: day, State: PollPending}
	}
	return st, err
}

// Statuses returns the states of the reads of day that were tried, by
// meter id.
func (p *Poller) Statuses(day string) (map[string]PollStatus, error) {
	return loadStatuses(p.store.db, day)
}
