package meter

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/openhes/hes/dlms"
)

// ErrNoReading is returned by DayIndexes when an access point has no
// usable reading for a day.
var ErrNoReading = errors.New("no reading")

// DayIndexes is the daily reading of one access point, in the units that
// the settlement counts: Wh for electricity, dm³ for gas. The consumption
// of day D is DayIndexes(D+1) − DayIndexes(D).
type DayIndexes struct {
	EAN     string `json:"ean"`
	MeterID string `json:"meter_id"`
	Energy  Energy `json:"energy"`
	Day     string `json:"day"`
	// Registers maps each register, named by its OBIS code without a
	// trailing ".255" ("1-0:1.8.1", "0-1:24.2.3"), to its index.
	Registers map[string]int64 `json:"registers"`
	// Quality is the worst quality of the registers: read, estimated (the
	// instantaneous registers read after midnight) or implausible.
	Quality Quality `json:"quality"`
	// CapturedAt is the latest capture time of the registers.
	CapturedAt time.Time `json:"captured_at"`
	// Missing lists the registers that the day has no value for.
	Missing []string `json:"missing,omitempty"`
	// Breaker is the state of the access point's disconnect control (the
	// gas valve for gas) as the day's read found it; nil when not read.
	Breaker *BreakerState `json:"breaker,omitempty"`
}

// RegisterName names a register as DayIndexes does: its OBIS code,
// without the last group when it is 255.
func RegisterName(o dlms.OBIS) string {
	s := o.String()
	if o[5] == 255 {
		s = strings.TrimSuffix(s, ".255")
	}
	return s
}

// DayIndexes returns the reading of access point ean (the meter's or its
// gas meter's) for day (YYYY-MM-DD): the index registers of that energy
// captured at 00:00 of day. It fails with an error wrapping ErrNoReading
// when none has a value (never read, or stored as missing).
func (s *Store) DayIndexes(ean, day string) (DayIndexes, error) {
	m, err := s.ByEAN(ean)
	if err != nil {
		return DayIndexes{}, err
	}
	p, err := s.Profile(m.Profile)
	if err != nil {
		return DayIndexes{}, err
	}
	energy, _ := m.EnergyOf(ean)
	out := DayIndexes{EAN: ean, MeterID: m.ID, Energy: energy, Day: day, Registers: map[string]int64{}}
	rs, err := s.Readings(m.ID, day, day)
	if err != nil {
		return out, err
	}
	for _, r := range rs {
		role, _ := p.Role(r.Register)
		gasReg := role == RoleGasVolume
		if gasReg != (energy == EnergyGas) || (gasReg && (m.Gas == nil || r.Register[1] != m.Gas.Channel)) {
			continue
		}
		name := RegisterName(r.Register)
		if r.Quality == QualityMissing {
			out.Missing = append(out.Missing, name)
			continue
		}
		scaler := int8(0) // Wh, and any other unit in its own unit
		if r.Unit == UnitCubicMetre || r.Unit == UnitCubicMetreCorr {
			scaler = -3 // dm³
		}
		v, err := Quantity{Value: r.Value, Scaler: r.Scaler, Unit: r.Unit}.Int(scaler)
		if err != nil {
			return out, fmt.Errorf("meter: reading %s of %q on %s: %w", name, m.ID, day, err)
		}
		out.Registers[name] = v
		if out.Quality == "" || out.Quality.Better(r.Quality) {
			out.Quality = r.Quality
		}
		if r.CapturedAt.After(out.CapturedAt) {
			out.CapturedAt = r.CapturedAt
		}
	}
	slices.Sort(out.Missing)
	if len(out.Registers) == 0 {
		return out, fmt.Errorf("meter: %w for %s on %s", ErrNoReading, ean, day)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		st, ok, err := pollStatus(tx, day, m.ID)
		if err != nil || !ok {
			return err
		}
		if energy == EnergyGas {
			out.Breaker = st.GasValve
		} else {
			out.Breaker = st.Breaker
		}
		return nil
	})
	return out, err
}
