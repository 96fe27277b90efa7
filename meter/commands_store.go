package meter

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The buckets of the command queue. Ids are bbolt sequences, written
// big-endian so that cursor order is queue order.
var (
	bucketCommands      = []byte("meter/commands")       // id (8) → Command (JSON)
	bucketCommandsState = []byte("meter/commands-state") // state 0x00 id (8) → meter id
	bucketCommandsOpen  = []byte("meter/commands-open")  // meter id 0x00 id (8) → open entry (9)
	bucketCommandsKey   = []byte("meter/commands-key")   // idempotency key → id (8)
)

// The open index lists the pending and running commands by meter, in
// queue order, with what the executor needs to pick the next one without
// decoding them: the state (1 byte, 'p' or 'r') and the time of the next
// attempt (Unix nanoseconds, 8 bytes).

func openKey(meterID string, id uint64) []byte {
	return binary.BigEndian.AppendUint64(idKey(meterID), id)
}

func openEntry(c Command) []byte {
	state := byte('p')
	if c.State == StateRunning {
		state = 'r'
	}
	return binary.BigEndian.AppendUint64([]byte{state}, uint64(c.NextAttemptAt.UnixNano()))
}

// parseOpen reads a key and an entry of the open index.
func parseOpen(k, v []byte) (meterID string, id uint64, running bool, next time.Time, ok bool) {
	if len(k) < 10 || k[len(k)-9] != 0 || len(v) != 9 {
		return "", 0, false, time.Time{}, false
	}
	return string(k[:len(k)-9]), u64be(k[len(k)-8:]), v[0] == 'r', time.Unix(0, int64(binary.BigEndian.Uint64(v[1:]))), true
}

// createBuckets creates the buckets when missing.
func createBuckets(db *bolt.DB, names ...[]byte) error {
	return db.Update(func(tx *bolt.Tx) error {
		for _, n := range names {
			if _, err := tx.CreateBucketIfNotExists(n); err != nil {
				return fmt.Errorf("meter: creating bucket %s: %w", n, err)
			}
		}
		return nil
	})
}

func u64key(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func u64be(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func hasPrefix(b, prefix []byte) bool { return bytes.HasPrefix(b, prefix) }

// stateKey is the key of command id in the index by state.
func stateKey(s CommandState, id uint64) []byte {
	k := append([]byte(s), 0)
	return binary.BigEndian.AppendUint64(k, id)
}

func decodeCommand(v []byte) (Command, error) {
	var c Command
	if err := json.Unmarshal(v, &c); err != nil {
		return c, fmt.Errorf("meter: decoding command: %w", err)
	}
	return c, nil
}

func getCommand(tx *bolt.Tx, id uint64) (Command, error) {
	v := tx.Bucket(bucketCommands).Get(u64key(id))
	if v == nil {
		return Command{}, fmt.Errorf("meter: %w %d", ErrUnknownCommand, id)
	}
	return decodeCommand(v)
}

// putCommand stores c and moves it in the index from state was (none when
// empty) to its state.
func putCommand(tx *bolt.Tx, c Command, was CommandState) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("meter: encoding command: %w", err)
	}
	if err := tx.Bucket(bucketCommands).Put(u64key(c.ID), b); err != nil {
		return err
	}
	idx := tx.Bucket(bucketCommandsState)
	if was != "" && was != c.State {
		if err := idx.Delete(stateKey(was, c.ID)); err != nil {
			return err
		}
	}
	if err := idx.Put(stateKey(c.State, c.ID), []byte(c.MeterID)); err != nil {
		return err
	}
	open := tx.Bucket(bucketCommandsOpen)
	if c.State.Open() {
		return open.Put(openKey(c.MeterID, c.ID), openEntry(c))
	}
	return open.Delete(openKey(c.MeterID, c.ID))
}

// commandsIn returns the commands in state s, oldest first.
func commandsIn(tx *bolt.Tx, s CommandState) ([]Command, error) {
	var out []Command
	prefix := append([]byte(s), 0)
	c := tx.Bucket(bucketCommandsState).Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		cmd, err := getCommand(tx, u64be(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		out = append(out, cmd)
	}
	return out, nil
}

// openCommands returns the open commands of meter id, oldest first.
func openCommands(tx *bolt.Tx, id string) ([]Command, error) {
	var out []Command
	prefix := idKey(id)
	c := tx.Bucket(bucketCommandsOpen).Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		cmd, err := getCommand(tx, u64be(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		out = append(out, cmd)
	}
	return out, nil
}

// openHeads calls fn with the first open command of each meter (the
// meter's next one), in the order of the meter ids, until fn returns
// false.
func openHeads(tx *bolt.Tx, fn func(meterID string, id uint64, running bool, next time.Time) bool) error {
	c := tx.Bucket(bucketCommandsOpen).Cursor()
	for k, v := c.First(); k != nil; {
		meterID, id, running, next, ok := parseOpen(k, v)
		if !ok {
			return fmt.Errorf("meter: malformed open command index entry %x", k)
		}
		if !fn(meterID, id, running, next) {
			return nil
		}
		// On to the next meter: meter ids have no byte below 0x21 (see
		// validID), so meterID 0x01 sorts after every key of meterID.
		k, v = c.Seek(append([]byte(meterID), 1))
	}
	return nil
}

func sortCommands(cs []Command) {
	slices.SortFunc(cs, func(a, b Command) int { return cmp.Compare(a.ID, b.ID) })
}
