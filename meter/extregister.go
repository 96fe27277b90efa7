package meter

import (
	"context"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)

// ExtendedRegister is an Extended register (class 4): a register value
// with the status and the time of its capture. The gas volume that an
// electricity meter reads from its M-Bus gas meter is one.
type ExtendedRegister struct {
	Quantity Quantity // value (attribute 2) with scaler_unit (attribute 3)
	// Status is attribute 4: an unsigned integer or a bit-string of up to
	// 64 bits, whose meaning is the meter's; 0 when the meter sends
	// null-data.
	Status uint64
	// CaptureTime is attribute 5 as the meter sent it.
	CaptureTime axdr.DateTime
	// Captured is the capture time as a point in time (a date-time
	// without deviation read in the meter's time zone); zero when the
	// meter does not specify it.
	Captured time.Time
}

// ReadExtendedRegister reads the value, scaler_unit, status and capture
// time of an Extended register, in one request when the association has
// the with-list services.
func (c *Client) ReadExtendedRegister(ctx context.Context, obis dlms.OBIS) (ExtendedRegister, error) {
	const class = dlms.ClassExtendedRegister
	values, err := c.getAttrs(ctx, class, obis, 2, 3, 4, 5)
	if err != nil {
		return ExtendedRegister{}, err
	}
	var r ExtendedRegister
	if r.Quantity, err = quantityAttrs(class, obis, values[0], values[1]); err != nil {
		return ExtendedRegister{}, err
	}
	if r.Status, err = asStatus(values[2]); err != nil {
		return ExtendedRegister{}, badValue(class, obis, 4, err)
	}
	if r.CaptureTime, err = asDateTime(values[3]); err != nil {
		return ExtendedRegister{}, badValue(class, obis, 5, err)
	}
	r.Captured, _ = timeOf(r.CaptureTime, c.loc)
	return r, nil
}

// asStatus reads a status: an unsigned integer, a bit-string of up to 64
// bits (its bits as a number, the first bit most significant), or
// null-data for none.
func asStatus(d axdr.Data) (uint64, error) {
	switch {
	case d.Tag == axdr.TagNull:
		return 0, nil
	case d.Tag == axdr.TagBitString && d.Bits <= 64 && len(d.Bytes)*8 >= d.Bits:
		var v uint64
		for i := range d.Bits {
			v = v<<1 | uint64(d.Bytes[i/8]>>(7-i%8)&1)
		}
		return v, nil
	case d.IsInteger() && !d.Signed():
		return d.Uint, nil
	}
	return 0, valueError("a status (unsigned or bit-string)", d)
}
