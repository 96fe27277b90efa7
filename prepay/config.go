package prepay

import (
	"errors"
	"fmt"
	"time"
)

// Config holds every rule of the prepayment function that is an amount, a
// threshold or a calendar. DefaultConfig returns the values documented in
// docs/prepayment.md; the operator's deck gives most of them.
type Config struct {
	// TimeZone is the IANA name of the zone of the meter's day and of the
	// NDP calendar. Default "Europe/Brussels".
	TimeZone string `json:"time_zone"`

	// StartingCredit is the balance a new prepayment client starts with, as
	// an advance booked as a debt; also the level a transferred budget-meter
	// balance and a new occupant's balance are brought to. Default 20.00.
	StartingCredit Cents `json:"starting_credit"`
	// DebtRecoveryPerDay is the most recovered from the balance per settled
	// day while a debt remains and the supply is connected. Default 1.00.
	DebtRecoveryPerDay Cents `json:"debt_recovery_per_day"`
	// EmergencyCredit is how far below zero the balance may go before the
	// supply is cut (or limited). Default 15.00.
	EmergencyCredit Cents `json:"emergency_credit"`
	// ReconnectAbove is the balance above which (strictly) a disconnected
	// supply is armed for reconnection and a limit is lifted. Default 0.50.
	ReconnectAbove Cents `json:"reconnect_above"`
	// DefaultLowThreshold is the low-credit threshold of a new account.
	// Default 5.00.
	DefaultLowThreshold Cents `json:"default_low_threshold"`
	// MaxLowThreshold is the highest low-credit threshold a customer or an
	// agent may set. Default 250.00.
	MaxLowThreshold Cents `json:"max_low_threshold"`

	// RechargeMin and RechargeMax bound a recharge on a customer channel,
	// both included. Defaults 5.00 and 250.00.
	RechargeMin Cents `json:"recharge_min"`
	RechargeMax Cents `json:"recharge_max"`
	// ReferencePrefix is the EAN prefix that a 13-digit payment reference
	// is rebuilt with to check its check digit. Default "54144".
	ReferencePrefix string `json:"reference_prefix"`

	// MaxDailyElectricityWh is the most electricity import (all registers
	// together) a day may show before the reading is held for an agent.
	// Default 150000 (150 kWh).
	MaxDailyElectricityWh int64 `json:"max_daily_electricity_wh"`
	// MaxDailyGasDm3 is the same bound for gas, in dm³. Default 40000
	// (40 m³).
	MaxDailyGasDm3 int64 `json:"max_daily_gas_dm3"`

	// DefaultLimiterWatts is the limiter threshold of an account that has a
	// limiter and no threshold of its own. Default 2300 W (10 A at 230 V).
	DefaultLimiterWatts int64 `json:"default_limiter_watts"`

	// NDP is the non-disconnection calendar. Default DefaultNDP().
	NDP NDPCalendar `json:"ndp"`

	// RetryMin and RetryMax bound the backoff between attempts of a meter
	// action that failed: RetryMin after the first failure, doubling up to
	// RetryMax. Defaults 1 minute and 1 hour.
	RetryMin time.Duration `json:"retry_min"`
	RetryMax time.Duration `json:"retry_max"`
	// ActionLease is how long a meter action handed out by Next stays
	// reserved before Next hands it out again (after a crash of whoever
	// took it). Default 15 minutes.
	ActionLease time.Duration `json:"action_lease"`
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		TimeZone:              "Europe/Brussels",
		StartingCredit:        2000,
		DebtRecoveryPerDay:    100,
		EmergencyCredit:       1500,
		ReconnectAbove:        50,
		DefaultLowThreshold:   500,
		MaxLowThreshold:       25000,
		RechargeMin:           500,
		RechargeMax:           25000,
		ReferencePrefix:       "54144",
		MaxDailyElectricityWh: 150_000,
		MaxDailyGasDm3:        40_000,
		DefaultLimiterWatts:   2300,
		NDP:                   DefaultNDP(),
		RetryMin:              time.Minute,
		RetryMax:              time.Hour,
		ActionLease:           15 * time.Minute,
	}
}

// Validate reports every inconsistency of c at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "" {
		bad("time zone %q: unknown", c.TimeZone)
	}
	if c.StartingCredit < 0 {
		bad("starting credit %s: negative", c.StartingCredit)
	}
	if c.DebtRecoveryPerDay <= 0 {
		bad("debt recovery per day %s: must be positive", c.DebtRecoveryPerDay)
	}
	if c.EmergencyCredit < 0 {
		bad("emergency credit %s: negative", c.EmergencyCredit)
	}
	if c.ReconnectAbove < -c.EmergencyCredit {
		bad("reconnection threshold %s: below the exhausted emergency credit", c.ReconnectAbove)
	}
	if c.DefaultLowThreshold < 0 || c.DefaultLowThreshold > c.MaxLowThreshold {
		bad("default low-credit threshold %s: must be from 0.00 to the maximum %s", c.DefaultLowThreshold, c.MaxLowThreshold)
	}
	if c.RechargeMin <= 0 || c.RechargeMax < c.RechargeMin {
		bad("recharge bounds %s to %s: want 0 < min ≤ max", c.RechargeMin, c.RechargeMax)
	}
	if len(c.ReferencePrefix) != eanLen-refLen || !allDigits(c.ReferencePrefix) {
		bad("reference prefix %q: want %d digits", c.ReferencePrefix, eanLen-refLen)
	}
	if c.MaxDailyElectricityWh <= 0 || c.MaxDailyGasDm3 <= 0 {
		bad("implausible daily maxima %d Wh, %d dm³: must be positive", c.MaxDailyElectricityWh, c.MaxDailyGasDm3)
	}
	if c.DefaultLimiterWatts <= 0 {
		bad("default limiter threshold %d W: must be positive", c.DefaultLimiterWatts)
	}
	if err := c.NDP.validate(); err != nil {
		errs = append(errs, err)
	}
	if c.RetryMin <= 0 || c.RetryMax < c.RetryMin {
		bad("retry backoff %s to %s: want 0 < min ≤ max", c.RetryMin, c.RetryMax)
	}
	if c.ActionLease <= 0 {
		bad("action lease %s: must be positive", c.ActionLease)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("prepay: invalid configuration: %w", err)
	}
	return nil
}
