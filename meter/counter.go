package meter

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/openhes/hes/dlms/security"
)

// Invocation counters.
//
// Suite 0 enciphers with AES-GCM under the encryption key EK with a nonce
// made of the sender's system title and the invocation counter: a counter
// value used twice under one key, by any client of any meter, breaks the
// cipher. The meter, for its part, rejects a counter that does not
// increase. So the store keeps, for sending:
//
//   - per key (a fingerprint of EK, never EK itself), the next value that
//     no one has used under that key, whichever meter or client used it;
//   - per meter and client SAP, the next value above everything that
//     client sent to that meter, whichever key it used.
//
// A reservation starts at the larger of the two and moves both past the
// values it takes. Two meters or two clients that share a key thus never
// share a value, and a client's counter continues upwards after a key
// change instead of starting again at 0. Values are reserved in batches
// (StoreOptions.CounterBatch) in one write transaction before any of them
// is handed out: a crash skips the rest of a batch, never repeats a value.
//
// For receiving, the store keeps per meter and key the last counter
// accepted from the meter, to resume a security.ReplayGuard.

// KeyFingerprint identifies a key without revealing it: the first 8 bytes
// of SHA-256 over a domain string and the key.
type KeyFingerprint [8]byte

// Fingerprint returns the fingerprint of the secret.
func (s Secret) Fingerprint() KeyFingerprint {
	h := sha256.New()
	h.Write([]byte("hes/meter/key-fingerprint/v1\x00"))
	h.Write(s.view())
	var f KeyFingerprint
	copy(f[:], h.Sum(nil))
	return f
}

// String returns the fingerprint in hexadecimal.
func (f KeyFingerprint) String() string { return hex.EncodeToString(f[:]) }

// SendCounter hands out the invocation counter values of the APDUs that
// one client sends to one meter under one key. It implements
// security.CounterReserver; it is safe for concurrent use, and several
// SendCounters of the same key, meter or client never hand out the same
// value.
type SendCounter struct {
	s   *Store
	id  string
	sap uint16
	fp  KeyFingerprint

	mu        sync.Mutex
	next, end uint64 // reserved in the store and not handed out yet: [next, end)
}

var _ security.CounterReserver = (*SendCounter)(nil)

// SendCounter returns the sending invocation counter of client SAP sap of
// meter id under the encryption key ek (the key that enciphers the APDUs;
// only its fingerprint is stored).
func (s *Store) SendCounter(id string, sap uint16, ek Secret) (*SendCounter, error) {
	if err := validID(id); err != nil {
		return nil, fmt.Errorf("meter: send counter: %v", err)
	}
	if ek.IsZero() {
		return nil, fmt.Errorf("meter: send counter of %q: %w: no encryption key", id, ErrKeyFormat)
	}
	return &SendCounter{s: s, id: id, sap: sap, fp: ek.Fingerprint()}, nil
}

func (c *SendCounter) clientKey() []byte {
	return binary.BigEndian.AppendUint16(idKey(c.id), c.sap)
}

func getU64(b *bolt.Bucket, k []byte) uint64 {
	v := b.Get(k)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func putU64(b *bolt.Bucket, k []byte, v uint64) error {
	return b.Put(k, binary.BigEndian.AppendUint64(nil, v))
}

// stored returns the first value not yet reserved, by key or by client.
func (c *SendCounter) stored(tx *bolt.Tx) uint64 {
	return max(getU64(tx.Bucket(bucketICKey), c.fp[:]), getU64(tx.Bucket(bucketICClient), c.clientKey()))
}

// raise moves both records to at least v.
func (c *SendCounter) raise(tx *bolt.Tx, v uint64) error {
	kb, cb := tx.Bucket(bucketICKey), tx.Bucket(bucketICClient)
	if getU64(kb, c.fp[:]) < v {
		if err := putU64(kb, c.fp[:], v); err != nil {
			return err
		}
	}
	if getU64(cb, c.clientKey()) < v {
		return putU64(cb, c.clientKey(), v)
	}
	return nil
}

// Reserve reserves n consecutive values and returns the first; see
// security.CounterReserver. When the values left in the current batch do
// not suffice, it reserves a new batch in the store first and skips the
// rest of the old one. It fails with security.ErrCounterExhausted when the
// reservation would go past security.MaxCounter.
func (c *SendCounter) Reserve(n uint32) (uint32, error) {
	if n == 0 {
		return 0, errors.New("meter: reserve: zero counter values")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.end-c.next >= uint64(n) {
		first := c.next
		c.next += uint64(n)
		return uint32(first), nil
	}
	var start, end uint64
	err := c.s.db.Update(func(tx *bolt.Tx) error {
		start = c.stored(tx)
		if left := uint64(security.MaxCounter) + 1 - start; uint64(n) > left {
			return fmt.Errorf("meter: invocation counter of meter %q client %d key %s: reserve %d: %w (%d values left)",
				c.id, c.sap, c.fp, n, security.ErrCounterExhausted, left)
		}
		end = min(start+uint64(max(n, c.s.batch)), uint64(security.MaxCounter)+1)
		return c.raise(tx, end)
	})
	if err != nil {
		return 0, err
	}
	c.next, c.end = start+uint64(n), end
	if security.NearExhaustion(uint32(end-1), c.s.margin) {
		c.s.log.Warn().Str("meter_id", c.id).Uint16("client_sap", c.sap).Str("key_id", c.fp.String()).
			Uint64("reserved_up_to", end-1).Uint64("left", uint64(security.MaxCounter)+1-end).
			Msg("invocation counter near exhaustion: change the key")
	}
	return uint32(start), nil
}

// RaiseAbove makes every value reserved from now on greater than last: the
// head-end calls it with the invocation counter that the meter reports
// (0-0:43.1.0.255), which another client may have moved. It never lowers
// the counter.
func (c *SendCounter) RaiseAbove(last uint32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := uint64(last) + 1
	err := c.s.db.Update(func(tx *bolt.Tx) error { return c.raise(tx, v) })
	if err != nil {
		return err
	}
	if c.next < v {
		c.next, c.end = 0, 0
	}
	return nil
}

// Next returns the value that the next Reserve of one value would return,
// without reserving it, and false when the counter is exhausted.
func (c *SendCounter) Next() (uint32, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next < c.end {
		return uint32(c.next), true, nil
	}
	var v uint64
	err := c.s.db.View(func(tx *bolt.Tx) error {
		v = c.stored(tx)
		return nil
	})
	return uint32(v), err == nil && v <= security.MaxCounter, err
}

func recvKey(id string, ek Secret) []byte {
	fp := ek.Fingerprint()
	return append(idKey(id), fp[:]...)
}

// ReplayGuard returns a guard against replayed APDUs from meter id under
// the key ek, resumed from the last counter that SaveReplayGuard recorded
// (a fresh guard when there is none).
func (s *Store) ReplayGuard(id string, ek Secret) (*security.ReplayGuard, error) {
	if err := validID(id); err != nil {
		return nil, fmt.Errorf("meter: replay guard: %v", err)
	}
	var last []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketICRecv).Get(recvKey(id, ek)); len(v) == 4 {
			last = append([]byte(nil), v...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if last == nil {
		return &security.ReplayGuard{}, nil
	}
	return security.NewReplayGuard(binary.BigEndian.Uint32(last)), nil
}

// SaveReplayGuard records the last counter that g accepted from meter id
// under the key ek, after a session or a push. The record never goes
// down: a guard that is behind the stored value changes nothing.
func (s *Store) SaveReplayGuard(id string, ek Secret, g *security.ReplayGuard) error {
	if err := validID(id); err != nil {
		return fmt.Errorf("meter: replay guard: %v", err)
	}
	last, ok := g.Last()
	if !ok {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b, k := tx.Bucket(bucketICRecv), recvKey(id, ek)
		if v := b.Get(k); len(v) == 4 && binary.BigEndian.Uint32(v) >= last {
			return nil
		}
		return b.Put(k, binary.BigEndian.AppendUint32(nil, last))
	})
}
