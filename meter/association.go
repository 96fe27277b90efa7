package meter

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)

// AttributeAccessMode is the access_mode of an attribute in the object
// list of an Association LN (class 15).
type AttributeAccessMode uint8

// The attribute access modes.
const (
	AttributeNoAccess                  AttributeAccessMode = 0
	AttributeReadOnly                  AttributeAccessMode = 1
	AttributeWriteOnly                 AttributeAccessMode = 2
	AttributeReadWrite                 AttributeAccessMode = 3
	AttributeAuthenticatedReadOnly     AttributeAccessMode = 4
	AttributeAuthenticatedWriteOnly    AttributeAccessMode = 5
	AttributeAuthenticatedReadAndWrite AttributeAccessMode = 6
)

var attributeAccessNames = [...]string{
	"no-access", "read-only", "write-only", "read-and-write",
	"authenticated-read-only", "authenticated-write-only", "authenticated-read-and-write",
}

// String returns the mode's name, e.g. "read-only".
func (m AttributeAccessMode) String() string {
	if int(m) < len(attributeAccessNames) {
		return attributeAccessNames[m]
	}
	return "access-mode(" + strconv.Itoa(int(m)) + ")"
}

// CanRead reports whether the mode allows reading.
func (m AttributeAccessMode) CanRead() bool {
	switch m {
	case AttributeReadOnly, AttributeReadWrite, AttributeAuthenticatedReadOnly, AttributeAuthenticatedReadAndWrite:
		return true
	}
	return false
}

// CanWrite reports whether the mode allows writing.
func (m AttributeAccessMode) CanWrite() bool {
	switch m {
	case AttributeWriteOnly, AttributeReadWrite, AttributeAuthenticatedWriteOnly, AttributeAuthenticatedReadAndWrite:
		return true
	}
	return false
}

// MethodAccessMode is the access_mode of a method in the object list.
type MethodAccessMode uint8

// The method access modes. Association LN version 0 sends a boolean,
// read as MethodNoAccess or MethodAccess.
const (
	MethodNoAccess            MethodAccessMode = 0
	MethodAccess              MethodAccessMode = 1
	MethodAuthenticatedAccess MethodAccessMode = 2
)

// String returns the mode's name, e.g. "access".
func (m MethodAccessMode) String() string {
	switch m {
	case MethodNoAccess:
		return "no-access"
	case MethodAccess:
		return "access"
	case MethodAuthenticatedAccess:
		return "authenticated-access"
	}
	return "access-mode(" + strconv.Itoa(int(m)) + ")"
}

// AttributeRight is the access right of the association to one
// attribute, with the selective access selectors it allows.
type AttributeRight struct {
	Attribute int8
	Mode      AttributeAccessMode
	Selectors []uint8 // nil when the attribute has no selective access
}

// MethodRight is the access right of the association to one method.
type MethodRight struct {
	Method int8
	Mode   MethodAccessMode
}

// ListedObject is one entry of the object list of an association: an
// object that the association sees, and what it may do with it.
type ListedObject struct {
	Class      dlms.ClassID
	Version    uint8
	OBIS       dlms.OBIS
	Attributes []AttributeRight
	Methods    []MethodRight
}

// ReadObjectList reads the object_list (attribute 2) of an Association LN:
// of the current association (session.CurrentAssociation,
// 0-0:40.0.0.255), the objects this association sees.
func (c *Client) ReadObjectList(ctx context.Context, obis dlms.OBIS) ([]ListedObject, error) {
	return getAs(ctx, c, dlms.ClassAssociationLN, obis, 2, asObjectList)
}

// asObjectList reads an object_list: array of structure { class_id
// long-unsigned, version unsigned, logical_name octet-string,
// access_rights structure { attribute_access array, method_access array } }.
func asObjectList(d axdr.Data) ([]ListedObject, error) {
	items, err := asArray(d)
	if err != nil {
		return nil, err
	}
	list := make([]ListedObject, len(items))
	for i, it := range items {
		if list[i], err = asListedObject(it); err != nil {
			return nil, fmt.Errorf("object %d: %w", i+1, err)
		}
	}
	return list, nil
}

func asListedObject(d axdr.Data) (ListedObject, error) {
	var o ListedObject
	f, err := asStructure(d, 4)
	if err != nil {
		return o, err
	}
	class, err := asUint(f[0], math.MaxUint16)
	if err != nil {
		return o, fmt.Errorf("class_id: %w", err)
	}
	version, err := asUint(f[1], math.MaxUint8)
	if err != nil {
		return o, fmt.Errorf("version: %w", err)
	}
	if o.OBIS, err = asOBIS(f[2]); err != nil {
		return o, fmt.Errorf("logical_name: %w", err)
	}
	o.Class, o.Version = dlms.ClassID(class), uint8(version)
	rights, err := asStructure(f[3], 2)
	if err != nil {
		return o, fmt.Errorf("%v access_rights: %w", o.OBIS, err)
	}
	if o.Attributes, err = asAttributeAccess(rights[0]); err != nil {
		return o, fmt.Errorf("%v attribute_access: %w", o.OBIS, err)
	}
	if o.Methods, err = asMethodAccess(rights[1]); err != nil {
		return o, fmt.Errorf("%v method_access: %w", o.OBIS, err)
	}
	return o, nil
}

func asAttributeAccess(d axdr.Data) ([]AttributeRight, error) {
	items, err := asArray(d)
	if err != nil {
		return nil, err
	}
	out := make([]AttributeRight, len(items))
	for i, it := range items {
		f, err := asStructure(it, 3)
		if err != nil {
			return nil, err
		}
		id, err := asIntRange(f[0], math.MinInt8, math.MaxInt8)
		if err != nil {
			return nil, fmt.Errorf("attribute_id: %w", err)
		}
		mode, err := asUint(f[1], math.MaxUint8)
		if err != nil {
			return nil, fmt.Errorf("access_mode: %w", err)
		}
		out[i] = AttributeRight{Attribute: int8(id), Mode: AttributeAccessMode(mode)}
		if f[2].Tag == axdr.TagNull {
			continue
		}
		sels, err := asArray(f[2])
		if err != nil {
			return nil, fmt.Errorf("access_selectors: %w", err)
		}
		out[i].Selectors = make([]uint8, len(sels))
		for j, s := range sels {
			v, err := asUint(s, math.MaxUint8)
			if err != nil {
				return nil, fmt.Errorf("access_selectors: %w", err)
			}
			out[i].Selectors[j] = uint8(v)
		}
	}
	return out, nil
}

func asMethodAccess(d axdr.Data) ([]MethodRight, error) {
	items, err := asArray(d)
	if err != nil {
		return nil, err
	}
	out := make([]MethodRight, len(items))
	for i, it := range items {
		f, err := asStructure(it, 2)
		if err != nil {
			return nil, err
		}
		id, err := asIntRange(f[0], math.MinInt8, math.MaxInt8)
		if err != nil {
			return nil, fmt.Errorf("method_id: %w", err)
		}
		var mode uint64
		if f[1].Tag == axdr.TagBoolean {
			if f[1].Uint != 0 {
				mode = 1
			}
		} else if mode, err = asUint(f[1], math.MaxUint8); err != nil {
			return nil, fmt.Errorf("access_mode: %w", err)
		}
		out[i] = MethodRight{Method: int8(id), Mode: MethodAccessMode(mode)}
	}
	return out, nil
}
