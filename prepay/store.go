package prepay

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The buckets of the package, all at the top level of the shared bbolt
// file. Values are JSON; sequence keys are big-endian uint64 so that cursor
// order is booking order.
var (
	bucketAccounts      = []byte("prepay/accounts")       // EAN → Account
	bucketRefs          = []byte("prepay/refs")           // reference(13) + EAN → ""
	bucketTariffs       = []byte("prepay/tariffs")        // id → Tariff
	bucketLedger        = []byte("prepay/ledger")         // seq → Entry
	bucketLedgerAccount = []byte("prepay/ledger-account") // EAN + seq → ""
	bucketLedgerDay     = []byte("prepay/ledger-day")     // YYYYMMDD + seq → ""
	bucketSettlements   = []byte("prepay/settlements")    // EAN + YYYYMMDD → Settlement
	bucketIdempotency   = []byte("prepay/idempotency")    // key → first answer
	bucketActions       = []byte("prepay/actions")        // seq → Action
	bucketActionsOpen   = []byte("prepay/actions-open")   // seq → EAN
	bucketOutbox        = []byte("prepay/outbox")         // seq → Notification
	bucketOutboxDay     = []byte("prepay/outbox-day")     // YYYYMMDD + seq → ""
	bucketOutboxCursors = []byte("prepay/outbox-cursors") // consumer → last acknowledged seq
	bucketHistory       = []byte("prepay/history")        // EAN + seq → Snapshot
	bucketAudit         = []byte("prepay/audit")          // seq → AuditRecord
)

var allBuckets = [][]byte{
	bucketAccounts, bucketRefs, bucketTariffs, bucketLedger, bucketLedgerAccount,
	bucketLedgerDay, bucketSettlements, bucketIdempotency, bucketActions,
	bucketActionsOpen, bucketOutbox, bucketOutboxDay, bucketOutboxCursors,
	bucketHistory, bucketAudit,
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func dayKey(d Date) []byte { return binary.BigEndian.AppendUint32(nil, d.key()) }

func join(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// getJSON decodes the value of key in bucket into v; found is false when
// there is no such key. json.Unmarshal copies, so v does not alias the
// transaction's memory.
func getJSON(tx *bolt.Tx, bucket, key []byte, v any) (found bool, err error) {
	b := tx.Bucket(bucket).Get(key)
	if b == nil {
		return false, nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return true, fmt.Errorf("prepay: decoding %s/%x: %w", bucket, key, err)
	}
	return true, nil
}

func putJSON(tx *bolt.Tx, bucket, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("prepay: encoding %s: %w", bucket, err)
	}
	return tx.Bucket(bucket).Put(key, b)
}

// nextSeq returns the next sequence number of bucket.
func nextSeq(tx *bolt.Tx, bucket []byte) (uint64, error) {
	return tx.Bucket(bucket).NextSequence()
}

func jsonDecode(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("prepay: decoding: %w", err)
	}
	return nil
}
