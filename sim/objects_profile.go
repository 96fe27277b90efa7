package sim

import (
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/meter"
)

// The profile generics (class 7): the daily values, the load profile and the
// event log. Their buffers are computed from the model at each read, row by
// row, in the columns of the profile's capture objects; a column that the
// model has no value for in that profile (a register the load profile does
// not keep, the gas volume of a meter without a gas meter) is null-data.

// snapshot is what one row of a profile, or a push, holds.
type snapshot struct {
	clock       time.Time // the meter's clock; zero: not captured
	regs        Registers
	hasRegs     bool // the four electricity registers
	importTotal int64
	exportTotal int64
	hasTotals   bool
	gas         GasReading
	hasGas      bool
	event       EventCode
	hasEvent    bool
}

// register returns the value of a register role in the snapshot, in Wh
// with scaler 0, or object-unavailable when the snapshot lacks it.
func (s snapshot) register(role meter.Role) (int64, int8, error) {
	switch {
	case s.hasRegs && role == meter.RoleImportDay:
		return s.regs.ImportDay, 0, nil
	case s.hasRegs && role == meter.RoleImportNight:
		return s.regs.ImportNight, 0, nil
	case s.hasRegs && role == meter.RoleExportDay:
		return s.regs.ExportDay, 0, nil
	case s.hasRegs && role == meter.RoleExportNight:
		return s.regs.ExportNight, 0, nil
	case s.hasTotals && role == meter.RoleImportTotal:
		return s.importTotal, 0, nil
	case s.hasTotals && role == meter.RoleExportTotal:
		return s.exportTotal, 0, nil
	case s.hasGas && role == meter.RoleGasVolume:
		return s.gas.VolumeDm3, -3, nil
	}
	return 0, 0, dlms.DataAccessObjectUnavailable
}

// column returns the value that capture object co takes in snapshot s.
func (om objectModel) column(co meter.CaptureObject, s *snapshot) axdr.Data {
	obj := om.d.cat.byRole[co.Role]
	switch {
	case obj == nil || co.DataIndex != 0:
	case co.Attribute == 1:
		return axdr.OctetString(obj.OBIS[:])
	case co.Role == meter.RoleClock && co.Attribute == 2 && !s.clock.IsZero():
		return om.dateTimeData(s.clock)
	case co.Role == RoleEventCode && co.Attribute == 2 && s.hasEvent:
		return typedInt(obj, 2, axdr.TagLongUnsigned, int64(s.event))
	case co.Role == meter.RoleGasVolume && co.Attribute == 5 && s.hasGas:
		return om.dateTimeData(s.gas.Captured)
	case co.Role == meter.RoleGasVolume && co.Attribute == 4 && s.hasGas:
		return typedInt(obj, 4, axdr.TagUnsigned, 0)
	case co.Attribute == 2 && (obj.Class == dlms.ClassRegister || obj.Class == dlms.ClassExtendedRegister):
		if v, scaler, err := s.register(co.Role); err == nil {
			return registerData(obj, v, scaler)
		}
	}
	return axdr.Null()
}

// rows are the rows of a profile selected by a read, oldest first.
type rows []snapshot

// getProfile answers a Profile generic.
func (om objectModel) getProfile(o *meter.Object, attr int8, access *apdu.SelectiveAccess, now time.Time) (axdr.Data, error) {
	m := om.d.m
	switch attr {
	case 2:
		return om.buffer(o, access, now)
	case 3:
		return captureList(o.Capture), nil
	case 4:
		return axdr.Uint32(o.CapturePeriod), nil
	case 5:
		return axdr.Enum(1), nil // fifo
	case 6:
		var none dlms.OBIS
		return axdr.Structure(axdr.Uint16(0), axdr.OctetString(none[:]), axdr.Int8(0), axdr.Uint16(0)), nil
	case 7:
		switch o.Role {
		case meter.RoleDailyValues:
			return axdr.Uint32(uint32(m.DailyEntries(now))), nil
		case meter.RoleLoadProfile:
			return axdr.Uint32(uint32(m.LoadEntries(now))), nil
		case RoleEventLog:
			return axdr.Uint32(uint32(len(m.Events(now)))), nil
		}
	case 8:
		switch o.Role {
		case meter.RoleDailyValues:
			return axdr.Uint32(dailyCapacity), nil
		case meter.RoleLoadProfile:
			return axdr.Uint32(loadCapacity), nil
		case RoleEventLog:
			return axdr.Uint32(EventLogSize), nil
		}
	}
	return axdr.Data{}, dlms.DataAccessObjectUnavailable
}

// buffer returns the rows and columns of a profile that a read selects:
// all of them, a range of times of the clock column (selector 1) or a range
// of entries and columns (selector 2).
func (om objectModel) buffer(o *meter.Object, access *apdu.SelectiveAccess, now time.Time) (axdr.Data, error) {
	cols := o.Capture
	var rs rows
	switch {
	case access == nil:
		rs = om.entries(o, now, 1, 0)
	case access.Selector == apdu.SelectorRange:
		r, err := apdu.ParseRange(*access)
		if err != nil {
			return axdr.Data{}, dlms.DataAccessTypeUnmatched
		}
		if !om.isClockColumn(o, r.Restrict) {
			return axdr.Data{}, dlms.DataAccessOtherReason
		}
		from, err1 := om.timeOfData(r.From)
		to, err2 := om.timeOfData(r.To)
		if err1 != nil || err2 != nil {
			return axdr.Data{}, dlms.DataAccessOtherReason
		}
		if cols, err = selectColumns(o.Capture, r.Selected); err != nil {
			return axdr.Data{}, err
		}
		rs = om.timeRange(o, now, from, to)
	case access.Selector == apdu.SelectorEntry:
		e, err := apdu.ParseEntry(*access)
		if err != nil {
			return axdr.Data{}, dlms.DataAccessTypeUnmatched
		}
		first, last := int(max(e.FromEntry, 1)), int(e.ToEntry)
		if last != 0 && last < first {
			return axdr.Array(), nil
		}
		from, to := int(max(e.FromValue, 1)), int(e.ToValue)
		if to == 0 || to > len(cols) {
			to = len(cols)
		}
		if from > to {
			return axdr.Data{}, dlms.DataAccessOtherReason
		}
		cols = cols[from-1 : to]
		rs = om.entries(o, now, first, last)
	default:
		return axdr.Data{}, dlms.DataAccessOtherReason
	}
	items := make([]axdr.Data, len(rs))
	cells := make([]axdr.Data, len(rs)*len(cols))
	for i := range rs {
		row := cells[i*len(cols) : (i+1)*len(cols) : (i+1)*len(cols)]
		for j, c := range cols {
			row[j] = om.column(c, &rs[i])
		}
		items[i] = axdr.Structure(row...)
	}
	return axdr.Array(items...), nil
}

// isClockColumn reports whether a range's restricting object is the time
// attribute of a clock that the profile captures.
func (om objectModel) isClockColumn(o *meter.Object, r apdu.CaptureObject) bool {
	for _, c := range o.Capture {
		if c.Role == meter.RoleClock && c.Attribute == 2 && r.ClassID == c.Class && r.Instance == c.OBIS && r.Attribute == 2 && r.DataIndex == 0 {
			return true
		}
	}
	return false
}

// selectColumns returns the capture objects named by a range's selected
// values, in their order; all of them when none is named.
func selectColumns(all []meter.CaptureObject, sel []apdu.CaptureObject) ([]meter.CaptureObject, error) {
	if len(sel) == 0 {
		return all, nil
	}
	out := make([]meter.CaptureObject, 0, len(sel))
	for _, s := range sel {
		found := false
		for _, c := range all {
			if c.Class == s.ClassID && c.OBIS == s.Instance && c.Attribute == s.Attribute && c.DataIndex == s.DataIndex {
				out = append(out, c)
				found = true
				break
			}
		}
		if !found {
			return nil, dlms.DataAccessOtherReason
		}
	}
	return out, nil
}

// entries returns entries first to last (0: the newest) of a profile.
func (om objectModel) entries(o *meter.Object, now time.Time, first, last int) rows {
	m := om.d.m
	switch o.Role {
	case meter.RoleDailyValues:
		return dailyRows(m.DailyValuesByEntry(now, first, last))
	case meter.RoleLoadProfile:
		return loadRows(m.LoadValuesByEntry(now, first, last))
	case RoleEventLog:
		ev := m.Events(now)
		if last == 0 || last > len(ev) {
			last = len(ev)
		}
		if first > last {
			return nil
		}
		return eventRows(ev[first-1 : last])
	}
	return nil
}

// timeRange returns the rows of a profile whose clock is within [from, to].
func (om objectModel) timeRange(o *meter.Object, now time.Time, from, to time.Time) rows {
	m := om.d.m
	switch o.Role {
	case meter.RoleDailyValues:
		return dailyRows(m.DailyValues(now, from, to))
	case meter.RoleLoadProfile:
		return loadRows(m.LoadValues(now, from, to))
	case RoleEventLog:
		var in []Event
		for _, e := range m.Events(now) {
			if !e.Time.Before(from) && !e.Time.After(to) {
				in = append(in, e)
			}
		}
		return eventRows(in)
	}
	return nil
}

func dailyRows(vs []DailyValue) rows {
	rs := make(rows, len(vs))
	for i, v := range vs {
		rs[i] = snapshot{
			clock: v.Clock, regs: v.Registers, hasRegs: true,
			importTotal: v.ImportTotal(), exportTotal: v.ExportTotal(), hasTotals: true,
			gas: GasReading{VolumeDm3: v.GasDm3, Captured: v.GasCaptured}, hasGas: !v.GasCaptured.IsZero(),
		}
	}
	return rs
}

func loadRows(vs []LoadValue) rows {
	rs := make(rows, len(vs))
	for i, v := range vs {
		rs[i] = snapshot{clock: v.Clock, importTotal: v.ImportWh, exportTotal: v.ExportWh, hasTotals: true}
	}
	return rs
}

func eventRows(es []Event) rows {
	rs := make(rows, len(es))
	for i, e := range es {
		rs[i] = snapshot{clock: e.Time, event: e.Code, hasEvent: true}
	}
	return rs
}
