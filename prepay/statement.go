package prepay

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// Statement is one account's money over one local day: a line of the
// day's balances export. It counts the entries booked that day (so the
// consumption of day D, settled after midnight, is in the statement of
// D+1), which makes a past day's statement final:
//
//	Opening − Consumption − DebtRecovery + Recharges + Adjustments = Closing
//
// Adjustments sums every entry that is not a consumption, a debt recovery or
// a recharge: agent adjustments, credit advances, balance transfers and
// resets.
type Statement struct {
	EAN           string       `json:"ean"`
	Day           Date         `json:"day"`
	Opening       Cents        `json:"opening_balance"`
	Consumption   Cents        `json:"consumption_cost"`
	DebtRecovery  Cents        `json:"debt_recovery"`
	Recharges     Cents        `json:"recharges"`
	Adjustments   Cents        `json:"adjustments"`
	Closing       Cents        `json:"closing_balance"`
	EmergencyLeft Cents        `json:"emergency_credit_left"`
	DebtLeft      Cents        `json:"debt_left"`
	CreditState   CreditState  `json:"credit_state"`
	SupplyState   SupplyState  `json:"supply_state"`
	State         AccountState `json:"state"`
}

// Statements returns the statements of a local day for every account that
// was active at some time of the day, in EAN order.
func (e *Engine) Statements(day Date) ([]Statement, error) {
	var out []Statement
	err := e.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAccounts).ForEach(func(k, _ []byte) error {
			st, ok, err := e.statement(tx, string(k), day)
			if ok {
				out = append(out, st)
			}
			return err
		})
	})
	return out, err
}

// Statement returns an account's statement of a local day.
func (e *Engine) Statement(ean string, day Date) (Statement, error) {
	var st Statement
	err := e.view(func(o *op) error {
		if _, err := o.account("statement", ean); err != nil {
			return err
		}
		var err error
		st, _, err = e.statement(o.tx, ean, day)
		return err
	})
	return st, err
}

// statement computes a statement; ok says whether the account was active
// during the day.
func (e *Engine) statement(tx *bolt.Tx, ean string, day Date) (st Statement, ok bool, err error) {
	start, end := day.Start(e.loc), day.AddDays(1).Start(e.loc)
	st = Statement{EAN: ean, Day: day, CreditState: Normal, SupplyState: Connected}

	// State and supply at the end of the day, and whether the account was
	// active at some time of it.
	prefix := []byte(ean)
	c := tx.Bucket(bucketHistory).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var s historyRecord
		if err := jsonDecode(v, &s); err != nil {
			return st, false, err
		}
		if !s.At.Before(end) {
			break
		}
		if s.At.Before(start) {
			ok = s.State == Active
		} else if s.State == Active || st.State == Active {
			ok = true
		}
		st.State, st.SupplyState = s.State, s.Supply
	}

	err = accountEntries(tx, ean, func(en Entry) error {
		if !en.BookedAt.Before(end) {
			return errStop
		}
		if en.BookedAt.Before(start) {
			st.Opening = en.BalanceAfter
		} else {
			switch en.Kind {
			case Consumption:
				st.Consumption -= en.Amount
			case DebtRecovery:
				st.DebtRecovery -= en.Amount
			case Recharge:
				st.Recharges += en.Amount
			default:
				st.Adjustments += en.Amount
			}
		}
		st.Closing, st.DebtLeft, st.CreditState = en.BalanceAfter, en.DebtAfter, en.CreditAfter
		return nil
	})
	if err == errStop {
		err = nil
	}
	st.EmergencyLeft = emergencyLeft(st.Closing, e.cfg.EmergencyCredit)
	return st, ok, err
}
