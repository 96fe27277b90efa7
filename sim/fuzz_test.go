package sim

import (
	"reflect"
	"testing"
	"time"
)

// applyOps runs the operations encoded in ops (pairs of bytes) on m from
// instant start, calling look after each with the instant reached.
func applyOps(m *Meter, start time.Time, ops []byte, look func(time.Time)) time.Time {
	now := start
	for i := 0; i+1 < len(ops); i += 2 {
		op, arg := ops[i], int64(ops[i+1])
		u := Unit(arg % 2)
		switch op % 10 {
		case 0:
			now = now.Add(time.Duration(arg*arg+1) * time.Second)
		case 1:
			now = now.Add(time.Duration(arg%3+1) * 24 * time.Hour)
		case 2:
			m.RemoteDisconnect(now, u)
		case 3:
			m.RemoteReconnect(now, u)
		case 4:
			m.Press(now)
		case 5:
			l := Limiter{ThresholdW: arg * 20, MinOver: time.Duration(arg%5) * time.Minute, MinUnder: time.Duration(arg%7) * time.Minute}
			if arg > 200 {
				l.ThresholdW = LimiterOff
			}
			m.SetLimiter(now, l)
		case 6:
			m.SetExtraLoad(now, arg*25, time.Duration(arg%90)*time.Minute)
		case 7:
			m.SetConsumption(now, Consumption{Fixed: arg%2 == 1, WhPerDay: arg * 100, GasDm3PerDay: arg * 10})
		case 8:
			m.SetControlMode(now, u, ControlMode(arg%7))
		case 9:
			m.SetClockOffset(now, time.Duration(arg-128)*time.Second)
		}
		if look != nil {
			look(now)
		}
	}
	return now
}

// FuzzMeterOps checks, for any sequence of operations, that the indexes never
// go down, that the registers computed again for a past instant are those
// the meter showed then, and that looking at a meter changes nothing.
func FuzzMeterOps(f *testing.F) {
	f.Add([]byte{0, 200, 2, 0, 1, 1, 3, 0, 4, 0, 0, 50})
	f.Add([]byte{5, 100, 6, 120, 0, 30, 0, 30, 4, 0, 0, 90, 1, 0})
	f.Add([]byte{8, 5, 5, 110, 6, 150, 0, 100, 0, 100, 1, 2})
	f.Add([]byte{2, 1, 3, 1, 4, 0, 0, 30, 0, 40, 7, 3, 1, 1, 9, 10, 1, 0})
	f.Add([]byte{7, 101, 1, 2, 9, 255, 1, 1, 8, 2, 2, 0, 3, 0, 1, 0})
	start := time.Date(2026, 3, 27, 13, 0, 0, 0, Brussels)
	cfg := MeterConfig{Identity: NewIdentity(1, 0), Seed: 17, Start: start, Gas: &GasMeter{Channel: 1, EAN: fleetEAN(1, 1)}}
	h := NewHousehold(17, true)
	cfg.Household = &h
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 64 {
			ops = ops[:64]
		}
		watched, _ := NewMeter(cfg)
		blind, _ := NewMeter(cfg)
		type seen struct {
			at time.Time
			r  Registers
		}
		var log []seen
		end := applyOps(watched, start, ops, func(now time.Time) {
			r := watched.Registers(now)
			if n := len(log); n > 0 {
				p := log[n-1].r
				if r.ImportDay < p.ImportDay || r.ImportNight < p.ImportNight || r.ExportDay < p.ExportDay ||
					r.ExportNight < p.ExportNight || r.GasDm3 < p.GasDm3 {
					t.Fatalf("at %v registers went down: %+v after %+v", now, r, p)
				}
			}
			s := watched.Status(now)
			if s.Limiter.Active() && s.ExtraLoadW == 0 && s.ImportW > s.Limiter.ThresholdW {
				t.Fatalf("at %v power %d W over the %d W limit without extra load", now, s.ImportW, s.Limiter.ThresholdW)
			}
			log = append(log, seen{now, r})
		})
		applyOps(blind, start, ops, nil)
		for _, s := range log {
			if got := watched.RegistersAt(end, s.at); got != s.r {
				t.Fatalf("at %v: computed again %+v, shown then %+v", s.at, got, s.r)
			}
		}
		end = end.Add(time.Hour)
		sw, sb := watched.Status(end), blind.Status(end)
		if !reflect.DeepEqual(sw, sb) {
			t.Fatalf("looking changed the meter:\n%+v\n%+v", sw, sb)
		}
		if ew, eb := watched.Events(end), blind.Events(end); !reflect.DeepEqual(ew, eb) {
			t.Fatalf("looking changed the events:\n%v\n%v", ew, eb)
		}
	})
}

// FuzzParseFaultSpec checks that the parser never panics and that a spec it
// accepts reads back the same from its String.
func FuzzParseFaultSpec(f *testing.F) {
	for _, s := range []string{
		"silent=2%,slow=1%:2s,fcs=1%,replaced=SIM000007",
		"late=0.5%,drop=SIM000001+SIM000002:3,echo=100%",
		"splitpush=12.25%", "slow=1%:1h2m3.5s", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := ParseFaultSpec(s)
		if err != nil {
			return
		}
		again, err := ParseFaultSpec(spec.String())
		if err != nil {
			t.Fatalf("%q -> %q: %v", s, spec.String(), err)
		}
		if !reflect.DeepEqual(spec, again) {
			t.Fatalf("%q -> %+v -> %q -> %+v", s, spec, spec.String(), again)
		}
	})
}
