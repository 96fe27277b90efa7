package apdu

import (
	"fmt"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)

// AttributeDescriptor names one attribute of one COSEM object
// (Cosem-Attribute-Descriptor).
type AttributeDescriptor struct {
	ClassID   dlms.ClassID
	Instance  dlms.OBIS
	Attribute int8
}

// MethodDescriptor names one method of one COSEM object
// (Cosem-Method-Descriptor).
type MethodDescriptor struct {
	ClassID  dlms.ClassID
	Instance dlms.OBIS
	Method   int8
}

// SelectiveAccess is a Selective-Access-Descriptor: which part of an
// attribute to read or write. The meaning of the parameters depends on the
// selector and the interface class; see Range and Entry for the selectors
// of a profile's buffer.
type SelectiveAccess struct {
	Selector   uint8
	Parameters axdr.Data
}

// AttributeWithSelection is a Cosem-Attribute-Descriptor-With-Selection,
// an item of the with-list GET and SET requests. Access is nil when absent.
type AttributeWithSelection struct {
	Attribute AttributeDescriptor
	Access    *SelectiveAccess
}

// String returns e.g. "Clock 0-0:1.0.0.255 attribute 2".
func (a AttributeDescriptor) String() string {
	return fmt.Sprintf("%v %v attribute %d", a.ClassID, a.Instance, a.Attribute)
}

// String returns e.g. "Clock 0-0:1.0.0.255 method 3".
func (m MethodDescriptor) String() string {
	return fmt.Sprintf("%v %v method %d", m.ClassID, m.Instance, m.Method)
}

func appendAttribute(dst []byte, a AttributeDescriptor) []byte {
	dst = append(dst, byte(a.ClassID>>8), byte(a.ClassID))
	dst = append(dst, a.Instance[:]...)
	return append(dst, byte(a.Attribute))
}

func appendMethod(dst []byte, m MethodDescriptor) []byte {
	return appendAttribute(dst, AttributeDescriptor{ClassID: m.ClassID, Instance: m.Instance, Attribute: m.Method})
}

// appendAccess appends an OPTIONAL Selective-Access-Descriptor.
func appendAccess(dst []byte, s *SelectiveAccess) []byte {
	if s == nil {
		return append(dst, 0)
	}
	dst = append(dst, 1, s.Selector)
	return s.Parameters.Append(dst)
}

func appendAttributeList(dst []byte, l []AttributeWithSelection) []byte {
	dst = axdr.AppendLength(dst, len(l))
	for i := range l {
		dst = appendAttribute(dst, l[i].Attribute)
		dst = appendAccess(dst, l[i].Access)
	}
	return dst
}

func appendDataList(dst []byte, l []axdr.Data) []byte {
	dst = axdr.AppendLength(dst, len(l))
	for i := range l {
		dst = l[i].Append(dst)
	}
	return dst
}

func appendU32(dst []byte, v uint32) []byte {
	return append(dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func appendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, 1)
	}
	return append(dst, 0)
}

func appendOctets(dst []byte, p []byte) []byte {
	dst = axdr.AppendLength(dst, len(p))
	return append(dst, p...)
}
