package cli

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/openhes/hes/meter"
)

// metrics are the head-end's metrics, served on /metrics in the
// Prometheus text format. They live in a registry of their own (no
// package state), bound to the meter package through its Observer.
type metrics struct {
	registry *prometheus.Registry
	handler  http.Handler

	reads        prometheus.Counter
	readFailures *prometheus.CounterVec   // {reason}
	readSeconds  *prometheus.HistogramVec // {result}
	retries      *prometheus.CounterVec   // {of, reason}
	clockSets    prometheus.Counter
	commands     *prometheus.CounterVec // {kind, state}
	cmdFailures  *prometheus.CounterVec // {kind, reason}
	queueDepth   prometheus.Gauge
	cycleMeters  *prometheus.GaugeVec // {result}
	cycleTime    prometheus.Gauge

	mu   sync.Mutex
	last *meter.Summary // of the last cycle; nil before the first
}

// readBuckets are the upper bounds, in seconds, of the read session
// histogram: a read over a good link takes a fraction of a second, a
// silent meter its whole deadline.
var readBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		reads: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hes_meter_reads_total", Help: "Daily reads of meters that succeeded."}),
		readFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hes_meter_read_failures_total", Help: "Attempts to read a meter that failed, by reason."}, []string{"reason"}),
		readSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hes_meter_read_session_seconds", Help: "How long an attempt to read a meter took, session included.",
			Buckets: readBuckets}, []string{"result"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hes_retries_total", Help: "Reads (of=read) and commands (of=command) scheduled again after a failure, by reason."},
			[]string{"of", "reason"}),
		clockSets: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hes_meter_clock_corrections_total", Help: "Meter clocks set because they drifted."}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hes_commands_total", Help: "Commands that reached a final state, by kind and state."}, []string{"kind", "state"}),
		cmdFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hes_command_failures_total", Help: "Commands given up, by kind and reason."}, []string{"kind", "reason"}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hes_command_queue_depth", Help: "Open commands: pending or running."}),
		cycleMeters: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hes_poll_last_cycle_meters", Help: "Meters of the last daily cycle, by result: read, already_read, failed."},
			[]string{"result"}),
		cycleTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hes_poll_last_cycle_timestamp_seconds", Help: "When the last daily cycle ended, in seconds since the epoch."}),
	}
	m.registry.MustRegister(m.reads, m.readFailures, m.readSeconds, m.retries, m.clockSets,
		m.commands, m.cmdFailures, m.queueDepth, m.cycleMeters, m.cycleTime)
	m.handler = promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})

	// Every label value is known up front, so that a rate over a series
	// that has not moved yet is 0, not missing.
	for _, r := range meter.Reasons {
		m.readFailures.WithLabelValues(string(r))
		m.retries.WithLabelValues("read", string(r))
		m.retries.WithLabelValues("command", string(r))
	}
	for _, k := range meter.CommandKinds {
		for _, s := range meter.CommandStates {
			if !s.Open() {
				m.commands.WithLabelValues(string(k), string(s))
			}
		}
	}
	return m
}

// pollObserver returns the Observer of the poller.
func (m *metrics) pollObserver() meter.Observer {
	return meter.Observer{
		ReadDone: func(_ string, reason meter.Reason, took time.Duration) {
			result := "ok"
			if reason != "" {
				result = "failed"
				m.readFailures.WithLabelValues(string(reason)).Inc()
			} else {
				m.reads.Inc()
			}
			m.readSeconds.WithLabelValues(result).Observe(took.Seconds())
		},
		Retry:    func(_ string, reason meter.Reason) { m.retries.WithLabelValues("read", string(reason)).Inc() },
		ClockSet: func(string, time.Duration) { m.clockSets.Inc() },
	}
}

// queueObserver returns the Observer of the command queue.
func (m *metrics) queueObserver() meter.Observer {
	return meter.Observer{
		CommandDone: func(kind meter.CommandKind, state meter.CommandState, reason meter.Reason) {
			m.commands.WithLabelValues(string(kind), string(state)).Inc()
			if state == meter.StateFailed {
				m.cmdFailures.WithLabelValues(string(kind), string(reason)).Inc()
			}
		},
		Retry:      func(_ string, reason meter.Reason) { m.retries.WithLabelValues("command", string(reason)).Inc() },
		QueueDepth: func(n int) { m.queueDepth.Set(float64(n)) },
	}
}

// cycle records the summary of a daily cycle that ended at t.
func (m *metrics) cycle(s meter.Summary, t time.Time) {
	m.cycleMeters.WithLabelValues("read").Set(float64(s.Read))
	m.cycleMeters.WithLabelValues("already_read").Set(float64(s.AlreadyRead))
	m.cycleMeters.WithLabelValues("failed").Set(float64(s.Failed))
	m.cycleTime.Set(float64(t.UnixMilli()) / 1000)
	m.mu.Lock()
	m.last = &s
	m.mu.Unlock()
}

// lastCycle returns the summary of the last cycle, and false before the
// first.
func (m *metrics) lastCycle() (meter.Summary, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil {
		return meter.Summary{}, false
	}
	return *m.last, true
}

// ServeHTTP serves every metric in the Prometheus text format.
func (m *metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.handler.ServeHTTP(w, r)
}
