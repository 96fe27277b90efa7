package prepay

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// PutTariff stores a tariff, replacing the one with the same id. Register
// names are made canonical and versions sorted; only import registers may
// be priced. The change is audited under agent.
func (e *Engine) PutTariff(t Tariff, agent string) (Tariff, error) {
	const opName = "put tariff"
	if agent == "" {
		return Tariff{}, refused(opName, ErrInvalid, "the agent is mandatory")
	}
	t, err := t.normalize()
	if err != nil {
		return Tariff{}, refused(opName, ErrInvalid, "%v", err)
	}
	err = e.update(func(o *op) error {
		var old Tariff
		found, err := getJSON(o.tx, bucketTariffs, []byte(t.ID), &old)
		if err != nil {
			return err
		}
		if found && old.Energy != t.Energy {
			return refused(opName, ErrConflict, "tariff %q is for %s, not %s", t.ID, old.Energy, t.Energy)
		}
		if err := o.audit(agent, opName, "", "", fmt.Sprintf("tariff %s, %d version(s)", t.ID, len(t.Versions))); err != nil {
			return err
		}
		return putJSON(o.tx, bucketTariffs, []byte(t.ID), t)
	})
	return t, err
}

// Tariff returns a stored tariff.
func (e *Engine) Tariff(id string) (Tariff, error) {
	var t Tariff
	err := e.db.View(func(tx *bolt.Tx) error {
		found, err := getJSON(tx, bucketTariffs, []byte(id), &t)
		if err == nil && !found {
			err = refused("tariff", ErrInvalid, "no tariff %q", id)
		}
		return err
	})
	return t, err
}

// Tariffs returns every stored tariff, by id.
func (e *Engine) Tariffs() ([]Tariff, error) {
	var out []Tariff
	err := e.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTariffs).ForEach(func(_, v []byte) error {
			var t Tariff
			if err := jsonDecode(v, &t); err != nil {
				return err
			}
			out = append(out, t)
			return nil
		})
	})
	return out, err
}

// change runs fn on an account and saves it, auditing the change under by.
func (e *Engine) change(opName, ean, by, detail string, fn func(o *op, a *Account) error) error {
	if by == "" {
		return refused(opName, ErrInvalid, "who makes the change is mandatory")
	}
	return e.update(func(o *op) error {
		a, err := o.account(opName, ean)
		if err != nil {
			return err
		}
		if err := fn(o, a); err != nil {
			return err
		}
		if err := o.audit(by, opName, ean, "", detail); err != nil {
			return err
		}
		return o.saveAccount(a)
	})
}

// SetLowThreshold sets an account's low-credit threshold, for the customer
// or an agent (by). A threshold change is not a crossing: it notifies
// nothing, and the next fall from NORMAL below the new threshold does.
func (e *Engine) SetLowThreshold(ean string, threshold Cents, by string) error {
	const opName = "set low threshold"
	if threshold < 0 || threshold > e.cfg.MaxLowThreshold {
		return refused(opName, ErrAmountOutOfRange, "low-credit threshold %s not within 0.00 and %s", threshold, e.cfg.MaxLowThreshold)
	}
	return e.change(opName, ean, by, threshold.String(), func(o *op, a *Account) error {
		a.LowThreshold = threshold
		a.Credit = creditState(a.Balance, threshold, e.cfg.EmergencyCredit)
		return nil
	})
}

// SetContact sets an account's notification preference and addresses.
func (e *Engine) SetContact(ean string, c Contact, by string) error {
	const opName = "set contact"
	if err := c.validate(); err != nil {
		return refused(opName, ErrInvalid, "%v", err)
	}
	return e.change(opName, ean, by, string(c.Preference), func(o *op, a *Account) error {
		a.Contact = c
		return nil
	})
}

// SetTariff puts an account on another tariff, from its next settlement.
func (e *Engine) SetTariff(ean, tariffID, agent string) error {
	const opName = "set tariff"
	return e.change(opName, ean, agent, tariffID, func(o *op, a *Account) error {
		var t Tariff
		found, err := getJSON(o.tx, bucketTariffs, []byte(tariffID), &t)
		if err != nil {
			return err
		}
		if !found {
			return refused(opName, ErrInvalid, "no tariff %q", tariffID)
		}
		if t.Energy != a.Energy {
			return refused(opName, ErrInvalid, "tariff %q is for %s, the access point is %s", tariffID, t.Energy, a.Energy)
		}
		a.TariffID = tariffID
		return nil
	})
}

// SetAccountLimiter records whether an electricity account has a power
// limiter and its threshold (0: Config.DefaultLimiterWatts). A supply that
// waits to be cut is limited instead, and the other way round.
func (e *Engine) SetAccountLimiter(ean string, limiter bool, watts int64, agent string) error {
	const opName = "set limiter"
	if watts == 0 {
		watts = e.cfg.DefaultLimiterWatts
	}
	if watts < 0 {
		return refused(opName, ErrInvalid, "limiter threshold %d W: negative", watts)
	}
	return e.change(opName, ean, agent, fmt.Sprintf("limiter %t, %d W", limiter, watts), func(o *op, a *Account) error {
		if limiter && a.Energy != Electricity {
			return refused(opName, ErrInvalid, "a power limiter is for electricity only")
		}
		a.Limiter, a.LimiterWatts = limiter, watts
		return o.reconcile(a)
	})
}

// ClearLeakTest records that the leak-tightness test of a gas account was
// done (a technician on site); it is cleared by itself when the meter shows
// that the valve is open again.
func (e *Engine) ClearLeakTest(ean, agent string) error {
	return e.change("clear leak test", ean, agent, "", func(o *op, a *Account) error {
		a.LeakTestRequired = false
		return nil
	})
}
