package meter

import (
	"fmt"
	"math"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
)

// The conversions of this file read the A-XDR values of attributes into
// Go values for the class helpers. They accept what meters send where the
// standard leaves room (any integer type for an integer, a date-time as
// an octet-string or the date-time type) and fail with ErrValue otherwise.

// describe names a value briefly for an error: its type, and its value
// when it is short.
func describe(d axdr.Data) string {
	switch d.Tag {
	case axdr.TagArray, axdr.TagStructure:
		return fmt.Sprintf("%v of %d items", d.Tag, len(d.Items))
	case axdr.TagCompactArray:
		return d.Tag.String()
	}
	if s := d.String(); len(s) <= 48 {
		return s
	}
	return fmt.Sprintf("%v of %d bytes", d.Tag, len(d.Bytes))
}

// valueError reports a value that is not what was expected.
func valueError(want string, got axdr.Data) error {
	return fmt.Errorf("%w: want %s, got %s", ErrValue, want, describe(got))
}

// asInt returns the value of any integer type (boolean excluded).
func asInt(d axdr.Data) (int64, error) {
	v, ok := d.Int64Value()
	if !ok {
		if d.IsInteger() {
			return 0, fmt.Errorf("%w: %v %d: %w", ErrValue, d.Tag, d.Uint, ErrOverflow)
		}
		return 0, valueError("an integer", d)
	}
	return v, nil
}

// asUint returns the value of an integer type from 0 to max.
func asUint(d axdr.Data, max uint64) (uint64, error) {
	if !d.IsInteger() {
		return 0, valueError("an unsigned integer", d)
	}
	if d.Signed() {
		if d.Int < 0 {
			return 0, fmt.Errorf("%w: %s is negative", ErrValue, describe(d))
		}
		d.Uint = uint64(d.Int)
	}
	if d.Uint > max {
		return 0, fmt.Errorf("%w: %s above %d", ErrValue, describe(d), max)
	}
	return d.Uint, nil
}

// asIntRange returns the value of an integer type from min to max.
func asIntRange(d axdr.Data, min, max int64) (int64, error) {
	v, err := asInt(d)
	if err != nil {
		return 0, err
	}
	if v < min || v > max {
		return 0, fmt.Errorf("%w: %s out of %d..%d", ErrValue, describe(d), min, max)
	}
	return v, nil
}

// asBool returns a boolean; meters that send an unsigned 0 or 1 are
// accepted too.
func asBool(d axdr.Data) (bool, error) {
	switch {
	case d.Tag == axdr.TagBoolean:
		return d.Uint != 0, nil
	case d.IsInteger() && !d.Signed() && d.Uint <= 1:
		return d.Uint == 1, nil
	}
	return false, valueError("a boolean", d)
}

// asBytes returns the bytes of an octet-string (or a visible or UTF-8
// string), not copied.
func asBytes(d axdr.Data) ([]byte, error) {
	switch d.Tag {
	case axdr.TagOctetString, axdr.TagVisibleString, axdr.TagUTF8String:
		return d.Bytes, nil
	}
	return nil, valueError("an octet-string", d)
}

// asOBIS returns the logical name that an octet-string of 6 bytes holds.
func asOBIS(d axdr.Data) (dlms.OBIS, error) {
	if d.Tag != axdr.TagOctetString || len(d.Bytes) != 6 {
		return dlms.OBIS{}, valueError("a logical name (octet-string of 6 bytes)", d)
	}
	return dlms.OBIS(d.Bytes), nil
}

// asDateTime returns the date-time of an octet-string of 12 bytes or a
// date-time.
func asDateTime(d axdr.Data) (axdr.DateTime, error) {
	dt, err := d.DateTime()
	if err != nil {
		return axdr.DateTime{}, valueError("a date-time", d)
	}
	return dt, nil
}

// timeOf returns the point in time dt names, in loc when dt has no
// deviation; ok is false when dt does not name one (fields not
// specified).
func timeOf(dt axdr.DateTime, loc *time.Location) (t time.Time, ok bool) {
	t, err := dt.AsTimeIn(loc)
	return t, err == nil
}

// asStructure returns the items of a structure of n items (n < 0: any).
func asStructure(d axdr.Data, n int) ([]axdr.Data, error) {
	if d.Tag != axdr.TagStructure || (n >= 0 && len(d.Items) != n) {
		return nil, valueError(fmt.Sprintf("a structure of %d items", n), d)
	}
	return d.Items, nil
}

// asArray returns the items of an array or of a compact-array.
func asArray(d axdr.Data) ([]axdr.Data, error) {
	switch d.Tag {
	case axdr.TagArray:
		return d.Items, nil
	case axdr.TagCompactArray:
		items, err := d.CompactItems()
		if err != nil {
			return nil, fmt.Errorf("%w: compact-array: %w", ErrValue, err)
		}
		return items, nil
	}
	return nil, valueError("an array", d)
}

// asScalerUnit reads a scaler_unit: structure { scaler integer, unit enum }.
func asScalerUnit(d axdr.Data) (ScalerUnit, error) {
	items, err := asStructure(d, 2)
	if err != nil {
		return ScalerUnit{}, fmt.Errorf("scaler_unit: %w", err)
	}
	s, err := asIntRange(items[0], math.MinInt8, math.MaxInt8)
	if err != nil {
		return ScalerUnit{}, fmt.Errorf("scaler_unit scaler: %w", err)
	}
	u, err := asUint(items[1], math.MaxUint8)
	if err != nil {
		return ScalerUnit{}, fmt.Errorf("scaler_unit unit: %w", err)
	}
	return ScalerUnit{Scaler: int8(s), Unit: Unit(u)}, nil
}

// asCaptureObject reads a capture_object_definition: structure {
// class_id long-unsigned, logical_name octet-string, attribute_index
// integer, data_index long-unsigned }. The value_definition of a limiter,
// the same without data_index, is accepted too.
func asCaptureObject(d axdr.Data) (apdu.CaptureObject, error) {
	if d.Tag != axdr.TagStructure || (len(d.Items) != 4 && len(d.Items) != 3) {
		return apdu.CaptureObject{}, valueError("a capture object definition (structure of 4 items)", d)
	}
	class, err := asUint(d.Items[0], math.MaxUint16)
	if err != nil {
		return apdu.CaptureObject{}, fmt.Errorf("class_id: %w", err)
	}
	obis, err := asOBIS(d.Items[1])
	if err != nil {
		return apdu.CaptureObject{}, fmt.Errorf("logical_name: %w", err)
	}
	attr, err := asIntRange(d.Items[2], math.MinInt8, math.MaxInt8)
	if err != nil {
		return apdu.CaptureObject{}, fmt.Errorf("attribute_index: %w", err)
	}
	co := apdu.CaptureObject{ClassID: dlms.ClassID(class), Instance: obis, Attribute: int8(attr)}
	if len(d.Items) == 4 {
		idx, err := asUint(d.Items[3], math.MaxUint16)
		if err != nil {
			return apdu.CaptureObject{}, fmt.Errorf("data_index: %w", err)
		}
		co.DataIndex = uint16(idx)
	}
	return co, nil
}

// asCaptureObjects reads an array of capture_object_definition.
func asCaptureObjects(d axdr.Data) ([]apdu.CaptureObject, error) {
	items, err := asArray(d)
	if err != nil {
		return nil, err
	}
	cos := make([]apdu.CaptureObject, len(items))
	for i, it := range items {
		if cos[i], err = asCaptureObject(it); err != nil {
			return nil, fmt.Errorf("capture object %d: %w", i+1, err)
		}
	}
	return cos, nil
}

// integerLike returns v encoded with the integer type tag, or ErrValue
// when tag is not an integer type or v does not fit in it.
func integerLike(tag axdr.Tag, v int64) (axdr.Data, error) {
	type bounds struct{ min, max int64 }
	var b bounds
	switch tag {
	case axdr.TagInteger:
		b = bounds{math.MinInt8, math.MaxInt8}
	case axdr.TagLong:
		b = bounds{math.MinInt16, math.MaxInt16}
	case axdr.TagDoubleLong:
		b = bounds{math.MinInt32, math.MaxInt32}
	case axdr.TagLong64:
		b = bounds{math.MinInt64, math.MaxInt64}
	case axdr.TagUnsigned, axdr.TagEnum:
		b = bounds{0, math.MaxUint8}
	case axdr.TagLongUnsigned:
		b = bounds{0, math.MaxUint16}
	case axdr.TagDoubleLongUnsigned:
		b = bounds{0, math.MaxUint32}
	case axdr.TagLong64Unsigned:
		b = bounds{0, math.MaxInt64}
	default:
		return axdr.Data{}, fmt.Errorf("%w: cannot write an integer as %v", ErrValue, tag)
	}
	if v < b.min || v > b.max {
		return axdr.Data{}, fmt.Errorf("%w: %d does not fit in %v: %w", ErrValue, v, tag, ErrOverflow)
	}
	d := axdr.Data{Tag: tag}
	if b.min < 0 {
		d.Int = v
	} else {
		d.Uint = uint64(v)
	}
	return d, nil
}
