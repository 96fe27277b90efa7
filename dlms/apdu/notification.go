package apdu

import (
	"github.com/openhes/hes/dlms/axdr"
)

// DataNotification is a DATA-NOTIFICATION pushed by a server, e.g. a
// meter's periodic push of its readings.
type DataNotification struct {
	Invoke LongInvokeIDAndPriority
	// DateTime is the COSEM date-time of the notification, 12 bytes, or
	// empty when the server sent none.
	DateTime []byte
	Body     axdr.Data // notification-body
}

// EventNotificationRequest reports the value of an attribute on an event.
type EventNotificationRequest struct {
	Time      []byte // the 12-byte COSEM date-time; nil when absent
	Attribute AttributeDescriptor
	Value     axdr.Data
}

// Tag implements APDU.
func (*DataNotification) Tag() Tag { return TagDataNotification }

// Name implements APDU.
func (*DataNotification) Name() string { return "data-notification" }

// Append implements APDU.
func (n *DataNotification) Append(dst []byte) []byte {
	dst = append(dst, byte(TagDataNotification))
	dst = appendU32(dst, uint32(n.Invoke))
	dst = appendOctets(dst, n.DateTime)
	return n.Body.Append(dst)
}

// Fields implements APDU.
func (n *DataNotification) Fields() []Field {
	dt := hexField("date-time", n.DateTime)
	if len(n.DateTime) == 0 {
		dt = field("date-time", "absent")
	}
	return []Field{
		field("long-invoke-id-and-priority", n.Invoke.String()),
		dt,
		dataField("notification-body", n.Body),
	}
}

func decodeDataNotification(b []byte) (*DataNotification, int, error) {
	d := decoder{b: b, name: "data-notification"}
	d.checkTag(TagDataNotification)
	n := &DataNotification{
		Invoke:   LongInvokeIDAndPriority(d.u32("long-invoke-id-and-priority")),
		DateTime: d.octets("date-time"),
		Body:     d.data("notification-body"),
	}
	return finish(&d, n)
}

// Tag implements APDU.
func (*EventNotificationRequest) Tag() Tag { return TagEventNotificationRequest }

// Name implements APDU.
func (*EventNotificationRequest) Name() string { return "event-notification-request" }

// Append implements APDU. The time is written as the standard's fixed-size
// Cosem-Date-Time (12 bytes, no length); it is truncated or padded with
// 0xFF (not specified) to 12 bytes.
func (n *EventNotificationRequest) Append(dst []byte) []byte {
	dst = append(dst, byte(TagEventNotificationRequest))
	if n.Time == nil {
		dst = append(dst, 0)
	} else {
		dst = append(dst, 1)
		for i := range dateTimeSize {
			if i < len(n.Time) {
				dst = append(dst, n.Time[i])
			} else {
				dst = append(dst, 0xFF)
			}
		}
	}
	dst = appendAttribute(dst, n.Attribute)
	return n.Value.Append(dst)
}

// Fields implements APDU.
func (n *EventNotificationRequest) Fields() []Field {
	return []Field{
		hexField("time", n.Time),
		attributeField("cosem-attribute-descriptor", n.Attribute),
		dataField("attribute-value", n.Value),
	}
}

const dateTimeSize = 12

func decodeEventNotificationRequest(b []byte) (*EventNotificationRequest, int, error) {
	d := decoder{b: b, name: "event-notification-request"}
	d.checkTag(TagEventNotificationRequest)
	n := &EventNotificationRequest{}
	if flag := d.u8("time"); flag != 0 {
		// Some servers send the time as a tagged octet-string (09 0C and
		// 12 bytes) where the standard has a presence flag and 12 bytes.
		if flag == byte(axdr.TagOctetString) && d.pos < len(d.b) && d.b[d.pos] == dateTimeSize {
			d.pos++
		}
		n.Time = d.take("time", dateTimeSize)
	}
	n.Attribute = d.attribute("cosem-attribute-descriptor")
	n.Value = d.data("attribute-value")
	return finish(&d, n)
}
