package prepay

import (
	"time"
)

// RechargeRequest is a payment to book on an account.
type RechargeRequest struct {
	// TxnID is the payment provider's transaction id: the same id on the
	// same channel is booked once.
	TxnID string
	// Reference is the 13-digit payment reference: the EAN's last 13
	// digits.
	Reference string
	Amount    Cents
	Channel   Channel
	// PaidAt is when the customer paid, when known.
	PaidAt time.Time
	// Agent is who booked it; mandatory for a postal transfer, which an
	// agent books from the receipt.
	Agent string
}

// Booking is the answer to a booked request.
type Booking struct {
	Entry Entry
	// Duplicate is true when the request was booked before: Entry is the
	// first booking and nothing new was booked.
	Duplicate bool
}

// idempotent is what an idempotency key remembers of its first request.
type idempotent struct {
	EntryID uint64 `json:"entry_id"`
	// Request identifies the request's content, to tell a repeated request
	// from another one reusing the key.
	Request string `json:"request"`
}

// Recharge books a payment at once: the balance rises, the customer is
// notified, new display values go to the meter, and a pending
// disconnection is dropped or a cut supply armed as the new balance allows.
// A request is refused with a *RefusedError and nothing is booked when its
// amount is out of Config.RechargeMin..RechargeMax, its reference is
// malformed, unknown or ambiguous, or the account is not in prepayment.
// The same transaction id again is answered with the first booking; reused
// for a different reference or amount it is refused (ErrConflict).
func (e *Engine) Recharge(r RechargeRequest) (Booking, error) {
	const opName = "recharge"
	cfg := e.cfg
	if r.TxnID == "" {
		return Booking{}, refused(opName, ErrInvalid, "no transaction id")
	}
	if !r.Channel.customer() {
		return Booking{}, refused(opName, ErrInvalid, "channel %q, want terminal, paypoint, online or postal", r.Channel)
	}
	if r.Channel == ChannelPostal && r.Agent == "" {
		return Booking{}, refused(opName, ErrInvalid, "a postal transfer is booked by an agent: the agent is mandatory")
	}
	var out Booking
	err := e.update(func(o *op) error {
		key := []byte("recharge\x00" + string(r.Channel) + "\x00" + r.TxnID)
		request := r.Reference + " " + r.Amount.String()
		if done, err := o.repeated(opName, key, request, &out); done || err != nil {
			return err
		}
		if r.Amount < cfg.RechargeMin || r.Amount > cfg.RechargeMax {
			return refused(opName, ErrAmountOutOfRange, "amount %s EUR not within %s and %s EUR", r.Amount, cfg.RechargeMin, cfg.RechargeMax)
		}
		if len(r.Reference) != refLen || !allDigits(r.Reference) {
			return refused(opName, ErrBadReference, "%s", checkReference(r.Reference, cfg.ReferencePrefix))
		}
		eans := accountsByReference(o.tx, r.Reference)
		switch {
		case len(eans) > 1:
			return refused(opName, ErrAmbiguousReference, "reference %s matches %d access points", r.Reference, len(eans))
		case len(eans) == 0:
			if why := checkReference(r.Reference, cfg.ReferencePrefix); why != "" {
				return refused(opName, ErrBadReference, "%s", why)
			}
			return refused(opName, ErrUnknownReference, "reference %s matches no access point", r.Reference)
		}
		a, err := o.account(opName, eans[0])
		if err != nil {
			return err
		}
		if !a.State.inPrepayment() {
			return refused(opName, ErrNotPrepayment, "the access point of reference %s is not in prepayment", r.Reference)
		}
		en, err := o.book(a, Entry{Kind: Recharge, Amount: r.Amount, Channel: r.Channel, TxnID: r.TxnID, Agent: r.Agent, PaidAt: r.PaidAt.UTC()})
		if err != nil {
			return err
		}
		if err := putJSON(o.tx, bucketIdempotency, key, idempotent{EntryID: en.ID, Request: request}); err != nil {
			return err
		}
		if err := o.notify(a, EventRechargeBooked, map[string]string{"amount": r.Amount.String(), "balance": a.Balance.String(), "transaction_id": r.TxnID},
			"Your recharge of %s EUR is booked. Your %s balance is %s EUR.", r.Amount, a.Energy, a.Balance); err != nil {
			return err
		}
		if err := o.balanceChanged(a, "recharge "+r.TxnID); err != nil {
			return err
		}
		out = Booking{Entry: en}
		return o.saveAccount(a)
	})
	return out, err
}

// repeated looks an idempotency key up: done is true when the request was
// booked before, and out is then the first booking.
func (o *op) repeated(opName string, key []byte, request string, out *Booking) (done bool, err error) {
	var prev idempotent
	found, err := getJSON(o.tx, bucketIdempotency, key, &prev)
	if err != nil || !found {
		return false, err
	}
	if prev.Request != request {
		return true, refused(opName, ErrConflict, "transaction id already booked for another reference or amount (%s)", prev.Request)
	}
	var en Entry
	if _, err := getJSON(o.tx, bucketLedger, u64(prev.EntryID), &en); err != nil {
		return true, err
	}
	*out = Booking{Entry: en, Duplicate: true}
	return true, nil
}

// AdjustmentRequest is a correction of a balance by an agent.
type AdjustmentRequest struct {
	EAN string
	// Amount is signed and not zero.
	Amount Cents
	Reason string
	Agent  string
	// RequestID, when set, makes the request idempotent like a recharge's
	// transaction id.
	RequestID string
}

// Adjust books an agent's signed correction of a balance, with its
// mandatory reason and the agent's identity, and audits it. It is allowed
// in every account state (a deactivated account's final balance may need a
// correction); the credit and supply rules follow as for any other change.
func (e *Engine) Adjust(r AdjustmentRequest) (Booking, error) {
	const opName = "adjust"
	switch {
	case r.Agent == "":
		return Booking{}, refused(opName, ErrInvalid, "the agent is mandatory")
	case r.Reason == "":
		return Booking{}, refused(opName, ErrInvalid, "the reason is mandatory")
	case r.Amount == 0:
		return Booking{}, refused(opName, ErrInvalid, "a zero adjustment changes nothing")
	}
	var out Booking
	err := e.update(func(o *op) error {
		var key []byte
		request := r.EAN + " " + r.Amount.String()
		if r.RequestID != "" {
			key = []byte("adjust\x00" + r.RequestID)
			if done, err := o.repeated(opName, key, request, &out); done || err != nil {
				return err
			}
		}
		a, err := o.account(opName, r.EAN)
		if err != nil {
			return err
		}
		en, err := o.book(a, Entry{Kind: Adjustment, Amount: r.Amount, Channel: ChannelAgent, TxnID: r.RequestID, Agent: r.Agent, Reason: r.Reason})
		if err != nil {
			return err
		}
		if key != nil {
			if err := putJSON(o.tx, bucketIdempotency, key, idempotent{EntryID: en.ID, Request: request}); err != nil {
				return err
			}
		}
		if err := o.audit(r.Agent, opName, a.EAN, r.Reason, r.Amount.String()+" EUR, balance "+a.Balance.String()); err != nil {
			return err
		}
		if err := o.balanceChanged(a, "adjustment by "+r.Agent); err != nil {
			return err
		}
		out = Booking{Entry: en}
		return o.saveAccount(a)
	})
	return out, err
}
