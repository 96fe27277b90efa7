package sim_test

import (
	"context"
	"fmt"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/sim"
	"github.com/openhes/hes/transport"
	"github.com/openhes/hes/transport/tcp"
)

// A fleet of simulated meters on a loopback port, read by the head-end's
// own client: the public association of the first meter, over HDLC at its
// physical address.
func ExampleStart() {
	ctx := context.Background()
	s, err := sim.Start(ctx, sim.Config{FleetConfig: sim.FleetConfig{
		Seed: 1, Size: 10, Start: time.Date(2026, 3, 2, 8, 0, 0, 0, sim.Brussels),
	}})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	s.Fleet().Advance(90 * time.Minute)

	m := s.Inventory().Meters[0]
	link, err := tcp.DialHDLC(ctx, s.Addr(), transport.HDLCConfig{Client: 16, Logical: 1, Physical: m.PhysicalAddress})
	if err != nil {
		panic(err)
	}
	c, err := meter.Connect(ctx, link, meter.Config{})
	if err != nil {
		panic(err)
	}
	defer c.Close(ctx)
	_, t, err := c.ReadTime(ctx, dlms.MustOBIS("0-0:1.0.0.255"))
	if err != nil {
		panic(err)
	}
	name, err := c.ReadDataString(ctx, dlms.MustOBIS("0-0:42.0.0.255"))
	if err != nil {
		panic(err)
	}
	fmt.Println(m.ID, m.Framing, m.Address == s.Addr())
	fmt.Println(name, t.In(sim.Brussels).Format(time.DateTime))
	// Output:
	// SIM000001 hdlc true
	// HESSIM000001 2026-03-02 09:30:00
}
