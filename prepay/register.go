package prepay

import (
	"fmt"
	"strconv"
	"strings"
)

// Registers are named by their OBIS code written as a string, "1-0:1.8.1"
// (value group F is 255 when left out), so that prepay does not depend on
// the protocol packages.

// registerRole says what a register measures for the settlement.
type registerRole int

const (
	roleOther  registerRole = iota // recorded, never charged
	roleImport                     // energy taken from the grid: charged
	roleExport                     // energy injected into the grid: recorded, never credited
)

// String returns the role's name as settlements record it.
func (r registerRole) String() string {
	switch r {
	case roleImport:
		return "import"
	case roleExport:
		return "export"
	}
	return "other"
}

// NormalizeRegister returns the canonical name of a register, "A-B:C.D.E"
// when F is 255 and "A-B:C.D.E.F" otherwise, or an error when name is not an
// OBIS code in that form.
func NormalizeRegister(name string) (string, error) {
	v, err := parseRegister(name)
	if err != nil {
		return "", err
	}
	s := fmt.Sprintf("%d-%d:%d.%d.%d", v[0], v[1], v[2], v[3], v[4])
	if v[5] != 255 {
		s += "." + strconv.Itoa(int(v[5]))
	}
	return s, nil
}

func parseRegister(name string) ([6]byte, error) {
	var v [6]byte
	ab, cdef, ok := strings.Cut(name, ":")
	a, b, ok2 := strings.Cut(ab, "-")
	groups := strings.Split(cdef, ".")
	if !ok || !ok2 || (len(groups) != 3 && len(groups) != 4) {
		return v, fmt.Errorf("register %q: want an OBIS code A-B:C.D.E[.F]", name)
	}
	parts := append([]string{a, b}, groups...)
	if len(parts) == 5 {
		parts = append(parts, "255")
	}
	for i, p := range parts {
		if p == "" || !allDigits(p) {
			return v, fmt.Errorf("register %q: value group %d is not a number", name, i+1)
		}
		n, err := strconv.ParseUint(p, 10, 8)
		if err != nil {
			return v, fmt.Errorf("register %q: value group %d is above 255", name, i+1)
		}
		v[i] = byte(n)
	}
	return v, nil
}

// roleOf classifies a canonical register name for an energy: electricity
// active energy import 1-0:1.8.x and export 1-0:2.8.x; gas volume
// 0-n:24.2.x (M-Bus) and 7-b:3.x.x (gas volume registers) are import.
func roleOf(name string, e Energy) registerRole {
	v, err := parseRegister(name)
	if err != nil {
		return roleOther
	}
	switch e {
	case Electricity:
		if v[0] == 1 && v[3] == 8 {
			switch v[2] {
			case 1:
				return roleImport
			case 2:
				return roleExport
			}
		}
	case Gas:
		if (v[0] == 0 && v[2] == 24 && v[3] == 2) || (v[0] == 7 && v[2] == 3) {
			return roleImport
		}
	}
	return roleOther
}
