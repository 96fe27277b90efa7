package prepay

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// EntryKind is the kind of a ledger entry.
type EntryKind string

// The ledger entry kinds. Amount is the entry's effect on the balance,
// DebtAmount its effect on the debt.
const (
	// Consumption: the cost of the energy of a settled day (Amount ≤ 0).
	Consumption EntryKind = "CONSUMPTION"
	// DebtRecovery: part of the debt taken from the balance (Amount < 0,
	// DebtAmount = Amount).
	DebtRecovery EntryKind = "DEBT_RECOVERY"
	// Recharge: a payment on a customer channel (Amount > 0).
	Recharge EntryKind = "RECHARGE"
	// Adjustment: a signed correction by an agent, with a reason.
	Adjustment EntryKind = "ADJUSTMENT"
	// CreditAdvance: credit advanced by the operator, booked as a debt too
	// (starting credit, top-up of a transferred budget-meter balance, new
	// occupant).
	CreditAdvance EntryKind = "CREDIT_ADVANCE"
	// BalanceTransfer: the balance of a replaced legacy budget meter.
	BalanceTransfer EntryKind = "BALANCE_TRANSFER"
	// BalanceReset: brings balance and debt to zero when the account starts
	// over (a new occupant, a reactivation after a deactivation); the
	// amounts it removes are those of the previous period.
	BalanceReset EntryKind = "BALANCE_RESET"
)

// Channel is where a recharge was paid.
type Channel string

// The payment channels. ChannelAgent marks the entries an agent booked
// (adjustments, credit advances, resets).
const (
	ChannelTerminal Channel = "terminal" // bank terminal (debit card)
	ChannelPaypoint Channel = "paypoint" // pay point: shop, office, social services
	ChannelOnline   Channel = "online"   // the customer's online space
	ChannelPostal   Channel = "postal"   // postal transfer, booked by an agent from the receipt
	ChannelAgent    Channel = "agent"
)

// customer reports whether c is a customer channel of a recharge.
func (c Channel) customer() bool {
	switch c {
	case ChannelTerminal, ChannelPaypoint, ChannelOnline, ChannelPostal:
		return true
	}
	return false
}

// Entry is one line of the append-only ledger. The balance of an account is
// the sum of its entries' Amount, its debt the sum of their DebtAmount.
type Entry struct {
	ID           uint64      `json:"id"`
	EAN          string      `json:"ean"`
	BookedAt     time.Time   `json:"booked_at"`
	Kind         EntryKind   `json:"kind"`
	Amount       Cents       `json:"amount"`
	DebtAmount   Cents       `json:"debt_amount"`
	BalanceAfter Cents       `json:"balance_after"`
	DebtAfter    Cents       `json:"debt_after"`
	CreditAfter  CreditState `json:"credit_after"`
	Channel      Channel     `json:"channel,omitempty"`
	TxnID        string      `json:"transaction_id,omitempty"`
	Agent        string      `json:"agent,omitempty"`
	Reason       string      `json:"reason,omitempty"`
	// PaidAt is when the customer paid (recharges, when known).
	PaidAt time.Time `json:"paid_at,omitzero"`
	// From and Until are the consumption days a settlement entry covers.
	From  Date `json:"from,omitzero"`
	Until Date `json:"until,omitzero"`
}

// book appends an entry for account a and applies it to the account's
// balance and debt. The caller saves the account.
func (o *op) book(a *Account, en Entry) (Entry, error) {
	id, err := nextSeq(o.tx, bucketLedger)
	if err != nil {
		return Entry{}, err
	}
	a.Balance += en.Amount
	a.Debt += en.DebtAmount
	en.ID = id
	en.EAN = a.EAN
	en.BookedAt = o.now
	en.BalanceAfter = a.Balance
	en.DebtAfter = a.Debt
	en.CreditAfter = creditState(a.Balance, a.LowThreshold, o.e.cfg.EmergencyCredit)
	if err := putJSON(o.tx, bucketLedger, u64(id), en); err != nil {
		return Entry{}, err
	}
	if err := o.tx.Bucket(bucketLedgerAccount).Put(join([]byte(a.EAN), u64(id)), nil); err != nil {
		return Entry{}, err
	}
	day := DateOf(o.now, o.e.loc)
	if err := o.tx.Bucket(bucketLedgerDay).Put(join(dayKey(day), u64(id)), nil); err != nil {
		return Entry{}, err
	}
	o.e.log.Debug().Str("ean", a.EAN).Uint64("entry", id).Str("kind", string(en.Kind)).
		Str("amount", en.Amount.String()).Str("balance", a.Balance.String()).Msg("prepay: booked")
	return en, nil
}

// accountEntries calls fn for each entry of ean in booking order.
func accountEntries(tx *bolt.Tx, ean string, fn func(Entry) error) error {
	prefix := []byte(ean)
	c := tx.Bucket(bucketLedgerAccount).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		var en Entry
		if _, err := getJSON(tx, bucketLedger, k[len(prefix):], &en); err != nil {
			return err
		}
		if err := fn(en); err != nil {
			return err
		}
	}
	return nil
}

// ledgerBalance reads an account's balance from its ledger: the running
// balance of its last entry (zero without entries).
func ledgerBalance(tx *bolt.Tx, ean string) (Cents, error) {
	prefix := []byte(ean)
	c := tx.Bucket(bucketLedgerAccount).Cursor()
	k, _ := c.Seek(join(prefix, u64(^uint64(0))))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return 0, nil
	}
	var en Entry
	_, err := getJSON(tx, bucketLedger, k[len(prefix):], &en)
	return en.BalanceAfter, err
}

// VerifyLedger re-adds every entry of an account and checks the running
// balances and debts that the entries carry, and the account's balance and
// debt, against the sums. It reports the first difference.
func (e *Engine) VerifyLedger(ean string) error {
	return e.view(func(o *op) error {
		a, err := o.account("verify ledger", ean)
		if err != nil {
			return err
		}
		var b, d Cents
		err = accountEntries(o.tx, ean, func(en Entry) error {
			b += en.Amount
			d += en.DebtAmount
			if en.BalanceAfter != b || en.DebtAfter != d {
				return fmt.Errorf("prepay: ledger of %s: entry %d says balance %s debt %s, the entries sum to %s and %s", ean, en.ID, en.BalanceAfter, en.DebtAfter, b, d)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if a.Balance != b || a.Debt != d {
			return fmt.Errorf("prepay: account %s says balance %s debt %s, its ledger sums to %s and %s", ean, a.Balance, a.Debt, b, d)
		}
		if d < 0 {
			return fmt.Errorf("prepay: account %s: negative debt %s", ean, d)
		}
		return nil
	})
}

// Entries returns the ledger entries of an account in booking order.
func (e *Engine) Entries(ean string) ([]Entry, error) {
	var out []Entry
	err := e.view(func(o *op) error {
		if _, err := o.account("entries", ean); err != nil {
			return err
		}
		return accountEntries(o.tx, ean, func(en Entry) error {
			out = append(out, en)
			return nil
		})
	})
	return out, err
}

// LedgerDay returns the entries of every account booked on a local day, in
// booking order: the lines of the day's ledger export.
func (e *Engine) LedgerDay(day Date) ([]Entry, error) {
	var out []Entry
	err := e.db.View(func(tx *bolt.Tx) error {
		prefix := dayKey(day)
		c := tx.Bucket(bucketLedgerDay).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var en Entry
			if _, err := getJSON(tx, bucketLedger, k[len(prefix):], &en); err != nil {
				return err
			}
			out = append(out, en)
		}
		return nil
	})
	return out, err
}
