package sim

import (
	"errors"
	"fmt"
	"time"
)

// FleetConfig describes a simulated fleet.
type FleetConfig struct {
	Seed     uint64  // everything about the fleet derives from it
	Size     int     // number of electricity meters
	GasShare float64 // share of meters with a gas meter on M-Bus channel 1, 0 to 1
	PVShare  float64 // share of households with PV, 0 to 1

	Start    time.Time        // the virtual clock's first instant; required
	Speed    float64          // virtual seconds per real second; 0 freezes the clock
	RealTime func() time.Time // source of real time for the clock; nil means time.Now

	// History is how long before Start the meters were commissioned, so
	// that their profiles hold that much history; 0 means 120 days.
	History  time.Duration
	Location *time.Location // nil: Brussels
	Bands    *TimeBands     // nil: DefaultBands()
	// Each meter pushes its daily values PushDelay after local midnight,
	// plus a share of PushSpread drawn from its seed.
	PushDelay  time.Duration
	PushSpread time.Duration
}

// DefaultHistory is the history of a fleet whose config gives none.
const DefaultHistory = 120 * 24 * time.Hour

// Fleet is a set of simulated meters sharing a virtual clock. It is safe for
// concurrent use.
type Fleet struct {
	cfg    FleetConfig
	clock  *Clock
	meters []*Meter
	byID   map[string]*Meter
	byEAN  map[string]*Meter
}

// ErrUnknownMeter is returned for a meter id or EAN that the fleet lacks.
var ErrUnknownMeter = errors.New("unknown meter")

// NewFleet builds a fleet. The same config always builds the same fleet.
func NewFleet(cfg FleetConfig) (*Fleet, error) {
	switch {
	case cfg.Start.IsZero():
		return nil, errors.New("fleet config: Start is required")
	case cfg.Size < 0 || cfg.Size > 10_000_000:
		return nil, fmt.Errorf("fleet config: size %d out of range", cfg.Size)
	case cfg.GasShare < 0 || cfg.GasShare > 1 || cfg.PVShare < 0 || cfg.PVShare > 1:
		return nil, fmt.Errorf("fleet config: shares %v, %v not within [0, 1]", cfg.GasShare, cfg.PVShare)
	case cfg.History < 0 || cfg.PushDelay < 0 || cfg.PushSpread < 0 || cfg.PushDelay+cfg.PushSpread >= 24*time.Hour:
		return nil, errors.New("fleet config: negative history or push times beyond a day")
	}
	if cfg.History == 0 {
		cfg.History = DefaultHistory
	}
	f := &Fleet{
		cfg:    cfg,
		clock:  NewClock(cfg.Start, cfg.Speed, cfg.RealTime),
		meters: make([]*Meter, cfg.Size),
		byID:   make(map[string]*Meter, cfg.Size),
		byEAN:  make(map[string]*Meter, cfg.Size),
	}
	commissioned := cfg.Start.Add(-cfg.History)
	gasBP := int(cfg.GasShare * 10000)
	pvBP := int(cfg.PVShare * 10000)
	for i := range f.meters {
		seed := hash(cfg.Seed, tagFleet, int64(i)+1)
		mc := MeterConfig{
			Identity: NewIdentity(cfg.Seed, i),
			Seed:     seed,
			Start:    commissioned,
			Location: cfg.Location,
			Bands:    cfg.Bands,
		}
		h := NewHousehold(seed, int(hash(seed, tagFleet, 1)%10000) < pvBP)
		mc.Household = &h
		if int(hash(seed, tagFleet, 2)%10000) < gasBP {
			mc.Gas = &GasMeter{Channel: 1, EAN: gasEAN(cfg.Seed, i)}
		}
		mc.Base = baseRegisters(seed, h, mc.Gas != nil)
		mc.PushDelay = cfg.PushDelay
		if s := int64(cfg.PushSpread / time.Second); s > 0 {
			mc.PushDelay += time.Duration(hash(seed, tagPush, 0)%uint64(s+1)) * time.Second
		}
		m, err := NewMeter(mc)
		if err != nil {
			return nil, err
		}
		f.meters[i] = m
		f.byID[m.id.ID] = m
		f.byEAN[m.id.EAN] = m
		if m.gas != nil {
			f.byEAN[m.gas.EAN] = m
		}
	}
	return f, nil
}

// baseRegisters draws plausible indexes for a meter in service for one to
// ten years: 55 % of the import by day, PV export mostly by day.
func baseRegisters(seed uint64, h Household, gas bool) Registers {
	years := 1 + int64(hash(seed, tagBase, 0)%10)
	var r Registers
	imp := h.AnnualWh * years
	r.ImportDay = imp * 55 / 100
	r.ImportNight = imp - r.ImportDay
	exp := h.PVPeakW * 500 / 1000 * years
	r.ExportDay = exp * 85 / 100
	r.ExportNight = exp - r.ExportDay
	if gas {
		r.GasDm3 = h.GasAnnualDm3 * years
	}
	return r
}

// Config returns the fleet's config, with its defaults filled in.
func (f *Fleet) Config() FleetConfig { return f.cfg }

// Clock returns the fleet's virtual clock.
func (f *Fleet) Clock() *Clock { return f.clock }

// Now returns the current virtual instant.
func (f *Fleet) Now() time.Time { return f.clock.Now() }

// Advance moves the virtual clock forward by d. The meters catch up lazily,
// every daily capture, change of summer time and pending delay in order.
func (f *Fleet) Advance(d time.Duration) { f.clock.Advance(d) }

// Len returns the number of meters.
func (f *Fleet) Len() int { return len(f.meters) }

// Meters returns the meters, by index.
func (f *Fleet) Meters() []*Meter { return append([]*Meter(nil), f.meters...) }

// Meter returns the meter with the given id.
func (f *Fleet) Meter(id string) (*Meter, error) {
	if m, ok := f.byID[id]; ok {
		return m, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownMeter, id)
}

// MeterByEAN returns the meter of an electricity or gas EAN.
func (f *Fleet) MeterByEAN(ean string) (*Meter, error) {
	if m, ok := f.byEAN[ean]; ok {
		return m, nil
	}
	return nil, fmt.Errorf("%w: EAN %q", ErrUnknownMeter, ean)
}

// Status returns what meter id shows now.
func (f *Fleet) Status(id string) (Status, error) {
	m, err := f.Meter(id)
	if err != nil {
		return Status{}, err
	}
	return m.Status(f.Now()), nil
}

// Statuses returns what every meter shows now, by index.
func (f *Fleet) Statuses() []Status {
	now := f.Now()
	out := make([]Status, len(f.meters))
	for i, m := range f.meters {
		out[i] = m.Status(now)
	}
	return out
}

// Press presses meter id's button now.
func (f *Fleet) Press(id string) (PressResult, error) {
	m, err := f.Meter(id)
	if err != nil {
		return PressResult{}, err
	}
	return m.Press(f.Now()), nil
}

// SetConsumption changes meter id's consumption model from now on.
func (f *Fleet) SetConsumption(id string, c Consumption) error {
	m, err := f.Meter(id)
	if err != nil {
		return err
	}
	return m.SetConsumption(f.Now(), c)
}

// ApplyFaults switches on, now, the faults of spec on the meters each rule
// selects (the share of a rule is drawn from the fleet seed, so the same
// spec selects the same meters), and returns the ids of the meters touched.
// A "replaced" rule replaces the selected meters at once. Nothing is applied
// when a rule names a meter the fleet lacks.
func (f *Fleet) ApplyFaults(spec FaultSpec) ([]string, error) {
	for _, r := range spec {
		for _, id := range r.IDs {
			if _, err := f.Meter(id); err != nil {
				return nil, fmt.Errorf("fault %v: %w", r.Kind, err)
			}
		}
	}
	now := f.Now()
	var touched []string
	for i, m := range f.meters {
		var rules []FaultRule
		for _, r := range spec {
			if r.selects(f.cfg.Seed, i, m.id.ID) {
				rules = append(rules, r)
			}
		}
		if len(rules) == 0 {
			continue
		}
		touched = append(touched, m.id.ID)
		m.mu.Lock()
		for _, r := range rules {
			if r.Kind == FaultReplaced {
				m.replace(now)
			} else {
				r.set(&m.faults)
			}
		}
		m.mu.Unlock()
	}
	return touched, nil
}
