package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"
	bolt "go.etcd.io/bbolt"

	"github.com/openhes/hes/meter"
)

// defaultSystemTitle returns the head-end's system title when the
// configuration gives none: "HES" and a 5-byte serial that no simulated
// meter has.
func defaultSystemTitle() []byte { return []byte{'H', 'E', 'S', 0xFF, 0x00, 0x00, 0x00, 0x01} }

// headEnd is the head-end assembled from its configuration: the bbolt
// file, the meter store with the master key, the sessions with the
// meters, the poller, the command queue and its executor, all reporting
// to one set of metrics and one logger. hes serve runs it; hes poll,
// hes cmd and hes keys rotate use parts of it. Open it with
// meterStoreOptions.openHeadEnd and Close it.
type headEnd struct {
	cfg  Config
	path string // the store file
	db   *bolt.DB
	// store is the meter registry, keys, counters and readings; sessions
	// open the associations with its meters for the poller, the executor
	// and the key changes.
	store    *meter.Store
	sessions *meter.Sessions
	poller   *meter.Poller
	queue    *meter.Queue
	executor *meter.Executor
	metrics  *metrics
	log      zerolog.Logger
	loc      *time.Location   // the meters' day and the poll window
	now      func() time.Time // the head-end's clock, in UTC

	mu         sync.Mutex
	afterCycle []func(meter.Summary)
	onFinal    []func(meter.Command)
}

// headEndOptions tune openHeadEnd; the zero value takes everything from
// the configuration.
type headEndOptions struct {
	// log is the head-end's logger; the meter package's events carry
	// meter_id and ean.
	log zerolog.Logger
	// now is the clock; runningClock when nil.
	now func() time.Time
	// dial reaches the meters; registryDial with frameTimeout and
	// frameRetries when nil.
	dial         meter.Dial
	frameTimeout time.Duration // per HDLC frame or wrapper answer; 0: the transport's default
	frameRetries int           // HDLC retransmissions; 0: the transport's default
	// poller and executor, when set, adjust the configurations taken
	// from the file, e.g. the short retry policy of hes poll.
	poller   func(*meter.PollerConfig)
	executor func(*meter.ExecutorConfig)
	queue    func(*meter.QueueConfig)
}

// openHeadEnd opens the store file (--store, else the configuration's)
// with the master key (--master-key-file, the configuration's
// master_key_file or HES_MASTER_KEY) and assembles the head-end of cfg.
// A missing master key is bad input, on one line.
func (o *meterStoreOptions) openHeadEnd(cfg Config, opts headEndOptions) (_ *headEnd, err error) {
	sealer, err := o.sealer(cfg)
	if err != nil {
		return nil, err
	}
	loc, err := cfg.Location()
	if err != nil {
		return nil, badInput("prepayment.time_zone: %v", err)
	}
	now := opts.now
	if now == nil {
		if now, err = runningClock(); err != nil {
			return nil, err
		}
	}
	h := &headEnd{cfg: cfg, log: opts.log, loc: loc, now: now, metrics: newMetrics()}
	if h.path, h.db, h.store, err = o.openMeterStore(cfg, sealer, now, h.log); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			h.db.Close()
		}
	}()
	dial := opts.dial
	if dial == nil {
		timeout, retries := cfg.Link.FrameTimeout, cfg.Link.Retries
		if opts.frameTimeout > 0 {
			timeout = opts.frameTimeout
		}
		if opts.frameRetries > 0 {
			retries = opts.frameRetries
		}
		dial = registryDial(timeout, retries)
	}
	title, err := cfg.systemTitle()
	if err != nil {
		return nil, badInput("%v", err)
	}
	h.sessions, err = meter.NewSessions(h.store, meter.SessionsConfig{
		Dial: dial, SystemTitle: title, Limits: cfg.Limits(), Logger: h.log,
	})
	if err != nil {
		return nil, err
	}
	qcfg := cfg.QueueConfig()
	qcfg.Now, qcfg.Logger, qcfg.Observer, qcfg.OnFinal = now, h.log, h.metrics.queueObserver(), h.final
	if opts.queue != nil {
		opts.queue(&qcfg)
	}
	if h.queue, err = meter.OpenQueue(h.store, qcfg); err != nil {
		return nil, fmt.Errorf("store %s: %w", h.path, err)
	}
	if depth, err := h.queue.Depth(); err == nil {
		h.metrics.queueDepth.Set(float64(depth))
	}
	ecfg := cfg.ExecutorConfig()
	ecfg.Now, ecfg.Logger = now, h.log
	if opts.executor != nil {
		opts.executor(&ecfg)
	}
	if h.executor, err = meter.NewExecutor(h.queue, h.sessions, ecfg); err != nil {
		return nil, err
	}
	pcfg := cfg.PollerConfig()
	pcfg.Now, pcfg.Logger, pcfg.Observer, pcfg.OnCycle = now, h.log, h.metrics.pollObserver(), h.cycleDone
	if opts.poller != nil {
		opts.poller(&pcfg)
	}
	if h.poller, err = meter.NewPoller(h.sessions, pcfg); err != nil {
		return nil, err
	}
	return h, nil
}

// runningClock is the clock of the commands that run for a while: the
// real time in UTC or, when HES_NOW is set, a clock that starts at that
// time and runs from there, so that backoffs and windows still pass.
func runningClock() (func() time.Time, error) {
	fixed, err := clock()
	if err != nil || os.Getenv(envNow) == "" {
		return fixed, err
	}
	offset := time.Until(fixed())
	return func() time.Time { return time.Now().Add(offset).UTC() }, nil
}

// AfterCycle adds fn to the functions called with the summary of each
// daily cycle that the poller's Run completes (and of the cycles handed
// to cycleDone), e.g. the day's settlement. fn runs on the poller's
// goroutine.
func (h *headEnd) AfterCycle(fn func(meter.Summary)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.afterCycle = append(h.afterCycle, fn)
}

// OnFinal adds fn to the functions called with each command that becomes
// final (done, failed, cancelled, superseded), after the change is
// stored; fn must not block for long.
func (h *headEnd) OnFinal(fn func(meter.Command)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.onFinal = append(h.onFinal, fn)
}

// cycleDone records the summary of a cycle in the metrics and calls the
// AfterCycle functions.
func (h *headEnd) cycleDone(s meter.Summary) {
	h.metrics.cycle(s, h.now())
	h.mu.Lock()
	fns := slices.Clone(h.afterCycle)
	h.mu.Unlock()
	for _, fn := range fns {
		fn(s)
	}
}

// final calls the OnFinal functions.
func (h *headEnd) final(c meter.Command) {
	h.mu.Lock()
	fns := slices.Clone(h.onFinal)
	h.mu.Unlock()
	for _, fn := range fns {
		fn(c)
	}
}

// Close closes the store file. The poller and the executor must have
// returned.
func (h *headEnd) Close() error {
	if err := h.db.Close(); err != nil {
		return fmt.Errorf("closing store %s: %w", h.path, err)
	}
	return nil
}

// withExecutor runs fn while the head-end's executor carries out the
// queue's commands, then stops the executor and waits for it. The end of
// ctx stops both; it is fn's to report.
func (h *headEnd) withExecutor(ctx context.Context, fn func(ctx context.Context) error) error {
	ectx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- h.executor.Run(ectx) }()
	err := fn(ctx)
	stop()
	eerr := <-done
	if err == nil && eerr != nil && !errors.Is(eerr, context.Canceled) && !errors.Is(eerr, context.DeadlineExceeded) {
		err = fmt.Errorf("executor: %w", eerr)
	}
	return err
}
