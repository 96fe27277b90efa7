package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
	"gopkg.in/yaml.v3"

	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/prepay"
)

// The environment variables that the store-backed commands read.
const (
	envStore  = "HES_STORE"  // the store file when --store is not given
	envConfig = "HES_CONFIG" // the configuration file when --config is not given
	envNow    = "HES_NOW"    // a fixed current time (RFC 3339), for tests and demonstrations
	envAgent  = "HES_AGENT"  // the agent when --agent is not given
)

// defaultStore is the store file when neither --store nor HES_STORE names one.
const defaultStore = "hes.db"

// storeLockTimeout is how long a command waits for another process to
// release the store before it gives up.
const storeLockTimeout = time.Second

// openStore opens (or creates) the bbolt file at path for reading and
// writing. When another process holds it, it waits storeLockTimeout and then
// fails with an error saying so.
func openStore(path string) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: storeLockTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("store %s is in use by another process", path)
	}
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	return db, nil
}

// storeOptions are the options of every command that works on the
// prepayment engine: the store file and the configuration file.
type storeOptions struct {
	store  string
	config string
}

// addFlags declares --store and --config on cmd and its sub-commands.
func (o *storeOptions) addFlags(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&o.store, "store", "", "bbolt store `FILE` (default: $"+envStore+", else the configuration's store, else "+defaultStore+")")
	cmd.PersistentFlags().StringVar(&o.config, "config", "", "YAML configuration `FILE` (default: $"+envConfig+", else the built-in defaults)")
}

// headEndConfig loads the configuration: the file of --config, else of
// HES_CONFIG, else the defaults, with the environment's overrides.
func (o *storeOptions) headEndConfig() (Config, error) {
	return loadHeadEndConfig(firstNonEmpty(o.config, os.Getenv(envConfig)))
}

// storePath is the store file: --store, else HES_STORE, else the
// configuration's store (hes.db by default).
func (o *storeOptions) storePath(cfg Config) string {
	return firstNonEmpty(o.store, cfg.Store, defaultStore)
}

// withEngine opens the store and the prepayment engine for the command cmd,
// makes sure the default tariffs exist, runs fn with the engine and the
// current time, and closes the store. A request that the engine refuses
// becomes a bad-input error (exit status 2).
//
// The engine logs its state changes and audit records at info level; a
// command reports what it did on stdout, so they are written to stderr only
// when --log-level is given.
func (o *storeOptions) withEngine(cmd *cobra.Command, g *globals, fn func(e *prepay.Engine, now time.Time) error) (err error) {
	cfg, err := o.headEndConfig()
	if err != nil {
		return err
	}
	now, err := clock()
	if err != nil {
		return err
	}
	path := o.storePath(cfg)
	db, err := openStore(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing store %s: %w", path, cerr)
		}
	}()
	e, err := prepay.Open(db, cfg.Prepayment, prepay.WithClock(now), prepay.WithLogger(storeLogger(cmd, g)))
	if err != nil {
		return fmt.Errorf("store %s: %w", path, err)
	}
	if err := ensureDefaultTariffs(e); err != nil {
		return fmt.Errorf("store %s: default tariffs: %w", path, err)
	}
	return refusal(fn(e, now()))
}

// storeLogger is the logger of the stores that a command opens. The stores
// log their state changes at info level; a command reports what it did on
// stdout, so they are written to stderr only when --log-level is given
// (warnings and errors always are).
func storeLogger(cmd *cobra.Command, g *globals) zerolog.Logger {
	log := g.logger()
	if f := cmd.Flags().Lookup("log-level"); f == nil || !f.Changed {
		log = log.Level(max(log.GetLevel(), zerolog.WarnLevel))
	}
	return log
}

// clock returns the engine's clock: the real time in UTC, or the fixed time
// of HES_NOW when it is set.
func clock() (func() time.Time, error) {
	s := os.Getenv(envNow)
	if s == "" {
		return func() time.Time { return time.Now().UTC() }, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, badInput("%s %q: want an RFC 3339 time such as 2026-03-04T10:00:00+01:00", envNow, s)
	}
	t = t.UTC()
	return func() time.Time { return t }, nil
}

// refusal turns a request refused by the engine into a bad-input error with
// its one-line reason; other errors pass unchanged.
func refusal(err error) error {
	var re *prepay.RefusedError
	if !errors.As(err, &re) {
		return err
	}
	if errors.Is(re, prepay.ErrUnknownAccount) || re.Op == "tariff" {
		return &usageError{err: errors.New(re.Reason)}
	}
	return &usageError{err: fmt.Errorf("%s refused: %s", re.Op, re.Reason)}
}

// agentFlag declares --agent on cmd, the identity the engine audits.
func agentFlag(cmd *cobra.Command, agent *string) {
	cmd.Flags().StringVar(agent, "agent", "", "who makes the change, for the audit (default: $"+envAgent+", else the login name)")
}

// agentName is the agent: --agent, else HES_AGENT, else the login name.
func agentName(flag string) (string, error) {
	a := firstNonEmpty(flag, os.Getenv(envAgent), os.Getenv("USER"), os.Getenv("USERNAME"))
	if a == "" {
		// The login name of the account that runs the command, as the
		// flag's help says, also where the shell set no USER.
		if u, err := user.Current(); err == nil {
			a = strings.TrimSpace(u.Username)
		}
	}
	if a == "" {
		return "", badInput("--agent is mandatory (or set %s)", envAgent)
	}
	return a, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// configSetter sets one key of the configuration from its YAML value.
type configSetter func(c *prepay.Config, n *yaml.Node) error

// applyKeys sets every key of the mapping n with its setter in keys.
func applyKeys(c *prepay.Config, n *yaml.Node, where string, keys map[string]configSetter) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: %s: want a mapping", n.Line, where)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		set, ok := keys[k.Value]
		if !ok {
			return fmt.Errorf("line %d: %s.%s: unknown key", k.Line, where, k.Value)
		}
		if err := set(c, v); err != nil {
			return fmt.Errorf("line %d: %s.%s: %w", v.Line, where, k.Value, err)
		}
	}
	return nil
}

// prepayConfigKeys maps the keys of the prepayment: section to prepay.Config.
func prepayConfigKeys() map[string]configSetter {
	return map[string]configSetter{
		"time_zone":                stringKey(func(c *prepay.Config) *string { return &c.TimeZone }),
		"starting_credit":          amountKey(func(c *prepay.Config) *prepay.Cents { return &c.StartingCredit }),
		"debt_recovery_per_day":    amountKey(func(c *prepay.Config) *prepay.Cents { return &c.DebtRecoveryPerDay }),
		"emergency_credit":         amountKey(func(c *prepay.Config) *prepay.Cents { return &c.EmergencyCredit }),
		"reconnect_above":          amountKey(func(c *prepay.Config) *prepay.Cents { return &c.ReconnectAbove }),
		"default_low_threshold":    amountKey(func(c *prepay.Config) *prepay.Cents { return &c.DefaultLowThreshold }),
		"max_low_threshold":        amountKey(func(c *prepay.Config) *prepay.Cents { return &c.MaxLowThreshold }),
		"recharge_min":             amountKey(func(c *prepay.Config) *prepay.Cents { return &c.RechargeMin }),
		"recharge_max":             amountKey(func(c *prepay.Config) *prepay.Cents { return &c.RechargeMax }),
		"reference_prefix":         stringKey(func(c *prepay.Config) *string { return &c.ReferencePrefix }),
		"max_daily_electricity_wh": intKey(func(c *prepay.Config) *int64 { return &c.MaxDailyElectricityWh }),
		"max_daily_gas_dm3":        intKey(func(c *prepay.Config) *int64 { return &c.MaxDailyGasDm3 }),
		"default_limiter_watts":    intKey(func(c *prepay.Config) *int64 { return &c.DefaultLimiterWatts }),
		"ndp": func(c *prepay.Config, n *yaml.Node) error {
			return applyKeys(c, n, "prepayment.ndp", ndpConfigKeys())
		},
		"retry_min":    durationKey(func(c *prepay.Config) *time.Duration { return &c.RetryMin }),
		"retry_max":    durationKey(func(c *prepay.Config) *time.Duration { return &c.RetryMax }),
		"action_lease": durationKey(func(c *prepay.Config) *time.Duration { return &c.ActionLease }),
	}
}

// ndpConfigKeys maps the keys of prepayment.ndp to prepay.NDPCalendar. A key
// left out keeps its default; a list given replaces the default list.
func ndpConfigKeys() map[string]configSetter {
	clockKey := func(field func(c *prepay.Config) *prepay.ClockTime) configSetter {
		return func(c *prepay.Config, n *yaml.Node) error {
			s, err := scalar(n)
			if err != nil {
				return err
			}
			t, err := prepay.ParseClockTime(s)
			if err != nil {
				return err
			}
			*field(c) = t
			return nil
		}
	}
	return map[string]configSetter{
		"weekday_from":  clockKey(func(c *prepay.Config) *prepay.ClockTime { return &c.NDP.WeekdayFrom }),
		"weekday_until": clockKey(func(c *prepay.Config) *prepay.ClockTime { return &c.NDP.WeekdayUntil }),
		"weekend": func(c *prepay.Config, n *yaml.Node) error {
			if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
				return fmt.Errorf("want true or false")
			}
			return n.Decode(&c.NDP.Weekend)
		},
		"extra_dates": func(c *prepay.Config, n *yaml.Node) error {
			var ds []prepay.Date
			err := sequence(n, func(item *yaml.Node) error {
				d, err := dateValue(item)
				ds = append(ds, d)
				return err
			})
			c.NDP.ExtraDates = ds
			return err
		},
		"seasons": func(c *prepay.Config, n *yaml.Node) error {
			var ss []prepay.Season
			err := sequence(n, func(item *yaml.Node) error {
				var s prepay.Season
				var from, until bool
				if item.Kind != yaml.MappingNode {
					return fmt.Errorf("line %d: want a season {from: YYYY-MM-DD, until: YYYY-MM-DD}", item.Line)
				}
				for i := 0; i+1 < len(item.Content); i += 2 {
					var err error
					switch k := item.Content[i].Value; k {
					case "from":
						s.From, err = dateValue(item.Content[i+1])
						from = true
					case "until":
						s.Until, err = dateValue(item.Content[i+1])
						until = true
					default:
						err = fmt.Errorf("line %d: season key %q: want from and until", item.Content[i].Line, k)
					}
					if err != nil {
						return err
					}
				}
				if !from || !until {
					return fmt.Errorf("line %d: a season needs from and until", item.Line)
				}
				ss = append(ss, s)
				return nil
			})
			c.NDP.Seasons = ss
			return err
		},
	}
}

func scalar(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("want a single value")
	}
	return n.Value, nil
}

func sequence(n *yaml.Node, fn func(item *yaml.Node) error) error {
	if n.Kind != yaml.SequenceNode {
		return fmt.Errorf("want a list")
	}
	for _, item := range n.Content {
		if err := fn(item); err != nil {
			return err
		}
	}
	return nil
}

func dateValue(n *yaml.Node) (prepay.Date, error) {
	s, err := scalar(n)
	if err != nil {
		return prepay.Date{}, err
	}
	return prepay.ParseDate(s)
}

func stringKey(field func(c *prepay.Config) *string) configSetter {
	return func(c *prepay.Config, n *yaml.Node) error {
		s, err := scalar(n)
		*field(c) = s
		return err
	}
}

// amountKey reads an amount from the text of the value, never through a
// float: 20.00, 20, "20.00".
func amountKey(field func(c *prepay.Config) *prepay.Cents) configSetter {
	return func(c *prepay.Config, n *yaml.Node) error {
		s, err := scalar(n)
		if err != nil {
			return err
		}
		v, err := prepay.ParseCents(s)
		*field(c) = v
		return err
	}
}

func intKey(field func(c *prepay.Config) *int64) configSetter {
	return func(c *prepay.Config, n *yaml.Node) error {
		s, err := scalar(n)
		if err != nil {
			return err
		}
		v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
		if err != nil {
			return fmt.Errorf("%q: want a whole number", s)
		}
		*field(c) = v
		return nil
	}
}

func durationKey(field func(c *prepay.Config) *time.Duration) configSetter {
	return func(c *prepay.Config, n *yaml.Node) error {
		s, err := scalar(n)
		if err != nil {
			return err
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q: want a duration such as 90s, 5m or 1h", s)
		}
		*field(c) = d
		return nil
	}
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// newTable returns a writer that aligns tab-separated columns for people;
// call Flush when done.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// cell makes s one table cell: tabs and line breaks become spaces, so
// that a value (a reason, a transaction id) cannot break the alignment.
func cell(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

// localTime formats t for people in the engine's time zone; "-" when zero.
func localTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// dateOrDash formats d, "-" when zero.
func dateOrDash(d prepay.Date) string {
	if d.IsZero() {
		return "-"
	}
	return d.String()
}

// openMeterStore opens the store file (--store, else the configuration's)
// and the meter registry in it, with sealer when it is not nil. The caller
// closes db; on an error nothing is left open.
func (o *meterStoreOptions) openMeterStore(cfg Config, sealer *meter.KeySealer, now func() time.Time, log zerolog.Logger) (path string, db *bolt.DB, s *meter.Store, err error) {
	opts, err := cfg.StoreOptions(now, log)
	if err != nil {
		return "", nil, nil, badInput("prepayment.time_zone: %v", err)
	}
	path = o.storePath(cfg)
	if db, err = openStore(path); err != nil {
		return "", nil, nil, err
	}
	s, err = meter.OpenStore(db, sealer, opts)
	if err != nil {
		db.Close()
		if errors.Is(err, meter.ErrWrongMasterKey) {
			return "", nil, nil, badInput("store %s: the master key is not the one that sealed its keys", path)
		}
		return "", nil, nil, fmt.Errorf("store %s: %w", path, err)
	}
	return path, db, s, nil
}
