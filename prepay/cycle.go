package prepay

import (
	"context"
	"errors"
)

// ErrNoReading is returned by a Readings source that has no reading for
// the requested day.
var ErrNoReading = errors.New("no reading")

// Readings is the port through which the engine gets the daily readings
// that the meter package stored.
type Readings interface {
	// DailyIndexes returns the reading of an access point captured at 00:00
	// of day, or an error wrapping ErrNoReading.
	DailyIndexes(ctx context.Context, ean string, day Date) (DailyIndexes, error)
}

// CycleReport tells what a Cycle did.
type CycleReport struct {
	Day         Date
	Settlements []Settlement
	// Missing lists the accounts without a reading: their next reading
	// covers the gap.
	Missing []string
	// Failed maps the accounts whose reading or settlement failed to the
	// error.
	Failed   map[string]error
	Dispatch DispatchReport
}

// Cycle runs the daily cycle of a consumption day: every Pending or Active
// account is settled with its reading of day+1 00:00, then the decided
// meter actions are dispatched through m (skipped when m is nil: the
// head-end then drives Next and Complete itself). A failure of one account
// does not stop the others. Running a day's cycle again books nothing
// twice.
func (e *Engine) Cycle(ctx context.Context, day Date, src Readings, m Meters) (CycleReport, error) {
	rep := CycleReport{Day: day, Failed: map[string]error{}}
	var eans []string
	err := e.eachAccount(func(a Account) error {
		if a.State.inPrepayment() {
			eans = append(eans, a.EAN)
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	for _, ean := range eans {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		r, err := src.DailyIndexes(ctx, ean, day.AddDays(1))
		if errors.Is(err, ErrNoReading) {
			rep.Missing = append(rep.Missing, ean)
			continue
		}
		if err != nil {
			rep.Failed[ean] = err
			continue
		}
		s, err := e.Settle(r)
		if err != nil {
			rep.Failed[ean] = err
			e.log.Error().Str("ean", ean).Err(err).Msg("prepay: settlement failed")
			continue
		}
		rep.Settlements = append(rep.Settlements, s)
	}
	if m != nil {
		rep.Dispatch, err = e.Dispatch(ctx, m)
	}
	return rep, err
}
