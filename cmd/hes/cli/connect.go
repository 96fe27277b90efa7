package cli

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/openhes/hes/cmd/hes/internal/dlmsdump"
	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/meter"
	"github.com/openhes/hes/transport"
)

// envPassword holds the LLS password of the technician commands.
const envPassword = "HES_PASSWORD"

// The client SAPs of the default associations, by authentication.
const (
	sapPublic     = 16
	sapManagement = 1
	sapTechnician = 17
)

// connectOptions are the flags that say how to reach a meter and how to
// associate with it, shared by the technician commands.
type connectOptions struct {
	tcp, serial     string
	optical         bool
	baud            int
	hdlc, wrapper   bool
	client          uint16
	server          uint16
	physical        uint16
	addressSize     int
	auth            string
	password        string
	passwordFile    string
	ekFile, akFile  string
	systemTitle     string
	securityPolicy  string
	invocationCount uint32
	// Whether --client and --invocation-counter were given.
	clientSet, counterSet bool
	timeout               time.Duration
	retries               int
	trace                 bool
}

// addFlags declares the flags in f: a command's flags, or the persistent
// flags of a command whose sub-commands all talk to a meter.
func (o *connectOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.tcp, "tcp", "", "reach the meter over TCP at `HOST:PORT`")
	f.StringVar(&o.serial, "serial", "", "reach the meter on the serial `DEVICE` (HDLC), e.g. /dev/ttyUSB0")
	f.BoolVar(&o.optical, "optical", false, "the serial device is an IEC 62056-21 optical probe: sign on in mode E first")
	f.IntVar(&o.baud, "baud", 0, "rate of a plain serial line (default 9600; an optical probe takes the meter's)")
	f.BoolVar(&o.hdlc, "hdlc", false, "frame with HDLC over TCP (IEC 62056-46)")
	f.BoolVar(&o.wrapper, "wrapper", false, "frame with the wrapper over TCP (IEC 62056-47; the default over TCP)")
	f.Uint16Var(&o.client, "client", 0, "client `SAP` (default 16 without authentication, 17 with LLS, 1 with HLS-GMAC)")
	f.Uint16Var(&o.server, "server", 1, "server logical address (HDLC upper address, wrapper port)")
	f.Uint16Var(&o.physical, "physical", 0, "server physical address (HDLC lower address)")
	f.IntVar(&o.addressSize, "address-size", 0, "HDLC server address size in bytes: 1, 2 or 4 (default: the smallest that fits)")
	f.StringVar(&o.auth, "auth", "none", "authentication: none, lls or hls-gmac")
	f.StringVar(&o.password, "password", "", "LLS password; --password-file or "+envPassword+" keep it out of the process list")
	f.StringVar(&o.passwordFile, "password-file", "", "read the LLS password from `FILE`")
	f.StringVar(&o.ekFile, "ek-file", "", "HLS-GMAC: read the global encryption key from `FILE` (hex), or set "+envEK)
	f.StringVar(&o.akFile, "ak-file", "", "HLS-GMAC: read the authentication key from `FILE` (hex), or set "+envAK)
	f.StringVar(&o.systemTitle, "system-title", "", "HLS-GMAC: the head-end's own system title as `HEX` (16 digits; default 484553FF00000001, the head-end's), never the meter's")
	f.StringVar(&o.securityPolicy, "security", "", "HLS-GMAC: protection of the APDUs: none, authenticated, encrypted or authenticated-encrypted (the default)")
	f.Uint32Var(&o.invocationCount, "invocation-counter", 0, "HLS-GMAC: the first invocation counter `N` to send (default: the meter's, read through the public client, plus 1)")
	f.DurationVar(&o.timeout, "timeout", 0, "how long to wait for each answer of the meter (default 5s per HDLC frame, 10s per wrapper answer)")
	f.IntVar(&o.retries, "retries", 0, "HDLC retransmissions after a time-out (default 3), and new associations after the meter refused one with an exception response (default 1)")
	f.BoolVar(&o.trace, "trace", false, "print every frame both ways, in hex and decoded, on stderr (the LLS password masked)")
}

// target checks the flags that say where the meter is.
func (o *connectOptions) target() error {
	switch {
	case o.tcp == "" && o.serial == "":
		return badInput("say where the meter is: --tcp HOST:PORT or --serial DEVICE")
	case o.tcp != "" && o.serial != "":
		return badInput("--tcp and --serial: give one of them")
	case o.hdlc && o.wrapper:
		return badInput("--hdlc and --wrapper: give one of them")
	case o.serial != "" && o.wrapper:
		return badInput("--wrapper needs --tcp: a serial line carries HDLC")
	case o.tcp != "" && o.optical:
		return badInput("--optical needs --serial")
	case o.addressSize != 0 && o.addressSize != 1 && o.addressSize != 2 && o.addressSize != 4:
		return badInput("--address-size %d: want 1, 2 or 4", o.addressSize)
	case o.timeout < 0 || o.retries < 0 || o.baud < 0:
		return badInput("--timeout, --retries and --baud cannot be negative")
	}
	return nil
}

// association returns the client configuration and the client SAP that
// the flags ask for. Its errors never show a secret.
func (o *connectOptions) association() (meter.Config, uint16, error) {
	var cfg meter.Config
	var sap uint16
	switch o.auth {
	case "none":
		cfg.Auth, sap = meter.MechanismNone, sapPublic
	case "lls":
		cfg.Auth, sap = meter.MechanismLLS, sapTechnician
	case "hls-gmac":
		cfg.Auth, sap = meter.MechanismHLSGMAC, sapManagement
	default:
		return cfg, 0, badInput("--auth %q: want none, lls or hls-gmac", o.auth)
	}
	if o.clientSet {
		if o.client > math.MaxUint8 {
			return cfg, 0, badInput("--client %d: a client SAP is at most 255", o.client)
		}
		sap = o.client
	}
	password, err := o.lls()
	if err != nil {
		return cfg, 0, err
	}
	switch {
	case cfg.Auth == meter.MechanismLLS && password == nil:
		return cfg, 0, badInput("--auth lls needs a password: --password, --password-file or %s", envPassword)
	case cfg.Auth != meter.MechanismLLS && password != nil && (o.password != "" || o.passwordFile != ""):
		return cfg, 0, badInput("a password is for --auth lls")
	case cfg.Auth == meter.MechanismLLS:
		cfg.Password = meter.NewSecret(password)
	}
	hls := cfg.Auth == meter.MechanismHLSGMAC
	if !hls && (o.ekFile != "" || o.akFile != "" || o.systemTitle != "" || o.securityPolicy != "" || o.counterSet) {
		return cfg, 0, badInput("--ek-file, --ak-file, --system-title, --security and --invocation-counter are for --auth hls-gmac")
	}
	if !hls {
		return cfg, sap, nil
	}
	ek, err := loadKey("", "", "--ek-file", o.ekFile, envEK)
	if err != nil {
		return cfg, 0, err
	}
	ak, err := loadKey("", "", "--ak-file", o.akFile, envAK)
	if err != nil {
		return cfg, 0, err
	}
	if ek == nil || ak == nil {
		return cfg, 0, badInput("--auth hls-gmac needs the keys: --ek-file and --ak-file, or %s and %s", envEK, envAK)
	}
	cfg.Keys = security.Keys{Encryption: ek, Authentication: ak}
	if o.systemTitle == "" {
		cfg.SystemTitle = defaultSystemTitle()
	} else if cfg.SystemTitle, err = hex.DecodeString(o.systemTitle); err != nil || len(cfg.SystemTitle) != security.SystemTitleSize {
		return cfg, 0, badInput("--system-title %q: want %d bytes as %d hex digits", o.systemTitle, security.SystemTitleSize, 2*security.SystemTitleSize)
	}
	switch o.securityPolicy {
	case "", "authenticated-encrypted":
		cfg.Policy = security.PolicyAuthenticatedEncrypted
	case "authenticated":
		cfg.Policy = security.PolicyAuthenticated
	case "encrypted":
		cfg.Policy = security.PolicyEncrypted
	case "none":
		cfg.Policy = security.PolicyNone
	default:
		return cfg, 0, badInput("--security %q: want none, authenticated, encrypted or authenticated-encrypted", o.securityPolicy)
	}
	return cfg, sap, nil
}

// lls returns the LLS password from --password, --password-file or the
// environment, nil when none is given. A password file may end with a
// line break, which is not part of the password.
func (o *connectOptions) lls() ([]byte, error) {
	switch {
	case o.password != "" && o.passwordFile != "":
		return nil, badInput("--password and --password-file: give one of them")
	case o.password != "":
		return []byte(o.password), nil
	case o.passwordFile != "":
		b, err := os.ReadFile(o.passwordFile)
		if err != nil {
			return nil, badInput("--password-file: %v", err)
		}
		b = bytes.TrimRight(b, "\r\n")
		if len(b) == 0 {
			return nil, badInput("--password-file %s is empty", o.passwordFile)
		}
		return b, nil
	}
	if v := os.Getenv(envPassword); v != "" {
		return []byte(v), nil
	}
	return nil, nil
}

// dial opens a connected link to the meter for client SAP sap.
func (o *connectOptions) dial(ctx context.Context, sap uint16, trace transport.Trace) (meter.Link, error) {
	return openLink(ctx, linkTarget{
		tcp: o.tcp, serial: o.serial, optical: o.optical, baud: o.baud, hdlc: o.hdlc,
		server: o.server, physical: o.physical, addressSize: o.addressSize,
		timeout: o.timeout, retries: o.retries,
	}, sap, trace)
}

// withMeter opens the link and the association that the flags describe,
// runs fn, then releases the association and closes the link. With
// HLS-GMAC and no --invocation-counter, the meter's invocation counter is
// read first through the public client.
func (o *connectOptions) withMeter(cmd *cobra.Command, g *globals, fn func(ctx context.Context, c *meter.Client) error) error {
	o.clientSet = cmd.Flags().Changed("client")
	o.counterSet = cmd.Flags().Changed("invocation-counter")
	if err := o.target(); err != nil {
		return err
	}
	cfg, sap, err := o.association()
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		return err
	}
	cfg.Location = loc
	log := g.logger()
	cfg.Logger = log
	ctx := cmd.Context()
	var tr *tracer
	if o.trace {
		tr = newTracer(g.stderr, cfg.Password.Bytes(), cfg.Keys)
	}
	if cfg.Auth == meter.MechanismHLSGMAC {
		next := uint64(o.invocationCount)
		if !o.counterSet {
			link, err := o.dial(ctx, sapPublic, tr.link("public client"))
			if err != nil {
				return fmt.Errorf("link of the public client: %w", err)
			}
			ic, err := meter.ReadInvocationCounter(ctx, link)
			if err != nil {
				return fmt.Errorf("invocation counter through the public client: %w", err)
			}
			next = uint64(ic) + 1
			log.Debug().Uint32("meter_counter", ic).Msg("invocation counter read")
		}
		if next > math.MaxUint32 {
			return errors.New("the invocation counter of the keys is exhausted: the keys must be changed")
		}
		cfg.Counter = security.NewMemoryCounter(uint32(next))
	}
	retries := o.retries
	if retries == 0 {
		retries = 1
	}
	var c *meter.Client
	for attempt := 0; ; attempt++ {
		link, err := o.dial(ctx, sap, tr.link(fmt.Sprintf("client %d", sap)))
		if err != nil {
			return fmt.Errorf("link: %w%s", err, o.linkHint(err))
		}
		c, err = meter.Connect(ctx, link, cfg)
		if err == nil {
			break
		}
		link.Close()
		var exc *dlms.ExceptionError
		if !errors.As(err, &exc) || attempt >= retries {
			return associationHint(err)
		}
		log.Debug().Err(err).Int("attempt", attempt+1).Msg("association refused, retrying")
	}
	err = fn(ctx, c)
	if cerr := c.Close(ctx); cerr != nil {
		if err == nil {
			log.Warn().Err(cerr).Msg("the meter did not release the association cleanly")
		}
	}
	return err
}

// linkHint says what a technician can check when a meter stays silent.
func (o *connectOptions) linkHint(err error) string {
	var le *transport.LinkError
	if !errors.As(err, &le) || !le.Timeout() {
		return ""
	}
	switch {
	case o.tcp != "" && o.hdlc && o.physical == 0:
		return " (several meters behind one port answer only to their own --physical address)"
	case o.tcp != "" && !o.hdlc:
		return " (is the meter on HDLC rather than the wrapper? try --hdlc)"
	}
	return ""
}

// accessHint adds to a refused read what a technician can do about it.
func (o *connectOptions) accessHint(err error) error {
	if errors.Is(err, dlms.DataAccessScopeOfAccessViolated) && (o.auth == "" || o.auth == "none") {
		return fmt.Errorf("%w (the public client may not read it: try --auth lls or --auth hls-gmac)", err)
	}
	return err
}

// associationHint adds to a rejected association what a technician can
// do about the usual causes.
func associationHint(err error) error {
	var cse *dlms.ConfirmedServiceError
	if errors.As(err, &cse) && cse.Class == 0 && cse.Code == 6 {
		return fmt.Errorf("%w: the meter could not decipher the request: wrong keys or system title, or an invocation counter it has already seen", err)
	}
	return err
}

// tracer prints the frames of the links on stderr, in hex and decoded.
// The LLS password is masked in the hex; the decoding never shows it, nor
// a key.
type tracer struct {
	mu       sync.Mutex
	w        io.Writer
	password []byte
	keys     *security.Keys
}

func newTracer(w io.Writer, password []byte, keys security.Keys) *tracer {
	t := &tracer{w: w, password: password}
	if keys.Encryption != nil && keys.Authentication != nil {
		t.keys = &keys
	}
	return t
}

// link returns the trace of one link, named name; nil without --trace.
func (t *tracer) link(name string) transport.Trace {
	if t == nil {
		return nil
	}
	d, err := dlmsdump.New(dlmsdump.Options{Keys: t.keys})
	if err != nil {
		d = nil
	}
	return func(dir transport.Direction, frame []byte) {
		t.mu.Lock()
		defer t.mu.Unlock()
		// The session file format of hes dlms decode: "C->S <hex>" and
		// "S->C <hex>" lines, everything else a "#" comment, so that a trace
		// can be decoded again with hes dlms decode --file.
		arrow := "C->S"
		if dir == transport.Received {
			arrow = "S->C"
		}
		fmt.Fprintf(t.w, "# %s %s\n", name, dir)
		if masked, ok := t.mask(frame); ok {
			fmt.Fprintf(t.w, "# %s %s (LLS password masked)\n", arrow, masked)
		} else {
			fmt.Fprintf(t.w, "%s %s\n", arrow, masked)
		}
		if d == nil {
			return
		}
		cdir := dlmsdump.ClientToServer
		if dir == transport.Received {
			cdir = dlmsdump.ServerToClient
		}
		recs, err := d.Dump(dlmsdump.Chunk{Direction: cdir, Bytes: bytes.Clone(frame)})
		var b strings.Builder
		if werr := dlmsdump.WriteText(&b, recs); werr == nil {
			for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
				fmt.Fprintf(t.w, "#     %s\n", line)
			}
		}
		if err != nil {
			fmt.Fprintf(t.w, "#     (not decoded: %v)\n", err)
		}
	}
}

// mask returns frame in hex, the bytes of the LLS password replaced by
// "**", and whether anything was masked.
func (t *tracer) mask(frame []byte) (string, bool) {
	s := strings.ToUpper(hex.EncodeToString(frame))
	masked := false
	if len(t.password) == 0 {
		return s, false
	}
	for from := 0; ; {
		i := bytes.Index(frame[from:], t.password)
		if i < 0 {
			return s, masked
		}
		i += from
		s = s[:2*i] + strings.Repeat("**", len(t.password)) + s[2*(i+len(t.password)):]
		masked = true
		from = i + len(t.password)
	}
}
