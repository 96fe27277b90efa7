package prepay

import (
	"strconv"
	"time"
)

// reconcile decides what the supply of account a needs after a change of
// its balance, state or limiter flag, and records the meter actions that
// follow. It is the one transition function of the supply state:
//
//	CONNECTED, RECONNECT_ARMED, b ≤ −E: limiter → SET_LIMITER (LIMITED once confirmed);
//	                                    else DISCONNECT_PENDING + DISCONNECT (due at the end of an NDP)
//	DISCONNECT_PENDING, b > −E:         DISCONNECT cancelled → CONNECTED (unless already sent)
//	DISCONNECTED, b > R:                ARM_RECONNECTION (RECONNECT_ARMED once confirmed)
//	LIMITED, b > R or no limiter:       CLEAR_LIMITER (CONNECTED once confirmed)
//
// with E = Config.EmergencyCredit and R = Config.ReconnectAbove, or R = −E
// when a recharge overtook the cut (Account.Overtaken). A deactivated
// account is never cut: whatever cut or limit remains is undone.
func (o *op) reconcile(a *Account) error {
	cfg := o.e.cfg
	if a.State == Pending {
		return nil
	}
	deactivated := a.State == Deactivated
	b := a.Balance
	exhausted := b <= -cfg.EmergencyCredit && !deactivated
	if exhausted {
		a.Overtaken = false
	}
	above := o.releaseAbove(a)
	reason := "balance " + b.String()
	switch a.Supply {
	case Connected, ReconnectArmed:
		if !exhausted {
			_, err := o.cancel(a, ActSetLimiter, reason+" above the exhausted emergency credit")
			return err
		}
		if a.Limiter {
			_, err := o.want(a, ActSetLimiter, "emergency credit exhausted at "+reason, time.Time{})
			return err
		}
		if _, err := o.cancel(a, ActSetLimiter, "account has no limiter"); err != nil {
			return err
		}
		if err := o.setSupply(a, DisconnectPending); err != nil {
			return err
		}
		_, err := o.want(a, ActDisconnect, "emergency credit exhausted at "+reason, cfg.NDP.End(o.now, o.e.loc))
		return err
	case DisconnectPending:
		if exhausted && !a.Limiter {
			_, err := o.want(a, ActDisconnect, "emergency credit exhausted at "+reason, cfg.NDP.End(o.now, o.e.loc))
			return err
		}
		why := reason + " above the exhausted emergency credit"
		if a.Limiter && exhausted {
			why = "account has a limiter"
		} else if deactivated {
			why = "account deactivated"
		}
		gone, err := o.cancel(a, ActDisconnect, why)
		if err != nil || !gone {
			// A disconnection already sent is settled by its outcome.
			return err
		}
		if err := o.setSupply(a, Connected); err != nil {
			return err
		}
		return o.reconcile(a)
	case Disconnected:
		if b > above || deactivated {
			why := reason + " above " + above.String()
			if deactivated {
				why = "account deactivated"
			}
			_, err := o.want(a, ActArmReconnection, why, time.Time{})
			return err
		}
		_, err := o.cancel(a, ActArmReconnection, reason+" not above "+above.String())
		return err
	case Limited:
		if b > above || !a.Limiter || deactivated {
			_, err := o.want(a, ActClearLimiter, reason, time.Time{})
			return err
		}
		_, err := o.cancel(a, ActClearLimiter, reason+" not above "+above.String())
		return err
	}
	return nil
}

// releaseAbove is the balance above which a cut supply is armed and a limit
// lifted: Config.ReconnectAbove, or the exhausted level −E when a recharge
// overtook the cut (the order was under way when it was booked).
func (o *op) releaseAbove(a *Account) Cents {
	if a.Overtaken {
		return -o.e.cfg.EmergencyCredit
	}
	return o.e.cfg.ReconnectAbove
}

// balanceChanged follows every change of an active account's balance:
// it derives the credit state, records the meter actions that the new
// balance calls for (new display values, and what reconcile decides),
// and writes the notifications of the crossings. The caller saves a.
func (o *op) balanceChanged(a *Account, cause string) error {
	cfg := o.e.cfg
	a.BalanceUpdatedAt = o.now
	prev := a.Credit
	next := creditState(a.Balance, a.LowThreshold, cfg.EmergencyCredit)
	a.Credit = next
	if a.State != Active {
		return nil
	}
	// The new values are shown first, then the supply follows.
	if _, err := o.want(a, ActShowBalance, cause, time.Time{}); err != nil {
		return err
	}
	if err := o.reconcile(a); err != nil {
		return err
	}
	if next.severity() <= prev.severity() {
		return nil
	}
	data := map[string]string{
		"balance":          a.Balance.String(),
		"emergency_credit": emergencyLeft(a.Balance, cfg.EmergencyCredit).String(),
	}
	switch next {
	case Low:
		// Only a fall from NORMAL: the notification is re-armed once the
		// balance is back at or above the threshold.
		data["threshold"] = a.LowThreshold.String()
		return o.notify(a, EventLowCredit, data,
			"Your %s balance is %s EUR, below your low-credit threshold of %s EUR. Recharge soon.",
			a.Energy, a.Balance, a.LowThreshold)
	case Emergency:
		return o.notify(a, EventEmergencyStarted, data,
			"Your %s balance is %s EUR: you are now using your emergency credit (%s EUR left). Recharge soon.",
			a.Energy, a.Balance, data["emergency_credit"])
	case Exhausted:
		return o.notifyExhausted(a, data)
	}
	return nil
}

// notifyExhausted tells the customer that the emergency credit is used up
// and what happens when: a limit, a cut now, or a cut at the end of the
// non-disconnection period.
func (o *op) notifyExhausted(a *Account, data map[string]string) error {
	cfg := o.e.cfg
	if a.Limiter {
		data["action"] = "limit"
		data["at"] = "now"
		return o.notify(a, EventEmergencyExhausted, data,
			"Your %s balance is %s EUR and your emergency credit is used up: your supply will be limited to %d W until you recharge to above %s EUR.",
			a.Energy, a.Balance, a.LimiterWatts, cfg.ReconnectAbove)
	}
	data["action"] = "disconnect"
	end := cfg.NDP.End(o.now, o.e.loc)
	if !end.After(o.now) {
		data["at"] = "now"
		return o.notify(a, EventEmergencyExhausted, data,
			"Your %s balance is %s EUR and your emergency credit is used up: your supply will be cut now. Recharge to above %s EUR to get it back.",
			a.Energy, a.Balance, cfg.ReconnectAbove)
	}
	data["at"] = end.Format(time.RFC3339)
	return o.notify(a, EventEmergencyExhausted, data,
		"Your %s balance is %s EUR and your emergency credit is used up: your supply will be cut at the end of the non-disconnection period, %s, unless you recharge to above %s EUR before.",
		a.Energy, a.Balance, end.In(o.e.loc).Format("Mon 2 Jan 2006 15:04"), (-cfg.EmergencyCredit))
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
