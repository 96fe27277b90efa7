package axdr

import (
	"testing"
	"time"
)

// profileBuffer returns the buffer of a load profile of n rows, as a meter
// sends it: an array of structures of a capture time (octet-string of 12)
// and five double-long-unsigned (four energy registers and a status).
func profileBuffer(n int) Data {
	rows := make([]Data, n)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 3600))
	for i := range rows {
		at := start.Add(time.Duration(i) * 15 * time.Minute)
		v := uint32(1_000_000 + i*37)
		rows[i] = Structure(
			DateTimeData(DateTimeOf(at)),
			Uint32(v), Uint32(v/2), Uint32(v/3), Uint32(v/5),
			Uint32(uint32(i%4)),
		)
	}
	return Array(rows...)
}

// go test -run '^$' -bench Profile -benchmem ./dlms/axdr
func BenchmarkDecodeProfile(b *testing.B) {
	buf := profileBuffer(1000).Encode()
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		d, _, err := Decode(buf)
		if err != nil || len(d.Items) != 1000 {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeProfile(b *testing.B) {
	d := profileBuffer(1000)
	buf := d.Encode()
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = d.Append(buf[:0])
	}
}

func BenchmarkCompactItems(b *testing.B) {
	p := profileBuffer(1000)
	desc, err := AppendTypeDesc(nil, p.Items[0])
	if err != nil {
		b.Fatal(err)
	}
	c, err := CompactArray(desc, p.Items...)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(c.Bytes)))
	b.ReportAllocs()
	for b.Loop() {
		rows, err := c.CompactItems()
		if err != nil || len(rows) != 1000 {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecoderProfile(b *testing.B) {
	buf := profileBuffer(1000).Encode()
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	var dec Decoder
	for b.Loop() {
		d, _, err := dec.Decode(buf)
		if err != nil || len(d.Items) != 1000 {
			b.Fatal(err)
		}
	}
}
