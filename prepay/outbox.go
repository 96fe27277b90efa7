package prepay

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Event is what a notification tells the customer.
type Event string

// The notification events.
const (
	EventActivated          Event = "PREPAYMENT_ACTIVATED"
	EventLowCredit          Event = "LOW_CREDIT"
	EventEmergencyStarted   Event = "EMERGENCY_CREDIT_STARTED"
	EventEmergencyExhausted Event = "EMERGENCY_CREDIT_EXHAUSTED"
	EventDisconnected       Event = "DISCONNECTED"
	EventLimited            Event = "LIMITED"
	EventRechargeBooked     Event = "RECHARGE_BOOKED"
	EventReconnectionReady  Event = "RECONNECTION_READY"
)

// Notification is one message to a customer in the durable outbox. The
// head-end sends no SMS or e-mail itself: gateways read the outbox, send,
// and acknowledge. A notification is written in the same transaction as the
// change that causes it, so it exists exactly once.
type Notification struct {
	ID        uint64            `json:"id"`
	EAN       string            `json:"ean"`
	Event     Event             `json:"event"`
	Media     []Medium          `json:"channels"`
	CreatedAt time.Time         `json:"created_at"`
	Text      string            `json:"text"`
	Data      map[string]string `json:"data"`
}

// notify writes a notification for account a.
func (o *op) notify(a *Account, ev Event, data map[string]string, format string, args ...any) error {
	id, err := nextSeq(o.tx, bucketOutbox)
	if err != nil {
		return err
	}
	if data == nil {
		data = map[string]string{}
	}
	data["energy"] = string(a.Energy)
	n := Notification{
		ID:        id,
		EAN:       a.EAN,
		Event:     ev,
		Media:     a.Contact.media(),
		CreatedAt: o.now,
		Text:      fmt.Sprintf(format, args...),
		Data:      data,
	}
	if err := putJSON(o.tx, bucketOutbox, u64(id), n); err != nil {
		return err
	}
	o.e.log.Info().Str("ean", a.EAN).Uint64("notification", id).Str("event", string(ev)).Msg("prepay: notification")
	return o.tx.Bucket(bucketOutboxDay).Put(join(dayKey(DateOf(o.now, o.e.loc)), u64(id)), nil)
}

// ReadOutbox returns up to limit notifications that consumer has not
// acknowledged yet, oldest first. Each consumer (an SMS gateway, the file
// export, an MQTT publisher) has its own position.
func (e *Engine) ReadOutbox(consumer string, limit int) ([]Notification, error) {
	if consumer == "" {
		return nil, refused("read outbox", ErrInvalid, "no consumer name")
	}
	var out []Notification
	err := e.db.View(func(tx *bolt.Tx) error {
		var after uint64
		if v := tx.Bucket(bucketOutboxCursors).Get([]byte(consumer)); len(v) == 8 {
			after = binary.BigEndian.Uint64(v)
		}
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, v := c.Seek(u64(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			var n Notification
			if err := jsonDecode(v, &n); err != nil {
				return err
			}
			out = append(out, n)
		}
		return nil
	})
	return out, err
}

// AckOutbox acknowledges for consumer every notification up to and
// including id. Acknowledging an older id again changes nothing.
func (e *Engine) AckOutbox(consumer string, id uint64) error {
	if consumer == "" {
		return refused("acknowledge outbox", ErrInvalid, "no consumer name")
	}
	return e.db.Update(func(tx *bolt.Tx) error {
		if id > tx.Bucket(bucketOutbox).Sequence() {
			return refused("acknowledge outbox", ErrInvalid, "notification %d was never written", id)
		}
		b := tx.Bucket(bucketOutboxCursors)
		if v := b.Get([]byte(consumer)); len(v) == 8 && binary.BigEndian.Uint64(v) >= id {
			return nil
		}
		return b.Put([]byte(consumer), u64(id))
	})
}

// NotificationsDay returns the notifications created on a local day, in
// order: the lines of the day's notification export.
func (e *Engine) NotificationsDay(day Date) ([]Notification, error) {
	var out []Notification
	err := e.db.View(func(tx *bolt.Tx) error {
		prefix := dayKey(day)
		c := tx.Bucket(bucketOutboxDay).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var n Notification
			if _, err := getJSON(tx, bucketOutbox, k[len(prefix):], &n); err != nil {
				return err
			}
			out = append(out, n)
		}
		return nil
	})
	return out, err
}
