package meter

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Inventory is the file in which the simulator lists its meters and that
// ImportInventory reads:
//
//	{"meters": [{"id": "SIM00001", "ean": "541234567890123458", "energy": "electricity",
//	  "profile": "be-elec-default", "address": "127.0.0.1:4059", "framing": "wrapper",
//	  "physical_address": 17, "system_title": "4845530000000001",
//	  "keys": {"ek": "…", "ak": "…", "kek": "…", "lls_password": "…"},
//	  "gas": {"channel": 1, "ean": "541234567890123465"}}]}
//
// Keys and the system title are hexadecimal. The simulator writes the file
// with these types (WriteInventory), so that both sides agree on it.
type Inventory struct {
	Meters []InventoryMeter `json:"meters"`
}

// InventoryMeter is one meter of an Inventory; see Meter for the fields.
type InventoryMeter struct {
	ID      string `json:"id"`
	EAN     string `json:"ean"`
	Energy  Energy `json:"energy,omitempty"`
	Profile string `json:"profile"`
	// Link is tcp, serial or concentrator; guessed from the fields that
	// are set when empty.
	Link              LinkKind           `json:"link,omitempty"`
	Address           string             `json:"address,omitempty"`
	Framing           Framing            `json:"framing,omitempty"`
	Device            string             `json:"device,omitempty"`
	Optical           bool               `json:"optical,omitempty"`
	Concentrator      string             `json:"concentrator,omitempty"`
	ConcentratorMeter string             `json:"concentrator_meter,omitempty"`
	ServerAddress     uint16             `json:"server_address,omitempty"`
	PhysicalAddress   uint16             `json:"physical_address"`
	HDLCAddressSize   int                `json:"hdlc_address_size,omitempty"`
	Associations      []MeterAssociation `json:"associations,omitempty"`
	SystemTitle       Hex                `json:"system_title,omitempty"`
	Keys              InventoryKeys      `json:"keys"`
	Gas               *InventoryGas      `json:"gas,omitempty"`
}

// InventoryKeys are the keys of an inventory meter, in hexadecimal. The
// inventory is the one file that holds keys in clear; printing an
// InventoryKeys with fmt still redacts them.
type InventoryKeys struct {
	EK          string `json:"ek,omitempty"`
	AK          string `json:"ak,omitempty"`
	KEK         string `json:"kek,omitempty"`
	LLSPassword string `json:"lls_password,omitempty"`
	HLSSecret   string `json:"hls_secret,omitempty"`
}

// InventoryGas is the gas meter of an inventory meter.
type InventoryGas struct {
	Channel uint8  `json:"channel"`
	EAN     string `json:"ean"`
}

// NewInventoryKeys writes k in hexadecimal.
func NewInventoryKeys(k Keys) InventoryKeys {
	return InventoryKeys{EK: k.EK.Hex(), AK: k.AK.Hex(), KEK: k.KEK.Hex(), LLSPassword: k.LLSPassword.Hex(), HLSSecret: k.HLSSecret.Hex()}
}

func (k *InventoryKeys) field(name string) *string {
	switch name {
	case "ek":
		return &k.EK
	case "ak":
		return &k.AK
	case "kek":
		return &k.KEK
	case "lls_password":
		return &k.LLSPassword
	case "hls_secret":
		return &k.HLSSecret
	}
	return nil
}

// Format prints the keys redacted, for every verb.
func (k InventoryKeys) Format(f fmt.State, _ rune) {
	r := func(s string) string {
		if s == "" {
			return "none"
		}
		return "[redacted]"
	}
	fmt.Fprintf(f, "meter.InventoryKeys{EK:%s AK:%s KEK:%s LLSPassword:%s HLSSecret:%s}",
		r(k.EK), r(k.AK), r(k.KEK), r(k.LLSPassword), r(k.HLSSecret))
}

// Parse decodes the keys. Every malformed key is reported, by name and
// position, never by content.
func (k InventoryKeys) Parse() (Keys, error) {
	var out Keys
	var errs []error
	for _, n := range keyNames {
		s, err := ParseHexSecret(*k.field(n))
		if err != nil {
			errs = append(errs, fmt.Errorf("key %s: %w", n, err))
			continue
		}
		*out.field(n) = s
	}
	if err := errors.Join(errs...); err != nil {
		return Keys{}, err
	}
	return out, out.Validate()
}

// NewInventoryMeter returns the inventory entry of m with keys k.
func NewInventoryMeter(m Meter, k Keys) InventoryMeter {
	im := InventoryMeter{
		ID: m.ID, EAN: m.EAN, Energy: m.Energy, Profile: m.Profile,
		Link: m.Link.Kind, Address: m.Link.Address, Framing: m.Link.Framing, Device: m.Link.Device,
		Optical: m.Link.Optical, Concentrator: m.Link.Concentrator, ConcentratorMeter: m.Link.ConcentratorMeter,
		ServerAddress: m.Addresses.Server, PhysicalAddress: m.Addresses.Physical, HDLCAddressSize: m.Addresses.HDLCSize,
		Associations: m.Associations, SystemTitle: m.SystemTitle, Keys: NewInventoryKeys(k),
	}
	if m.Gas != nil {
		im.Gas = &InventoryGas{Channel: m.Gas.Channel, EAN: m.Gas.EAN}
	}
	return im
}

// Meter returns the registry entry of m, before the store's checks and
// defaults.
func (m InventoryMeter) Meter() Meter {
	out := Meter{
		ID: m.ID, EAN: m.EAN, Energy: m.Energy, Profile: m.Profile,
		Link: LinkSpec{
			Kind: m.Link, Framing: m.Framing, Address: m.Address, Device: m.Device, Optical: m.Optical,
			Concentrator: m.Concentrator, ConcentratorMeter: m.ConcentratorMeter,
		},
		Addresses:    Addresses{Server: m.ServerAddress, Physical: m.PhysicalAddress, HDLCSize: m.HDLCAddressSize},
		Associations: m.Associations,
		SystemTitle:  m.SystemTitle,
	}
	if m.Gas != nil {
		out.Gas = &GasMeter{Channel: m.Gas.Channel, EAN: m.Gas.EAN}
	}
	return out
}

// WriteInventory writes inv as indented JSON.
func WriteInventory(w io.Writer, inv Inventory) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(inv)
}

// ImportError is one problem of an imported file, located by line (CSV,
// and the line where a JSON meter starts) and, for an inventory, by the
// meter's index in "meters".
type ImportError struct {
	Line  int    // 1-based; 0 when unknown
	Index int    // inventory: index in "meters"; -1 for CSV and whole-file errors
	ID    string // the meter's id, when known
	Err   error
}

func (e *ImportError) Error() string {
	var b strings.Builder
	if e.Index >= 0 {
		fmt.Fprintf(&b, "meters[%d]", e.Index)
		if e.ID != "" {
			fmt.Fprintf(&b, " (id %s)", e.ID)
		}
		if e.Line > 0 {
			fmt.Fprintf(&b, " at line %d", e.Line)
		}
	} else {
		if e.Line > 0 {
			fmt.Fprintf(&b, "line %d", e.Line)
		}
		if e.ID != "" {
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "meter %s", e.ID)
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ImportError) Unwrap() error { return e.Err }

// ImportErrors are all the problems of an imported file; the import then
// stored nothing.
type ImportErrors []*ImportError

func (e ImportErrors) Error() string {
	lines := make([]string, len(e))
	for i, x := range e {
		lines[i] = x.Error()
	}
	return fmt.Sprintf("meter: import: %d error(s), nothing imported:\n%s", len(e), strings.Join(lines, "\n"))
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (e ImportErrors) Unwrap() []error {
	out := make([]error, len(e))
	for i, x := range e {
		out[i] = x
	}
	return out
}

// importItem is one meter to import, with where it came from.
type importItem struct {
	line, index int
	m           InventoryMeter
}

// ImportInventory registers the meters of an inventory (see Inventory)
// with their keys, all or nothing: when anything is wrong it stores nothing
// and returns ImportErrors listing every problem it found (malformed JSON,
// unknown field, bad EAN or check digit, duplicate id or EAN in the file
// or in the store, unknown profile, missing or malformed key, invalid
// link or addresses). It returns the number of meters imported.
func (s *Store) ImportInventory(r io.Reader) (int, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return 0, fmt.Errorf("meter: import: %w", err)
	}
	items, perr := parseInventory(data)
	if perr != nil {
		return 0, ImportErrors{perr}
	}
	return s.importItems(items)
}

// lineAt returns the 1-based line of byte offset off in data.
func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

func parseInventory(data []byte) ([]importItem, *ImportError) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	fail := func(err error) *ImportError {
		off := dec.InputOffset()
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			off = se.Offset
		case errors.As(err, &te):
			off = te.Offset
		}
		return &ImportError{Line: lineAt(data, off), Index: -1, Err: err}
	}
	expect := func(want json.Delim) error {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); !ok || d != want {
			return fmt.Errorf("want %q, got %v", want, t)
		}
		return nil
	}
	if err := expect('{'); err != nil {
		return nil, fail(err)
	}
	var items []importItem
	seen := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fail(err)
		}
		if t != "meters" {
			return nil, fail(fmt.Errorf("unknown field %q, want \"meters\"", t))
		}
		if seen {
			return nil, fail(errors.New("\"meters\" twice"))
		}
		seen = true
		if err := expect('['); err != nil {
			return nil, fail(err)
		}
		for i := 0; dec.More(); i++ {
			raw := dec.InputOffset() // type errors count from here
			start := raw
			for start < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[start]) >= 0 {
				start++
			}
			var m InventoryMeter
			if err := dec.Decode(&m); err != nil {
				// Syntax errors carry an offset in the file, type errors
				// one in the meter; other errors (an unknown field) are
				// located at the meter's start.
				line := lineAt(data, start)
				var se *json.SyntaxError
				var te *json.UnmarshalTypeError
				switch {
				case errors.As(err, &se):
					line = lineAt(data, se.Offset)
				case errors.As(err, &te):
					line = lineAt(data, raw+te.Offset)
				}
				return nil, &ImportError{Line: line, Index: i, ID: m.ID, Err: err}
			}
			items = append(items, importItem{line: lineAt(data, start), index: i, m: m})
		}
		if err := expect(']'); err != nil {
			return nil, fail(err)
		}
	}
	if err := expect('}'); err != nil {
		return nil, fail(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fail(errors.New("data after the inventory"))
	}
	if !seen {
		return nil, &ImportError{Line: 1, Index: -1, Err: errors.New("no \"meters\"")}
	}
	return items, nil
}

// csvColumns are the columns of a meter CSV file; see ImportCSV.
var csvColumns = []string{
	"id", "ean", "energy", "profile", "link", "address", "framing", "device", "optical",
	"concentrator", "concentrator_meter", "server_address", "physical_address", "hdlc_address_size",
	"system_title", "ek", "ak", "kek", "lls_password", "hls_secret", "gas_channel", "gas_ean",
}

// ImportCSV registers the meters of a CSV file with their keys, all or
// nothing, like ImportInventory; errors name the line. The file is UTF-8,
// comma-separated (RFC 4180 quoting), with a header line that names the
// columns in any order; lines starting with # are comments. The columns:
//
//	id, ean, profile           required
//	energy                     electricity or gas; the profile's when empty
//	link                       tcp, serial or concentrator; guessed when empty
//	address                    tcp: host:port
//	framing                    hdlc or wrapper
//	device, optical            serial: the device and true for an optical probe
//	concentrator, concentrator_meter  concentrator: its id and the meter's id there
//	server_address, physical_address, hdlc_address_size  decimal numbers
//	system_title               16 hexadecimal digits
//	ek, ak, kek, lls_password, hls_secret  hexadecimal; those that the profile needs are required
//	gas_channel, gas_ean       the gas meter on the M-Bus, if any
//
// A column may be left out; an unknown column is an error.
func (s *Store) ImportCSV(r io.Reader) (int, error) {
	items, errs := parseCSV(r)
	if len(errs) > 0 {
		return 0, errs
	}
	return s.importItems(items)
}

func parseCSV(r io.Reader) ([]importItem, ImportErrors) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			err = errors.New("empty file, want a header line")
		}
		return nil, ImportErrors{{Line: 1, Index: -1, Err: err}}
	}
	hline, _ := cr.FieldPos(0)
	col := map[string]int{}
	known := map[string]bool{}
	for _, c := range csvColumns {
		known[c] = true
	}
	var errs ImportErrors
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		switch {
		case !known[h]:
			errs = append(errs, &ImportError{Line: hline, Index: -1, Err: fmt.Errorf("unknown column %q", h)})
		case col[h] != 0:
			errs = append(errs, &ImportError{Line: hline, Index: -1, Err: fmt.Errorf("column %q twice", h)})
		default:
			col[h] = i + 1
		}
	}
	for _, c := range []string{"id", "ean", "profile"} {
		if col[c] == 0 {
			errs = append(errs, &ImportError{Line: hline, Index: -1, Err: fmt.Errorf("no column %q", c)})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var items []importItem
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			errs = append(errs, &ImportError{Line: line, Index: -1, Err: err})
			if !errors.Is(err, csv.ErrFieldCount) {
				return nil, errs
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		get := func(c string) string {
			if i := col[c]; i > 0 {
				return strings.TrimSpace(rec[i-1])
			}
			return ""
		}
		m, err := csvMeter(get)
		if err != nil {
			errs = append(errs, &ImportError{Line: line, Index: -1, ID: get("id"), Err: err})
			continue
		}
		items = append(items, importItem{line: line, index: -1, m: m})
	}
	return items, errs
}

// csvMeter reads the fields of one CSV line.
func csvMeter(get func(string) string) (InventoryMeter, error) {
	m := InventoryMeter{
		ID: get("id"), EAN: get("ean"), Energy: Energy(get("energy")), Profile: get("profile"),
		Link: LinkKind(get("link")), Address: get("address"), Framing: Framing(get("framing")),
		Device: get("device"), Concentrator: get("concentrator"), ConcentratorMeter: get("concentrator_meter"),
	}
	var errs []error
	num := func(c string, bits int) uint64 {
		v := get(c)
		if v == "" {
			return 0
		}
		n, err := strconv.ParseUint(v, 10, bits)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q: want a number from 0 to %d", c, v, uint64(1)<<bits-1))
		}
		return n
	}
	m.ServerAddress = uint16(num("server_address", 16))
	m.PhysicalAddress = uint16(num("physical_address", 16))
	m.HDLCAddressSize = int(num("hdlc_address_size", 8))
	if v := get("optical"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("optical %q: want true or false", v))
		}
		m.Optical = b
	}
	if v := get("system_title"); v != "" {
		if err := m.SystemTitle.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("system_title %q: not hexadecimal", v))
		}
	}
	for _, n := range keyNames {
		*m.Keys.field(n) = get(n)
	}
	if ch, ean := get("gas_channel"), get("gas_ean"); ch != "" || ean != "" {
		m.Gas = &InventoryGas{Channel: uint8(num("gas_channel", 8)), EAN: ean}
	}
	return m, errors.Join(errs...)
}

// errImportRejected rolls the import transaction back.
var errImportRejected = errors.New("import rejected")

// importItems checks and stores the meters in one transaction, which it
// rolls back when any meter is wrong; it goes on after an error so as to
// report every problem of the file.
func (s *Store) importItems(items []importItem) (int, error) {
	if s.sealer == nil {
		return 0, fmt.Errorf("meter: import: %w", ErrNoSealer)
	}
	var errs ImportErrors
	ids := map[string]int{}  // id → index in items
	eans := map[string]int{} // EAN → index in items
	where := func(it importItem) string {
		if it.index >= 0 {
			return fmt.Sprintf("meters[%d]", it.index)
		}
		return fmt.Sprintf("line %d", it.line)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		for i, it := range items {
			ok := true
			report := func(err error) {
				errs = append(errs, &ImportError{Line: it.line, Index: it.index, ID: it.m.ID, Err: err})
				ok = false
			}
			m, err := s.normalize(it.m.Meter())
			if err != nil {
				report(err)
			}
			if prev, dup := ids[it.m.ID]; dup {
				report(fmt.Errorf("duplicate id %q, also at %s", it.m.ID, where(items[prev])))
			} else if it.m.ID != "" {
				ids[it.m.ID] = i
			}
			for _, e := range meterEANs(it.m.Meter()) {
				if prev, dup := eans[e]; dup {
					report(fmt.Errorf("duplicate EAN %s, also at %s", e, where(items[prev])))
				} else if e != "" {
					eans[e] = i
				}
			}
			keys, err := it.m.Keys.Parse()
			if err != nil {
				report(err)
			} else if p, perr := s.Profile(it.m.Profile); perr == nil {
				if missing := keys.Missing(p.RequiredKeys()); len(missing) > 0 {
					report(fmt.Errorf("missing key %s (profile %s)", strings.Join(missing, ", "), p.Name))
				}
			}
			if !ok {
				continue
			}
			// Conflicts with the meters already registered.
			if err := s.put(tx, m, false); err != nil {
				report(err)
				continue
			}
			if err := s.sealKeys(tx, bucketKeys, m.ID, keys); err != nil {
				report(err)
			}
		}
		if len(errs) > 0 {
			return errImportRejected
		}
		return nil
	})
	if len(errs) > 0 {
		return 0, errs
	}
	if err != nil {
		return 0, err
	}
	return len(items), nil
}
