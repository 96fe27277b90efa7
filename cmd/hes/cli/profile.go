package cli

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/meter"
)

func newProfileCmd(g *globals) *cobra.Command {
	o := &connectOptions{}
	var from, to string
	cmd := &cobra.Command{
		Use:   "profile OBIS|ROLE --from TIME [--to TIME]",
		Short: "Read the rows of a profile between two times",
		Long: `Read the rows of a profile generic (class 7) whose clock column is
from --from to --to, both included, with range selective access: the daily
values (1-0:99.2.0.255, or daily_values), the load profile (1-0:99.1.0.255,
or load_profile) ...

Times are local (Europe/Brussels): 2026-11-20 (its midnight),
2026-11-20 06:15, 2026-11-20T06:15:00, or with an offset as in RFC 3339.
--to defaults to now (the host's time, or HES_NOW). The columns are named by
their role in the default meter profile; registers are shown exactly with
the scaler and unit that the meter gives, times in local time.`,
		Example: `  hes profile daily_values --tcp 10.0.0.7:4059 --from 2026-11-01 --to 2026-11-30
  HES_PASSWORD=... hes profile 1-0:99.1.0.255 --serial /dev/ttyUSB0 --optical --auth lls --from "2026-11-20 06:00" --to "2026-11-20 12:00" --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			obis, err := profileArg(args[0])
			if err != nil {
				return err
			}
			loc, err := time.LoadLocation("Europe/Brussels")
			if err != nil {
				return err
			}
			if from == "" {
				return badInput("--from is required")
			}
			start, err := parseLocalTime(from, loc)
			if err != nil {
				return badInput("--from %q: %v", from, err)
			}
			now, err := clock()
			if err != nil {
				return err
			}
			// Now to the second, in the meters' zone, like --from.
			end := now().In(loc).Truncate(time.Second)
			if to != "" {
				if end, err = parseLocalTime(to, loc); err != nil {
					return badInput("--to %q: %v", to, err)
				}
			}
			if end.Before(start) {
				return badInput("--to is before --from")
			}
			var out profileOutput
			err = o.withMeter(cmd, g, func(ctx context.Context, c *meter.Client) error {
				b, err := c.ReadProfileByRange(ctx, obis, start, end)
				if err != nil {
					return err
				}
				out, err = newProfileOutput(ctx, c, obis, start, end, b)
				return err
			})
			if err != nil {
				return err
			}
			if g.json {
				return writeJSON(g.stdout, out)
			}
			return out.table(loc).write(g.stdout)
		},
	}
	o.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&from, "from", "", "first capture time, local (Europe/Brussels)")
	cmd.Flags().StringVar(&to, "to", "", "last capture time, local (default now)")
	return cmd
}

// profileArg reads the profile to read: an OBIS code, or the name of a
// role of the default meter profile.
func profileArg(s string) (dlms.OBIS, error) {
	if o, err := dlms.ParseOBIS(s); err == nil {
		return o, nil
	}
	o, err := profileOBIS(meter.Role(s))
	if err != nil {
		return dlms.OBIS{}, badInput("%q is neither an OBIS code nor a role of the %s profile", s, defaultMeterProfile)
	}
	return o, nil
}

// localLayouts are the forms of a local time on the command line.
var localLayouts = []string{
	"2006-01-02", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05",
}

// parseLocalTime reads a time in loc, or with its own offset (RFC 3339).
func parseLocalTime(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("want a local date and time such as 2026-11-20, 2026-11-20 06:15 or 2026-11-20T06:15:00+01:00")
}

// profileOutput is what hes profile prints.
type profileOutput struct {
	Profile dlms.OBIS       `json:"profile"`
	From    time.Time       `json:"from"`
	To      time.Time       `json:"to"`
	Columns []profileColumn `json:"columns"`
	// Rows hold per column a time (RFC 3339), a quantity (a register's
	// value with its scaler and unit) or the value as the meter sent it.
	Rows [][]any `json:"rows"`
}

// profileColumn is one column of a profile: the captured attribute, its
// role and, for a register, its scaler and unit.
type profileColumn struct {
	OBIS       dlms.OBIS         `json:"obis"`
	Class      dlms.ClassID      `json:"class"`
	Attribute  int8              `json:"attribute"`
	DataIndex  uint16            `json:"data_index,omitempty"`
	Role       meter.Role        `json:"role,omitempty"`
	ScalerUnit *meter.ScalerUnit `json:"scaler_unit,omitempty"`

	time bool // the column holds date-times
}

// newProfileOutput labels the rows of b: it reads the scaler and unit of
// the registers captured, or takes the profile's nominal ones when the
// meter does not give them.
func newProfileOutput(ctx context.Context, c *meter.Client, obis dlms.OBIS, from, to time.Time, b *meter.ProfileBuffer) (profileOutput, error) {
	p, err := meter.LookupProfile(defaultMeterProfile)
	if err != nil {
		return profileOutput{}, err
	}
	out := profileOutput{Profile: obis, From: from, To: to, Rows: [][]any{}}
	for _, co := range b.Columns {
		col := profileColumn{OBIS: co.Instance, Class: co.ClassID, Attribute: co.Attribute, DataIndex: co.DataIndex}
		role, known := p.Role(co.Instance)
		col.Role = role
		switch {
		case co.ClassID == dlms.ClassClock && co.Attribute == 2,
			co.ClassID == dlms.ClassExtendedRegister && co.Attribute == 5:
			col.time = true
		case (co.ClassID == dlms.ClassRegister || co.ClassID == dlms.ClassExtendedRegister) && co.Attribute == 2 && co.DataIndex == 0:
			su, err := c.ReadScalerUnit(ctx, co.ClassID, co.Instance)
			switch {
			case err == nil:
				col.ScalerUnit = &su
			case !isMeterAnswer(err):
				return profileOutput{}, err
			case known:
				if obj, ok := p.Object(role); ok && obj.ScalerUnit != (meter.ScalerUnit{}) {
					col.ScalerUnit = &obj.ScalerUnit
				}
			}
		}
		out.Columns = append(out.Columns, col)
	}
	for i := range b.Rows {
		row := make([]any, len(out.Columns))
		for j, col := range out.Columns {
			row[j] = profileCell(b, i, j, col)
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// profileCell returns the value at row i, column j: a time, a quantity, or the
// value as the meter sent it when it is not what the column should hold.
func profileCell(b *meter.ProfileBuffer, i, j int, col profileColumn) any {
	v, _ := b.Value(i, j)
	switch {
	case col.time:
		if t, err := b.Time(i, j); err == nil {
			return t
		}
	case col.ScalerUnit != nil:
		if q, err := b.Quantity(i, j, *col.ScalerUnit); err == nil {
			return q
		}
	}
	return v
}

func (out profileOutput) table(loc *time.Location) *table {
	header := make([]string, len(out.Columns))
	for j, col := range out.Columns {
		name := col.OBIS.String()
		if col.Role != "" {
			name = string(col.Role)
		}
		if col.Attribute != 2 {
			name += "/" + attributeName(col.Role, col.Attribute)
		}
		if col.ScalerUnit != nil && col.ScalerUnit.Unit != meter.UnitCount {
			name += " (" + col.ScalerUnit.Unit.String() + ")"
		}
		header[j] = name
	}
	t := newTableOf(header...)
	for _, row := range out.Rows {
		cells := make([]string, len(row))
		for j, v := range row {
			switch v := v.(type) {
			case time.Time:
				cells[j] = localStamp(v, loc)
			case meter.Quantity:
				cells[j] = v.Decimal()
			case axdr.Data:
				cells[j] = valueText(v)
			}
		}
		t.add(cells...)
	}
	return t
}

// attributeName names attribute i of the object of role in the default
// meter profile ("capture_time"), or gives its index when the profile does
// not name it.
func attributeName(role meter.Role, i int8) string {
	if p, err := meter.LookupProfile(defaultMeterProfile); err == nil {
		if obj, ok := p.Object(role); ok {
			if a, ok := obj.Attribute(i); ok && a.Name != "" {
				return a.Name
			}
		}
	}
	return strconv.Itoa(int(i))
}
