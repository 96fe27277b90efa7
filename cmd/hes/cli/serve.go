package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/openhes/hes/meter"
)

// shutdownTimeout bounds the wait for the HTTP requests under way when
// hes serve stops.
const shutdownTimeout = 5 * time.Second

type serveOptions struct {
	meterStoreOptions
	listen   string
	services []serveService
}

// serveService is a part of the head-end that hes serve runs beside the
// poller and the executor, such as the prepayment: it sets itself up on
// the open head-end h (a hook with AfterCycle, OnFinal) and returns what
// runs until ctx ends, nil when nothing does. ctx is the serve's context.
type serveService func(ctx context.Context, h *headEnd) (run func(ctx context.Context) error, err error)

// newServeCmd builds hes serve; services run beside the poller and the
// executor (root.go lists them).
func newServeCmd(g *globals, services ...serveService) *cobra.Command {
	o := &serveOptions{services: services}
	cmd := &cobra.Command{
		Use:   "serve [--config FILE]",
		Short: "Run the head-end: the daily reads, the command queue, metrics and health",
		Long: `Run the head-end until it is interrupted: the poller reads every meter once a
day inside the poll window (poll.window, local time), and the executor carries
out the commands of the queue (display, disconnect, arm, limiter, clock, keys),
confirming each by reading it back. /metrics (Prometheus text format) and
/healthz are served on the configuration's listen address (127.0.0.1:9464 by
default; --listen overrides it, and port 0 picks a free port).

The log is one JSON event per line on stderr, at the configuration's log_level
unless --log-level is given. SIGTERM or SIGINT stops it gracefully: the attempts
under way are cut short and their meters and commands stay pending in the store,
which is closed cleanly; the next start carries on where this one stopped.
Started inside the poll window, it reads at once the meters not read yet today.`,
		Example: `  hes serve --config /etc/hes/hes.yaml
  HES_MASTER_KEY_FILE=/etc/hes/master.key hes serve --store /var/lib/hes/hes.db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, g)
		},
	}
	o.addFlags(cmd)
	cmd.Flags().StringVar(&o.listen, "listen", "", "`HOST:PORT` of /metrics and /healthz (default: the configuration's listen)")
	return cmd
}

// serveLogger is the logger of hes serve: at --log-level when given, else
// at the configuration's log_level.
func serveLogger(cmd *cobra.Command, g *globals, cfg Config) zerolog.Logger {
	log := g.logger()
	if f := cmd.Flags().Lookup("log-level"); f == nil || !f.Changed {
		if lvl, err := zerolog.ParseLevel(cfg.LogLevel); err == nil {
			log = log.Level(lvl)
		}
	}
	return log
}

func (o *serveOptions) run(cmd *cobra.Command, g *globals) (err error) {
	cfg, err := o.headEndConfig()
	if err != nil {
		return err
	}
	log := serveLogger(cmd, g, cfg)
	// The address of /metrics and /healthz is taken first: a bad one stops
	// hes serve before anything else starts.
	var ln net.Listener
	listen := firstNonEmpty(o.listen, cfg.Listen)
	if listen != "" {
		if ln, err = net.Listen("tcp", listen); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		defer ln.Close()
		listen = ln.Addr().String()
	}
	h, err := o.openHeadEnd(cfg, headEndOptions{log: log})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := h.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()

	type part struct {
		name string
		run  func(context.Context) error
	}
	parts := []part{{"poller", h.poller.Run}, {"executor", h.executor.Run}}
	for i, svc := range o.services {
		run, err := svc(ctx, h)
		if err != nil {
			return err
		}
		if run != nil {
			parts = append(parts, part{fmt.Sprintf("service %d", i+1), run})
		}
	}
	errc := make(chan error, len(parts)+1)
	var srv *http.Server
	if ln != nil {
		srv = &http.Server{Handler: h.httpHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("http: %w", err)
			}
		}()
	}
	var wg sync.WaitGroup
	for _, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.run(ctx); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("%s: %w", p.name, err)
			}
		}()
	}
	meters, _ := h.store.List()
	depth, _ := h.queue.Depth()
	w := cfg.Poll.Window
	log.Info().Str("store", h.path).Int("meters", len(meters)).Int("queue_depth", depth).
		Str("window", dayTime(w.Start)+"-"+dayTime(w.End)).Str("time_zone", h.loc.String()).
		Str("listen", listen).Msg("hes serve: started")

	var failure error
	select {
	case <-ctx.Done():
		log.Info().Msg("hes serve: stopping")
	case failure = <-errc:
		log.Error().Err(failure).Msg("hes serve: stopping after a failure")
	}
	cancel()
	wg.Wait()
	if srv != nil {
		sctx, scancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer scancel()
		if err := srv.Shutdown(sctx); err != nil && failure == nil {
			failure = fmt.Errorf("http: %w", err)
		}
	}
	log.Info().Msg("hes serve: stopped")
	return failure
}

// httpHandler serves /metrics and /healthz.
func (h *headEnd) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h.metrics)
	mux.HandleFunc("GET /healthz", h.healthz)
	return mux
}

// health is the answer of /healthz.
type health struct {
	Status     string         `json:"status"` // ok, or unavailable when the store does not answer
	Error      string         `json:"error,omitempty"`
	QueueDepth int            `json:"queue_depth"`
	LastCycle  *meter.Summary `json:"last_cycle,omitempty"`
}

// healthz answers 200 with the queue's depth and the summary of the last
// cycle while the store answers, 503 otherwise.
func (h *headEnd) healthz(w http.ResponseWriter, r *http.Request) {
	st := health{Status: "ok"}
	code := http.StatusOK
	depth, err := h.queue.Depth()
	if err != nil {
		st.Status, st.Error, code = "unavailable", err.Error(), http.StatusServiceUnavailable
	}
	st.QueueDepth = depth
	if s, ok := h.metrics.lastCycle(); ok {
		st.LastCycle = &s
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(st)
}
