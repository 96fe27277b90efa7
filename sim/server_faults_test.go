package sim

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/hdlc"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/dlms/session"
	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/transport"
)

// srvFaulty serves two meters on the shared port and on ports of their own,
// with the faults of spec on the first.
func srvFaulty(t *testing.T, spec string) (*Server, *Device) {
	t.Helper()
	s := srvStart(t, 2, Config{Listen: "127.0.0.1:0", MeterPorts: true})
	fs, err := ParseFaultSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Fleet().ApplyFaults(fs); err != nil {
		t.Fatal(err)
	}
	return s, srvDevice(t, s, "SIM000001")
}

// frameLog records the frames a client link sees, with their times.
type frameLog struct {
	mu     sync.Mutex
	frames []loggedFrame
}

type loggedFrame struct {
	dir transport.Direction
	at  time.Time
	b   []byte
}

func (l *frameLog) trace(dir transport.Direction, b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.frames = append(l.frames, loggedFrame{dir, time.Now(), bytes.Clone(b)})
}

func (l *frameLog) received() []loggedFrame {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []loggedFrame
	for _, f := range l.frames {
		if f.dir == transport.Received {
			out = append(out, f)
		}
	}
	return out
}

func TestFaultSilent(t *testing.T) {
	s, d := srvFaulty(t, "silent=SIM000001")
	_, err := srvHDLC(t, s.Addr(), d, 16, func(c *transport.HDLCConfig) { c.FrameTimeout, c.Retries = 100*time.Millisecond, 1 })
	var le *transport.LinkError
	if !errors.As(err, &le) || !le.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("SNRM to a silent meter: %v", err)
	}
	// Over the wrapper the connection opens, but nothing answers.
	link, err := srvWrapper(t, s, d, 16, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer link.Close()
	if _, err := link.Exchange(srvCtx(t), []byte{0x60, 0x00}); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("wrapper exchange with a silent meter: %v", err)
	}
	// The other meter on the shared port answers.
	if link, err := srvHDLC(t, s.Addr(), srvDevice(t, s, "SIM000002"), 16, nil); err != nil {
		t.Errorf("the other meter: %v", err)
	} else {
		link.Close()
	}
}

func TestFaultSlowAndLate(t *testing.T) {
	const slow, late = 60 * time.Millisecond, 250 * time.Millisecond
	s, d := srvFaulty(t, "slow=SIM000001:60ms,late=SIM000001:250ms")
	var log frameLog
	start := time.Now()
	link, err := srvHDLC(t, s.Addr(), d, 16, func(c *transport.HDLCConfig) { c.Trace = log.trace })
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < slow {
		t.Errorf("SNRM answered in %v by a slow meter", took)
	}
	c := srvConnect(t, link, meter.Config{})
	log.mu.Lock()
	log.frames = nil
	log.mu.Unlock()
	if _, err := c.ReadObjectList(srvCtx(t), session.CurrentAssociation); err != nil {
		t.Fatal(err)
	}
	rx := log.received()
	if len(rx) < 2 {
		t.Fatalf("object list in %d frames", len(rx))
	}
	// Every frame comes late (the client sends an RR for each segment);
	// the last one later still.
	for i := 1; i < len(rx); i++ {
		gap, min := rx[i].at.Sub(rx[i-1].at), slow
		if i == len(rx)-1 {
			min += late
		}
		if gap < min {
			t.Errorf("frame %d of %d after %v, want at least %v", i+1, len(rx), gap, min)
		}
	}
}

func TestFaultDrop(t *testing.T) {
	s, d := srvFaulty(t, "drop=SIM000001:3")
	// HDLC recovers a lost frame by polling.
	link, err := srvHDLC(t, s.Addr(), d, 1, func(c *transport.HDLCConfig) { c.FrameTimeout = 100 * time.Millisecond })
	if err != nil {
		t.Fatal(err)
	}
	c := srvConnect(t, link, srvManagement(d))
	start := time.Now()
	for range 3 {
		if _, err := c.ReadClock(srvCtx(t), obis(t, meter.RoleClock)); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("no frame lost in %v", took)
	}
	// The wrapper has no recovery: the third answer never comes.
	wl, err := srvWrapper(t, s, d, 16, 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	c2 := srvConnect(t, wl, meter.Config{})
	if _, err := c2.ReadClock(srvCtx(t), obis(t, meter.RoleClock)); err != nil {
		t.Fatalf("second message: %v", err)
	}
	_, err = c2.ReadClock(srvCtx(t), obis(t, meter.RoleClock))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("third message: %v", err)
	}
}

func TestFaultFCS(t *testing.T) {
	s, d := srvFaulty(t, "fcs=SIM000001:1")
	// Every frame has a bad FCS: the UA itself.
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	snrm, err := hdlc.Frame{
		Dest:    hdlc.Address{Upper: 1, Lower: d.Meter().Identity().PhysicalAddress, Size: 4},
		Src:     hdlc.ClientAddress(16),
		Control: hdlc.Control{Kind: hdlc.KindSNRM, PF: true},
	}.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(snrm); err != nil {
		t.Fatal(err)
	}
	ua := make([]byte, 64)
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := conn.Read(ua)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hdlc.ParseFrame(ua[:n]); err == nil {
		t.Errorf("UA % x parses", ua[:n])
	}
	ua[n-2] ^= 0xFF
	ua[n-3] ^= 0x55
	if f, err := hdlc.ParseFrame(ua[:n]); err != nil || f.Control.Kind != hdlc.KindUA {
		t.Errorf("UA with its FCS repaired: %v, %v", f, err)
	}
	// The client skips such frames and gives up.
	_, err = srvHDLC(t, s.Addr(), d, 16, func(c *transport.HDLCConfig) { c.FrameTimeout, c.Retries = 100*time.Millisecond, 1 })
	var le *transport.LinkError
	if !errors.As(err, &le) || le.Skipped == 0 || !le.Timeout() {
		t.Errorf("connect: %v", err)
	}
}

func TestFaultEchoAndLongFrames(t *testing.T) {
	s, d := srvFaulty(t, "echo=SIM000001,longframes=SIM000001")
	addr, _ := s.MeterAddr("SIM000001")
	var log frameLog
	link, err := srvHDLC(t, addr, d, 1, func(c *transport.HDLCConfig) {
		c.Trace = log.trace
		c.MaxInfoRx, c.MaxInfoTx = 1024, 1024
	})
	if err != nil {
		t.Fatal(err)
	}
	if p := link.Params(); p.MaxInfoRx != 1024 {
		t.Errorf("negotiated %+v", p)
	}
	c := srvConnect(t, link, srvManagement(d))
	if _, err := c.ReadObjectList(srvCtx(t), session.CurrentAssociation); err != nil {
		t.Fatal(err)
	}
	echoes, long := 0, 0
	log.mu.Lock()
	for i, f := range log.frames {
		if f.dir == transport.Received && i > 0 && bytes.Equal(f.b, log.frames[i-1].b) {
			echoes++
		}
		if f.dir == transport.Received && len(f.b) > 255+12 {
			long++
		}
	}
	log.mu.Unlock()
	if echoes == 0 || long == 0 {
		t.Errorf("%d echoes and %d frames over 255 bytes of information", echoes, long)
	}
	// A meter without the fault keeps to 128 bytes.
	other := srvDevice(t, s, "SIM000002")
	addr, _ = s.MeterAddr("SIM000002")
	link, err = srvHDLC(t, addr, other, 16, func(c *transport.HDLCConfig) { c.MaxInfoRx = 1024 })
	if err != nil {
		t.Fatal(err)
	}
	if p := link.Params(); p.MaxInfoRx != hdlc.DefaultMaxInfo {
		t.Errorf("meter without the fault negotiated %+v", p)
	}
	link.Close()
}

func TestFaultAssociation(t *testing.T) {
	ctx := srvCtx(t)
	t.Run("refuse", func(t *testing.T) {
		s, d := srvFaulty(t, "refuse=SIM000001")
		link, err := srvHDLC(t, s.Addr(), d, 16, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer link.Close()
		var ae *apdu.AssociationError
		if _, err := meter.Connect(ctx, link, meter.Config{}); !errors.As(err, &ae) || ae.Result != apdu.ResultRejectedPermanent {
			t.Errorf("association: %v", err)
		}
	})
	t.Run("notallowed", func(t *testing.T) {
		s, d := srvFaulty(t, "notallowed=SIM000001")
		link, err := srvHDLC(t, s.Addr(), d, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = meter.Connect(ctx, link, srvManagement(d))
		var ee *dlms.ExceptionError
		if !errors.As(err, &ee) || ee.State != dlms.StateServiceNotAllowed {
			t.Errorf("first association: %v", err)
		}
		// Tried again on the same link, it goes through.
		srvConnect(t, link, srvManagement(d))
	})
	t.Run("systitle", func(t *testing.T) {
		s, d := srvFaulty(t, "systitle=SIM000001")
		link, err := srvHDLC(t, s.Addr(), d, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := meter.Connect(ctx, link, srvManagement(d)); !errors.Is(err, security.ErrSystemTitle) {
			t.Errorf("association expecting the meter's title: %v", err)
		}
		link.Close()
		link, err = srvHDLC(t, s.Addr(), d, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		cfg := srvManagement(d)
		cfg.ServerSystemTitle = nil
		c := srvConnect(t, link, cfg)
		st := d.Meter().Identity().SystemTitle
		if got := c.Negotiated().ServerSystemTitle; bytes.Equal(got, st[:]) || len(got) != 8 {
			t.Errorf("the meter announced %x, its own title is %x", got, st)
		}
	})
	t.Run("replay", func(t *testing.T) {
		s, d := srvFaulty(t, "replay=SIM000001")
		link, err := srvHDLC(t, s.Addr(), d, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := meter.Connect(ctx, link, srvManagement(d))
		if err == nil {
			_, err = c.ReadClock(ctx, obis(t, meter.RoleClock))
			c.Close(ctx)
		} else {
			link.Close()
		}
		if !errors.Is(err, security.ErrReplay) {
			t.Errorf("with a meter replaying its counter: %v", err)
		}
	})
}

func TestFaultReplaced(t *testing.T) {
	s := srvStart(t, 1, Config{})
	d := srvDevice(t, s, "SIM000001")
	link, err := srvHDLC(t, s.Addr(), d, 16, nil)
	if err != nil {
		t.Fatal(err)
	}
	link.Close()
	before := d.Meter().Registers(s.Fleet().Now()).ImportTotal()
	fs, _ := ParseFaultSpec("replaced=SIM000001")
	if _, err := s.Fleet().ApplyFaults(fs); err != nil {
		t.Fatal(err)
	}
	s.Fleet().Advance(time.Hour)
	link, err = srvHDLC(t, s.Addr(), d, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := srvConnect(t, link, srvManagement(d))
	q, err := c.ReadRegister(srvCtx(t), obis(t, meter.RoleImportTotal))
	if err != nil || q.Value >= before || q.Value > 10_000 {
		t.Errorf("import after the exchange %v, %v; before %d Wh", q, err, before)
	}
}

// readAll reads what conn sends until it is closed.
func readAll(t *testing.T, conn net.Conn) []byte {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
