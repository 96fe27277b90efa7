package meter_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/meter"
)

func TestProfileAttributes(t *testing.T) {
	ctx := context.Background()
	c, _, _ := dial(t, sapTechnician, technician())
	cols, err := c.ReadCaptureObjects(ctx, obDaily)
	if err != nil {
		t.Fatal(err)
	}
	want := []apdu.CaptureObject{
		{ClassID: dlms.ClassClock, Instance: obClock, Attribute: 2},
		{ClassID: dlms.ClassRegister, Instance: obImportDay, Attribute: 2},
		{ClassID: dlms.ClassRegister, Instance: obImportNgt, Attribute: 2},
	}
	if len(cols) != len(want) {
		t.Fatalf("capture objects %v", cols)
	}
	for i := range want {
		if cols[i] != want[i] {
			t.Errorf("column %d: %+v, want %+v", i, cols[i], want[i])
		}
	}
	if p, err := c.ReadCapturePeriod(ctx, obDaily); err != nil || p != 24*time.Hour {
		t.Errorf("capture period %v, %v", p, err)
	}
	if n, err := c.ReadEntriesInUse(ctx, obDaily); err != nil || n != 10 {
		t.Errorf("entries in use %d, %v", n, err)
	}
	if n, err := c.ReadProfileEntries(ctx, obDaily); err != nil || n != 40 {
		t.Errorf("profile entries %d, %v", n, err)
	}
}

func TestReadProfileByRange(t *testing.T) {
	ctx := context.Background()
	c, m, _ := dial(t, sapTechnician, technician())
	loc := brussels(t)
	from := time.Date(2026, 11, 20, 0, 0, 0, 0, loc)
	to := time.Date(2026, 11, 22, 0, 0, 0, 0, loc)
	b, err := c.ReadProfileByRange(ctx, obDaily, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Rows) != 3 || b.Period != 24*time.Hour {
		t.Fatalf("%d rows, period %v", len(b.Rows), b.Period)
	}
	clock, day := b.ClockColumn(), b.Column(dlms.ClassRegister, obImportDay, 2)
	if clock != 0 || day != 1 || b.Column(dlms.ClassRegister, obImport, 2) != -1 {
		t.Fatalf("columns: clock %d, day %d", clock, day)
	}
	for i := range b.Rows {
		at, err := b.Time(i, clock)
		if want := from.AddDate(0, 0, i); err != nil || !at.Equal(want) {
			t.Errorf("row %d: time %v, %v; want %v", i, at, err, want)
		}
		q, err := b.Quantity(i, day, meter.ScalerUnit{Unit: meter.UnitWattHour})
		if want := int64(1000 * (i + 2)); err != nil || q.Value != want {
			t.Errorf("row %d: index %v, %v; want %d", i, q, err, want)
		}
	}

	// The request: a range on the clock column, in the meter's local time.
	last := m.gets[len(m.gets)-1]
	r, err := apdu.ParseRange(*last.Access)
	if err != nil {
		t.Fatal(err)
	}
	if r.Restrict != (apdu.CaptureObject{ClassID: dlms.ClassClock, Instance: obClock, Attribute: 2}) || len(r.Selected) != 0 {
		t.Errorf("range %+v", r)
	}
	if dt, _ := r.From.DateTime(); dt.Deviation != -60 || dt.Hour != 0 || dt.Day != 20 {
		t.Errorf("from %v, want local midnight", dt)
	}

	// A range outside the buffer is empty, not an error.
	b, err = c.ReadProfileByRange(ctx, obDaily, from.AddDate(1, 0, 0), to.AddDate(1, 0, 0))
	if err != nil || len(b.Rows) != 0 {
		t.Errorf("empty range: %d rows, %v", len(b.Rows), err)
	}

	// A profile without a clock has no range to select.
	if _, err := c.ReadProfileByRange(ctx, obCompact, from, to); !errors.Is(err, meter.ErrValue) {
		t.Errorf("no clock column: %v", err)
	}
}

func TestReadProfileByEntry(t *testing.T) {
	ctx := context.Background()
	c, _, _ := dial(t, sapTechnician, technician())
	b, err := c.ReadProfileByEntry(ctx, obDaily, 9, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Rows) != 2 {
		t.Fatalf("%d rows, want 2", len(b.Rows))
	}
	if v, ok := b.Value(1, 2); !ok || !v.Equal(axdr.Uint32(4500)) {
		t.Errorf("last night index %v", v)
	}
	if _, ok := b.Value(2, 0); ok {
		t.Error("a value past the last row")
	}
	if _, err := b.Time(5, 0); err == nil {
		t.Error("a time past the last row")
	}
	if _, err := b.Time(0, 1); !errors.Is(err, meter.ErrValue) {
		t.Errorf("time of an integer column: %v", err)
	}
	first := apdu.Entry{FromEntry: 1, ToEntry: 1}.Access()
	rows, err := c.ReadBuffer(ctx, obDaily, &first)
	if err != nil || len(rows) != 1 || len(rows[0]) != 3 {
		t.Errorf("ReadBuffer: %v, %v", rows, err)
	}
}

// A long profile comes in blocks; its clock column is null-data after
// the first row, as meters send it at a regular capture period.
func TestReadProfileBlocks(t *testing.T) {
	ctx := context.Background()
	c, _, l := dial(t, sapManagement, management())
	before := l.exchanges
	b, err := c.ReadProfile(ctx, obLoad)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Rows) != 1500 {
		t.Fatalf("%d rows", len(b.Rows))
	}
	if n := l.exchanges - before; n < 10 {
		t.Errorf("%d exchanges: the buffer did not come in blocks", n)
	}
	loc := brussels(t)
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
	for _, i := range []int{0, 1, 1499} {
		at, err := b.Time(i, 0)
		if want := start.Add(time.Duration(i) * 15 * time.Minute); err != nil || !at.Equal(want) {
			t.Errorf("row %d: %v, %v; want %v", i, at, err, want)
		}
		if q, err := b.Quantity(i, 1, meter.ScalerUnit{Unit: meter.UnitWattHour}); err != nil || q.Value != int64(100000+25*i) {
			t.Errorf("row %d: %v, %v", i, q, err)
		}
	}
	// Without a period, a null clock is not a time.
	b.Period = 0
	if _, err := b.Time(1, 0); !errors.Is(err, meter.ErrValue) {
		t.Errorf("null clock without period: %v", err)
	}
}

func TestReadProfileCompact(t *testing.T) {
	c, _, _ := dial(t, sapTechnician, technician())
	b, err := c.ReadProfile(context.Background(), obCompact)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Rows) != 3 || b.Period != 0 || b.ClockColumn() != -1 {
		t.Fatalf("%d rows, period %v", len(b.Rows), b.Period)
	}
	if q, err := b.Quantity(2, 1, meter.ScalerUnit{Unit: meter.UnitWatt}); err != nil || q.String() != "3 W" {
		t.Errorf("row 3 power %v, %v", q, err)
	}
}

func TestReadProfileBadBuffer(t *testing.T) {
	tests := []struct {
		name string
		buf  axdr.Data
	}{
		{"not an array", axdr.Uint8(1)},
		{"row not a structure", axdr.Array(axdr.Uint8(1))},
		{"row too short", axdr.Array(axdr.Structure(axdr.Uint32(1)))},
	}
	for _, tt := range tests {
		c, m, _ := dial(t, sapTechnician, technician())
		m.values[attrKey{obCompact, 2}] = tt.buf
		_, err := c.ReadProfile(context.Background(), obCompact)
		if !errors.Is(err, meter.ErrValue) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	c, m, _ := dial(t, sapTechnician, technician())
	m.values[attrKey{obCompact, 3}] = axdr.Array(axdr.Structure(axdr.Uint16(3), axdr.OctetString([]byte{1, 2}), axdr.Int8(2), axdr.Uint16(0)))
	if _, err := c.ReadCaptureObjects(context.Background(), obCompact); !errors.Is(err, meter.ErrValue) {
		t.Errorf("capture object with a short logical name: %v", err)
	}
}

// BenchmarkReadProfile reads the 1500 rows of the load profile in blocks
// through a ciphered association, the fake meter's work included.
func BenchmarkReadProfile(b *testing.B) {
	c, _, _ := dial(b, sapManagement, management())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := c.ReadProfile(ctx, obLoad)
		if err != nil || len(p.Rows) != 1500 {
			b.Fatal(len(p.Rows), err)
		}
	}
}
