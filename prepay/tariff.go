package prepay

import (
	"fmt"
	"slices"
)

// Tariff is a named set of prices that accounts are put on. Its versions
// take effect on their dates, so a price change is a new version, never an
// edit of the past.
type Tariff struct {
	ID       string          `json:"id"`
	Energy   Energy          `json:"energy"`
	Versions []TariffVersion `json:"versions"`
}

// TariffVersion is the prices in force from a day on, until the next
// version's day.
type TariffVersion struct {
	From Date `json:"from"`
	// Prices maps each charged import register ("1-0:1.8.1" day,
	// "1-0:1.8.2" night, "0-1:24.2.3" gas volume …) to its price in
	// micro-euro per kWh (380000 is 0.38 €/kWh).
	Prices map[string]int64 `json:"prices"`
	// GasFactor is the gas conversion factor in kWh/m³ × 10000 (110000 is
	// 11.0000 kWh/m³); gas tariffs only.
	GasFactor int64 `json:"gas_factor,omitempty"`
}

// maxPrice bounds a price (1000 €/kWh) so that no charge can overflow.
const maxPrice = 1_000_000_000

// normalize checks t and returns it with its register names canonical and
// its versions in date order.
func (t Tariff) normalize() (Tariff, error) {
	if t.ID == "" {
		return t, fmt.Errorf("tariff without an id")
	}
	if !t.Energy.valid() {
		return t, fmt.Errorf("tariff %q: energy %q, want electricity or gas", t.ID, t.Energy)
	}
	if len(t.Versions) == 0 {
		return t, fmt.Errorf("tariff %q: no version", t.ID)
	}
	out := Tariff{ID: t.ID, Energy: t.Energy}
	for _, v := range t.Versions {
		if v.From.IsZero() {
			return t, fmt.Errorf("tariff %q: a version has no start date", t.ID)
		}
		if len(v.Prices) == 0 {
			return t, fmt.Errorf("tariff %q from %s: no price", t.ID, v.From)
		}
		nv := TariffVersion{From: v.From, Prices: make(map[string]int64, len(v.Prices)), GasFactor: v.GasFactor}
		for reg, p := range v.Prices {
			name, err := NormalizeRegister(reg)
			if err != nil {
				return t, fmt.Errorf("tariff %q from %s: %w", t.ID, v.From, err)
			}
			if roleOf(name, t.Energy) != roleImport {
				return t, fmt.Errorf("tariff %q from %s: register %s is not a %s import register; only import is charged", t.ID, v.From, name, t.Energy)
			}
			if _, dup := nv.Prices[name]; dup {
				return t, fmt.Errorf("tariff %q from %s: register %s priced twice", t.ID, v.From, name)
			}
			if p < 0 || p > maxPrice {
				return t, fmt.Errorf("tariff %q from %s: price %d µ€/kWh of %s out of range 0 to %d", t.ID, v.From, p, name, maxPrice)
			}
			nv.Prices[name] = p
		}
		switch t.Energy {
		case Gas:
			// The physical range is about 9.5 to 12.8 kWh/m³; accept 1 to 100.
			if v.GasFactor < 10_000 || v.GasFactor > 1_000_000 {
				return t, fmt.Errorf("tariff %q from %s: gas conversion factor %d (kWh/m³ × 10000) out of range 10000 to 1000000", t.ID, v.From, v.GasFactor)
			}
		case Electricity:
			if v.GasFactor != 0 {
				return t, fmt.Errorf("tariff %q from %s: gas conversion factor on an electricity tariff", t.ID, v.From)
			}
		}
		out.Versions = append(out.Versions, nv)
	}
	slices.SortFunc(out.Versions, func(a, b TariffVersion) int { return a.From.Compare(b.From) })
	for i := 1; i < len(out.Versions); i++ {
		if out.Versions[i].From == out.Versions[i-1].From {
			return t, fmt.Errorf("tariff %q: two versions from %s", t.ID, out.Versions[i].From)
		}
	}
	return out, nil
}

// at returns the version in force on day d.
func (t Tariff) at(d Date) (TariffVersion, bool) {
	for i := len(t.Versions) - 1; i >= 0; i-- {
		if !d.Before(t.Versions[i].From) {
			return t.Versions[i], true
		}
	}
	return TariffVersion{}, false
}
