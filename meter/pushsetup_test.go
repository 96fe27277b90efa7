package meter_test

import (
	"context"
	"errors"
	"testing"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/meter"
)

func TestPushSetup(t *testing.T) {
	ctx := context.Background()
	c, m, _ := dial(t, sapManagement, management())
	p, err := c.ReadPushSetup(ctx, obPush)
	if err != nil {
		t.Fatal(err)
	}
	want := []apdu.CaptureObject{
		{ClassID: dlms.ClassPushSetup, Instance: obPush, Attribute: 1},
		{ClassID: dlms.ClassClock, Instance: obClock, Attribute: 2},
		{ClassID: dlms.ClassExtendedRegister, Instance: obGas, Attribute: 2},
	}
	if len(p.Objects) != len(want) || p.Objects[2] != want[2] || p.Objects[0] != want[0] {
		t.Errorf("objects %v", p.Objects)
	}
	if p.Service != 0 || string(p.Destination) != "hes.example:4059" || p.Message != 0 {
		t.Errorf("destination %+v", p)
	}
	if err := c.Push(ctx, obPush); err != nil || m.pushes != 1 {
		t.Errorf("push: %v, %d pushes", err, m.pushes)
	}

	m.values[attrKey{obPush, 3}] = axdr.Structure(axdr.Enum(0), axdr.Uint8(1), axdr.Enum(0))
	if _, err := c.ReadPushSetup(ctx, obPush); !errors.Is(err, meter.ErrValue) {
		t.Errorf("destination not an octet-string: %v", err)
	}
}
