// Package sim models simulated smart meters: what a Belgian-style
// electricity meter with a gas meter on its M-Bus measures, shows and does,
// for a fleet of thousands in one process. It knows nothing of DLMS: the
// server side of the simulator exposes this model as COSEM objects.
//
// # Time
//
// A Fleet runs on a virtual Clock that starts at a chosen instant, runs at a
// multiple of real time and can be moved forward at once, so that thirty
// days pass in a second. A Meter never reads a clock: each method takes the
// instant it applies to. The meter keeps a frontier, the latest instant it
// has lived through, and computes lazily: moving the frontier forward
// integrates the consumption model and derives, in order, what happens on
// its own (a limiter trip, the end of the gas valve's safety test, the end
// of an extra load). Commands apply at the frontier; an instant before it
// counts as the frontier. The model's resolution is one second.
//
// # Consumption model
//
// Consumption is a pure function of the meter's seed and the time, per
// quarter-hour: a daily total drawn from the seed, the month and the day of
// the week (a typical household uses 3,500 kWh a year, between 2,000 and
// 5,000), spread over the quarter-hours by one of three household shapes and
// a per-quarter-hour perturbation, in integer Wh that add up to the daily
// total exactly. Some households have PV (2.5 to 8 kWp) producing over a
// seasonal daylight window; import and export are netted per quarter-hour.
// Gas follows a heating season. The fixed mode (Consumption.Fixed) replaces
// all this by exactly WhPerDay and GasDm3PerDay per local day, spread evenly
// over the day's quarter-hours: with the default bands a weekday of 6,000 Wh
// is 3,750 Wh day (60 of 96 quarter-hours) and 2,250 Wh night; a weekend day
// is all night; on the 23- and 25-hour days (always Sundays in Europe) the
// amount is the same.
//
// Power is constant within a quarter-hour, so energy is integrated exactly,
// in joules, from the parameters in force: the breaker's and the valve's
// outputs (an open output stops consumption and PV export), the limiter's
// cap, the consumption mode and any extra load. These change only at
// recorded instants, kept as a compact list of changes; the registers at any
// past instant, and so the daily and load profiles, are computed again from
// the seed and that list, starting from a few checkpoints, not stored row by
// row. An idle meter costs about a kilobyte.
//
// # Registers and profiles
//
// Registers follow the Belgian convention: 1-0:1.8.1 import day, 1.8.2
// import night, 2.8.1 export day, 2.8.2 export night, in Wh; a total is the
// sum of its day and night registers. The gas volume is in dm³ (m³ with
// scaler -3), captured on the hour. The daily values profile captures the
// four indexes and the gas volume at local midnight by the meter's clock,
// which may drift (SetClockOffset) and be set (SetClock); the load profile
// captures the import and export totals every quarter-hour. Both are read by
// range or by entry.
//
// # Time bands
//
// The night register counts on weekdays from 22:00 to 07:00 and all weekend
// (Friday 22:00 to Monday 07:00), Europe/Brussels local time: the common
// Walloon bi-hourly split. The hours vary between distribution areas, so
// TimeBands makes them configurable, on quarter-hours. The meter switches
// bands on the true local time, not on its drifting clock.
//
// # Breaker, valve and limiter
//
// The breaker and the gas valve are disconnect controls (interface class
// 70): Next is the state machine of the Blue Book, control modes 0 to 6 and
// transitions a to h. Press is the customer's button: it closes a breaker
// ready for reconnection, starts the valve's leak-tightness test (twelve
// minutes of meter time) before the valve opens, or otherwise opens the
// breaker where the mode allows a manual disconnection. The limiter (class
// 71) trips the breaker (local disconnection) once the import power has
// stayed above its threshold for its minimum duration, and, in modes 5 and 6,
// closes it again after its minimum under-threshold duration. A household
// under an active limiter keeps its own use at the threshold (its power is
// capped); an extra load (SetExtraLoad) is what pushes the power over it.
//
// # Identity and test keys
//
// A fleet derives everything from its seed: ids (SIM000001 …), EANs that
// validate (18 digits, 54144…, GS1 check digit), HDLC addresses, system
// titles ("HES" and a 5-byte serial) and keys. These keys are test keys:
// anyone with the seed can compute them; they must never go to a real meter.
package sim
