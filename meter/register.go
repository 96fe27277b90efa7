package meter

import (
	"context"
	"fmt"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)

// Register (class 3) holds a value (attribute 2) and its scaler_unit
// (attribute 3): the energy indexes, the power, a prepayment screen. The
// helpers return it as an exact Quantity.

// ReadRegister returns the value of a Register with its scaler and unit
// applied. Both attributes are read in one request when the association
// has the with-list services.
func (c *Client) ReadRegister(ctx context.Context, obis dlms.OBIS) (Quantity, error) {
	return c.readQuantity(ctx, dlms.ClassRegister, obis)
}

// ReadScalerUnit returns the scaler_unit (attribute 3) of a Register or
// an Extended register.
func (c *Client) ReadScalerUnit(ctx context.Context, class dlms.ClassID, obis dlms.OBIS) (ScalerUnit, error) {
	return getAs(ctx, c, class, obis, 3, asScalerUnit)
}

// WriteRegister writes q to the value of a Register, in the register's
// own scaler and value type: it reads both first, and fails without
// writing when the units differ, when q is not a whole number of the
// register's unit step (ErrInexact), or when it does not fit the type
// (ErrOverflow). The head-end writes the prepayment screens this way.
func (c *Client) WriteRegister(ctx context.Context, obis dlms.OBIS, q Quantity) error {
	values, err := c.getAttrs(ctx, dlms.ClassRegister, obis, 2, 3)
	if err != nil {
		return err
	}
	su, err := asScalerUnit(values[1])
	if err != nil {
		return badValue(dlms.ClassRegister, obis, 3, err)
	}
	fail := func(err error) error {
		return &OpError{Op: "set", Class: dlms.ClassRegister, OBIS: obis, Member: 2, Err: err}
	}
	if su.Unit != q.Unit {
		return fail(fmt.Errorf("%w: %v for a register in %v", ErrValue, q, su.Unit))
	}
	n, err := q.Int(su.Scaler)
	if err != nil {
		return fail(err)
	}
	v, err := integerLike(values[0].Tag, n)
	if err != nil {
		return fail(err)
	}
	return c.Set(ctx, dlms.ClassRegister, obis, 2, v)
}

// readQuantity reads attributes 2 and 3 of a register of class.
func (c *Client) readQuantity(ctx context.Context, class dlms.ClassID, obis dlms.OBIS) (Quantity, error) {
	values, err := c.getAttrs(ctx, class, obis, 2, 3)
	if err != nil {
		return Quantity{}, err
	}
	return quantityAttrs(class, obis, values[0], values[1])
}

// quantityAttrs converts the value and scaler_unit attributes of a
// register of class.
func quantityAttrs(class dlms.ClassID, obis dlms.OBIS, value, scalerUnit axdr.Data) (Quantity, error) {
	su, err := asScalerUnit(scalerUnit)
	if err != nil {
		return Quantity{}, badValue(class, obis, 3, err)
	}
	q, err := quantityOf(value, su)
	if err != nil {
		return Quantity{}, badValue(class, obis, 2, err)
	}
	return q, nil
}
