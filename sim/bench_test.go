package sim

import (
	"testing"
	"time"
)

func benchMeter(b *testing.B) *Meter {
	h := NewHousehold(99, true)
	return newMeter(b, MeterConfig{Seed: 99, Start: fleetStart.Add(-DefaultHistory), Household: &h,
		Gas: &GasMeter{Channel: 1, EAN: fleetEAN(1, 1)}})
}

// BenchmarkFirstRead is a meter's first read: it catches up with 120 days of
// history.
func BenchmarkFirstRead(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		m := benchMeter(b)
		b.StartTimer()
		m.Registers(fleetStart)
	}
}

// BenchmarkRegistersNow reads the indexes every quarter-hour of a running
// meter, as polling does.
func BenchmarkRegistersNow(b *testing.B) {
	m := benchMeter(b)
	now := fleetStart
	m.Registers(now)
	for b.Loop() {
		now = now.Add(15 * time.Minute)
		m.Registers(now)
	}
}

// BenchmarkRegistersAtPast computes the indexes at instants of the last
// thirty days again from the history.
func BenchmarkRegistersAtPast(b *testing.B) {
	m := benchMeter(b)
	now := fleetStart.AddDate(0, 0, 30)
	m.Registers(now)
	i := 0
	for b.Loop() {
		i++
		m.RegistersAt(now, now.Add(-time.Duration(i%(30*96))*15*time.Minute-7*time.Minute))
	}
}

// BenchmarkDailyValues30 reads thirty days of daily values.
func BenchmarkDailyValues30(b *testing.B) {
	m := benchMeter(b)
	now := fleetStart.AddDate(0, 0, 30)
	m.Registers(now)
	for b.Loop() {
		m.DailyValues(now, fleetStart, now)
	}
}

// BenchmarkFleetDay runs the daily read of a fleet of 2,000 meters for
// thirty days (status and last daily value of each meter every day) and
// reports the memory per meter afterwards.
func BenchmarkFleetDay(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		before := heap()
		f := newFleet(b, FleetConfig{Seed: 1, Size: 2000, GasShare: 0.4, PVShare: 0.2})
		b.StartTimer()
		for day := 0; day < 30; day++ {
			f.Advance(24 * time.Hour)
			now := f.Now()
			for _, m := range f.Meters() {
				m.Status(now)
				m.DailyValuesByEntry(now, m.DailyEntries(now), 0)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(int64(heap())-int64(before))/float64(f.Len()), "B/meter")
		b.StartTimer()
	}
}
