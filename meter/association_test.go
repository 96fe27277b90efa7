package meter_test

import (
	"context"
	"errors"
	"testing"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/session"
	"github.com/openhes/hes/meter"
)

func TestReadObjectList(t *testing.T) {
	c, m, _ := dial(t, sapTechnician, technician())
	list, err := c.ReadObjectList(context.Background(), session.CurrentAssociation)
	if err != nil {
		t.Fatal(err)
	}
	// Every object but the hidden limiter, and the current association.
	if len(list) != len(m.objects) {
		t.Fatalf("%d objects, want %d", len(list), len(m.objects))
	}
	byName := map[dlms.OBIS]meter.ListedObject{}
	for _, o := range list {
		byName[o.OBIS] = o
	}
	if _, ok := byName[obLimiter]; ok {
		t.Error("the technician sees the limiter")
	}
	cur, ok := byName[session.CurrentAssociation]
	if !ok || cur.Class != dlms.ClassAssociationLN || cur.Version != 1 {
		t.Errorf("current association %+v", cur)
	}
	clock := byName[obClock]
	if clock.Class != dlms.ClassClock || len(clock.Attributes) != 9 || len(clock.Methods) != 6 {
		t.Fatalf("clock %+v", clock)
	}
	if a := clock.Attributes[1]; a.Attribute != 2 || a.Mode != meter.AttributeReadWrite || !a.Mode.CanRead() || !a.Mode.CanWrite() || a.Selectors != nil {
		t.Errorf("clock time %+v", a)
	}
	if mt := clock.Methods[0]; mt.Method != 1 || mt.Mode != meter.MethodAccess {
		t.Errorf("clock method 1 %+v", mt)
	}
	sec := byName[obSecurity]
	if a := sec.Attributes[1]; a.Mode != meter.AttributeNoAccess || a.Mode.CanRead() || a.Mode.CanWrite() || a.Mode.String() != "no-access" {
		t.Errorf("security policy %+v", a)
	}
	if mt := sec.Methods[1]; mt.Mode != meter.MethodNoAccess || mt.Mode.String() != "no-access" {
		t.Errorf("global_key_transfer %+v", mt)
	}
}

func TestObjectListForms(t *testing.T) {
	obis := axdr.OctetString(obClock[:])
	tests := []struct {
		name  string
		entry axdr.Data
		check func(meter.ListedObject) bool
	}{
		{"version 0: boolean method access, selectors",
			axdr.Structure(axdr.Uint16(7), axdr.Uint8(1), obis, axdr.Structure(
				axdr.Array(axdr.Structure(axdr.Int8(2), axdr.Enum(1), axdr.Array(axdr.Int8(1), axdr.Int8(2)))),
				axdr.Array(axdr.Structure(axdr.Int8(1), axdr.Bool(true)), axdr.Structure(axdr.Int8(2), axdr.Bool(false))))),
			func(o meter.ListedObject) bool {
				return o.Class == dlms.ClassProfileGeneric && len(o.Attributes[0].Selectors) == 2 && o.Attributes[0].Selectors[1] == 2 &&
					o.Methods[0].Mode == meter.MethodAccess && o.Methods[1].Mode == meter.MethodNoAccess
			}},
		{"authenticated modes",
			axdr.Structure(axdr.Uint16(8), axdr.Uint8(0), obis, axdr.Structure(
				axdr.Array(axdr.Structure(axdr.Int8(2), axdr.Enum(6), axdr.Null())),
				axdr.Array(axdr.Structure(axdr.Int8(1), axdr.Enum(2))))),
			func(o meter.ListedObject) bool {
				a := o.Attributes[0].Mode
				return a.CanRead() && a.CanWrite() && a.String() == "authenticated-read-and-write" &&
					o.Methods[0].Mode.String() == "authenticated-access"
			}},
	}
	for _, tt := range tests {
		c, m, _ := dial(t, sapPublic, meter.Config{})
		// The list of another association, which the model answers.
		m.values[attrKey{obOtherAssoc, 2}] = axdr.Array(tt.entry)
		list, err := c.ReadObjectList(context.Background(), obOtherAssoc)
		if err != nil || len(list) != 1 || !tt.check(list[0]) {
			t.Errorf("%s: %+v, %v", tt.name, list, err)
		}
	}
	c, m, _ := dial(t, sapPublic, meter.Config{})
	for _, bad := range []axdr.Data{
		axdr.Uint8(1),
		axdr.Array(axdr.Structure(axdr.Uint16(8))),
		axdr.Array(axdr.Structure(axdr.Uint16(8), axdr.Uint8(0), axdr.OctetString([]byte{1}), axdr.Structure(axdr.Array(), axdr.Array()))),
		axdr.Array(axdr.Structure(axdr.Uint16(8), axdr.Uint8(0), obis, axdr.Structure(axdr.Array(axdr.Uint8(1)), axdr.Array()))),
		axdr.Array(axdr.Structure(axdr.Uint16(8), axdr.Uint8(0), obis, axdr.Structure(axdr.Array(), axdr.Array(axdr.Structure(axdr.Int8(1), axdr.VisibleString("x")))))),
	} {
		m.values[attrKey{obOtherAssoc, 2}] = bad
		if _, err := c.ReadObjectList(context.Background(), obOtherAssoc); !errors.Is(err, meter.ErrValue) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}
