package cli

import (
	"bufio"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openhes/hes/meter"
)

// scrape returns what /metrics serves.
func scrape(t *testing.T, m *metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("content type %q", ct)
	}
	return rec.Body.String()
}

func TestMetricsObservers(t *testing.T) {
	m := newMetrics()
	po, qo := m.pollObserver(), m.queueObserver()
	po.ReadDone("M1", "", 300*time.Millisecond)
	po.ReadDone("M2", "", 3*time.Second)
	po.ReadDone("M3", meter.ReasonTimeout, 2*time.Minute+time.Second)
	po.Retry("M3", meter.ReasonTimeout)
	po.ClockSet("M1", 42*time.Second)
	qo.CommandDone(meter.CmdDisconnect, meter.StateDone, "")
	qo.CommandDone(meter.CmdArm, meter.StateFailed, meter.ReasonRefused)
	qo.Retry("M2", meter.ReasonLink)
	qo.QueueDepth(7)
	m.cycle(meter.Summary{Day: "2026-03-04", Read: 2, AlreadyRead: 5, Failed: 1}, time.Unix(1772611200, 500e6))

	text := scrape(t, m)
	for _, want := range []string{
		"# HELP hes_meter_reads_total Daily reads of meters that succeeded.\n# TYPE hes_meter_reads_total counter\nhes_meter_reads_total 2\n",
		`hes_meter_read_failures_total{reason="timeout"} 1` + "\n",
		`hes_meter_read_failures_total{reason="link"} 0` + "\n",
		`hes_meter_read_session_seconds_bucket{result="ok",le="0.25"} 0` + "\n" +
			`hes_meter_read_session_seconds_bucket{result="ok",le="0.5"} 1` + "\n" +
			`hes_meter_read_session_seconds_bucket{result="ok",le="1"} 1` + "\n" +
			`hes_meter_read_session_seconds_bucket{result="ok",le="2.5"} 1` + "\n" +
			`hes_meter_read_session_seconds_bucket{result="ok",le="5"} 2` + "\n",
		`hes_meter_read_session_seconds_bucket{result="ok",le="+Inf"} 2` + "\n" +
			`hes_meter_read_session_seconds_sum{result="ok"} 3.3` + "\n" +
			`hes_meter_read_session_seconds_count{result="ok"} 2` + "\n",
		`hes_meter_read_session_seconds_bucket{result="failed",le="120"} 0` + "\n" +
			`hes_meter_read_session_seconds_bucket{result="failed",le="+Inf"} 1` + "\n",
		`hes_retries_total{of="read",reason="timeout"} 1` + "\n",
		`hes_retries_total{of="command",reason="link"} 1` + "\n",
		"hes_meter_clock_corrections_total 1\n",
		`hes_commands_total{kind="disconnect",state="done"} 1` + "\n",
		`hes_commands_total{kind="arm",state="failed"} 1` + "\n",
		`hes_commands_total{kind="key_change",state="superseded"} 0` + "\n",
		`hes_command_failures_total{kind="arm",reason="refused"} 1` + "\n",
		"# TYPE hes_command_queue_depth gauge\nhes_command_queue_depth 7\n",
		`hes_poll_last_cycle_meters{result="already_read"} 5` + "\n",
		"hes_poll_last_cycle_timestamp_seconds 1.7726112005e+09\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack\n%s\nin\n%s", want, text)
		}
	}
	// Every line is a comment or "name{labels} value".
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE ") {
			continue
		}
		if f := strings.Fields(line); len(f) != 2 || !strings.HasPrefix(f[0], "hes_") {
			t.Errorf("malformed line %q", line)
		}
	}
	if strings.Contains(text, `state="pending"`) || strings.Contains(text, `state="running"`) {
		t.Error("open states are not outcomes")
	}
}
