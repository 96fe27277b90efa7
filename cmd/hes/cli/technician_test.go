package cli

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/dlms/session"
	"github.com/openhes/hes/transport"
	"github.com/openhes/hes/transport/tcp"
)

// The technician commands run against a meter served on loopback: a
// session.Server per link over an object model in memory, behind the TCP
// server of package transport (HDLC and wrapper).

const techPassword = "tech1234"

var (
	techEK          = mustHexT("000102030405060708090A0B0C0D0E0F")
	techAK          = mustHexT("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
	techClientTitle = "4845530000000001"
	techMeterTitle  = []byte("MTR00001")
	// techMeterTime is the time of the meter's clock.
	techMeterTime = time.Date(2026, 11, 27, 2, 36, 4, 0, time.UTC)
	// techCounter is the invocation counter the meter reports.
	techCounter uint32 = 500
)

var (
	tmClock    = dlms.MustOBIS("0-0:1.0.0.255")
	tmDevice   = dlms.MustOBIS("0-0:42.0.0.255")
	tmSecurity = dlms.MustOBIS("0-0:43.0.0.255")
	tmCounter  = dlms.MustOBIS("0-0:43.1.0.255")
	tmImport   = dlms.MustOBIS("1-0:1.8.0.255")
	tmDay      = dlms.MustOBIS("1-0:1.8.1.255")
	tmNight    = dlms.MustOBIS("1-0:1.8.2.255")
	tmDaily    = dlms.MustOBIS("1-0:99.2.0.255")
	tmBreaker  = dlms.MustOBIS("0-0:96.3.10.255")
)

func mustHexT(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

type tmKey struct {
	obis dlms.OBIS
	attr int8
}

// techMeter is the object model of the test meter, shared by its links.
type techMeter struct {
	mu      sync.Mutex
	objects []session.Object
	values  map[tmKey]axdr.Data
	actions []apdu.MethodDescriptor
	// guard checks the management client's invocation counters across
	// links; the invocation counter object reports its last.
	guard *security.ReplayGuard
	// refuse is how many AARQs are still to be answered with an exception
	// response, as meters do that are not ready.
	refuse int
}

func newTechMeter(t *testing.T) *techMeter {
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	m := &techMeter{values: map[tmKey]axdr.Data{}, guard: security.NewReplayGuard(techCounter)}
	obj := func(class dlms.ClassID, o dlms.OBIS, attrs, methods int8) {
		m.objects = append(m.objects, session.Object{Class: class, OBIS: o, Attributes: attrs, Methods: methods})
	}
	obj(dlms.ClassClock, tmClock, 9, 6)
	obj(dlms.ClassData, tmDevice, 2, 0)
	obj(dlms.ClassSecuritySetup, tmSecurity, 5, 2)
	obj(dlms.ClassData, tmCounter, 2, 0)
	obj(dlms.ClassRegister, tmImport, 3, 1)
	obj(dlms.ClassRegister, tmDay, 3, 1)
	obj(dlms.ClassRegister, tmNight, 3, 1)
	obj(dlms.ClassProfileGeneric, tmDaily, 8, 2)
	obj(dlms.ClassDisconnectControl, tmBreaker, 4, 2)

	set := func(o dlms.OBIS, attr int8, v axdr.Data) { m.values[tmKey{o, attr}] = v }
	set(tmClock, 2, axdr.DateTimeData(axdr.DateTimeOf(techMeterTime.In(loc))))
	set(tmClock, 3, axdr.Int16(-60))
	set(tmClock, 4, axdr.Uint8(0))
	dst := func(month uint8, hour uint8) axdr.Data {
		return axdr.DateTimeData(axdr.DateTime{Date: axdr.Date{Year: 0xFFFF, Month: month, Day: axdr.DayLast, Weekday: 7},
			Time: axdr.Time{Hour: hour}, Deviation: axdr.DeviationNotSpecified, Status: 0xFF})
	}
	set(tmClock, 5, dst(3, 2))
	set(tmClock, 6, dst(10, 3))
	set(tmClock, 7, axdr.Int8(60))
	set(tmClock, 8, axdr.Bool(true))
	set(tmDevice, 2, axdr.OctetString([]byte("HES0012345678")))
	set(tmSecurity, 2, axdr.Enum(3))
	set(tmCounter, 2, axdr.Uint32(0)) // see Get
	wh := axdr.Structure(axdr.Int8(0), axdr.Enum(30))
	set(tmImport, 2, axdr.Uint32(123456))
	set(tmImport, 3, axdr.Structure(axdr.Int8(-3), axdr.Enum(30)))
	set(tmDay, 2, axdr.Uint32(80000))
	set(tmDay, 3, wh)
	set(tmNight, 2, axdr.Uint32(43456))
	set(tmNight, 3, wh)
	clockCol := apdu.CaptureObject{ClassID: dlms.ClassClock, Instance: tmClock, Attribute: 2}
	set(tmDaily, 3, axdr.Array(clockCol.Data(),
		apdu.CaptureObject{ClassID: dlms.ClassRegister, Instance: tmDay, Attribute: 2}.Data(),
		apdu.CaptureObject{ClassID: dlms.ClassRegister, Instance: tmNight, Attribute: 2}.Data()))
	set(tmDaily, 4, axdr.Uint32(86400))
	var rows []axdr.Data
	for i := range 5 {
		day := time.Date(2026, 11, 20+i, 0, 0, 0, 0, loc)
		rows = append(rows, axdr.Structure(axdr.DateTimeData(axdr.DateTimeOf(day)), axdr.Uint32(uint32(1000*i)), axdr.Uint32(uint32(10*i))))
	}
	set(tmDaily, 2, axdr.Array(rows...))
	set(tmBreaker, 2, axdr.Bool(true))
	set(tmBreaker, 3, axdr.Enum(1))
	set(tmBreaker, 4, axdr.Enum(1))
	return m
}

func (m *techMeter) value(o dlms.OBIS, attr int8) axdr.Data {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.values[tmKey{o, attr}]
}

func (m *techMeter) setValue(o dlms.OBIS, attr int8, v axdr.Data) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.values[tmKey{o, attr}] = v
}

func (m *techMeter) Objects() []session.Object { return m.objects }

func (m *techMeter) Exists(class dlms.ClassID, o dlms.OBIS) bool {
	for _, ob := range m.objects {
		if ob.Class == class && ob.OBIS == o {
			return true
		}
	}
	return false
}

func (m *techMeter) Get(r session.AttributeRequest) (axdr.Data, error) {
	if r.Attribute.Instance == tmCounter && r.Attribute.Attribute == 2 {
		last, _ := m.guard.Last()
		return axdr.Uint32(last), nil
	}
	v, ok := m.values[tmKey{r.Attribute.Instance, r.Attribute.Attribute}]
	if !ok {
		return axdr.Data{}, dlms.DataAccessObjectUnavailable
	}
	if r.Access == nil {
		return v, nil
	}
	rg, err := apdu.ParseRange(*r.Access)
	if err != nil {
		return axdr.Data{}, dlms.DataAccessOtherReason
	}
	from, err1 := tmTime(rg.From)
	to, err2 := tmTime(rg.To)
	if err1 != nil || err2 != nil {
		return axdr.Data{}, dlms.DataAccessOtherReason
	}
	var rows []axdr.Data
	for _, row := range v.Items {
		if t, err := tmTime(row.Items[0]); err == nil && !t.Before(from) && !t.After(to) {
			rows = append(rows, row)
		}
	}
	return axdr.Array(rows...), nil
}

func tmTime(d axdr.Data) (time.Time, error) {
	dt, err := d.DateTime()
	if err != nil {
		return time.Time{}, err
	}
	return dt.AsTime()
}

func (m *techMeter) Set(r session.AttributeRequest, v axdr.Data) error {
	k := tmKey{r.Attribute.Instance, r.Attribute.Attribute}
	if cur, ok := m.values[k]; !ok || cur.Tag != v.Tag {
		return dlms.DataAccessTypeUnmatched
	}
	m.values[k] = v
	return nil
}

func (m *techMeter) Action(r session.MethodRequest, _ *axdr.Data) (*axdr.Data, error) {
	m.actions = append(m.actions, r.Method)
	if r.Method.Instance != tmBreaker {
		return nil, dlms.ActionReadWriteDenied
	}
	mode, state := m.values[tmKey{tmBreaker, 4}].Uint, m.values[tmKey{tmBreaker, 3}].Uint
	switch {
	case r.Method.Method == 1:
		state = 0
	case state == 0 && (mode == 2 || mode == 4):
		state = 1
	case state == 0:
		state = 2
	}
	m.values[tmKey{tmBreaker, 3}] = axdr.Enum(uint8(state))
	m.values[tmKey{tmBreaker, 2}] = axdr.Bool(state == 1)
	return nil, nil
}

// techHandler opens a session.Server for each link to the test meter.
type techHandler struct {
	t *testing.T
	m *techMeter
}

type techSession struct {
	m   *techMeter
	srv *session.Server
}

func (s techSession) Serve(_ context.Context, req transport.Request) []byte {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	if s.m.refuse > 0 && len(req.APDU) > 0 && apdu.Tag(req.APDU[0]) == apdu.TagAARQ {
		s.m.refuse--
		return (&apdu.ExceptionResponse{StateError: dlms.StateServiceNotAllowed, ServiceError: dlms.ServiceOperationNotPossible}).Append(nil)
	}
	resp, _ := s.srv.Handle(req.Peer.Client, req.APDU)
	return resp
}

func (techSession) Close() {}

func (h *techHandler) Open(_ context.Context, _ transport.Peer) (transport.Session, bool) {
	read := func(mb session.Member) session.AccessMode {
		if mb.OBIS == tmSecurity || mb.Method {
			return session.AccessNone
		}
		return session.AccessRead
	}
	srv, err := session.NewServer(session.ServerConfig{
		Objects:     h.m,
		SystemTitle: techMeterTitle,
		Rand:        bytes.NewReader(bytes.Repeat([]byte{0x5A}, 1<<12)),
		Associations: map[uint16]session.AssociationPolicy{
			sapPublic: {Access: read},
			sapTechnician: {Mechanism: apdu.MechanismLLS, Password: []byte(techPassword),
				Access: func(mb session.Member) session.AccessMode {
					if mb.OBIS == tmClock && !mb.Method && mb.Index == 2 {
						return session.AccessRead | session.AccessWrite
					}
					return read(mb)
				}},
			sapManagement: {Mechanism: apdu.MechanismHLSGMAC, Security: &session.SecurityPolicy{
				Policy:      security.PolicyAuthenticatedEncrypted,
				Keys:        security.Keys{Encryption: techEK, Authentication: techAK},
				Counter:     security.NewMemoryCounter(1),
				ReplayGuard: h.m.guard,
				// The guard is shared by the links of the one client.
				ClientSystemTitle: mustHexT(techClientTitle),
			}},
		},
	})
	if err != nil {
		h.t.Error(err)
		return nil, false
	}
	return techSession{m: h.m, srv: srv}, true
}

// startTechMeter serves a new test meter on loopback and returns it with
// its address.
func startTechMeter(t *testing.T) (*techMeter, string) {
	t.Helper()
	m := newTechMeter(t)
	h := &techHandler{t: t, m: m}
	srv, err := tcp.Listen("127.0.0.1:0", h, tcp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return m, srv.Addr().String()
}

// keyFiles writes the test keys in files and returns the HLS-GMAC flags
// that name them.
func keyFiles(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	ek, ak := filepath.Join(dir, "ek.hex"), filepath.Join(dir, "ak.hex")
	if err := os.WriteFile(ek, []byte(hex.EncodeToString(techEK)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ak, []byte(hex.EncodeToString(techAK)), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"--auth", "hls-gmac", "--ek-file", ek, "--ak-file", ak, "--system-title", techClientTitle}
}

// decodeKeyFlags returns the flags of hes dlms decode for the test meter's keys.
func decodeKeyFlags(t *testing.T) []string {
	t.Helper()
	flags := keyFiles(t)
	// keyFiles gives --auth hls-gmac --ek-file F --ak-file F --system-title T.
	return []string{"--ek-file", flags[3], "--ak-file", flags[5]}
}
