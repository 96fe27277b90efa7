package meter_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/dlmstest"
	"github.com/openhes/hes/dlms/hdlc"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/dlms/session"
	"github.com/openhes/hes/dlms/wrapper"
	"github.com/openhes/hes/meter"
)

func TestConnect(t *testing.T) {
	tests := []struct {
		name string
		sap  uint16
		cfg  meter.Config
	}{
		{"public, no authentication", sapPublic, meter.Config{}},
		{"technician, LLS", sapTechnician, technician()},
		{"management, HLS-GMAC ciphered", sapManagement, management()},
		{"management, dedicated key", sapManagement, func() meter.Config {
			c := management()
			c.DedicatedKey = true
			return c
		}()},
		{"management, general ciphering", sapManagement, func() meter.Config {
			c := management()
			c.GeneralCiphering = true
			return c
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, m, l := dial(t, tt.sap, tt.cfg)
			got, err := c.ReadDataString(context.Background(), obDevice)
			if err != nil || got != "HES0012345678" {
				t.Fatalf("logical device name %q, %v", got, err)
			}
			if tt.cfg.Policy != security.PolicyNone && !bytes.Equal(c.Negotiated().ServerSystemTitle, fakeMeterTitle) {
				t.Errorf("server system title % X", c.Negotiated().ServerSystemTitle)
			}
			if err := c.Close(context.Background()); err != nil {
				t.Fatalf("close: %v", err)
			}
			if l.closed != 1 {
				t.Errorf("link closed %d times", l.closed)
			}
			if s := l.srv.State(tt.sap); s != session.NonAssociated {
				t.Errorf("after Close the server is %v", s)
			}
			if len(m.gets) != 1 {
				t.Errorf("%d reads reached the meter", len(m.gets))
			}
		})
	}
}

func TestConnectErrors(t *testing.T) {
	wrongKeys := management()
	wrongKeys.Keys.Authentication = fakeEK
	wrongTitle := management()
	wrongTitle.ServerSystemTitle = []byte("OTHER001")
	tests := []struct {
		name string
		sap  uint16
		cfg  meter.Config
		is   error  // errors.Is target, or nil
		as   any    // errors.As target, or nil
		msg  string // in the message
	}{
		{name: "wrong password", sap: sapTechnician,
			cfg: meter.Config{Auth: meter.MechanismLLS, Password: meter.NewSecret([]byte("87654321"))},
			as:  new(*apdu.AssociationError), msg: "associate: "},
		{name: "no password", sap: sapTechnician, cfg: meter.Config{Auth: meter.MechanismLLS},
			is: session.ErrConfig, msg: "associate: "},
		{name: "no authentication where LLS is required", sap: sapTechnician, cfg: meter.Config{},
			as: new(*apdu.AssociationError)},
		{name: "unknown client SAP", sap: 99, cfg: meter.Config{}, as: new(*apdu.AssociationError)},
		{name: "wrong authentication key", sap: sapManagement, cfg: wrongKeys, as: new(*apdu.AssociationError)},
		{name: "another meter", sap: sapManagement, cfg: wrongTitle, is: security.ErrSystemTitle},
		{name: "unsupported mechanism", sap: sapPublic, cfg: meter.Config{Auth: meter.MechanismHLSSHA256},
			is: session.ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newFakeMeter(t)
			l := &fakeLink{srv: fakeServer(t, m, 0), sap: tt.sap}
			c, err := meter.Connect(context.Background(), l, tt.cfg)
			if err == nil {
				c.Close(context.Background())
				t.Fatal("connected")
			}
			var op *meter.OpError
			if !errors.As(err, &op) || op.Op != "associate" {
				t.Errorf("error %v is not an associate *OpError", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			if tt.as != nil && !errors.As(err, tt.as) {
				t.Errorf("error %v (%T) is not a %T", err, errors.Unwrap(err), tt.as)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			if strings.Contains(err.Error(), fakePassword) || strings.Contains(err.Error(), "87654321") {
				t.Errorf("error %q shows the password", err)
			}
			if l.closed != 0 {
				t.Error("a failed Connect closed the link")
			}
		})
	}
}

// A meter that refuses the first association may be retried over the
// same link.
func TestConnectRetry(t *testing.T) {
	m := newFakeMeter(t)
	l := &fakeLink{srv: fakeServer(t, m, 0), sap: sapTechnician}
	if _, err := meter.Connect(context.Background(), l, meter.Config{Auth: meter.MechanismLLS, Password: meter.NewSecret([]byte("wrong"))}); err == nil {
		t.Fatal("connected with a wrong password")
	}
	c, err := meter.Connect(context.Background(), l, technician())
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	c.Close(context.Background())
}

func TestServiceErrors(t *testing.T) {
	ctx := context.Background()
	c, _, _ := dial(t, sapTechnician, technician())
	tests := []struct {
		name string
		err  error
		is   error
		msg  string
	}{
		{"read-write-denied", func() error { _, err := c.ReadSecuritySetup(ctx, obSecurity); return err }(),
			dlms.DataAccessReadWriteDenied, "get 0-0:43.0.0.255 attr 2: data access: read-write-denied"},
		{"object-undefined", func() error { _, err := c.ReadData(ctx, obMissing); return err }(),
			dlms.DataAccessObjectUndefined, "get 0-0:96.99.9.255 attr 2: data access: object-undefined"},
		{"wrong class", func() error { _, err := c.ReadRegister(ctx, obDevice); return err }(),
			dlms.DataAccessObjectUndefined, "get 0-0:42.0.0.255 attr 2: "},
		{"invisible", func() error { _, err := c.ReadLimiter(ctx, obLimiter); return err }(),
			dlms.DataAccessScopeOfAccessViolated, "get 0-0:17.0.0.255 attr 2: data access: scope-of-access-violated"},
		{"attribute without a value", func() error { _, err := c.Get(ctx, dlms.ClassClock, obClock, 1); return err }(),
			dlms.DataAccessObjectUnavailable, "get 0-0:1.0.0.255 attr 1: "},
		{"type-unmatched", c.Set(ctx, dlms.ClassClock, obClock, 2, axdr.Uint8(1)),
			dlms.DataAccessTypeUnmatched, "set 0-0:1.0.0.255 attr 2: data access: type-unmatched"},
		{"action denied", c.ActivateSecurity(ctx, obSecurity, security.PolicyAuthenticatedEncrypted),
			dlms.ActionReadWriteDenied, "action 0-0:43.0.0.255 method 1: "},
		{"value of the wrong type", func() error { _, err := c.ReadDataUint(ctx, obDevice); return err }(),
			meter.ErrValue, "get 0-0:42.0.0.255 attr 2: unexpected value: want an unsigned integer, got octet-string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.is) {
				t.Errorf("error %v is not %v", tt.err, tt.is)
			}
			var op *meter.OpError
			if !errors.As(tt.err, &op) {
				t.Errorf("error %v is not an *OpError", tt.err)
			}
			if tt.err == nil || !strings.HasPrefix(tt.err.Error(), tt.msg) {
				t.Errorf("error %q, want it to start with %q", tt.err, tt.msg)
			}
		})
	}
	// The association survives the errors.
	if _, err := c.ReadDataString(ctx, obEAN); err != nil {
		t.Fatal(err)
	}
}

func TestGetList(t *testing.T) {
	c, m, l := dial(t, sapTechnician, technician())
	if !c.HasListServices() {
		t.Fatal("the association has no with-list services")
	}
	attrs := []apdu.AttributeWithSelection{
		{Attribute: apdu.AttributeDescriptor{ClassID: dlms.ClassRegister, Instance: obImport, Attribute: 2}},
		{Attribute: apdu.AttributeDescriptor{ClassID: dlms.ClassSecuritySetup, Instance: obSecurity, Attribute: 2}},
		{Attribute: apdu.AttributeDescriptor{ClassID: dlms.ClassData, Instance: obEAN, Attribute: 2}},
	}
	before := l.exchanges
	values, errs, err := c.GetList(context.Background(), attrs)
	if err != nil {
		t.Fatal(err)
	}
	if l.exchanges != before+1 {
		t.Errorf("%d exchanges for one GetList", l.exchanges-before)
	}
	if !values[0].Equal(m.value(obImport, 2)) || errs[0] != nil {
		t.Errorf("item 1: %v, %v", values[0], errs[0])
	}
	if !errors.Is(errs[1], dlms.DataAccessReadWriteDenied) || !strings.HasPrefix(errs[1].Error(), "get 0-0:43.0.0.255 attr 2: ") {
		t.Errorf("item 2: %v", errs[1])
	}
	if string(values[2].Bytes) != "541234567890123458" || errs[2] != nil {
		t.Errorf("item 3: %v, %v", values[2], errs[2])
	}

	// A class helper reads its attributes in one request.
	before = l.exchanges
	if _, err := c.ReadClock(context.Background(), obClock); err != nil {
		t.Fatal(err)
	}
	if l.exchanges != before+1 {
		t.Errorf("ReadClock took %d exchanges", l.exchanges-before)
	}
}

// Without the with-list services, a helper reads attribute by attribute.
func TestWithoutListServices(t *testing.T) {
	cfg := technician()
	cfg.Conformance = session.DefaultConformance &^ apdu.ConformanceMultipleReferences
	c, _, l := dial(t, sapTechnician, cfg)
	if c.HasListServices() {
		t.Fatal("with-list services negotiated")
	}
	before := l.exchanges
	q, err := c.ReadRegister(context.Background(), obImport)
	if err != nil || q.String() != "123456 Wh" {
		t.Fatalf("ReadRegister: %v, %v", q, err)
	}
	if l.exchanges != before+2 {
		t.Errorf("ReadRegister took %d exchanges, want 2", l.exchanges-before)
	}
}

func TestLinkFailure(t *testing.T) {
	ctx := context.Background()
	c, _, l := dial(t, sapTechnician, technician())
	l.fail = os.ErrDeadlineExceeded
	_, err := c.ReadRegister(ctx, obImport)
	if !errors.Is(err, os.ErrDeadlineExceeded) || !strings.HasPrefix(err.Error(), "get-list 1-0:1.8.0.255: ") {
		t.Fatalf("error %v", err)
	}
	_, err = c.ReadRegister(ctx, obImport)
	if !errors.Is(err, meter.ErrClosed) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("after a link failure: %v", err)
	}
	exchanges := l.exchanges
	if err := c.Close(ctx); err != nil {
		t.Errorf("close: %v", err)
	}
	if l.closed != 1 || l.exchanges != exchanges {
		t.Errorf("close: link closed %d times, %d exchanges (a release on a failed link)", l.closed, l.exchanges-exchanges)
	}
}

func TestCanceledContext(t *testing.T) {
	c, _, _ := dial(t, sapPublic, meter.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.ReadDataUint(ctx, obCounter); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v", err)
	}
}

func TestClose(t *testing.T) {
	ctx := context.Background()
	c, _, l := dial(t, sapPublic, meter.Config{})
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctx); err != nil || l.closed != 1 {
		t.Errorf("second Close: %v, link closed %d times", err, l.closed)
	}
	if _, err := c.ReadDataUint(ctx, obCounter); !errors.Is(err, meter.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

// A meter that answers the release with an exception response is released
// all the same.
func TestCloseException(t *testing.T) {
	m := newFakeMeter(t)
	l := &fakeLink{srv: fakeServer(t, m, 0), sap: sapPublic}
	c, err := meter.Connect(context.Background(), l, meter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	exc := (&apdu.ExceptionResponse{StateError: dlms.StateServiceNotAllowed, ServiceError: dlms.ServiceOperationNotPossible}).Append(nil)
	l.early = func(req []byte) [][]byte {
		if apdu.Tag(req[0]) == apdu.TagRLRQ {
			return [][]byte{exc}
		}
		return nil
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// A push or a late answer in the middle of a call is skipped when the link
// can wait for the next APDU, and fails the call when it cannot.
func TestDiscardedAPDU(t *testing.T) {
	push := (&apdu.DataNotification{Invoke: 1, Body: axdr.Uint32(7)}).Append(nil)
	stale := (&apdu.GetResponseNormal{Invoke: apdu.NewInvoke(9, true), Result: apdu.GetDataResult{Data: axdr.Uint8(1)}}).Append(nil)
	early := func(req []byte) [][]byte {
		if apdu.Tag(req[0]) == apdu.TagGetRequest {
			return [][]byte{push, stale}
		}
		return nil
	}

	m := newFakeMeter(t)
	fl := &fakeLink{srv: fakeServer(t, m, 0), sap: sapPublic}
	c, err := meter.Connect(context.Background(), receivingLink{fl}, meter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	fl.early = early
	ic, err := c.InvocationCounter(context.Background(), obCounter)
	if err != nil || ic != 41234 {
		t.Errorf("with a Receiver: %d, %v", ic, err)
	}
	c.Close(context.Background())

	c, _, l := dial(t, sapPublic, meter.Config{})
	l.early = early
	if _, err := c.InvocationCounter(context.Background(), obCounter); !errors.Is(err, session.ErrUnsolicited) {
		t.Errorf("without a Receiver: %v", err)
	}
	if _, err := c.InvocationCounter(context.Background(), obCounter); !errors.Is(err, meter.ErrClosed) {
		t.Errorf("after the failure: %v", err)
	}
}

// The keys and the password never show when a configuration is printed.
func TestConfigRedacted(t *testing.T) {
	cfg := management()
	cfg.Password = meter.NewSecret([]byte(fakePassword))
	for _, s := range []string{fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg)} {
		if strings.Contains(s, fakePassword) || strings.Contains(strings.ToUpper(s), "D0D1D2D3") || strings.Contains(s, "208 209 210") {
			t.Errorf("configuration printed as %s", s)
		}
	}
}

// The client runs against the recorded answers of a real server and sends
// the same requests as the recording client did.
func TestReplayVectors(t *testing.T) {
	tests := []struct {
		name  string
		value int64
		at    time.Time
	}{
		{"hdlc_none_get", 123493, time.Date(2026, 11, 27, 2, 36, 4, 0, time.UTC)},
		{"wrapper_none_get", 123498, time.Date(2026, 11, 27, 2, 36, 9, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := dlmstest.MustLoad(t, os.DirFS("../testdata/vectors"), tt.name+".txt")
			l := newReplayLink(t, s)
			ctx := context.Background()
			// The recording client sent every request with invoke id 1.
			c, err := meter.Connect(ctx, l, meter.Config{FixedInvokeID: true})
			if err != nil {
				t.Fatal(err)
			}
			_, at, err := c.ReadTime(ctx, obClock)
			if err != nil || !at.Equal(tt.at) {
				t.Errorf("clock %v, %v; want %v", at, err, tt.at)
			}
			q, err := c.ReadRegister(ctx, obImport)
			if want := (meter.Quantity{Value: tt.value, Unit: meter.UnitWattHour}); err != nil || q != want {
				t.Errorf("register %v, %v; want %v", q, err, want)
			}
			if err := c.Close(ctx); err != nil {
				t.Fatal(err)
			}
			if l.next != len(l.requests) || !l.closed {
				t.Errorf("played %d of %d exchanges, closed %v", l.next, len(l.requests), l.closed)
			}
		})
	}
}

// replayLink answers with the APDUs of a recorded session and checks that
// each request asks for what the recorded one did.
type replayLink struct {
	t         *testing.T
	requests  [][]byte
	responses [][]byte
	next      int
	closed    bool
}

func newReplayLink(t *testing.T, s *dlmstest.Session) *replayLink {
	t.Helper()
	l := &replayLink{t: t}
	for _, f := range s.Frames {
		var p []byte
		switch s.Framing {
		case dlmstest.FramingHDLC:
			fr, err := hdlc.ParseFrame(f.Bytes)
			if err != nil {
				t.Fatalf("line %d: %v", f.Line, err)
			}
			if fr.Control.Kind != hdlc.KindI {
				continue
			}
			if p, _, err = hdlc.CutLLC(fr.Info); err != nil {
				t.Fatalf("line %d: %v", f.Line, err)
			}
		case dlmstest.FramingWrapper:
			var err error
			if _, p, err = wrapper.ParseFrame(f.Bytes); err != nil {
				t.Fatalf("line %d: %v", f.Line, err)
			}
		}
		if f.Dir == dlmstest.ClientToServer {
			l.requests = append(l.requests, p)
		} else {
			l.responses = append(l.responses, p)
		}
	}
	if len(l.requests) != len(l.responses) || len(l.requests) == 0 {
		t.Fatalf("%d requests, %d responses", len(l.requests), len(l.responses))
	}
	return l
}

func (l *replayLink) Exchange(_ context.Context, req []byte) ([]byte, error) {
	if l.next >= len(l.requests) {
		l.t.Fatalf("request % X after the end of the recording", req)
	}
	want := l.requests[l.next]
	if apdu.Tag(want[0]) == apdu.TagAARQ {
		// The proposed conformance differs: compare the fields.
		l.sameAARQ(want, req)
	} else if !bytes.Equal(req, want) {
		l.t.Errorf("request %d:\n got % X\nwant % X", l.next+1, req, want)
	}
	resp := l.responses[l.next]
	l.next++
	return resp, nil
}

func (l *replayLink) sameAARQ(want, got []byte) {
	w, err := apdu.ParseAARQ(want)
	if err != nil {
		l.t.Fatal(err)
	}
	g, err := apdu.ParseAARQ(got)
	if err != nil {
		l.t.Fatalf("our AARQ: %v", err)
	}
	wi, err1 := w.InitiateRequest()
	gi, err2 := g.InitiateRequest()
	if err1 != nil || err2 != nil {
		l.t.Fatalf("initiate requests: %v, %v", err1, err2)
	}
	if g.ApplicationContext != w.ApplicationContext || g.Mechanism != w.Mechanism || g.ACSERequirements != w.ACSERequirements ||
		!bytes.Equal(g.CallingAuthenticationValue, w.CallingAuthenticationValue) || !bytes.Equal(g.CallingAPTitle, w.CallingAPTitle) {
		l.t.Errorf("AARQ:\n got %s\nwant %s", apdu.Format(g), apdu.Format(w))
	}
	if gi.DLMSVersion != wi.DLMSVersion || gi.MaxReceivePDUSize != wi.MaxReceivePDUSize || gi.DedicatedKey != nil ||
		gi.Conformance&apdu.ConformanceGet == 0 {
		l.t.Errorf("InitiateRequest:\n got %s\nwant %s", apdu.Format(gi), apdu.Format(wi))
	}
}

func (l *replayLink) Close() error {
	l.closed = true
	return nil
}

// A meter that answers a request with an exception response fails the
// call with a *dlms.ExceptionError; the association goes on.
func TestExceptionResponse(t *testing.T) {
	c, _, l := dial(t, sapPublic, meter.Config{})
	exc := (&apdu.ExceptionResponse{StateError: dlms.StateServiceNotAllowed, ServiceError: dlms.ServiceOperationNotPossible}).Append(nil)
	l.early = func([]byte) [][]byte { return [][]byte{exc} }
	_, err := c.ReadDataUint(context.Background(), obCounter)
	want := &dlms.ExceptionError{State: dlms.StateServiceNotAllowed, Service: dlms.ServiceOperationNotPossible}
	if !errors.Is(err, want) || !strings.HasPrefix(err.Error(), "get 0-0:43.1.0.255 attr 2: exception response: service-not-allowed, operation-not-possible") {
		t.Fatalf("error %v", err)
	}
	l.early = nil
	if n, err := c.ReadDataUint(context.Background(), obCounter); err != nil || n != 41234 {
		t.Errorf("after the exception: %d, %v", n, err)
	}
}
