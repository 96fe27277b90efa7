package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/meter"
)

// linkFlags are the flags of connect.go that say how to reach a meter,
// which commissioning shares with the technician commands; the
// association is commissioning's own.
var linkFlags = []string{"tcp", "serial", "optical", "baud", "hdlc", "wrapper", "server", "physical", "address-size", "timeout", "retries", "trace"}

type commissionOptions struct {
	meterStoreOptions
	conn           connectOptions
	id, ean        string
	profile        string
	factoryKeys    string
	clockThreshold time.Duration
}

func newCommissionCmd(g *globals) *cobra.Command {
	o := &commissionOptions{}
	cmd := &cobra.Command{
		Use:   "commission --id ID --factory-keys-file FILE (--tcp HOST:PORT | --serial DEVICE [--optical])",
		Short: "Commission a meter on site: identity, clock, breaker, its own keys, registration",
		Long: `Commission a meter on site, over the optical probe or TCP, with the factory
keys it was delivered with (--factory-keys-file, a JSON object of hexadecimal
keys {"ek": "…", "ak": "…", "kek": "…"}, the keys object of an inventory):

  associate      the invocation counter through the public client, then the
                 management association with the factory keys
  identity       the logical device name, the EAN (0-0:96.1.10.255), the
                 system title; --ean, when given, must be the meter's
  clock          the drift, and the clock set when it exceeds --clock-threshold
  breaker        the disconnect control's state and control mode
  register       the meter added to the registry (its link is the one used
                 here) or updated, with the factory keys and, pending, new
                 keys drawn at random
  transfer keys  the new EK, AK and KEK sent with global_key_transfer,
                 wrapped under the factory KEK
  verify keys    a new association with the new keys, and its invocation
                 counter read
  store keys     the new keys become the meter's keys in the store

A step that fails stops the commissioning with the step named, and the exit
status is 1. The meter is left usable with the keys it had: until the new
keys are verified the store keeps the factory keys; when it cannot tell which
keys the meter took, the new keys stay pending beside them (hes keys show).
No key is ever printed, not even with --trace.`,
		Example: `  hes commission --id MTR00042 --serial /dev/ttyUSB0 --optical --physical 17 --factory-keys-file mtr00042.factory.json
  hes commission --id MTR00043 --tcp 10.1.2.3:4059 --factory-keys-file factory.json --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, g)
		},
	}
	o.addFlags(cmd)
	all := pflag.NewFlagSet("connect", pflag.ContinueOnError)
	o.conn.addFlags(all)
	f := cmd.Flags()
	for _, name := range linkFlags {
		f.AddFlag(all.Lookup(name))
	}
	f.StringVar(&o.id, "id", "", "the head-end's `ID` of the meter")
	f.StringVar(&o.ean, "ean", "", "the meter's `EAN` (default: the one the meter reports)")
	f.StringVar(&o.profile, "profile", defaultMeterProfile, "the meter profile (default: the registered meter's, else "+defaultMeterProfile+")")
	f.StringVar(&o.factoryKeys, "factory-keys-file", "", "JSON `FILE` with the meter's factory keys ek, ak and kek in hexadecimal")
	f.DurationVar(&o.clockThreshold, "clock-threshold", 0, "set the meter's clock when it drifts more than this (default: the configuration's poll.clock_sync_threshold)")
	_ = cmd.MarkFlagRequired("id")
	_ = cmd.MarkFlagRequired("factory-keys-file")
	return cmd
}

// commissionReport is what hes commission prints: what the meter said and
// what each step did.
type commissionReport struct {
	MeterID           string           `json:"meter_id"`
	EAN               string           `json:"ean,omitempty"`
	LogicalDeviceName string           `json:"logical_device_name,omitempty"`
	SystemTitle       meter.Hex        `json:"system_title,omitempty"`
	Profile           string           `json:"profile"`
	Registered        string           `json:"registered,omitempty"` // added or updated
	ClockDrift        float64          `json:"clock_drift_seconds"`  // before any correction
	ClockSet          bool             `json:"clock_set"`
	Breaker           *breakerReport   `json:"breaker,omitempty"`
	InvocationCounter *uint32          `json:"invocation_counter,omitempty"` // under the new keys
	Commissioned      bool             `json:"commissioned"`
	FailedStep        string           `json:"failed_step,omitempty"`
	Steps             []commissionStep `json:"steps"`
}

// breakerReport is the state of the breaker that commissioning found.
type breakerReport struct {
	Output      bool   `json:"output"` // true when closed: energy flows
	State       string `json:"state"`  // connected, disconnected, ready-for-reconnection
	ControlMode uint8  `json:"control_mode"`
}

type commissionStep struct {
	Step   string `json:"step"`
	OK     bool   `json:"ok"`
	Result string `json:"result"`
}

// commissioning is one run of hes commission.
type commissioning struct {
	o       *commissionOptions
	s       *meter.Store
	spec    meter.AssociationSpec // the management association
	factory meter.Keys
	title   []byte // the head-end's system title
	tr      *tracer
	now     func() time.Time
	rep     *commissionReport
}

// step runs fn as the step named name and records its result; a failure
// stops the commissioning with an error naming the step.
func (c *commissioning) step(name string, fn func() (string, error)) error {
	res, err := fn()
	if err != nil {
		msg := withoutPackagePrefix(err.Error())
		c.rep.FailedStep = name
		c.rep.Steps = append(c.rep.Steps, commissionStep{Step: name, Result: "failed: " + msg})
		return fmt.Errorf("commission %s: step %s failed: %s", c.rep.MeterID, name, msg)
	}
	c.rep.Steps = append(c.rep.Steps, commissionStep{Step: name, OK: true, Result: res})
	return nil
}

func (o *commissionOptions) run(cmd *cobra.Command, g *globals) error {
	if err := o.conn.target(); err != nil {
		return err
	}
	if _, err := os.Stat(o.factoryKeys); err != nil {
		return badInput("--factory-keys-file: %v", err)
	}
	factory, err := readKeysFile(o.factoryKeys)
	if err != nil {
		return err
	}
	if missing := factory.Missing([]string{"ek", "ak", "kek"}); len(missing) > 0 {
		return badInput("factory keys file %s: missing %s: commissioning needs ek, ak and kek", o.factoryKeys, strings.Join(missing, ", "))
	}
	cfg, err := o.headEndConfig()
	if err != nil {
		return err
	}
	if !cmd.Flags().Changed("clock-threshold") {
		o.clockThreshold = cfg.Poll.ClockSyncThreshold
	}
	title, err := cfg.systemTitle()
	if err != nil {
		return badInput("%v", err)
	}
	now, err := runningClock()
	if err != nil {
		return err
	}
	rep := &commissionReport{MeterID: o.id, Steps: []commissionStep{}}
	var failure error
	err = o.withMeters(cmd, g, needsMasterKey, func(s *meter.Store, _ bool) error {
		existing, err := s.Get(o.id)
		registered := err == nil
		if err != nil && !errors.Is(err, meter.ErrUnknownMeter) {
			return err
		}
		rep.Profile = o.profile
		if registered && !cmd.Flags().Changed("profile") {
			rep.Profile = existing.Profile
		}
		p, err := s.Profile(rep.Profile)
		if err != nil {
			return err
		}
		spec, ok := p.Association(meter.AssociationManagement)
		if !ok {
			return badInput("profile %s has no management association", p.Name)
		}
		c := &commissioning{o: o, s: s, spec: spec, factory: factory, title: title, now: now, rep: rep}
		if o.conn.trace {
			c.tr = newTracer(g.stderr, nil, security.Keys{})
		}
		var prev *meter.Meter
		if registered {
			prev = &existing
		}
		failure = c.run(cmd.Context(), p, prev)
		return nil
	})
	if err != nil {
		return err
	}
	rep.Commissioned = failure == nil
	if werr := rep.write(g); werr != nil {
		return werr
	}
	return failure
}

// run carries out the steps; prev is the meter as registered, nil for a
// new one.
func (c *commissioning) run(ctx context.Context, p meter.Profile, prev *meter.Meter) error {
	object := func(r meter.Role) (meter.Object, error) {
		o, ok := p.Object(r)
		if !ok {
			return o, fmt.Errorf("profile %s has no %s object", p.Name, r)
		}
		return o, nil
	}
	var cl *meter.Client
	defer func() {
		if cl != nil {
			cl.Close(ctx)
		}
	}()
	if err := c.step("associate", func() (string, error) {
		var ic uint32
		var err error
		cl, ic, err = c.associate(ctx, c.factory)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s, %s, with the factory keys; invocation counter %d", c.spec.Authentication, c.spec.Policy, ic), nil
	}); err != nil {
		return err
	}
	var m meter.Meter
	if err := c.step("identity", func() (string, error) {
		var err error
		m, err = c.identity(ctx, cl, prev, object)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("logical device name %q, EAN %s, system title %s", c.rep.LogicalDeviceName, m.EAN, m.SystemTitle), nil
	}); err != nil {
		return err
	}
	if err := c.step("clock", func() (string, error) { return c.clock(ctx, cl, object) }); err != nil {
		return err
	}
	if err := c.step("breaker", func() (string, error) {
		o, err := object(meter.RoleBreaker)
		if err != nil {
			return "", err
		}
		b, err := cl.ReadBreaker(ctx, o.OBIS)
		if err != nil {
			return "", err
		}
		c.rep.Breaker = &breakerReport{Output: b.Output, State: b.State.String(), ControlMode: uint8(b.Mode)}
		return fmt.Sprintf("%s, output %s, control %s", b.State, closedOrOpenText(b.Output), b.Mode), nil
	}); err != nil {
		return err
	}
	var fresh meter.Keys
	if err := c.step("register", func() (string, error) {
		var err error
		if fresh, err = newMeterKeys(c.factory); err != nil {
			return "", err
		}
		return c.register(m, prev, fresh)
	}); err != nil {
		return err
	}
	if err := c.step("transfer keys", func() (string, error) {
		o, err := object(meter.RoleSecuritySetup)
		if err != nil {
			return "", err
		}
		keys := []security.KeyData{
			{ID: security.KeyGlobalUnicast, Key: fresh.EK.Bytes()},
			{ID: security.KeyAuthentication, Key: fresh.AK.Bytes()},
			{ID: security.KeyMaster, Key: fresh.KEK.Bytes()},
		}
		err = cl.TransferGlobalKeys(ctx, o.OBIS, c.factory.KEK.Bytes(), keys...)
		for _, k := range keys {
			clear(k.Key)
		}
		// The new keys take effect for the next association: this one
		// ends here.
		cl.Close(ctx)
		cl = nil
		if err != nil {
			if serr := c.settle(ctx, m.ID, fresh, err); serr != nil {
				return "", serr
			}
			return fmt.Sprintf("the meter answered %v, yet it takes the new keys", err), nil
		}
		return "ek, ak and kek, wrapped under the factory kek", nil
	}); err != nil {
		return err
	}
	if err := c.step("verify keys", func() (string, error) {
		_, _, err := c.associate(ctx, fresh, func(ctx context.Context, cl *meter.Client) error {
			o, err := object(meter.RoleInvocationCounter)
			if err != nil {
				return err
			}
			n, err := cl.InvocationCounter(ctx, o.OBIS)
			c.rep.InvocationCounter = &n
			return err
		})
		if err != nil {
			c.rep.InvocationCounter = nil
			if serr := c.settle(ctx, m.ID, fresh, err); serr != nil {
				return "", serr
			}
			return fmt.Sprintf("a first association with the new keys failed (%v), a second one works", err), nil
		}
		return fmt.Sprintf("a new management association works with them; the meter's invocation counter is %d", *c.rep.InvocationCounter), nil
	}); err != nil {
		return err
	}
	return c.step("store keys", func() (string, error) {
		if err := c.s.PromotePendingKeys(m.ID); err != nil {
			return "", err
		}
		return "the new keys are the meter's keys; the factory keys are forgotten", nil
	})
}

// associate opens the management association with keys over the
// technician's link: it reads the meter's invocation counter through the
// public client, then associates with the counter above it. With fns, it
// runs them in the association and closes it (the Client returned is then
// nil); without, the Client is the caller's to close.
func (c *commissioning) associate(ctx context.Context, keys meter.Keys, fns ...func(context.Context, *meter.Client) error) (*meter.Client, uint32, error) {
	pub, err := c.o.conn.dial(ctx, sapPublic, c.tr.link("public client"))
	if err != nil {
		return nil, 0, fmt.Errorf("link of the public client: %w", err)
	}
	ic, err := meter.ReadInvocationCounter(ctx, pub)
	if err != nil {
		return nil, 0, fmt.Errorf("invocation counter through the public client: %w", err)
	}
	if ic == math.MaxUint32 {
		return nil, ic, errors.New("the invocation counter of the keys is exhausted")
	}
	link, err := c.o.conn.dial(ctx, c.spec.ClientSAP, c.tr.link("management client"))
	if err != nil {
		return nil, ic, fmt.Errorf("link of the management client: %w", err)
	}
	cl, err := meter.Connect(ctx, link, meter.Config{
		Auth: c.spec.Authentication, Policy: c.spec.Policy, Keys: keys.SecurityKeys(),
		SystemTitle: c.title, Counter: security.NewMemoryCounter(ic + 1), Location: c.s.Location(),
	})
	if err != nil {
		link.Close()
		return nil, ic, associationHint(err)
	}
	if len(fns) == 0 {
		return cl, ic, nil
	}
	for _, fn := range fns {
		if err = fn(ctx, cl); err != nil {
			break
		}
	}
	cl.Close(ctx)
	return nil, ic, err
}

// settle finds out which keys the meter takes after err, the failure of
// the key transfer or of its verification. It returns nil when the meter
// takes the new keys. When it takes the factory keys, the new keys are
// discarded; when it takes neither, both stay in the store, the new ones
// pending. The error says so.
func (c *commissioning) settle(ctx context.Context, id string, fresh meter.Keys, err error) error {
	noop := func(context.Context, *meter.Client) error { return nil }
	if _, _, nerr := c.associate(ctx, fresh, noop); nerr == nil {
		return nil
	}
	if _, _, ferr := c.associate(ctx, c.factory, noop); ferr == nil {
		if derr := c.s.DiscardPendingKeys(id); derr != nil {
			return fmt.Errorf("%w; the meter keeps its factory keys, but discarding the new ones failed: %v", err, derr)
		}
		return fmt.Errorf("%w; the meter keeps its factory keys, and so does the store", err)
	}
	return fmt.Errorf("%w; the meter answers neither its factory keys nor the new ones now: the store keeps both, the new ones pending (hes keys show %s)", err, id)
}

// identity reads the logical device name and the EAN, and returns the
// registry entry of the meter: prev updated, or a new one on the
// technician's link.
func (c *commissioning) identity(ctx context.Context, cl *meter.Client, prev *meter.Meter, object func(meter.Role) (meter.Object, error)) (meter.Meter, error) {
	o, err := object(meter.RoleLogicalDeviceName)
	if err != nil {
		return meter.Meter{}, err
	}
	if c.rep.LogicalDeviceName, err = cl.ReadDataString(ctx, o.OBIS); err != nil {
		return meter.Meter{}, err
	}
	if o, err = object(meter.RoleEAN); err != nil {
		return meter.Meter{}, err
	}
	ean, err := cl.ReadDataString(ctx, o.OBIS)
	if err != nil {
		return meter.Meter{}, err
	}
	ean = strings.TrimSpace(ean)
	switch {
	case c.o.ean != "" && ean != "" && c.o.ean != ean:
		return meter.Meter{}, fmt.Errorf("the meter reports EAN %s, not %s", ean, c.o.ean)
	case ean == "" && c.o.ean == "":
		return meter.Meter{}, errors.New("the meter reports no EAN: give --ean")
	case ean == "":
		ean = c.o.ean
	}
	if err := meter.ValidEAN(ean); err != nil {
		return meter.Meter{}, fmt.Errorf("EAN %s: %w", ean, err)
	}
	title := meter.Hex(bytes.Clone(cl.Negotiated().ServerSystemTitle))
	c.rep.EAN, c.rep.SystemTitle = ean, title
	if prev != nil {
		m := *prev
		if m.EAN != ean {
			return m, fmt.Errorf("meter %s is registered with EAN %s, but the meter reports %s", m.ID, m.EAN, ean)
		}
		if len(m.SystemTitle) > 0 && len(title) > 0 && !bytes.Equal(m.SystemTitle, title) {
			return m, fmt.Errorf("meter %s is registered with system title %s, but the meter has %s", m.ID, m.SystemTitle, title)
		}
		if len(title) > 0 {
			m.SystemTitle = title
		}
		m.Profile = c.rep.Profile
		return m, nil
	}
	m := meter.Meter{
		ID: c.o.id, EAN: ean, Profile: c.rep.Profile, SystemTitle: title,
		Addresses: meter.Addresses{Server: c.o.conn.server, Physical: c.o.conn.physical},
	}
	switch {
	case c.o.conn.serial != "":
		m.Link = meter.LinkSpec{Kind: meter.LinkSerial, Device: c.o.conn.serial, Optical: c.o.conn.optical, Framing: meter.FramingHDLC}
		m.Addresses.HDLCSize = c.o.conn.addressSize
	case c.o.conn.hdlc:
		m.Link = meter.LinkSpec{Kind: meter.LinkTCP, Address: c.o.conn.tcp, Framing: meter.FramingHDLC}
		m.Addresses.HDLCSize = c.o.conn.addressSize
	default:
		m.Link = meter.LinkSpec{Kind: meter.LinkTCP, Address: c.o.conn.tcp, Framing: meter.FramingWrapper}
	}
	return m, nil
}

// clock reads the drift of the meter's clock and sets the clock when the
// drift exceeds the threshold.
func (c *commissioning) clock(ctx context.Context, cl *meter.Client, object func(meter.Role) (meter.Object, error)) (string, error) {
	o, err := object(meter.RoleClock)
	if err != nil {
		return "", err
	}
	drift, err := cl.Drift(ctx, o.OBIS, c.now)
	if err != nil {
		return "", err
	}
	c.rep.ClockDrift = drift.Seconds()
	res := "drift " + signedDuration(drift)
	if c.o.clockThreshold <= 0 || drift.Abs() <= c.o.clockThreshold {
		return res + ", kept", nil
	}
	if err := cl.SetTime(ctx, o.OBIS, c.now()); err != nil {
		return "", err
	}
	after, err := cl.Drift(ctx, o.OBIS, c.now)
	if err != nil {
		return "", err
	}
	c.rep.ClockSet = true
	return res + ", clock set; drift now " + signedDuration(after), nil
}

// register adds the meter to the registry, or updates it, with the
// factory keys as its keys and fresh as pending keys: should the transfer
// work and the process end before the verification, the store has the
// new keys.
func (c *commissioning) register(m meter.Meter, prev *meter.Meter, fresh meter.Keys) (string, error) {
	s := c.s
	how := "added"
	var err error
	if prev != nil {
		how = "updated"
		err = s.Put(m)
	} else {
		err = s.Add(m)
	}
	if err == nil {
		err = s.PutKeys(m.ID, c.factory)
	}
	if err == nil {
		err = s.StagePendingKeys(m.ID, fresh)
	}
	if err != nil {
		return "", err
	}
	c.rep.Registered = how
	stored, err := s.Get(m.ID)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s, profile %s, %s; the factory keys current, new keys pending", how, stored.Profile, linkText(stored.Link)), nil
}

// newMeterKeys returns keys with a new EK, AK and KEK drawn at random,
// and the other secrets of k (the LLS password, the HLS secret).
func newMeterKeys(k meter.Keys) (meter.Keys, error) {
	b := make([]byte, 3*meter.KeySize)
	defer clear(b)
	if _, err := rand.Read(b); err != nil {
		return meter.Keys{}, fmt.Errorf("drawing new keys: %w", err)
	}
	k.EK = meter.NewSecret(b[:meter.KeySize])
	k.AK = meter.NewSecret(b[meter.KeySize : 2*meter.KeySize])
	k.KEK = meter.NewSecret(b[2*meter.KeySize:])
	return k, nil
}

// signedDuration writes d with its sign, to the millisecond: "+1.5s",
// "-42ms".
func signedDuration(d time.Duration) string {
	d = d.Round(time.Millisecond)
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}

func closedOrOpenText(closed bool) string {
	if closed {
		return "closed"
	}
	return "open"
}

func (r *commissionReport) write(g *globals) error {
	if g.json {
		return writeJSON(g.stdout, r)
	}
	t := newTableOf("step", "result")
	for _, s := range r.Steps {
		t.add(s.Step, s.Result)
	}
	if err := t.write(g.stdout); err != nil {
		return err
	}
	if r.Commissioned {
		_, err := fmt.Fprintf(g.stdout, "\nmeter %s commissioned: EAN %s, its own keys installed and verified\n", r.MeterID, r.EAN)
		return err
	}
	return nil
}
