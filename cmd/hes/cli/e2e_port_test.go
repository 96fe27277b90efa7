package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/prepay"
	"github.com/openhes/hes/sim"
)

// The prepayment port against simulated meters: readings from the store,
// orders through the command queue and its executor.

func TestMeterPortReadings(t *testing.T) {
	b := newTestBench(t, 1, 1)
	m := b.fleet.Meters()[0]
	gas, _ := m.Gas()
	elec := m.Identity().EAN
	b.read(t, benchDay)
	port := b.pp.port
	ctx := context.Background()

	got, err := port.DailyIndexes(ctx, elec, benchDay)
	if err != nil {
		t.Fatal(err)
	}
	want := m.RegistersAt(b.fleet.Now(), at(benchDay, 0, 0))
	for reg, v := range map[string]int64{"1-0:1.8.1": want.ImportDay, "1-0:1.8.2": want.ImportNight, "1-0:2.8.1": want.ExportDay, "1-0:2.8.2": want.ExportNight} {
		if got.Registers[reg] != v {
			t.Errorf("%s = %d, the meter captured %d", reg, got.Registers[reg], v)
		}
	}
	if _, ok := got.Registers["0-1:24.2.3"]; ok {
		t.Error("the electricity reading holds the gas volume")
	}
	if got.EAN != elec || got.Day != benchDay || got.Quality != prepay.QualityDaily || got.Breaker != prepay.BreakerConnected {
		t.Errorf("reading %s %s %s breaker %q", got.EAN, got.Day, got.Quality, got.Breaker)
	}
	if !got.CapturedAt.Equal(at(benchDay, 0, 0)) {
		t.Errorf("captured at %s, want midnight", got.CapturedAt)
	}
	g, err := port.DailyIndexes(ctx, gas.EAN, benchDay)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Registers) != 1 || g.Registers["0-1:24.2.3"] != want.GasDm3 || g.Breaker != prepay.BreakerConnected {
		t.Errorf("gas reading %v breaker %q, the meter captured %d dm³", g.Registers, g.Breaker, want.GasDm3)
	}

	// No reading: the engine's error, with the store's as its cause.
	_, err = port.DailyIndexes(ctx, elec, benchDay.AddDays(1))
	if !errors.Is(err, prepay.ErrNoReading) || !errors.Is(err, meter.ErrNoReading) {
		t.Errorf("day not read: %v", err)
	}
	// An access point without a meter is a failure, not a missing day.
	_, err = port.DailyIndexes(ctx, "541449999999999996", benchDay)
	if err == nil || errors.Is(err, prepay.ErrNoReading) {
		t.Errorf("unknown access point: %v", err)
	}

	// Qualities: an estimate is the instantaneous fallback; a value the
	// meter package found implausible is still a daily value.
	for _, c := range []struct {
		day     prepay.Date
		quality meter.Quality
		want    prepay.Quality
	}{
		{benchDay.AddDays(2), meter.QualityEstimated, prepay.QualityInstantaneous},
		{benchDay.AddDays(3), meter.QualityImplausible, prepay.QualityDaily},
		{benchDay.AddDays(4), meter.QualityRead, prepay.QualityDaily},
	} {
		_, err := b.he.store.PutReadings(meter.Reading{
			MeterID: m.ID(), Day: c.day.String(), Register: dlms.MustOBIS("1-0:1.8.1.255"),
			Value: 1234, Unit: meter.UnitWattHour, Quality: c.quality, CapturedAt: at(c.day, 0, 5),
		})
		if err != nil {
			t.Fatal(err)
		}
		r, err := port.DailyIndexes(ctx, elec, c.day)
		if err != nil {
			t.Fatal(err)
		}
		if r.Quality != c.want || r.Registers["1-0:1.8.1"] != 1234 || r.Breaker != prepay.BreakerUnknown {
			t.Errorf("%s reading: quality %s, registers %v, breaker %q; want %s", c.quality, r.Quality, r.Registers, r.Breaker, c.want)
		}
	}
}

func TestPrepayBreaker(t *testing.T) {
	for _, c := range []struct {
		in   *meter.BreakerState
		want prepay.BreakerState
	}{
		{nil, prepay.BreakerUnknown},
		{&meter.BreakerState{Output: true, State: meter.Connected, Mode: 1}, prepay.BreakerConnected},
		{&meter.BreakerState{State: meter.Disconnected, Mode: 1}, prepay.BreakerDisconnected},
		{&meter.BreakerState{State: meter.ReadyForReconnection, Mode: 3}, prepay.BreakerReady},
		{&meter.BreakerState{State: 7}, prepay.BreakerUnknown},
	} {
		if got := prepayBreaker(c.in); got != c.want {
			t.Errorf("prepayBreaker(%+v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMeterPortOrders(t *testing.T) {
	b := newTestBench(t, 2, 1)
	m, other := b.fleet.Meters()[0], b.fleet.Meters()[1]
	gas, _ := m.Gas()
	elec := m.Identity().EAN
	port := b.pp.port
	state := func(ean string) sim.Switch {
		t.Helper()
		st, err := b.fleet.Status(b.meterOf(t, ean).ID())
		if err != nil {
			t.Fatal(err)
		}
		if ean == gas.EAN {
			return st.Gas.Valve
		}
		return st.Breaker
	}
	err := b.run(context.Background(), func(ctx context.Context) error {
		shown := prepay.Display{UpdatedAt: b.fleet.Now(), Balance: -150, EmergencyCredit: 1350}
		if err := port.ShowBalance(ctx, elec, shown); err != nil {
			return fmt.Errorf("show balance: %w", err)
		}
		if d := m.Display(); d.BalanceCents != -150 || d.EmergencyCents != 1350 || !d.LastUpdate.Equal(shown.UpdatedAt.Truncate(time.Second)) {
			t.Errorf("the meter shows %+v", d)
		}
		// The screens show the electricity account: a gas balance is not
		// written, and not retried.
		if err := port.ShowBalance(ctx, gas.EAN, prepay.Display{UpdatedAt: b.fleet.Now(), Balance: 999}); err != nil {
			return fmt.Errorf("gas balance: %w", err)
		}
		if cs, _ := b.he.queue.List(meter.CommandFilter{EAN: gas.EAN}); len(cs) != 0 || m.Display().BalanceCents != -150 {
			t.Errorf("gas balance: %d commands, the meter shows %d", len(cs), m.Display().BalanceCents)
		}
		steps := []struct {
			what string
			do   func() error
			ean  string
			want sim.ControlState
		}{
			{"disconnect", func() error { return port.Disconnect(ctx, elec) }, elec, sim.Disconnected},
			{"disconnect again", func() error { return port.Disconnect(ctx, elec) }, elec, sim.Disconnected},
			{"arm", func() error { return port.ArmReconnection(ctx, elec) }, elec, sim.ReadyForReconnection},
			{"close the valve", func() error { return port.Disconnect(ctx, gas.EAN) }, gas.EAN, sim.Disconnected},
			{"arm the valve", func() error { return port.ArmReconnection(ctx, gas.EAN) }, gas.EAN, sim.ReadyForReconnection},
			{"arm the valve again", func() error { return port.ArmReconnection(ctx, gas.EAN) }, gas.EAN, sim.ReadyForReconnection},
		}
		for _, s := range steps {
			if err := s.do(); err != nil {
				return fmt.Errorf("%s: %w", s.what, err)
			}
			if got := state(s.ean); got.State != s.want {
				t.Errorf("%s: %v on the meter, want %v", s.what, got.State, s.want)
			}
		}
		if err := port.SetLimiter(ctx, elec, 2300); err != nil {
			return fmt.Errorf("set limiter: %w", err)
		}
		if l := m.Limiter(); l.ThresholdW != 2300 {
			t.Errorf("limiter at %d W after SetLimiter(2300)", l.ThresholdW)
		}
		if err := port.ClearLimiter(ctx, elec); err != nil {
			return fmt.Errorf("clear limiter: %w", err)
		}
		if l := m.Limiter(); l.Active() {
			t.Errorf("limiter at %d W after ClearLimiter", l.ThresholdW)
		}
		if err := port.SetLimiter(ctx, gas.EAN, 2300); !errors.Is(err, meter.ErrUnsupported) {
			t.Errorf("a limiter on gas: %v", err)
		}

		// A breaker whose control mode would close it remotely is never
		// armed: the refusal says why and what to do.
		oe := other.Identity().EAN
		if err := other.SetControlMode(b.fleet.Now(), sim.Breaker, 2); err != nil {
			return err
		}
		if err := port.Disconnect(ctx, oe); err != nil {
			return fmt.Errorf("disconnect mode 2: %w", err)
		}
		err := port.ArmReconnection(ctx, oe)
		if !errors.Is(err, meter.ErrRemoteClose) || !strings.Contains(err.Error(), "arming refused") || !strings.Contains(err.Error(), other.ID()) {
			t.Errorf("arming in mode 2: %v", err)
		}
		if got := state(oe); got.State != sim.Disconnected || got.Output {
			t.Errorf("mode 2 after the refused arming: %v", got.State)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMeterPortTimeout(t *testing.T) {
	b := newTestBench(t, 1, 0)
	elec := b.fleet.Meters()[0].Identity().EAN
	// No executor runs: the order is queued and not confirmed in time.
	port := newMeterPort(b.he.store, b.he.queue, 30*time.Millisecond, zerolog.Nop())
	ctx := context.Background()
	for range 2 {
		err := port.Disconnect(ctx, elec)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "stays queued") {
			t.Fatalf("disconnect without an executor: %v", err)
		}
	}
	// Asked twice, queued once.
	cs, err := b.he.queue.List(meter.CommandFilter{EAN: elec})
	if err != nil || len(cs) != 1 || cs[0].Origin != originPrepay {
		t.Fatalf("commands %+v, %v", cs, err)
	}
	err = b.run(ctx, func(ctx context.Context) error {
		port.timeout = 10 * time.Second
		return port.Disconnect(ctx, elec)
	})
	if err != nil {
		t.Fatal(err)
	}
	if cs, _ := b.he.queue.List(meter.CommandFilter{EAN: elec}); len(cs) != 1 || cs[0].State != meter.StateDone {
		t.Errorf("commands after the executor ran: %+v", cs)
	}
	if err := newMeterPort(b.he.store, nil, 0, zerolog.Nop()).ClearLimiter(ctx, elec); err == nil {
		t.Error("an order without a queue did not fail")
	}
}

func TestUnreachable(t *testing.T) {
	failed := func(r meter.Reason) error {
		return &meter.CommandError{Command: meter.Command{Kind: meter.CmdDisplay, State: meter.StateFailed, Reason: r}}
	}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{failed(meter.ReasonTimeout), true},
		{failed(meter.ReasonLink), true},
		{failed(meter.ReasonAssociation), true},
		{failed(meter.ReasonRefused), false},
		{failed(meter.ReasonNotConfirmed), false},
		{failed(meter.ReasonData), false},
		{fmt.Errorf("stays queued: %w", context.DeadlineExceeded), true},
		{errors.New("disk full"), false},
	} {
		if got := unreachable(c.err); got != c.want {
			t.Errorf("unreachable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// A running head-end dispatches on its own: at once, then every
// prepayDispatchEvery, until it stops.
func TestPrepaymentRun(t *testing.T) {
	b := newTestBench(t, 1, 0)
	m := b.fleet.Meters()[0]
	elec := m.Identity().EAN
	b.openAccount(t, elec, prepay.Electricity, "31.00")
	if _, err := b.pp.engine.MeterCommunicated(elec); err != nil {
		t.Fatal(err)
	}
	err := b.run(context.Background(), func(ctx context.Context) error {
		ctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- b.pp.run(ctx) }()
		deadline := time.Now().Add(10 * time.Second)
		for m.Display().BalanceCents != 3100 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		stop()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("run returned %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := m.Display(); d.BalanceCents != 3100 || d.EmergencyCents != 1500 {
		t.Errorf("the meter shows %+v after the activation", d)
	}
}
