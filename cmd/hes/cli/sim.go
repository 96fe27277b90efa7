package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/sim"
	"github.com/openhes/hes/transport"
)

type simOptions struct {
	meters       int
	gasShare     float64
	pvShare      float64
	seed         uint64
	speed        float64
	start        string
	history      time.Duration
	listen       string
	portPerMeter int
	framing      string
	faults       string
	inventory    string
	serial       bool
	push         string
	pushFraming  string
	pushClear    bool
	control      string
	statusEvery  time.Duration
}

func newSimCmd(g *globals) *cobra.Command {
	o := &simOptions{}
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run a fleet of simulated meters that speak DLMS over TCP",
		Long: `Run a fleet of simulated smart meters: Belgian-style electricity meters, some
with a gas meter on their M-Bus, that the head-end reads and commands over
DLMS/COSEM exactly as real ones (the default meter profile, its three
associations, HLS-GMAC with suite 0 ciphering, the daily values profile,
breaker, valve, limiter, prepayment screens, daily pushes).

All meters share one TCP port (--listen) where they answer HDLC, each at its
physical address; with --port-per-meter BASE each meter also has a port of
its own, BASE plus its index, answering the wrapper and HDLC. --inventory
writes the meters with their addresses and test keys for
"hes meters import". The keys derive from --seed: they are test keys.

The meters live on a virtual clock that starts at --start and runs --speed
times faster than real time. --faults switches on the misbehaviour of real
meters for a share of the fleet or for named meters, e.g.
  silent=2%,slow=1%:2s,late=1%:3s,drop=1%:10,fcs=1%:10,echo=SIM000001,
  refuse=1%,notallowed=5%,systitle=SIM000002,replay=SIM000003,
  longframes=1%,splitpush=1%,replaced=SIM000004

--control serves a small HTTP API on a loopback address: GET /status, and
POST /advance?d=24h, /speed?x=60, /press?meter=ID,
/consumption?meter=ID&wh_per_day=6000, /load?meter=ID&w=9000&d=10m,
/faults?spec=SPEC, /faults?meter=ID&clear=1, /push?meter=ID.

hes sim runs until it is interrupted (SIGINT, SIGTERM).`,
		Example: `  hes sim --meters 100 --gas-share 0.4 --inventory sim-inventory.json
  hes sim --meters 2000 --listen 127.0.0.1:4059 --control 127.0.0.1:8059 --speed 60
  hes sim --meters 5 --port-per-meter 5001 --serial --faults notallowed=SIM000002 --push 127.0.0.1:4060`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), g)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.meters, "meters", 10, "number of electricity meters")
	f.Float64Var(&o.gasShare, "gas-share", 0.5, "share of the meters with a gas meter, 0 to 1")
	f.Float64Var(&o.pvShare, "pv-share", 0.2, "share of the households with PV, 0 to 1")
	f.Uint64Var(&o.seed, "seed", 1, "seed from which the whole fleet derives (ids, EANs, keys, consumption)")
	f.Float64Var(&o.speed, "speed", 1, "virtual seconds per real second; 0 freezes the clock")
	f.StringVar(&o.start, "start", "", "virtual time at start, RFC 3339 (default: now)")
	f.DurationVar(&o.history, "history", 0, "history in the meters' profiles before the start (default 120 days)")
	f.StringVar(&o.listen, "listen", "127.0.0.1:4059", "TCP address of the port all meters share (HDLC); empty for none")
	f.IntVar(&o.portPerMeter, "port-per-meter", 0, "give each meter a port of its own from this port on (0: none)")
	f.StringVar(&o.framing, "framing", "wrapper", "framing the inventory gives the meters' own ports: wrapper or hdlc")
	f.StringVar(&o.faults, "faults", "", "faults to switch on, e.g. silent=2%,slow=1%:2s,refuse=SIM000003")
	f.StringVar(&o.inventory, "inventory", "", "write the inventory of the meters to this file")
	f.BoolVar(&o.serial, "serial", false, "serve the first meter's optical port on a pseudo-terminal too")
	f.StringVar(&o.push, "push", "", "TCP address the meters send their daily push to")
	f.StringVar(&o.pushFraming, "push-framing", "wrapper", "framing of the pushes: wrapper or hdlc")
	f.BoolVar(&o.pushClear, "push-clear", false, "send the pushes in clear instead of general-glo-ciphered")
	f.StringVar(&o.control, "control", "", "loopback address of the HTTP control API, e.g. 127.0.0.1:8059")
	f.DurationVar(&o.statusEvery, "status-every", 0, "print a status table this often (real time; 0: never)")
	return cmd
}

// simStarted is what hes sim prints once it serves, as JSON with --json.
type simStarted struct {
	Meters      int     `json:"meters"`
	Seed        uint64  `json:"seed"`
	Now         string  `json:"now"`
	Speed       float64 `json:"speed"`
	Listen      string  `json:"listen,omitempty"`
	MeterPorts  string  `json:"meter_ports,omitempty"`
	Optical     string  `json:"optical,omitempty"`
	Control     string  `json:"control,omitempty"`
	Inventory   string  `json:"inventory,omitempty"`
	Push        string  `json:"push,omitempty"`
	FaultMeters int     `json:"fault_meters,omitempty"`
}

func (o *simOptions) config() (sim.Config, error) {
	start := time.Now()
	if o.start != "" {
		t, err := time.Parse(time.RFC3339, o.start)
		if err != nil {
			return sim.Config{}, badInput("--start %q: want RFC 3339, such as 2026-03-01T00:00:00+01:00", o.start)
		}
		start = t
	}
	switch {
	case o.meters < 1 || o.meters > 100_000:
		return sim.Config{}, badInput("--meters %d: want 1 to 100000", o.meters)
	case o.gasShare < 0 || o.gasShare > 1 || o.pvShare < 0 || o.pvShare > 1:
		return sim.Config{}, badInput("--gas-share and --pv-share are shares from 0 to 1")
	case o.speed < 0:
		return sim.Config{}, badInput("--speed %v: want 0 or more", o.speed)
	case o.listen == "" && o.portPerMeter == 0:
		return sim.Config{}, badInput("no port: give --listen or --port-per-meter")
	case o.portPerMeter < 0 || o.portPerMeter+o.meters > 65536:
		return sim.Config{}, badInput("--port-per-meter %d: the ports of %d meters do not fit", o.portPerMeter, o.meters)
	}
	framing := meter.Framing(strings.ToLower(o.framing))
	if framing != meter.FramingWrapper && framing != meter.FramingHDLC {
		return sim.Config{}, badInput("--framing %q: want wrapper or hdlc", o.framing)
	}
	cfg := sim.Config{
		FleetConfig: sim.FleetConfig{
			Seed: o.seed, Size: o.meters, GasShare: o.gasShare, PVShare: o.pvShare,
			Start: start, Speed: o.speed, History: o.history,
		},
		Listen:     o.listen,
		MeterPorts: o.portPerMeter != 0,
		BasePort:   o.portPerMeter,
		Framing:    framing,
	}
	if o.push != "" {
		cfg.Push = sim.PushConfig{Address: o.push, Ciphered: !o.pushClear}
		switch strings.ToLower(o.pushFraming) {
		case "wrapper":
			cfg.Push.Framing = transport.FramingWrapper
		case "hdlc":
			cfg.Push.Framing = transport.FramingHDLC
		default:
			return sim.Config{}, badInput("--push-framing %q: want wrapper or hdlc", o.pushFraming)
		}
	}
	if o.control != "" {
		host, _, err := net.SplitHostPort(o.control)
		ip := net.ParseIP(host)
		if err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return sim.Config{}, badInput("--control %q: want a loopback address such as 127.0.0.1:8059", o.control)
		}
	}
	return cfg, nil
}

func (o *simOptions) run(ctx context.Context, g *globals) error {
	cfg, err := o.config()
	if err != nil {
		return err
	}
	spec, err := sim.ParseFaultSpec(o.faults)
	if err != nil {
		return badInput("--faults: %v", err)
	}
	log := g.logger()
	cfg.ConnError = func(remote net.Addr, err error) {
		log.Debug().Str("remote", remote.String()).Err(err).Msg("sim: connection ended")
	}
	cfg.Push.Sent = func(id string, err error) {
		if err != nil {
			log.Warn().Str("meter", id).Err(err).Msg("sim: push failed")
		} else {
			log.Debug().Str("meter", id).Msg("sim: push sent")
		}
	}
	s, err := sim.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	f := s.Fleet()
	touched, err := f.ApplyFaults(spec)
	if err != nil {
		return badInput("--faults: %v", err)
	}
	info := simStarted{
		Meters: f.Len(), Seed: o.seed, Now: f.Now().In(sim.Brussels).Format(time.RFC3339), Speed: o.speed,
		Listen: s.Addr(), Push: o.push, FaultMeters: len(touched),
	}
	devices := s.Devices()
	if cfg.MeterPorts {
		first, _ := s.MeterAddr(devices[0].Meter().ID())
		last, _ := s.MeterAddr(devices[len(devices)-1].Meter().ID())
		info.MeterPorts = first + ".." + last
	}
	if o.serial {
		opt, err := s.ServeOptical(devices[0].Meter().ID())
		if err != nil {
			return err
		}
		info.Optical = opt.Path
	}
	if o.inventory != "" {
		if err := writeSimInventory(o.inventory, s); err != nil {
			return err
		}
		info.Inventory = o.inventory
	}
	var ctl *http.Server
	ctlDone := make(chan error, 1)
	if o.control != "" {
		ln, err := net.Listen("tcp", o.control)
		if err != nil {
			return fmt.Errorf("control API: %w", err)
		}
		ctl = &http.Server{Handler: s.ControlHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { ctlDone <- ctl.Serve(ln) }()
		info.Control = "http://" + ln.Addr().String()
	}
	if err := o.printStarted(g, info, devices, cfg.Framing); err != nil {
		return err
	}

	var tick <-chan time.Time
	if o.statusEvery > 0 {
		t := time.NewTicker(o.statusEvery)
		defer t.Stop()
		tick = t.C
	}
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case err := <-ctlDone:
			return fmt.Errorf("control API: %w", err)
		case <-tick:
			if err := printSimStatus(g.stdout, s.FleetView()); err != nil {
				return err
			}
		}
	}
	if ctl != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := ctl.Shutdown(sctx); err != nil {
			return fmt.Errorf("control API: %w", err)
		}
	}
	if err := s.Close(); err != nil {
		return err
	}
	if !g.json {
		fmt.Fprintln(g.stdout, "hes sim: stopped")
	}
	return nil
}

// printStarted tells where the simulator serves what.
func (o *simOptions) printStarted(g *globals, info simStarted, devices []*sim.Device, framing meter.Framing) error {
	if g.json {
		return json.NewEncoder(g.stdout).Encode(info)
	}
	w := g.stdout
	first, last := devices[0].Meter().Identity(), devices[len(devices)-1].Meter().Identity()
	fmt.Fprintf(w, "hes sim: %d meters (seed %d), virtual time %s at %s× real time\n",
		info.Meters, info.Seed, info.Now, strconv.FormatFloat(info.Speed, 'f', -1, 64))
	if info.Listen != "" {
		fmt.Fprintf(w, "listening: %s (HDLC, server address 1, physical addresses %d to %d)\n", info.Listen, first.PhysicalAddress, last.PhysicalAddress)
	}
	if info.MeterPorts != "" {
		fmt.Fprintf(w, "meter ports: %s (%s and HDLC), %s to %s\n", info.MeterPorts, framing, first.ID, last.ID)
	}
	if info.Optical != "" {
		fmt.Fprintf(w, "optical port of %s: %s\n", first.ID, info.Optical)
	}
	if info.Push != "" {
		fmt.Fprintf(w, "daily push to: %s\n", info.Push)
	}
	if info.FaultMeters > 0 {
		fmt.Fprintf(w, "faults: %s on %d meters\n", o.faults, info.FaultMeters)
	}
	if info.Inventory != "" {
		fmt.Fprintf(w, "inventory: %s\n", info.Inventory)
	}
	if info.Control != "" {
		fmt.Fprintf(w, "control: %s\n", info.Control)
	}
	return nil
}

// writeSimInventory writes the inventory to path, readable by its owner
// only: it holds the meters' keys.
func writeSimInventory(path string, s *sim.Server) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("inventory: %w", err)
	}
	if err := s.WriteInventory(f); err != nil {
		f.Close()
		return fmt.Errorf("inventory: %w", err)
	}
	return f.Close()
}

// simStatusRows bounds the rows of the periodic status table.
const simStatusRows = 20

// printSimStatus prints a compact table of what the meters show.
func printSimStatus(w io.Writer, v sim.FleetView) error {
	fmt.Fprintf(w, "\n%s  (%d meters)\n", v.Now.In(sim.Brussels).Format(time.RFC3339), len(v.Meters))
	tw := newTable(w)
	fmt.Fprintln(tw, "METER\tIMPORT KWH\tEXPORT KWH\tW\tBREAKER\tVALVE\tBALANCE\tFAULTS")
	for i, m := range v.Meters {
		if i == simStatusRows {
			fmt.Fprintf(tw, "… %d more\n", len(v.Meters)-i)
			break
		}
		valve := "-"
		if m.Gas != nil {
			valve = m.Gas.Valve.State
		}
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%d\t%s\t%s\t%.2f\t%s\n", m.ID,
			float64(m.ImportDayWh+m.ImportNightWh)/1000, float64(m.ExportDayWh+m.ExportNightWh)/1000,
			m.ImportW, m.Breaker.State, valve, float64(m.Display.BalanceCents)/100, strings.Join(m.Faults, ","))
	}
	return tw.Flush()
}
