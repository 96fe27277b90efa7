package prepay

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Activate requests prepayment for an access point: a new account, or a
// deactivated one starting over. The account is Pending until the first
// successful communication with its meter (MeterCommunicated, or its first
// reading given to Settle); the starting credit is booked then.
//
// A deactivated account's final balance and debt belong to the previous
// period: they are brought to zero by a BALANCE_RESET entry.
func (e *Engine) Activate(spec AccountSpec, act Activation) (Account, error) {
	const opName = "activate"
	cfg := e.cfg
	if err := ValidateEAN(spec.EAN); err != nil {
		return Account{}, refused(opName, ErrInvalid, "%v", err)
	}
	if !spec.Energy.valid() {
		return Account{}, refused(opName, ErrInvalid, "energy %q, want electricity or gas", spec.Energy)
	}
	if err := spec.Contact.validate(); err != nil {
		return Account{}, refused(opName, ErrInvalid, "%v", err)
	}
	if spec.LowThreshold == 0 {
		spec.LowThreshold = cfg.DefaultLowThreshold
	}
	if spec.LowThreshold < 0 || spec.LowThreshold > cfg.MaxLowThreshold {
		return Account{}, refused(opName, ErrAmountOutOfRange, "low-credit threshold %s not within 0.00 and %s", spec.LowThreshold, cfg.MaxLowThreshold)
	}
	if spec.Limiter && spec.Energy != Electricity {
		return Account{}, refused(opName, ErrInvalid, "a power limiter is for electricity only")
	}
	if spec.LimiterWatts == 0 {
		spec.LimiterWatts = cfg.DefaultLimiterWatts
	}
	if spec.LimiterWatts < 0 {
		return Account{}, refused(opName, ErrInvalid, "limiter threshold %d W: negative", spec.LimiterWatts)
	}
	switch act.Kind {
	case NewClient:
		if act.BudgetBalance != 0 {
			return Account{}, refused(opName, ErrInvalid, "a budget-meter balance is for %s only", BudgetTransfer)
		}
	case BudgetTransfer:
	default:
		return Account{}, refused(opName, ErrInvalid, "activation kind %q, want %s or %s", act.Kind, NewClient, BudgetTransfer)
	}
	if act.Agent == "" {
		return Account{}, refused(opName, ErrInvalid, "the agent is mandatory")
	}
	var out Account
	err := e.update(func(o *op) error {
		var t Tariff
		found, err := getJSON(o.tx, bucketTariffs, []byte(spec.TariffID), &t)
		if err != nil {
			return err
		}
		if !found {
			return refused(opName, ErrInvalid, "no tariff %q", spec.TariffID)
		}
		if t.Energy != spec.Energy {
			return refused(opName, ErrInvalid, "tariff %q is for %s, the access point is %s", t.ID, t.Energy, spec.Energy)
		}
		a := &Account{}
		found, err = getJSON(o.tx, bucketAccounts, []byte(spec.EAN), a)
		if err != nil {
			return err
		}
		switch {
		case !found:
			a = &Account{EAN: spec.EAN, Supply: Connected, Credit: Normal}
			if err := o.tx.Bucket(bucketRefs).Put(join([]byte(Reference(spec.EAN)), []byte(spec.EAN)), nil); err != nil {
				return err
			}
		case a.State != Deactivated:
			return refused(opName, ErrConflict, "account %s is already %s", a.EAN, a.State)
		case a.Energy != spec.Energy:
			return refused(opName, ErrConflict, "account %s is %s, not %s", a.EAN, a.Energy, spec.Energy)
		}
		a.Energy, a.TariffID, a.LowThreshold, a.Contact = spec.Energy, spec.TariffID, spec.LowThreshold, spec.Contact
		a.Limiter, a.LimiterWatts = spec.Limiter, spec.LimiterWatts
		a.Reference, a.Hold, a.LastSettled = nil, nil, Date{}
		if found && (a.Balance != 0 || a.Debt != 0) {
			if _, err := o.book(a, Entry{Kind: BalanceReset, Amount: -a.Balance, DebtAmount: -a.Debt, Channel: ChannelAgent,
				Agent: act.Agent, Reason: "previous prepayment period closed at deactivation"}); err != nil {
				return err
			}
		}
		act.RequestedAt = o.now
		a.Activation = &act
		if err := o.setState(a, Pending); err != nil {
			return err
		}
		detail := string(act.Kind)
		if act.Kind == BudgetTransfer {
			detail += " of " + act.BudgetBalance.String()
		}
		if err := o.audit(act.Agent, opName, a.EAN, "", detail); err != nil {
			return err
		}
		out = *a
		return o.saveAccount(a)
	})
	return out, err
}

// activate makes a Pending account Active: the activation's entries are
// booked, the customer notified and the display written.
func (o *op) activate(a *Account) error {
	cfg := o.e.cfg
	act := a.Activation
	if act == nil {
		return fmt.Errorf("prepay: pending account %s has no activation request", a.EAN)
	}
	switch act.Kind {
	case NewClient:
		if _, err := o.book(a, Entry{Kind: CreditAdvance, Amount: cfg.StartingCredit, DebtAmount: cfg.StartingCredit,
			Channel: ChannelAgent, Agent: act.Agent, Reason: "starting credit of a new prepayment client"}); err != nil {
			return err
		}
	case BudgetTransfer:
		b := act.BudgetBalance
		if _, err := o.book(a, Entry{Kind: BalanceTransfer, Amount: b, Channel: ChannelAgent, Agent: act.Agent,
			Reason: "balance of the replaced budget meter"}); err != nil {
			return err
		}
		if top := cfg.StartingCredit - b; top > 0 {
			if _, err := o.book(a, Entry{Kind: CreditAdvance, Amount: top, DebtAmount: top, Channel: ChannelAgent, Agent: act.Agent,
				Reason: "budget-meter balance topped up to the starting credit"}); err != nil {
				return err
			}
		}
	}
	a.Activation = nil
	a.ActivatedAt = o.now
	if err := o.setState(a, Active); err != nil {
		return err
	}
	// Activation is not a crossing: no low-credit notification for a
	// balance that starts below the threshold.
	a.Credit = creditState(a.Balance, a.LowThreshold, cfg.EmergencyCredit)
	if err := o.notify(a, EventActivated, map[string]string{"balance": a.Balance.String(), "debt": a.Debt.String(), "reference": Reference(a.EAN)},
		"Prepayment is now active on your %s meter. Your balance is %s EUR (of which %s EUR advanced, recovered at %s EUR a day). Recharge with the reference %s.",
		a.Energy, a.Balance, a.Debt, cfg.DebtRecoveryPerDay, Reference(a.EAN)); err != nil {
		return err
	}
	return o.balanceChanged(a, "prepayment activated")
}

// MeterCommunicated records a successful exchange with the meter of an
// access point: a Pending account becomes Active. It reports whether the
// account was activated.
func (e *Engine) MeterCommunicated(ean string) (bool, error) {
	var activated bool
	err := e.update(func(o *op) error {
		a, err := o.account("meter communicated", ean)
		if err != nil {
			return err
		}
		if a.State != Pending {
			return nil
		}
		if err := o.activate(a); err != nil {
			return err
		}
		activated = true
		return o.saveAccount(a)
	})
	return activated, err
}

// NewOccupant handles a new occupant found on site without a contract and
// without energy: the balance is brought to the starting credit with an
// equal debt (recovered daily), which arms the reconnection of a cut
// supply. The previous occupant's balance and debt are closed by a
// BALANCE_RESET entry. The account must be Active.
func (e *Engine) NewOccupant(ean, agent, reason string) ([]Entry, error) {
	const opName = "new occupant"
	if agent == "" || reason == "" {
		return nil, refused(opName, ErrInvalid, "an agent and a reason are mandatory")
	}
	var out []Entry
	err := e.update(func(o *op) error {
		a, err := o.account(opName, ean)
		if err != nil {
			return err
		}
		if a.State != Active {
			return refused(opName, ErrNotPrepayment, "account %s is %s, not ACTIVE", ean, a.State)
		}
		sc := o.e.cfg.StartingCredit
		for _, en := range []Entry{
			{Kind: BalanceReset, Amount: -a.Balance, DebtAmount: -a.Debt, Channel: ChannelAgent, Agent: agent, Reason: "new occupant: " + reason},
			{Kind: CreditAdvance, Amount: sc, DebtAmount: sc, Channel: ChannelAgent, Agent: agent, Reason: "new occupant: " + reason},
		} {
			en, err := o.book(a, en)
			if err != nil {
				return err
			}
			out = append(out, en)
		}
		if err := o.audit(agent, opName, ean, reason, "balance "+a.Balance.String()+", debt "+a.Debt.String()); err != nil {
			return err
		}
		if err := o.balanceChanged(a, "new occupant"); err != nil {
			return err
		}
		return o.saveAccount(a)
	})
	return out, err
}

// Deactivate switches prepayment off (the occupant's own contract is
// effective): the account keeps its final balance for the export, no order
// waiting to cut or limit the supply is sent, and a supply that was cut or
// limited is armed or released.
func (e *Engine) Deactivate(ean, agent, reason string) error {
	const opName = "deactivate"
	if agent == "" || reason == "" {
		return refused(opName, ErrInvalid, "an agent and a reason are mandatory")
	}
	return e.update(func(o *op) error {
		a, err := o.account(opName, ean)
		if err != nil {
			return err
		}
		if !a.State.inPrepayment() {
			return refused(opName, ErrNotPrepayment, "account %s is already %s", ean, a.State)
		}
		a.Activation = nil
		a.DeactivatedAt = o.now
		if err := o.setState(a, Deactivated); err != nil {
			return err
		}
		if _, err := o.cancel(a, ActShowBalance, "account deactivated"); err != nil {
			return err
		}
		if err := o.reconcile(a); err != nil {
			return err
		}
		if err := o.audit(agent, opName, ean, reason, "final balance "+a.Balance.String()+", debt "+a.Debt.String()); err != nil {
			return err
		}
		return o.saveAccount(a)
	})
}

// eachAccount calls fn for every account, in EAN order.
func (e *Engine) eachAccount(fn func(Account) error) error {
	return e.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAccounts).ForEach(func(_, v []byte) error {
			var a Account
			if err := jsonDecode(v, &a); err != nil {
				return err
			}
			return fn(a)
		})
	})
}

// accountsByReference returns the EANs whose payment reference is ref.
func accountsByReference(tx *bolt.Tx, ref string) []string {
	var out []string
	prefix := []byte(ref)
	c := tx.Bucket(bucketRefs).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		out = append(out, string(k[len(prefix):]))
	}
	return out
}
