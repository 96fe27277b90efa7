package meter

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
	bolt "go.etcd.io/bbolt"

	"github.com/openhes/hes/dlms/security"
)

// storedNext reads the key record of ek as the file has it.
func storedNext(t *testing.T, s *Store, ek Secret) uint64 {
	t.Helper()
	var v uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		fp := ek.Fingerprint()
		v = getU64(tx.Bucket(bucketICKey), fp[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSendCounterCrashes reserves values at random, "crashes" 100 times
// at random points (the file is closed with the rest of each batch
// unrecorded, and a new store and counter start from the file), changes
// keys and goes back to old ones, and has a second meter share a key. No
// value is ever handed out twice under one key, and the counter of each
// meter client never goes down, across crashes and key changes.
func TestSendCounterCrashes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hes.db")
	rng := rand.New(rand.NewPCG(7, 11))
	keys := []Secret{key16(1), key16(2), key16(3)}
	used := make([]map[uint32]string, len(keys)) // per key: value → who used it
	for i := range used {
		used[i] = map[uint32]string{}
	}
	last := map[string]int64{"A": -1, "B": -1} // highest value each client used, any key
	keyOf := map[string]int{"A": 0, "B": 0}
	for crash := 0; crash < 100; crash++ {
		db := openDB(t, path)
		s, err := OpenStore(db, nil, &StoreOptions{CounterBatch: uint32(1 + rng.IntN(40))})
		if err != nil {
			t.Fatal(err)
		}
		if rng.IntN(8) == 0 {
			keyOf["A"] = rng.IntN(len(keys)) // a key change, or back to an old key
		}
		if rng.IntN(8) == 0 {
			keyOf["B"] = rng.IntN(len(keys))
		}
		counters := map[string]*SendCounter{}
		for _, who := range []string{"A", "B"} {
			if counters[who], err = s.SendCounter(who, 1, keys[keyOf[who]]); err != nil {
				t.Fatal(err)
			}
		}
		for i := rng.IntN(30); i > 0; i-- {
			who := []string{"A", "B"}[rng.IntN(2)]
			n := uint32(1 + rng.IntN(6))
			first, err := counters[who].Reserve(n)
			if err != nil {
				t.Fatal(err)
			}
			k := keyOf[who]
			if int64(first) <= last[who] {
				t.Fatalf("round %d: %s got %d after %d: the counter went down", crash, who, first, last[who])
			}
			for v := first; v < first+n; v++ {
				if prev, dup := used[k][v]; dup {
					t.Fatalf("round %d: value %d of key %d handed to %s, already used by %s", crash, v, k, who, prev)
				}
				used[k][v] = who
			}
			last[who] = int64(first + n - 1)
			if got := storedNext(t, s, keys[k]); got < uint64(first)+uint64(n) {
				t.Fatalf("round %d: Reserve returned before recording: stored %d, reserved up to %d", crash, got, first+n-1)
			}
		}
		if err := db.Close(); err != nil { // the crash: unused reservations are lost
			t.Fatal(err)
		}
	}
	total := 0
	for _, u := range used {
		total += len(u)
	}
	if total < 500 {
		t.Fatalf("only %d values reserved: the test exercised too little", total)
	}
}

func TestSendCounterKeyChange(t *testing.T) {
	s, _ := newTestStore(t, &StoreOptions{CounterBatch: 16})
	old, next := key16(1), key16(2)
	c, _ := s.SendCounter("A", 1, old)
	for range 5 {
		if _, err := c.Reserve(3); err != nil {
			t.Fatal(err)
		}
	}
	// 15 values used, 16 reserved: the new key continues above them.
	c2, _ := s.SendCounter("A", 1, next)
	first, err := c2.Reserve(1)
	if err != nil || first != 16 {
		t.Errorf("first value under the new key = %d, %v; want 16", first, err)
	}
	// Another client with the new key starts at 0 for itself, but shares
	// the key's values: it continues above them.
	c3, _ := s.SendCounter("A", 17, next)
	if v, _ := c3.Reserve(1); v <= first {
		t.Errorf("another client of the same key got %d after %d", v, first)
	}
	// Another meter with a fresh key starts at 0.
	c4, _ := s.SendCounter("B", 1, key16(9))
	if v, _ := c4.Reserve(1); v != 0 {
		t.Errorf("a fresh meter and key start at %d", v)
	}
}

func TestSendCounterRaiseAbove(t *testing.T) {
	s, _ := newTestStore(t, nil)
	c, _ := s.SendCounter("A", 1, key16(1))
	if v, ok, err := c.Next(); v != 0 || !ok || err != nil {
		t.Errorf("Next = %d, %v, %v", v, ok, err)
	}
	first, _ := c.Reserve(1)
	if err := c.RaiseAbove(1000); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := c.Next(); v != 1001 {
		t.Errorf("Next after RaiseAbove(1000) = %d", v)
	}
	v, _ := c.Reserve(2)
	if v != 1001 || first != 0 {
		t.Errorf("after RaiseAbove(1000): %d", v)
	}
	if v, _, _ := c.Next(); v != 1003 {
		t.Errorf("Next = %d, want 1003", v)
	}
	if err := c.RaiseAbove(5); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Reserve(1); v != 1003 {
		t.Errorf("RaiseAbove(5) lowered the counter: %d", v)
	}
	// A new counter of the same client and key continues above the batch.
	c2, _ := s.SendCounter("A", 1, key16(1))
	if v, _ := c2.Reserve(1); v < 1004 {
		t.Errorf("a new counter reused %d", v)
	}
}

func TestSendCounterExhaustion(t *testing.T) {
	var log bytes.Buffer
	s, _ := newTestStore(t, &StoreOptions{Logger: zerolog.New(&log), CounterMargin: 1000})
	ek := key16(1)
	c, _ := s.SendCounter("A", 1, ek)
	if _, err := c.Reserve(1); err != nil {
		t.Fatal(err)
	}
	if log.Len() != 0 {
		t.Errorf("logged far from exhaustion: %s", log.String())
	}
	if err := c.RaiseAbove(security.MaxCounter - 10); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Reserve(5); err != nil || v != security.MaxCounter-9 {
		t.Fatalf("Reserve(5) = %d, %v", v, err)
	}
	out := log.String()
	for _, want := range []string{`"level":"warn"`, `"meter_id":"A"`, `"client_sap":1`, `"key_id":"` + ek.Fingerprint().String() + `"`, `"left":0`} {
		if !strings.Contains(out, want) {
			t.Errorf("log %s lacks %s", out, want)
		}
	}
	if strings.Contains(out, ek.Hex()) {
		t.Error("the log shows the key")
	}
	if _, err := c.Reserve(10); !errors.Is(err, security.ErrCounterExhausted) {
		t.Errorf("Reserve(10) past the end: %v", err)
	}
	// The failed reservation took nothing: the 5 values left are there.
	if v, err := c.Reserve(5); err != nil || v != security.MaxCounter-4 {
		t.Errorf("Reserve(5) = %d, %v", v, err)
	}
	if _, err := c.Reserve(1); !errors.Is(err, security.ErrCounterExhausted) {
		t.Errorf("Reserve(1) at the end: %v", err)
	}
	if _, ok, _ := c.Next(); ok {
		t.Error("Next reports values left")
	}
	if _, err := c.Reserve(0); err == nil {
		t.Error("Reserve(0) accepted")
	}
	if _, err := s.SendCounter("A", 1, Secret{}); !errors.Is(err, ErrKeyFormat) {
		t.Errorf("SendCounter without a key: %v", err)
	}
	if _, err := s.SendCounter("", 1, ek); err == nil {
		t.Error("SendCounter without an id")
	}
}

func TestSendCounterConcurrent(t *testing.T) {
	s, _ := newTestStore(t, &StoreOptions{CounterBatch: 8})
	ek := key16(1)
	shared, _ := s.SendCounter("A", 1, ek)
	var mu sync.Mutex
	seen := map[uint32]bool{}
	var wg sync.WaitGroup
	for g := range 8 {
		c := shared
		if g%2 == 1 { // half the goroutines use their own counter of the same key
			c, _ = s.SendCounter("A", uint16(g), ek)
		}
		wg.Go(func() {
			for range 50 {
				v, err := c.Reserve(2)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, x := range []uint32{v, v + 1} {
					if seen[x] {
						t.Errorf("value %d twice", x)
					}
					seen[x] = true
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

func TestReplayGuardPersistence(t *testing.T) {
	s, path := newTestStore(t, nil)
	ek := key16(1)
	g, err := s.ReplayGuard("A", ek)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := g.Last(); ok {
		t.Error("a fresh guard has seen a counter")
	}
	if err := s.SaveReplayGuard("A", ek, g); err != nil { // nothing to save
		t.Fatal(err)
	}
	for _, ic := range []uint32{5, 9, 40} {
		if err := g.Accept(ic); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveReplayGuard("A", ek, g); err != nil {
		t.Fatal(err)
	}
	// A restart: reopen the file.
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, path)
	defer db.Close()
	s, err = OpenStore(db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, _ = s.ReplayGuard("A", ek)
	if err := g.Check(40); !errors.Is(err, security.ErrReplay) {
		t.Errorf("Check(40) after restart: %v", err)
	}
	if err := g.Check(41); err != nil {
		t.Errorf("Check(41): %v", err)
	}
	// A guard that is behind does not lower the record.
	behind := security.NewReplayGuard(10)
	if err := s.SaveReplayGuard("A", ek, behind); err != nil {
		t.Fatal(err)
	}
	g, _ = s.ReplayGuard("A", ek)
	if last, _ := g.Last(); last != 40 {
		t.Errorf("record lowered to %d", last)
	}
	// Another key or another meter starts afresh.
	for _, tc := range []struct {
		id string
		k  Secret
	}{{"A", key16(2)}, {"B", ek}} {
		g, _ := s.ReplayGuard(tc.id, tc.k)
		if _, ok := g.Last(); ok {
			t.Errorf("%s: guard resumed from another meter or key", tc.id)
		}
	}
	var raw []byte
	_ = s.db.View(func(tx *bolt.Tx) error {
		raw = bytes.Clone(tx.Bucket(bucketICRecv).Get(recvKey("A", ek)))
		return nil
	})
	if len(raw) != 4 || binary.BigEndian.Uint32(raw) != 40 {
		t.Errorf("record %x, want big-endian 40", raw)
	}
}

// BenchmarkSendCounterReserve measures Reserve(1) on a file that syncs
// each transaction, by batch size: batch 1 is one write transaction (and
// fsync) per APDU.
func BenchmarkSendCounterReserve(b *testing.B) {
	for _, batch := range []uint32{1, 64} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			db, err := bolt.Open(filepath.Join(b.TempDir(), "hes.db"), 0o600, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			s, err := OpenStore(db, nil, &StoreOptions{CounterBatch: batch})
			if err != nil {
				b.Fatal(err)
			}
			c, _ := s.SendCounter("A", 1, key16(1))
			for b.Loop() {
				if _, err := c.Reserve(1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
