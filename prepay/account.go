package prepay

import (
	"fmt"
	"time"
)

// Energy is the energy an access point delivers.
type Energy string

// The energies.
const (
	Electricity Energy = "electricity"
	Gas         Energy = "gas"
)

func (e Energy) valid() bool { return e == Electricity || e == Gas }

// AccountState is where an account is in its prepayment life.
type AccountState string

// The account states.
const (
	// Pending: activation was requested; the account becomes Active at the
	// first successful communication with its meter.
	Pending AccountState = "PENDING"
	// Active: prepayment runs: daily settlement, credit rules, meter orders.
	Active AccountState = "ACTIVE"
	// Deactivated: prepayment is switched off (contract change). The final
	// balance stays on the account for the export; the supply is left
	// connected.
	Deactivated AccountState = "DEACTIVATED"
)

// inPrepayment reports whether the account accepts recharges.
func (s AccountState) inPrepayment() bool { return s == Pending || s == Active }

// SupplyState is what the head-end knows of the breaker (or gas valve) and
// the power limiter, separate from the credit.
type SupplyState string

// The supply states.
const (
	// Connected: supply is on, unlimited.
	Connected SupplyState = "CONNECTED"
	// DisconnectPending: the emergency credit is exhausted and a
	// disconnection is decided but not confirmed yet: waiting for the end of
	// a non-disconnection period, or for the meter to confirm. The supply is
	// still on.
	DisconnectPending SupplyState = "DISCONNECT_PENDING"
	// Disconnected: the meter confirmed that the breaker (valve) is open.
	Disconnected SupplyState = "DISCONNECTED"
	// ReconnectArmed: the meter confirmed that the breaker is ready for
	// reconnection; the customer closes it with the button.
	ReconnectArmed SupplyState = "RECONNECT_ARMED"
	// Limited: the meter confirmed that its power limiter is set.
	Limited SupplyState = "LIMITED"
)

// Preference is how a customer wants to be notified.
type Preference string

// The notification preferences.
const (
	PreferSMS   Preference = "SMS"
	PreferEmail Preference = "EMAIL"
	PreferBoth  Preference = "BOTH"
)

// Medium is a way a notification reaches the customer.
type Medium string

// The notification media.
const (
	SMS   Medium = "sms"
	Email Medium = "email"
)

// Contact holds a customer's notification preference and addresses.
type Contact struct {
	Preference Preference `json:"preference"`
	Phone      string     `json:"phone,omitempty"`
	Email      string     `json:"email,omitempty"`
}

// media returns the media a notification goes to: the preferred ones that
// have an address, falling back to the other one when the preferred address
// is missing (a customer without e-mail gets SMS).
func (c Contact) media() []Medium {
	var out []Medium
	if c.Phone != "" && (c.Preference == PreferSMS || c.Preference == PreferBoth || c.Email == "") {
		out = append(out, SMS)
	}
	if c.Email != "" && (c.Preference == PreferEmail || c.Preference == PreferBoth || c.Phone == "") {
		out = append(out, Email)
	}
	return out
}

func (c Contact) validate() error {
	switch c.Preference {
	case PreferSMS, PreferEmail, PreferBoth:
	default:
		return fmt.Errorf("notification preference %q: want SMS, EMAIL or BOTH", c.Preference)
	}
	if c.Phone == "" && c.Email == "" {
		return fmt.Errorf("no phone number and no e-mail address: a customer needs at least one")
	}
	return nil
}

// ActivationKind says how an account enters prepayment.
type ActivationKind string

// The activation kinds.
const (
	// NewClient: a new prepayment client gets Config.StartingCredit as an
	// advance, booked as a debt recovered daily.
	NewClient ActivationKind = "NEW_CLIENT"
	// BudgetTransfer: a legacy budget (card) meter is replaced; its balance is
	// transferred and, when below Config.StartingCredit, topped up to it with
	// the difference booked as a debt.
	BudgetTransfer ActivationKind = "BUDGET_TRANSFER"
)

// Activation is a request to put an account in prepayment.
type Activation struct {
	Kind ActivationKind `json:"kind"`
	// BudgetBalance is the balance read from the legacy budget meter
	// (BudgetTransfer only); it may be negative.
	BudgetBalance Cents `json:"budget_balance"`
	// Agent is who asked for the activation (mandatory).
	Agent       string    `json:"agent"`
	RequestedAt time.Time `json:"requested_at"`
}

// AccountSpec describes an account when its activation is requested.
type AccountSpec struct {
	EAN      string
	Energy   Energy
	TariffID string
	// LowThreshold is the low-credit threshold; zero means
	// Config.DefaultLowThreshold (SetLowThreshold can set it to zero later).
	LowThreshold Cents
	// Limiter marks an electricity meter with a power limiter: it is limited
	// instead of cut when the emergency credit is exhausted.
	Limiter bool
	// LimiterWatts is the limiter threshold; zero means
	// Config.DefaultLimiterWatts.
	LimiterWatts int64
	Contact      Contact
}

// Account is the stored state of one access point in prepayment. Balance
// and Debt are the sums of the account's ledger entries, kept here so that
// reading them costs one lookup.
type Account struct {
	EAN              string       `json:"ean"`
	Energy           Energy       `json:"energy"`
	TariffID         string       `json:"tariff_id"`
	LowThreshold     Cents        `json:"low_threshold"`
	Limiter          bool         `json:"limiter"`
	LimiterWatts     int64        `json:"limiter_watts"`
	Contact          Contact      `json:"contact"`
	State            AccountState `json:"state"`
	Supply           SupplyState  `json:"supply"`
	LeakTestRequired bool         `json:"leak_test_required"`
	// Overtaken is true when the last cut (or limit) was confirmed after a
	// recharge had lifted the balance above the exhausted level: the recharge
	// wins, and the supply is released as soon as the balance is above −E
	// instead of Config.ReconnectAbove.
	Overtaken bool `json:"overtaken"`

	Balance Cents `json:"balance"`
	Debt    Cents `json:"debt"`
	// Credit is the credit state derived from Balance at the last change,
	// kept to detect crossings: a change to a worse state is notified, so
	// LOW_CREDIT is sent on a fall from NORMAL only and is re-armed once the
	// balance is back at or above the threshold.
	Credit CreditState `json:"credit"`
	// Carry is the sub-cent remainder of the charges booked so far, in
	// 10⁻¹³ € (0 ≤ Carry < 1 cent), added to the next charge.
	Carry int64 `json:"carry"`
	// BalanceUpdatedAt is when the balance last changed: the first screen of
	// the meter's display.
	BalanceUpdatedAt time.Time `json:"balance_updated_at"`

	Activation    *Activation `json:"activation,omitempty"` // the request while Pending
	ActivatedAt   time.Time   `json:"activated_at"`
	DeactivatedAt time.Time   `json:"deactivated_at"`

	// Reference is the last settled reading: the next settlement starts
	// from its indexes.
	Reference *DailyIndexes `json:"reference,omitempty"`
	// LastSettled is the last consumption day settled.
	LastSettled Date `json:"last_settled"`
	// Hold is a reading that an agent must look at before the account
	// settles again.
	Hold *Hold `json:"hold,omitempty"`

	// Open maps each kind of meter action to the id of the account's open
	// action of that kind: an account has at most one of each.
	Open map[ActionKind]uint64 `json:"open,omitempty"`
}
