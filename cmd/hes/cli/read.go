package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/meter"
)

func newReadCmd(g *globals) *cobra.Command {
	o := &connectOptions{}
	cmd := &cobra.Command{
		Use:   "read OBIS[:CLASS[:ATTR]]...",
		Short: "Read COSEM objects of a meter",
		Long: `Read attributes of COSEM objects of a meter over one association.

Each object is an OBIS code, with its interface class and attribute when the
default meter profile (` + defaultMeterProfile + `) does not know it: a known object
needs no class, and the attribute is 2 (the value) unless given. Registers
are shown with their scaler and unit applied, exactly; clocks as local time.

An object that the meter refuses (read-write denied, object undefined) is
reported on its row and the others are still read; hes then exits with
status 1.`,
		Example: `  hes read --tcp 10.0.0.7:4059 0-0:1.0.0 0-0:42.0.0
  HES_PASSWORD=... hes read --tcp 10.0.0.7:4059 --auth lls 1-0:1.8.1 1-0:1.8.2
  HES_PASSWORD=... hes read --serial /dev/ttyUSB0 --optical --auth lls 1-0:1.8.0.255 0-0:96.99.9.255:1:2
  hes read --tcp 10.0.0.7:4059 --auth hls-gmac --ek-file ek.hex --ak-file ak.hex 0-1:24.2.3 --json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			items, err := parseReadItems(args)
			if err != nil {
				return err
			}
			var results []readResult
			err = o.withMeter(cmd, g, func(ctx context.Context, c *meter.Client) error {
				for _, it := range items {
					r, err := readItem(ctx, c, it)
					if err != nil && !isMeterAnswer(err) {
						return err
					}
					results = append(results, r)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if err := printReads(g, results); err != nil {
				return err
			}
			failed := 0
			var first error
			for _, r := range results {
				if r.Error != "" {
					failed++
					if first == nil {
						first = r.err
					}
				}
			}
			if failed > 0 {
				return o.accessHint(fmt.Errorf("%d of %d objects could not be read: %w", failed, len(results), first))
			}
			return nil
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

// objectRef is an attribute of an object to read.
type objectRef struct {
	obis  dlms.OBIS
	class dlms.ClassID
	attr  int8
	role  meter.Role
}

// parseReadItems reads the OBIS[:CLASS[:ATTR]] arguments.
func parseReadItems(args []string) ([]objectRef, error) {
	p, err := meter.LookupProfile(defaultMeterProfile)
	if err != nil {
		return nil, err
	}
	refs := make([]objectRef, len(args))
	for i, a := range args {
		parts := strings.Split(a, ":")
		name, rest := parts[0], parts[1:]
		if strings.Contains(parts[0], "-") && len(parts) > 1 {
			name, rest = parts[0]+":"+parts[1], parts[2:]
		}
		o, err := dlms.ParseOBIS(name)
		if err != nil || len(rest) > 2 {
			return nil, badInput("%q: want OBIS[:CLASS[:ATTR]], e.g. 1-0:1.8.0.255 or 0-0:96.99.9.255:1:2", a)
		}
		ref := objectRef{obis: o, attr: 2}
		if role, ok := p.Role(o); ok {
			obj, _ := p.Object(role)
			ref.role, ref.class = role, obj.Class
		}
		if len(rest) > 0 {
			n, err := strconv.ParseUint(rest[0], 10, 16)
			if err != nil || n == 0 {
				return nil, badInput("%q: class %q is not a class id", a, rest[0])
			}
			ref.class = dlms.ClassID(n)
		}
		if len(rest) > 1 {
			n, err := strconv.ParseInt(rest[1], 10, 8)
			if err != nil || n < 1 {
				return nil, badInput("%q: attribute %q is not an attribute index from 1 to 127", a, rest[1])
			}
			ref.attr = int8(n)
		}
		if ref.class == 0 {
			return nil, badInput("%q: the %s profile does not know %v: give its class, as %v:CLASS[:ATTR]", a, defaultMeterProfile, o, o)
		}
		refs[i] = ref
	}
	return refs, nil
}

// readResult is one object read, for the table and for JSON.
type readResult struct {
	OBIS      dlms.OBIS       `json:"obis"`
	Class     dlms.ClassID    `json:"class"`
	Attribute int8            `json:"attribute"`
	Role      meter.Role      `json:"role,omitempty"`
	Value     *axdr.Data      `json:"value,omitempty"`    // as the meter sent it
	Quantity  *meter.Quantity `json:"quantity,omitempty"` // a register's value with its scaler and unit
	Time      *time.Time      `json:"time,omitempty"`     // a date-time's point in time
	Text      string          `json:"text"`               // the value for people
	Error     string          `json:"error,omitempty"`
	err       error           // what Error says
}

// readItem reads one attribute. Registers come with their scaler and
// unit, a clock's time as a point in time.
func readItem(ctx context.Context, c *meter.Client, it objectRef) (readResult, error) {
	r := readResult{OBIS: it.obis, Class: it.class, Attribute: it.attr, Role: it.role}
	fail := func(err error) (readResult, error) {
		// The row names the object: the error need not.
		why := err
		var op *meter.OpError
		if errors.As(err, &op) {
			why = op.Err
		}
		r.Error, r.err = why.Error(), why
		r.Text = "error: " + r.Error
		return r, err
	}
	switch {
	case it.class == dlms.ClassRegister && it.attr == 2:
		q, err := c.ReadRegister(ctx, it.obis)
		if err != nil {
			return fail(err)
		}
		r.Quantity, r.Text = &q, q.String()
	case it.class == dlms.ClassExtendedRegister && it.attr == 2:
		x, err := c.ReadExtendedRegister(ctx, it.obis)
		if err != nil {
			return fail(err)
		}
		r.Quantity, r.Text = &x.Quantity, x.Quantity.String()
		if !x.Captured.IsZero() {
			r.Time = &x.Captured
			r.Text += " at " + localStamp(x.Captured, c.Location())
		}
	case it.class == dlms.ClassClock && it.attr == 2:
		dt, at, err := c.ReadTime(ctx, it.obis)
		if err != nil {
			return fail(err)
		}
		r.Time, r.Text = &at, localStamp(at, c.Location())+" ("+dt.String()+")"
	default:
		v, err := c.Get(ctx, it.class, it.obis, it.attr)
		if err != nil {
			return fail(err)
		}
		r.Value, r.Text = &v, valueText(v)
	}
	return r, nil
}

// isMeterAnswer reports whether err is the meter's refusal of one object,
// or a value it cannot read, after which the association goes on.
func isMeterAnswer(err error) bool {
	var dar dlms.DataAccessResult
	var ar dlms.ActionResult
	return errors.As(err, &dar) || errors.As(err, &ar) || errors.Is(err, meter.ErrValue)
}

func printReads(g *globals, results []readResult) error {
	if g.json {
		return writeJSON(g.stdout, results)
	}
	t := newTableOf("object", "class", "attr", "value")
	for _, r := range results {
		name := r.OBIS.String()
		if r.Role != "" {
			name += " (" + string(r.Role) + ")"
		}
		t.add(name, strconv.Itoa(int(r.Class)), strconv.Itoa(int(r.Attribute)), r.Text)
	}
	return t.write(g.stdout)
}
