package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/transport"
	"github.com/openhes/hes/transport/serial"
	"github.com/openhes/hes/transport/tcp"
)

// linkTarget says how to reach one meter for one client SAP: the fields of
// the technician's flags, or of a registered meter.
type linkTarget struct {
	tcp         string // host:port
	serial      string // device
	optical     bool
	baud        int
	hdlc        bool // HDLC over TCP; the wrapper otherwise
	server      uint16
	physical    uint16
	addressSize int
	timeout     time.Duration
	retries     int
}

// openLink opens a connected link to the target for client SAP sap.
func openLink(ctx context.Context, t linkTarget, sap uint16, trace transport.Trace) (meter.Link, error) {
	hcfg := transport.HDLCConfig{
		Client: uint8(sap), Logical: t.server, Physical: t.physical, AddressSize: t.addressSize,
		FrameTimeout: t.timeout, Retries: t.retries, Trace: trace,
	}
	var l meter.Link
	var err error
	switch {
	case t.serial != "":
		l, err = serial.OpenHDLC(ctx, t.serial, serial.SerialConfig{Baud: t.baud, Optical: t.optical, HDLC: hcfg})
	case t.hdlc:
		l, err = tcp.DialHDLC(ctx, t.tcp, hcfg)
	default:
		l, err = tcp.DialWrapper(ctx, t.tcp, transport.WrapperConfig{Client: sap, Server: t.server, Timeout: t.timeout, Trace: trace})
	}
	if err != nil {
		// Not a typed nil in an interface.
		return nil, err
	}
	return l, nil
}

// registryDial returns the meter.Dial of the head-end: it reaches a
// registered meter by its link and addresses, with the given per-frame
// timeout and retries.
func registryDial(timeout time.Duration, retries int) meter.Dial {
	return func(ctx context.Context, m meter.Meter, association string) (meter.Link, error) {
		sap, ok := m.ClientSAP(association)
		if !ok {
			return nil, fmt.Errorf("meter %s has no %s association", m.ID, association)
		}
		t := linkTarget{
			server: m.Addresses.Server, physical: m.Addresses.Physical, addressSize: m.Addresses.HDLCSize,
			timeout: timeout, retries: retries,
		}
		if t.server == 0 {
			if p, err := meter.LookupProfile(m.Profile); err == nil {
				t.server = p.ServerAddress
			}
		}
		switch m.Link.Kind {
		case meter.LinkTCP:
			t.tcp = m.Link.Address
			t.hdlc = m.Link.Framing == meter.FramingHDLC
		case meter.LinkSerial:
			t.serial, t.optical = m.Link.Device, m.Link.Optical
		default:
			return nil, fmt.Errorf("meter %s: %s links are not supported by this head-end yet", m.ID, m.Link.Kind)
		}
		return openLink(ctx, t, sap, nil)
	}
}
