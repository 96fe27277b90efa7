package meter

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Meter is a meter of the registry: who it is, how to reach it and how to
// address it. Its keys are not here: they are stored sealed beside it
// (PutKeys, Keys), and so are its invocation counters (SendCounter,
// ReplayGuard).
type Meter struct {
	ID        string    `json:"id"`      // the head-end's id, also known to the concentrator
	EAN       string    `json:"ean"`     // metering point (GSRN) of the meter
	Energy    Energy    `json:"energy"`  // what the meter measures; the profile's energy
	Profile   string    `json:"profile"` // name of its meter profile
	Link      LinkSpec  `json:"link"`
	Addresses Addresses `json:"addresses"`
	// Associations are the clients the head-end uses, with their SAPs; the
	// profile's associations when a meter is added without any.
	Associations []MeterAssociation `json:"associations"`
	// SystemTitle is the meter's system title (8 bytes), when known before
	// the first association.
	SystemTitle Hex       `json:"system_title,omitempty"`
	Gas         *GasMeter `json:"gas,omitempty"` // the gas meter on the M-Bus, if any
	Added       time.Time `json:"added"`         // set by the store
	Updated     time.Time `json:"updated"`       // set by the store
}

// LinkKind is how the head-end reaches a meter.
type LinkKind string

// The kinds of link.
const (
	LinkTCP          LinkKind = "tcp"          // TCP to the meter's address
	LinkSerial       LinkKind = "serial"       // a serial device, optical probe or not
	LinkConcentrator LinkKind = "concentrator" // through a data concentrator on MQTT
)

// Framing is the DLMS framing on a link.
type Framing string

// The framings.
const (
	FramingHDLC    Framing = "hdlc"    // IEC 62056-46
	FramingWrapper Framing = "wrapper" // IEC 62056-47
)

// LinkSpec says how to reach a meter.
type LinkSpec struct {
	Kind    LinkKind `json:"kind"`
	Framing Framing  `json:"framing"`           // hdlc or wrapper; the default is wrapper over TCP and concentrators, hdlc on serial
	Address string   `json:"address,omitempty"` // tcp: host:port
	Device  string   `json:"device,omitempty"`  // serial: the device, e.g. /dev/ttyUSB0
	Optical bool     `json:"optical,omitempty"` // serial: an IEC 62056-21 optical probe (mode E sign-on)
	// Concentrator and ConcentratorMeter name the concentrator and the
	// meter id it knows (the registry id when empty).
	Concentrator      string `json:"concentrator,omitempty"`
	ConcentratorMeter string `json:"concentrator_meter,omitempty"`
}

// Addresses are the server side's addresses of a meter; the client SAPs
// are in Meter.Associations.
type Addresses struct {
	// Server is the server logical address (upper HDLC address, wrapper
	// destination port); the profile's when 0.
	Server uint16 `json:"server"`
	// Physical is the lower HDLC address.
	Physical uint16 `json:"physical"`
	// HDLCSize is the size in bytes of the HDLC server address, 1, 2 or 4;
	// 4 when 0 on an HDLC link, 0 on a wrapper link.
	HDLCSize int `json:"hdlc_address_size,omitempty"`
}

// MeterAssociation is one association the head-end uses with a meter: a
// name of the profile's associations and the client SAP to use.
type MeterAssociation struct {
	Name      string `json:"name"`
	ClientSAP uint16 `json:"client_sap"`
}

// GasMeter is a gas meter on the M-Bus of an electricity meter.
type GasMeter struct {
	Channel uint8  `json:"channel"` // M-Bus channel, 1 to 4
	EAN     string `json:"ean"`     // metering point of the gas meter
}

// ClientSAP returns the client SAP of the association named name.
func (m Meter) ClientSAP(name string) (uint16, bool) {
	for _, a := range m.Associations {
		if a.Name == name {
			return a.ClientSAP, true
		}
	}
	return 0, false
}

// EnergyOf returns the energy of the metering point ean of the meter: its
// own, or gas for its gas meter's EAN.
func (m Meter) EnergyOf(ean string) (Energy, bool) {
	switch {
	case ean == m.EAN:
		return m.Energy, true
	case m.Gas != nil && ean == m.Gas.EAN:
		return EnergyGas, true
	}
	return "", false
}

// Hex is a byte string written in hexadecimal in JSON and text.
type Hex []byte

// String returns h in lower-case hexadecimal.
func (h Hex) String() string { return hex.EncodeToString(h) }

// MarshalText writes h in lower-case hexadecimal.
func (h Hex) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h)), nil }

// UnmarshalText reads hexadecimal.
func (h *Hex) UnmarshalText(b []byte) error {
	v, err := hex.DecodeString(string(b))
	if err != nil {
		return fmt.Errorf("meter: hexadecimal %q: %w", b, err)
	}
	*h = v
	return nil
}

const maxIDLen = 64

// validID checks a meter id: 1 to 64 printable ASCII characters without
// space.
func validID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("id %q: want 1 to %d characters", id, maxIDLen)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return fmt.Errorf("id %q: character %d is not printable ASCII", id, i+1)
		}
	}
	return nil
}

// normalize checks m against its profile and fills the defaults: energy,
// framing, server address, HDLC address size and associations.
func (s *Store) normalize(m Meter) (Meter, error) {
	bad := func(format string, args ...any) (Meter, error) {
		return m, fmt.Errorf("meter: %w %q: %s", ErrInvalidMeter, m.ID, fmt.Sprintf(format, args...))
	}
	if err := validID(m.ID); err != nil {
		return bad("%v", err)
	}
	if err := ValidEAN(m.EAN); err != nil {
		return m, fmt.Errorf("meter: %w %q: %w", ErrInvalidMeter, m.ID, err)
	}
	p, err := s.Profile(m.Profile)
	if err != nil {
		return m, fmt.Errorf("meter: %w %q: %w", ErrInvalidMeter, m.ID, err)
	}
	if m.Energy == "" {
		m.Energy = p.Energy
	}
	if m.Energy != p.Energy {
		return bad("energy %q, but profile %s is for %s meters", m.Energy, p.Name, p.Energy)
	}
	l := &m.Link
	if l.Kind == "" {
		switch {
		case l.Address != "":
			l.Kind = LinkTCP
		case l.Device != "":
			l.Kind = LinkSerial
		case l.Concentrator != "":
			l.Kind = LinkConcentrator
		}
	}
	switch l.Kind {
	case LinkTCP:
		if _, _, err := net.SplitHostPort(l.Address); err != nil {
			return bad("tcp address %q: want host:port", l.Address)
		}
		if l.Framing == "" {
			l.Framing = FramingWrapper
		}
	case LinkSerial:
		if l.Device == "" {
			return bad("serial link without a device")
		}
		if l.Framing == "" {
			l.Framing = FramingHDLC
		}
		if l.Framing != FramingHDLC {
			return bad("framing %q on a serial link, want hdlc", l.Framing)
		}
	case LinkConcentrator:
		if l.Concentrator == "" {
			return bad("concentrator link without a concentrator id")
		}
		if l.ConcentratorMeter == "" {
			l.ConcentratorMeter = m.ID
		}
		if l.Framing == "" {
			l.Framing = FramingWrapper
		}
	case "":
		return bad("no link: give a tcp address, a serial device or a concentrator")
	default:
		return bad("link kind %q, want tcp, serial or concentrator", l.Kind)
	}
	if l.Framing != FramingHDLC && l.Framing != FramingWrapper {
		return bad("framing %q, want hdlc or wrapper", l.Framing)
	}
	a := &m.Addresses
	if a.Server == 0 {
		a.Server = p.ServerAddress
	}
	if l.Framing == FramingHDLC {
		if a.HDLCSize == 0 {
			a.HDLCSize = 4
		}
		limit := map[int]uint16{1: 0x7F, 2: 0x7F, 4: 0x3FFF}[a.HDLCSize]
		switch {
		case limit == 0:
			return bad("HDLC address size %d, want 1, 2 or 4", a.HDLCSize)
		case a.Server > limit || a.Physical > limit && a.HDLCSize > 1:
			return bad("server address %d or physical address %d does not fit an HDLC address of %d bytes", a.Server, a.Physical, a.HDLCSize)
		}
	} else if a.HDLCSize != 0 {
		return bad("an HDLC address size on a %s link", l.Framing)
	}
	if len(m.Associations) == 0 {
		for _, as := range p.Associations() {
			m.Associations = append(m.Associations, MeterAssociation{Name: as.Name, ClientSAP: as.ClientSAP})
		}
	}
	seen := map[string]bool{}
	for _, as := range m.Associations {
		if _, ok := p.Association(as.Name); !ok {
			return bad("association %q is not in profile %s", as.Name, p.Name)
		}
		if as.ClientSAP == 0 || as.ClientSAP > 0x7E {
			return bad("association %q: client SAP %d, want 1 to 126", as.Name, as.ClientSAP)
		}
		if seen[as.Name] {
			return bad("association %q twice", as.Name)
		}
		seen[as.Name] = true
	}
	if len(m.SystemTitle) != 0 && len(m.SystemTitle) != 8 {
		return bad("system title of %d bytes, want 8", len(m.SystemTitle))
	}
	if m.Gas != nil {
		g := *m.Gas
		m.Gas = &g
		if g.Channel < 1 || g.Channel > 4 {
			return bad("gas meter on M-Bus channel %d, want 1 to 4", g.Channel)
		}
		if err := ValidEAN(g.EAN); err != nil {
			return m, fmt.Errorf("meter: %w %q: gas meter: %w", ErrInvalidMeter, m.ID, err)
		}
		if g.EAN == m.EAN {
			return bad("the gas meter has the meter's EAN")
		}
		if _, ok := p.Object(RoleGasVolume); !ok {
			return bad("a gas meter, but profile %s has no gas volume", p.Name)
		}
	}
	return m, nil
}

// Add registers a new meter. It fails with ErrMeterExists when the id is
// taken and ErrEANInUse when one of its EANs belongs to another meter;
// see Put for the checks and defaults.
func (s *Store) Add(m Meter) error {
	m, err := s.normalize(m)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return s.put(tx, m, false) })
}

// Put registers m or replaces the meter with its id, keeping its keys,
// counters and readings. m is checked against its profile (ErrInvalidMeter
// with the reason, ErrUnknownProfile, ErrEAN), and the defaults are filled
// in: the profile's energy, server address and associations; wrapper
// framing over TCP and concentrators, HDLC on serial links; a 4-byte HDLC
// address.
func (s *Store) Put(m Meter) error {
	m, err := s.normalize(m)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return s.put(tx, m, true) })
}

// put writes a normalized m and its EAN index entries.
func (s *Store) put(tx *bolt.Tx, m Meter, replace bool) error {
	meters, eans := tx.Bucket(bucketMeters), tx.Bucket(bucketEAN)
	now := s.now().UTC()
	m.Added, m.Updated = now, now
	if old := meters.Get([]byte(m.ID)); old != nil {
		if !replace {
			return fmt.Errorf("meter: %w: %q", ErrMeterExists, m.ID)
		}
		var prev Meter
		if err := json.Unmarshal(old, &prev); err != nil {
			return fmt.Errorf("meter: decoding meter %q: %w", m.ID, err)
		}
		m.Added = prev.Added
		for _, e := range meterEANs(prev) {
			if err := eans.Delete([]byte(e)); err != nil {
				return err
			}
		}
	}
	for _, e := range meterEANs(m) {
		if owner := eans.Get([]byte(e)); owner != nil {
			return fmt.Errorf("meter: %w: %s belongs to meter %q", ErrEANInUse, e, owner)
		}
		if err := eans.Put([]byte(e), []byte(m.ID)); err != nil {
			return err
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("meter: encoding meter %q: %w", m.ID, err)
	}
	return meters.Put([]byte(m.ID), b)
}

func meterEANs(m Meter) []string {
	if m.Gas != nil {
		return []string{m.EAN, m.Gas.EAN}
	}
	return []string{m.EAN}
}

func getMeter(tx *bolt.Tx, id string) (Meter, error) {
	var m Meter
	b := tx.Bucket(bucketMeters).Get([]byte(id))
	if b == nil {
		return m, fmt.Errorf("meter: %w %q", ErrUnknownMeter, id)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("meter: decoding meter %q: %w", id, err)
	}
	return m, nil
}

// Get returns the meter with id, or an error wrapping ErrUnknownMeter.
func (s *Store) Get(id string) (Meter, error) {
	var m Meter
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		m, err = getMeter(tx, id)
		return err
	})
	return m, err
}

// ByEAN returns the meter of a metering point: the meter whose EAN is ean,
// or the electricity meter whose gas meter has it (Meter.EnergyOf tells
// which). It fails with ErrUnknownMeter.
func (s *Store) ByEAN(ean string) (Meter, error) {
	var m Meter
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketEAN).Get([]byte(ean))
		if id == nil {
			return fmt.Errorf("meter: %w with EAN %s", ErrUnknownMeter, ean)
		}
		var err error
		m, err = getMeter(tx, string(id))
		return err
	})
	return m, err
}

// List returns every meter, sorted by id.
func (s *Store) List() ([]Meter, error) {
	var out []Meter
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeters).ForEach(func(k, v []byte) error {
			var m Meter
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("meter: decoding meter %q: %w", k, err)
			}
			out = append(out, m)
			return nil
		})
	})
	return out, err
}

// Remove deletes meter id and its current and pending keys. Its readings
// stay, and so do its invocation counters, so that a meter registered
// again never sees a counter value twice.
func (s *Store) Remove(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		m, err := getMeter(tx, id)
		if err != nil {
			return err
		}
		for _, e := range meterEANs(m) {
			if err := tx.Bucket(bucketEAN).Delete([]byte(e)); err != nil {
				return err
			}
		}
		for _, b := range [][]byte{bucketMeters, bucketKeys, bucketKeysPending} {
			if err := tx.Bucket(b).Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
}
