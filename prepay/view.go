package prepay

import (
	"bytes"
	"time"

	bolt "go.etcd.io/bbolt"
)

// View is what a customer, an agent or the CLI sees of an account.
type View struct {
	EAN           string       `json:"ean"`
	Reference     string       `json:"reference"`
	Energy        Energy       `json:"energy"`
	State         AccountState `json:"state"`
	Balance       Cents        `json:"balance"`
	EmergencyLeft Cents        `json:"emergency_left"`
	Debt          Cents        `json:"debt"`
	CreditState   CreditState  `json:"credit_state"`
	SupplyState   SupplyState  `json:"supply_state"`
	// Estimated is the balance estimated for now from the average daily
	// cost of the last settled days (see Engine.Balance).
	Estimated        Cents     `json:"estimated"`
	LowThreshold     Cents     `json:"low_threshold"`
	UpdatedAt        time.Time `json:"updated_at,omitzero"`
	LastSettled      Date      `json:"last_settled,omitzero"`
	LeakTestRequired bool      `json:"leak_test_required"`
	// Held is the reason a reading waits for an agent, "" when none.
	Held string `json:"held,omitempty"`
}

// estimateDays is how many settled days the estimated balance averages.
const estimateDays = 7

// Balance returns the view of an account. The estimated balance is the
// balance minus the average daily consumption cost of the last 7 settled
// days times the time elapsed since the end of the last settled day, in
// days and fractions of a day: the same consumption is assumed at every
// hour (the estimate is not hour-aware). Debt recovery is not estimated.
func (e *Engine) Balance(ean string) (View, error) {
	var v View
	err := e.view(func(o *op) error {
		a, err := o.account("balance", ean)
		if err != nil {
			return err
		}
		v = View{
			EAN: a.EAN, Reference: Reference(a.EAN), Energy: a.Energy, State: a.State,
			Balance:       a.Balance,
			EmergencyLeft: emergencyLeft(a.Balance, e.cfg.EmergencyCredit),
			Debt:          a.Debt,
			CreditState:   creditState(a.Balance, a.LowThreshold, e.cfg.EmergencyCredit),
			SupplyState:   a.Supply,
			Estimated:     a.Balance,
			LowThreshold:  a.LowThreshold, UpdatedAt: a.BalanceUpdatedAt, LastSettled: a.LastSettled,
			LeakTestRequired: a.LeakTestRequired,
		}
		if a.Hold != nil {
			v.Held = a.Hold.Reason
		}
		if a.State == Active && !a.LastSettled.IsZero() {
			v.Estimated = a.Balance - o.estimatedCost(a)
		}
		return nil
	})
	return v, err
}

// estimatedCost is the consumption cost expected since the end of the last
// settled day.
func (o *op) estimatedCost(a *Account) Cents {
	var cost Cents
	days := 0
	prefix := []byte(a.EAN)
	c := o.tx.Bucket(bucketSettlements).Cursor()
	var k, v []byte
	if k, _ = c.Seek(join(prefix, dayKey(a.LastSettled.AddDays(1)))); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix) && days < estimateDays; k, v = c.Prev() {
		var s Settlement
		if jsonDecode(v, &s) != nil || s.Status != Settled {
			continue
		}
		cost += s.Cost
		days += s.From.DaysUntil(s.Until) + 1
	}
	if days == 0 {
		return 0
	}
	elapsed := o.now.Sub(a.LastSettled.AddDays(1).Start(o.e.loc))
	if elapsed <= 0 {
		return 0
	}
	// cost × elapsed / (days × 24 h), rounded to the nearest cent.
	num := int64(cost) * int64(elapsed/time.Second)
	den := int64(days) * 86400
	return Cents((num + den/2) / den)
}

// Account returns the stored state of an account.
func (e *Engine) Account(ean string) (Account, error) {
	var a *Account
	err := e.view(func(o *op) error {
		var err error
		a, err = o.account("account", ean)
		return err
	})
	if err != nil {
		return Account{}, err
	}
	return *a, nil
}

// Accounts returns every account, in EAN order.
func (e *Engine) Accounts() ([]Account, error) {
	var out []Account
	err := e.eachAccount(func(a Account) error {
		out = append(out, a)
		return nil
	})
	return out, err
}

// Settlements returns the settlements of an account, oldest first.
func (e *Engine) Settlements(ean string) ([]Settlement, error) {
	var out []Settlement
	err := e.db.View(func(tx *bolt.Tx) error {
		prefix := []byte(ean)
		c := tx.Bucket(bucketSettlements).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var s Settlement
			if err := jsonDecode(v, &s); err != nil {
				return err
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}
