package meter_test

import (
	"context"
	"errors"
	"testing"

	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/meter"
)

func TestReconnectClosesBreaker(t *testing.T) {
	for mode, closes := range []bool{false, false, true, false, true, false, false, false} {
		if got := meter.ReconnectClosesBreaker(meter.ControlMode(mode)); got != closes {
			t.Errorf("mode %d: %v, want %v", mode, got, closes)
		}
	}
}

func TestBreaker(t *testing.T) {
	ctx := context.Background()
	c, m, _ := dial(t, sapManagement, management())
	read := func() meter.BreakerState {
		t.Helper()
		s, err := c.ReadBreaker(ctx, obBreaker)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := read(); s != (meter.BreakerState{Output: true, State: meter.Connected, Mode: 1}) {
		t.Fatalf("initial %+v", s)
	}
	if err := c.RemoteDisconnect(ctx, obBreaker); err != nil {
		t.Fatal(err)
	}
	if s := read(); s.Output || s.State != meter.Disconnected {
		t.Errorf("after remote_disconnect %+v", s)
	}
	// Mode 1: a remote reconnection arms.
	if err := c.RemoteReconnect(ctx, obBreaker); err != nil {
		t.Fatal(err)
	}
	if s := read(); s.Output || s.State != meter.ReadyForReconnection || s.State.String() != "ready-for-reconnection" {
		t.Errorf("after remote_reconnect in mode 1 %+v", s)
	}
	// Mode 2: it closes.
	if err := c.SetControlMode(ctx, obBreaker, 2); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoteDisconnect(ctx, obBreaker); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoteReconnect(ctx, obBreaker); err != nil {
		t.Fatal(err)
	}
	if s := read(); !s.Output || s.State != meter.Connected || s.Mode != 2 || s.Mode.String() != "mode 2" {
		t.Errorf("after remote_reconnect in mode 2 %+v", s)
	}
	for _, a := range m.actions {
		if a.Instance == obBreaker && a.Method != 1 && a.Method != 2 {
			t.Errorf("invoked %v", a)
		}
	}

	m.values[attrKey{obBreaker, 3}] = axdr.Int8(-1)
	if _, err := c.ReadBreaker(ctx, obBreaker); !errors.Is(err, meter.ErrValue) {
		t.Errorf("negative state: %v", err)
	}
	m.values[attrKey{obBreaker, 3}] = axdr.Enum(7)
	m.values[attrKey{obBreaker, 2}] = axdr.Uint8(1) // some meters send an unsigned
	if s, err := c.ReadBreaker(ctx, obBreaker); err != nil || !s.Output || s.State.String() != "control-state(7)" {
		t.Errorf("unknown state: %+v, %v", s, err)
	}
}
