package axdr

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

var textTests = []struct {
	d    Data
	text string
	json string
}{
	{Null(), "null-data", `{"type":"null-data"}`},
	{DontCare(), "dont-care", `{"type":"dont-care"}`},
	{Bool(true), "boolean true", `{"type":"boolean","value":true}`},
	{Data{Tag: TagBoolean, Uint: 0x05}, "boolean true", `{"type":"boolean","value":true}`},
	{Bool(false), "boolean false", `{"type":"boolean","value":false}`},
	{Int8(-128), "integer -128", `{"type":"integer","value":-128}`},
	{Int16(-2), "long -2", `{"type":"long","value":-2}`},
	{Int32(math.MinInt32), "double-long -2147483648", `{"type":"double-long","value":-2147483648}`},
	{Int64(math.MinInt64), "long64 -9223372036854775808", `{"type":"long64","value":"-9223372036854775808"}`},
	{Uint8(255), "unsigned 255", `{"type":"unsigned","value":255}`},
	{Uint16(12), "long-unsigned 12", `{"type":"long-unsigned","value":12}`},
	{Uint32(123493), "double-long-unsigned 123493", `{"type":"double-long-unsigned","value":123493}`},
	{Uint64(math.MaxUint64), "long64-unsigned 18446744073709551615", `{"type":"long64-unsigned","value":"18446744073709551615"}`},
	{Enum(30), "enum 30", `{"type":"enum","value":30}`},
	{BCD(0x25), "bcd 25", `{"type":"bcd","value":"25"}`},
	{Float32(1.5), "float32 1.5", `{"type":"float32","value":1.5}`},
	{Float32(0.1), "float32 0.1", `{"type":"float32","value":0.1}`},
	{Float64(-2.5e-10), "float64 -2.5e-10", `{"type":"float64","value":-2.5e-10}`},
	{Float64(math.NaN()), "float64 NaN", `{"type":"float64","value":"NaN"}`},
	{Float32(float32(math.Inf(1))), "float32 +Inf", `{"type":"float32","value":"+Inf"}`},
	{Float64(math.Inf(-1)), "float64 -Inf", `{"type":"float64","value":"-Inf"}`},
	{OctetString(nil), "octet-string (empty)", `{"type":"octet-string","value":""}`},
	{OctetString([]byte{0x0a, 0x1b}), "octet-string 0a1b", `{"type":"octet-string","value":"0a1b"}`},
	{VisibleString(`say "hi"`), `visible-string "say \"hi\""`, `{"type":"visible-string","value":"say \"hi\""}`},
	{VisibleString("\x00<"), `visible-string "\x00<"`, `{"type":"visible-string","value":"\u0000\u003c"}`},
	{UTF8String("é"), `utf8-string "é"`, `{"type":"utf8-string","value":"é"}`},
	{BitString([]byte{0xb0}, 4), "bit-string 1011", `{"type":"bit-string","value":"1011"}`},
	{BitString([]byte{0xff}, 10), "bit-string 1111111100", `{"type":"bit-string","value":"1111111100"}`},
	{BitString(nil, 0), "bit-string (empty)", `{"type":"bit-string","value":""}`},
	{TaggedDateTime(DateTime{Date{2026, 11, 27, 5}, Time{2, 36, 4, 0}, -60, 0}),
		"date-time 2026-11-27T02:36:04.00+01:00", `{"type":"date-time","value":"2026-11-27T02:36:04.00+01:00"}`},
	{Data{Tag: TagDateTime, Bytes: []byte{0x07}}, "date-time 07", `{"type":"date-time","value":"07"}`},
	{TaggedDate(Date{2026, 11, 27, NotSpecified}), "date 2026-11-27", `{"type":"date","value":"2026-11-27"}`},
	{TaggedTime(Time{23, 59, NotSpecified, NotSpecified}), "time 23:59:**", `{"type":"time","value":"23:59:**"}`},
	{Array(), "array[0]{}", `{"type":"array","value":[]}`},
	{Structure(Int8(0), Enum(30)), "structure[2]{integer 0, enum 30}",
		`{"type":"structure","value":[{"type":"integer","value":0},{"type":"enum","value":30}]}`},
	{Array(Structure(Uint16(1)), Structure()), "array[2]{structure[1]{long-unsigned 1}, structure[0]{}}",
		`{"type":"array","value":[{"type":"structure","value":[{"type":"long-unsigned","value":1}]},{"type":"structure","value":[]}]}`},
	{Data{Tag: TagCompactArray, TypeDesc: []byte{0x12}, Bytes: []byte{0, 1, 0, 2}}, "compact-array[2]{long-unsigned 1, long-unsigned 2}",
		`{"type":"compact-array","value":[{"type":"long-unsigned","value":1},{"type":"long-unsigned","value":2}]}`},
	{Data{Tag: TagCompactArray, TypeDesc: []byte{0x12}, Bytes: []byte{0, 1, 0}}, "compact-array type-description 12 contents 000100",
		`{"type":"compact-array","typeDescription":"12","contents":"000100"}`},
	{Data{Tag: 99}, "tag(99)", `{"type":"tag(99)"}`},
}

func TestString(t *testing.T) {
	for _, tt := range textTests {
		if got := tt.d.String(); got != tt.text {
			t.Errorf("String() = %q, want %q", got, tt.text)
		}
	}
}

func TestMarshalJSON(t *testing.T) {
	for _, tt := range textTests {
		got, err := json.Marshal(tt.d)
		if err != nil || string(got) != tt.json {
			t.Errorf("%s: MarshalJSON = %s, %v; want %s", tt.text, got, err, tt.json)
		}
	}
	// Inside other values, and valid for any bytes.
	got, err := json.Marshal(map[string]Data{"v": VisibleString("\xff")})
	if err != nil || string(got) != `{"v":{"type":"visible-string","value":"\ufffd"}}` {
		t.Errorf("json.Marshal(map) = %s, %v", got, err)
	}
}

func TestWriteTree(t *testing.T) {
	d := Array(
		Structure(DateTimeData(DateTime{Date{2026, 11, 27, 5}, Time{2, 30, 0, 0}, -60, 0}), Uint32(123493)),
		Structure(),
		Data{Tag: TagCompactArray, TypeDesc: unhexMust("020211 11"), Bytes: []byte{1, 2, 3, 4}},
	)
	var b bytes.Buffer
	if err := d.WriteTree(&b, "  "); err != nil {
		t.Fatal(err)
	}
	want := `array[3]
  structure[2]
    octet-string 07ea0b1b05021e0000ffc400
    double-long-unsigned 123493
  structure[0]
  compact-array[2]
    structure[2]
      unsigned 1
      unsigned 2
    structure[2]
      unsigned 3
      unsigned 4
`
	if b.String() != want {
		t.Errorf("WriteTree =\n%s\nwant\n%s", b.String(), want)
	}
	if err := Uint8(1).WriteTree(failingWriter{}, "\t"); err == nil {
		t.Error("WriteTree hid the writer's error")
	}
	b.Reset()
	_ = Uint8(7).WriteTree(&b, "\t")
	if b.String() != "unsigned 7\n" {
		t.Errorf("WriteTree of a scalar = %q", b.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// The forms hold for every value of the codec table.
func TestTextOfCodecTable(t *testing.T) {
	for _, tt := range codecTests {
		s := tt.d.String()
		if !strings.HasPrefix(s, tt.d.Tag.String()) {
			t.Errorf("%s: String() = %q does not start with the type", tt.name, s)
		}
		j, err := json.Marshal(tt.d)
		if err != nil || !json.Valid(j) {
			t.Errorf("%s: MarshalJSON = %s, %v", tt.name, j, err)
		}
	}
}
