package sim

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/hdlc"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/dlms/session"
	"github.com/openhes/hes/dlms/wrapper"
	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/transport"
)

// pushSink accepts the pushes of the meters: what each connection sent
// before it was closed.
type pushSink struct {
	ln  net.Listener
	got chan []byte
}

func newPushSink(t *testing.T) *pushSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pushSink{ln: ln, got: make(chan []byte, 16)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				p.got <- readAll(t, conn)
			}()
		}
	}()
	return p
}

func (p *pushSink) next(t *testing.T) []byte {
	t.Helper()
	select {
	case b := <-p.got:
		return b
	case <-time.After(5 * time.Second):
		t.Fatal("no push")
		return nil
	}
}

func TestPushCipheredWrapper(t *testing.T) {
	sink := newPushSink(t)
	sent := make(chan error, 4)
	s := srvStart(t, 2, Config{Push: PushConfig{Address: sink.ln.Addr().String(), Ciphered: true, Sent: func(_ string, err error) { sent <- err }}})
	f := s.Fleet()
	m := srvDevice(t, s, "SIM000001").Meter()
	due := m.NextPush(f.Now())
	if !due.Equal(time.Date(2026, 3, 11, 0, 0, 0, 0, Brussels)) {
		t.Fatalf("next push at %v", due)
	}
	f.Advance(due.Sub(f.Now()))
	for range 2 {
		if err := <-sent; err != nil {
			t.Fatal(err)
		}
		msg := sink.next(t)
		h, b, err := wrapper.ParseFrame(msg)
		if err != nil || h.Source != 1 || h.Dest != DefaultPushSAP {
			t.Fatalf("wrapper %+v, %v", h, err)
		}
		c, _, err := security.ParseCiphered(b)
		if err != nil || c.Tag != security.TagGeneralGloCiphering {
			t.Fatalf("push % x: %v", b, err)
		}
		var d *Device
		for _, x := range s.Devices() {
			if st := x.Meter().Identity().SystemTitle; bytes.Equal(st[:], c.SystemTitle) {
				d = x
			}
		}
		if d == nil {
			t.Fatalf("push from system title %x", c.SystemTitle)
		}
		st := d.Meter().Identity().SystemTitle
		sec, err := security.NewContext(security.Config{
			Keys: d.Keys().SecurityKeys(), SystemTitle: srvClientTitle, PeerSystemTitle: st[:],
			Policy: security.PolicyAuthenticatedEncrypted,
		})
		if err != nil {
			t.Fatal(err)
		}
		a, err := session.DecodeNotification(b, sec, nil)
		if err != nil {
			t.Fatal(err)
		}
		n := a.(*apdu.DataNotification)
		body := n.Body.Items
		dm := d.Meter()
		r := dm.RegistersAt(f.Now(), due)
		gas, _ := dm.GasReading(f.Now())
		if len(body) != 8 || !bytes.Equal(body[0].Bytes, obisBytes(obis(t, meter.RolePushSetup))) {
			t.Fatalf("body %v", n.Body)
		}
		clock, _ := body[1].DateTime()
		if at, err := clock.AsTime(); err != nil || !at.Equal(due) {
			t.Errorf("pushed clock %v, %v", clock, err)
		}
		for i, want := range []int64{r.ImportDay, r.ImportNight, r.ExportDay, r.ExportNight, gas.VolumeDm3} {
			if int64(body[2+i].Uint) != want {
				t.Errorf("%s: item %d = %v, want %d", dm.ID(), 2+i, body[2+i], want)
			}
		}
	}
}

func obisBytes(o [6]byte) []byte { return o[:] }

func TestPushHDLCSplitAndMethod(t *testing.T) {
	sink := newPushSink(t)
	s := srvStart(t, 2, Config{Push: PushConfig{Address: "127.0.0.1:1", Framing: transport.FramingHDLC}})
	fs, _ := ParseFaultSpec("splitpush=SIM000001")
	if _, err := s.Fleet().ApplyFaults(fs); err != nil {
		t.Fatal(err)
	}
	ctx := srvCtx(t)
	for _, id := range []string{"SIM000001", "SIM000002"} {
		d := srvDevice(t, s, id)
		link, err := srvHDLC(t, s.Addr(), d, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		c := srvConnect(t, link, srvManagement(d))
		push := obis(t, meter.RolePushSetup)
		dest := axdr.Structure(axdr.Enum(0), axdr.OctetString([]byte(sink.ln.Addr().String())), axdr.Enum(0))
		if err := c.Set(ctx, 40, push, 3, dest); err != nil {
			t.Fatal(err)
		}
		if ps, err := c.ReadPushSetup(ctx, push); err != nil || string(ps.Destination) != sink.ln.Addr().String() {
			t.Errorf("push setup %+v, %v", ps, err)
		}
		if err := c.Push(ctx, push); err != nil {
			t.Fatal(err)
		}
		raw := sink.next(t)
		var df hdlc.Deframer
		df.Write(raw)
		var info []byte
		frames := 0
		for {
			fr, err := df.Next()
			if errors.Is(err, hdlc.ErrNeedMore) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			frames++
			if fr.Control.Kind != hdlc.KindUI || fr.Dest.Upper != DefaultPushSAP || fr.Src.Lower != d.Meter().Identity().PhysicalAddress {
				t.Errorf("frame %v", fr)
			}
			info = append(info, fr.Info...)
		}
		if split := id == "SIM000001"; (frames > 1) != split {
			t.Errorf("%s: push in %d frames", id, frames)
		}
		b, _, err := hdlc.CutLLC(info)
		if err != nil {
			t.Fatal(err)
		}
		a, err := session.DecodeNotification(b, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := a.(*apdu.DataNotification); len(n.Body.Items) != 8 {
			t.Errorf("%s pushed %v", id, n.Body)
		}
	}
}
