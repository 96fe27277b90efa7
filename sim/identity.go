package sim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/openhes/hes/meter"
)

// Identity names a meter and holds its secrets.
type Identity struct {
	ID              string  // meter id, e.g. SIM000001
	EAN             string  // the electricity access point, 18 digits
	SystemTitle     [8]byte // "HES" and a 5-byte serial
	PhysicalAddress uint16  // HDLC lower address
	Keys            Keys
}

// Keys are a meter's secrets. The keys of a simulated fleet are test keys:
// anyone who knows the fleet seed can derive them, so they protect nothing
// and must never be given to a real meter.
type Keys struct {
	EK, AK, KEK [16]byte // global unicast encryption key, authentication key, key-encryption (master) key
	LLSPassword string   // low-level security password, 8 characters
	HLSSecret   [16]byte // secret for the manufacturer-specific HLS mechanisms
}

// Manufacturer is the three-letter manufacturer code that opens every
// simulated system title.
const Manufacturer = "HES"

// EANPrefix opens every simulated EAN: Belgium (54) and the operator's range.
const EANPrefix = "54144"

// MeterID returns the id of the meter at index i of a fleet: SIM000001 for
// index 0.
func MeterID(i int) string { return fmt.Sprintf("SIM%06d", i+1) }

// NewIdentity derives the identity of the meter at index i of the fleet with
// seed fleetSeed: its id, EAN, system title, HDLC address and test keys. The
// same seed and index always give the same identity.
func NewIdentity(fleetSeed uint64, i int) Identity {
	id := Identity{ID: MeterID(i), EAN: fleetEAN(fleetSeed, 2*int64(i))}
	copy(id.SystemTitle[:3], Manufacturer)
	var serial [8]byte
	binary.BigEndian.PutUint64(serial[:], uint64(i+1))
	copy(id.SystemTitle[3:], serial[3:])
	id.PhysicalAddress = uint16(0x10 + i%(0x3FFD-0x10+1))
	copy(id.Keys.EK[:], derive(fleetSeed, "ek", id.ID))
	copy(id.Keys.AK[:], derive(fleetSeed, "ak", id.ID))
	copy(id.Keys.KEK[:], derive(fleetSeed, "kek", id.ID))
	copy(id.Keys.HLSSecret[:], derive(fleetSeed, "hls", id.ID))
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
	pw := derive(fleetSeed, "lls", id.ID)[:8]
	for j := range pw {
		pw[j] = alphabet[int(pw[j])%len(alphabet)]
	}
	id.Keys.LLSPassword = string(pw)
	return id
}

// gasEAN returns the EAN of the gas access point of the meter at index i.
func gasEAN(fleetSeed uint64, i int) string { return fleetEAN(fleetSeed, 2*int64(i)+1) }

// fleetEAN returns the n-th EAN of a fleet: the prefix, twelve digits from
// the seed's base plus n, and the GS1 check digit (weights 3, 1, 3 … from
// the right), so that a fleet's EANs differ and validate.
func fleetEAN(fleetSeed uint64, n int64) string {
	const span = 1_000_000_000_000
	body := (int64(hash(fleetSeed, tagFleet, 0)%span) + n) % span
	digits := fmt.Sprintf("%s%012d", EANPrefix, body)
	c, err := meter.EANCheckDigit(digits)
	if err != nil {
		panic(err) // 17 digits by construction
	}
	return digits + string(c)
}

// derive returns 32 bytes of key material for label and meter id.
func derive(fleetSeed uint64, label, id string) []byte {
	var key [8]byte
	binary.BigEndian.PutUint64(key[:], fleetSeed)
	mac := hmac.New(sha256.New, append([]byte("hes-sim test keys "), key[:]...))
	mac.Write([]byte(label + "/" + id))
	return mac.Sum(nil)
}
