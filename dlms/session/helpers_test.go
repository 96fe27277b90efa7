package session

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
)

// The keys of the Green Book examples, and system titles.
var (
	testEK          = mustHex("000102030405060708090A0B0C0D0E0F")
	testAK          = mustHex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
	testClientTitle = []byte("HES00001")
	testServerTitle = []byte("METER001")
	testKeys        = security.Keys{Encryption: testEK, Authentication: testAK}
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// Objects of the test model.
var (
	clockObis    = dlms.OBIS{0, 0, 1, 0, 0, 255}
	energyObis   = dlms.OBIS{1, 0, 1, 8, 0, 255}
	profileObis  = dlms.OBIS{1, 0, 99, 1, 0, 255}
	blobObis     = dlms.OBIS{0, 0, 96, 99, 0, 255} // a Data object holding a long octet-string
	breakerObis  = dlms.OBIS{0, 0, 96, 3, 10, 255}
	hiddenObis   = dlms.OBIS{0, 0, 96, 1, 0, 255}
	readOnlyObis = dlms.OBIS{0, 0, 96, 1, 1, 255}

	clockTime  = apdu.AttributeDescriptor{ClassID: dlms.ClassClock, Instance: clockObis, Attribute: 2}
	energy     = apdu.AttributeDescriptor{ClassID: dlms.ClassRegister, Instance: energyObis, Attribute: 2}
	profileBuf = apdu.AttributeDescriptor{ClassID: dlms.ClassProfileGeneric, Instance: profileObis, Attribute: 2}
	blob       = apdu.AttributeDescriptor{ClassID: dlms.ClassData, Instance: blobObis, Attribute: 2}
	hidden     = apdu.AttributeDescriptor{ClassID: dlms.ClassData, Instance: hiddenObis, Attribute: 2}
	readOnly   = apdu.AttributeDescriptor{ClassID: dlms.ClassData, Instance: readOnlyObis, Attribute: 2}
	objectList = apdu.AttributeDescriptor{ClassID: dlms.ClassAssociationLN, Instance: CurrentAssociation, Attribute: 2}
	disconnect = apdu.MethodDescriptor{ClassID: dlms.ClassDisconnectControl, Instance: breakerObis, Method: 1}
	echo       = apdu.MethodDescriptor{ClassID: dlms.ClassData, Instance: blobObis, Method: 1} // returns its parameter
)

// testModel is an ObjectModel in memory. It records what it was asked.
type testModel struct {
	values  map[apdu.AttributeDescriptor]axdr.Data
	access  []*apdu.SelectiveAccess // the selective access of each Get
	sets    int
	actions []apdu.MethodDescriptor
}

func newTestModel() *testModel {
	return &testModel{values: map[apdu.AttributeDescriptor]axdr.Data{
		clockTime:  axdr.OctetString(mustHex("07EA0B1B0502240400000000")),
		energy:     axdr.Uint32(123493),
		profileBuf: axdr.Array(),
		blob:       axdr.OctetString(bytes.Repeat([]byte{0xA5}, 5000)),
		hidden:     axdr.Uint8(1),
		readOnly:   axdr.Uint8(2),
	}}
}

func (m *testModel) Objects() []Object {
	return []Object{
		{Class: dlms.ClassClock, Version: 0, OBIS: clockObis, Attributes: 9, Methods: 6},
		{Class: dlms.ClassRegister, Version: 0, OBIS: energyObis, Attributes: 3, Methods: 1},
		{Class: dlms.ClassProfileGeneric, Version: 1, OBIS: profileObis, Attributes: 8, Methods: 2},
		{Class: dlms.ClassData, Version: 0, OBIS: blobObis, Attributes: 2},
		{Class: dlms.ClassDisconnectControl, Version: 0, OBIS: breakerObis, Attributes: 4, Methods: 2},
		{Class: dlms.ClassData, Version: 0, OBIS: hiddenObis, Attributes: 2},
		{Class: dlms.ClassData, Version: 0, OBIS: readOnlyObis, Attributes: 2},
	}
}

func (m *testModel) Exists(class dlms.ClassID, obis dlms.OBIS) bool {
	for _, o := range m.Objects() {
		if o.Class == class && o.OBIS == obis {
			return true
		}
	}
	return false
}

func (m *testModel) Get(r AttributeRequest) (axdr.Data, error) {
	m.access = append(m.access, r.Access)
	v, ok := m.values[r.Attribute]
	if !ok {
		return axdr.Data{}, dlms.DataAccessObjectUnavailable
	}
	return v, nil
}

func (m *testModel) Set(r AttributeRequest, v axdr.Data) error {
	if _, ok := m.values[r.Attribute]; !ok {
		return dlms.DataAccessObjectUnavailable
	}
	m.sets++
	m.values[r.Attribute] = v
	return nil
}

func (m *testModel) Action(r MethodRequest, param *axdr.Data) (*axdr.Data, error) {
	m.actions = append(m.actions, r.Method)
	switch r.Method {
	case echo:
		return param, nil
	case disconnect:
		return nil, nil
	}
	return nil, errors.New("no such method")
}

// testPolicy hides one object and makes another read-only.
func testPolicy(p AssociationPolicy) AssociationPolicy {
	p.Visible = func(_ dlms.ClassID, obis dlms.OBIS) bool { return obis != hiddenObis }
	p.Access = func(m Member) AccessMode {
		if m.OBIS == readOnlyObis {
			return AccessRead
		}
		return AccessAll
	}
	return p
}

// fixedReader returns the same bytes again and again: a predictable
// "random" source.
type fixedReader []byte

func (r fixedReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r[i%len(r)]
	}
	return len(p), nil
}

// countingReserver is a CounterReserver that counts its reservations.
type countingReserver struct {
	next  uint32
	calls int
}

func (r *countingReserver) Reserve(n uint32) (uint32, error) {
	r.calls++
	first := r.next
	r.next += n
	return first, nil
}

// link connects a client to a server in memory. Tamper, when set, may
// change each answer of the server before the client sees it.
type link struct {
	t      testing.TB
	c      *Client
	s      *Server
	sap    uint16
	frames int // APDUs sent by the client
	tamper func(resp []byte) []byte
}

// run sends req and the APDUs that follow until the client is done, and
// returns the client's error.
func (l *link) run(req []byte, err error) error {
	l.t.Helper()
	if err != nil {
		return err
	}
	for i := 0; i < 10000; i++ {
		l.frames++
		resp, _ := l.s.Handle(l.sap, req)
		if resp == nil {
			l.t.Fatalf("the server did not answer % X", req)
		}
		if l.tamper != nil {
			resp = l.tamper(resp)
		}
		out, done, err := l.c.Receive(resp)
		if done {
			if out != nil {
				l.t.Fatalf("done with an APDU to send")
			}
			return err
		}
		if out == nil {
			l.t.Fatalf("not done, nothing to send: %v", err)
		}
		req = out
	}
	l.t.Fatal("no end to the exchange")
	return nil
}

// newLink returns a client and a server, not associated yet.
func newLink(t testing.TB, ccfg ClientConfig, scfg ServerConfig, sap uint16) *link {
	t.Helper()
	c, err := NewClient(ccfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	s, err := NewServer(scfg)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	return &link{t: t, c: c, s: s, sap: sap}
}

// open associates the link and fails the test if that does not work.
func (l *link) open() {
	l.t.Helper()
	if err := l.run(l.c.Open()); err != nil {
		l.t.Fatalf("Open: %v", err)
	}
	if got := l.c.State(); got != StateAssociated {
		l.t.Fatalf("client state %v after Open, want associated", got)
	}
}

// get reads one attribute through the link.
func (l *link) get(attr apdu.AttributeDescriptor, access *apdu.SelectiveAccess) (axdr.Data, error) {
	l.t.Helper()
	if err := l.run(l.c.Get(attr, access)); err != nil {
		return axdr.Data{}, err
	}
	return l.c.Result().Value()
}

// The configurations of the test associations, by client SAP.
const (
	sapPublic = 16
	sapLLS    = 17
	sapHLS    = 1
	sapHLSDed = 2
	sapAuth   = 3 // HLS-GMAC with authentication only
	sapGMAC   = 4 // HLS-GMAC without ciphering
)

func serverConfig(model ObjectModel, maxPDU uint16) ServerConfig {
	hls := &SecurityPolicy{Policy: security.PolicyAuthenticatedEncrypted, Keys: testKeys, Counter: security.NewMemoryCounter(1)}
	auth := &SecurityPolicy{Policy: security.PolicyAuthenticated, Keys: testKeys, Counter: security.NewMemoryCounter(1)}
	return ServerConfig{
		Objects: model,
		Associations: map[uint16]AssociationPolicy{
			sapPublic: testPolicy(AssociationPolicy{}),
			sapLLS:    testPolicy(AssociationPolicy{Mechanism: apdu.MechanismLLS, Password: []byte("Gurux")}),
			sapHLS:    testPolicy(AssociationPolicy{Mechanism: apdu.MechanismHLSGMAC, Security: hls}),
			sapHLSDed: testPolicy(AssociationPolicy{Mechanism: apdu.MechanismHLSGMAC, Security: &SecurityPolicy{Policy: security.PolicyAuthenticatedEncrypted, Keys: testKeys, Counter: security.NewMemoryCounter(1)}}),
			sapAuth:   testPolicy(AssociationPolicy{Mechanism: apdu.MechanismHLSGMAC, Security: auth}),
			sapGMAC:   testPolicy(AssociationPolicy{Mechanism: apdu.MechanismHLSGMAC, Security: &SecurityPolicy{Keys: testKeys, Counter: security.NewMemoryCounter(1)}}),
		},
		SystemTitle: testServerTitle,
		MaxPDU:      maxPDU,
		Rand:        fixedReader("server challenge"),
	}
}

func hlsClient(maxPDU uint16) ClientConfig {
	return ClientConfig{
		Mechanism:   apdu.MechanismHLSGMAC,
		Policy:      security.PolicyAuthenticatedEncrypted,
		Keys:        testKeys,
		SystemTitle: testClientTitle,
		Counter:     security.NewMemoryCounter(1),
		Rand:        fixedReader("client challenge"),
		MaxPDU:      maxPDU,
	}
}
