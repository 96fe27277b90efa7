package meter

import (
	"context"
	"math"
	"strconv"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)

// MBusDeviceType is the device type of an M-Bus device (EN 13757-3), as
// an M-Bus client (class 72) reports it in attribute 9.
type MBusDeviceType uint8

// The device types the head-end meets.
const (
	MBusOther       MBusDeviceType = 0x00
	MBusElectricity MBusDeviceType = 0x02
	MBusGas         MBusDeviceType = 0x03
	MBusHeat        MBusDeviceType = 0x04
	MBusWarmWater   MBusDeviceType = 0x06
	MBusWater       MBusDeviceType = 0x07
)

// String returns the type's name, e.g. "gas", or "device-type(N)".
func (t MBusDeviceType) String() string {
	switch t {
	case MBusOther:
		return "other"
	case MBusElectricity:
		return "electricity"
	case MBusGas:
		return "gas"
	case MBusHeat:
		return "heat"
	case MBusWarmWater:
		return "warm-water"
	case MBusWater:
		return "water"
	}
	return "device-type(" + strconv.Itoa(int(t)) + ")"
}

// MBusClient is what an M-Bus client (class 72) knows of the device on
// its channel. The device's values (the gas volume) are Extended
// registers on the same channel: read them with ReadExtendedRegister.
type MBusClient struct {
	PrimaryAddress uint8          // primary_address (attribute 5)
	Identification uint32         // identification_number (attribute 6), 8 BCD digits
	Manufacturer   uint16         // manufacturer_id (attribute 7), three letters packed
	Version        uint8          // version (attribute 8)
	DeviceType     MBusDeviceType // device_type (attribute 9)
}

// IdentificationString returns the identification number as its 8
// digits, e.g. "12345678", or in hexadecimal when it is not BCD.
func (m MBusClient) IdentificationString() string {
	s := strconv.FormatUint(uint64(m.Identification)|1<<32, 16)[1:] // 8 digits, leading zeros kept
	for _, r := range s {
		if r > '9' {
			return "0x" + s
		}
	}
	return s
}

// ManufacturerCode returns the three letters of the manufacturer id, e.g.
// "ABC" for 0x0443.
func (m MBusClient) ManufacturerCode() string {
	b := []byte{
		byte(m.Manufacturer>>10&0x1F) + 64,
		byte(m.Manufacturer>>5&0x1F) + 64,
		byte(m.Manufacturer&0x1F) + 64,
	}
	return string(b)
}

// ReadMBusClient reads attributes 5 to 9 of an M-Bus client, in one
// request when the association has the with-list services.
func (c *Client) ReadMBusClient(ctx context.Context, obis dlms.OBIS) (MBusClient, error) {
	const class = dlms.ClassMBusClient
	values, err := c.getAttrs(ctx, class, obis, 5, 6, 7, 8, 9)
	if err != nil {
		return MBusClient{}, err
	}
	max := []uint64{math.MaxUint8, math.MaxUint32, math.MaxUint16, math.MaxUint8, math.MaxUint8}
	n := make([]uint64, len(max))
	for i := range max {
		if n[i], err = asUint(values[i], max[i]); err != nil {
			return MBusClient{}, badValue(class, obis, int8(5+i), err)
		}
	}
	return MBusClient{
		PrimaryAddress: uint8(n[0]),
		Identification: uint32(n[1]),
		Manufacturer:   uint16(n[2]),
		Version:        uint8(n[3]),
		DeviceType:     MBusDeviceType(n[4]),
	}, nil
}

// MBusCapture invokes capture (method 3) of an M-Bus client: the meter
// reads the device's values now.
func (c *Client) MBusCapture(ctx context.Context, obis dlms.OBIS) error {
	arg := axdr.Int8(0)
	_, err := c.Action(ctx, dlms.ClassMBusClient, obis, 3, &arg)
	return err
}
