// Package dlms holds the vocabulary that every layer of the DLMS/COSEM stack
// shares: OBIS codes, interface class ids, and the protocol's result codes as
// Go error types.
//
// The dlms packages are pure: bytes in, bytes out. They import no network,
// file system or logging package, start no goroutine and never read the wall
// clock.
package dlms

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// OBIS is a COSEM logical name: the six value groups A to F.
type OBIS [6]byte

// ErrOBIS is wrapped by every error of ParseOBIS.
var ErrOBIS = errors.New("malformed OBIS code")

// ParseOBIS reads an OBIS code written as "A-B:C.D.E.F" (the IEC form),
// "A-B:C.D.E*F" (IEC 62056-61), "A-B:C.D.E" (F is then 255), or
// "A.B.C.D.E.F". Each value group is a decimal number from 0 to 255.
func ParseOBIS(s string) (OBIS, error) {
	var o OBIS
	var parts []string
	if i := strings.IndexByte(s, ':'); i >= 0 {
		ab := strings.Split(s[:i], "-")
		if len(ab) != 2 {
			return o, fmt.Errorf("%w %q: want A-B before the colon", ErrOBIS, s)
		}
		cdef := s[i+1:]
		var rest []string
		if j := strings.IndexByte(cdef, '*'); j >= 0 {
			rest = strings.Split(cdef[:j], ".")
			if len(rest) != 3 || strings.ContainsAny(cdef[j+1:], ".*") {
				return o, fmt.Errorf("%w %q: want C.D.E*F after the colon", ErrOBIS, s)
			}
			rest = append(rest, cdef[j+1:])
		} else {
			rest = strings.Split(cdef, ".")
		}
		if len(rest) != 3 && len(rest) != 4 {
			return o, fmt.Errorf("%w %q: want C.D.E or C.D.E.F after the colon", ErrOBIS, s)
		}
		parts = append(ab, rest...)
		if len(parts) == 5 {
			parts = append(parts, "255")
		}
	} else {
		parts = strings.Split(s, ".")
		if len(parts) != 6 {
			return o, fmt.Errorf("%w %q: want A-B:C.D.E[.F] or A.B.C.D.E.F", ErrOBIS, s)
		}
	}
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 8)
		if err != nil {
			return o, fmt.Errorf("%w %q: value group %c %q is not a number from 0 to 255", ErrOBIS, s, 'A'+i, p)
		}
		o[i] = byte(v)
	}
	return o, nil
}

// MustOBIS is ParseOBIS for constants known to be valid; it panics otherwise.
func MustOBIS(s string) OBIS {
	o, err := ParseOBIS(s)
	if err != nil {
		panic(err)
	}
	return o
}

// OBISFromBytes returns the OBIS code held in a 6-byte octet-string.
func OBISFromBytes(b []byte) (OBIS, error) {
	var o OBIS
	if len(b) != 6 {
		return o, fmt.Errorf("%w: %d bytes, want 6", ErrOBIS, len(b))
	}
	copy(o[:], b)
	return o, nil
}

// String formats the code as "A-B:C.D.E.F", e.g. "1-0:1.8.0.255".
func (o OBIS) String() string {
	b := make([]byte, 0, 24)
	b = strconv.AppendUint(b, uint64(o[0]), 10)
	b = append(b, '-')
	b = strconv.AppendUint(b, uint64(o[1]), 10)
	b = append(b, ':')
	for i := 2; i < 6; i++ {
		if i > 2 {
			b = append(b, '.')
		}
		b = strconv.AppendUint(b, uint64(o[i]), 10)
	}
	return string(b)
}

// Bytes returns the six bytes of the code.
func (o OBIS) Bytes() []byte { return o[:] }

// MarshalText formats the code as String does, so that OBIS codes read
// and write as "1-0:1.8.0.255" in JSON, YAML and the like.
func (o OBIS) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText parses any form that ParseOBIS accepts.
func (o *OBIS) UnmarshalText(b []byte) error {
	v, err := ParseOBIS(string(b))
	if err != nil {
		return err
	}
	*o = v
	return nil
}
