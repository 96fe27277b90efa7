package dlmsdump

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/openhes/hes/dlms/hdlc"
)

// reassembly holds the segments of an APDU that an HDLC station sends in
// several I frames, the segmentation bit set on all but the last.
type reassembly struct {
	buf    []byte
	frames []int // record indexes of the segments
}

// hdlcFrame decodes the HDLC frame at b[off:] into rec and returns the
// offset of what follows it.
func (d *Dumper) hdlcFrame(rec *Record, b []byte, off int) (int, error) {
	// Extra flags between frames are fill.
	for off+1 < len(b) && b[off] == hdlc.Flag && b[off+1] == hdlc.Flag {
		off++
		rec.Offset = off
	}
	if b[off] != hdlc.Flag {
		rec.Length = len(b) - off
		return 0, fmt.Errorf("byte 0x%02X where a frame should open with the 0x7E flag", b[off])
	}
	if len(b)-off < 3 {
		rec.Length = len(b) - off
		return 0, fmt.Errorf("truncated: %d bytes, not even the frame format field", len(b)-off)
	}
	length := int(b[off+1]&7)<<8 | int(b[off+2])
	end := off + length + 2
	if end > len(b) {
		rec.Length = len(b) - off
		return 0, fmt.Errorf("truncated: the length field says %d bytes between the flags, %d present", length, len(b)-off-1)
	}
	raw := b[off:end]
	rec.Length = len(raw)
	next := end
	// Two frames may share a flag: the closing flag of one opens the next,
	// and the format field of the next follows it at once.
	if next < len(b) && b[next]&0xF0 == 0xA0 && raw[len(raw)-1] == hdlc.Flag {
		next--
	}

	f, bad := hdlc.ParseFrame(raw)
	hcs, fcs := "ok", "ok"
	if bad != nil {
		var ok bool
		if f, hcs, fcs, ok = repair(raw, bad); !ok {
			return 0, checkDetail(raw, bad)
		}
	}
	lay := layout(raw, len(f.Info) > 0)
	if rec.Direction == Unknown {
		rec.Direction = d.hdlcDirection(f)
	}
	d.learnHDLC(f, rec.Direction)

	n := rec.Node
	seg := "no"
	if f.Segmented {
		seg = "yes, more segments follow"
	}
	n.addf("format", "type 3, length %d, segmented: %s", length, seg)
	n.add("destination", addressText(f.Dest, lay.dest, rec.Direction == ServerToClient))
	n.add("source", addressText(f.Src, lay.src, rec.Direction == ClientToServer))
	n.add("control", controlText(f.Control, lay.control))
	if lay.hcs != nil {
		n.addf("HCS", "%X (%s)", lay.hcs, hcs)
	}
	n.addf("FCS", "%X (%s)", lay.fcs, fcs)
	if bad != nil {
		return 0, checkDetail(raw, bad)
	}

	switch f.Control.Kind {
	case hdlc.KindSNRM, hdlc.KindUA:
		if len(f.Info) > 0 {
			if err := paramsNode(n, f.Info); err != nil {
				return 0, err
			}
		}
	case hdlc.KindI:
		if err := d.information(rec, f); err != nil {
			return 0, err
		}
	default:
		if len(f.Info) > 0 {
			n.add("information", hexText(f.Info))
		}
	}
	return next, nil
}

// information decodes the information field of an I frame: one segment
// of an APDU, or a whole APDU.
func (d *Dumper) information(rec *Record, f hdlc.Frame) error {
	n := rec.Node
	r := &d.segments[rec.Direction]
	first := len(r.frames) == 0
	payload := f.Info
	if first {
		apdu, response, err := hdlc.CutLLC(f.Info)
		switch {
		case err != nil:
			n.add("LLC", "absent")
		case response:
			n.addf("LLC", "% X (response)", f.Info[:hdlc.LLCLength])
		default:
			n.addf("LLC", "% X (command)", f.Info[:hdlc.LLCLength])
		}
		if err == nil {
			payload = apdu
		}
	}
	if f.Segmented || !first {
		r.buf = append(r.buf, payload...)
		r.frames = append(r.frames, rec.Index)
	}
	if f.Segmented {
		n.addf("segment", "%d of an APDU, %d bytes; more follow", len(r.frames), len(payload))
		return nil
	}
	if !first {
		n.addf("segment", "%d (last) of an APDU, %d bytes; the APDU, %d bytes, is reassembled from frames %s",
			len(r.frames), len(payload), len(r.buf), frameList(r.frames))
		payload = r.buf
		*r = reassembly{}
	}
	if len(payload) == 0 {
		n.add("APDU", "absent")
		return nil
	}
	return d.apdu(n, payload, rec, 0)
}

func frameList(idx []int) string {
	s := make([]string, len(idx))
	for i, x := range idx {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// hdlcDirection guesses who sent f when the input does not say: SNRM and
// DISC are commands of the client, UA, DM and FRMR responses of the
// server; other frames tell it by the client's address, once known, or by
// the LLC header of an I frame.
func (d *Dumper) hdlcDirection(f hdlc.Frame) Direction {
	switch f.Control.Kind {
	case hdlc.KindSNRM, hdlc.KindDISC:
		return ClientToServer
	case hdlc.KindUA, hdlc.KindDM, hdlc.KindFRMR:
		return ServerToClient
	}
	if c := d.clientHDLC; c != nil {
		switch {
		case f.Src == *c:
			return ClientToServer
		case f.Dest == *c:
			return ServerToClient
		}
	}
	if f.Control.Kind == hdlc.KindI && len(d.segments[Unknown].frames) == 0 {
		if _, response, err := hdlc.CutLLC(f.Info); err == nil {
			if response {
				return ServerToClient
			}
			return ClientToServer
		}
	}
	return Unknown
}

// learnHDLC remembers the client's address from a frame whose direction is
// known.
func (d *Dumper) learnHDLC(f hdlc.Frame, dir Direction) {
	switch dir {
	case ClientToServer:
		a := f.Src
		d.clientHDLC = &a
	case ServerToClient:
		a := f.Dest
		d.clientHDLC = &a
	}
}

// frameLayout locates the fields of a frame that hdlc.ParseFrame accepted.
type frameLayout struct {
	dest, src []byte
	control   byte
	hcs, fcs  []byte // as on the wire
}

func layout(raw []byte, hasInfo bool) frameLayout {
	var l frameLayout
	i := 3
	e := addressEnd(raw, i)
	l.dest, i = raw[i:e], e
	e = addressEnd(raw, i)
	l.src, i = raw[i:e], e
	if i < len(raw) {
		l.control = raw[i]
	}
	if hasInfo && i+3 <= len(raw) {
		l.hcs = raw[i+1 : i+3]
	}
	if len(raw) >= 3 {
		l.fcs = raw[len(raw)-3 : len(raw)-1]
	}
	return l
}

// addressEnd returns the end of the address that starts at raw[i]: its
// last byte has the least significant bit set; an address has at most 4.
func addressEnd(raw []byte, i int) int {
	for j := i; j < len(raw) && j < i+4; j++ {
		if raw[j]&1 == 1 {
			return j + 1
		}
	}
	return min(i+4, len(raw))
}

// repair parses a frame whose only fault is a wrong HCS or FCS, so that
// its other fields can be shown: it checks a copy with the check sequences
// recomputed. It returns what to say of each check sequence.
func repair(raw []byte, err error) (f hdlc.Frame, hcs, fcs string, ok bool) {
	if !errors.Is(err, hdlc.ErrBadHCS) && !errors.Is(err, hdlc.ErrBadFCS) || len(raw) < 4 {
		return f, "", "", false
	}
	fixed := clone(raw)
	hcs, fcs = "ok", "ok"
	if i := hcsOffset(raw); errors.Is(err, hdlc.ErrBadHCS) && i+2 <= len(raw)-3 {
		want := wire(hdlc.Checksum(raw[1:i]))
		hcs = fmt.Sprintf("wrong, computed %X", want)
		copy(fixed[i:], want)
	}
	end := len(raw) - 3
	if want := wire(hdlc.Checksum(raw[1:end])); !bytes.Equal(want, raw[end:end+2]) {
		fcs = fmt.Sprintf("wrong, computed %X", want)
	}
	copy(fixed[end:], wire(hdlc.Checksum(fixed[1:end])))
	f, perr := hdlc.ParseFrame(fixed)
	return f, hcs, fcs, perr == nil
}

// hcsOffset returns where the HCS of a frame starts: after the format
// field, both addresses and the control byte.
func hcsOffset(raw []byte) int { return addressEnd(raw, addressEnd(raw, 3)) + 1 }

// checkDetail adds the received and computed check sequence to the error
// of a frame whose HCS or FCS is wrong.
func checkDetail(raw []byte, err error) error {
	switch {
	case errors.Is(err, hdlc.ErrBadFCS) && len(raw) >= 4:
		got := raw[len(raw)-3 : len(raw)-1]
		return fmt.Errorf("FCS %X, computed %X: %w", got, wire(hdlc.Checksum(raw[1:len(raw)-3])), err)
	case errors.Is(err, hdlc.ErrBadHCS):
		if i := hcsOffset(raw); i+2 <= len(raw) {
			return fmt.Errorf("HCS %X, computed %X: %w", raw[i:i+2], wire(hdlc.Checksum(raw[1:i])), err)
		}
	}
	return err
}

// wire returns a check sequence as sent: least significant byte first.
func wire(c uint16) []byte { return []byte{byte(c), byte(c >> 8)} }

// addressText describes an HDLC address: the client's SAP, or a server's
// upper and lower addresses.
func addressText(a hdlc.Address, raw []byte, client bool) string {
	if client && len(raw) == 1 {
		return fmt.Sprintf("client SAP %d (0x%02X)", a.Upper, raw[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "upper %d", a.Upper)
	if len(raw) > 1 {
		fmt.Fprintf(&b, ", lower %d", a.Lower)
	}
	switch {
	case a.Upper == hdlc.NoStation:
		b.WriteString(" (no station)")
	case len(raw) < 4 && a.Upper == hdlc.AllStation, len(raw) == 4 && a.Upper == hdlc.AllStation4:
		b.WriteString(" (all stations)")
	case !client:
		b.WriteString(" (server)")
	}
	fmt.Fprintf(&b, ", %d-byte address 0x%X", len(raw), raw)
	return b.String()
}

// controlText describes a control field.
func controlText(c hdlc.Control, raw byte) string {
	var b strings.Builder
	b.WriteString(c.Kind.String())
	if c.Kind == hdlc.KindI {
		fmt.Fprintf(&b, " N(S)=%d", c.NS)
	}
	if c.Kind == hdlc.KindI || c.Kind.Supervisory() {
		fmt.Fprintf(&b, " N(R)=%d", c.NR)
	}
	pf := 0
	if c.PF {
		pf = 1
	}
	fmt.Fprintf(&b, " P/F=%d (0x%02X)", pf, raw)
	return b.String()
}

// paramsNode decodes the parameter negotiation field of an SNRM or UA.
func paramsNode(n *Node, info []byte) error {
	p, err := hdlc.ParseParams(info)
	if err != nil {
		return fmt.Errorf("information field: %w", err)
	}
	g := n.addf("information", "parameter negotiation, %d bytes", len(info))
	size := func(name string, v, def int) {
		if v == 0 {
			g.addf(name, "%d (default, not sent)", def)
			return
		}
		g.addf(name, "%d", v)
	}
	size("max-info-field-length-transmit", p.MaxInfoTx, hdlc.DefaultMaxInfo)
	size("max-info-field-length-receive", p.MaxInfoRx, hdlc.DefaultMaxInfo)
	size("window-size-transmit", p.WindowTx, hdlc.DefaultWindow)
	size("window-size-receive", p.WindowRx, hdlc.DefaultWindow)
	return nil
}

// hexText shows bytes in hex with their count.
func hexText(b []byte) string {
	return fmt.Sprintf("%X (%d bytes)", b, len(b))
}
