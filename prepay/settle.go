package prepay

import (
	"fmt"
	"math/bits"
	"slices"
	"time"
)

// Quality says where the indexes of a reading come from.
type Quality string

// The reading qualities.
const (
	// QualityDaily: the daily billing values that the meter captured at
	// 00:00 local time.
	QualityDaily Quality = "DAILY"
	// QualityInstantaneous: no daily value was available; the instantaneous
	// registers were read later, at CapturedAt by the meter's clock. The
	// reading is charged and the settlement flagged.
	QualityInstantaneous Quality = "INSTANTANEOUS"
)

// BreakerState is the disconnect control's state read from the meter, when
// the reading session read it.
type BreakerState string

// The breaker states. The zero value means "not read".
const (
	BreakerUnknown      BreakerState = ""
	BreakerConnected    BreakerState = "CONNECTED"
	BreakerDisconnected BreakerState = "DISCONNECTED"
	BreakerReady        BreakerState = "READY_FOR_RECONNECTION"
)

// DailyIndexes is one daily reading of a meter: the index registers at
// 00:00 local time of Day. The consumption of day D is the difference
// between the reading of D+1 and the reading of D.
type DailyIndexes struct {
	EAN string `json:"ean"`
	// Day is the local day at whose 00:00 the indexes were captured.
	Day Date `json:"day"`
	// Registers maps each register ("1-0:1.8.1" …) to its index: Wh for
	// electricity, dm³ for gas.
	Registers  map[string]int64 `json:"registers"`
	Quality    Quality          `json:"quality"`
	CapturedAt time.Time        `json:"captured_at"`
	// Breaker is the disconnect control's state when the session read it.
	Breaker BreakerState `json:"breaker,omitempty"`
}

// normalize checks r and returns it with canonical register names.
func (r DailyIndexes) normalize() (DailyIndexes, error) {
	if err := ValidateEAN(r.EAN); err != nil {
		return r, err
	}
	if r.Day.IsZero() {
		return r, fmt.Errorf("reading of %s: no day", r.EAN)
	}
	if r.Quality != QualityDaily && r.Quality != QualityInstantaneous {
		return r, fmt.Errorf("reading of %s on %s: quality %q, want %s or %s", r.EAN, r.Day, r.Quality, QualityDaily, QualityInstantaneous)
	}
	switch r.Breaker {
	case BreakerUnknown, BreakerConnected, BreakerDisconnected, BreakerReady:
	default:
		return r, fmt.Errorf("reading of %s on %s: breaker state %q", r.EAN, r.Day, r.Breaker)
	}
	if len(r.Registers) == 0 {
		return r, fmt.Errorf("reading of %s on %s: no register", r.EAN, r.Day)
	}
	out := r
	out.CapturedAt = r.CapturedAt.UTC()
	out.Registers = make(map[string]int64, len(r.Registers))
	for name, v := range r.Registers {
		n, err := NormalizeRegister(name)
		if err != nil {
			return r, fmt.Errorf("reading of %s on %s: %w", r.EAN, r.Day, err)
		}
		if _, dup := out.Registers[n]; dup {
			return r, fmt.Errorf("reading of %s on %s: register %s twice", r.EAN, r.Day, n)
		}
		if v < 0 {
			return r, fmt.Errorf("reading of %s on %s: register %s has a negative index %d", r.EAN, r.Day, n, v)
		}
		out.Registers[n] = v
	}
	return out, nil
}

// Hold is a reading that the settlement would not charge without an agent:
// a register that went down (meter exchange, rollover, bad read), an
// implausible consumption, a priced register missing, no tariff in force.
// The account settles nothing until ResolveHold.
type Hold struct {
	Reading DailyIndexes `json:"reading"`
	Reason  string       `json:"reason"`
	At      time.Time    `json:"at"`
	// Latest is the newest reading received since, settled after the
	// resolution.
	Latest *DailyIndexes `json:"latest,omitempty"`
}

// SettleStatus says what a settlement did.
type SettleStatus string

// The settlement statuses.
const (
	// Settled: the consumption was charged (and debt recovered).
	Settled SettleStatus = "SETTLED"
	// Rebased: an agent took a held reading as the new reference; the
	// days it covers were not charged.
	Rebased SettleStatus = "REBASED"
	// ReferenceTaken: the first reading of an account: nothing to charge
	// yet, the next reading starts from it.
	ReferenceTaken SettleStatus = "REFERENCE"
	// HeldForAgent: the reading is held, see Hold.
	HeldForAgent SettleStatus = "HELD"
	// AlreadySettled: the day was settled before; the first settlement is
	// returned and nothing is booked.
	AlreadySettled SettleStatus = "DUPLICATE"
	// Stale: a reading older than the account's reference: the days it
	// would close were covered already.
	Stale SettleStatus = "STALE"
	// NotSettled: the account is deactivated.
	NotSettled SettleStatus = "NOT_ACTIVE"
)

// RegisterDelta is one register's part in a settlement.
type RegisterDelta struct {
	Register string `json:"register"`
	Role     string `json:"role"` // import, export, other
	From     int64  `json:"from"`
	To       int64  `json:"to"`
	Delta    int64  `json:"delta"` // Wh, or dm³ for gas
	// Price is the price in µ€/kWh when the register is charged.
	Price   int64 `json:"price,omitempty"`
	Charged bool  `json:"charged"`
}

// Settlement is the outcome of settling an account for one or more days.
type Settlement struct {
	EAN    string       `json:"ean"`
	Status SettleStatus `json:"status"`
	Reason string       `json:"reason,omitempty"`
	// From and Until are the consumption days covered, both included: more
	// than one day when readings were missing.
	From  Date `json:"from,omitzero"`
	Until Date `json:"until,omitzero"`
	// Quality is QualityInstantaneous when either reading came from the
	// instantaneous registers.
	Quality   Quality         `json:"quality,omitempty"`
	Registers []RegisterDelta `json:"registers,omitempty"`
	// GasFactor is the conversion factor used (gas, kWh/m³ × 10000).
	GasFactor int64 `json:"gas_factor,omitempty"`
	// Cost is the consumption booked, Recovery the debt recovered (both ≥ 0).
	Cost     Cents `json:"cost"`
	Recovery Cents `json:"recovery"`
	// Exact is the exact cost of the consumption in 10⁻¹³ €, before the
	// sub-cent carry.
	Exact     int64     `json:"exact"`
	Balance   Cents     `json:"balance"`
	Debt      Cents     `json:"debt"`
	SettledAt time.Time `json:"settled_at,omitzero"`
	Agent     string    `json:"agent,omitempty"`
}

// Settle settles an account with a daily reading: the consumption from the
// account's reference reading to r is charged with the tariff, a day of
// debt is recovered, the credit state and supply are derived anew, and the
// meter actions and notifications are recorded, all in one transaction. A
// reading for a day that was settled already books nothing and returns the
// first settlement, so Settle may be called again after any failure.
//
// The first reading of a Pending account activates it (the first
// successful communication with its meter) and becomes its reference.
func (e *Engine) Settle(r DailyIndexes) (Settlement, error) {
	r, err := r.normalize()
	if err != nil {
		return Settlement{}, refused("settle", ErrInvalid, "%v", err)
	}
	var s Settlement
	err = e.update(func(o *op) error {
		a, err := o.account("settle", r.EAN)
		if err != nil {
			return err
		}
		s, err = o.settle(a, r)
		if err != nil {
			return err
		}
		return o.saveAccount(a)
	})
	return s, err
}

func (o *op) settle(a *Account, r DailyIndexes) (Settlement, error) {
	out := Settlement{EAN: a.EAN}
	switch a.State {
	case Deactivated:
		out.Status = NotSettled
		return out, nil
	case Pending:
		if err := o.activate(a); err != nil {
			return out, err
		}
		a.Reference = &r
		out.Status = ReferenceTaken
		return out, nil
	}
	if err := o.observeBreaker(a, r.Breaker); err != nil {
		return out, err
	}
	if h := a.Hold; h != nil {
		if r.Day.After(h.Reading.Day) && (h.Latest == nil || r.Day.After(h.Latest.Day)) {
			h.Latest = &r
		}
		out.Status, out.Reason = HeldForAgent, h.Reason
		return out, nil
	}
	ref := a.Reference
	if ref == nil {
		a.Reference = &r
		out.Status = ReferenceTaken
		return out, nil
	}
	switch {
	case r.Day.Before(ref.Day):
		out.Status = Stale
		return out, nil
	case r.Day == ref.Day:
		// This reading closed the last settled day: answer with that
		// settlement.
		found, err := getJSON(o.tx, bucketSettlements, join([]byte(a.EAN), dayKey(ref.Day.AddDays(-1))), &out)
		if err != nil {
			return out, err
		}
		if !found {
			out = Settlement{EAN: a.EAN}
		}
		out.Status = AlreadySettled
		return out, nil
	}
	return o.settleSpan(a, r, false, "")
}

// settleSpan charges the consumption from the account's reference to r.
// With force (an agent's decision) an implausible consumption is charged.
func (o *op) settleSpan(a *Account, r DailyIndexes, force bool, agent string) (Settlement, error) {
	cfg := o.e.cfg
	ref := a.Reference
	s := Settlement{
		EAN:     a.EAN,
		Status:  Settled,
		From:    ref.Day,
		Until:   r.Day.AddDays(-1),
		Quality: QualityDaily,
		Agent:   agent,
	}
	if ref.Quality == QualityInstantaneous || r.Quality == QualityInstantaneous {
		s.Quality = QualityInstantaneous
	}
	days := int64(ref.Day.DaysUntil(r.Day))
	hold := func(format string, args ...any) (Settlement, error) {
		reason := fmt.Sprintf(format, args...)
		a.Hold = &Hold{Reading: r, Reason: reason, At: o.now}
		o.e.log.Warn().Str("ean", a.EAN).Str("day", r.Day.String()).Str("reason", reason).Msg("prepay: reading held for an agent")
		return Settlement{EAN: a.EAN, Status: HeldForAgent, Reason: reason, From: s.From, Until: s.Until}, nil
	}

	var t Tariff
	found, err := getJSON(o.tx, bucketTariffs, []byte(a.TariffID), &t)
	if err != nil {
		return s, err
	}
	if !found {
		return hold("tariff %q does not exist", a.TariffID)
	}
	v, ok := t.at(s.Until)
	if !ok {
		return hold("tariff %q has no version in force on %s", a.TariffID, s.Until)
	}
	if a.Energy == Gas {
		s.GasFactor = v.GasFactor
	}

	names := make([]string, 0, len(r.Registers))
	for n := range ref.Registers {
		names = append(names, n)
	}
	for n := range r.Registers {
		if _, dup := ref.Registers[n]; !dup {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var imported int64
	var total uint64
	for _, n := range names {
		role := roleOf(n, a.Energy)
		price, priced := v.Prices[n]
		from, okFrom := ref.Registers[n]
		to, okTo := r.Registers[n]
		if !okFrom || !okTo {
			if priced {
				missing := r.Day
				if !okFrom {
					missing = ref.Day
				}
				return hold("charged register %s missing from the reading of %s", n, missing)
			}
			continue
		}
		d := RegisterDelta{Register: n, Role: role.String(), From: from, To: to, Delta: to - from}
		if d.Delta < 0 {
			return hold("register %s went down from %d to %d between %s and %s (meter exchange, rollover or bad read)", n, from, to, ref.Day, r.Day)
		}
		if role == roleImport {
			imported += d.Delta
		}
		if priced {
			d.Price, d.Charged = price, true
			// Wh × µ€/kWh = n€ = 10⁴ units; dm³ × (kWh/m³ × 10⁴) × µ€/kWh = units.
			mult := uint64(10_000)
			if a.Energy == Gas {
				mult = uint64(v.GasFactor)
			}
			hi, x := bits.Mul64(uint64(d.Delta), uint64(price))
			hi2, x2 := bits.Mul64(x, mult)
			var carry uint64
			total, carry = bits.Add64(total, x2, 0)
			if hi != 0 || hi2 != 0 || carry != 0 || total > 1<<62 {
				return hold("the cost of register %s (%d over %d days) is too large to charge", n, d.Delta, days)
			}
		}
		s.Registers = append(s.Registers, d)
	}
	maxDay := cfg.MaxDailyElectricityWh
	unit := "Wh"
	if a.Energy == Gas {
		maxDay, unit = cfg.MaxDailyGasDm3, "dm³"
	}
	if !force && imported > maxDay*days {
		return hold("implausible consumption: %d %s over %d day(s), above the daily maximum of %d %s", imported, unit, days, maxDay, unit)
	}

	// A meter that measures consumption has its breaker closed: an armed
	// breaker was closed by the customer (for gas, after the leak test).
	if a.Supply == ReconnectArmed && imported > 0 {
		if err := o.setSupply(a, Connected); err != nil {
			return s, err
		}
		a.LeakTestRequired = false
	}

	s.Exact = int64(total)
	sum := int64(total) + a.Carry
	s.Cost = Cents(sum / exactPerCent)
	a.Carry = sum % exactPerCent
	s.SettledAt = o.now
	if _, err := o.book(a, Entry{Kind: Consumption, Amount: -s.Cost, From: s.From, Until: s.Until, Agent: agent}); err != nil {
		return s, err
	}
	if a.Debt > 0 && a.Supply == Connected {
		s.Recovery = min(cfg.DebtRecoveryPerDay, a.Debt)
		if _, err := o.book(a, Entry{Kind: DebtRecovery, Amount: -s.Recovery, DebtAmount: -s.Recovery, From: s.From, Until: s.Until}); err != nil {
			return s, err
		}
	}
	s.Balance, s.Debt = a.Balance, a.Debt
	a.Reference = &r
	a.LastSettled = s.Until
	if err := putJSON(o.tx, bucketSettlements, join([]byte(a.EAN), dayKey(s.Until)), s); err != nil {
		return s, err
	}
	if err := o.balanceChanged(a, "settlement of "+s.Until.String()); err != nil {
		return s, err
	}
	return s, nil
}

// observeBreaker takes what the meter says of its breaker into account: an
// armed breaker that reads connected was closed by the customer.
func (o *op) observeBreaker(a *Account, b BreakerState) error {
	if b == BreakerConnected && a.Supply == ReconnectArmed {
		a.LeakTestRequired = false
		return o.setSupply(a, Connected)
	}
	return nil
}

// HoldDecision is what an agent decides about a held reading.
type HoldDecision string

// The hold decisions.
const (
	// ChargeHeld: the consumption is real: charge it as read (a register
	// that went down cannot be charged).
	ChargeHeld HoldDecision = "CHARGE"
	// RebaseHeld: the meter was exchanged or rolled over: the held reading
	// becomes the reference and the days it covers are not charged.
	RebaseHeld HoldDecision = "REBASE"
	// DiscardHeld: the reading was wrong: drop it and keep the reference.
	DiscardHeld HoldDecision = "DISCARD"
)

// ResolveHold applies an agent's decision to an account's held reading,
// then settles the newest reading received meanwhile, if any. The agent and
// a reason are mandatory and audited.
func (e *Engine) ResolveHold(ean string, decision HoldDecision, agent, reason string) (Settlement, error) {
	const opName = "resolve hold"
	if agent == "" || reason == "" {
		return Settlement{}, refused(opName, ErrInvalid, "an agent and a reason are mandatory")
	}
	var s Settlement
	err := e.update(func(o *op) error {
		a, err := o.account(opName, ean)
		if err != nil {
			return err
		}
		h := a.Hold
		if h == nil || a.State != Active {
			return refused(opName, ErrConflict, "account %s has no held reading", ean)
		}
		a.Hold = nil
		switch decision {
		case ChargeHeld:
			s, err = o.settleSpan(a, h.Reading, true, agent)
			if err != nil {
				return err
			}
			if s.Status == HeldForAgent {
				return refused(opName, ErrConflict, "cannot charge: %s", s.Reason)
			}
		case RebaseHeld:
			s = Settlement{EAN: a.EAN, Status: Rebased, From: a.Reference.Day, Until: h.Reading.Day.AddDays(-1),
				Quality: h.Reading.Quality, SettledAt: o.now, Agent: agent, Reason: reason, Balance: a.Balance, Debt: a.Debt}
			a.Reference = &h.Reading
			a.LastSettled = s.Until
			if err := putJSON(o.tx, bucketSettlements, join([]byte(a.EAN), dayKey(s.Until)), s); err != nil {
				return err
			}
		case DiscardHeld:
			s = Settlement{EAN: a.EAN, Status: ReferenceTaken, Reason: reason}
		default:
			return refused(opName, ErrInvalid, "decision %q, want %s, %s or %s", decision, ChargeHeld, RebaseHeld, DiscardHeld)
		}
		if err := o.audit(agent, opName, a.EAN, reason, fmt.Sprintf("%s reading of %s: %s", decision, h.Reading.Day, h.Reason)); err != nil {
			return err
		}
		if h.Latest != nil {
			if next, err := o.settle(a, *h.Latest); err != nil {
				return err
			} else if next.Status != AlreadySettled && next.Status != Stale {
				s = next
			}
		}
		return o.saveAccount(a)
	})
	return s, err
}

// Holds returns the accounts whose settlement waits for an agent.
func (e *Engine) Holds() ([]Account, error) {
	var out []Account
	err := e.eachAccount(func(a Account) error {
		if a.Hold != nil {
			out = append(out, a)
		}
		return nil
	})
	return out, err
}
