package meter

import (
	"context"
	"math"
	"unicode/utf8"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)

// Data (class 1) holds one value of any type in attribute 2: the logical
// device name, the EAN, the invocation counter, the tariff indicator, a
// date-time on a display.

// ReadData returns the value of a Data object as the meter sends it.
func (c *Client) ReadData(ctx context.Context, obis dlms.OBIS) (axdr.Data, error) {
	return c.Get(ctx, dlms.ClassData, obis, 2)
}

// ReadDataString returns the value of a Data object that holds text in
// an octet-string, a visible-string or a utf8-string: the logical device
// name, the EAN. Bytes that are not valid UTF-8 fail with ErrValue: read
// them with ReadData.
func (c *Client) ReadDataString(ctx context.Context, obis dlms.OBIS) (string, error) {
	return getAs(ctx, c, dlms.ClassData, obis, 2, func(d axdr.Data) (string, error) {
		b, err := asBytes(d)
		if err != nil {
			return "", err
		}
		if !utf8.Valid(b) {
			return "", valueError("text", d)
		}
		return string(b), nil
	})
}

// ReadDataUint returns the value of a Data object that holds an unsigned
// integer (or a signed one that is not negative): the invocation counter,
// the tariff indicator.
func (c *Client) ReadDataUint(ctx context.Context, obis dlms.OBIS) (uint64, error) {
	return getAs(ctx, c, dlms.ClassData, obis, 2, func(d axdr.Data) (uint64, error) {
		return asUint(d, math.MaxUint64)
	})
}

// ReadDataDateTime returns the value of a Data object that holds a
// date-time, as an octet-string of 12 bytes or the date-time type.
func (c *Client) ReadDataDateTime(ctx context.Context, obis dlms.OBIS) (axdr.DateTime, error) {
	return getAs(ctx, c, dlms.ClassData, obis, 2, asDateTime)
}

// WriteData writes the value of a Data object.
func (c *Client) WriteData(ctx context.Context, obis dlms.OBIS, v axdr.Data) error {
	return c.Set(ctx, dlms.ClassData, obis, 2, v)
}
