package sim_test

import (
	"fmt"
	"time"

	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/sim"
)

// A prepayment cut and reconnection: the head-end disconnects, arms the
// breaker when the balance is back, and the customer presses the button.
func ExampleMeter_Press() {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, sim.Brussels) // a Monday
	m, err := sim.NewMeter(sim.MeterConfig{Identity: sim.NewIdentity(1, 0), Seed: 1, Start: start})
	if err != nil {
		panic(err)
	}
	_ = m.SetConsumption(start, sim.Consumption{Fixed: true, WhPerDay: 6000})

	cut := start.Add(24 * time.Hour)
	tr, _ := m.RemoteDisconnect(cut, sim.Breaker)
	fmt.Println("disconnect:", tr, m.Registers(cut).ImportTotal(), "Wh")

	armed := cut.Add(48 * time.Hour)
	tr, _ = m.RemoteReconnect(armed, sim.Breaker)
	sw, _ := m.Switch(armed, sim.Breaker)
	fmt.Println("reconnect:", tr, sw.State, m.Registers(armed).ImportTotal(), "Wh")

	fmt.Println("press:", m.Press(armed.Add(time.Hour)).Breaker)

	// Day and night use of each day, from the daily values.
	prev := m.RegistersAt(armed, start)
	for _, v := range m.DailyValuesByEntry(start.Add(5*24*time.Hour), 1, 0) {
		day := v.Clock.AddDate(0, 0, -1).Format("Mon")
		fmt.Println(day, v.ImportDay-prev.ImportDay, v.ImportNight-prev.ImportNight)
		prev = v.Registers
	}
	// Output:
	// disconnect: b 6000 Wh
	// reconnect: d ready_for_reconnection 6000 Wh
	// press: e
	// Mon 3750 2250
	// Tue 0 0
	// Wed 0 0
	// Thu 3750 2000
	// Fri 3750 2250
}

// A fleet with faults from the command line. Its clock is frozen (speed 0)
// and moved by hand; with Speed 3600 an hour would pass every second.
func ExampleNewFleet() {
	f, err := sim.NewFleet(sim.FleetConfig{
		Seed: 42, Size: 100, GasShare: 0.4, PVShare: 0.2,
		Start: time.Date(2026, 3, 1, 0, 0, 0, 0, sim.Brussels),
	})
	if err != nil {
		panic(err)
	}
	spec, err := sim.ParseFaultSpec("silent=5%,slow=2%:2s,replaced=SIM000007")
	if err != nil {
		panic(err)
	}
	if _, err := f.ApplyFaults(spec); err != nil {
		panic(err)
	}
	s, _ := f.Status("SIM000007")
	fmt.Println(s.ID, s.Faults.Replaced, s.Registers.ImportTotal(), meter.ValidEAN(s.EAN))
	f.Advance(24 * time.Hour)
	s, _ = f.Status("SIM000007")
	fmt.Println(s.Time.Format(time.DateTime), s.Registers.ImportTotal() > 0)
	// Output:
	// SIM000007 true 0 <nil>
	// 2026-03-02 00:00:00 true
}
