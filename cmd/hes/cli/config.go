package cli

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/prepay"
)

// The environment variables that override keys of the configuration file.
// HES_STORE (envStore) overrides store as well; HES_MASTER_KEY holds the
// master key itself when no key file is named.
const (
	envMasterKeyFile = "HES_MASTER_KEY_FILE" // master_key_file
	envListen        = "HES_LISTEN"          // listen
	envLogLevel      = "HES_LOG_LEVEL"       // log_level
	envPollWindow    = "HES_POLL_WINDOW"     // poll.window, as "01:00-06:00"
)

// Config is the head-end's configuration: the YAML file that hes serve
// runs with, and from which the other commands take the store, the master
// key file and the prepayment rules. DefaultConfig gives the value of
// every key left out; docs/configuration.md documents them all.
type Config struct {
	// Store is the bbolt file shared by the meters and the prepayment
	// engine. Default "hes.db".
	Store string
	// MasterKeyFile holds the master key that seals the meters' keys; when
	// empty, the environment variable HES_MASTER_KEY holds the key.
	MasterKeyFile string
	// LogLevel is the level of hes serve's log. Default "info".
	LogLevel string
	// Listen is the address of the metrics and health endpoints; empty
	// turns them off. Default "127.0.0.1:9464".
	Listen string
	// SystemTitle is the head-end's own system title, 16 hexadecimal
	// digits: the calling-AP-title of its ciphered associations and half of
	// the nonce of what it ciphers. Default "484553FF00000001".
	SystemTitle string
	Link        LinkConfig
	Poll        PollConfig
	Commands    CommandsConfig
	Prepayment  prepay.Config
}

// LinkConfig is how the head-end waits on a meter's link.
type LinkConfig struct {
	// FrameTimeout bounds the wait for each HDLC frame or wrapper answer.
	// Default 5s.
	FrameTimeout time.Duration
	// Retries is how many times an unanswered HDLC frame is sent again.
	// Default 3.
	Retries int
}

// PollConfig is how the daily reads run.
type PollConfig struct {
	// Window is when the reads run, after local midnight in the
	// prepayment time zone. Default 01:00 to 06:00.
	Window meter.Window
	// Concurrency bounds the sessions at once: in all, per link, per
	// concentrator. Defaults 64, 1 and 8.
	Concurrency meter.Limits
	// MeterDeadline bounds one attempt on one meter. Default 2 minutes.
	MeterDeadline time.Duration
	// Retry spaces and bounds the attempts on a meter in one cycle.
	// Defaults 1 minute doubling to 15 minutes, jitter 0.2, 8 attempts.
	Retry RetryPolicy
	// CatchUpDays is how many days before the day read the meter's
	// profile is searched for missed days; 0 for none. Default 10.
	CatchUpDays int
	// ClockSyncThreshold is the drift above which a meter's clock is set;
	// 0 never sets it. Default 10 seconds.
	ClockSyncThreshold time.Duration
}

// CommandsConfig is how the commands of the queue (display, disconnect,
// arm, limiter, clock, keys) are carried out.
type CommandsConfig struct {
	// Concurrency bounds the commands under way at once. Default 16.
	Concurrency int
	// AttemptDeadline bounds one attempt, session included. Default 2
	// minutes.
	AttemptDeadline time.Duration
	// Retry spaces the attempts; its MaxAttempts is the limit after which
	// a command is given up. Defaults 1 minute doubling to 1 hour, jitter
	// 0.2, 10 attempts.
	Retry RetryPolicy
}

// RetryPolicy is an exponential backoff with jitter and a bound on the
// attempts.
type RetryPolicy struct {
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	Jitter         float64 // above 0, at most 1: the wait is spread by ± this fraction
	MaxAttempts    int
}

// backoff returns the policy as a meter.Backoff.
func (r RetryPolicy) backoff() meter.Backoff {
	return meter.Backoff{Min: r.InitialBackoff, Max: r.MaxBackoff, Jitter: r.Jitter}
}

// DefaultConfig returns the configuration of a file that sets nothing:
// the defaults of the meter and prepay packages, made explicit.
func DefaultConfig() Config {
	return Config{
		Store:       defaultStore,
		LogLevel:    "info",
		Listen:      "127.0.0.1:9464",
		SystemTitle: strings.ToUpper(hex.EncodeToString(defaultSystemTitle())),
		Link:        LinkConfig{FrameTimeout: 5 * time.Second, Retries: 3},
		Poll: PollConfig{
			Window:        meter.DefaultWindow,
			Concurrency:   meter.Limits{Global: 64, PerLink: 1, PerConcentrator: 8},
			MeterDeadline: 2 * time.Minute,
			Retry: RetryPolicy{
				InitialBackoff: meter.DefaultPollBackoff.Min,
				MaxBackoff:     meter.DefaultPollBackoff.Max,
				Jitter:         meter.DefaultPollBackoff.Jitter,
				MaxAttempts:    8,
			},
			CatchUpDays:        10,
			ClockSyncThreshold: 10 * time.Second,
		},
		Commands: CommandsConfig{
			Concurrency:     16,
			AttemptDeadline: 2 * time.Minute,
			Retry: RetryPolicy{
				InitialBackoff: meter.DefaultCommandBackoff.Min,
				MaxBackoff:     meter.DefaultCommandBackoff.Max,
				Jitter:         meter.DefaultCommandBackoff.Jitter,
				MaxAttempts:    10,
			},
		},
		Prepayment: prepay.DefaultConfig(),
	}
}

// loadHeadEndConfig returns the configuration: DefaultConfig, overridden
// by the keys of the YAML file at path (none when path is empty), then by
// the environment variables (HES_STORE, HES_MASTER_KEY_FILE, HES_LISTEN,
// HES_LOG_LEVEL, HES_POLL_WINDOW), and checks it. An unknown key, a value
// of the wrong form and an inconsistent configuration are bad input, with
// the line of the file when the file is at fault.
func loadHeadEndConfig(path string) (Config, error) {
	c := DefaultConfig()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, badInput("config: %v", err)
		}
		if c, err = parseConfig(b); err != nil {
			return c, badInput("config %s: %v", path, err)
		}
	}
	if err := c.applyEnv(os.LookupEnv); err != nil {
		return c, badInput("%v", err)
	}
	if err := c.Validate(); err != nil {
		where := "configuration"
		if path != "" {
			where = "config " + path
		}
		return c, badInput("%s: %v", where, err)
	}
	return c, nil
}

// parseConfig reads a configuration file over the defaults. It does not
// apply the environment nor check consistency (Validate does).
func parseConfig(b []byte) (Config, error) {
	c := DefaultConfig()
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return c, err
	}
	if len(doc.Content) == 0 {
		return c, nil
	}
	top := doc.Content[0]
	if top.Kind == yaml.ScalarNode && top.Tag == "!!null" {
		return c, nil
	}
	if top.Kind != yaml.MappingNode {
		return c, fmt.Errorf("line %d: want a mapping of keys at the top", top.Line)
	}
	return c, applyConfigKeys(&c, top, "", configKeys())
}

// applyEnv overrides keys with the environment variables that lookup
// finds set and not empty.
func (c *Config) applyEnv(lookup func(string) (string, bool)) error {
	get := func(name string) (string, bool) {
		v, ok := lookup(name)
		v = strings.TrimSpace(v)
		return v, ok && v != ""
	}
	for name, field := range map[string]*string{envStore: &c.Store, envMasterKeyFile: &c.MasterKeyFile, envListen: &c.Listen, envLogLevel: &c.LogLevel} {
		if v, ok := get(name); ok {
			*field = v
		}
	}
	if v, ok := get(envPollWindow); ok {
		w, err := parseWindow(v)
		if err != nil {
			return fmt.Errorf("%s %q: want HH:MM-HH:MM, e.g. 01:00-06:00: %v", envPollWindow, v, err)
		}
		c.Poll.Window = w
	}
	return nil
}

// Validate reports every inconsistency of c at once, on one line.
func (c Config) Validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if c.Store == "" {
		bad("store: empty")
	}
	switch c.LogLevel {
	case "trace", "debug", "info", "warn", "error":
	default:
		bad("log_level %q: want trace, debug, info, warn or error", c.LogLevel)
	}
	if c.Listen != "" {
		if _, port, err := net.SplitHostPort(c.Listen); err != nil {
			bad("listen %q: want host:port", c.Listen)
		} else if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
			bad("listen %q: want a port from 1 to 65535", c.Listen)
		}
	}
	if _, err := c.systemTitle(); err != nil {
		bad("%v", err)
	}
	if c.Link.FrameTimeout <= 0 {
		bad("link.frame_timeout %s: want a positive duration", c.Link.FrameTimeout)
	}
	if c.Link.Retries < 1 {
		bad("link.retries %d: want at least 1", c.Link.Retries)
	}
	w := c.Poll.Window
	if w.Start < 0 || w.End <= w.Start || w.End > 24*time.Hour {
		bad("poll.window %s to %s: want a start before the end, within 00:00 to 24:00", dayTime(w.Start), dayTime(w.End))
	}
	for _, l := range []struct {
		key string
		v   int
	}{
		{"poll.concurrency.global", c.Poll.Concurrency.Global},
		{"poll.concurrency.per_link", c.Poll.Concurrency.PerLink},
		{"poll.concurrency.per_concentrator", c.Poll.Concurrency.PerConcentrator},
		{"commands.concurrency", c.Commands.Concurrency},
	} {
		if l.v < 1 {
			bad("%s %d: want at least 1", l.key, l.v)
		}
	}
	if c.Poll.MeterDeadline <= 0 {
		bad("poll.meter_deadline %s: want a positive duration", c.Poll.MeterDeadline)
	}
	if c.Commands.AttemptDeadline <= 0 {
		bad("commands.attempt_deadline %s: want a positive duration", c.Commands.AttemptDeadline)
	}
	if c.Poll.CatchUpDays < 0 {
		bad("poll.catch_up_days %d: want 0 or more", c.Poll.CatchUpDays)
	}
	if c.Poll.ClockSyncThreshold < 0 {
		bad("poll.clock_sync_threshold %s: want 0 (never set the clock) or more", c.Poll.ClockSyncThreshold)
	}
	for _, r := range []struct {
		key string
		p   RetryPolicy
	}{{"poll.retry", c.Poll.Retry}, {"commands.retry", c.Commands.Retry}} {
		if r.p.InitialBackoff <= 0 || r.p.MaxBackoff < r.p.InitialBackoff {
			bad("%s: backoff %s to %s: want 0 < initial_backoff ≤ max_backoff", r.key, r.p.InitialBackoff, r.p.MaxBackoff)
		}
		if !(r.p.Jitter > 0 && r.p.Jitter <= 1) {
			bad("%s.jitter %v: want a fraction above 0 and at most 1", r.key, r.p.Jitter)
		}
		if r.p.MaxAttempts < 1 {
			bad("%s.max_attempts %d: want at least 1", r.key, r.p.MaxAttempts)
		}
	}
	if err := c.Prepayment.Validate(); err != nil {
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // without "prepay: invalid configuration"
		}
		bad("prepayment: %s", strings.ReplaceAll(err.Error(), "\n", "; prepayment: "))
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// systemTitle returns the head-end's system title as its 8 bytes.
func (c Config) systemTitle() ([]byte, error) {
	b, err := hex.DecodeString(c.SystemTitle)
	if err != nil || len(b) != 8 {
		return nil, fmt.Errorf("system_title %q: want 8 bytes as 16 hexadecimal digits", c.SystemTitle)
	}
	return b, nil
}

// Location returns the time zone of the meters' day, of the poll window and
// of the prepayment calendar: prepayment.time_zone.
func (c Config) Location() (*time.Location, error) {
	return time.LoadLocation(c.Prepayment.TimeZone)
}

// StoreOptions returns the options of the meter store: its time zone, its
// clock and its logger.
func (c Config) StoreOptions(now func() time.Time, log zerolog.Logger) (*meter.StoreOptions, error) {
	loc, err := c.Location()
	if err != nil {
		return nil, err
	}
	return &meter.StoreOptions{Location: loc, Now: now, Logger: log}, nil
}

// Limits returns the bounds on the sessions at once, for meter.SessionsConfig.
func (c Config) Limits() meter.Limits { return c.Poll.Concurrency }

// PollerConfig returns the configuration of the daily reads; the caller
// sets its clock, logger, observer and OnCycle.
func (c Config) PollerConfig() meter.PollerConfig {
	read := meter.ReadOptions{MaxCatchUp: c.Poll.CatchUpDays, DriftThreshold: c.Poll.ClockSyncThreshold}
	if read.MaxCatchUp == 0 {
		read.MaxCatchUp = -1 // none; 0 would mean the meter package's default
	}
	if read.DriftThreshold == 0 {
		read.DriftThreshold = -1 // never
	}
	return meter.PollerConfig{
		Window:      c.Poll.Window,
		Timeout:     c.Poll.MeterDeadline,
		Backoff:     c.Poll.Retry.backoff(),
		MaxAttempts: c.Poll.Retry.MaxAttempts,
		Read:        read,
	}
}

// ExecutorConfig returns the configuration of the command executor; the
// caller sets its clock and logger.
func (c Config) ExecutorConfig() meter.ExecutorConfig {
	return meter.ExecutorConfig{
		Concurrency: c.Commands.Concurrency,
		Timeout:     c.Commands.AttemptDeadline,
		Backoff:     c.Commands.Retry.backoff(),
	}
}

// QueueConfig returns the configuration of the command queue; the caller
// sets its clock, logger, observer and OnFinal.
func (c Config) QueueConfig() meter.QueueConfig {
	return meter.QueueConfig{MaxAttempts: c.Commands.Retry.MaxAttempts}
}

// configKey is a key of the configuration file: a value, or a section of
// keys. It reads its value from YAML and writes it back, with the comment
// that hes config defaults prints above it.
type configKey struct {
	name string
	doc  string
	keys []configKey // a section's keys; nil for a value
	get  func(c *Config) *yaml.Node
	set  func(c *Config, n *yaml.Node) error
}

// applyConfigKeys sets every key of the mapping n (the section where, ""
// at the top) with its configKey. An unknown key, a key given twice and a
// bad value are errors located by line.
func applyConfigKeys(c *Config, n *yaml.Node, where string, keys []configKey) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // an empty section
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: %s: want a mapping", n.Line, where)
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := k.Value
		if where != "" {
			path = where + "." + k.Value
		}
		if line, dup := seen[k.Value]; dup {
			return fmt.Errorf("line %d: %s: given twice (also at line %d)", k.Line, path, line)
		}
		seen[k.Value] = k.Line
		key, ok := findConfigKey(keys, k.Value)
		if !ok {
			return fmt.Errorf("line %d: %s: unknown key", k.Line, path)
		}
		if key.keys != nil {
			if err := applyConfigKeys(c, v, path, key.keys); err != nil {
				return err
			}
			continue
		}
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			return fmt.Errorf("line %d: %s: no value", v.Line, path)
		}
		if err := key.set(c, v); err != nil {
			return fmt.Errorf("line %d: %s: %w", v.Line, path, err)
		}
	}
	return nil
}

func findConfigKey(keys []configKey, name string) (configKey, bool) {
	for _, k := range keys {
		if k.name == name {
			return k, true
		}
	}
	return configKey{}, false
}

// writeConfig writes c as YAML with a comment above every key: with the
// defaults, the file that hes config defaults prints.
func writeConfig(w io.Writer, c Config) error {
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: configHeader,
		Content: []*yaml.Node{configNode(&c, configKeys(), true)}}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

const configHeader = `Configuration of the hes head-end, with the default of every key.
Every key may be left out: it keeps the default shown here. An unknown key
is refused. These environment variables override the file: HES_STORE,
HES_MASTER_KEY_FILE, HES_LISTEN, HES_LOG_LEVEL and HES_POLL_WINDOW
("01:00-06:00"). See docs/configuration.md.`

func configNode(c *Config, keys []configKey, top bool) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for i, k := range keys {
		name := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k.name, HeadComment: k.doc}
		var v *yaml.Node
		if k.keys != nil {
			v = configNode(c, k.keys, false)
			if top && i > 0 {
				name.HeadComment = "\n" + name.HeadComment // a blank line before a section
			}
		} else {
			v = k.get(c)
		}
		m.Content = append(m.Content, name, v)
	}
	return m
}

// configKeys is the schema of the configuration file.
func configKeys() []configKey {
	return []configKey{
		stringConfigKey("store", "The bbolt store: meters, sealed keys, counters, readings, commands,\naccounts and ledger. A relative path is relative to the working directory.",
			func(c *Config) *string { return &c.Store }),
		stringConfigKey("master_key_file", "The file holding the master key that seals the meters' keys at rest:\n32 or 64 hexadecimal digits, mode 0600. Empty: the environment variable\nHES_MASTER_KEY holds the key.",
			func(c *Config) *string { return &c.MasterKeyFile }),
		stringConfigKey("log_level", "The level of hes serve's log: trace, debug, info, warn or error.",
			func(c *Config) *string { return &c.LogLevel }),
		stringConfigKey("listen", "The address of the metrics (/metrics) and health (/healthz) endpoints;\nempty turns them off.",
			func(c *Config) *string { return &c.Listen }),
		stringConfigKey("system_title", "The head-end's own system title, 16 hexadecimal digits; never a meter's.",
			func(c *Config) *string { return &c.SystemTitle }),
		{name: "link", doc: "How the head-end waits on a meter's link.", keys: []configKey{
			durationConfigKey("frame_timeout", "The wait for each HDLC frame or wrapper answer.",
				func(c *Config) *time.Duration { return &c.Link.FrameTimeout }),
			intConfigKey("retries", "How many times an unanswered HDLC frame is sent again.",
				func(c *Config) *int { return &c.Link.Retries }),
		}},
		{name: "poll", doc: "The daily reads.", keys: []configKey{
			{name: "window", doc: "When the reads run, in local time (prepayment.time_zone); end at most 24:00.", keys: []configKey{
				dayTimeConfigKey("start", "", func(c *Config) *time.Duration { return &c.Poll.Window.Start }),
				dayTimeConfigKey("end", "", func(c *Config) *time.Duration { return &c.Poll.Window.End }),
			}},
			{name: "concurrency", doc: "How many sessions at once: in all, on one link (a TCP address or a\nserial line), through one concentrator.", keys: []configKey{
				intConfigKey("global", "", func(c *Config) *int { return &c.Poll.Concurrency.Global }),
				intConfigKey("per_link", "", func(c *Config) *int { return &c.Poll.Concurrency.PerLink }),
				intConfigKey("per_concentrator", "", func(c *Config) *int { return &c.Poll.Concurrency.PerConcentrator }),
			}},
			durationConfigKey("meter_deadline", "The deadline of one attempt on one meter, session included.",
				func(c *Config) *time.Duration { return &c.Poll.MeterDeadline }),
			retryConfigKey("retry", "The retries of a meter that failed: the backoff doubles from initial_backoff\nup to max_backoff, spread by ± jitter; a meter is given up for the day\nafter max_attempts.", func(c *Config) *RetryPolicy { return &c.Poll.Retry }),
			intConfigKey("catch_up_days", "How many days back the daily profile is searched for missed days; 0: none.",
				func(c *Config) *int { return &c.Poll.CatchUpDays }),
			durationConfigKey("clock_sync_threshold", "A meter clock that drifts by more than this is set; 0: never set.",
				func(c *Config) *time.Duration { return &c.Poll.ClockSyncThreshold }),
		}},
		{name: "commands", doc: "The commands sent to meters: display, disconnect, arm, limiter, clock, keys.", keys: []configKey{
			intConfigKey("concurrency", "How many commands are under way at once, each on its own meter.",
				func(c *Config) *int { return &c.Commands.Concurrency }),
			durationConfigKey("attempt_deadline", "The deadline of one attempt, session and read-back included.",
				func(c *Config) *time.Duration { return &c.Commands.AttemptDeadline }),
			retryConfigKey("retry", "The retries of a command that failed; it is given up after max_attempts.",
				func(c *Config) *RetryPolicy { return &c.Commands.Retry }),
		}},
		{name: "prepayment", doc: "The prepayment rules: see docs/prepayment.md. Amounts are in euros.", keys: prepaymentConfigKeys()},
	}
}

func retryConfigKey(name, doc string, field func(c *Config) *RetryPolicy) configKey {
	return configKey{name: name, doc: doc, keys: []configKey{
		durationConfigKey("initial_backoff", "", func(c *Config) *time.Duration { return &field(c).InitialBackoff }),
		durationConfigKey("max_backoff", "", func(c *Config) *time.Duration { return &field(c).MaxBackoff }),
		floatConfigKey("jitter", "", func(c *Config) *float64 { return &field(c).Jitter }),
		intConfigKey("max_attempts", "", func(c *Config) *int { return &field(c).MaxAttempts }),
	}}
}

// prepaymentConfigKeys are the keys of the prepayment: section, read with
// the setters of prepayConfigKeys and ndpConfigKeys (the mapping that
// loadConfig uses) and written from prepay.Config.
func prepaymentConfigKeys() []configKey {
	setters, ndp := prepayConfigKeys(), ndpConfigKeys()
	key := func(set map[string]configSetter, name, doc string, get func(p *prepay.Config) *yaml.Node) configKey {
		return configKey{name: name, doc: doc,
			get: func(c *Config) *yaml.Node { return get(&c.Prepayment) },
			set: func(c *Config, n *yaml.Node) error { return set[name](&c.Prepayment, n) }}
	}
	p := func(name, doc string, get func(p *prepay.Config) *yaml.Node) configKey {
		return key(setters, name, doc, get)
	}
	amount := func(v prepay.Cents) *yaml.Node { return scalarNode("!!float", v.String()) }
	integer := func(v int64) *yaml.Node { return scalarNode("!!int", strconv.FormatInt(v, 10)) }
	text := func(v string) *yaml.Node { return scalarNode("!!str", v) }
	duration := func(d time.Duration) *yaml.Node { return scalarNode("!!str", shortDuration(d)) }
	clockTime := func(t prepay.ClockTime) *yaml.Node {
		n := scalarNode("!!str", t.String())
		n.Style = yaml.DoubleQuotedStyle
		return n
	}
	return []configKey{
		p("time_zone", "The zone of the meters' day, of the poll window and of the NDP calendar.",
			func(p *prepay.Config) *yaml.Node { return text(p.TimeZone) }),
		p("starting_credit", "The credit a new client starts with, booked as a debt.", func(p *prepay.Config) *yaml.Node { return amount(p.StartingCredit) }),
		p("debt_recovery_per_day", "The most debt recovered per settled day.", func(p *prepay.Config) *yaml.Node { return amount(p.DebtRecoveryPerDay) }),
		p("emergency_credit", "How far below 0 the balance may go before the supply is cut.", func(p *prepay.Config) *yaml.Node { return amount(p.EmergencyCredit) }),
		p("reconnect_above", "The balance above which a cut supply is armed and a limit lifted.", func(p *prepay.Config) *yaml.Node { return amount(p.ReconnectAbove) }),
		p("default_low_threshold", "The low-credit threshold of a new account; max_low_threshold is the\nhighest that may be set.", func(p *prepay.Config) *yaml.Node { return amount(p.DefaultLowThreshold) }),
		p("max_low_threshold", "", func(p *prepay.Config) *yaml.Node { return amount(p.MaxLowThreshold) }),
		p("recharge_min", "The bounds of a customer recharge, both included.", func(p *prepay.Config) *yaml.Node { return amount(p.RechargeMin) }),
		p("recharge_max", "", func(p *prepay.Config) *yaml.Node { return amount(p.RechargeMax) }),
		p("reference_prefix", "The EAN prefix that rebuilds a payment reference.",
			func(p *prepay.Config) *yaml.Node { return text(p.ReferencePrefix) }),
		p("max_daily_electricity_wh", "A day's consumption above these (Wh, dm³) is held for an agent.",
			func(p *prepay.Config) *yaml.Node { return integer(p.MaxDailyElectricityWh) }),
		p("max_daily_gas_dm3", "", func(p *prepay.Config) *yaml.Node { return integer(p.MaxDailyGasDm3) }),
		p("default_limiter_watts", "The limiter threshold of an account without its own, in W.", func(p *prepay.Config) *yaml.Node { return integer(p.DefaultLimiterWatts) }),
		{name: "ndp", doc: "The non-disconnection periods.", keys: []configKey{
			key(ndp, "weekday_from", "The daily window on weekdays, local time; until the next morning when\nweekday_from is later than weekday_until.", func(p *prepay.Config) *yaml.Node { return clockTime(p.NDP.WeekdayFrom) }),
			key(ndp, "weekday_until", "", func(p *prepay.Config) *yaml.Node { return clockTime(p.NDP.WeekdayUntil) }),
			key(ndp, "weekend", "The whole of Saturday and Sunday.", func(p *prepay.Config) *yaml.Node { return scalarNode("!!bool", strconv.FormatBool(p.NDP.Weekend)) }),
			key(ndp, "extra_dates", "Whole days, e.g. [2026-12-25, 2027-01-01].", func(p *prepay.Config) *yaml.Node {
				seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
				for _, d := range p.NDP.ExtraDates {
					seq.Content = append(seq.Content, text(d.String()))
				}
				return seq
			}),
			key(ndp, "seasons", "Ranges of whole days, e.g. [{from: 2026-12-15, until: 2027-02-15}].", func(p *prepay.Config) *yaml.Node {
				seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
				for _, s := range p.NDP.Seasons {
					seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
						text("from"), text(s.From.String()), text("until"), text(s.Until.String()),
					}})
				}
				return seq
			}),
		}},
		p("retry_min", "The backoff of the prepayment's meter orders that failed.",
			func(p *prepay.Config) *yaml.Node { return duration(p.RetryMin) }),
		p("retry_max", "", func(p *prepay.Config) *yaml.Node { return duration(p.RetryMax) }),
		p("action_lease", "How long a meter action handed out stays reserved.", func(p *prepay.Config) *yaml.Node { return duration(p.ActionLease) }),
	}
}

func scalarNode(tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}

func stringConfigKey(name, doc string, field func(c *Config) *string) configKey {
	return configKey{name: name, doc: doc,
		get: func(c *Config) *yaml.Node { return scalarNode("!!str", *field(c)) },
		set: func(c *Config, n *yaml.Node) error {
			s, err := scalar(n)
			*field(c) = s
			return err
		}}
}

func intConfigKey(name, doc string, field func(c *Config) *int) configKey {
	return configKey{name: name, doc: doc,
		get: func(c *Config) *yaml.Node { return scalarNode("!!int", strconv.Itoa(*field(c))) },
		set: func(c *Config, n *yaml.Node) error {
			s, err := scalar(n)
			if err != nil {
				return err
			}
			v, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
			if err != nil {
				return fmt.Errorf("%q: want a whole number", s)
			}
			*field(c) = v
			return nil
		}}
}

func floatConfigKey(name, doc string, field func(c *Config) *float64) configKey {
	return configKey{name: name, doc: doc,
		get: func(c *Config) *yaml.Node {
			return scalarNode("!!float", strconv.FormatFloat(*field(c), 'f', -1, 64))
		},
		set: func(c *Config, n *yaml.Node) error {
			s, err := scalar(n)
			if err != nil {
				return err
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return fmt.Errorf("%q: want a number such as 0.2", s)
			}
			*field(c) = v
			return nil
		}}
}

func durationConfigKey(name, doc string, field func(c *Config) *time.Duration) configKey {
	return configKey{name: name, doc: doc,
		get: func(c *Config) *yaml.Node { return scalarNode("!!str", shortDuration(*field(c))) },
		set: func(c *Config, n *yaml.Node) error {
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
		}}
}

// dayTimeConfigKey is a local time of day, "HH:MM", stored as the time
// after midnight.
func dayTimeConfigKey(name, doc string, field func(c *Config) *time.Duration) configKey {
	return configKey{name: name, doc: doc,
		get: func(c *Config) *yaml.Node {
			n := scalarNode("!!str", dayTime(*field(c)))
			n.Style = yaml.DoubleQuotedStyle
			return n
		},
		set: func(c *Config, n *yaml.Node) error {
			s, err := scalar(n)
			if err != nil {
				return err
			}
			d, err := parseDayTime(s)
			*field(c) = d
			return err
		}}
}

// parseDayTime reads a local time of day "HH:MM", from 00:00 to 24:00.
func parseDayTime(s string) (time.Duration, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	h, herr := strconv.Atoi(hh)
	m, merr := strconv.Atoi(mm)
	if !ok || herr != nil || merr != nil || len(mm) != 2 || h < 0 || m < 0 || m > 59 || h > 24 || h == 24 && m != 0 {
		return 0, fmt.Errorf("%q: want a time of day HH:MM from 00:00 to 24:00", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// dayTime formats a time after midnight as "HH:MM".
func dayTime(d time.Duration) string {
	if d < 0 {
		return "-" + dayTime(-d)
	}
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// parseWindow reads "HH:MM-HH:MM".
func parseWindow(s string) (meter.Window, error) {
	from, until, ok := strings.Cut(s, "-")
	if !ok {
		return meter.Window{}, errors.New("no dash")
	}
	start, err := parseDayTime(from)
	if err != nil {
		return meter.Window{}, err
	}
	end, err := parseDayTime(until)
	return meter.Window{Start: start, End: end}, err
}

// shortDuration formats d as time.ParseDuration reads it, without the
// zero units that Duration.String adds: "1m", "1h", "1h30m", "90ms".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func newConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the default configuration, check a configuration file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(newConfigDefaultsCmd(g), newConfigCheckCmd(g))
	return cmd
}

func newConfigDefaultsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "defaults",
		Short: "Print the default configuration as YAML, every key with a comment",
		Long: `Print the default configuration as YAML, every key with a comment: a
starting point for a configuration file. Every key may be left out of the
file, and keeps then the default printed here.`,
		Example: `  hes config defaults > /etc/hes/hes.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return writeConfig(g.stdout, DefaultConfig())
		},
	}
}

func newConfigCheckCmd(g *globals) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "check [--config FILE]",
		Short: "Check a configuration file and the environment variables that override it",
		Long: `Check a configuration file (--config, else $` + envConfig + `) with the environment
variables that override it, as hes serve would read them. An unknown key, a
malformed value or an inconsistent configuration is reported on one line,
with its line in the file, and the exit status is 2.`,
		Example: `  hes config check --config /etc/hes/hes.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path := firstNonEmpty(file, os.Getenv(envConfig))
			if _, err := loadHeadEndConfig(path); err != nil {
				return err
			}
			if g.json {
				return writeJSON(g.stdout, struct {
					File  string `json:"file"`
					Valid bool   `json:"valid"`
				}{path, true})
			}
			if path == "" {
				_, err := fmt.Fprintln(g.stdout, "no configuration file: the defaults, with the environment's overrides, are valid")
				return err
			}
			_, err := fmt.Fprintf(g.stdout, "configuration %s is valid\n", path)
			return err
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "the YAML configuration `FILE` to check (default: $"+envConfig+")")
	return cmd
}
