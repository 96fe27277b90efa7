package meter_test

import (
	"context"
	"errors"
	"testing"

	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/meter"
)

func TestMBusClient(t *testing.T) {
	ctx := context.Background()
	c, m, _ := dial(t, sapManagement, management())
	mb, err := c.ReadMBusClient(ctx, obMBus)
	if err != nil {
		t.Fatal(err)
	}
	if mb.DeviceType != meter.MBusGas || mb.DeviceType.String() != "gas" || mb.PrimaryAddress != 9 || mb.Version != 1 {
		t.Errorf("%+v", mb)
	}
	if mb.IdentificationString() != "12345678" || mb.ManufacturerCode() != "ABC" {
		t.Errorf("identification %s, manufacturer %s", mb.IdentificationString(), mb.ManufacturerCode())
	}
	if err := c.MBusCapture(ctx, obMBus); err != nil || m.mbusCap != 1 {
		t.Errorf("capture: %v, %d", err, m.mbusCap)
	}

	m.values[attrKey{obMBus, 7}] = axdr.Uint32(1 << 20)
	if _, err := c.ReadMBusClient(ctx, obMBus); !errors.Is(err, meter.ErrValue) {
		t.Errorf("manufacturer beyond 16 bits: %v", err)
	}
}

func TestMBusStrings(t *testing.T) {
	tests := []struct {
		mb     meter.MBusClient
		id, mf string
	}{
		{meter.MBusClient{Identification: 0x00000042, Manufacturer: 0x2C2D}, "00000042", "KAM"},
		{meter.MBusClient{Identification: 0x1234ABCD}, "0x1234abcd", "@@@"},
	}
	for _, tt := range tests {
		if id, mf := tt.mb.IdentificationString(), tt.mb.ManufacturerCode(); id != tt.id || mf != tt.mf {
			t.Errorf("%+v: %s %s, want %s %s", tt.mb, id, mf, tt.id, tt.mf)
		}
	}
	for typ, name := range map[meter.MBusDeviceType]string{0: "other", 2: "electricity", 4: "heat", 6: "warm-water", 7: "water", 0x42: "device-type(66)"} {
		if typ.String() != name {
			t.Errorf("%d: %s, want %s", typ, typ, name)
		}
	}
}
