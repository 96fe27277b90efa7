package sim

import (
	"fmt"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/session"
	"github.com/openhes/hes/meter"
)

// The COSEM side of a simulated meter: a catalog built once per profile and
// M-Bus channel lists the objects with their roles, and an objectModel
// answers GET, SET and ACTION for one Device from its Meter. Every value
// comes from the behaviour model at the fleet's virtual instant; nothing is
// cached, so what a client reads is what Status shows.
//
// The objects are those of the profile (a utility's profile with other OBIS
// codes, capture objects or scalers is served as it says), except the
// current association, which the session engine answers, plus an event log
// (0-0:99.98.0.255, class 7) and its event code (0-0:96.11.0.255, class 1)
// when the profile has none at those codes: the model keeps an event log
// that the profile does not name.

// The roles of the objects that the simulator adds to a profile.
const (
	RoleEventLog  meter.Role = "event_log"
	RoleEventCode meter.Role = "event_code"
)

// Logical names of the added objects.
var (
	eventLogOBIS  = dlms.OBIS{0, 0, 99, 98, 0, 255}
	eventCodeOBIS = dlms.OBIS{0, 0, 96, 11, 0, 255}
)

// Capacities of the profiles, as profile_entries shows them: the model's
// defaults (MeterConfig.DailyEntries, LoadEntries).
const (
	dailyCapacity = 400
	loadCapacity  = 3840
)

// catalog is the object table that a profile gives the simulated meters whose
// gas meter is on one M-Bus channel. It is shared by those meters and never
// modified.
type catalog struct {
	profile meter.Profile
	list    []session.Object
	byOBIS  map[dlms.OBIS]*meter.Object
	byRole  map[meter.Role]*meter.Object
}

// newCatalog builds the catalog of profile p with the M-Bus objects on
// channel ch (1 to 4).
func newCatalog(p meter.Profile, ch uint8) (*catalog, error) {
	c := &catalog{profile: p, byOBIS: map[dlms.OBIS]*meter.Object{}, byRole: map[meter.Role]*meter.Object{}}
	objs := p.Objects()
	for i := range objs {
		o := objs[i].OnChannel(ch)
		if o.Class == dlms.ClassAssociationLN {
			continue // the current association: the session engine answers it
		}
		c.add(o)
	}
	if _, ok := c.byRole[meter.RoleClock]; !ok {
		return nil, fmt.Errorf("sim: profile %s has no clock", p.Name)
	}
	c.addEventLog()
	return c, nil
}

func (c *catalog) add(o meter.Object) {
	obj := &o
	c.byOBIS[o.OBIS] = obj
	c.byRole[o.Role] = obj
	var attrs, methods int8
	for _, a := range o.Attributes {
		attrs = max(attrs, a.Index)
	}
	for _, m := range o.Methods {
		methods = max(methods, m.Index)
	}
	c.list = append(c.list, session.Object{Class: o.Class, Version: o.Version, OBIS: o.OBIS, Attributes: attrs, Methods: methods})
}

// addEventLog adds the event log and its event code, with the attributes of
// their classes as the profile defines them for its other objects.
func (c *catalog) addEventLog() {
	var pg, data *meter.Object
	for _, o := range c.byOBIS {
		switch o.Class {
		case dlms.ClassProfileGeneric:
			pg = o
		case dlms.ClassData:
			data = o
		}
	}
	if pg == nil || data == nil || c.byOBIS[eventLogOBIS] != nil || c.byOBIS[eventCodeOBIS] != nil {
		return
	}
	clock := c.byRole[meter.RoleClock]
	code := meter.Object{
		Role: RoleEventCode, OBIS: eventCodeOBIS, Class: dlms.ClassData, Version: data.Version,
		Description: "code of the last event logged",
		Attributes:  append([]meter.AttributeDef(nil), data.Attributes...),
	}
	for i := range code.Attributes {
		if code.Attributes[i].Index == 2 {
			code.Attributes[i].Type = axdr.TagUnsigned
		}
	}
	log := meter.Object{
		Role: RoleEventLog, OBIS: eventLogOBIS, Class: dlms.ClassProfileGeneric, Version: pg.Version,
		Description: "standard event log",
		Attributes:  append([]meter.AttributeDef(nil), pg.Attributes...),
		Methods:     append([]meter.MethodDef(nil), pg.Methods...),
		Capture: []meter.CaptureObject{
			{Role: meter.RoleClock, Class: dlms.ClassClock, OBIS: clock.OBIS, Attribute: 2},
			{Role: RoleEventCode, Class: dlms.ClassData, OBIS: eventCodeOBIS, Attribute: 2},
		},
	}
	c.add(code)
	c.add(log)
}

// objectModel is the session.ObjectModel of one device. Its methods are
// called with the device's lock held.
type objectModel struct {
	d *Device
}

var _ session.ObjectModel = objectModel{}

// Objects lists the objects of the logical device.
func (om objectModel) Objects() []session.Object { return om.d.cat.list }

// Exists reports whether the logical device has the object.
func (om objectModel) Exists(class dlms.ClassID, obis dlms.OBIS) bool {
	o := om.d.cat.byOBIS[obis]
	return o != nil && o.Class == class
}

// Get returns the value of an attribute.
func (om objectModel) Get(r session.AttributeRequest) (axdr.Data, error) {
	o := om.d.cat.byOBIS[r.Attribute.Instance]
	if o == nil || o.Class != r.Attribute.ClassID {
		return axdr.Data{}, dlms.DataAccessObjectUndefined
	}
	attr := r.Attribute.Attribute
	if _, ok := o.Attribute(attr); !ok {
		return axdr.Data{}, dlms.DataAccessObjectUndefined
	}
	if r.Access != nil && !(o.Class == dlms.ClassProfileGeneric && attr == 2) {
		return axdr.Data{}, dlms.DataAccessOtherReason // no selective access there
	}
	if attr == 1 {
		return axdr.OctetString(o.OBIS[:]), nil
	}
	now := om.d.now()
	switch o.Class {
	case dlms.ClassData:
		return om.getData(o, now)
	case dlms.ClassRegister, dlms.ClassExtendedRegister:
		return om.getRegister(o, attr, now)
	case dlms.ClassProfileGeneric:
		return om.getProfile(o, attr, r.Access, now)
	case dlms.ClassClock:
		return om.getClock(attr, now)
	case dlms.ClassPushSetup:
		return om.getPushSetup(o, attr)
	case dlms.ClassSecuritySetup:
		return om.getSecuritySetup(o, attr)
	case dlms.ClassDisconnectControl:
		return om.getDisconnect(o, attr, now)
	case dlms.ClassLimiter:
		return om.getLimiter(o, attr)
	case dlms.ClassMBusClient:
		return om.getMBusClient(o, attr)
	}
	return axdr.Data{}, dlms.DataAccessObjectUnavailable
}

// Set writes the value of an attribute.
func (om objectModel) Set(r session.AttributeRequest, v axdr.Data) error {
	o := om.d.cat.byOBIS[r.Attribute.Instance]
	if o == nil || o.Class != r.Attribute.ClassID {
		return dlms.DataAccessObjectUndefined
	}
	attr := r.Attribute.Attribute
	if _, ok := o.Attribute(attr); !ok {
		return dlms.DataAccessObjectUndefined
	}
	if r.Access != nil || !writable(o, attr) {
		return dlms.DataAccessReadWriteDenied
	}
	now := om.d.now()
	switch o.Class {
	case dlms.ClassData:
		return om.setData(o, v, now)
	case dlms.ClassRegister:
		return om.setRegister(o, v)
	case dlms.ClassClock:
		return om.setClock(v, now)
	case dlms.ClassPushSetup:
		return om.setPushSetup(v)
	case dlms.ClassDisconnectControl:
		return om.setControlMode(o, v, now)
	case dlms.ClassLimiter:
		return om.setLimiter(o, attr, v, now)
	}
	return dlms.DataAccessReadWriteDenied
}

// Action invokes a method.
func (om objectModel) Action(r session.MethodRequest, param *axdr.Data) (*axdr.Data, error) {
	o := om.d.cat.byOBIS[r.Method.Instance]
	if o == nil || o.Class != r.Method.ClassID {
		return nil, dlms.ActionObjectUndefined
	}
	if !executable(o, r.Method.Method) {
		return nil, dlms.ActionObjectUnavailable
	}
	now := om.d.now()
	switch o.Class {
	case dlms.ClassClock:
		return nil, om.shiftTime(param, now)
	case dlms.ClassDisconnectControl:
		return nil, om.disconnectMethod(o, r.Method.Method, param, now)
	case dlms.ClassSecuritySetup:
		return nil, om.securityMethod(r.Method.Method, param)
	case dlms.ClassPushSetup:
		return nil, om.d.pushNow()
	case dlms.ClassMBusClient:
		if _, ok := om.d.m.Gas(); !ok {
			return nil, dlms.ActionObjectUnavailable
		}
		return nil, nil // capture: the gas volume is read on the hour anyway
	}
	return nil, dlms.ActionObjectUnavailable
}

// writable reports whether the simulated meter lets a client write an
// attribute at all; the association's rights come on top.
func writable(o *meter.Object, attr int8) bool {
	switch o.Class {
	case dlms.ClassData:
		return attr == 2 && o.Role == meter.RoleDisplayLastUpdate
	case dlms.ClassRegister:
		return attr == 2 && (o.Role == meter.RoleDisplayBalance || o.Role == meter.RoleDisplayEmergency)
	case dlms.ClassClock:
		return attr == 2
	case dlms.ClassPushSetup:
		return attr == 3
	case dlms.ClassDisconnectControl:
		return attr == 4
	case dlms.ClassLimiter:
		return attr >= 3 && attr <= 7
	}
	return false
}

// executable reports whether the simulated meter implements a method.
func executable(o *meter.Object, method int8) bool {
	switch o.Class {
	case dlms.ClassClock:
		return method == 6 // shift_time
	case dlms.ClassDisconnectControl:
		return method == 1 || method == 2
	case dlms.ClassSecuritySetup:
		return method == 1 || method == 2
	case dlms.ClassPushSetup:
		return method == 1
	case dlms.ClassMBusClient:
		return method == 3 // capture
	}
	return false
}

// dateTimeData returns t as the octet-string date-time of COSEM attributes,
// in the meter's time zone, or a date-time with every field not specified
// when t is zero.
func (om objectModel) dateTimeData(t time.Time) axdr.Data {
	if t.IsZero() {
		return axdr.DateTimeData(unspecifiedDateTime)
	}
	return axdr.DateTimeData(axdr.DateTimeOf(t.In(om.d.m.Location())))
}

var unspecifiedDateTime = axdr.DateTime{
	Date:      axdr.Date{Year: axdr.YearNotSpecified, Month: axdr.NotSpecified, Day: axdr.NotSpecified, Weekday: axdr.NotSpecified},
	Time:      axdr.Time{Hour: axdr.NotSpecified, Minute: axdr.NotSpecified, Second: axdr.NotSpecified, Hundredths: axdr.NotSpecified},
	Deviation: axdr.DeviationNotSpecified,
	Status:    axdr.StatusNotSpecified,
}

// timeOfData reads a date-time written by a client: an octet-string of 12
// bytes or the date-time type, with its deviation, or in the meter's time
// zone without one.
func (om objectModel) timeOfData(v axdr.Data) (time.Time, error) {
	if v.Tag != axdr.TagOctetString && v.Tag != axdr.TagDateTime {
		return time.Time{}, dlms.DataAccessTypeUnmatched
	}
	dt, err := v.DateTime()
	if err != nil {
		return time.Time{}, dlms.DataAccessTypeUnmatched
	}
	t, err := dt.AsTimeIn(om.d.m.Location())
	if err != nil {
		return time.Time{}, dlms.DataAccessOtherReason
	}
	return t, nil
}
