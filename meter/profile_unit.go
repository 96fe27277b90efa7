package meter

import (
	"fmt"
	"strconv"
)

// Unit is a COSEM physical unit, the enumeration of the scaler_unit
// attribute of the register classes (IEC 62056-6-2, table of units).
type Unit uint8

// The units that the head-end meets on electricity and gas meters.
const (
	UnitSecond         Unit = 7
	UnitCelsius        Unit = 9
	UnitCurrency       Unit = 10  // local currency
	UnitCubicMetre     Unit = 13  // m³, not converted
	UnitCubicMetreCorr Unit = 14  // m³, temperature-converted
	UnitWatt           Unit = 27  // W
	UnitVoltAmpere     Unit = 28  // VA
	UnitVar            Unit = 29  // var
	UnitWattHour       Unit = 30  // Wh
	UnitVoltAmpereHour Unit = 31  // VAh
	UnitVarHour        Unit = 32  // varh
	UnitAmpere         Unit = 33  // A
	UnitVolt           Unit = 35  // V
	UnitHertz          Unit = 44  // Hz
	UnitOther          Unit = 254 // other unit
	UnitCount          Unit = 255 // no unit, a count
)

var unitNames = map[Unit]string{
	UnitSecond: "s", UnitCelsius: "Cel", UnitCurrency: "currency", UnitCubicMetre: "m3",
	UnitCubicMetreCorr: "m3_corrected", UnitWatt: "W", UnitVoltAmpere: "VA", UnitVar: "var",
	UnitWattHour: "Wh", UnitVoltAmpereHour: "VAh", UnitVarHour: "varh", UnitAmpere: "A",
	UnitVolt: "V", UnitHertz: "Hz", UnitOther: "other", UnitCount: "count",
}

// String returns the unit's symbol in ASCII ("Wh", "m3", "currency" …),
// or "unit(N)" for a unit without a name here.
func (u Unit) String() string {
	if s, ok := unitNames[u]; ok {
		return s
	}
	return "unit(" + strconv.Itoa(int(u)) + ")"
}

// MarshalText writes the unit's symbol, or its number when it has none.
func (u Unit) MarshalText() ([]byte, error) {
	if s, ok := unitNames[u]; ok {
		return []byte(s), nil
	}
	return strconv.AppendUint(nil, uint64(u), 10), nil
}

// UnmarshalText reads a symbol that String returns or a number from 0 to
// 255.
func (u *Unit) UnmarshalText(b []byte) error {
	s := string(b)
	for k, v := range unitNames {
		if v == s {
			*u = k
			return nil
		}
	}
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil {
		return fmt.Errorf("meter: unknown unit %q", s)
	}
	*u = Unit(n)
	return nil
}

// ScalerUnit is the scaler_unit attribute of a register: the value of
// the register times 10^Scaler is a quantity in Unit.
type ScalerUnit struct {
	Scaler int8 `json:"scaler"`
	Unit   Unit `json:"unit"`
}

// String formats s as "10^-3 m3".
func (s ScalerUnit) String() string {
	return "10^" + strconv.Itoa(int(s.Scaler)) + " " + s.Unit.String()
}
