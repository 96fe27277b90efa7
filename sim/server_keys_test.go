package sim

import (
	"bytes"
	"errors"
	"testing"

	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/meter"
)

func TestInvocationCounterAcrossAssociations(t *testing.T) {
	s := srvStart(t, 1, Config{})
	d := srvDevice(t, s, "SIM000001")
	ctx := srvCtx(t)
	management := func(counter security.CounterReserver) (*meter.Client, error) {
		link, err := srvHDLC(t, s.Addr(), d, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		cfg := srvManagement(d)
		cfg.Counter = counter
		c, err := meter.Connect(ctx, link, cfg)
		if err != nil {
			link.Close()
		}
		return c, err
	}
	counter := security.NewMemoryCounter(1000)
	c, err := management(counter)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadClock(ctx, obis(t, meter.RoleClock)); err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	next, _ := counter.Next()
	if got := d.InvocationCounter(); got != next-1 {
		t.Errorf("device counter %d after the client used up to %d", got, next-1)
	}

	// The public client reads it.
	public, err := srvHDLC(t, s.Addr(), d, 16, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := meter.ReadInvocationCounter(ctx, public); err != nil || got != next-1 {
		t.Errorf("public read of the counter: %d, %v; want %d", got, err, next-1)
	}

	// Another association that starts the counter over is refused: the
	// meter remembers the client's counter across associations and links.
	if _, err := management(security.NewMemoryCounter(1)); !errors.As(err, new(*apdu.AssociationError)) {
		t.Errorf("association with a replayed counter: %v", err)
	}
	// Above it, it is accepted.
	c, err = management(security.NewMemoryCounter(next))
	if err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
}

func TestGlobalKeyTransfer(t *testing.T) {
	s := srvStart(t, 1, Config{})
	d := srvDevice(t, s, "SIM000001")
	ctx := srvCtx(t)
	old := srvManagement(d)
	kek := d.Keys().KEK.Bytes()
	link, err := srvHDLC(t, s.Addr(), d, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := srvConnect(t, link, old)
	ek := bytes.Repeat([]byte{0x11}, 16)
	ak := bytes.Repeat([]byte{0x22}, 16)
	err = c.TransferGlobalKeys(ctx, obis(t, meter.RoleSecuritySetup), kek,
		security.KeyData{ID: security.KeyGlobalUnicast, Key: ek}, security.KeyData{ID: security.KeyAuthentication, Key: ak})
	if err != nil {
		t.Fatal(err)
	}
	// The association in progress goes on with the keys it started with.
	if _, err := c.ReadClock(ctx, obis(t, meter.RoleClock)); err != nil {
		t.Fatalf("read after the key transfer: %v", err)
	}
	c.Close(ctx)
	if k := d.Keys(); !bytes.Equal(k.EK.Bytes(), ek) || !bytes.Equal(k.AK.Bytes(), ak) || !bytes.Equal(k.KEK.Bytes(), kek) {
		t.Errorf("device keys after the transfer: %v", k)
	}

	// The next association needs the new keys.
	link, err = srvHDLC(t, s.Addr(), d, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	old.Counter = security.NewMemoryCounter(1 << 20)
	if _, err := meter.Connect(ctx, link, old); err == nil {
		t.Error("association with the old keys succeeded")
	}
	link.Close()
	link, err = srvHDLC(t, s.Addr(), d, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	c = srvConnect(t, link, srvManagement(d))
	if _, err := c.ReadClock(ctx, obis(t, meter.RoleClock)); err != nil {
		t.Fatal(err)
	}
	for _, m := range s.Inventory().Meters {
		k, err := m.Keys.Parse()
		if err != nil || !bytes.Equal(k.EK.Bytes(), ek) {
			t.Errorf("inventory keys: %v", err)
		}
	}

	// A transfer wrapped under another key is refused.
	err = c.TransferGlobalKeys(ctx, obis(t, meter.RoleSecuritySetup), ek, security.KeyData{ID: security.KeyGlobalUnicast, Key: ak})
	if err == nil {
		t.Error("transfer under a wrong KEK accepted")
	}
	if k := d.Keys(); !bytes.Equal(k.EK.Bytes(), ek) {
		t.Error("a refused transfer changed the key")
	}
}

func TestManagementCipheringForms(t *testing.T) {
	s := srvStart(t, 1, Config{})
	d := srvDevice(t, s, "SIM000001")
	ctx := srvCtx(t)
	for _, tc := range []struct {
		name             string
		general, dedicat bool
	}{
		{"glo", false, false},
		{"general-glo", true, false},
		{"ded", false, true},
		{"general-ded", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			link, err := srvHDLC(t, s.Addr(), d, 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			cfg := srvManagement(d)
			cfg.GeneralCiphering, cfg.DedicatedKey = tc.general, tc.dedicat
			c := srvConnect(t, link, cfg)
			if c.Negotiated().Dedicated != tc.dedicat {
				t.Errorf("negotiated %+v", c.Negotiated())
			}
			if _, err := c.ReadProfile(ctx, obis(t, meter.RoleDailyValues)); err != nil {
				t.Error(err)
			}
		})
	}
}
