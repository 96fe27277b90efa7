package sim

import (
	"bytes"
	"time"

	"github.com/openhes/hes/dlms/hdlc"
	"github.com/openhes/hes/transport"
)

// The faults that act on the wire, as transport fault hooks. Each stream
// (a TCP connection, the optical port) gets its own filter, which finds
// the meter of every frame and applies the meter's switches of that
// moment:
//
//   - Slow delays every frame the meter sends;
//   - LastFrameLate delays the last frame of an answer cut into several
//     HDLC frames (a wrapper message is never cut);
//   - DropEvery drops every n-th frame or message the meter sends on the
//     stream (HDLC recovers by polling; the wrapper client times out);
//   - CorruptFCSEvery flips the frame check sequence of every n-th HDLC
//     frame (the client skips the frame and recovers); wrapper messages have
//     none and are left alone;
//   - OpticalEcho writes back every byte the client sends, before the
//     meter answers, as an optical probe does. On a port shared by several
//     meters, the echo follows the destination of the HDLC frame read.
//
// LongFrames is not a filter: the meter's HDLC station proposes and accepts
// information fields of longFrameInfo bytes (the defaults of IEC 62056-46
// otherwise, 128 bytes), so that a client proposing as much gets frames
// longer than 255 bytes. It takes effect on the streams that belong to one
// meter (its own port, its optical port), since a stream's HDLC parameters
// are the same for every device on it.

// longFrameInfo is the information field length of a meter with the
// LongFrames fault.
const longFrameInfo = 1024

// wireFaults is the fault filter of one stream.
type wireFaults struct {
	device func(p transport.Peer) *Device // the device of a peer
	only   *Device                        // the stream's only device, if it has one
	sent   map[*Device]int                // frames each device sent on the stream
}

// newWireFaults returns the filter of a stream of one device (only not
// nil) or of many, found by device.
func newWireFaults(only *Device, device func(transport.Peer) *Device) *wireFaults {
	return &wireFaults{device: device, only: only, sent: map[*Device]int{}}
}

// options returns the serve options of the stream, with the hooks and the
// HDLC parameters of its only device.
func (w *wireFaults) options(base transport.ServeOptions) transport.ServeOptions {
	base.Out, base.In = w.out, w.in
	if w.only != nil && w.only.m.Faults().LongFrames {
		base.MaxInfoTx, base.MaxInfoRx = longFrameInfo, longFrameInfo
	}
	return base
}

func (w *wireFaults) of(p transport.Peer) *Device {
	if w.only != nil {
		return w.only
	}
	return w.device(p)
}

// out applies the faults of the sending meter to a frame.
func (w *wireFaults) out(o transport.Outgoing) []transport.Out {
	d := w.of(o.Peer)
	if d == nil {
		return []transport.Out{{Bytes: o.Bytes}}
	}
	f := d.m.Faults()
	w.sent[d]++
	n := w.sent[d]
	if f.DropEvery > 0 && n%f.DropEvery == 0 {
		return nil
	}
	b := o.Bytes
	if f.CorruptFCSEvery > 0 && n%f.CorruptFCSEvery == 0 && o.Peer.Framing == transport.FramingHDLC && len(b) >= 4 {
		b = bytes.Clone(b)
		b[len(b)-2] ^= 0xFF // the FCS is the two bytes before the closing flag
		b[len(b)-3] ^= 0x55
	}
	var delay time.Duration
	delay += f.Slow
	if o.Last && o.Parts > 1 {
		delay += f.LastFrameLate
	}
	return []transport.Out{{Delay: delay, Bytes: b}}
}

// in echoes what a client sends to a meter with the OpticalEcho fault.
func (w *wireFaults) in(b []byte) ([]byte, []transport.Out) {
	d := w.only
	if d == nil {
		fr, err := hdlc.ParseFrame(bytes.Clone(b))
		if err != nil {
			return b, nil
		}
		d = w.device(transport.Peer{Framing: transport.FramingHDLC, Logical: fr.Dest.Upper, Physical: fr.Dest.Lower})
	}
	if d == nil || !d.m.Faults().OpticalEcho {
		return b, nil
	}
	return b, []transport.Out{{Bytes: bytes.Clone(b)}}
}
