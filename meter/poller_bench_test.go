package meter

import (
	"context"
	"testing"
)

// BenchmarkPollerCycle reads 100 meters of the in-memory fleet (HLS-GMAC,
// ciphered, 15 days of catch-up each) per operation, with the default
// limits.
func BenchmarkPollerCycle(b *testing.B) {
	const meters = 100
	for b.Loop() {
		b.StopTimer()
		bn := newBench(b, Limits{})
		for n := 1; n <= meters; n++ {
			bn.addMeter(n, nil)
		}
		p := bn.poller(PollerConfig{Read: ReadOptions{MaxCatchUp: 14}})
		b.StartTimer()
		sum, err := p.RunCycle(context.Background(), benchDay, CycleOptions{})
		if err != nil || sum.Read != meters {
			b.Fatalf("%+v, %v", sum, err)
		}
	}
	b.ReportMetric(float64(meters)*float64(b.N)/b.Elapsed().Seconds(), "meters/s")
}

// BenchmarkEnqueue queues display writes for 100 meters, each superseding
// the meter's previous one.
func BenchmarkEnqueue(b *testing.B) {
	bn := newBench(b, Limits{})
	var ms []Meter
	for n := 1; n <= 100; n++ {
		m, _ := bn.addMeter(n, nil)
		ms = append(ms, m)
	}
	q, _ := bn.queue(QueueConfig{}, ExecutorConfig{})
	i := 0
	for b.Loop() {
		m := ms[i%len(ms)]
		i++
		if _, err := q.Enqueue(CommandRequest{EAN: m.EAN, Kind: CmdDisplay, Display: &DisplayValues{UpdatedAt: bn.now(), Balance: int64(i)}}); err != nil {
			b.Fatal(err)
		}
	}
}
