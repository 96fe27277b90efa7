package sim

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Registers are a meter's indexes at an instant. The electricity registers
// follow the Belgian convention: tariff 1 is day, tariff 2 is night.
type Registers struct {
	ImportDay   int64 // 1-0:1.8.1, Wh
	ImportNight int64 // 1-0:1.8.2, Wh
	ExportDay   int64 // 1-0:2.8.1, Wh
	ExportNight int64 // 1-0:2.8.2, Wh
	GasDm3      int64 // 0-1:24.2.3 in dm³ (m³ with scaler -3); 0 without a gas meter
}

// ImportTotal is 1-0:1.8.0: the sum of the day and night import registers.
func (r Registers) ImportTotal() int64 { return r.ImportDay + r.ImportNight }

// ExportTotal is 1-0:2.8.0: the sum of the day and night export registers.
func (r Registers) ExportTotal() int64 { return r.ExportDay + r.ExportNight }

// GasMeter is the gas meter hanging off a meter's M-Bus.
type GasMeter struct {
	Channel int    // M-Bus channel, 1 to 4
	EAN     string // the gas access point's EAN
}

// Limiter is the configuration of the limiter (interface class 71): when the
// import power stays above ThresholdW for MinOver, the limiter opens the
// breaker (local disconnection); in control modes 5 and 6 it closes it again
// once the power has stayed at or below the threshold for MinUnder. A
// threshold of LimiterOff (99999 W) or more switches it off.
type Limiter struct {
	ThresholdW int64
	MinOver    time.Duration
	MinUnder   time.Duration
}

// LimiterOff is the threshold value that means "no limit".
const LimiterOff = 99999

// DefaultLimiter is a new meter's limiter: off, with one-minute durations.
func DefaultLimiter() Limiter {
	return Limiter{ThresholdW: LimiterOff, MinOver: time.Minute, MinUnder: time.Minute}
}

// Active reports whether the limiter limits anything.
func (l Limiter) Active() bool { return l.ThresholdW < LimiterOff }

// Consumption selects the consumption model of a meter. The zero value is the
// household model drawn from the meter's seed. Fixed replaces it by exactly
// WhPerDay of electricity and GasDm3PerDay of gas per local day, spread evenly
// over the day's quarter-hours, without PV.
type Consumption struct {
	Fixed        bool
	WhPerDay     int64
	GasDm3PerDay int64
}

// maxPerDay bounds fixed daily amounts.
const maxPerDay = 100_000_000

// Display holds the three prepayment screens that the head-end writes.
type Display struct {
	LastUpdate     time.Time // 0-0:94.32.2.1: date and time of the last balance update; zero until written
	BalanceCents   int64     // 0-0:94.32.2.2: signed balance, euro cents
	EmergencyCents int64     // 0-0:94.32.2.3: emergency credit left, euro cents
}

// Unit names one of a meter's two disconnect controls.
type Unit uint8

// The disconnect controls of a meter.
const (
	Breaker Unit = iota // 0-0:96.3.10.255, electricity
	Valve               // 0-n:24.4.0.255, the gas valve
)

func (u Unit) String() string {
	if u == Valve {
		return "valve"
	}
	return "breaker"
}

// Switch is what a disconnect control shows.
type Switch struct {
	State  ControlState
	Mode   ControlMode
	Output bool // output_state: closed (true) or open
}

// ErrNoGas is returned for gas operations on a meter without a gas meter.
var ErrNoGas = errors.New("meter has no gas meter")

// MeterConfig describes one simulated meter.
type MeterConfig struct {
	Identity  Identity
	Seed      uint64     // drives the consumption model
	Household *Household // nil: NewHousehold(Seed, false)
	Gas       *GasMeter  // nil: no gas meter
	// Start is the commissioning instant: history begins there, with the
	// indexes at Base.
	Start    time.Time
	Base     Registers
	Location *time.Location // nil: Brussels
	Bands    *TimeBands     // nil: DefaultBands()
	// PushDelay is when the daily push is sent, after local midnight.
	PushDelay time.Duration
	// SafetyTest is the gas valve's leak-tightness test; 0 means 12 minutes.
	SafetyTest time.Duration
	// DailyEntries and LoadEntries are the capacities, in entries, of the
	// daily values and the 15-minute load profiles; 0 means 400 (days) and
	// 3840 (40 days).
	DailyEntries int
	LoadEntries  int
}

// Meter is a simulated electricity meter, with its gas meter if it has one.
// It computes its state lazily: the methods take the (virtual) instant they
// apply to, the meter moves its frontier to that instant, deriving on the way
// what happens on its own (limiter trips, the valve's safety test), and
// computes registers and profiles from the seeded model and a compact history
// of changes. An instant before the frontier is treated as the frontier for
// commands; queries of the past are answered from the history. Instants have
// a resolution of one second. A Meter is safe for concurrent use.
type Meter struct {
	// Fixed at creation.
	id         Identity
	seed       uint64
	house      Household
	gas        *GasMeter
	loc        *time.Location
	bands      TimeBands
	start      int64
	base       acc
	pushDelay  time.Duration
	safetyTest int64
	dailyCap   int
	loadCap    int

	mu      sync.Mutex
	front   cursor   // the frontier
	live    live     // state machines at the frontier
	hist    []change // every change of the integration parameters
	cps     []cursor // checkpoints of the frontier
	offsets []offset // changes of the clock's drift
	events  []event  // the event log, oldest first
	display Display
	faults  Faults
}

// live is the state of the state machines at the frontier.
type live struct {
	breaker, valve       Switch
	limiter              Limiter
	consumption          Consumption
	overSince, tripAt    int64 // limiter: over the threshold since, tripped at; -1 none
	overLatched          bool  // over the threshold, reported, no trip possible (mode 0)
	loadW                int64
	loadUntil, testUntil int64 // end of the extra load and of the safety test; 0 none
}

// offset is a change of the meter clock's drift at true instant at.
type offset struct{ at, off int64 }

// NewMeter returns a meter commissioned at cfg.Start.
func NewMeter(cfg MeterConfig) (*Meter, error) {
	if cfg.Start.IsZero() {
		return nil, errors.New("meter config: Start is required")
	}
	m := &Meter{
		id:         cfg.Identity,
		seed:       cfg.Seed,
		loc:        cfg.Location,
		bands:      DefaultBands(),
		start:      cfg.Start.Unix(),
		base:       accOf(cfg.Base),
		pushDelay:  cfg.PushDelay,
		safetyTest: int64(cfg.SafetyTest / time.Second),
		dailyCap:   cfg.DailyEntries,
		loadCap:    cfg.LoadEntries,
	}
	if m.loc == nil {
		m.loc = Brussels
	}
	if _, off := cfg.Start.In(m.loc).Zone(); off%slotSec != 0 {
		return nil, fmt.Errorf("meter config: time zone %s is not on quarter-hours", m.loc)
	}
	if cfg.Bands != nil {
		if err := cfg.Bands.Validate(); err != nil {
			return nil, fmt.Errorf("meter config: %w", err)
		}
		m.bands = *cfg.Bands
	}
	if cfg.Household != nil {
		m.house = *cfg.Household
	} else {
		m.house = NewHousehold(cfg.Seed, false)
	}
	if err := m.house.validate(); err != nil {
		return nil, fmt.Errorf("meter config: %w", err)
	}
	if cfg.Gas != nil {
		if cfg.Gas.Channel < 1 || cfg.Gas.Channel > 4 {
			return nil, fmt.Errorf("meter config: M-Bus channel %d out of range 1..4", cfg.Gas.Channel)
		}
		g := *cfg.Gas
		m.gas = &g
	}
	for _, v := range []int64{cfg.Base.ImportDay, cfg.Base.ImportNight, cfg.Base.ExportDay, cfg.Base.ExportNight, cfg.Base.GasDm3} {
		if v < 0 || v > 1<<40 {
			return nil, fmt.Errorf("meter config: base index %d out of range", v)
		}
	}
	if cfg.PushDelay < 0 || cfg.PushDelay >= 24*time.Hour {
		return nil, fmt.Errorf("meter config: push delay %v not within a day", cfg.PushDelay)
	}
	if m.safetyTest <= 0 {
		m.safetyTest = 12 * 60
	}
	if m.dailyCap <= 0 {
		m.dailyCap = 400
	}
	if m.loadCap <= 0 {
		m.loadCap = 40 * 96
	}
	m.front = m.initial()
	m.live = live{
		breaker:   Switch{State: Connected, Mode: DefaultControlMode, Output: true},
		limiter:   DefaultLimiter(),
		overSince: -1,
		tripAt:    -1,
	}
	if m.gas != nil {
		m.live.valve = Switch{State: Connected, Mode: DefaultControlMode, Output: true}
	}
	return m, nil
}

// Identity returns the meter's identity: ids, addresses and keys.
func (m *Meter) Identity() Identity { return m.id }

// ID returns the meter's id.
func (m *Meter) ID() string { return m.id.ID }

// Gas returns the meter's gas meter, or false if it has none.
func (m *Meter) Gas() (GasMeter, bool) {
	if m.gas == nil {
		return GasMeter{}, false
	}
	return *m.gas, true
}

// Household returns the parameters of the meter's household model.
func (m *Meter) Household() Household { return m.house }

// Location returns the meter's time zone.
func (m *Meter) Location() *time.Location { return m.loc }

// Bands returns the meter's tariff time bands.
func (m *Meter) Bands() TimeBands { return m.bands }

// Commissioned returns the instant the meter's history begins.
func (m *Meter) Commissioned() time.Time { return time.Unix(m.start, 0).In(m.loc) }

// sec converts an instant to the model's whole seconds.
func sec(t time.Time) int64 { return t.Unix() }

// at moves the frontier to now and returns the frontier instant; m.mu is
// held.
func (m *Meter) at(now time.Time) int64 {
	m.advance(sec(now))
	return m.front.t
}

// meterTime is the meter's clock at true instant t, as Unix seconds.
func (m *Meter) meterTime(t int64) int64 {
	off := int64(0)
	for _, o := range m.offsets {
		if o.at > t {
			break
		}
		off = o.off
	}
	return t + off
}

// trueInstant is the first true instant at which the meter's clock reads
// meter time mt or later.
func (m *Meter) trueInstant(mt int64) int64 {
	segStart, off := int64(-1<<62), int64(0)
	for _, o := range m.offsets {
		if c := max(segStart, mt-off); c < o.at {
			return c
		}
		segStart, off = o.at, o.off
	}
	return max(segStart, mt-off)
}

func (m *Meter) timeOf(t int64) time.Time { return time.Unix(t, 0).In(m.loc) }
