package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// MeterView is what a simulated meter shows, as the control API reports
// it: its indexes, clock, breaker, valve, limiter, prepayment screens and
// the fault switches the simulator set on it.
type MeterView struct {
	ID                string      `json:"id"`
	EAN               string      `json:"ean"`
	PhysicalAddress   uint16      `json:"physical_address"`
	Clock             time.Time   `json:"clock"`
	ImportDayWh       int64       `json:"import_day_wh"`
	ImportNightWh     int64       `json:"import_night_wh"`
	ExportDayWh       int64       `json:"export_day_wh"`
	ExportNightWh     int64       `json:"export_night_wh"`
	Tariff            int         `json:"tariff"`
	ImportW           int64       `json:"import_w"`
	ExportW           int64       `json:"export_w"`
	Breaker           SwitchView  `json:"breaker"`
	LimiterW          int64       `json:"limiter_w"`
	Display           DisplayView `json:"display"`
	Gas               *GasView    `json:"gas,omitempty"`
	Faults            []string    `json:"faults,omitempty"`
	InvocationCounter uint32      `json:"invocation_counter"`
	// FixedWhPerDay and FixedGasDm3PerDay are the fixed consumption set
	// on the meter; both 0 under the household model.
	FixedWhPerDay     int64 `json:"fixed_wh_per_day,omitempty"`
	FixedGasDm3PerDay int64 `json:"fixed_gas_dm3_per_day,omitempty"`
}

// SwitchView is a disconnect control in a MeterView.
type SwitchView struct {
	State  string `json:"state"`
	Mode   int    `json:"mode"`
	Output bool   `json:"output"`
}

// DisplayView are the prepayment screens in a MeterView.
type DisplayView struct {
	LastUpdate     *time.Time `json:"last_update,omitempty"`
	BalanceCents   int64      `json:"balance_cents"`
	EmergencyCents int64      `json:"emergency_cents"`
}

// GasView is the gas meter in a MeterView.
type GasView struct {
	EAN       string     `json:"ean"`
	VolumeDm3 int64      `json:"volume_dm3"`
	Captured  time.Time  `json:"captured"`
	Valve     SwitchView `json:"valve"`
}

// View returns what the device's meter shows now.
func (d *Device) View() MeterView {
	st := d.m.Status(d.now())
	v := MeterView{
		ID: st.ID, EAN: st.EAN, PhysicalAddress: d.m.Identity().PhysicalAddress, Clock: st.Clock,
		ImportDayWh: st.Registers.ImportDay, ImportNightWh: st.Registers.ImportNight,
		ExportDayWh: st.Registers.ExportDay, ExportNightWh: st.Registers.ExportNight,
		Tariff: st.Tariff, ImportW: st.ImportW, ExportW: st.ExportW,
		Breaker: switchView(st.Breaker), LimiterW: st.Limiter.ThresholdW,
		Display:           DisplayView{BalanceCents: st.Display.BalanceCents, EmergencyCents: st.Display.EmergencyCents},
		Faults:            faultNamesOf(st.Faults),
		InvocationCounter: d.InvocationCounter(),
	}
	if !st.Display.LastUpdate.IsZero() {
		v.Display.LastUpdate = &st.Display.LastUpdate
	}
	if c := st.Consumption; c.Fixed {
		v.FixedWhPerDay, v.FixedGasDm3PerDay = c.WhPerDay, c.GasDm3PerDay
	}
	if g := st.Gas; g != nil {
		v.Gas = &GasView{EAN: g.EAN, VolumeDm3: g.Reading.VolumeDm3, Captured: g.Reading.Captured, Valve: switchView(g.Valve)}
	}
	return v
}

func switchView(s Switch) SwitchView {
	return SwitchView{State: s.State.String(), Mode: int(s.Mode), Output: s.Output}
}

// faultNamesOf lists the fault switches that are on, by their names in a
// fault spec.
func faultNamesOf(f Faults) []string {
	var out []string
	add := func(on bool, k FaultKind) {
		if on {
			out = append(out, k.String())
		}
	}
	add(f.Silent, FaultSilent)
	add(f.Slow > 0, FaultSlow)
	add(f.LastFrameLate > 0, FaultLate)
	add(f.DropEvery > 0, FaultDrop)
	add(f.CorruptFCSEvery > 0, FaultFCS)
	add(f.OpticalEcho, FaultEcho)
	add(f.RefuseAssociation, FaultRefuse)
	add(f.NotAllowedFirst, FaultNotAllowed)
	add(f.WrongSystemTitle, FaultSystemTitle)
	add(f.ReplayCounter, FaultReplay)
	add(f.LongFrames, FaultLongFrames)
	add(f.SplitPush, FaultSplitPush)
	add(f.Replaced, FaultReplaced)
	return out
}

// FleetView is the state of the whole simulator, as GET /status reports it.
type FleetView struct {
	Now    time.Time   `json:"now"`
	Speed  float64     `json:"speed"`
	Meters []MeterView `json:"meters"`
}

// ControlHandler returns the HTTP API that drives the simulator, for
// demonstrations and tests (serve it on a loopback address only: it has no
// authentication):
//
//	GET  /status[?meter=ID]                      the fleet's virtual time and what each meter shows
//	POST /advance?d=24h                          move the virtual clock forward
//	POST /speed?x=60                             virtual seconds per real second (0 freezes)
//	POST /press?meter=ID                         press the customer's button
//	POST /consumption?meter=ID&wh_per_day=6000[&gas_dm3_per_day=2000]
//	                                             fixed consumption; without wh_per_day, the household model again
//	POST /load?meter=ID&w=9000&d=10m             an extra load, to trip the limiter
//	POST /faults?spec=silent=SIM000001,slow=2%   switch faults on (a fault spec)
//	POST /faults?meter=ID&clear=1                switch a meter's faults off
//	POST /push?meter=ID                          send a meter's push now
//
// Answers are JSON; errors are 400 (bad request) or 404 (unknown meter)
// with {"error": "..."}.
func (s *Server) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", s.ctlStatus)
	mux.HandleFunc("POST /advance", s.ctlAdvance)
	mux.HandleFunc("POST /speed", s.ctlSpeed)
	mux.HandleFunc("POST /press", s.ctlPress)
	mux.HandleFunc("POST /consumption", s.ctlConsumption)
	mux.HandleFunc("POST /load", s.ctlLoad)
	mux.HandleFunc("POST /faults", s.ctlFaults)
	mux.HandleFunc("POST /push", s.ctlPush)
	return mux
}

// FleetView returns the state of the whole simulator.
func (s *Server) FleetView() FleetView {
	v := FleetView{Now: s.fleet.Now(), Speed: s.fleet.Clock().Speed(), Meters: make([]MeterView, len(s.devices))}
	for i, d := range s.devices {
		v.Meters[i] = d.View()
	}
	return v
}

func (s *Server) ctlStatus(w http.ResponseWriter, r *http.Request) {
	if id := r.URL.Query().Get("meter"); id != "" {
		d, ok := s.ctlDevice(w, r)
		if ok {
			writeJSON(w, http.StatusOK, d.View())
		}
		return
	}
	writeJSON(w, http.StatusOK, s.FleetView())
}

func (s *Server) ctlAdvance(w http.ResponseWriter, r *http.Request) {
	d, err := time.ParseDuration(r.URL.Query().Get("d"))
	if err != nil || d < 0 {
		ctlError(w, http.StatusBadRequest, fmt.Errorf("d: want a positive duration such as 24h"))
		return
	}
	s.fleet.Advance(d)
	writeJSON(w, http.StatusOK, map[string]time.Time{"now": s.fleet.Now()})
}

func (s *Server) ctlSpeed(w http.ResponseWriter, r *http.Request) {
	x, err := strconv.ParseFloat(r.URL.Query().Get("x"), 64)
	if err != nil || x < 0 {
		ctlError(w, http.StatusBadRequest, fmt.Errorf("x: want a speed of 0 or more"))
		return
	}
	s.fleet.Clock().SetSpeed(x)
	writeJSON(w, http.StatusOK, map[string]float64{"speed": s.fleet.Clock().Speed()})
}

func (s *Server) ctlPress(w http.ResponseWriter, r *http.Request) {
	d, ok := s.ctlDevice(w, r)
	if !ok {
		return
	}
	now := s.fleet.Now()
	res := d.m.Press(now)
	out := map[string]any{"transition": res.Breaker.String(), "safety_test": res.SafetyTest}
	if sw, err := d.m.Switch(now, Breaker); err == nil {
		out["breaker"] = sw.State.String()
	}
	if res.SafetyTest {
		out["valve_opens_at"] = res.ValveOpensAt
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) ctlConsumption(w http.ResponseWriter, r *http.Request) {
	d, ok := s.ctlDevice(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	var c Consumption
	if v := q.Get("wh_per_day"); v != "" {
		wh, err1 := strconv.ParseInt(v, 10, 64)
		gas, err2 := int64(0), error(nil)
		if g := q.Get("gas_dm3_per_day"); g != "" {
			gas, err2 = strconv.ParseInt(g, 10, 64)
		}
		if err := errors.Join(err1, err2); err != nil {
			ctlError(w, http.StatusBadRequest, err)
			return
		}
		c = Consumption{Fixed: true, WhPerDay: wh, GasDm3PerDay: gas}
	}
	if err := d.m.SetConsumption(s.fleet.Now(), c); err != nil {
		ctlError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, d.View())
}

func (s *Server) ctlLoad(w http.ResponseWriter, r *http.Request) {
	d, ok := s.ctlDevice(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	watts, err1 := strconv.ParseInt(q.Get("w"), 10, 64)
	dur, err2 := time.ParseDuration(q.Get("d"))
	if err := errors.Join(err1, err2); err != nil {
		ctlError(w, http.StatusBadRequest, err)
		return
	}
	if err := d.m.SetExtraLoad(s.fleet.Now(), watts, dur); err != nil {
		ctlError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, d.View())
}

func (s *Server) ctlFaults(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Has("clear") {
		d, ok := s.ctlDevice(w, r)
		if ok {
			d.m.SetFaults(Faults{})
			writeJSON(w, http.StatusOK, d.View())
		}
		return
	}
	spec, err := ParseFaultSpec(q.Get("spec"))
	if err != nil {
		ctlError(w, http.StatusBadRequest, err)
		return
	}
	ids, err := s.fleet.ApplyFaults(spec)
	if err != nil {
		ctlError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"meters": ids})
}

func (s *Server) ctlPush(w http.ResponseWriter, r *http.Request) {
	d, ok := s.ctlDevice(w, r)
	if !ok {
		return
	}
	d.mu.Lock()
	err := d.pushNow()
	d.mu.Unlock()
	if err != nil {
		ctlError(w, http.StatusBadRequest, fmt.Errorf("no push: %w", err))
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"meter": d.m.ID()})
}

// ctlDevice returns the device named by the request's meter parameter, or
// answers 404.
func (s *Server) ctlDevice(w http.ResponseWriter, r *http.Request) (*Device, bool) {
	d, err := s.Device(r.URL.Query().Get("meter"))
	if err != nil {
		ctlError(w, http.StatusNotFound, err)
		return nil, false
	}
	return d, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func ctlError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}
