package sim

import (
	"io"

	"github.com/openhes/hes/meter"
)

// DefaultProfile is the meter profile that simulated meters serve.
const DefaultProfile = "be-elec-default"

// InventoryOptions say how the head-end reaches the fleet's meters.
type InventoryOptions struct {
	Profile string              // meter profile; "" means DefaultProfile
	Link    meter.LinkKind      // "" lets the importer infer it from the other fields
	Framing meter.Framing       // "" means meter.FramingHDLC
	Address func(*Meter) string // a meter's network address; nil leaves it empty
}

// Inventory lists the fleet's meters in the head-end's inventory format,
// with their test keys, for meter.Store.ImportInventory. The caller may
// complete the entries (a concentrator, associations) before writing them.
func (f *Fleet) Inventory(opts InventoryOptions) meter.Inventory {
	if opts.Profile == "" {
		opts.Profile = DefaultProfile
	}
	if opts.Framing == "" {
		opts.Framing = meter.FramingHDLC
	}
	inv := meter.Inventory{Meters: make([]meter.InventoryMeter, 0, len(f.meters))}
	for _, m := range f.meters {
		id := m.id
		e := meter.InventoryMeter{
			ID:              id.ID,
			EAN:             id.EAN,
			Energy:          meter.EnergyElectricity,
			Profile:         opts.Profile,
			Link:            opts.Link,
			Framing:         opts.Framing,
			PhysicalAddress: id.PhysicalAddress,
			SystemTitle:     meter.Hex(append([]byte(nil), id.SystemTitle[:]...)),
			Keys: meter.NewInventoryKeys(meter.Keys{
				EK:          meter.NewSecret(id.Keys.EK[:]),
				AK:          meter.NewSecret(id.Keys.AK[:]),
				KEK:         meter.NewSecret(id.Keys.KEK[:]),
				LLSPassword: meter.NewSecret([]byte(id.Keys.LLSPassword)),
				HLSSecret:   meter.NewSecret(id.Keys.HLSSecret[:]),
			}),
		}
		if opts.Address != nil {
			e.Address = opts.Address(m)
		}
		if m.gas != nil {
			e.Gas = &meter.InventoryGas{Channel: uint8(m.gas.Channel), EAN: m.gas.EAN}
		}
		inv.Meters = append(inv.Meters, e)
	}
	return inv
}

// WriteInventory writes the fleet's inventory as JSON (meter.WriteInventory).
func (f *Fleet) WriteInventory(w io.Writer, opts InventoryOptions) error {
	return meter.WriteInventory(w, f.Inventory(opts))
}
