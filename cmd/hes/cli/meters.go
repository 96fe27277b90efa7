package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/meter"
)

// defaultMeterProfile is the profile of a meter added without --profile, and
// the one whose roles name the objects of the technician's commands.
const defaultMeterProfile = "be-elec-default"

// meterStoreOptions are the options of the commands on the meter
// registry: the store, the configuration and the master key file.
type meterStoreOptions struct {
	storeOptions
	masterKeyFile string
}

// addFlags declares --store, --config and --master-key-file on cmd and its
// sub-commands.
func (o *meterStoreOptions) addFlags(cmd *cobra.Command) {
	o.storeOptions.addFlags(cmd)
	cmd.PersistentFlags().StringVar(&o.masterKeyFile, "master-key-file", "",
		"`FILE` holding the master key that seals the meters' keys (default: $"+envMasterKeyFile+", else the configuration's master_key_file, else $"+meter.EnvMasterKey+" holds the key)")
}

// masterKeyUse says whether a command needs the master key.
type masterKeyUse int

const (
	withoutMasterKey masterKeyUse = iota // the command never opens keys
	ifMasterKey                          // the command shows more when the master key is given
	needsMasterKey                       // the command seals or opens keys
)

// withMeters opens the store and the meter registry for the command cmd,
// with the master key when use asks for it, runs fn and closes the store.
// sealed tells fn whether the registry can open keys. A request that the
// registry refuses becomes a bad-input error (exit status 2).
func (o *meterStoreOptions) withMeters(cmd *cobra.Command, g *globals, use masterKeyUse, fn func(s *meter.Store, sealed bool) error) (err error) {
	cfg, err := o.headEndConfig()
	if err != nil {
		return err
	}
	now, err := clock()
	if err != nil {
		return err
	}
	var sealer *meter.KeySealer
	if use != withoutMasterKey {
		if sealer, err = o.sealer(cfg); err != nil && (use == needsMasterKey || !errors.Is(err, meter.ErrNoMasterKey)) {
			return err
		}
	}
	path, db, s, err := o.openMeterStore(cfg, sealer, now, storeLogger(cmd, g))
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing store %s: %w", path, cerr)
		}
	}()
	return meterRefusal(fn(s, sealer != nil))
}

// sealer loads the master key: from --master-key-file, else the
// configuration's master_key_file, else HES_MASTER_KEY. Without any, the
// error is bad input wrapping meter.ErrNoMasterKey.
func (o *meterStoreOptions) sealer(cfg Config) (*meter.KeySealer, error) {
	k, err := meter.LoadMasterKey(firstNonEmpty(o.masterKeyFile, cfg.MasterKeyFile), "")
	switch {
	case errors.Is(err, meter.ErrNoMasterKey):
		return nil, &usageError{err: fmt.Errorf("%w: set %s or master_key_file (or give --master-key-file)", meter.ErrNoMasterKey, meter.EnvMasterKey)}
	case err != nil:
		return nil, &usageError{err: errors.New(withoutPackagePrefix(err.Error()))}
	}
	return meter.NewKeySealer(k)
}

// meterRefusal turns a request that the registry refuses (an unknown
// meter, an id or EAN taken, an invalid meter or key) into a bad-input
// error with its reason; other errors pass unchanged.
func meterRefusal(err error) error {
	if err == nil {
		return nil
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return err
	}
	for _, target := range []error{
		meter.ErrUnknownMeter, meter.ErrMeterExists, meter.ErrEANInUse, meter.ErrInvalidMeter, meter.ErrEAN,
		meter.ErrUnknownProfile, meter.ErrKeyFormat, meter.ErrNoKeys, meter.ErrNoPendingKeys,
	} {
		if errors.Is(err, target) {
			return &usageError{err: errors.New(withoutPackagePrefix(err.Error()))}
		}
	}
	return err
}

// withoutPackagePrefix removes the "meter: " that the meter package puts
// before its errors, at the start and after a cause: the command line
// speaks of meters already.
func withoutPackagePrefix(msg string) string {
	return strings.ReplaceAll(strings.TrimPrefix(msg, "meter: "), ": meter: ", ": ")
}

func newMetersCmd(g *globals) *cobra.Command {
	o := &meterStoreOptions{}
	cmd := &cobra.Command{
		Use:   "meters",
		Short: "Register, import, list, show and remove meters",
		Long: `Register, import, list, show and remove the meters of the head-end: who
they are (id, EAN), what they measure, their profile, how to reach them and
how to address them. Their keys are kept sealed under the master key; no
command ever prints them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	o.addFlags(cmd)
	cmd.AddCommand(
		newMetersAddCmd(g, o),
		newMetersImportCmd(g, o),
		newMetersListCmd(g, o),
		newMetersShowCmd(g, o),
		newMetersRemoveCmd(g, o),
	)
	return cmd
}

type metersAddOptions struct {
	id, ean, energy, profile string
	tcp, framing             string
	serial                   string
	optical                  bool
	concentrator, dcMeter    string
	server, physical         uint16
	addressSize              int
	systemTitle              string
	gasEAN                   string
	gasChannel               uint8
	keysFile                 string
}

func newMetersAddCmd(g *globals, so *meterStoreOptions) *cobra.Command {
	o := &metersAddOptions{}
	cmd := &cobra.Command{
		Use:   "add --id ID --ean EAN (--tcp HOST:PORT | --serial DEVICE | --concentrator DC) [--keys-file FILE]",
		Short: "Register a meter",
		Long: `Register a meter: its id, its EAN, its profile and one link.

  --tcp HOST:PORT           TCP to the meter (wrapper framing unless --framing hdlc)
  --serial DEVICE           a serial line, HDLC framing; --optical for an
                            IEC 62056-21 optical probe (mode E sign-on)
  --concentrator DC         through data concentrator DC; --concentrator-meter
                            is the meter's id there (default: --id)

The energy, the server address and the associations are the profile's unless
given; an HDLC address is 4 bytes unless --address-size says 1 or 2. A gas
meter on the M-Bus is given by --gas-ean (channel 1 unless --gas-channel).

The keys are read from a JSON file, never from the command line:
  {"ek": "000102…0f", "ak": "…", "kek": "…", "lls_password": "…"}
in hexadecimal, the keys object of the simulator's inventory. A meter added
without keys is registered, and cannot be read until hes keys set gives them.`,
		Example: `  hes meters add --id MTR00001 --ean 541448820000000015 --tcp 10.1.2.3:4059 --keys-file mtr00001.keys.json
  hes meters add --id MTR00002 --ean 541448820000000022 --serial /dev/ttyUSB0 --optical --physical 17 --keys-file k.json
  hes meters add --id MTR00003 --ean 541448820000000039 --concentrator DC042 --gas-ean 541448820000000046 --keys-file k.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, g, so)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.id, "id", "", "the head-end's id of the meter (1 to 64 printable characters)")
	f.StringVar(&o.ean, "ean", "", "the meter's 18-digit EAN")
	f.StringVar(&o.energy, "energy", "", "electricity or gas (default: the profile's)")
	f.StringVar(&o.profile, "profile", defaultMeterProfile, "the meter profile")
	f.StringVar(&o.tcp, "tcp", "", "reach the meter over TCP at `HOST:PORT`")
	f.StringVar(&o.framing, "framing", "", "hdlc or wrapper (default: wrapper over TCP and concentrators, hdlc on serial lines)")
	f.StringVar(&o.serial, "serial", "", "reach the meter on the serial `DEVICE`")
	f.BoolVar(&o.optical, "optical", false, "the serial device is an optical probe")
	f.StringVar(&o.concentrator, "concentrator", "", "reach the meter through the data concentrator `DC`")
	f.StringVar(&o.dcMeter, "concentrator-meter", "", "the meter's `ID` at the concentrator (default: --id)")
	f.Uint16Var(&o.server, "server", 0, "the server logical address (default: the profile's)")
	f.Uint16Var(&o.physical, "physical", 0, "the HDLC physical (lower) address")
	f.IntVar(&o.addressSize, "address-size", 0, "the size of the HDLC server address in bytes: 1, 2 or 4 (default 4 on HDLC)")
	f.StringVar(&o.systemTitle, "system-title", "", "the meter's system title, 16 hexadecimal digits, when known")
	f.StringVar(&o.gasEAN, "gas-ean", "", "the EAN of the gas meter on the M-Bus")
	f.Uint8Var(&o.gasChannel, "gas-channel", 1, "the M-Bus channel of the gas meter, 1 to 4")
	f.StringVar(&o.keysFile, "keys-file", "", "JSON `FILE` with the meter's keys in hexadecimal")
	_ = cmd.MarkFlagRequired("id")
	_ = cmd.MarkFlagRequired("ean")
	return cmd
}

// meter builds the registry entry from the flags.
func (o *metersAddOptions) meter(cmd *cobra.Command) (meter.Meter, error) {
	m := meter.Meter{
		ID: o.id, EAN: o.ean, Energy: meter.Energy(o.energy), Profile: o.profile,
		Link:      meter.LinkSpec{Framing: meter.Framing(o.framing)},
		Addresses: meter.Addresses{Server: o.server, Physical: o.physical, HDLCSize: o.addressSize},
	}
	var kinds []string
	if o.tcp != "" {
		kinds = append(kinds, "--tcp")
		m.Link.Kind, m.Link.Address = meter.LinkTCP, o.tcp
	}
	if o.serial != "" {
		kinds = append(kinds, "--serial")
		m.Link.Kind, m.Link.Device, m.Link.Optical = meter.LinkSerial, o.serial, o.optical
	}
	if o.concentrator != "" {
		kinds = append(kinds, "--concentrator")
		m.Link.Kind, m.Link.Concentrator, m.Link.ConcentratorMeter = meter.LinkConcentrator, o.concentrator, o.dcMeter
	}
	switch {
	case len(kinds) == 0:
		return m, badInput("no link: give --tcp HOST:PORT, --serial DEVICE or --concentrator DC")
	case len(kinds) > 1:
		return m, badInput("%s: give one link", strings.Join(kinds, " and "))
	case o.optical && o.serial == "":
		return m, badInput("--optical is for a --serial device")
	case o.dcMeter != "" && o.concentrator == "":
		return m, badInput("--concentrator-meter needs --concentrator")
	}
	if o.energy != "" && m.Energy != meter.EnergyElectricity && m.Energy != meter.EnergyGas {
		return m, badInput("--energy %q: want electricity or gas", o.energy)
	}
	if o.systemTitle != "" {
		if err := m.SystemTitle.UnmarshalText([]byte(o.systemTitle)); err != nil || len(m.SystemTitle) != 8 {
			return m, badInput("--system-title %q: want 16 hexadecimal digits", o.systemTitle)
		}
	}
	switch {
	case o.gasEAN != "":
		m.Gas = &meter.GasMeter{Channel: o.gasChannel, EAN: o.gasEAN}
	case cmd.Flags().Changed("gas-channel"):
		return m, badInput("--gas-channel needs --gas-ean")
	}
	return m, nil
}

func (o *metersAddOptions) run(cmd *cobra.Command, g *globals, so *meterStoreOptions) error {
	m, err := o.meter(cmd)
	if err != nil {
		return err
	}
	var keys *meter.Keys
	use := withoutMasterKey
	if o.keysFile != "" {
		k, err := readKeysFile(o.keysFile)
		if err != nil {
			return err
		}
		keys, use = &k, needsMasterKey
	}
	return so.withMeters(cmd, g, use, func(s *meter.Store, sealed bool) error {
		if keys != nil {
			if err := checkRequiredKeys(s, m.Profile, *keys, o.keysFile); err != nil {
				return err
			}
		}
		if err := s.Add(m); err != nil {
			return err
		}
		if keys != nil {
			if err := s.PutKeys(m.ID, *keys); err != nil {
				if rerr := s.Remove(m.ID); rerr != nil {
					return fmt.Errorf("keys of meter %s: %w; and the meter stays registered without keys: %v", m.ID, err, rerr)
				}
				return fmt.Errorf("keys of meter %s: %w; the meter was not added", m.ID, err)
			}
		}
		stored, err := s.Get(m.ID)
		if err != nil {
			return err
		}
		if g.json {
			d, err := newMeterDetail(s, stored, sealed)
			if err != nil {
				return err
			}
			return writeJSON(g.stdout, d)
		}
		fmt.Fprintf(g.stdout, "meter %s added: %s, EAN %s, profile %s, %s\n",
			stored.ID, stored.Energy, stored.EAN, stored.Profile, linkText(stored.Link))
		if keys == nil {
			fmt.Fprintf(g.stdout, "no keys yet: give them with hes keys set %s --keys-file FILE\n", stored.ID)
		} else {
			fmt.Fprintf(g.stdout, "keys installed: %s\n", strings.Join(keys.Present(), ", "))
		}
		return nil
	})
}

// readKeysFile reads a meter's keys from a JSON object of hexadecimal
// strings, the keys object of the inventory. No error repeats what the
// file holds.
func readKeysFile(path string) (meter.Keys, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return meter.Keys{}, badInput("--keys-file: %v", err)
	}
	defer clear(b)
	var ik meter.InventoryKeys
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err = dec.Decode(&ik)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("data after the keys object")
		}
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return meter.Keys{}, badInput("keys file %s: not JSON at line %d", path, bytes.Count(b[:min(int(se.Offset), len(b))], []byte{'\n'})+1)
	case errors.As(err, &te):
		return meter.Keys{}, badInput("keys file %s: key %q: want a string of hexadecimal digits", path, te.Field)
	case err != nil:
		// An unknown field names the field, never a value.
		return meter.Keys{}, badInput("keys file %s: %v; want an object {\"ek\": \"…\", \"ak\": \"…\", \"kek\": \"…\", \"lls_password\": \"…\"}",
			path, strings.TrimPrefix(err.Error(), "json: "))
	}
	k, err := ik.Parse()
	if err != nil {
		return meter.Keys{}, badInput("keys file %s: %s", path, withoutPackagePrefix(strings.ReplaceAll(err.Error(), "\n", "; ")))
	}
	if len(k.Present()) == 0 {
		return meter.Keys{}, badInput("keys file %s: no key", path)
	}
	return k, nil
}

// checkRequiredKeys refuses keys that lack one that the meter's profile
// needs.
func checkRequiredKeys(s *meter.Store, profile string, k meter.Keys, file string) error {
	p, err := s.Profile(profile)
	if err != nil {
		return err
	}
	if missing := k.Missing(p.RequiredKeys()); len(missing) > 0 {
		return badInput("keys file %s: missing key %s (profile %s needs %s)",
			file, strings.Join(missing, ", "), p.Name, strings.Join(p.RequiredKeys(), ", "))
	}
	return nil
}

func newMetersImportCmd(g *globals, so *meterStoreOptions) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Register the meters of an inventory (JSON) or a CSV file, all or nothing",
		Long: `Register the meters of a file with their keys, all or nothing: the
simulator's inventory (JSON, {"meters": [...]}) or a CSV file with a header
line (see docs/cli-meters.md for the columns). The format is told by the
extension (.json, .csv), else by the content; --format forces it.

When anything is wrong, nothing is registered: every problem is printed on
stderr, one per line with its line in the file, then a summary, and the exit
status is 2. The keys are sealed under the master key, which is needed.`,
		Example: `  hes meters import fleet.json
  hes meters import --format csv meters.txt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			b, err := os.ReadFile(path)
			if err != nil {
				return badInput("import: %v", err)
			}
			defer clear(b)
			isJSON, err := importFormat(format, path, b)
			if err != nil {
				return err
			}
			return so.withMeters(cmd, g, needsMasterKey, func(s *meter.Store, sealed bool) error {
				var n int
				if isJSON {
					n, err = s.ImportInventory(bytes.NewReader(b))
				} else {
					n, err = s.ImportCSV(bytes.NewReader(b))
				}
				var ie meter.ImportErrors
				if errors.As(err, &ie) {
					for _, e := range ie {
						fmt.Fprintf(g.stderr, "%s: %s\n", path, oneLine(withoutPackagePrefix(strings.ReplaceAll(e.Error(), "\n", "; "))))
					}
					return badInput("import %s: %d %s, nothing imported", path, len(ie), plural(len(ie), "error", "errors"))
				}
				if err != nil {
					return fmt.Errorf("import %s: %w", path, err)
				}
				if g.json {
					return writeJSON(g.stdout, struct {
						File     string `json:"file"`
						Imported int    `json:"imported"`
					}{path, n})
				}
				_, err = fmt.Fprintf(g.stdout, "imported %d %s from %s\n", n, plural(n, "meter", "meters"), path)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "auto", "auto, inventory (JSON) or csv")
	return cmd
}

// importFormat tells whether the file is an inventory (JSON) rather than
// CSV: by --format, else by its extension, else by its first character.
func importFormat(format, path string, b []byte) (isJSON bool, err error) {
	switch strings.ToLower(format) {
	case "inventory", "json":
		return true, nil
	case "csv":
		return false, nil
	case "auto", "":
	default:
		return false, badInput("--format %q: want auto, inventory or csv", format)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return true, nil
	case ".csv":
		return false, nil
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\ufeff")), " \t\r\n")
	return len(t) > 0 && t[0] == '{', nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func newMetersListCmd(g *globals, so *meterStoreOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the meters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return so.withMeters(cmd, g, withoutMasterKey, func(s *meter.Store, sealed bool) error {
				ms, err := s.List()
				if err != nil {
					return err
				}
				if g.json {
					if ms == nil {
						ms = []meter.Meter{}
					}
					return writeJSON(g.stdout, ms)
				}
				tw := newTable(g.stdout)
				fmt.Fprintln(tw, "ID\tEAN\tENERGY\tPROFILE\tLINK\tADDRESS\tGAS EAN")
				for _, m := range ms {
					gas := "-"
					if m.Gas != nil {
						gas = m.Gas.EAN
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cell(m.ID), m.EAN, m.Energy, cell(m.Profile),
						cell(linkText(m.Link)+" "+string(m.Link.Framing)), addressText(m), gas)
				}
				return tw.Flush()
			})
		},
	}
}

// linkText says how a meter is reached: "tcp 10.1.2.3:4059", "serial
// /dev/ttyUSB0 optical", "concentrator DC042 meter MTR00003".
func linkText(l meter.LinkSpec) string {
	switch l.Kind {
	case meter.LinkTCP:
		return "tcp " + l.Address
	case meter.LinkSerial:
		if l.Optical {
			return "serial " + l.Device + " optical"
		}
		return "serial " + l.Device
	case meter.LinkConcentrator:
		return "concentrator " + l.Concentrator + " meter " + l.ConcentratorMeter
	}
	return string(l.Kind)
}

// addressText gives the server address, and the physical address after a
// slash on HDLC: "1", "1/17".
func addressText(m meter.Meter) string {
	if m.Link.Framing == meter.FramingHDLC {
		return fmt.Sprintf("%d/%d", m.Addresses.Server, m.Addresses.Physical)
	}
	return strconv.Itoa(int(m.Addresses.Server))
}

// meterDetail is a meter as hes meters show prints it: the registry entry
// and the state of its keys, never the keys.
type meterDetail struct {
	meter.Meter
	Keys keyReport `json:"keys"`
}

// keyReport is the state of a meter's keys: whether it has current and
// pending keys and, when the master key opens them, which keys they hold,
// the next invocation counter that each ciphering client sends, and the
// last counter received from the meter.
type keyReport struct {
	Current bool `json:"current"`
	Pending bool `json:"pending"`
	// Opened tells that the master key was given: the fields below are
	// known.
	Opened       bool            `json:"opened"`
	CurrentKeys  []string        `json:"current_keys,omitempty"`
	PendingKeys  []string        `json:"pending_keys,omitempty"`
	Counters     []counterReport `json:"counters,omitempty"`
	LastReceived *uint32         `json:"last_received,omitempty"`
}

// counterReport is the sending invocation counter of one client of a
// meter under its current encryption key.
type counterReport struct {
	Association string `json:"association"`
	ClientSAP   uint16 `json:"client_sap"`
	NextSend    uint32 `json:"next_send"`
	Exhausted   bool   `json:"exhausted,omitempty"`
}

func newMeterDetail(s *meter.Store, m meter.Meter, sealed bool) (meterDetail, error) {
	r, err := newKeyReport(s, m, sealed)
	return meterDetail{Meter: m, Keys: r}, err
}

// newKeyReport reads the state of m's keys; with sealed, it opens them to
// tell which are set and to read the counters under the current key.
func newKeyReport(s *meter.Store, m meter.Meter, sealed bool) (keyReport, error) {
	st, err := s.KeyStatus(m.ID)
	if err != nil {
		return keyReport{}, err
	}
	r := keyReport{Current: st.Current, Pending: st.Pending, Opened: sealed}
	if !sealed {
		return r, nil
	}
	if st.Pending {
		k, err := s.PendingKeys(m.ID)
		if err != nil {
			return r, err
		}
		r.PendingKeys = k.Present()
	}
	if !st.Current {
		return r, nil
	}
	k, err := s.Keys(m.ID)
	if err != nil {
		return r, err
	}
	r.CurrentKeys = k.Present()
	if k.EK.IsZero() {
		return r, nil
	}
	p, err := s.Profile(m.Profile)
	if err != nil {
		return r, err
	}
	for _, a := range m.Associations {
		spec, ok := p.Association(a.Name)
		if !ok || spec.Policy == security.PolicyNone && spec.Authentication != meter.MechanismHLSGMAC {
			continue // this client sends no invocation counter
		}
		c, err := s.SendCounter(m.ID, a.ClientSAP, k.EK)
		if err != nil {
			return r, err
		}
		next, ok, err := c.Next()
		if err != nil {
			return r, err
		}
		r.Counters = append(r.Counters, counterReport{Association: a.Name, ClientSAP: a.ClientSAP, NextSend: next, Exhausted: !ok})
	}
	guard, err := s.ReplayGuard(m.ID, k.EK)
	if err != nil {
		return r, err
	}
	if last, ok := guard.Last(); ok {
		r.LastReceived = &last
	}
	return r, nil
}

// rows writes the report as rows of a key-value table.
func (r keyReport) rows(row func(k, format string, args ...any)) {
	status := func(present bool, names []string) string {
		switch {
		case !present:
			return "none"
		case names == nil:
			return "present"
		}
		return "present: " + strings.Join(names, ", ")
	}
	row("Keys", "%s", status(r.Current, r.CurrentKeys))
	row("Pending keys", "%s", status(r.Pending, r.PendingKeys))
	switch {
	case !r.Current:
		return
	case !r.Opened:
		row("Invocation counters", "shown with the master key")
		return
	}
	for _, c := range r.Counters {
		next := strconv.FormatUint(uint64(c.NextSend), 10)
		if c.Exhausted {
			next = "exhausted: change the keys"
		}
		row("Next counter to send", "%s (client %d): %s", c.Association, c.ClientSAP, next)
	}
	last := "none yet"
	if r.LastReceived != nil {
		last = strconv.FormatUint(uint64(*r.LastReceived), 10)
	}
	row("Last counter received", "%s", last)
}

func newMetersShowCmd(g *globals, so *meterStoreOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a meter: identity, link, addresses, associations, the state of its keys",
		Long: `Show everything the head-end keeps about a meter but its keys: its identity,
link, addresses and associations, whether it has current and pending keys
and, when the master key is given, which keys they are and the invocation
counters.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return so.withMeters(cmd, g, ifMasterKey, func(s *meter.Store, sealed bool) error {
				m, err := s.Get(args[0])
				if err != nil {
					return err
				}
				d, err := newMeterDetail(s, m, sealed)
				if err != nil {
					return err
				}
				if g.json {
					return writeJSON(g.stdout, d)
				}
				return printMeterDetail(g.stdout, d, s)
			})
		},
	}
}

func printMeterDetail(w io.Writer, d meterDetail, s *meter.Store) error {
	m := d.Meter
	tw := newTable(w)
	row := func(k, format string, args ...any) {
		fmt.Fprintf(tw, "%s\t%s\n", k, cell(fmt.Sprintf(format, args...)))
	}
	row("ID", "%s", m.ID)
	row("EAN", "%s", m.EAN)
	row("Energy", "%s", m.Energy)
	row("Profile", "%s", m.Profile)
	row("Link", "%s", linkText(m.Link))
	row("Framing", "%s", m.Link.Framing)
	if m.Link.Framing == meter.FramingHDLC {
		row("Addresses", "server %d, physical %d, %d-byte HDLC address", m.Addresses.Server, m.Addresses.Physical, m.Addresses.HDLCSize)
	} else {
		row("Addresses", "server %d", m.Addresses.Server)
	}
	as := make([]string, len(m.Associations))
	for i, a := range m.Associations {
		as[i] = fmt.Sprintf("%s (client %d)", a.Name, a.ClientSAP)
	}
	row("Associations", "%s", strings.Join(as, ", "))
	if len(m.SystemTitle) > 0 {
		row("System title", "%s", m.SystemTitle)
	} else {
		row("System title", "unknown")
	}
	if m.Gas != nil {
		row("Gas meter", "EAN %s on M-Bus channel %d", m.Gas.EAN, m.Gas.Channel)
	} else {
		row("Gas meter", "none")
	}
	row("Added", "%s", localTime(m.Added, s.Location()))
	row("Updated", "%s", localTime(m.Updated, s.Location()))
	d.Keys.rows(row)
	return tw.Flush()
}

func newMetersRemoveCmd(g *globals, so *meterStoreOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "remove ID",
		Short: "Remove a meter and its keys; its readings and counters stay",
		Long: `Remove a meter from the registry with its current and pending keys. Its
readings stay, and so do its invocation counters, so that a meter registered
again never sees a counter value twice.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return so.withMeters(cmd, g, withoutMasterKey, func(s *meter.Store, sealed bool) error {
				if err := s.Remove(args[0]); err != nil {
					return err
				}
				if g.json {
					return writeJSON(g.stdout, struct {
						ID      string `json:"id"`
						Removed bool   `json:"removed"`
					}{args[0], true})
				}
				_, err := fmt.Fprintf(g.stdout, "meter %s removed with its keys; its readings and invocation counters stay\n", args[0])
				return err
			})
		},
	}
}
