package prepay

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// AuditRecord is one action of an agent (or a customer's setting), kept
// for ever.
type AuditRecord struct {
	ID     uint64    `json:"id"`
	At     time.Time `json:"at"`
	Agent  string    `json:"agent"`
	Action string    `json:"action"`
	EAN    string    `json:"ean"`
	Reason string    `json:"reason,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

func (o *op) audit(agent, action, ean, reason, detail string) error {
	id, err := nextSeq(o.tx, bucketAudit)
	if err != nil {
		return err
	}
	o.e.log.Info().Str("agent", agent).Str("action", action).Str("ean", ean).Str("reason", reason).Str("detail", detail).Msg("prepay: audit")
	return putJSON(o.tx, bucketAudit, u64(id), AuditRecord{ID: id, At: o.now, Agent: agent, Action: action, EAN: ean, Reason: reason, Detail: detail})
}

// Audit returns the audit records of an account, oldest first.
func (e *Engine) Audit(ean string) ([]AuditRecord, error) {
	var out []AuditRecord
	err := e.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAudit).ForEach(func(_, v []byte) error {
			var r AuditRecord
			if err := jsonDecode(v, &r); err != nil {
				return err
			}
			if r.EAN == ean {
				out = append(out, r)
			}
			return nil
		})
	})
	return out, err
}
