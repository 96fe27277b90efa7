package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/prepay"
)

// The prepayment port.
//
// The prepayment engine never talks to a meter: it declares two ports,
// prepay.Readings (the daily indexes) and prepay.Meters (show the balance,
// disconnect, arm reconnection, set or clear the limiter). meterPort
// implements both over the meter package:
//
//   - Readings come from meter.Store.DayIndexes: the store's "no reading" is
//     the engine's, the qualities "read" and "implausible" are daily values
//     (the engine runs its own plausibility checks), "estimated" is the
//     instantaneous fallback, and the breaker (or gas valve) state that the
//     day's read found goes with them.
//   - Each order is one command of the persistent queue, waited for with
//     meter.Queue.Do under a bounded deadline: nil means that the executor
//     confirmed it by reading the object back. An order repeated while the
//     first is still open joins it (the queue never holds two equal open
//     commands), and one repeated after it was carried out is confirmed
//     again without effect, so every method is idempotent. A deadline that
//     runs out leaves the command in the queue; the engine retries later and
//     finds it again.
//   - The three prepayment screens are on the electricity meter. A gas
//     account's ShowBalance does nothing and succeeds (a debug event says
//     so): the engine must not retry an order that no meter can carry out.
//   - Arming never closes a breaker remotely: the queue's executor reads
//     the control mode first and refuses modes 2 and 4. The refusal comes
//     back as an error naming the cause and what an agent must do, logged at
//     error level; the engine keeps the action open with that error as its
//     last error, shown by hes balance and hes cycle, and tries again with
//     its backoff (doubling up to Config.RetryMax, an hour by default),
//     reading the mode again each time, so that the arming goes out once an
//     agent has changed the mode.

// originPrepay marks the commands that the prepayment engine asked for.
const originPrepay = "prepay"

// defaultPortTimeout bounds one order of the engine when the configuration
// gives no attempt deadline.
const defaultPortTimeout = 2 * time.Minute

// meterPort implements prepay.Readings and prepay.Meters over the meter
// store and the command queue.
type meterPort struct {
	store   *meter.Store
	queue   *meter.Queue // nil: a port for readings only
	timeout time.Duration
	log     zerolog.Logger
}

var (
	_ prepay.Readings = (*meterPort)(nil)
	_ prepay.Meters   = (*meterPort)(nil)
)

// newMeterPort returns the port over store and queue; timeout bounds the
// wait for each order (defaultPortTimeout when 0).
func newMeterPort(store *meter.Store, queue *meter.Queue, timeout time.Duration, log zerolog.Logger) *meterPort {
	if timeout <= 0 {
		timeout = defaultPortTimeout
	}
	return &meterPort{store: store, queue: queue, timeout: timeout, log: log}
}

// noReadingError is the store's "no reading" as the engine's: it matches
// prepay.ErrNoReading and keeps the store's error as its cause.
type noReadingError struct{ err error }

func (e *noReadingError) Error() string        { return e.err.Error() }
func (e *noReadingError) Unwrap() error        { return e.err }
func (e *noReadingError) Is(target error) bool { return target == prepay.ErrNoReading }

// DailyIndexes returns the reading of access point ean at 00:00 of day, as
// the store keeps it.
func (p *meterPort) DailyIndexes(_ context.Context, ean string, day prepay.Date) (prepay.DailyIndexes, error) {
	di, err := p.store.DayIndexes(ean, day.String())
	if errors.Is(err, meter.ErrNoReading) {
		return prepay.DailyIndexes{}, &noReadingError{err: err}
	}
	if err != nil {
		return prepay.DailyIndexes{}, err
	}
	out := prepay.DailyIndexes{
		EAN:        ean,
		Day:        day,
		Registers:  di.Registers,
		Quality:    prepayQuality(di.Quality),
		CapturedAt: di.CapturedAt,
		Breaker:    prepayBreaker(di.Breaker),
	}
	return out, nil
}

// prepayQuality maps the quality of a day's readings to the engine's: a
// value the meter captured at midnight (even one the meter package found
// implausible, which the engine checks again with its own bounds) is a
// daily value; an estimate from the instantaneous registers is flagged.
func prepayQuality(q meter.Quality) prepay.Quality {
	if q == meter.QualityEstimated {
		return prepay.QualityInstantaneous
	}
	return prepay.QualityDaily
}

// prepayBreaker maps the disconnect control's state; nil (not read) is
// BreakerUnknown.
func prepayBreaker(b *meter.BreakerState) prepay.BreakerState {
	if b == nil {
		return prepay.BreakerUnknown
	}
	switch b.State {
	case meter.Connected:
		return prepay.BreakerConnected
	case meter.Disconnected:
		return prepay.BreakerDisconnected
	case meter.ReadyForReconnection:
		return prepay.BreakerReady
	}
	return prepay.BreakerUnknown
}

// ShowBalance writes the three prepayment screens of an electricity access
// point; for a gas access point it does nothing (the screens show the
// electricity account).
func (p *meterPort) ShowBalance(ctx context.Context, ean string, d prepay.Display) error {
	m, err := p.store.ByEAN(ean)
	if err != nil {
		return err
	}
	if e, _ := m.EnergyOf(ean); e == meter.EnergyGas {
		p.log.Debug().Str("ean", ean).Str("meter_id", m.ID).Str("balance", d.Balance.String()).
			Msg("prepay port: a gas account's balance is not shown: the meter's screens show the electricity account")
		return nil
	}
	return p.do(ctx, meter.CommandRequest{EAN: ean, Kind: meter.CmdDisplay, Display: &meter.DisplayValues{
		UpdatedAt: d.UpdatedAt, Balance: int64(d.Balance), EmergencyCredit: int64(d.EmergencyCredit),
	}})
}

// Disconnect opens the breaker, or closes the gas valve.
func (p *meterPort) Disconnect(ctx context.Context, ean string) error {
	return p.do(ctx, meter.CommandRequest{EAN: ean, Kind: meter.CmdDisconnect})
}

// ArmReconnection makes the breaker (the valve) ready for reconnection; the
// queue refuses a meter whose control mode would close it remotely.
func (p *meterPort) ArmReconnection(ctx context.Context, ean string) error {
	return p.do(ctx, meter.CommandRequest{EAN: ean, Kind: meter.CmdArm})
}

// SetLimiter sets the power limiter's threshold.
func (p *meterPort) SetLimiter(ctx context.Context, ean string, watts int64) error {
	return p.do(ctx, meter.CommandRequest{EAN: ean, Kind: meter.CmdLimiterSet, Watts: watts})
}

// ClearLimiter deactivates the power limiter.
func (p *meterPort) ClearLimiter(ctx context.Context, ean string) error {
	return p.do(ctx, meter.CommandRequest{EAN: ean, Kind: meter.CmdLimiterClear})
}

// do queues r and waits, at most the port's timeout, until the executor
// carried it out and confirmed it.
func (p *meterPort) do(ctx context.Context, r meter.CommandRequest) error {
	if p.queue == nil {
		return errors.New("prepay port: no command queue: the meters are not reachable from this command")
	}
	r.Origin = originPrepay
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	c, err := p.queue.Do(ctx, r)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, meter.ErrRemoteClose):
		p.log.Error().Str("ean", r.EAN).Str("meter_id", c.MeterID).Uint64("command", c.ID).
			Msg("prepay port: reconnection not armed: the breaker's control mode would close it remotely; an agent must set a mode that arms (1, 3, 5 or 6) or reconnect on site")
		return fmt.Errorf("arming refused: the control mode of meter %s would close the breaker remotely; "+
			"an agent must set a mode that arms (1, 3, 5 or 6) or reconnect on site (command %d): %w", c.MeterID, c.ID, err)
	case ctx.Err() != nil && c.ID != 0:
		within := "within " + p.timeout.String()
		if parent.Err() != nil {
			within = "before the dispatch ended"
		}
		return fmt.Errorf("%s on %s not confirmed %s; command %d stays queued (%s): %w",
			r.Kind, r.EAN, within, c.ID, commandProgress(c), err)
	}
	return err
}

// commandProgress says where a command that is still open is.
func commandProgress(c meter.Command) string {
	s := fmt.Sprintf("%s, %d %s", c.State, c.Attempts, plural(c.Attempts, "attempt", "attempts"))
	if c.LastError != "" {
		s += ", last error: " + c.LastError
	}
	return s
}
