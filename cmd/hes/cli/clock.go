package cli

import (
	"context"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/meter"
)

func newClockCmd(g *globals) *cobra.Command {
	o := &connectOptions{}
	var set bool
	cmd := &cobra.Command{
		Use:   "clock",
		Short: "Read a meter's clock, or set it to the host's time",
		Long: `Read the clock of a meter (0-0:1.0.0.255): its time, in local time
(Europe/Brussels) and as the meter wrote it, how far it is from the host's
clock, its status and its daylight-saving rules.

With --set, the clock is set to the host's time first, written as local
time with its deviation and daylight-saving status, and then read back.
The host's time is the real time, or HES_NOW when it is set.`,
		Example: `  hes clock --tcp 10.0.0.7:4059
  HES_PASSWORD=... hes clock --serial /dev/ttyUSB0 --optical --auth lls --set`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now, err := clock()
			if err != nil {
				return err
			}
			obis, err := profileOBIS(meter.RoleClock)
			if err != nil {
				return err
			}
			var out clockJSON
			var loc *time.Location
			err = o.withMeter(cmd, g, func(ctx context.Context, c *meter.Client) error {
				loc = c.Location()
				if set {
					if err := c.SetTime(ctx, obis, now()); err != nil {
						return err
					}
				}
				before := now()
				s, err := c.ReadClock(ctx, obis)
				if err != nil {
					return err
				}
				after := now()
				out = newClockJSON(s, before.Add(after.Sub(before)/2), set)
				return nil
			})
			if err != nil {
				return err
			}
			if g.json {
				return writeJSON(g.stdout, out)
			}
			return printClock(g, out, loc)
		},
	}
	o.addFlags(cmd.Flags())
	cmd.Flags().BoolVar(&set, "set", false, "set the clock to the host's time, then read it")
	return cmd
}

// clockJSON is what hes clock prints.
type clockJSON struct {
	MeterTime    *time.Time `json:"meter_time"` // nil when the meter's date-time names no point in time
	DateTime     string     `json:"date_time"`  // as the meter wrote it
	HostTime     time.Time  `json:"host_time"`
	DriftSeconds *float64   `json:"drift_seconds"` // meter minus host
	Status       string     `json:"status"`
	TimeZone     int16      `json:"time_zone"`
	DSTBegin     string     `json:"dst_begin"`
	DSTEnd       string     `json:"dst_end"`
	DSTDeviation int8       `json:"dst_deviation"`
	DSTEnabled   bool       `json:"dst_enabled"`
	Set          bool       `json:"set"`
}

func newClockJSON(s meter.ClockState, host time.Time, set bool) clockJSON {
	j := clockJSON{
		DateTime: s.Time.String(), HostTime: host, Status: s.Status.String(), TimeZone: s.TimeZone,
		DSTBegin: s.DSTBegin.String(), DSTEnd: s.DSTEnd.String(), DSTDeviation: s.DSTDeviation, DSTEnabled: s.DSTEnabled, Set: set,
	}
	if !s.At.IsZero() {
		at := s.At
		drift := at.Sub(host).Seconds()
		j.MeterTime, j.DriftSeconds = &at, &drift
	}
	return j
}

func printClock(g *globals, c clockJSON, loc *time.Location) error {
	meterTime, drift := "not a valid time", "-"
	if c.MeterTime != nil {
		meterTime = localStamp(*c.MeterTime, loc)
		drift = (time.Duration(*c.DriftSeconds * float64(time.Second))).Round(10 * time.Millisecond).String()
	}
	if c.Set {
		drift += " after setting"
	}
	return keyValues(g.stdout,
		[2]string{"meter time", meterTime},
		[2]string{"as written", c.DateTime},
		[2]string{"host time", localStamp(c.HostTime, loc)},
		[2]string{"drift", drift},
		[2]string{"status", c.Status},
		[2]string{"time zone", strconv.Itoa(int(c.TimeZone)) + " min"},
		[2]string{"DST begins", c.DSTBegin},
		[2]string{"DST ends", c.DSTEnd},
		[2]string{"DST deviation", strconv.Itoa(int(c.DSTDeviation)) + " min"},
		[2]string{"DST enabled", strconv.FormatBool(c.DSTEnabled)},
	)
}

// profileOBIS returns the logical name of the object that plays role r
// in the default meter profile.
func profileOBIS(r meter.Role) (dlms.OBIS, error) {
	p, err := meter.LookupProfile(defaultMeterProfile)
	if err != nil {
		return dlms.OBIS{}, err
	}
	o, ok := p.Object(r)
	if !ok {
		return dlms.OBIS{}, badInput("the %s profile has no %s", defaultMeterProfile, r)
	}
	return o.OBIS, nil
}
