package sim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestControlAPI(t *testing.T) {
	s := srvStart(t, 2, Config{})
	h := s.ControlHandler()
	do := func(method, target string, want int, v any) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
		if rec.Code != want {
			t.Fatalf("%s %s: %d %s, want %d", method, target, rec.Code, rec.Body, want)
		}
		if v != nil {
			if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
				t.Fatalf("%s %s: %v", method, target, err)
			}
		}
	}
	var fv FleetView
	do("GET", "/status", http.StatusOK, &fv)
	if !fv.Now.Equal(srvTime) || len(fv.Meters) != 2 || fv.Meters[1].ID != "SIM000002" || fv.Meters[0].Breaker.State != "connected" || fv.Meters[0].Gas == nil {
		t.Fatalf("status %+v", fv)
	}

	var mv MeterView
	do("POST", "/consumption?meter=SIM000001&wh_per_day=4800&gas_dm3_per_day=1000", http.StatusOK, &mv)
	if mv.FixedWhPerDay != 4800 || mv.FixedGasDm3PerDay != 1000 {
		t.Errorf("after /consumption: %+v", mv)
	}
	before := mv.ImportDayWh + mv.ImportNightWh
	do("POST", "/advance?d=24h", http.StatusOK, nil)
	do("GET", "/status?meter=SIM000001", http.StatusOK, &mv)
	if got := mv.ImportDayWh + mv.ImportNightWh - before; got != 4800 || !mv.Clock.Equal(srvTime.Add(24*time.Hour)) {
		t.Errorf("a day later: %d Wh more, clock %v", got, mv.Clock)
	}

	do("POST", "/faults?spec=silent=SIM000002,slow=SIM000002:2s", http.StatusOK, nil)
	do("GET", "/status?meter=SIM000002", http.StatusOK, &mv)
	if strings.Join(mv.Faults, ",") != "silent,slow" {
		t.Errorf("faults %v", mv.Faults)
	}
	var cleared MeterView
	do("POST", "/faults?meter=SIM000002&clear=1", http.StatusOK, &cleared)
	if cleared.ID != "SIM000002" || len(cleared.Faults) != 0 {
		t.Errorf("after clear %+v", cleared)
	}

	// The breaker armed remotely closes at the press.
	d := srvDevice(t, s, "SIM000001")
	now := s.Fleet().Now()
	if _, err := d.Meter().RemoteDisconnect(now, Breaker); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Meter().RemoteReconnect(now, Breaker); err != nil {
		t.Fatal(err)
	}
	var press map[string]any
	do("POST", "/press?meter=SIM000001", http.StatusOK, &press)
	if press["breaker"] != "connected" || press["transition"] != "e" {
		t.Errorf("press: %v", press)
	}
	do("POST", "/load?meter=SIM000001&w=9000&d=10m", http.StatusOK, &mv)
	if mv.ImportW < 9000 {
		t.Errorf("power with an extra load of 9 kW: %d W", mv.ImportW)
	}
	do("POST", "/speed?x=60", http.StatusOK, nil)
	if s.Fleet().Clock().Speed() != 60 {
		t.Error("speed not set")
	}

	for _, bad := range []struct {
		method, target string
		want           int
	}{
		{"POST", "/press?meter=SIM000404", http.StatusNotFound},
		{"POST", "/advance?d=tomorrow", http.StatusBadRequest},
		{"POST", "/speed?x=-1", http.StatusBadRequest},
		{"POST", "/faults?spec=frozen=1%25", http.StatusBadRequest},
		{"POST", "/consumption?meter=SIM000001&wh_per_day=lots", http.StatusBadRequest},
		{"POST", "/push?meter=SIM000001", http.StatusBadRequest}, // no push destination
		{"GET", "/advance?d=1h", http.StatusMethodNotAllowed},
	} {
		do(bad.method, bad.target, bad.want, nil)
	}
}
