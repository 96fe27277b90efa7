package session

import (
	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
)

// The current association, when the model does not list it, appears in
// the object list as an Association LN of version 1 with 9 attributes and
// 4 methods, of which the engine answers the logical name, the object list
// and reply_to_HLS_authentication.
const (
	currentVersion    = 1
	currentAttributes = 9
	currentMethods    = 4
)

// The access_mode values of the object list (Association LN version 1 and
// later).
const (
	attributeNoAccess  = 0
	attributeRead      = 1
	attributeWrite     = 2
	attributeReadWrite = 3
	methodNoAccess     = 0
	methodAccess       = 1
)

// objectList returns attribute 2 of the current association: the objects
// that the association sees, each with its access rights:
//
//	structure { class_id long-unsigned, version unsigned, logical_name octet-string,
//	            access_rights structure {
//	              attribute_access array of structure { attribute_id integer, access_mode enum, access_selectors null-data },
//	              method_access array of structure { method_id integer, access_mode enum } } }
func (a *association) objectList() axdr.Data {
	objs := a.s.cfg.Objects.Objects()
	items := make([]axdr.Data, 0, len(objs)+1)
	listed := false
	for _, o := range objs {
		if isCurrent(o.Class, o.OBIS) {
			listed = true
		}
		if a.visible(o.Class, o.OBIS) {
			items = append(items, a.objectEntry(o))
		}
	}
	if !listed {
		items = append([]axdr.Data{a.currentEntry()}, items...)
	}
	return axdr.Array(items...)
}

func (a *association) objectEntry(o Object) axdr.Data {
	attrs := make([]axdr.Data, max(o.Attributes, 0))
	for i := range attrs {
		id := int8(i + 1)
		mode := attributeMode(a.mode(Member{Class: o.Class, OBIS: o.OBIS, Index: id}))
		attrs[i] = axdr.Structure(axdr.Int8(id), axdr.Enum(mode), axdr.Null())
	}
	methods := make([]axdr.Data, max(o.Methods, 0))
	for i := range methods {
		id := int8(i + 1)
		mode := uint8(methodNoAccess)
		if a.mode(Member{Class: o.Class, OBIS: o.OBIS, Method: true, Index: id})&AccessExecute != 0 {
			mode = methodAccess
		}
		methods[i] = axdr.Structure(axdr.Int8(id), axdr.Enum(mode))
	}
	return entry(o, attrs, methods)
}

// currentEntry returns the entry of the current association when the
// model does not have it.
func (a *association) currentEntry() axdr.Data {
	o := Object{Class: dlms.ClassAssociationLN, Version: currentVersion, OBIS: CurrentAssociation, Attributes: currentAttributes, Methods: currentMethods}
	attrs := make([]axdr.Data, currentAttributes)
	for i := range attrs {
		mode := uint8(attributeNoAccess)
		if id := i + 1; id == attrLogicalName || id == attrObjectList {
			mode = attributeRead
		}
		attrs[i] = axdr.Structure(axdr.Int8(int8(i+1)), axdr.Enum(mode), axdr.Null())
	}
	methods := make([]axdr.Data, currentMethods)
	for i := range methods {
		mode := uint8(methodNoAccess)
		if i+1 == methodReplyToHLS && a.policy.Mechanism == apdu.MechanismHLSGMAC {
			mode = methodAccess
		}
		methods[i] = axdr.Structure(axdr.Int8(int8(i+1)), axdr.Enum(mode))
	}
	return entry(o, attrs, methods)
}

func entry(o Object, attrs, methods []axdr.Data) axdr.Data {
	obis := o.OBIS
	return axdr.Structure(
		axdr.Uint16(uint16(o.Class)),
		axdr.Uint8(o.Version),
		axdr.OctetString(obis[:]),
		axdr.Structure(axdr.Array(attrs...), axdr.Array(methods...)),
	)
}

func attributeMode(m AccessMode) uint8 {
	switch {
	case m&AccessRead != 0 && m&AccessWrite != 0:
		return attributeReadWrite
	case m&AccessRead != 0:
		return attributeRead
	case m&AccessWrite != 0:
		return attributeWrite
	}
	return attributeNoAccess
}
