package sim

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestParseFaultSpec(t *testing.T) {
	tests := []struct {
		in   string
		want FaultSpec
		str  string
	}{
		{"", nil, ""},
		{
			"silent=2%,slow=1%:2s,fcs=1%,replaced=SIM000007",
			FaultSpec{
				{Kind: FaultSilent, Share: 200},
				{Kind: FaultSlow, Share: 100, Delay: 2 * time.Second},
				{Kind: FaultFCS, Share: 100, Every: DefaultEvery},
				{Kind: FaultReplaced, IDs: []string{"SIM000007"}},
			},
			"silent=2%,slow=1%:2s,fcs=1%:10,replaced=SIM000007",
		},
		{
			" late=0.5%, drop=SIM000001+SIM000002:3 ,echo=100%",
			FaultSpec{
				{Kind: FaultLate, Share: 50, Delay: DefaultLate},
				{Kind: FaultDrop, IDs: []string{"SIM000001", "SIM000002"}, Every: 3},
				{Kind: FaultEcho, Share: 10000},
			},
			"late=0.5%:3s,drop=SIM000001+SIM000002:3,echo=100%",
		},
		{
			"refuse=1%,notallowed=1%,systitle=1%,replay=1%,longframes=1%,splitpush=12.25%",
			FaultSpec{
				{Kind: FaultRefuse, Share: 100}, {Kind: FaultNotAllowed, Share: 100}, {Kind: FaultSystemTitle, Share: 100},
				{Kind: FaultReplay, Share: 100}, {Kind: FaultLongFrames, Share: 100}, {Kind: FaultSplitPush, Share: 1225},
			},
			"refuse=1%,notallowed=1%,systitle=1%,replay=1%,longframes=1%,splitpush=12.25%",
		},
	}
	for _, tt := range tests {
		got, err := ParseFaultSpec(tt.in)
		if err != nil {
			t.Errorf("ParseFaultSpec(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseFaultSpec(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if s := got.String(); s != tt.str {
			t.Errorf("String() = %q, want %q", s, tt.str)
		}
		again, err := ParseFaultSpec(got.String())
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("round trip of %q: %+v, %v", tt.in, again, err)
		}
	}
}

func TestParseFaultSpecErrors(t *testing.T) {
	for _, in := range []string{
		"silent", "nosuch=1%", "silent=", "silent=101%", "silent=1.234%", "silent=-1%", "silent=x%",
		"slow=1%:fast", "slow=1%:-2s", "drop=1%:0", "echo=1%:3", "replaced=SIM1++SIM2", "silent=2%,,echo=1%",
	} {
		if _, err := ParseFaultSpec(in); !errors.Is(err, ErrFaultSpec) {
			t.Errorf("ParseFaultSpec(%q) = %v, want ErrFaultSpec", in, err)
		}
	}
}

func TestApplyFaults(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, Brussels)
	newFleet := func() *Fleet {
		f, err := NewFleet(FleetConfig{Seed: 9, Size: 1000, Start: start, History: 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	f := newFleet()
	spec, err := ParseFaultSpec("silent=10%,slow=SIM000003:5s,replaced=SIM000007")
	if err != nil {
		t.Fatal(err)
	}
	before, _ := f.Meter("SIM000007")
	if before.Registers(start).ImportTotal() == 0 {
		t.Fatal("meter starts at zero; the replacement would prove nothing")
	}
	touched, err := f.ApplyFaults(spec)
	if err != nil {
		t.Fatal(err)
	}
	silent := 0
	for _, s := range f.Statuses() {
		if s.Faults.Silent {
			silent++
		}
	}
	if silent < 70 || silent > 130 {
		t.Errorf("silent=10%% of 1000 meters selected %d", silent)
	}
	if s, _ := f.Status("SIM000003"); s.Faults.Slow != 5*time.Second {
		t.Errorf("SIM000003 faults %+v", s.Faults)
	}
	s7, _ := f.Status("SIM000007")
	if !s7.Faults.Replaced || !s7.Faults.ReplacedAt.Equal(start) || s7.Registers.ImportTotal() != 0 {
		t.Errorf("SIM000007 after replacement: %+v", s7)
	}
	f.Advance(24 * time.Hour)
	if s7, _ = f.Status("SIM000007"); s7.Registers.ImportTotal() == 0 {
		t.Error("replaced meter does not count")
	}

	// The same spec on the same fleet selects the same meters.
	g := newFleet()
	again, err := g.ApplyFaults(spec)
	if err != nil || !reflect.DeepEqual(again, touched) {
		t.Errorf("second application touched %d meters, first %d (%v)", len(again), len(touched), err)
	}

	if _, err := g.ApplyFaults(FaultSpec{{Kind: FaultSilent, IDs: []string{"SIM999999"}}}); !errors.Is(err, ErrUnknownMeter) {
		t.Errorf("unknown id: %v", err)
	}
}
