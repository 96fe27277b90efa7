package meter

import (
	"bytes"
	"context"
	"fmt"
	"math"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
)

// PushSetup is what a Push setup (class 40) pushes, and where.
type PushSetup struct {
	// Objects is push_object_list (attribute 2): the attributes the push
	// carries, in order.
	Objects []apdu.CaptureObject
	// Service, Destination and Message are send_destination_and_method
	// (attribute 3): the transport service (0 TCP, 1 UDP, ... the
	// companion specification's values above), the destination address
	// as the meter holds it, and the message type (0 A-XDR encoded xDLMS
	// APDU).
	Service     uint8
	Destination []byte
	Message     uint8
}

// ReadPushSetup reads attributes 2 and 3 of a Push setup.
func (c *Client) ReadPushSetup(ctx context.Context, obis dlms.OBIS) (PushSetup, error) {
	const class = dlms.ClassPushSetup
	values, err := c.getAttrs(ctx, class, obis, 2, 3)
	if err != nil {
		return PushSetup{}, err
	}
	var p PushSetup
	if p.Objects, err = asCaptureObjects(values[0]); err != nil {
		return PushSetup{}, badValue(class, obis, 2, err)
	}
	if err := p.destination(values[1]); err != nil {
		return PushSetup{}, badValue(class, obis, 3, err)
	}
	return p, nil
}

// destination reads send_destination_and_method: structure {
// transport_service enum, destination octet-string, message enum }.
func (p *PushSetup) destination(d axdr.Data) error {
	f, err := asStructure(d, 3)
	if err != nil {
		return err
	}
	service, err := asUint(f[0], math.MaxUint8)
	if err != nil {
		return fmt.Errorf("transport_service: %w", err)
	}
	dest, err := asBytes(f[1])
	if err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	msg, err := asUint(f[2], math.MaxUint8)
	if err != nil {
		return fmt.Errorf("message: %w", err)
	}
	p.Service, p.Destination, p.Message = uint8(service), bytes.Clone(dest), uint8(msg)
	return nil
}

// Push invokes push (method 1) of a Push setup: the meter sends its push
// now, as it would on schedule.
func (c *Client) Push(ctx context.Context, obis dlms.OBIS) error {
	arg := axdr.Int8(0)
	_, err := c.Action(ctx, dlms.ClassPushSetup, obis, 1, &arg)
	return err
}
