package sim

import (
	"errors"
	"math"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/meter"
)

// The attributes of the classes other than the profile generic: each getter
// reads the model at now, each setter writes it and answers with the
// data-access result of the standard when the value does not fit.

// getData answers attribute 2 of a Data object.
func (om objectModel) getData(o *meter.Object, now time.Time) (axdr.Data, error) {
	m := om.d.m
	switch o.Role {
	case meter.RoleLogicalDeviceName:
		return textData(o, Manufacturer+m.ID()), nil
	case meter.RoleEAN:
		return textData(o, m.Identity().EAN), nil
	case meter.RoleInvocationCounter:
		return typedInt(o, 2, axdr.TagDoubleLongUnsigned, int64(om.d.invocationCounter())), nil
	case meter.RoleTariffIndicator:
		return typedInt(o, 2, axdr.TagUnsigned, int64(m.Tariff(now))), nil
	case meter.RoleDisplayLastUpdate:
		d := om.dateTimeData(m.Display().LastUpdate)
		if a, _ := o.Attribute(2); a.Type == axdr.TagDateTime {
			d.Tag = axdr.TagDateTime
		}
		return d, nil
	case RoleEventCode:
		var code EventCode
		if ev := m.Events(now); len(ev) > 0 {
			code = ev[len(ev)-1].Code
		}
		return typedInt(o, 2, axdr.TagLongUnsigned, int64(code)), nil
	}
	return axdr.Data{}, dlms.DataAccessObjectUnavailable
}

// setData writes attribute 2 of a Data object: only the first prepayment
// screen, the date-time of the last balance update, is writable.
func (om objectModel) setData(o *meter.Object, v axdr.Data, now time.Time) error {
	if o.Role != meter.RoleDisplayLastUpdate {
		return dlms.DataAccessReadWriteDenied
	}
	t, err := om.timeOfData(v)
	if err != nil {
		return err
	}
	om.d.m.SetBalanceUpdate(t)
	return nil
}

// registerValue returns the value of a register role in the model's own
// unit: Wh, W, euro cents or dm³, with the model's scaler.
func (om objectModel) registerValue(role meter.Role, now time.Time) (v int64, scaler int8, err error) {
	m := om.d.m
	switch role {
	case meter.RoleImportTotal, meter.RoleImportDay, meter.RoleImportNight,
		meter.RoleExportTotal, meter.RoleExportDay, meter.RoleExportNight:
		r := m.Registers(now)
		return snapshot{regs: r, hasRegs: true, importTotal: r.ImportTotal(), exportTotal: r.ExportTotal(), hasTotals: true}.register(role)
	case meter.RoleActivePowerImport:
		w, _ := m.Power(now)
		return w, 0, nil
	case meter.RoleDisplayBalance:
		return m.Display().BalanceCents, -2, nil
	case meter.RoleDisplayEmergency:
		return m.Display().EmergencyCents, -2, nil
	case meter.RoleGasVolume:
		g, err := m.GasReading(now)
		if err != nil {
			return 0, 0, dlms.DataAccessObjectUnavailable
		}
		return g.VolumeDm3, -3, nil
	}
	return 0, 0, dlms.DataAccessObjectUnavailable
}

// getRegister answers a Register (class 3) or an Extended register (class 4).
func (om objectModel) getRegister(o *meter.Object, attr int8, now time.Time) (axdr.Data, error) {
	switch attr {
	case 2:
		v, scaler, err := om.registerValue(o.Role, now)
		if err != nil {
			return axdr.Data{}, err
		}
		return registerData(o, v, scaler), nil
	case 3:
		return axdr.Structure(axdr.Int8(o.ScalerUnit.Scaler), axdr.Enum(uint8(o.ScalerUnit.Unit))), nil
	}
	if o.Class != dlms.ClassExtendedRegister || o.Role != meter.RoleGasVolume {
		return axdr.Data{}, dlms.DataAccessObjectUnavailable
	}
	g, err := om.d.m.GasReading(now)
	if err != nil {
		return axdr.Data{}, dlms.DataAccessObjectUnavailable
	}
	switch attr {
	case 4:
		return typedInt(o, 4, axdr.TagUnsigned, 0), nil
	case 5:
		return om.dateTimeData(g.Captured), nil
	}
	return axdr.Data{}, dlms.DataAccessObjectUnavailable
}

// setRegister writes the value of a prepayment screen, in the register's
// type and scaler.
func (om objectModel) setRegister(o *meter.Object, v axdr.Data) error {
	n, err := intOf(o, 2, v)
	if err != nil {
		return err
	}
	cents := rescale(n, o.ScalerUnit.Scaler, -2)
	switch o.Role {
	case meter.RoleDisplayBalance:
		om.d.m.SetBalance(cents)
	case meter.RoleDisplayEmergency:
		om.d.m.SetEmergencyCredit(cents)
	default:
		return dlms.DataAccessReadWriteDenied
	}
	return nil
}

// getClock answers the Clock (class 8).
func (om objectModel) getClock(attr int8, now time.Time) (axdr.Data, error) {
	ci := om.d.m.ClockInfo(now)
	_, off := ci.Time.Zone()
	dstDev := 0
	if !ci.DSTBegin.IsZero() {
		_, begin := ci.DSTBegin.Zone()
		_, end := ci.DSTEnd.Zone()
		dstDev = (begin - end) / 60 // the summer offset less the winter one
	}
	std := off / 60
	if ci.DST {
		std -= dstDev
	}
	switch attr {
	case 2:
		return om.dateTimeData(ci.Time), nil
	case 3:
		return axdr.Int16(int16(-std)), nil // time_zone, with the sign of the date-time deviation
	case 4:
		var s axdr.ClockStatus
		if ci.DST {
			s = axdr.StatusDaylightSaving
		}
		return axdr.Uint8(uint8(s)), nil
	case 5:
		return om.dateTimeData(ci.DSTBegin), nil
	case 6:
		return om.dateTimeData(ci.DSTEnd), nil
	case 7:
		return axdr.Int8(int8(dstDev)), nil
	case 8:
		return axdr.Bool(!ci.DSTBegin.IsZero()), nil
	case 9:
		return axdr.Enum(1), nil // internal crystal
	}
	return axdr.Data{}, dlms.DataAccessObjectUnavailable
}

// setClock sets the meter's clock (attribute 2).
func (om objectModel) setClock(v axdr.Data, now time.Time) error {
	t, err := om.timeOfData(v)
	if err != nil {
		return err
	}
	om.d.m.SetClock(now, t)
	return nil
}

// maxShift bounds shift_time (method 6 of the Clock), in seconds.
const maxShift = 900

// shiftTime moves the meter's clock by the seconds of param (a long).
func (om objectModel) shiftTime(param *axdr.Data, now time.Time) error {
	if param == nil || param.Tag != axdr.TagLong {
		return dlms.ActionTypeUnmatched
	}
	if param.Int < -maxShift || param.Int > maxShift {
		return dlms.ActionOtherReason
	}
	om.d.m.SetClock(now, om.d.m.Clock(now).Add(time.Duration(param.Int)*time.Second))
	return nil
}

// getPushSetup answers the Push setup (class 40).
func (om objectModel) getPushSetup(o *meter.Object, attr int8) (axdr.Data, error) {
	switch attr {
	case 2:
		return captureList(o.Capture), nil
	case 3:
		return axdr.Structure(axdr.Enum(0), axdr.OctetString([]byte(om.d.pushDestination())), axdr.Enum(0)), nil // TCP, A-XDR xDLMS APDU
	case 4:
		return axdr.Array(), nil // no communication window: at any time
	case 5:
		return axdr.Uint16(0), nil
	case 6:
		return axdr.Uint8(0), nil
	case 7:
		return axdr.Uint16(0), nil
	}
	return axdr.Data{}, dlms.DataAccessObjectUnavailable
}

// setPushSetup writes send_destination_and_method (attribute 3): the
// meter pushes to the new destination from then on.
func (om objectModel) setPushSetup(v axdr.Data) error {
	if v.Tag != axdr.TagStructure || len(v.Items) != 3 || v.Items[1].Tag != axdr.TagOctetString ||
		!v.Items[0].IsInteger() || !v.Items[2].IsInteger() {
		return dlms.DataAccessTypeUnmatched
	}
	if v.Items[0].Uint != 0 || v.Items[2].Uint != 0 {
		return dlms.DataAccessOtherReason // only TCP with A-XDR APDUs
	}
	om.d.pushDest = string(v.Items[1].Bytes)
	return nil
}

// getSecuritySetup answers the Security setup (class 64, version 0).
func (om objectModel) getSecuritySetup(o *meter.Object, attr int8) (axdr.Data, error) {
	d := om.d
	switch attr {
	case 2:
		return axdr.Enum(uint8(d.policy)), nil
	case 3:
		return axdr.Enum(d.suite), nil
	case 4:
		return axdr.OctetString(d.clientTitle), nil
	case 5:
		st := d.m.Identity().SystemTitle
		return axdr.OctetString(st[:]), nil
	}
	return axdr.Data{}, dlms.DataAccessObjectUnavailable
}

// securityMethod runs security_activate (1) and global_key_transfer (2).
func (om objectModel) securityMethod(method int8, param *axdr.Data) error {
	d := om.d
	if param == nil {
		return dlms.ActionTypeUnmatched
	}
	if method == 1 {
		p := security.Policy(param.Uint)
		if param.Tag != axdr.TagEnum || !p.Valid() {
			return dlms.ActionTypeUnmatched
		}
		if p < d.policy {
			return dlms.ActionReadWriteDenied // a policy is never lowered
		}
		d.policy = p
		return nil
	}
	keys, err := security.ParseGlobalKeyTransfer(d.keys.kek[:], *param)
	switch {
	case errors.Is(err, security.ErrUnwrap):
		return dlms.ActionOtherReason
	case err != nil:
		return dlms.ActionTypeUnmatched
	}
	d.installKeys(keys)
	return nil
}

// unitOf returns the disconnect control that object o is.
func unitOf(o *meter.Object) Unit {
	if o.Role == meter.RoleGasValve {
		return Valve
	}
	return Breaker
}

// getDisconnect answers a Disconnect control (class 70): the breaker or the
// gas valve.
func (om objectModel) getDisconnect(o *meter.Object, attr int8, now time.Time) (axdr.Data, error) {
	sw, err := om.d.m.Switch(now, unitOf(o))
	if err != nil {
		return axdr.Data{}, dlms.DataAccessObjectUnavailable
	}
	switch attr {
	case 2:
		return axdr.Bool(sw.Output), nil
	case 3:
		return axdr.Enum(uint8(sw.State)), nil
	case 4:
		return axdr.Enum(uint8(sw.Mode)), nil
	}
	return axdr.Data{}, dlms.DataAccessObjectUnavailable
}

// setControlMode writes control_mode (attribute 4).
func (om objectModel) setControlMode(o *meter.Object, v axdr.Data, now time.Time) error {
	if v.Tag != axdr.TagEnum {
		return dlms.DataAccessTypeUnmatched
	}
	if v.Uint > uint64(MaxControlMode) {
		return dlms.DataAccessOtherReason
	}
	switch err := om.d.m.SetControlMode(now, unitOf(o), ControlMode(v.Uint)); {
	case errors.Is(err, ErrNoGas):
		return dlms.DataAccessObjectUnavailable
	case err != nil:
		return dlms.DataAccessOtherReason
	}
	return nil
}

// disconnectMethod runs remote_disconnect (1) or remote_reconnect (2). A
// command that the control mode does not enable from the current state is
// answered with temporary-failure, except when the control is already
// where the command leads (disconnected, or connected or armed): the
// command is then a success that changes nothing.
func (om objectModel) disconnectMethod(o *meter.Object, method int8, param *axdr.Data, now time.Time) error {
	if param != nil && param.Tag != axdr.TagInteger {
		return dlms.ActionTypeUnmatched
	}
	u := unitOf(o)
	var err error
	if method == 1 {
		_, err = om.d.m.RemoteDisconnect(now, u)
	} else {
		_, err = om.d.m.RemoteReconnect(now, u)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNoGas):
		return dlms.ActionObjectUnavailable
	case !errors.Is(err, ErrNotAllowed):
		return dlms.ActionOtherReason
	}
	sw, serr := om.d.m.Switch(now, u)
	if serr == nil && (method == 1) == (sw.State == Disconnected) {
		return nil
	}
	return dlms.ActionTemporaryFailure
}

// getLimiter answers the Limiter (class 71). The model has one threshold:
// threshold_active and threshold_normal both show it; the emergency
// threshold is kept but never in force (no emergency profile is active).
func (om objectModel) getLimiter(o *meter.Object, attr int8) (axdr.Data, error) {
	l := om.d.m.Limiter()
	th := l.ThresholdW
	if !l.Active() && o.ThresholdOff != 0 {
		th = o.ThresholdOff
	}
	switch attr {
	case 2:
		mv := o.Monitored
		return axdr.Structure(axdr.Uint16(uint16(mv.Class)), axdr.OctetString(mv.OBIS[:]), axdr.Int8(mv.Attribute)), nil
	case 3, 4:
		return typedInt(o, attr, axdr.TagDoubleLongUnsigned, th), nil
	case 5:
		return typedInt(o, attr, axdr.TagDoubleLongUnsigned, om.d.emergencyThreshold(o)), nil
	case 6:
		return axdr.Uint32(uint32(l.MinOver / time.Second)), nil
	case 7:
		return axdr.Uint32(uint32(l.MinUnder / time.Second)), nil
	case 8:
		return axdr.Structure(axdr.Uint16(0), axdr.DateTimeData(unspecifiedDateTime), axdr.Uint32(0)), nil
	case 9:
		return axdr.Array(), nil
	case 10:
		return axdr.Bool(false), nil
	case 11:
		script := dlms.OBIS{0, 0, 10, 0, 106, 255} // the disconnect control script table
		return axdr.Structure(
			axdr.Structure(axdr.OctetString(script[:]), axdr.Uint16(1)),
			axdr.Structure(axdr.OctetString(script[:]), axdr.Uint16(2))), nil
	}
	return axdr.Data{}, dlms.DataAccessObjectUnavailable
}

// setLimiter writes the thresholds (3 to 5) and the durations (6, 7).
func (om objectModel) setLimiter(o *meter.Object, attr int8, v axdr.Data, now time.Time) error {
	var n int64
	var err error
	if attr <= 5 {
		n, err = intOf(o, attr, v)
	} else {
		n, err = intOfTag(axdr.TagDoubleLongUnsigned, v)
	}
	if err != nil {
		return err
	}
	if n < 0 {
		return dlms.DataAccessOtherReason
	}
	if attr == 5 {
		om.d.emergencyW = n
		return nil
	}
	l := om.d.m.Limiter()
	switch attr {
	case 3, 4:
		if n == o.ThresholdOff {
			n = LimiterOff
		}
		l.ThresholdW = n
	case 6:
		l.MinOver = time.Duration(n) * time.Second
	case 7:
		l.MinUnder = time.Duration(n) * time.Second
	}
	if err := om.d.m.SetLimiter(now, l); err != nil {
		return dlms.DataAccessOtherReason
	}
	return nil
}

// getMBusClient answers the M-Bus client (class 72, version 1) of the gas
// meter's channel; without a gas meter the channel is empty and the
// device's attributes are 0.
func (om objectModel) getMBusClient(o *meter.Object, attr int8) (axdr.Data, error) {
	gas, ok := om.d.m.Gas()
	var addr, version, devType uint8
	var ident uint32
	var maker uint16
	if ok {
		addr, version, devType = uint8(gas.Channel), 1, o.DeviceType
		ident = bcd8(gas.EAN)
		maker = manufacturerID(Manufacturer)
	}
	switch attr {
	case 2:
		port := dlms.OBIS{0, 0, 24, 6, 0, 255}
		return axdr.OctetString(port[:]), nil
	case 3:
		return axdr.Array(), nil
	case 4:
		return axdr.Uint32(3600), nil
	case 5:
		return axdr.Uint8(addr), nil
	case 6:
		return axdr.Uint32(ident), nil
	case 7:
		return axdr.Uint16(maker), nil
	case 8:
		return axdr.Uint8(version), nil
	case 9:
		return axdr.Uint8(devType), nil
	case 10, 11, 12:
		return axdr.Uint8(0), nil
	case 13:
		return axdr.Uint16(0), nil
	case 14:
		return axdr.Enum(0), nil // no encryption key
	}
	return axdr.Data{}, dlms.DataAccessObjectUnavailable
}

// bcd8 returns the last 8 digits of s as the BCD identification number of
// an M-Bus device.
func bcd8(s string) uint32 {
	var v uint32
	if len(s) > 8 {
		s = s[len(s)-8:]
	}
	for _, c := range s {
		v = v<<4 | uint32(c-'0')&0xF
	}
	return v
}

// manufacturerID packs three letters as the M-Bus manufacturer id (EN
// 13757-3): 5 bits per letter, 'A' being 1.
func manufacturerID(s string) uint16 {
	var v uint16
	for i := 0; i < 3 && i < len(s); i++ {
		v = v<<5 | uint16(s[i]-'@')&0x1F
	}
	return v
}

// captureList returns the capture_objects of a profile or the
// push_object_list of a push setup.
func captureList(cos []meter.CaptureObject) axdr.Data {
	items := make([]axdr.Data, len(cos))
	for i, c := range cos {
		items[i] = apdu.CaptureObject{ClassID: c.Class, Instance: c.OBIS, Attribute: c.Attribute, DataIndex: c.DataIndex}.Data()
	}
	return axdr.Array(items...)
}

// textData returns s in the string type of attribute 2 of o.
func textData(o *meter.Object, s string) axdr.Data {
	a, _ := o.Attribute(2)
	switch a.Type {
	case axdr.TagVisibleString:
		return axdr.VisibleString(s)
	case axdr.TagUTF8String:
		return axdr.UTF8String(s)
	}
	return axdr.OctetString([]byte(s))
}

// registerData returns the value v, counted with scaler from, in the type
// and scaler of attribute 2 of register o.
func registerData(o *meter.Object, v int64, from int8) axdr.Data {
	return typedInt(o, 2, axdr.TagDoubleLongUnsigned, rescale(v, from, o.ScalerUnit.Scaler))
}

// rescale converts v × 10^from into a number of 10^to, truncating toward
// zero.
func rescale(v int64, from, to int8) int64 {
	for ; from > to; from-- {
		v *= 10
	}
	for ; from < to; from++ {
		v /= 10
	}
	return v
}

// typedInt returns v in the type of attribute attr of o, or def when the
// profile does not give an integer type, clamped to the type's range.
func typedInt(o *meter.Object, attr int8, def axdr.Tag, v int64) axdr.Data {
	t := def
	if a, ok := o.Attribute(attr); ok && (axdr.Data{Tag: a.Type}).IsInteger() {
		t = a.Type
	}
	return intData(t, v)
}

// intData returns v as an integer of type t, clamped to its range.
func intData(t axdr.Tag, v int64) axdr.Data {
	clamp := func(lo, hi int64) int64 { return min(max(v, lo), hi) }
	switch t {
	case axdr.TagInteger:
		return axdr.Int8(int8(clamp(math.MinInt8, math.MaxInt8)))
	case axdr.TagLong:
		return axdr.Int16(int16(clamp(math.MinInt16, math.MaxInt16)))
	case axdr.TagDoubleLong:
		return axdr.Int32(int32(clamp(math.MinInt32, math.MaxInt32)))
	case axdr.TagLong64:
		return axdr.Int64(v)
	case axdr.TagUnsigned:
		return axdr.Uint8(uint8(clamp(0, math.MaxUint8)))
	case axdr.TagLongUnsigned:
		return axdr.Uint16(uint16(clamp(0, math.MaxUint16)))
	case axdr.TagLong64Unsigned:
		return axdr.Uint64(uint64(clamp(0, math.MaxInt64)))
	case axdr.TagEnum:
		return axdr.Enum(uint8(clamp(0, math.MaxUint8)))
	}
	return axdr.Uint32(uint32(clamp(0, math.MaxUint32)))
}

// intOf reads the integer that a client writes to attribute attr of o: it
// must have the attribute's type when the profile gives one.
func intOf(o *meter.Object, attr int8, v axdr.Data) (int64, error) {
	a, _ := o.Attribute(attr)
	return intOfTag(a.Type, v)
}

// intOfTag reads an integer of type t (any integer type when t is not one).
func intOfTag(t axdr.Tag, v axdr.Data) (int64, error) {
	if (axdr.Data{Tag: t}).IsInteger() && v.Tag != t {
		return 0, dlms.DataAccessTypeUnmatched
	}
	n, ok := v.Int64Value()
	if !ok || !v.IsInteger() {
		return 0, dlms.DataAccessTypeUnmatched
	}
	return n, nil
}
