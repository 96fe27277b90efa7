package meter

import (
	"testing"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
)

// FuzzValueConversions feeds every conversion of the class helpers with
// any value a meter could send: none may panic, and each either fails
// with ErrValue or returns a result.
func FuzzValueConversions(f *testing.F) {
	clock := apdu.CaptureObject{ClassID: dlms.ClassClock, Instance: dlms.OBIS{0, 0, 1, 0, 0, 255}, Attribute: 2}
	seeds := []axdr.Data{
		axdr.Structure(axdr.Int8(-3), axdr.Enum(30)),
		axdr.Array(clock.Data(), clock.Data()),
		axdr.Array(axdr.Structure(axdr.Uint16(8), axdr.Uint8(0), axdr.OctetString(clock.Instance[:]), axdr.Structure(
			axdr.Array(axdr.Structure(axdr.Int8(2), axdr.Enum(3), axdr.Array(axdr.Int8(1)))),
			axdr.Array(axdr.Structure(axdr.Int8(1), axdr.Bool(true)))))),
		axdr.Array(axdr.Structure(axdr.OctetString(make([]byte, 12)), axdr.Uint32(5))),
		axdr.BitString([]byte{0xF0, 0x0F}, 12),
		axdr.Structure(axdr.Enum(0), axdr.OctetString([]byte("host:4059")), axdr.Enum(0)),
	}
	for _, s := range seeds {
		f.Add(s.Encode())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, _, err := axdr.Decode(b)
		if err != nil {
			return
		}
		var p PushSetup
		for _, conv := range []func(axdr.Data) error{
			func(d axdr.Data) error { _, err := asObjectList(d); return err },
			func(d axdr.Data) error { _, err := asCaptureObjects(d); return err },
			func(d axdr.Data) error { _, err := asRows(d, -1); return err },
			func(d axdr.Data) error { _, err := asScalerUnit(d); return err },
			func(d axdr.Data) error { _, err := asStatus(d); return err },
			func(d axdr.Data) error { _, err := asDateTime(d); return err },
			func(d axdr.Data) error { _, err := asBool(d); return err },
			func(d axdr.Data) error {
				_, err := quantityOf(d, ScalerUnit{Scaler: -3, Unit: UnitWattHour})
				return err
			},
			p.destination,
		} {
			_ = conv(d)
		}
		b2 := &ProfileBuffer{Period: 900e9}
		if rows, err := asRows(d, -1); err == nil {
			b2.Rows = rows
			for i := range rows {
				b2.Time(i, 0)
			}
		}
	})
}
