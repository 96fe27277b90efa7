package dlmsdump

import (
	"fmt"

	"github.com/openhes/hes/dlms/wrapper"
)

// wrapperFrame decodes the wrapper frame at b[off:] into rec and returns
// the offset of what follows it.
func (d *Dumper) wrapperFrame(rec *Record, b []byte, off int) (int, error) {
	rest := b[off:]
	if len(rest) < wrapper.HeaderLen {
		rec.Length = len(rest)
		return 0, fmt.Errorf("truncated: %d bytes, the header alone takes %d", len(rest), wrapper.HeaderLen)
	}
	h, err := wrapper.ParseHeader(rest)
	if err != nil {
		rec.Length = len(rest)
		return 0, err
	}
	end := wrapper.HeaderLen + int(h.Length)
	if end > len(rest) {
		rec.Length = len(rest)
		return 0, fmt.Errorf("truncated: the length field says %d bytes of APDU, %d present", h.Length, len(rest)-wrapper.HeaderLen)
	}
	_, apdu, err := wrapper.ParseFrame(rest[:end])
	if err != nil {
		rec.Length = len(rest)
		return 0, err
	}
	rec.Length = end
	if rec.Direction == Unknown {
		rec.Direction = d.wrapperDirection(h, apdu)
	}
	switch rec.Direction {
	case ClientToServer:
		d.clientWPort = int(h.Source)
	case ServerToClient:
		d.clientWPort = int(h.Dest)
	}
	n := rec.Node
	n.addf("version", "%d", h.Version)
	n.add("source", wportText(h.Source, rec.Direction, ClientToServer))
	n.add("destination", wportText(h.Dest, rec.Direction, ServerToClient))
	n.addf("length", "%d", h.Length)
	if len(apdu) == 0 {
		n.add("APDU", "absent")
		return off + end, nil
	}
	return off + end, d.apdu(n, apdu, rec, 0)
}

// wportText describes a wPort; clientSide is the direction in which this
// field holds the client's wPort.
func wportText(p uint16, dir, clientSide Direction) string {
	switch {
	case dir == Unknown:
		return fmt.Sprintf("wPort %d", p)
	case dir == clientSide:
		return fmt.Sprintf("wPort %d (client)", p)
	}
	return fmt.Sprintf("wPort %d (server)", p)
}

// wrapperDirection guesses who sent a wrapper frame when the input does
// not say: by the client's wPort once known, else by the APDU.
func (d *Dumper) wrapperDirection(h wrapper.Header, apdu []byte) Direction {
	switch {
	case d.clientWPort >= 0 && int(h.Source) == d.clientWPort:
		return ClientToServer
	case d.clientWPort >= 0 && int(h.Dest) == d.clientWPort:
		return ServerToClient
	case len(apdu) > 0:
		return tagDirection(apdu[0])
	}
	return Unknown
}
