package sim

import (
	"testing"
	"time"

	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/transport"
	"github.com/openhes/hes/transport/serial"
)

func TestOpticalPort(t *testing.T) {
	s := srvStart(t, 1, Config{})
	d := srvDevice(t, s, "SIM000001")
	o, err := s.ServeOptical("SIM000001")
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	ctx := srvCtx(t)
	var log frameLog
	open := func() meter.Link {
		t.Helper()
		link, err := serial.OpenHDLC(ctx, o.Path, serial.SerialConfig{
			Optical: true,
			SignOn:  serial.SignOnOptions{SwitchWait: time.Millisecond},
			HDLC: transport.HDLCConfig{
				Client: 17, Logical: 1, Physical: d.Meter().Identity().PhysicalAddress,
				FrameTimeout: time.Second, Trace: log.trace,
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return link
	}
	// Twice: after a link, the port signs on again.
	for i := range 2 {
		if i == 1 {
			// The second time through a probe that echoes.
			fs, _ := ParseFaultSpec("echo=SIM000001")
			if _, err := s.Fleet().ApplyFaults(fs); err != nil {
				t.Fatal(err)
			}
		}
		c, err := meter.Connect(ctx, open(), meter.Config{Auth: meter.MechanismLLS, Password: d.Keys().LLSPassword})
		if err != nil {
			t.Fatalf("association %d: %v", i+1, err)
		}
		clock, err := c.ReadClock(ctx, obis(t, meter.RoleClock))
		if err != nil || !clock.At.Equal(d.Meter().Clock(s.Fleet().Now())) {
			t.Errorf("clock %v, %v", clock.At, err)
		}
		if err := c.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
		echoes := 0
		for j, f := range log.frames {
			if j > 0 && f.dir == transport.Received && string(f.b) == string(log.frames[j-1].b) {
				echoes++
			}
		}
		if (echoes > 0) != (i == 1) {
			t.Errorf("association %d: %d echoes", i+1, echoes)
		}
		log.frames = nil
	}
	if err := o.Close(); err != nil {
		t.Errorf("close the optical port: %v", err)
	}
}
