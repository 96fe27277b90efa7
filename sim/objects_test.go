package sim

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/dlms/session"
	"github.com/openhes/hes/meter"
)

// obis returns the logical name of a role of the default profile.
func obis(t testing.TB, r meter.Role) dlms.OBIS {
	t.Helper()
	p, err := meter.LookupProfile(DefaultProfile)
	if err != nil {
		t.Fatal(err)
	}
	o, ok := p.Object(r)
	if !ok {
		t.Fatalf("no %s in the profile", r)
	}
	return o.OBIS
}

// srvManagementClient serves one meter and opens a management association
// with it over HDLC on the shared port.
func srvManagementClient(t *testing.T) (*Server, *Device, *meter.Client) {
	t.Helper()
	s := srvStart(t, 1, Config{})
	d := srvDevice(t, s, "SIM000001")
	link, err := srvHDLC(t, s.Addr(), d, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, d, srvConnect(t, link, srvManagement(d))
}

func TestObjectValues(t *testing.T) {
	s, d, c := srvManagementClient(t)
	ctx := srvCtx(t)
	m := d.Meter()
	now := s.Fleet().Now()

	clock, err := c.ReadClock(ctx, obis(t, meter.RoleClock))
	if err != nil {
		t.Fatal(err)
	}
	if !clock.At.Equal(m.Clock(now)) || clock.Time.Deviation != -60 || clock.TimeZone != -60 || clock.Status != 0 {
		t.Errorf("clock %v (deviation %d), time zone %d, status %v; want %v, -60, -60, 0", clock.At, clock.Time.Deviation, clock.TimeZone, clock.Status, m.Clock(now))
	}
	if begin, _ := clock.DSTBegin.AsTime(); !begin.Equal(time.Date(2026, 3, 29, 3, 0, 0, 0, Brussels)) || clock.DSTDeviation != 60 || !clock.DSTEnabled {
		t.Errorf("summer time from %v, deviation %d, enabled %v", clock.DSTBegin, clock.DSTDeviation, clock.DSTEnabled)
	}

	for _, tc := range []struct {
		role meter.Role
		want string
	}{
		{meter.RoleLogicalDeviceName, "HESSIM000001"},
		{meter.RoleEAN, m.Identity().EAN},
	} {
		if got, err := c.ReadDataString(ctx, obis(t, tc.role)); err != nil || got != tc.want {
			t.Errorf("%s = %q, %v; want %q", tc.role, got, err, tc.want)
		}
	}
	if tariff, err := c.ReadDataUint(ctx, obis(t, meter.RoleTariffIndicator)); err != nil || tariff != 1 {
		t.Errorf("tariff %d, %v; want 1 (a Tuesday morning)", tariff, err)
	}

	r := m.Registers(now)
	importW, _ := m.Power(now)
	for _, tc := range []struct {
		role meter.Role
		want meter.Quantity
	}{
		{meter.RoleImportTotal, meter.Quantity{Value: r.ImportTotal(), Unit: meter.UnitWattHour}},
		{meter.RoleImportDay, meter.Quantity{Value: r.ImportDay, Unit: meter.UnitWattHour}},
		{meter.RoleImportNight, meter.Quantity{Value: r.ImportNight, Unit: meter.UnitWattHour}},
		{meter.RoleExportTotal, meter.Quantity{Value: r.ExportTotal(), Unit: meter.UnitWattHour}},
		{meter.RoleExportDay, meter.Quantity{Value: r.ExportDay, Unit: meter.UnitWattHour}},
		{meter.RoleExportNight, meter.Quantity{Value: r.ExportNight, Unit: meter.UnitWattHour}},
		{meter.RoleActivePowerImport, meter.Quantity{Value: importW, Unit: meter.UnitWatt}},
		{meter.RoleDisplayBalance, meter.Quantity{Scaler: -2, Unit: meter.UnitCurrency}},
	} {
		if got, err := c.ReadRegister(ctx, obis(t, tc.role)); err != nil || got != tc.want {
			t.Errorf("%s = %v, %v; want %v", tc.role, got, err, tc.want)
		}
	}
	if r.ImportTotal() == 0 {
		t.Error("the meter counts nothing")
	}

	gas, err := c.ReadExtendedRegister(ctx, obis(t, meter.RoleGasVolume))
	reading, _ := m.GasReading(now)
	if err != nil || gas.Quantity != (meter.Quantity{Value: reading.VolumeDm3, Scaler: -3, Unit: meter.UnitCubicMetre}) || !gas.Captured.Equal(reading.Captured) {
		t.Errorf("gas %+v, %v; want %v dm3 at %v", gas, err, reading.VolumeDm3, reading.Captured)
	}

	for _, role := range []meter.Role{meter.RoleBreaker, meter.RoleGasValve} {
		b, err := c.ReadBreaker(ctx, obis(t, role))
		if err != nil || b != (meter.BreakerState{Output: true, State: meter.Connected, Mode: 1}) {
			t.Errorf("%s %+v, %v", role, b, err)
		}
	}

	lim, err := c.ReadLimiter(ctx, obis(t, meter.RoleLimiter))
	want := meter.LimiterState{
		Monitored:       apdu.CaptureObject{ClassID: dlms.ClassRegister, Instance: obis(t, meter.RoleActivePowerImport), Attribute: 2},
		ThresholdActive: LimiterOff, ThresholdNormal: LimiterOff, ThresholdEmergency: LimiterOff,
		MinOverThreshold: time.Minute, MinUnderThreshold: time.Minute,
	}
	if err != nil || lim != want {
		t.Errorf("limiter %+v, %v; want %+v", lim, err, want)
	}

	mb, err := c.ReadMBusClient(ctx, obis(t, meter.RoleMBusClient))
	g, _ := m.Gas()
	if err != nil || mb.DeviceType != meter.MBusGas || mb.ManufacturerCode() != "HES" || mb.IdentificationString() != g.EAN[10:] || mb.PrimaryAddress != 1 {
		t.Errorf("M-Bus client %+v (%s %s), %v", mb, mb.ManufacturerCode(), mb.IdentificationString(), err)
	}

	ps, err := c.ReadPushSetup(ctx, obis(t, meter.RolePushSetup))
	if err != nil || len(ps.Objects) != 8 || ps.Objects[1].Instance != obis(t, meter.RoleClock) || len(ps.Destination) != 0 {
		t.Errorf("push setup %+v, %v", ps, err)
	}

	sec, err := c.ReadSecuritySetup(ctx, obis(t, meter.RoleSecuritySetup))
	st := m.Identity().SystemTitle
	if err != nil || sec.Policy != security.PolicyAuthenticatedEncrypted || sec.Suite != 0 ||
		!bytes.Equal(sec.ClientSystemTitle, srvClientTitle) || !bytes.Equal(sec.ServerSystemTitle, st[:]) {
		t.Errorf("security setup %+v, %v", sec, err)
	}

	// The invocation counter is the last one the meter accepted from the
	// management client: the one of the request that reads it.
	ic, err := c.InvocationCounter(ctx, obis(t, meter.RoleInvocationCounter))
	if err != nil || ic == 0 || uint32(ic) != d.InvocationCounter() {
		t.Errorf("invocation counter %d, %v; the device says %d", ic, err, d.InvocationCounter())
	}
}

func TestObjectWrites(t *testing.T) {
	s, d, c := srvManagementClient(t)
	ctx := srvCtx(t)
	m := d.Meter()

	if err := c.WriteRegister(ctx, obis(t, meter.RoleDisplayBalance), meter.Quantity{Value: -1234, Scaler: -2, Unit: meter.UnitCurrency}); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteRegister(ctx, obis(t, meter.RoleDisplayEmergency), meter.Quantity{Value: 15, Unit: meter.UnitCurrency}); err != nil {
		t.Fatal(err)
	}
	updated := time.Date(2026, 3, 10, 8, 0, 0, 0, Brussels)
	if err := c.WriteData(ctx, obis(t, meter.RoleDisplayLastUpdate), axdr.DateTimeData(axdr.DateTimeOf(updated))); err != nil {
		t.Fatal(err)
	}
	if got := m.Display(); got.BalanceCents != -1234 || got.EmergencyCents != 1500 || !got.LastUpdate.Equal(updated) {
		t.Errorf("display %+v", got)
	}
	if dt, err := c.ReadDataDateTime(ctx, obis(t, meter.RoleDisplayLastUpdate)); err != nil || dt != axdr.DateTimeOf(updated) {
		t.Errorf("screen 1 reads %v, %v", dt, err)
	}

	if err := c.SetLimiterThreshold(ctx, obis(t, meter.RoleLimiter), 6000); err != nil {
		t.Fatal(err)
	}
	if err := c.SetLimiterEmergencyThreshold(ctx, obis(t, meter.RoleLimiter), 3000); err != nil {
		t.Fatal(err)
	}
	if l := m.Limiter(); l.ThresholdW != 6000 {
		t.Errorf("limiter threshold %d", l.ThresholdW)
	}
	if lim, err := c.ReadLimiter(ctx, obis(t, meter.RoleLimiter)); err != nil || lim.ThresholdActive != 6000 || lim.ThresholdEmergency != 3000 {
		t.Errorf("limiter reads %+v, %v", lim, err)
	}

	set := time.Date(2026, 3, 10, 9, 45, 0, 0, Brussels)
	if err := c.SetTime(ctx, obis(t, meter.RoleClock), set); err != nil {
		t.Fatal(err)
	}
	if got := m.Clock(s.Fleet().Now()); !got.Equal(set) {
		t.Errorf("clock set to %v, want %v", got, set)
	}
	if _, err := c.Action(ctx, dlms.ClassClock, obis(t, meter.RoleClock), 6, ptr(axdr.Int16(-300))); err != nil {
		t.Fatal(err)
	}
	if got := m.Clock(s.Fleet().Now()); !got.Equal(set.Add(-5 * time.Minute)) {
		t.Errorf("clock shifted to %v", got)
	}
	events, err := c.ReadProfile(ctx, eventLogOBIS)
	if err != nil {
		t.Fatal(err)
	}
	var codes []uint64
	for _, row := range events.Rows {
		codes = append(codes, row[1].Uint)
	}
	if len(codes) < 4 || codes[len(codes)-1] != uint64(EventClockAdjustedNew) {
		t.Errorf("event codes %v: want the clock adjustments last", codes)
	}

	if err := c.SetControlMode(ctx, obis(t, meter.RoleBreaker), 2); err != nil {
		t.Fatal(err)
	}
	if sw, _ := m.Switch(s.Fleet().Now(), Breaker); sw.Mode != 2 {
		t.Errorf("control mode %d", sw.Mode)
	}

	// What the meter refuses, whatever the association may do.
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"set an index", c.Set(ctx, dlms.ClassRegister, obis(t, meter.RoleImportTotal), 2, axdr.Uint32(0)), dlms.DataAccessReadWriteDenied},
		{"set the balance as unsigned", c.Set(ctx, dlms.ClassRegister, obis(t, meter.RoleDisplayBalance), 2, axdr.Uint32(5)), dlms.DataAccessTypeUnmatched},
		{"set control mode 9", c.Set(ctx, dlms.ClassDisconnectControl, obis(t, meter.RoleBreaker), 4, axdr.Enum(9)), dlms.DataAccessOtherReason},
		{"set the clock to text", c.Set(ctx, dlms.ClassClock, obis(t, meter.RoleClock), 2, axdr.VisibleString("noon")), dlms.DataAccessTypeUnmatched},
		{"get an absent object", err2(c.Get(ctx, dlms.ClassData, dlms.OBIS{0, 0, 96, 99, 9, 255}, 2)), dlms.DataAccessObjectUndefined},
		{"get attribute 12 of the clock", err2(c.Get(ctx, dlms.ClassClock, obis(t, meter.RoleClock), 12)), dlms.DataAccessObjectUndefined},
		{"adjust_to_quarter", err2(c.Action(ctx, dlms.ClassClock, obis(t, meter.RoleClock), 1, ptr(axdr.Int8(0)))), dlms.ActionReadWriteDenied},
		{"lower the security policy", err2(c.Action(ctx, dlms.ClassSecuritySetup, obis(t, meter.RoleSecuritySetup), 1, ptr(axdr.Enum(1)))), dlms.ActionReadWriteDenied},
		{"push without a destination", c.Push(ctx, obis(t, meter.RolePushSetup)), dlms.ActionTemporaryFailure},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func err2[T any](_ T, err error) error { return err }

func TestObjectsTechnicianRights(t *testing.T) {
	s := srvStart(t, 1, Config{})
	d := srvDevice(t, s, "SIM000001")
	link, err := srvHDLC(t, s.Addr(), d, 17, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := srvConnect(t, link, srvAssocs[1].cfg(d))
	ctx := srvCtx(t)
	set := time.Date(2026, 3, 10, 9, 0, 0, 0, Brussels)
	if err := c.SetTime(ctx, obis(t, meter.RoleClock), set); err != nil {
		t.Errorf("technician sets the clock: %v", err)
	}
	if _, err := c.ReadRegister(ctx, obis(t, meter.RoleImportDay)); err != nil {
		t.Errorf("technician reads an index: %v", err)
	}
	if err := c.Set(ctx, dlms.ClassClock, obis(t, meter.RoleClock), 3, axdr.Int16(-60)); !errors.Is(err, dlms.DataAccessReadWriteDenied) {
		t.Errorf("technician sets the time zone: %v", err)
	}
	if err := c.RemoteDisconnect(ctx, obis(t, meter.RoleBreaker)); !errors.Is(err, dlms.ActionScopeOfAccessViolated) {
		t.Errorf("technician disconnects: %v", err)
	}
	if err := c.WriteRegister(ctx, obis(t, meter.RoleDisplayBalance), meter.Quantity{Unit: meter.UnitCurrency}); !errors.Is(err, dlms.DataAccessScopeOfAccessViolated) {
		t.Errorf("technician writes the balance: %v", err)
	}
	list, err := c.ReadObjectList(ctx, session.CurrentAssociation)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range list {
		for _, a := range o.Attributes {
			w := a.Mode.CanWrite()
			if want := o.Class == dlms.ClassClock && a.Attribute == 2; w != want {
				t.Errorf("%v attr %d listed %v", o.OBIS, a.Attribute, a.Mode)
			}
		}
	}
}

func TestDisconnectModes(t *testing.T) {
	s := srvStart(t, 1, Config{})
	d := srvDevice(t, s, "SIM000001")
	link, err := srvHDLC(t, s.Addr(), d, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := srvConnect(t, link, srvManagement(d))
	ctx := srvCtx(t)
	breaker := obis(t, meter.RoleBreaker)
	// For each control mode, from connected: remote disconnect, remote
	// reconnect, a press of the button and another; the state after each
	// step (0 disconnected, 1 connected, 2 ready for reconnection).
	for mode, want := range [][4]meter.ControlState{
		0: {1, 1, 1, 1}, // never disconnects
		1: {0, 2, 1, 2}, // reconnection arms, the button closes and opens
		2: {0, 1, 2, 1}, // reconnection closes
		3: {0, 2, 1, 1}, // as 1, no manual disconnection
		4: {0, 1, 1, 1}, // as 2, no manual disconnection
		5: {0, 2, 1, 2},
		6: {0, 2, 1, 1},
	} {
		// Mode 0 closes the breaker; then the mode under test.
		if err := c.SetControlMode(ctx, breaker, 0); err != nil {
			t.Fatal(err)
		}
		if err := c.SetControlMode(ctx, breaker, meter.ControlMode(mode)); err != nil {
			t.Fatal(err)
		}
		steps := []func() error{
			func() error { return c.RemoteDisconnect(ctx, breaker) },
			func() error { return c.RemoteReconnect(ctx, breaker) },
			func() error { _, err := s.Fleet().Press("SIM000001"); return err },
			func() error { _, err := s.Fleet().Press("SIM000001"); return err },
		}
		for i, step := range steps {
			err := step()
			if mode == 0 && i == 0 {
				if !errors.Is(err, dlms.ActionTemporaryFailure) {
					t.Errorf("mode 0: remote disconnect: %v, want temporary-failure", err)
				}
			} else if err != nil {
				t.Errorf("mode %d step %d: %v", mode, i, err)
			}
			b, err := c.ReadBreaker(ctx, breaker)
			if err != nil {
				t.Fatal(err)
			}
			if b.State != want[i] || b.Output != (want[i] == meter.Connected) || b.Mode != meter.ControlMode(mode) {
				t.Errorf("mode %d after step %d: %+v, want state %v", mode, i, b, want[i])
			}
		}
	}
	// The valve: remote disconnect, then reconnect arms it; the button
	// starts the safety test, after which it opens.
	valve := obis(t, meter.RoleGasValve)
	if err := c.RemoteDisconnect(ctx, valve); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoteReconnect(ctx, valve); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Fleet().Press("SIM000001"); err != nil || !r.SafetyTest {
		t.Fatalf("press: %+v, %v", r, err)
	}
	if b, _ := c.ReadBreaker(ctx, valve); b.State != meter.ReadyForReconnection {
		t.Errorf("valve during the safety test: %+v", b)
	}
	s.Fleet().Advance(13 * time.Minute)
	if b, _ := c.ReadBreaker(ctx, valve); b.State != meter.Connected || !b.Output {
		t.Errorf("valve after the safety test: %+v", b)
	}
}

func TestDailyCapturesByRange(t *testing.T) {
	s := srvStart(t, 1, Config{})
	f := s.Fleet()
	const wh, dm3 = 6000, 2000
	if err := f.SetConsumption("SIM000001", Consumption{Fixed: true, WhPerDay: wh, GasDm3PerDay: dm3}); err != nil {
		t.Fatal(err)
	}
	f.Advance(30 * 24 * time.Hour)
	d := srvDevice(t, s, "SIM000001")
	link, err := srvHDLC(t, s.Addr(), d, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := srvConnect(t, link, srvManagement(d))
	ctx := srvCtx(t)
	daily := obis(t, meter.RoleDailyValues)

	first := time.Date(2026, 3, 11, 0, 0, 0, 0, Brussels)
	last := time.Date(2026, 4, 9, 0, 0, 0, 0, Brussels) // over the change to summer time
	buf, err := c.ReadProfileByRange(ctx, daily, first, last)
	if err != nil {
		t.Fatal(err)
	}
	if len(buf.Rows) != 30 || len(buf.Columns) != 7 || buf.Period != 24*time.Hour {
		t.Fatalf("%d rows of %d columns, period %v: want 30 of 7, a day", len(buf.Rows), len(buf.Columns), buf.Period)
	}
	col := func(r meter.Role, attr int8) int {
		o, _ := s.Profile().Object(r)
		return buf.Column(o.Class, o.OBIS, attr)
	}
	clock, impDay, impNight := buf.ClockColumn(), col(meter.RoleImportDay, 2), col(meter.RoleImportNight, 2)
	gasCol, gasAt := col(meter.RoleGasVolume, 2), col(meter.RoleGasVolume, 5)
	var prevImport, prevGas int64
	for i := range buf.Rows {
		at, err := buf.Time(i, clock)
		if want := first.AddDate(0, 0, i); err != nil || !at.Equal(want) {
			t.Fatalf("row %d at %v, %v; want %v", i, at, err, want)
		}
		day, _ := buf.Quantity(i, impDay, meter.ScalerUnit{Unit: meter.UnitWattHour})
		night, _ := buf.Quantity(i, impNight, meter.ScalerUnit{Unit: meter.UnitWattHour})
		gas, _ := buf.Quantity(i, gasCol, meter.ScalerUnit{Scaler: -3, Unit: meter.UnitCubicMetre})
		if captured, err := buf.Time(i, gasAt); err != nil || !captured.Equal(at) {
			t.Errorf("row %d: gas captured at %v, %v", i, captured, err)
		}
		imp := day.Value + night.Value
		if i > 0 && (imp-prevImport != wh || gas.Value-prevGas != dm3) {
			t.Errorf("row %d: import up %d Wh, gas up %d dm3; want %d and %d", i, imp-prevImport, gas.Value-prevGas, wh, dm3)
		}
		prevImport, prevGas = imp, gas.Value
	}
	// The same days by entry: the newest 30 entries, the last being this
	// morning's midnight.
	n, err := c.ReadEntriesInUse(ctx, daily)
	if err != nil {
		t.Fatal(err)
	}
	byEntry, err := c.ReadProfileByEntry(ctx, daily, n-29, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(byEntry.Rows) != 30 {
		t.Fatalf("%d rows by entry", len(byEntry.Rows))
	}
	for i := range byEntry.Rows {
		for j := range byEntry.Rows[i] {
			if !byEntry.Rows[i][j].Equal(buf.Rows[i][j]) {
				t.Fatalf("entry row %d column %d: %v, by range %v", i, j, byEntry.Rows[i][j], buf.Rows[i][j])
			}
		}
	}
	// Two columns of two entries; and a range of two columns.
	rows, err := c.ReadBuffer(ctx, daily, ptr(apdu.Entry{FromEntry: n - 1, ToEntry: n, FromValue: 2, ToValue: 3}.Access()))
	if err != nil || len(rows) != 2 || len(rows[0]) != 2 {
		t.Errorf("entries by column: %v, %v", rows, err)
	}
	o, _ := s.Profile().Object(meter.RoleDailyValues)
	sel := []apdu.CaptureObject{{ClassID: dlms.ClassClock, Instance: obis(t, meter.RoleClock), Attribute: 2}, {ClassID: dlms.ClassExtendedRegister, Instance: obis(t, meter.RoleGasVolume), Attribute: 2}}
	rg := apdu.Range{
		Restrict: sel[0],
		From:     axdr.DateTimeData(axdr.DateTimeOf(first)), To: axdr.DateTimeData(axdr.DateTimeOf(first.AddDate(0, 0, 1))),
		Selected: sel,
	}
	rows, err = c.ReadBuffer(ctx, o.OBIS, ptr(rg.Access()))
	if err != nil || len(rows) != 2 || len(rows[1]) != 2 || !rows[1][1].Equal(buf.Rows[1][gasCol]) {
		t.Errorf("range with selected columns: %v, %v", rows, err)
	}
	// A range restricted by another column is refused.
	rg.Restrict = sel[1]
	if _, err := c.ReadBuffer(ctx, o.OBIS, ptr(rg.Access())); !errors.Is(err, dlms.DataAccessOtherReason) {
		t.Errorf("range on the gas column: %v", err)
	}

	// The load profile: four quarter-hours of an hour.
	load := obis(t, meter.RoleLoadProfile)
	from := time.Date(2026, 4, 8, 10, 15, 0, 0, Brussels)
	lb, err := c.ReadProfileByRange(ctx, load, from, from.Add(45*time.Minute))
	if err != nil || len(lb.Rows) != 4 {
		t.Fatalf("load profile: %v rows, %v", lb, err)
	}
	if p, err := c.ReadCapturePeriod(ctx, load); err != nil || p != 15*time.Minute {
		t.Errorf("load profile period %v, %v", p, err)
	}
	if e, err := c.ReadProfileEntries(ctx, load); err != nil || e != loadCapacity {
		t.Errorf("load profile capacity %d, %v", e, err)
	}
}
