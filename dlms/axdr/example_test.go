package axdr_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"time"
	_ "time/tzdata" // for LoadLocation in ExampleDateTimeOf

	"github.com/openhes/hes/dlms/axdr"
)

func ExampleDecode() {
	// The scaler_unit of an energy register: 10^0 Wh.
	b, _ := hex.DecodeString("02020f00161e")
	d, n, err := axdr.Decode(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n, d)
	fmt.Println(d.Items[0].Int, d.Items[1].Uint)
	// Output:
	// 6 structure[2]{integer 0, enum 30}
	// 0 30
}

func ExampleDecode_error() {
	// The second item of the structure is cut short.
	b, _ := hex.DecodeString("02020f0012")
	_, _, err := axdr.Decode(b)
	fmt.Println(err)
	// Output:
	// axdr: long-unsigned at offset 4: input ends early
}

func ExampleData_Append() {
	v := axdr.Structure(axdr.Uint16(3), axdr.OctetString([]byte{1, 0, 1, 8, 0, 255}), axdr.Int8(2))
	buf := make([]byte, 0, 64)
	buf = v.Append(buf)
	fmt.Printf("%x\n", buf)
	// Output:
	// 020312000309060100010800ff0f02
}

func ExampleData_WriteTree() {
	b, _ := hex.DecodeString("0102020209" + "0c07ea0b1b05021e0000ffc400" + "060001e265" + "0202" + "090c07ea0b1b05022d0000ffc400" + "060001e26a")
	d, _, _ := axdr.Decode(b)
	_ = d.WriteTree(os.Stdout, "  ")
	// Output:
	// array[2]
	//   structure[2]
	//     octet-string 07ea0b1b05021e0000ffc400
	//     double-long-unsigned 123493
	//   structure[2]
	//     octet-string 07ea0b1b05022d0000ffc400
	//     double-long-unsigned 123498
}

func ExampleData_MarshalJSON() {
	v := axdr.Structure(axdr.Int8(-3), axdr.Enum(30), axdr.Uint64(1<<63))
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
	// Output:
	// {"type":"structure","value":[{"type":"integer","value":-3},{"type":"enum","value":30},{"type":"long64-unsigned","value":"9223372036854775808"}]}
}

func ExampleData_DateTime() {
	// The Clock's time attribute, read from a meter in Brussels in summer.
	b, _ := hex.DecodeString("090c07ea07010310000000ff8880")
	d, _, _ := axdr.Decode(b)
	dt, _ := d.DateTime()
	fmt.Println(dt)
	at, _ := dt.AsTime()
	fmt.Println(at.UTC())
	// Output:
	// 2026-07-01T16:00:00.00+02:00 [dst]
	// 2026-07-01 14:00:00 +0000 UTC
}

func ExampleDateTimeOf() {
	brussels, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		fmt.Println(err)
		return
	}
	at := time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC).In(brussels)
	dt := axdr.DateTimeOf(at)
	fmt.Println(dt, dt.Deviation)
	fmt.Printf("%x\n", axdr.DateTimeData(dt).Encode())
	// Output:
	// 2026-01-15T10:00:00.00+01:00 -60
	// 090c07ea010f040a000000ffc400
}

func ExampleDateTime_String() {
	// Every year on the last day of the month daylight saving begins, 02:00.
	dt := axdr.DateTime{
		Date:      axdr.Date{Year: axdr.YearNotSpecified, Month: axdr.MonthDSTBegin, Day: axdr.DayLast, Weekday: axdr.NotSpecified},
		Time:      axdr.Time{Hour: 2, Minute: 0, Second: 0, Hundredths: axdr.NotSpecified},
		Deviation: axdr.DeviationNotSpecified,
	}
	fmt.Println(dt)
	_, err := dt.AsTime()
	fmt.Println(err)
	// Output:
	// ****-dst-begin-lastT02:00:00
	// bad COSEM date-time: deviation not specified
}

func ExampleData_CompactItems() {
	// A compact-array of long-unsigned: the type once, then the values.
	b, _ := hex.DecodeString("131206000100020003")
	d, _, _ := axdr.Decode(b)
	rows, _ := d.CompactItems()
	fmt.Println(len(rows), rows[2])
	// Output:
	// 3 long-unsigned 3
}
