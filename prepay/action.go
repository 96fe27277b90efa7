package prepay

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Meters is the port through which the engine acts on meters; the meter
// package satisfies it (through its command queue). Each method returns nil
// only once the meter confirmed the order, by reading the object back: an
// error means "not confirmed", and the engine retries later. A method may
// be called again for an order that was already carried out (after a crash,
// or a confirmation that got lost), so it must be idempotent. ean names the
// access point: for gas, the gas meter behind its electricity meter.
type Meters interface {
	// ShowBalance writes the three prepayment screens.
	ShowBalance(ctx context.Context, ean string, d Display) error
	// Disconnect opens the breaker (or closes the gas valve).
	Disconnect(ctx context.Context, ean string) error
	// ArmReconnection makes the breaker ready for reconnection: the
	// customer closes it with the button. It must never close the breaker
	// remotely: an implementation refuses a meter whose control mode would.
	ArmReconnection(ctx context.Context, ean string) error
	// SetLimiter sets the power limiter's threshold in watts.
	SetLimiter(ctx context.Context, ean string, watts int64) error
	// ClearLimiter deactivates the power limiter.
	ClearLimiter(ctx context.Context, ean string) error
}

// Display is what the meter's three prepayment screens show.
type Display struct {
	UpdatedAt       time.Time `json:"updated_at"` // when the balance was last updated
	Balance         Cents     `json:"balance"`
	EmergencyCredit Cents     `json:"emergency_credit"` // emergency credit left
}

// ActionKind is an order for a meter.
type ActionKind string

// The meter actions.
const (
	ActShowBalance     ActionKind = "SHOW_BALANCE"
	ActDisconnect      ActionKind = "DISCONNECT"
	ActArmReconnection ActionKind = "ARM_RECONNECTION"
	ActSetLimiter      ActionKind = "SET_LIMITER"
	ActClearLimiter    ActionKind = "CLEAR_LIMITER"
)

// ActionStatus is where a meter action is.
type ActionStatus string

// The action statuses. Open and Sent actions are "open".
const (
	ActionOpen      ActionStatus = "OPEN"      // decided, waiting to be sent (maybe until NotBefore)
	ActionSent      ActionStatus = "SENT"      // handed out by Next, outcome not known yet
	ActionDone      ActionStatus = "DONE"      // confirmed by the meter
	ActionCancelled ActionStatus = "CANCELLED" // no longer wanted
)

// Action is a decision of the engine that a meter must carry out, recorded
// durably before anything is sent.
type Action struct {
	ID        uint64       `json:"id"`
	EAN       string       `json:"ean"`
	Energy    Energy       `json:"energy"`
	Kind      ActionKind   `json:"kind"`
	Status    ActionStatus `json:"status"`
	Reason    string       `json:"reason"` // why it was decided (or cancelled)
	CreatedAt time.Time    `json:"created_at"`
	// NotBefore is when the action is due: the end of a non-disconnection
	// period, or the next retry.
	NotBefore  time.Time `json:"not_before,omitzero"`
	LeaseUntil time.Time `json:"lease_until,omitzero"` // while Sent
	Attempts   int       `json:"attempts"`             // times sent to the meter
	LastError  string    `json:"last_error,omitempty"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	Display    *Display  `json:"display,omitempty"` // ActShowBalance
	Watts      int64     `json:"watts,omitempty"`   // ActSetLimiter
}

func (o *op) loadAction(id uint64) (*Action, error) {
	var act Action
	found, err := getJSON(o.tx, bucketActions, u64(id), &act)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, refused("action", ErrInvalid, "no action %d", id)
	}
	return &act, nil
}

func (o *op) saveAction(act *Action) error {
	if err := putJSON(o.tx, bucketActions, u64(act.ID), act); err != nil {
		return err
	}
	open := o.tx.Bucket(bucketActionsOpen)
	if act.Status == ActionOpen || act.Status == ActionSent {
		return open.Put(u64(act.ID), []byte(act.EAN))
	}
	return open.Delete(u64(act.ID))
}

// want makes sure account a has an open action of kind. A new ActShowBalance
// replaces an open one that was not sent yet (the newest values win); the
// other kinds are never duplicated.
func (o *op) want(a *Account, kind ActionKind, reason string, notBefore time.Time) (*Action, error) {
	if id, ok := a.Open[kind]; ok {
		act, err := o.loadAction(id)
		if err != nil {
			return nil, err
		}
		switch {
		case act.Status != ActionOpen && act.Status != ActionSent:
			// stale pointer: fall through to a new action
		case kind != ActShowBalance:
			return act, nil
		case act.Status == ActionOpen:
			act.Status, act.Reason, act.FinishedAt = ActionCancelled, "superseded by newer display values", o.now
			if err := o.saveAction(act); err != nil {
				return nil, err
			}
		}
	}
	id, err := nextSeq(o.tx, bucketActions)
	if err != nil {
		return nil, err
	}
	act := &Action{ID: id, EAN: a.EAN, Energy: a.Energy, Kind: kind, Status: ActionOpen, Reason: reason, CreatedAt: o.now, NotBefore: notBefore}
	switch kind {
	case ActShowBalance:
		at := a.BalanceUpdatedAt
		if at.IsZero() {
			at = o.now
		}
		act.Display = &Display{UpdatedAt: at, Balance: a.Balance, EmergencyCredit: emergencyLeft(a.Balance, o.e.cfg.EmergencyCredit)}
	case ActSetLimiter:
		act.Watts = a.LimiterWatts
	}
	if a.Open == nil {
		a.Open = map[ActionKind]uint64{}
	}
	a.Open[kind] = id
	o.e.log.Debug().Str("ean", a.EAN).Uint64("action", id).Str("kind", string(kind)).Str("reason", reason).Msg("prepay: action decided")
	return act, o.saveAction(act)
}

// cancel drops account a's open action of kind unless it was sent already.
// It reports whether no action of kind is open any more.
func (o *op) cancel(a *Account, kind ActionKind, reason string) (bool, error) {
	id, ok := a.Open[kind]
	if !ok {
		return true, nil
	}
	act, err := o.loadAction(id)
	if err != nil {
		return false, err
	}
	switch act.Status {
	case ActionSent:
		return false, nil
	case ActionOpen:
		act.Status, act.Reason, act.FinishedAt = ActionCancelled, reason, o.now
		if err := o.saveAction(act); err != nil {
			return false, err
		}
	}
	delete(a.Open, kind)
	return true, nil
}

// Next hands out up to limit due actions, oldest first, for a head-end that
// runs them through its own command queue: each is checked against the
// account once more (an action no longer wanted is cancelled, a
// disconnection inside a non-disconnection period is postponed to its end),
// then marked Sent for Config.ActionLease. Report each outcome with
// Complete; an action whose lease runs out is handed out again.
func (e *Engine) Next(limit int) ([]Action, error) {
	var out []Action
	err := e.update(func(o *op) error {
		var ids []uint64
		c := o.tx.Bucket(bucketActionsOpen).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			ids = append(ids, binary.BigEndian.Uint64(k))
		}
		for _, id := range ids {
			if len(out) >= limit {
				break
			}
			act, err := o.loadAction(id)
			if err != nil {
				return err
			}
			due := (act.Status == ActionOpen && !act.NotBefore.After(o.now)) ||
				(act.Status == ActionSent && !act.LeaseUntil.After(o.now))
			if !due {
				continue
			}
			send, err := o.check(act)
			if err != nil {
				return err
			}
			if !send {
				continue
			}
			act.Status = ActionSent
			act.Attempts++
			act.LeaseUntil = o.now.Add(e.cfg.ActionLease)
			if err := o.saveAction(act); err != nil {
				return err
			}
			out = append(out, *act)
		}
		return nil
	})
	return out, err
}

// Recheck checks a handed-out action against the account once more, as
// Next does: call it immediately before the order leaves for the meter. It
// reports false when the action must not be sent (cancelled, or postponed
// to the end of a non-disconnection period).
func (e *Engine) Recheck(id uint64) (bool, error) {
	var send bool
	err := e.update(func(o *op) error {
		act, err := o.loadAction(id)
		if err != nil {
			return err
		}
		if act.Status != ActionSent {
			return nil
		}
		send, err = o.check(act)
		return err
	})
	return send, err
}

// check decides whether act is still to be sent, cancelling or postponing
// it otherwise. It saves what it changes.
func (o *op) check(act *Action) (bool, error) {
	a, err := o.account("action", act.EAN)
	if err != nil {
		return false, err
	}
	cfg := o.e.cfg
	// The balance is derived from the ledger, not from the account's copy:
	// a recharge booked meanwhile wins.
	b, err := ledgerBalance(o.tx, a.EAN)
	if err != nil {
		return false, err
	}
	if b != a.Balance {
		o.e.log.Error().Str("ean", a.EAN).Str("ledger", b.String()).Str("account", a.Balance.String()).Msg("prepay: balance differs from the ledger; using the ledger")
	}
	drop := ""
	switch act.Kind {
	case ActShowBalance:
		if a.State != Active {
			drop = "account not active"
		}
	case ActDisconnect:
		switch {
		case a.State != Active:
			drop = "account not active"
		case b > -cfg.EmergencyCredit:
			drop = "balance " + b.String() + " above the exhausted emergency credit"
		case a.Limiter:
			drop = "account has a limiter"
		case cfg.NDP.In(o.now, o.e.loc):
			if act.Status == ActionSent {
				act.Attempts-- // handed out, never sent
			}
			act.Status = ActionOpen
			act.NotBefore = cfg.NDP.End(o.now, o.e.loc)
			act.Reason = "postponed to the end of the non-disconnection period"
			return false, o.saveAction(act)
		}
	case ActSetLimiter:
		switch {
		case a.State != Active:
			drop = "account not active"
		case b > -cfg.EmergencyCredit:
			drop = "balance " + b.String() + " above the exhausted emergency credit"
		case !a.Limiter:
			drop = "account has no limiter"
		}
	case ActArmReconnection:
		if a.Supply != Disconnected {
			drop = "supply is " + string(a.Supply)
		} else if above := o.releaseAbove(a); a.State == Active && b <= above {
			drop = "balance " + b.String() + " not above " + above.String()
		}
	case ActClearLimiter:
		if a.Supply != Limited {
			drop = "supply is " + string(a.Supply)
		} else if above := o.releaseAbove(a); a.State == Active && a.Limiter && b <= above {
			drop = "balance " + b.String() + " not above " + above.String()
		}
	}
	if drop == "" {
		return true, nil
	}
	act.Status, act.Reason, act.FinishedAt = ActionCancelled, drop, o.now
	if err := o.saveAction(act); err != nil {
		return false, err
	}
	if a.Open[act.Kind] == act.ID {
		delete(a.Open, act.Kind)
	}
	// Whatever made the action useless may call for another one (the
	// pending disconnection dropped, a limiter flag changed …).
	if err := o.reconcile(a); err != nil {
		return false, err
	}
	return false, o.saveAccount(a)
}

// Complete records the outcome of a handed-out action: nil when the meter
// confirmed it, an error otherwise (the action is retried after a backoff).
// Completing an action that is already done changes nothing, so a lost
// acknowledgement can be repeated. A confirmation always counts, even for
// an action cancelled meanwhile: the supply state follows the meter.
func (e *Engine) Complete(id uint64, outcome error) error {
	return e.update(func(o *op) error {
		act, err := o.loadAction(id)
		if err != nil {
			return err
		}
		if act.Status == ActionDone {
			return nil
		}
		a, err := o.account("action", act.EAN)
		if err != nil {
			return err
		}
		if outcome != nil {
			if act.Status != ActionSent {
				return nil
			}
			act.Status = ActionOpen
			act.LastError = outcome.Error()
			act.NotBefore = o.now.Add(e.backoff(act.Attempts))
			o.e.log.Warn().Str("ean", a.EAN).Uint64("action", id).Str("kind", string(act.Kind)).Int("attempts", act.Attempts).Err(outcome).Msg("prepay: meter action not confirmed")
			return o.saveAction(act)
		}
		if act.Status == ActionCancelled && act.Kind == ActShowBalance {
			return nil
		}
		// A confirmed order is a fact, even when the action was cancelled
		// meanwhile (its lease ran out and a recheck dropped it): the supply
		// follows the meter.
		act.Status, act.FinishedAt, act.LastError = ActionDone, o.now, ""
		if err := o.saveAction(act); err != nil {
			return err
		}
		if a.Open[act.Kind] == id {
			delete(a.Open, act.Kind)
		}
		if err := o.confirmed(a, act); err != nil {
			return err
		}
		return o.saveAccount(a)
	})
}

// confirmed applies a confirmed action to the account.
func (o *op) confirmed(a *Account, act *Action) error {
	cfg := o.e.cfg
	switch act.Kind {
	case ActDisconnect:
		if err := o.setSupply(a, Disconnected); err != nil {
			return err
		}
		if a.Energy == Gas {
			a.LeakTestRequired = true
		}
		if err := o.notify(a, EventDisconnected, map[string]string{"balance": a.Balance.String()},
			"Your %s supply has been cut: your balance is %s EUR and the emergency credit is used up. Recharge to above %s EUR to get it back.",
			a.Energy, a.Balance, cfg.ReconnectAbove); err != nil {
			return err
		}
		// A recharge booked while the order was under way wins: the supply
		// is armed as soon as the balance is above the exhausted level.
		a.Overtaken = a.Balance > -cfg.EmergencyCredit
		return o.reconcile(a)
	case ActSetLimiter:
		if err := o.setSupply(a, Limited); err != nil {
			return err
		}
		if err := o.notify(a, EventLimited, map[string]string{"balance": a.Balance.String(), "watts": itoa(act.Watts)},
			"Your emergency credit is used up: your electricity supply is limited to %d W. Recharge to above %s EUR to lift the limit.",
			act.Watts, cfg.ReconnectAbove); err != nil {
			return err
		}
		a.Overtaken = a.Balance > -cfg.EmergencyCredit
		return o.reconcile(a)
	case ActArmReconnection:
		a.Overtaken = false
		if err := o.setSupply(a, ReconnectArmed); err != nil {
			return err
		}
		data := map[string]string{"balance": a.Balance.String(), "instruction": "press_button"}
		text := "Your balance is %s EUR: your %s supply is ready to be switched back on. Press the button on the meter for a few seconds."
		if a.Energy == Gas {
			a.LeakTestRequired = true
			data["leak_test"] = "required"
			text = "Your balance is %s EUR: your %s supply is ready to be switched back on. Close all gas appliances, then press the button on the meter for a few seconds: the meter runs a leak-tightness test of about 12 minutes before the valve opens."
		}
		return o.notify(a, EventReconnectionReady, data, text, a.Balance, a.Energy)
	case ActClearLimiter:
		a.Overtaken = false
		if err := o.setSupply(a, Connected); err != nil {
			return err
		}
		// The limit may be lifted because the limiter flag was removed while
		// the credit is still exhausted.
		return o.reconcile(a)
	}
	return nil
}

// backoff is the wait after the n-th failed attempt.
func (e *Engine) backoff(n int) time.Duration {
	d := e.cfg.RetryMin
	for i := 1; i < n && d < e.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, e.cfg.RetryMax)
}

// DispatchReport tells what a Dispatch did.
type DispatchReport struct {
	Sent      int // actions confirmed by the meter
	Failed    int // actions not confirmed, to be retried
	Withdrawn int // actions cancelled or postponed by the last check
}

// Dispatch runs every due action through m, one after the other: the
// synchronous way to drive the port. Each action is checked against the
// account immediately before it is sent; each outcome is recorded at once.
// It stops early when ctx is done.
func (e *Engine) Dispatch(ctx context.Context, m Meters) (DispatchReport, error) {
	e.dispatch.Lock()
	defer e.dispatch.Unlock()
	var rep DispatchReport
	acts, err := e.Next(int(^uint(0) >> 1))
	if err != nil {
		return rep, err
	}
	for _, act := range acts {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		send, err := e.Recheck(act.ID)
		if err != nil {
			return rep, err
		}
		if !send {
			rep.Withdrawn++
			continue
		}
		outcome := run(ctx, m, act)
		if err := e.Complete(act.ID, outcome); err != nil {
			return rep, err
		}
		if outcome != nil {
			rep.Failed++
		} else {
			rep.Sent++
		}
	}
	return rep, nil
}

func run(ctx context.Context, m Meters, act Action) error {
	switch act.Kind {
	case ActShowBalance:
		if act.Display == nil {
			return errors.New("show-balance action without display values")
		}
		return m.ShowBalance(ctx, act.EAN, *act.Display)
	case ActDisconnect:
		return m.Disconnect(ctx, act.EAN)
	case ActArmReconnection:
		return m.ArmReconnection(ctx, act.EAN)
	case ActSetLimiter:
		return m.SetLimiter(ctx, act.EAN, act.Watts)
	case ActClearLimiter:
		return m.ClearLimiter(ctx, act.EAN)
	}
	return errors.New("unknown action kind " + string(act.Kind))
}

// Actions returns the meter actions of an account, oldest first.
func (e *Engine) Actions(ean string) ([]Action, error) {
	var out []Action
	err := e.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketActions).ForEach(func(_, v []byte) error {
			var act Action
			if err := jsonDecode(v, &act); err != nil {
				return err
			}
			if act.EAN == ean {
				out = append(out, act)
			}
			return nil
		})
	})
	return out, err
}

// OpenActions returns every action not done or cancelled yet, oldest first.
func (e *Engine) OpenActions() ([]Action, error) {
	var out []Action
	err := e.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketActionsOpen).ForEach(func(k, _ []byte) error {
			var act Action
			if _, err := getJSON(tx, bucketActions, k, &act); err != nil {
				return err
			}
			out = append(out, act)
			return nil
		})
	})
	return out, err
}
