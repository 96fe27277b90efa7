package meter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/dlms/session"
)

// The meters of the poller and command tests: each a session.Server over
// a small object model in memory (the objects of the default profile that
// the daily read and the commands use), reached through a Link that calls
// the server directly. A fleet holds them and dials them, counting the
// links open at once.

// hesTitle is the head-end's system title in these tests.
var hesTitle = []byte("HES00001")

var (
	obisClock      = dlms.MustOBIS("0-0:1.0.0.255")
	obisCounter    = dlms.MustOBIS("0-0:43.1.0.255")
	obisSecurity   = dlms.MustOBIS("0-0:43.0.0.255")
	obisImportDay  = dlms.MustOBIS("1-0:1.8.1.255")
	obisImportNgt  = dlms.MustOBIS("1-0:1.8.2.255")
	obisExportDay  = dlms.MustOBIS("1-0:2.8.1.255")
	obisExportNgt  = dlms.MustOBIS("1-0:2.8.2.255")
	obisDaily      = dlms.MustOBIS("1-0:99.2.0.255")
	obisBreaker    = dlms.MustOBIS("0-0:96.3.10.255")
	obisLimiter    = dlms.MustOBIS("0-0:17.0.0.255")
	obisPower      = dlms.MustOBIS("1-0:1.7.0.255")
	obisGasVolume  = dlms.MustOBIS("0-1:24.2.3.255")
	obisGasValve   = dlms.MustOBIS("0-1:24.4.0.255")
	obisDispLast   = dlms.MustOBIS("0-0:94.32.2.1")
	obisDispBal    = dlms.MustOBIS("0-0:94.32.2.2")
	obisDispEmerg  = dlms.MustOBIS("0-0:94.32.2.3")
	fakeIndexRegs  = []dlms.OBIS{obisImportDay, obisImportNgt, obisExportDay, obisExportNgt}
	fakeDailyRoles = append(append([]dlms.OBIS{}, fakeIndexRegs...), obisGasVolume)
)

// dayRow is one row of the daily values profile.
type dayRow struct {
	day     string
	indexes [4]int64 // Wh: import day, import night, export day, export night
	gas     int64    // dm³
}

// fakeDevice is one meter. Its fields are guarded by mu; the server calls
// the model with mu held (see devLink.Exchange).
type fakeDevice struct {
	mu  sync.Mutex
	id  string
	loc *time.Location
	now func() time.Time // the head-end's clock

	offset   time.Duration // the meter's clock is now() + offset
	rows     []dayRow
	instant  [4]int64
	gas      int64
	gasTime  time.Time
	keys     Keys
	serverIC *security.MemoryCounter // the counter of the meter's own APDUs
	guard    *security.ReplayGuard   // the management client's counters

	breakerState, breakerMode uint8
	valveState, valveMode     uint8
	threshold                 int64
	dispLast                  axdr.Data
	dispBal, dispEmerg        int64

	// Faults.
	dialErr       error         // every Dial fails with it
	silent        bool          // Exchange blocks until the context ends
	delay         time.Duration // before each answer
	stuckBreaker  bool          // the disconnect control ignores its methods
	ignoreDisplay bool          // SET of the screens succeeds but changes nothing
	refuseKeys    bool          // global_key_transfer is refused
	ignoreKeys    bool          // global_key_transfer succeeds but changes nothing
	failDials     int           // the next dials that fail
	onTransfer    func()        // called after a key transfer, with mu held

	// What happened.
	dials        int
	sessions     int // management associations opened
	rangeReads   []apdu.Range
	actions      []apdu.MethodDescriptor
	displaySets  int
	keyTransfers int
}

func newFakeDevice(id string, loc *time.Location, now func() time.Time, keys Keys) *fakeDevice {
	return &fakeDevice{
		id: id, loc: loc, now: now, keys: keys,
		serverIC: security.NewMemoryCounter(1), guard: &security.ReplayGuard{},
		breakerState: 1, breakerMode: 1, valveState: 1, valveMode: 1, threshold: 99999,
		dispLast: axdr.OctetString(make([]byte, 12)),
		instant:  [4]int64{1_000_000, 2_000_000, 300_000, 400_000}, gas: 5_000_000,
	}
}

// withRows gives the device one row per day from first to last, with
// indexes growing by 5, 7, 1 and 2 kWh and 3 m³ a day.
func (d *fakeDevice) withRows(first, last string) *fakeDevice {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rows = nil
	for day, n := first, 0; day <= last; day, n = addDays(day, 1), n+1 {
		d.rows = append(d.rows, fakeRow(day, n))
	}
	if len(d.rows) > 0 {
		last := d.rows[len(d.rows)-1]
		for i := range d.instant {
			d.instant[i] = last.indexes[i] + 2000
		}
		d.gas = last.gas + 1000
	}
	return d
}

func fakeRow(day string, n int) dayRow {
	k := int64(n)
	return dayRow{day: day, indexes: [4]int64{1_000_000 + 5000*k, 2_000_000 + 7000*k, 300_000 + 1000*k, 400_000 + 2000*k}, gas: 5_000_000 + 3000*k}
}

func (d *fakeDevice) clock() time.Time { return d.now().Add(d.offset) }

func (d *fakeDevice) lock() func() { d.mu.Lock(); return d.mu.Unlock }

// server returns a server for the device's current keys and counters.
func (d *fakeDevice) server(t testing.TB) *session.Server {
	title := []byte(fmt.Sprintf("MTR%05s", d.id))[:8]
	srv, err := session.NewServer(session.ServerConfig{
		Objects:     d,
		SystemTitle: title,
		Rand:        bytes.NewReader(bytes.Repeat([]byte{0x5A}, 1<<12)),
		Associations: map[uint16]session.AssociationPolicy{
			16: {
				Mechanism: apdu.MechanismNone,
				Visible: func(_ dlms.ClassID, o dlms.OBIS) bool {
					return o == obisClock || o == obisCounter || o == session.CurrentAssociation
				},
				Access: func(session.Member) session.AccessMode { return session.AccessRead },
			},
			1: {
				Mechanism: apdu.MechanismHLSGMAC,
				Security: &session.SecurityPolicy{
					Policy:            security.PolicyAuthenticatedEncrypted,
					Keys:              d.keys.SecurityKeys(),
					ClientSystemTitle: hesTitle,
					Counter:           d.serverIC,
					ReplayGuard:       d.guard,
				},
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func (d *fakeDevice) Objects() []session.Object {
	return []session.Object{
		{Class: dlms.ClassClock, OBIS: obisClock, Attributes: 9, Methods: 6},
		{Class: dlms.ClassData, OBIS: obisCounter, Attributes: 2},
		{Class: dlms.ClassSecuritySetup, OBIS: obisSecurity, Attributes: 5, Methods: 2},
		{Class: dlms.ClassRegister, OBIS: obisImportDay, Attributes: 3, Methods: 1},
		{Class: dlms.ClassRegister, OBIS: obisImportNgt, Attributes: 3, Methods: 1},
		{Class: dlms.ClassRegister, OBIS: obisExportDay, Attributes: 3, Methods: 1},
		{Class: dlms.ClassRegister, OBIS: obisExportNgt, Attributes: 3, Methods: 1},
		{Class: dlms.ClassProfileGeneric, Version: 1, OBIS: obisDaily, Attributes: 8, Methods: 2},
		{Class: dlms.ClassDisconnectControl, Version: 1, OBIS: obisBreaker, Attributes: 4, Methods: 2},
		{Class: dlms.ClassLimiter, OBIS: obisLimiter, Attributes: 11},
		{Class: dlms.ClassExtendedRegister, OBIS: obisGasVolume, Attributes: 5, Methods: 1},
		{Class: dlms.ClassDisconnectControl, Version: 1, OBIS: obisGasValve, Attributes: 4, Methods: 2},
		{Class: dlms.ClassData, OBIS: obisDispLast, Attributes: 2},
		{Class: dlms.ClassRegister, OBIS: obisDispBal, Attributes: 3, Methods: 1},
		{Class: dlms.ClassRegister, OBIS: obisDispEmerg, Attributes: 3, Methods: 1},
	}
}

func (d *fakeDevice) Exists(class dlms.ClassID, o dlms.OBIS) bool {
	for _, obj := range d.Objects() {
		if obj.Class == class && obj.OBIS == o {
			return true
		}
	}
	return false
}

func scalerUnit(s int8, u Unit) axdr.Data { return axdr.Structure(axdr.Int8(s), axdr.Enum(uint8(u))) }

func (d *fakeDevice) dateTime(t time.Time) axdr.Data {
	return axdr.DateTimeData(axdr.DateTimeOf(t.In(d.loc)))
}

func (d *fakeDevice) Get(r session.AttributeRequest) (axdr.Data, error) {
	o, attr := r.Attribute.Instance, r.Attribute.Attribute
	if r.Access != nil && (o != obisDaily || attr != 2) {
		return axdr.Data{}, dlms.DataAccessOtherReason
	}
	idx := func(o dlms.OBIS) int {
		for i, x := range fakeIndexRegs {
			if x == o {
				return i
			}
		}
		return -1
	}
	switch {
	case o == obisClock && attr == 2:
		return d.dateTime(d.clock()), nil
	case o == obisCounter && attr == 2:
		last, _ := d.guard.Last()
		return axdr.Uint32(last), nil
	case idx(o) >= 0 && attr == 2:
		return axdr.Uint32(uint32(d.instant[idx(o)])), nil
	case idx(o) >= 0 && attr == 3:
		return scalerUnit(0, UnitWattHour), nil
	case o == obisGasVolume:
		switch attr {
		case 2:
			return axdr.Uint32(uint32(d.gas)), nil
		case 3:
			return scalerUnit(-3, UnitCubicMetre), nil
		case 4:
			return axdr.Uint8(0), nil
		case 5:
			if d.gasTime.IsZero() {
				return d.dateTime(d.clock().Truncate(time.Hour)), nil
			}
			return d.dateTime(d.gasTime), nil
		}
	case o == obisDaily:
		return d.profile(attr, r.Access)
	case o == obisBreaker || o == obisGasValve:
		state, mode := d.breakerState, d.breakerMode
		if o == obisGasValve {
			state, mode = d.valveState, d.valveMode
		}
		switch attr {
		case 2:
			return axdr.Bool(state == 1), nil
		case 3:
			return axdr.Enum(state), nil
		case 4:
			return axdr.Enum(mode), nil
		}
	case o == obisLimiter:
		switch attr {
		case 2:
			return apdu.CaptureObject{ClassID: dlms.ClassRegister, Instance: obisPower, Attribute: 2}.Data(), nil
		case 3, 4:
			return axdr.Uint32(uint32(d.threshold)), nil
		case 5:
			return axdr.Uint32(99999), nil
		case 6, 7:
			return axdr.Uint32(60), nil
		case 10:
			return axdr.Bool(false), nil
		}
	case o == obisDispLast && attr == 2:
		return d.dispLast, nil
	case o == obisDispBal && attr == 2:
		return axdr.Int32(int32(d.dispBal)), nil
	case o == obisDispEmerg && attr == 2:
		return axdr.Uint32(uint32(d.dispEmerg)), nil
	case (o == obisDispBal || o == obisDispEmerg) && attr == 3:
		return scalerUnit(-2, UnitCurrency), nil
	}
	return axdr.Data{}, dlms.DataAccessObjectUnavailable
}

// dailyColumns are the capture objects of the daily values profile.
var dailyColumns = []apdu.CaptureObject{
	{ClassID: dlms.ClassClock, Instance: obisClock, Attribute: 2},
	{ClassID: dlms.ClassRegister, Instance: obisImportDay, Attribute: 2},
	{ClassID: dlms.ClassRegister, Instance: obisImportNgt, Attribute: 2},
	{ClassID: dlms.ClassRegister, Instance: obisExportDay, Attribute: 2},
	{ClassID: dlms.ClassRegister, Instance: obisExportNgt, Attribute: 2},
	{ClassID: dlms.ClassExtendedRegister, Instance: obisGasVolume, Attribute: 2},
	{ClassID: dlms.ClassExtendedRegister, Instance: obisGasVolume, Attribute: 5},
}

func (d *fakeDevice) profile(attr int8, access *apdu.SelectiveAccess) (axdr.Data, error) {
	switch attr {
	case 3:
		cols := make([]axdr.Data, len(dailyColumns))
		for i, c := range dailyColumns {
			cols[i] = c.Data()
		}
		return axdr.Array(cols...), nil
	case 4:
		return axdr.Uint32(86400), nil
	case 2:
	default:
		return axdr.Data{}, dlms.DataAccessObjectUnavailable
	}
	var from, to time.Time
	if access != nil {
		r, err := apdu.ParseRange(*access)
		if err != nil || r.Restrict.Instance != obisClock {
			return axdr.Data{}, dlms.DataAccessOtherReason
		}
		d.rangeReads = append(d.rangeReads, r)
		f, err1 := r.From.DateTime()
		t, err2 := r.To.DateTime()
		if err1 != nil || err2 != nil {
			return axdr.Data{}, dlms.DataAccessOtherReason
		}
		from, _ = f.AsTime()
		to, _ = t.AsTime()
	}
	var rows []axdr.Data
	for _, row := range d.rows {
		at, _ := dayStart(row.day, d.loc)
		if access != nil && (at.Before(from) || at.After(to)) {
			continue
		}
		rows = append(rows, axdr.Structure(d.dateTime(at),
			axdr.Uint32(uint32(row.indexes[0])), axdr.Uint32(uint32(row.indexes[1])),
			axdr.Uint32(uint32(row.indexes[2])), axdr.Uint32(uint32(row.indexes[3])),
			axdr.Uint32(uint32(row.gas)), d.dateTime(at.Add(-time.Hour))))
	}
	return axdr.Array(rows...), nil
}

func (d *fakeDevice) Set(r session.AttributeRequest, v axdr.Data) error {
	o, attr := r.Attribute.Instance, r.Attribute.Attribute
	switch {
	case o == obisClock && attr == 2:
		dt, err := v.DateTime()
		if err != nil {
			return dlms.DataAccessTypeUnmatched
		}
		t, err := dt.AsTimeIn(d.loc)
		if err != nil {
			return dlms.DataAccessTypeUnmatched
		}
		d.offset = t.Sub(d.now())
		return nil
	case o == obisLimiter && attr == 4:
		if v.Tag != axdr.TagDoubleLongUnsigned {
			return dlms.DataAccessTypeUnmatched
		}
		d.threshold = int64(v.Uint)
		return nil
	case o == obisDispLast && attr == 2:
		if v.Tag != axdr.TagOctetString || len(v.Bytes) != 12 {
			return dlms.DataAccessTypeUnmatched
		}
		d.displaySets++
		if !d.ignoreDisplay {
			d.dispLast = v
		}
		return nil
	case o == obisDispBal && attr == 2:
		if v.Tag != axdr.TagDoubleLong {
			return dlms.DataAccessTypeUnmatched
		}
		if !d.ignoreDisplay {
			d.dispBal = v.Int
		}
		return nil
	case o == obisDispEmerg && attr == 2:
		if v.Tag != axdr.TagDoubleLongUnsigned {
			return dlms.DataAccessTypeUnmatched
		}
		if !d.ignoreDisplay {
			d.dispEmerg = int64(v.Uint)
		}
		return nil
	}
	return dlms.DataAccessReadWriteDenied
}

func (d *fakeDevice) Action(r session.MethodRequest, param *axdr.Data) (*axdr.Data, error) {
	md := r.Method
	d.actions = append(d.actions, md)
	switch {
	case (md.Instance == obisBreaker || md.Instance == obisGasValve) && (md.Method == 1 || md.Method == 2):
		if param == nil || param.Tag != axdr.TagInteger {
			return nil, dlms.ActionTypeUnmatched
		}
		if d.stuckBreaker {
			return nil, nil
		}
		state, mode := &d.breakerState, d.breakerMode
		if md.Instance == obisGasValve {
			state, mode = &d.valveState, d.valveMode
		}
		switch {
		case md.Method == 1 && mode != 0:
			*state = 0
		case md.Method == 2 && *state == 0 && (mode == 2 || mode == 4):
			*state = 1
		case md.Method == 2 && *state == 0 && mode != 0:
			*state = 2
		}
		return nil, nil
	case md.Instance == obisSecurity && md.Method == 2:
		if d.refuseKeys || param == nil {
			return nil, dlms.ActionReadWriteDenied
		}
		keys, err := security.ParseGlobalKeyTransfer(d.keys.KEK.Bytes(), *param)
		if err != nil {
			return nil, dlms.ActionOtherReason
		}
		d.keyTransfers++
		if d.onTransfer != nil {
			d.onTransfer()
		}
		if d.ignoreKeys {
			return nil, nil
		}
		for _, k := range keys {
			switch k.ID {
			case security.KeyGlobalUnicast:
				d.keys.EK = NewSecret(k.Key)
			case security.KeyAuthentication:
				d.keys.AK = NewSecret(k.Key)
			case security.KeyMaster:
				d.keys.KEK = NewSecret(k.Key)
			}
		}
		return nil, nil
	}
	return nil, dlms.ActionReadWriteDenied
}

// devLink is a Link to a device.
type devLink struct {
	f      *fleet
	d      *fakeDevice
	srv    *session.Server
	sap    uint16
	m      Meter
	closed bool
}

func (l *devLink) Exchange(ctx context.Context, req []byte) ([]byte, error) {
	if l.closed {
		return nil, errors.New("fake link closed")
	}
	unlock := l.d.lock()
	silent, delay := l.d.silent, l.d.delay
	unlock()
	if silent {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if delay > 0 {
		if err := sleep(ctx, delay); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer l.d.lock()()
	before := l.srv.State(l.sap)
	resp, _ := l.srv.Handle(l.sap, req)
	if l.sap == 1 && before != session.Associated && l.srv.State(l.sap) == session.Associated {
		l.d.sessions++
	}
	if resp == nil {
		return nil, fmt.Errorf("the fake meter does not answer % X", req)
	}
	return resp, nil
}

func (l *devLink) Close() error {
	if !l.closed {
		l.closed = true
		unlock := l.d.lock()
		l.srv.Reset(l.sap)
		unlock()
		l.f.leave(l.m)
	}
	return nil
}

// fleet is the devices of a test, by meter id, with the counts of the
// links open at once.
type fleet struct {
	t       testing.TB
	mu      sync.Mutex
	devices map[string]*fakeDevice
	open    map[string]int // by link key and "conc "+concentrator
	max     map[string]int
	global  int
	maxAll  int
}

func newFleet(t testing.TB) *fleet {
	return &fleet{t: t, devices: map[string]*fakeDevice{}, open: map[string]int{}, max: map[string]int{}}
}

func (f *fleet) add(d *fakeDevice) *fakeDevice {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.devices[d.id] = d
	return d
}

func (f *fleet) device(id string) *fakeDevice {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.devices[id]
}

func (f *fleet) dial(ctx context.Context, m Meter, association string) (Link, error) {
	d := f.device(m.ID)
	if d == nil {
		return nil, fmt.Errorf("no fake meter %q", m.ID)
	}
	unlock := d.lock()
	d.dials++
	err := d.dialErr
	if d.failDials > 0 {
		d.failDials--
		err = errors.New("connection refused")
	}
	var srv *session.Server
	if err == nil {
		srv = d.server(f.t)
	}
	unlock()
	if err != nil {
		return nil, err
	}
	sap, ok := m.ClientSAP(association)
	if !ok {
		return nil, fmt.Errorf("meter %q has no %s association", m.ID, association)
	}
	f.enter(m)
	return &devLink{f: f, d: d, srv: srv, sap: sap, m: m}, nil
}

func (f *fleet) keys(m Meter) []string {
	ks := []string{linkKey(m)}
	if m.Link.Concentrator != "" {
		ks = append(ks, "conc "+m.Link.Concentrator)
	}
	return ks
}

func (f *fleet) enter(m Meter) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range f.keys(m) {
		f.open[k]++
		f.max[k] = max(f.max[k], f.open[k])
	}
	f.global++
	f.maxAll = max(f.maxAll, f.global)
}

func (f *fleet) leave(m Meter) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range f.keys(m) {
		f.open[k]--
	}
	f.global--
}

// The test bench: a store on a bbolt file, a fleet, Sessions.

// brusselsTZ is the meters' time zone.
func brusselsTZ(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// movingClock returns a clock that starts at start and runs with the real
// time.
func movingClock(start time.Time) func() time.Time {
	t0 := time.Now()
	return func() time.Time { return start.Add(time.Since(t0)) }
}

type bench struct {
	t   testing.TB
	loc *time.Location
	now func() time.Time
	// registered moves the store's clock back while meters are added: the
	// meters were registered a month before the day read.
	registered atomic.Bool
	path       string
	store      *Store
	fleet      *fleet
	sess       *Sessions
}

// benchDay is the day the tests read: 02:00 in Brussels on it is when
// their clock starts.
const benchDay = "2026-03-10"

func newBench(t testing.TB, limits Limits) *bench {
	t.Helper()
	loc := brusselsTZ(t)
	start, _ := dayStart(benchDay, loc)
	b := &bench{t: t, loc: loc, now: movingClock(start.Add(2 * time.Hour)), fleet: newFleet(t)}
	b.path = filepath.Join(t.TempDir(), "hes.db")
	b.open(limits)
	return b
}

// open opens (or reopens) the store and the sessions.
func (b *bench) open(limits Limits) {
	b.t.Helper()
	db := openDB(b.t, b.path)
	b.t.Cleanup(func() { db.Close() })
	storeNow := func() time.Time {
		if b.registered.Load() {
			return b.now().AddDate(0, -1, 0)
		}
		return b.now()
	}
	s, err := OpenStore(db, testSealer(b.t, testMaster), &StoreOptions{Now: storeNow, Location: b.loc})
	if err != nil {
		b.t.Fatal(err)
	}
	b.store = s
	b.sess, err = NewSessions(s, SessionsConfig{Dial: b.fleet.dial, SystemTitle: hesTitle, Limits: limits,
		Rand: bytes.NewReader(bytes.Repeat([]byte{0x3C}, 1<<20))})
	if err != nil {
		b.t.Fatal(err)
	}
}

// reopen closes the bbolt file and opens it again.
func (b *bench) reopen(limits Limits) {
	b.t.Helper()
	if err := b.store.db.Close(); err != nil {
		b.t.Fatal(err)
	}
	b.open(limits)
}

// addMeter registers meter n (electricity with a gas meter) on its own
// TCP address, and its device with daily rows from 14 days before
// benchDay to benchDay.
func (b *bench) addMeter(n int, edit func(*Meter)) (Meter, *fakeDevice) {
	b.t.Helper()
	id := fmt.Sprintf("M%03d", n)
	m := testMeter(b.t, id, n)
	m.Link = LinkSpec{Kind: LinkTCP, Address: fmt.Sprintf("10.0.0.%d:4059", n)}
	if edit != nil {
		edit(&m)
	}
	b.registered.Store(true)
	err := b.store.Add(m)
	b.registered.Store(false)
	if err != nil {
		b.t.Fatal(err)
	}
	keys := testKeys(byte(n))
	if err := b.store.PutKeys(id, keys); err != nil {
		b.t.Fatal(err)
	}
	m, _ = b.store.Get(id)
	d := b.fleet.add(newFakeDevice(id, b.loc, b.now, keys).withRows(addDays(benchDay, -14), benchDay))
	return m, d
}
