package meter_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/dlms/session"
	"github.com/openhes/hes/meter"
)

// The fake meter of these tests: a session.Server over an ObjectModel in
// memory, with the objects of the default profile, reached through a Link
// that calls the server directly.

// Client SAPs of the fake meter.
const (
	sapPublic     = 16
	sapManagement = 1
	sapTechnician = 17
)

var (
	fakeEK          = mustHex("000102030405060708090A0B0C0D0E0F")
	fakeAK          = mustHex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
	fakeKEK         = mustHex("101112131415161718191A1B1C1D1E1F")
	fakeClientTitle = []byte("HES00001")
	fakeMeterTitle  = []byte("MTR00001")
	fakePassword    = "12345678"
)

// Logical names of the fake meter's objects.
var (
	obClock      = dlms.MustOBIS("0-0:1.0.0.255")
	obDevice     = dlms.MustOBIS("0-0:42.0.0.255")
	obEAN        = dlms.MustOBIS("0-0:96.1.10.255")
	obSecurity   = dlms.MustOBIS("0-0:43.0.0.255")
	obCounter    = dlms.MustOBIS("0-0:43.1.0.255")
	obImport     = dlms.MustOBIS("1-0:1.8.0.255")
	obImportDay  = dlms.MustOBIS("1-0:1.8.1.255")
	obImportNgt  = dlms.MustOBIS("1-0:1.8.2.255")
	obPower      = dlms.MustOBIS("1-0:1.7.0.255")
	obBalance    = dlms.MustOBIS("0-0:94.32.2.2")
	obDaily      = dlms.MustOBIS("1-0:99.2.0.255")
	obLoad       = dlms.MustOBIS("1-0:99.1.0.255")
	obCompact    = dlms.MustOBIS("1-0:99.3.0.255") // a profile whose buffer is a compact-array
	obBreaker    = dlms.MustOBIS("0-0:96.3.10.255")
	obLimiter    = dlms.MustOBIS("0-0:17.0.0.255")
	obMBus       = dlms.MustOBIS("0-1:24.1.0.255")
	obGas        = dlms.MustOBIS("0-1:24.2.3.255")
	obPush       = dlms.MustOBIS("0-1:25.9.0.255")
	obMissing    = dlms.MustOBIS("0-0:96.99.9.255") // not in the meter
	obOtherAssoc = dlms.MustOBIS("0-0:40.0.2.255")  // the association of another client
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func brussels(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

type attrKey struct {
	obis dlms.OBIS
	attr int8
}

// fakeMeter is the ObjectModel of the fake meter. Its values are set by
// the tests; it records what it is asked and acts like a meter for the
// methods it has.
type fakeMeter struct {
	t       testing.TB
	objects []session.Object
	values  map[attrKey]axdr.Data
	loc     *time.Location

	gets    []session.AttributeRequest
	sets    []attrKey
	actions []apdu.MethodDescriptor
	keys    []security.KeyData // what global_key_transfer installed
	pushes  int
	mbusCap int
}

// The times of the fake meter's daily values: midnight local time of ten
// days of November 2026, one row a day.
var dailyFirst = time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)

func newFakeMeter(t testing.TB) *fakeMeter {
	loc := brussels(t)
	m := &fakeMeter{t: t, loc: loc, values: map[attrKey]axdr.Data{}}
	obj := func(class dlms.ClassID, version uint8, o dlms.OBIS, attrs, methods int8) {
		m.objects = append(m.objects, session.Object{Class: class, Version: version, OBIS: o, Attributes: attrs, Methods: methods})
	}
	obj(dlms.ClassClock, 0, obClock, 9, 6)
	obj(dlms.ClassData, 0, obDevice, 2, 0)
	obj(dlms.ClassData, 0, obEAN, 2, 0)
	obj(dlms.ClassSecuritySetup, 0, obSecurity, 5, 2)
	obj(dlms.ClassData, 0, obCounter, 2, 0)
	obj(dlms.ClassRegister, 0, obImport, 3, 1)
	obj(dlms.ClassRegister, 0, obImportDay, 3, 1)
	obj(dlms.ClassRegister, 0, obImportNgt, 3, 1)
	obj(dlms.ClassRegister, 0, obPower, 3, 1)
	obj(dlms.ClassRegister, 0, obBalance, 3, 1)
	obj(dlms.ClassProfileGeneric, 1, obDaily, 8, 2)
	obj(dlms.ClassProfileGeneric, 1, obLoad, 8, 2)
	obj(dlms.ClassProfileGeneric, 1, obCompact, 8, 2)
	obj(dlms.ClassDisconnectControl, 0, obBreaker, 4, 2)
	obj(dlms.ClassLimiter, 0, obLimiter, 11, 0)
	obj(dlms.ClassMBusClient, 1, obMBus, 14, 8)
	obj(dlms.ClassExtendedRegister, 0, obGas, 5, 1)
	obj(dlms.ClassPushSetup, 0, obPush, 7, 1)
	obj(dlms.ClassAssociationLN, 1, obOtherAssoc, 9, 4)

	set := func(o dlms.OBIS, attr int8, v axdr.Data) { m.values[attrKey{o, attr}] = v }
	now := time.Date(2026, 11, 27, 2, 36, 4, 0, time.UTC).In(loc)
	set(obClock, 2, axdr.DateTimeData(axdr.DateTimeOf(now)))
	set(obClock, 3, axdr.Int16(-60))
	set(obClock, 4, axdr.Uint8(0))
	set(obClock, 5, axdr.DateTimeData(axdr.DateTime{Date: axdr.Date{Year: 0xFFFF, Month: 3, Day: axdr.DayLast, Weekday: 7}, Time: axdr.Time{Hour: 2, Minute: 0, Second: 0, Hundredths: 0}, Deviation: axdr.DeviationNotSpecified, Status: 0xFF}))
	set(obClock, 6, axdr.DateTimeData(axdr.DateTime{Date: axdr.Date{Year: 0xFFFF, Month: 10, Day: axdr.DayLast, Weekday: 7}, Time: axdr.Time{Hour: 3, Minute: 0, Second: 0, Hundredths: 0}, Deviation: axdr.DeviationNotSpecified, Status: 0xFF}))
	set(obClock, 7, axdr.Int8(60))
	set(obClock, 8, axdr.Bool(true))
	set(obClock, 9, axdr.Enum(1))
	set(obDevice, 2, axdr.OctetString([]byte("HES0012345678")))
	set(obEAN, 2, axdr.OctetString([]byte("541234567890123458")))
	set(obSecurity, 2, axdr.Enum(3))
	set(obSecurity, 3, axdr.Enum(0))
	set(obSecurity, 4, axdr.OctetString(fakeClientTitle))
	set(obSecurity, 5, axdr.OctetString(fakeMeterTitle))
	set(obCounter, 2, axdr.Uint32(41234))
	wh := axdr.Structure(axdr.Int8(0), axdr.Enum(30))
	set(obImport, 2, axdr.Uint32(123456))
	set(obImport, 3, wh)
	set(obImportDay, 2, axdr.Uint32(83456))
	set(obImportDay, 3, wh)
	set(obImportNgt, 2, axdr.Uint32(40000))
	set(obImportNgt, 3, wh)
	set(obPower, 2, axdr.Uint32(2300))
	set(obPower, 3, axdr.Structure(axdr.Int8(0), axdr.Enum(27)))
	set(obBalance, 2, axdr.Int32(-1234))
	set(obBalance, 3, axdr.Structure(axdr.Int8(-2), axdr.Enum(10)))

	clockCol := captureDef(dlms.ClassClock, obClock, 2)
	set(obDaily, 3, axdr.Array(clockCol, captureDef(dlms.ClassRegister, obImportDay, 2), captureDef(dlms.ClassRegister, obImportNgt, 2)))
	set(obDaily, 4, axdr.Uint32(86400))
	var daily []axdr.Data
	for i := range 10 {
		d := dailyFirst.AddDate(0, 0, i)
		midnight := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
		daily = append(daily, axdr.Structure(axdr.DateTimeData(axdr.DateTimeOf(midnight)), axdr.Uint32(uint32(1000*i)), axdr.Uint32(uint32(500*i))))
	}
	set(obDaily, 2, axdr.Array(daily...))
	set(obDaily, 7, axdr.Uint32(10))
	set(obDaily, 8, axdr.Uint32(40))

	// The load profile is long enough to need block transfer: 1500 rows
	// of 15 minutes, the clock left null-data after the first row.
	set(obLoad, 3, axdr.Array(clockCol, captureDef(dlms.ClassRegister, obImport, 2)))
	set(obLoad, 4, axdr.Uint32(900))
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
	load := make([]axdr.Data, 1500)
	for i := range load {
		ts := axdr.Null()
		if i == 0 {
			ts = axdr.DateTimeData(axdr.DateTimeOf(start))
		}
		load[i] = axdr.Structure(ts, axdr.Uint32(uint32(100000+i*25)))
	}
	set(obLoad, 2, axdr.Array(load...))

	set(obCompact, 3, axdr.Array(captureDef(dlms.ClassRegister, obImport, 2), captureDef(dlms.ClassRegister, obPower, 2)))
	set(obCompact, 4, axdr.Uint32(0))
	row := axdr.Structure(axdr.Uint32(0), axdr.Uint32(0))
	desc, err := axdr.AppendTypeDesc(nil, row)
	if err != nil {
		t.Fatal(err)
	}
	compact, err := axdr.CompactArray(desc,
		axdr.Structure(axdr.Uint32(10), axdr.Uint32(1)),
		axdr.Structure(axdr.Uint32(20), axdr.Uint32(2)),
		axdr.Structure(axdr.Uint32(30), axdr.Uint32(3)))
	if err != nil {
		t.Fatal(err)
	}
	set(obCompact, 2, compact)

	set(obBreaker, 2, axdr.Bool(true))
	set(obBreaker, 3, axdr.Enum(1))
	set(obBreaker, 4, axdr.Enum(1))

	set(obLimiter, 2, axdr.Structure(axdr.Uint16(3), axdr.OctetString(obPower[:]), axdr.Int8(2)))
	set(obLimiter, 3, axdr.Uint32(99999))
	set(obLimiter, 4, axdr.Uint32(99999))
	set(obLimiter, 5, axdr.Uint32(1000))
	set(obLimiter, 6, axdr.Uint32(60))
	set(obLimiter, 7, axdr.Uint32(30))
	set(obLimiter, 10, axdr.Bool(false))

	set(obMBus, 5, axdr.Uint8(9))
	set(obMBus, 6, axdr.Uint32(0x12345678))
	set(obMBus, 7, axdr.Uint16(0x0443))
	set(obMBus, 8, axdr.Uint8(1))
	set(obMBus, 9, axdr.Uint8(3))

	gasAt := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC).In(loc)
	set(obGas, 2, axdr.Uint32(1234567))
	set(obGas, 3, axdr.Structure(axdr.Int8(-3), axdr.Enum(13)))
	set(obGas, 4, axdr.Uint8(0x10))
	set(obGas, 5, axdr.DateTimeData(axdr.DateTimeOf(gasAt)))

	set(obPush, 2, axdr.Array(captureDef(dlms.ClassPushSetup, obPush, 1), clockCol, captureDef(dlms.ClassExtendedRegister, obGas, 2)))
	set(obPush, 3, axdr.Structure(axdr.Enum(0), axdr.OctetString([]byte("hes.example:4059")), axdr.Enum(0)))
	return m
}

func captureDef(class dlms.ClassID, o dlms.OBIS, attr int8) axdr.Data {
	return apdu.CaptureObject{ClassID: class, Instance: o, Attribute: attr}.Data()
}

func (m *fakeMeter) value(o dlms.OBIS, attr int8) axdr.Data { return m.values[attrKey{o, attr}] }

func (m *fakeMeter) Objects() []session.Object { return m.objects }

func (m *fakeMeter) Exists(class dlms.ClassID, o dlms.OBIS) bool {
	for _, ob := range m.objects {
		if ob.Class == class && ob.OBIS == o {
			return true
		}
	}
	return false
}

func (m *fakeMeter) Get(r session.AttributeRequest) (axdr.Data, error) {
	m.gets = append(m.gets, r)
	k := attrKey{r.Attribute.Instance, r.Attribute.Attribute}
	v, ok := m.values[k]
	if !ok {
		return axdr.Data{}, dlms.DataAccessObjectUnavailable
	}
	if r.Access == nil {
		return v, nil
	}
	if r.Attribute.ClassID != dlms.ClassProfileGeneric || r.Attribute.Attribute != 2 {
		return axdr.Data{}, dlms.DataAccessOtherReason
	}
	return m.selectRows(r.Attribute.Instance, v, *r.Access)
}

// selectRows applies a range or entry selection to a profile's buffer.
func (m *fakeMeter) selectRows(o dlms.OBIS, buf axdr.Data, sa apdu.SelectiveAccess) (axdr.Data, error) {
	switch sa.Selector {
	case apdu.SelectorEntry:
		e, err := apdu.ParseEntry(sa)
		if err != nil {
			return axdr.Data{}, dlms.DataAccessOtherReason
		}
		last := uint32(len(buf.Items))
		if e.ToEntry != 0 && e.ToEntry < last {
			last = e.ToEntry
		}
		if e.FromEntry < 1 || e.FromEntry > last {
			return axdr.Array(), nil
		}
		return axdr.Array(buf.Items[e.FromEntry-1 : last]...), nil
	case apdu.SelectorRange:
		r, err := apdu.ParseRange(sa)
		if err != nil {
			return axdr.Data{}, dlms.DataAccessOtherReason
		}
		col := -1
		for i, c := range m.value(o, 3).Items {
			if c.Equal(r.Restrict.Data()) {
				col = i
			}
		}
		from, err1 := dataTime(r.From)
		to, err2 := dataTime(r.To)
		if col < 0 || err1 != nil || err2 != nil {
			return axdr.Data{}, dlms.DataAccessOtherReason
		}
		var rows []axdr.Data
		for _, row := range buf.Items {
			t, err := dataTime(row.Items[col])
			if err == nil && !t.Before(from) && !t.After(to) {
				rows = append(rows, row)
			}
		}
		return axdr.Array(rows...), nil
	}
	return axdr.Data{}, dlms.DataAccessOtherReason
}

func dataTime(d axdr.Data) (time.Time, error) {
	dt, err := d.DateTime()
	if err != nil {
		return time.Time{}, err
	}
	return dt.AsTime()
}

func (m *fakeMeter) Set(r session.AttributeRequest, v axdr.Data) error {
	k := attrKey{r.Attribute.Instance, r.Attribute.Attribute}
	cur, ok := m.values[k]
	if !ok {
		return dlms.DataAccessObjectUnavailable
	}
	if cur.Tag != v.Tag {
		return dlms.DataAccessTypeUnmatched
	}
	m.sets = append(m.sets, k)
	m.values[k] = v
	return nil
}

func (m *fakeMeter) Action(r session.MethodRequest, param *axdr.Data) (*axdr.Data, error) {
	md := r.Method
	m.actions = append(m.actions, md)
	switch {
	case md.Instance == obBreaker && (md.Method == 1 || md.Method == 2):
		if param == nil || param.Tag != axdr.TagInteger {
			return nil, dlms.ActionTypeUnmatched
		}
		m.breaker(md.Method)
		return nil, nil
	case md.Instance == obSecurity && md.Method == 2:
		keys, err := security.ParseGlobalKeyTransfer(fakeKEK, *param)
		if err != nil {
			return nil, dlms.ActionOtherReason
		}
		m.keys = append(m.keys, keys...)
		return nil, nil
	case md.Instance == obPush && md.Method == 1:
		m.pushes++
		return nil, nil
	case md.Instance == obMBus && md.Method == 3:
		m.mbusCap++
		return nil, nil
	}
	return nil, dlms.ActionReadWriteDenied
}

// breaker moves the disconnect control as remote_disconnect (1) and
// remote_reconnect (2) do in its control mode.
func (m *fakeMeter) breaker(method int8) {
	mode := m.value(obBreaker, 4).Uint
	state := m.value(obBreaker, 3).Uint
	switch {
	case method == 1 && mode != 0:
		state = 0
	case method == 2 && state == 0 && (mode == 2 || mode == 4):
		state = 1
	case method == 2 && state == 0 && mode != 0:
		state = 2
	}
	m.values[attrKey{obBreaker, 3}] = axdr.Enum(uint8(state))
	m.values[attrKey{obBreaker, 2}] = axdr.Bool(state == 1)
}

// fakeServer returns a server for m with the associations of the default
// profile: the public client, the management client (HLS-GMAC, ciphered)
// and the technician (LLS), which may not touch the security setup nor see
// the limiter.
func fakeServer(t testing.TB, m *fakeMeter, maxPDU uint16) *session.Server {
	t.Helper()
	s, err := session.NewServer(session.ServerConfig{
		Objects:     m,
		SystemTitle: fakeMeterTitle,
		MaxPDU:      maxPDU,
		Rand:        bytes.NewReader(bytes.Repeat([]byte{0x5A}, 1<<16)),
		Associations: map[uint16]session.AssociationPolicy{
			sapPublic: {
				Mechanism: apdu.MechanismNone,
				Access: func(mb session.Member) session.AccessMode {
					if mb.Method {
						return session.AccessNone
					}
					return session.AccessRead
				},
			},
			sapManagement: {
				Mechanism: apdu.MechanismHLSGMAC,
				Security: &session.SecurityPolicy{
					Policy:  security.PolicyAuthenticatedEncrypted,
					Keys:    security.Keys{Encryption: fakeEK, Authentication: fakeAK},
					Counter: security.NewMemoryCounter(1),
				},
			},
			sapTechnician: {
				Mechanism: apdu.MechanismLLS,
				Password:  []byte(fakePassword),
				Visible:   func(_ dlms.ClassID, o dlms.OBIS) bool { return o != obLimiter },
				Access: func(mb session.Member) session.AccessMode {
					if mb.OBIS == obSecurity {
						return session.AccessNone
					}
					return session.AccessAll
				},
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeLink is a meter.Link to a session.Server in memory.
type fakeLink struct {
	srv       *session.Server
	sap       uint16
	exchanges int
	closed    int
	// fail, when set, is the error of the next Exchange.
	fail error
	// early, when set, returns the APDUs that the link delivers before
	// the server's answer to req (late answers, pushes); the server's
	// answer is then queued for Receive.
	early func(req []byte) [][]byte
	queue [][]byte
}

func (l *fakeLink) Exchange(ctx context.Context, req []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if l.closed > 0 {
		return nil, errors.New("fake link closed")
	}
	if err := l.fail; err != nil {
		l.fail = nil
		return nil, err
	}
	l.exchanges++
	resp, _ := l.srv.Handle(l.sap, req)
	if resp == nil {
		return nil, fmt.Errorf("the server does not answer % X", req)
	}
	if l.early != nil {
		if pre := l.early(req); len(pre) > 0 {
			l.queue = append(l.queue, pre[1:]...)
			l.queue = append(l.queue, resp)
			return pre[0], nil
		}
	}
	return resp, nil
}

func (l *fakeLink) Close() error {
	l.closed++
	l.srv.Reset(l.sap)
	return nil
}

// receivingLink is a fakeLink that is also a meter.Receiver.
type receivingLink struct{ *fakeLink }

func (l receivingLink) Receive(ctx context.Context) ([]byte, error) {
	if len(l.queue) == 0 {
		return nil, errors.New("nothing more to receive")
	}
	b := l.queue[0]
	l.queue = l.queue[1:]
	return b, nil
}

// management returns the configuration of the management client, with
// a new invocation counter.
func management() meter.Config {
	return meter.Config{
		Auth:        meter.MechanismHLSGMAC,
		Policy:      security.PolicyAuthenticatedEncrypted,
		Keys:        security.Keys{Encryption: fakeEK, Authentication: fakeAK},
		SystemTitle: fakeClientTitle,
		Counter:     security.NewMemoryCounter(1),
	}
}

// technician returns the configuration of the technician client.
func technician() meter.Config {
	return meter.Config{Auth: meter.MechanismLLS, Password: meter.NewSecret([]byte(fakePassword))}
}

// dial opens a client of SAP sap on a new fake meter.
func dial(t testing.TB, sap uint16, cfg meter.Config) (*meter.Client, *fakeMeter, *fakeLink) {
	t.Helper()
	m := newFakeMeter(t)
	l := &fakeLink{srv: fakeServer(t, m, 0), sap: sap}
	c, err := meter.Connect(context.Background(), l, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c, m, l
}
