package meter

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
)

// The attributes of Profile generic (class 7) that the head-end reads.
const (
	attrBuffer         = 2
	attrCaptureObjects = 3
	attrCapturePeriod  = 4
	attrEntriesInUse   = 7
	attrProfileEntries = 8
)

// ProfileBuffer is what a Profile generic (class 7) returned: its rows,
// each with one value per column, and the capture objects that the columns
// hold. Read the values by column with Column and the typed accessors.
type ProfileBuffer struct {
	Columns []apdu.CaptureObject
	Rows    [][]axdr.Data
	// Period is the capture period of the profile, 0 when asynchronous:
	// a clock column left null-data in a row (as meters do for rows at the
	// regular period) is the time of the previous row plus Period.
	Period time.Duration

	loc *time.Location
}

// Column returns the index of the column that holds the attribute attr of
// the object obis (data index 0), or -1 when the profile does not capture
// it.
func (b *ProfileBuffer) Column(class dlms.ClassID, obis dlms.OBIS, attr int8) int {
	for i, co := range b.Columns {
		if co.ClassID == class && co.Instance == obis && co.Attribute == attr && co.DataIndex == 0 {
			return i
		}
	}
	return -1
}

// ClockColumn returns the index of the first column that holds a clock's
// time (class 8, attribute 2), or -1.
func (b *ProfileBuffer) ClockColumn() int {
	for i, co := range b.Columns {
		if co.ClassID == dlms.ClassClock && co.Attribute == 2 {
			return i
		}
	}
	return -1
}

// Value returns the value at row and col, and false when there is none.
func (b *ProfileBuffer) Value(row, col int) (axdr.Data, bool) {
	if row < 0 || row >= len(b.Rows) || col < 0 || col >= len(b.Rows[row]) {
		return axdr.Data{}, false
	}
	return b.Rows[row][col], true
}

// Time returns the date-time at row and col as a point in time: a
// date-time without deviation is read in the meter's time zone, and a
// null-data is the time of the row before plus Period.
func (b *ProfileBuffer) Time(row, col int) (time.Time, error) {
	v, ok := b.Value(row, col)
	if !ok {
		return time.Time{}, fmt.Errorf("meter: profile has no row %d column %d", row, col)
	}
	// Count the null-data back to the last date-time.
	steps := 0
	for v.Tag == axdr.TagNull && b.Period > 0 && row-steps > 0 {
		steps++
		v, _ = b.Value(row-steps, col)
	}
	dt, err := asDateTime(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("profile row %d column %d: %w", row-steps, col, err)
	}
	t, ok := timeOf(dt, b.loc)
	if !ok {
		return time.Time{}, fmt.Errorf("profile row %d column %d: %w: date-time %v does not name a time", row-steps, col, ErrValue, dt)
	}
	return t.Add(time.Duration(steps) * b.Period), nil
}

// Quantity returns the integer at row and col with scaler and unit su
// applied: the scaler_unit of the register that the column captures.
func (b *ProfileBuffer) Quantity(row, col int, su ScalerUnit) (Quantity, error) {
	v, ok := b.Value(row, col)
	if !ok {
		return Quantity{}, fmt.Errorf("meter: profile has no row %d column %d", row, col)
	}
	q, err := quantityOf(v, su)
	if err != nil {
		return Quantity{}, fmt.Errorf("profile row %d column %d: %w", row, col, err)
	}
	return q, nil
}

// ReadCaptureObjects returns the capture_objects of a profile (attribute
// 3): what each column of its buffer holds.
func (c *Client) ReadCaptureObjects(ctx context.Context, obis dlms.OBIS) ([]apdu.CaptureObject, error) {
	return getAs(ctx, c, dlms.ClassProfileGeneric, obis, attrCaptureObjects, asCaptureObjects)
}

// ReadCapturePeriod returns the capture_period of a profile (attribute 4);
// 0 means asynchronous capture.
func (c *Client) ReadCapturePeriod(ctx context.Context, obis dlms.OBIS) (time.Duration, error) {
	return getAs(ctx, c, dlms.ClassProfileGeneric, obis, attrCapturePeriod, asSeconds)
}

// ReadEntriesInUse returns the entries_in_use of a profile (attribute 7):
// how many rows its buffer holds.
func (c *Client) ReadEntriesInUse(ctx context.Context, obis dlms.OBIS) (uint32, error) {
	return getAs(ctx, c, dlms.ClassProfileGeneric, obis, attrEntriesInUse, asUint32)
}

// ReadProfileEntries returns the profile_entries of a profile (attribute
// 8): how many rows its buffer can hold.
func (c *Client) ReadProfileEntries(ctx context.Context, obis dlms.OBIS) (uint32, error) {
	return getAs(ctx, c, dlms.ClassProfileGeneric, obis, attrProfileEntries, asUint32)
}

// ReadProfile reads the whole buffer of a profile, with its capture
// objects and capture period.
func (c *Client) ReadProfile(ctx context.Context, obis dlms.OBIS) (*ProfileBuffer, error) {
	return c.readProfile(ctx, obis, func([]apdu.CaptureObject) (*apdu.SelectiveAccess, error) { return nil, nil })
}

// ReadProfileByRange reads the rows of a profile whose clock column holds
// a time from from to to, both included (selective access by range, the
// clock column as restricting object), with all the columns. The times
// are sent as the meter's local time (Config.Location). It fails with
// ErrValue when the profile captures no clock.
func (c *Client) ReadProfileByRange(ctx context.Context, obis dlms.OBIS, from, to time.Time) (*ProfileBuffer, error) {
	return c.readProfile(ctx, obis, func(cols []apdu.CaptureObject) (*apdu.SelectiveAccess, error) {
		restrict := -1
		for i, co := range cols {
			if co.ClassID == dlms.ClassClock && co.Attribute == 2 {
				restrict = i
				break
			}
		}
		if restrict < 0 {
			return nil, badValue(dlms.ClassProfileGeneric, obis, attrCaptureObjects,
				fmt.Errorf("%w: the profile captures no clock to select a range on", ErrValue))
		}
		r := apdu.Range{
			Restrict: cols[restrict],
			From:     axdr.DateTimeData(axdr.DateTimeOf(from.In(c.loc))),
			To:       axdr.DateTimeData(axdr.DateTimeOf(to.In(c.loc))),
		}
		a := r.Access()
		return &a, nil
	})
}

// ReadProfileByEntry reads rows from to to of a profile's buffer, counted
// from 1 (selective access by entry), with all the columns; a to of 0
// reads up to the last row.
func (c *Client) ReadProfileByEntry(ctx context.Context, obis dlms.OBIS, from, to uint32) (*ProfileBuffer, error) {
	return c.readProfile(ctx, obis, func([]apdu.CaptureObject) (*apdu.SelectiveAccess, error) {
		a := apdu.Entry{FromEntry: from, ToEntry: to, FromValue: 1}.Access()
		return &a, nil
	})
}

// ReadBuffer reads the buffer of a profile with selective access (nil for
// all of it) and returns its rows, unlabelled: for selections of columns
// that the other helpers do not make.
func (c *Client) ReadBuffer(ctx context.Context, obis dlms.OBIS, access *apdu.SelectiveAccess) ([][]axdr.Data, error) {
	buf, err := c.GetWithAccess(ctx, dlms.ClassProfileGeneric, obis, attrBuffer, access)
	if err != nil {
		return nil, err
	}
	rows, err := asRows(buf, -1)
	if err != nil {
		return nil, badValue(dlms.ClassProfileGeneric, obis, attrBuffer, err)
	}
	return rows, nil
}

// readProfile reads the capture objects and capture period of a profile,
// then its buffer with the selective access that sel makes from the
// columns.
func (c *Client) readProfile(ctx context.Context, obis dlms.OBIS, sel func([]apdu.CaptureObject) (*apdu.SelectiveAccess, error)) (*ProfileBuffer, error) {
	const class = dlms.ClassProfileGeneric
	values, err := c.getAttrs(ctx, class, obis, attrCaptureObjects, attrCapturePeriod)
	if err != nil {
		return nil, err
	}
	b := &ProfileBuffer{loc: c.loc}
	if b.Columns, err = asCaptureObjects(values[0]); err != nil {
		return nil, badValue(class, obis, attrCaptureObjects, err)
	}
	if b.Period, err = asSeconds(values[1]); err != nil {
		return nil, badValue(class, obis, attrCapturePeriod, err)
	}
	access, err := sel(b.Columns)
	if err != nil {
		return nil, err
	}
	buf, err := c.GetWithAccess(ctx, class, obis, attrBuffer, access)
	if err != nil {
		return nil, err
	}
	if b.Rows, err = asRows(buf, len(b.Columns)); err != nil {
		return nil, badValue(class, obis, attrBuffer, err)
	}
	return b, nil
}

// asRows reads a buffer: an array (or compact-array) of structures of n
// values each (n < 0: any).
func asRows(d axdr.Data, n int) ([][]axdr.Data, error) {
	items, err := asArray(d)
	if err != nil {
		return nil, err
	}
	rows := make([][]axdr.Data, len(items))
	for i, it := range items {
		if rows[i], err = asStructure(it, n); err != nil {
			return nil, fmt.Errorf("row %d: %w", i+1, err)
		}
	}
	return rows, nil
}

// asUint32 reads an unsigned integer up to 2^32-1.
func asUint32(d axdr.Data) (uint32, error) {
	v, err := asUint(d, math.MaxUint32)
	return uint32(v), err
}

// asSeconds reads a number of seconds up to 2^32-1.
func asSeconds(d axdr.Data) (time.Duration, error) {
	v, err := asUint(d, math.MaxUint32)
	return time.Duration(v) * time.Second, err
}
