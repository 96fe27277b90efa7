package sim

import (
	"context"
	"encoding/binary"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/transport"
	"github.com/openhes/hes/transport/tcp"
)

// benchFleetSize is the fleet of the server benchmarks.
const benchFleetSize = 2000

func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// BenchmarkIdleFleetMemory reports the heap in use per simulated meter of
// an idle fleet of 2,000 served on one port: the model, the devices and
// the server, before any client came. Run it once: -benchtime=1x.
func BenchmarkIdleFleetMemory(b *testing.B) {
	var perMeter float64
	for range b.N {
		before := heapInUse()
		f, err := NewFleet(FleetConfig{Seed: 3, Size: benchFleetSize, GasShare: 0.4, PVShare: 0.2, Start: srvTime})
		if err != nil {
			b.Fatal(err)
		}
		s, err := Start(context.Background(), Config{Fleet: f})
		if err != nil {
			b.Fatal(err)
		}
		after := heapInUse()
		perMeter += float64(after-before) / benchFleetSize
		runtime.KeepAlive(f)
		s.Close()
	}
	b.ReportMetric(perMeter/float64(b.N), "B/meter")
}

// benchCycles runs cycle in parallel goroutines against a fleet of 2,000
// meters on one port, each call on the next meter, and reports the cycles
// per second.
func benchCycles(b *testing.B, cycle func(ctx context.Context, s *Server, d *Device, st []byte, ctr *security.MemoryCounter) error) {
	f, err := NewFleet(FleetConfig{Seed: 3, Size: benchFleetSize, GasShare: 0.4, PVShare: 0.2, Start: srvTime, History: 2 * 24 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	s := StartTest(b, Config{Fleet: f})
	devices := s.Devices()
	var next, client atomic.Uint32
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		// Each goroutine is a client of its own, with its own system
		// title and invocation counter.
		st := []byte("HESB\x00\x00\x00\x00")
		binary.BigEndian.PutUint32(st[4:], client.Add(1))
		ctr := security.NewMemoryCounter(1)
		for pb.Next() {
			d := devices[int(next.Add(1))%len(devices)]
			if err := cycle(ctx, s, d, st, ctr); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cycles/s")
}

func benchLink(ctx context.Context, s *Server, d *Device, sap uint8) (*transport.HDLCLink, error) {
	return tcp.DialHDLC(ctx, s.Addr(), transport.HDLCConfig{Client: sap, Logical: 1, Physical: d.Meter().Identity().PhysicalAddress})
}

// BenchmarkPublicClockRead: connect (TCP, SNRM), public association, read
// the clock, release, disconnect.
func BenchmarkPublicClockRead(b *testing.B) {
	clock := obis(b, meter.RoleClock)
	benchCycles(b, func(ctx context.Context, s *Server, d *Device, _ []byte, _ *security.MemoryCounter) error {
		link, err := benchLink(ctx, s, d, 16)
		if err != nil {
			return err
		}
		c, err := meter.Connect(ctx, link, meter.Config{})
		if err != nil {
			link.Close()
			return err
		}
		if _, _, err := c.ReadTime(ctx, clock); err != nil {
			c.Close(ctx)
			return err
		}
		return c.Close(ctx)
	})
}

// BenchmarkManagementRegisterRead: connect, management association
// (HLS-GMAC, authenticated and encrypted), read a register with its
// scaler_unit, release, disconnect.
func BenchmarkManagementRegisterRead(b *testing.B) {
	reg := obis(b, meter.RoleImportTotal)
	benchCycles(b, func(ctx context.Context, s *Server, d *Device, st []byte, ctr *security.MemoryCounter) error {
		link, err := benchLink(ctx, s, d, 1)
		if err != nil {
			return err
		}
		cfg := srvManagement(d)
		cfg.SystemTitle, cfg.Counter = st, ctr
		c, err := meter.Connect(ctx, link, cfg)
		if err != nil {
			link.Close()
			return err
		}
		if _, err := c.ReadRegister(ctx, reg); err != nil {
			c.Close(ctx)
			return err
		}
		return c.Close(ctx)
	})
}
