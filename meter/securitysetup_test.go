package meter_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/meter"
)

func TestReadSecuritySetup(t *testing.T) {
	c, _, _ := dial(t, sapManagement, management())
	s, err := c.ReadSecuritySetup(context.Background(), obSecurity)
	if err != nil {
		t.Fatal(err)
	}
	if s.Policy != security.PolicyAuthenticatedEncrypted || s.Suite != 0 ||
		!bytes.Equal(s.ClientSystemTitle, fakeClientTitle) || !bytes.Equal(s.ServerSystemTitle, fakeMeterTitle) {
		t.Errorf("%+v", s)
	}
}

func TestTransferGlobalKeys(t *testing.T) {
	ctx := context.Background()
	c, m, _ := dial(t, sapManagement, management())
	newEK := bytes.Repeat([]byte{0x11}, 16)
	newAK := bytes.Repeat([]byte{0x22}, 16)
	err := c.TransferGlobalKeys(ctx, obSecurity, fakeKEK,
		security.KeyData{ID: security.KeyGlobalUnicast, Key: newEK},
		security.KeyData{ID: security.KeyAuthentication, Key: newAK})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.keys) != 2 || !bytes.Equal(m.keys[0].Key, newEK) || m.keys[1].ID != security.KeyAuthentication || !bytes.Equal(m.keys[1].Key, newAK) {
		t.Errorf("the meter installed %v", m.keys)
	}

	// Wrapped under another master key, the keys do not unwrap.
	err = c.TransferGlobalKeys(ctx, obSecurity, fakeEK, security.KeyData{ID: security.KeyGlobalUnicast, Key: newEK})
	if !errors.Is(err, dlms.ActionOtherReason) || !strings.HasPrefix(err.Error(), "action 0-0:43.0.0.255 method 2: ") {
		t.Errorf("wrong master key: %v", err)
	}
	// A key of the wrong size never leaves.
	actions := len(m.actions)
	err = c.TransferGlobalKeys(ctx, obSecurity, fakeKEK, security.KeyData{ID: security.KeyGlobalUnicast, Key: []byte{1, 2, 3}})
	if !errors.Is(err, security.ErrKey) || len(m.actions) != actions {
		t.Errorf("short key: %v", err)
	}
	if strings.Contains(err.Error(), "010203") || strings.Contains(err.Error(), "[1 2 3]") {
		t.Errorf("error %q shows the key", err)
	}
}

func TestActivateSecurity(t *testing.T) {
	c, m, _ := dial(t, sapManagement, management())
	err := c.ActivateSecurity(context.Background(), obSecurity, security.PolicyAuthenticatedEncrypted)
	// The fake meter has no security_activate: it refuses.
	if !errors.Is(err, dlms.ActionReadWriteDenied) {
		t.Fatalf("error %v", err)
	}
	if a := m.actions[len(m.actions)-1]; a.Instance != obSecurity || a.Method != 1 {
		t.Errorf("invoked %v", a)
	}
}

func TestReadInvocationCounter(t *testing.T) {
	ctx := context.Background()
	m := newFakeMeter(t)
	l := &fakeLink{srv: fakeServer(t, m, 0), sap: sapPublic}
	ic, err := meter.ReadInvocationCounter(ctx, l)
	if err != nil || ic != 41234 {
		t.Fatalf("%d, %v", ic, err)
	}
	if l.closed != 1 || l.srv.State(sapPublic) != 0 {
		t.Errorf("link closed %d times, association %v", l.closed, l.srv.State(sapPublic))
	}

	// The management client starts its counter above the meter's.
	counter := security.NewMemoryCounter(ic + 1)
	cfg := management()
	cfg.Counter = counter
	c, err := meter.Connect(ctx, &fakeLink{srv: fakeServer(t, m, 0), sap: sapManagement}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.InvocationCounter(ctx, obCounter); err != nil || got != ic {
		t.Errorf("InvocationCounter %d, %v", got, err)
	}
	c.Close(ctx)

	// A refused association closes the link all the same.
	l = &fakeLink{srv: fakeServer(t, m, 0), sap: 99}
	if _, err := meter.ReadInvocationCounter(ctx, l); err == nil || l.closed != 1 {
		t.Errorf("unknown SAP: %v, link closed %d times", err, l.closed)
	}
	// So does a failed read.
	m.values[attrKey{obCounter, 2}] = m.value(obDevice, 2)
	l = &fakeLink{srv: fakeServer(t, m, 0), sap: sapPublic}
	if _, err := meter.ReadInvocationCounter(ctx, l); !errors.Is(err, meter.ErrValue) || l.closed != 1 {
		t.Errorf("octet-string counter: %v, link closed %d times", err, l.closed)
	}
}
