package transport

import (
	"context"
	"errors"
	"time"

	"github.com/openhes/hes/dlms/hdlc"
)

// device is the server end of the HDLC links to one address on a stream.
type device struct {
	st        *hdlc.Station
	peer      Peer
	sess      Session // nil while no link is up
	parts     int     // frames of the answer being sent
	lastFrame time.Time
}

type deviceKey struct{ upper, lower uint16 }

// maxDevices bounds the addresses one stream keeps a station for.
const maxDevices = 1024

// hdlcServer routes the frames of a stream to the stations of the
// addressed devices.
type hdlcServer struct {
	*server
	devices map[deviceKey]*device
	ended   bool // a link ended (for ServeOptions.Once)
}

func (s *server) serveHDLC(ctx context.Context, head []byte) error {
	hs := &hdlcServer{server: s, devices: make(map[deviceKey]*device)}
	defer hs.closeAll()
	var df hdlc.Deframer
	in := head
	for {
		if len(in) > 0 {
			if _, err := df.Write(in); err != nil {
				df.Reset() // unreachable while Next drains it after every write
			}
			in = nil
		}
		for {
			f, err := df.Next()
			if errors.Is(err, hdlc.ErrNeedMore) {
				break
			}
			if err != nil {
				continue // *hdlc.SkipError: noise, or a damaged frame
			}
			if s.opt.Trace != nil {
				s.opt.Trace(Received, df.Raw())
			}
			if err := hs.frame(ctx, f); err != nil {
				return err
			}
			if s.opt.Once && hs.ended {
				return nil
			}
		}
		p, err := s.readIn(ctx, hs.deadline())
		in = p
		switch {
		case err == errTimer:
			if err := hs.expire(); err != nil {
				return err
			}
		case err != nil && len(p) == 0:
			return s.end(err)
		}
	}
}

// deadline is the next time-out: the earliest link inactivity or the
// stream's.
func (hs *hdlcServer) deadline() time.Time {
	d := hs.idleDeadline()
	if hs.opt.Inactivity <= 0 {
		return d
	}
	for _, dev := range hs.devices {
		if dev.sess == nil {
			continue
		}
		if t := dev.lastFrame.Add(hs.opt.Inactivity); d.IsZero() || t.Before(d) {
			d = t
		}
	}
	return d
}

// expire drops the links that were inactive too long.
func (hs *hdlcServer) expire() error {
	now := time.Now()
	if idle := hs.idleDeadline(); !idle.IsZero() && !now.Before(idle) {
		return ErrInactivity
	}
	for _, dev := range hs.devices {
		if dev.sess != nil && hs.opt.Inactivity > 0 && !now.Before(dev.lastFrame.Add(hs.opt.Inactivity)) {
			dev.st.Timeout() // drops the link: ErrInactivity
			hs.release(dev)
			if hs.opt.Once {
				return ErrInactivity
			}
		}
	}
	return nil
}

// frame handles one frame from the stream.
func (hs *hdlcServer) frame(ctx context.Context, f hdlc.Frame) error {
	key := deviceKey{f.Dest.Upper, f.Dest.Lower}
	dev := hs.devices[key]
	if f.Control.Kind == hdlc.KindSNRM {
		return hs.snrm(ctx, key, dev, f)
	}
	if dev == nil {
		return nil // no link was ever opened to that address
	}
	if dev.sess != nil && f.Src.Upper == dev.peer.Client {
		dev.lastFrame = time.Now()
	}
	out, apdu, err := dev.st.Receive(f)
	if err := hs.send(ctx, dev, out); err != nil {
		return err
	}
	if err == nil && apdu != nil && dev.sess != nil {
		if ans := dev.sess.Serve(ctx, Request{Peer: dev.peer, APDU: apdu}); ans != nil {
			out, err := dev.st.Send(ans)
			if err == nil {
				dev.parts = (hdlc.LLCLength + len(ans) + dev.st.Params().MaxInfoTx - 1) / dev.st.Params().MaxInfoTx
				if err := hs.send(ctx, dev, out); err != nil {
					return err
				}
			}
		}
	}
	if dev.sess != nil && dev.st.State() == hdlc.StateDisconnected {
		hs.release(dev)
	}
	return nil
}

// snrm opens a link when the Handler knows the addressed device.
func (hs *hdlcServer) snrm(ctx context.Context, key deviceKey, dev *device, f hdlc.Frame) error {
	if dev != nil && dev.sess != nil && f.Src.Upper != dev.peer.Client {
		return nil // the device is linked to another client
	}
	peer := Peer{Framing: FramingHDLC, Client: f.Src.Upper, Logical: f.Dest.Upper, Physical: f.Dest.Lower, AddressSize: f.Dest.Size}
	sess, ok := hs.h.Open(ctx, peer)
	if !ok {
		return nil // no such device: silence
	}
	if dev != nil && dev.sess != nil {
		dev.sess.Close() // a new SNRM ends the link in place
		dev.sess = nil
	} else {
		// A fresh station: it answers with the address size of this SNRM.
		if dev == nil && len(hs.devices) >= maxDevices {
			for k, d := range hs.devices {
				if d.sess == nil {
					delete(hs.devices, k)
				}
			}
		}
		st, err := hdlc.NewServer(hdlc.Config{
			Server:    f.Dest,
			MaxInfoTx: hs.opt.MaxInfoTx, MaxInfoRx: hs.opt.MaxInfoRx,
			WindowTx: hs.opt.Window, WindowRx: hs.opt.Window,
			MaxAPDU: hs.opt.MaxAPDU,
		})
		if err != nil {
			sess.Close()
			return err
		}
		dev = &device{st: st}
		hs.devices[key] = dev
	}
	dev.peer = peer
	out, _, err := dev.st.Receive(f)
	if sendErr := hs.send(ctx, dev, out); sendErr != nil {
		sess.Close()
		return sendErr
	}
	if err != nil || dev.st.State() != hdlc.StateConnected {
		sess.Close() // parameters refused: DM went out
		return nil
	}
	dev.sess, dev.lastFrame = sess, time.Now()
	return nil
}

// release ends the session of a device whose link is down.
func (hs *hdlcServer) release(dev *device) {
	dev.sess.Close()
	dev.sess = nil
	hs.ended = true
}

func (hs *hdlcServer) closeAll() {
	for _, dev := range hs.devices {
		if dev.sess != nil {
			dev.sess.Close()
			dev.sess = nil
		}
	}
}

// send writes the frames of a station through the OutFilter.
func (hs *hdlcServer) send(ctx context.Context, dev *device, frames [][]byte) error {
	for _, b := range frames {
		o := Outgoing{Peer: dev.peer, Bytes: b}
		if hs.opt.Out != nil {
			if f, err := hdlc.ParseFrame(b); err == nil && f.Control.Kind == hdlc.KindI {
				o.Last, o.Parts = !f.Segmented, dev.parts
			}
		}
		if err := hs.emit(ctx, o); err != nil {
			return err
		}
	}
	return nil
}
