package axdr

import (
	"testing"
	"time"
)

// Values from GET and SET exchanges recorded between a third-party client
// (gurux-go) and a third-party meter (the Gurux C example server with energy
// registers added); the interop vectors hdlc_none_get and
// hdlc_lls_get_set_action. Each is the Data that follows the result byte of
// a GET-response, or the value of a SET-request.
func TestInteropValues(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		used int // bytes of the value; the server adds 18 bytes after the clock
		text string
	}{
		{"clock, attribute 2",
			"090c07ea0b1b0502240400000000 090f090c07ea0b1b0502240400000000090f", 14,
			"octet-string 07ea0b1b0502240400000000"},
		{"register 1-0:1.8.0.255 value", "060001e265", 5, "double-long-unsigned 123493"},
		{"register 1-0:1.8.0.255 value, later", "060001e266", 5, "double-long-unsigned 123494"},
		{"register 1-0:1.8.0.255 scaler_unit", "02020f00161e", 6, "structure[2]{integer 0, enum 30}"},
		{"SET clock, attribute 2", "090c07ea0b1b0502240503000000", 14, "octet-string 07ea0b1b0502240503000000"},
	}
	for _, tt := range tests {
		in := unhex(t, tt.hex)
		d, n, err := Decode(in)
		if err != nil || n != tt.used {
			t.Errorf("%s: Decode = %d bytes, %v; want %d", tt.name, n, err, tt.used)
			continue
		}
		if got := d.String(); got != tt.text {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.text)
		}
		if enc := d.Encode(); string(enc) != string(in[:n]) {
			t.Errorf("%s: re-encoded %x", tt.name, enc)
		}
	}

	// The clock reads 2026-11-27 02:36:04 UTC (the client printed
	// 2026-11-27T02:36:04+00:00), a Friday.
	d, _, _ := Decode(unhex(t, "090c07ea0b1b0502240400000000"))
	dt, err := d.DateTime()
	if err != nil {
		t.Fatal(err)
	}
	if dt.Weekday != 5 || dt.Status != 0 || dt.Deviation != 0 {
		t.Errorf("clock %+v", dt)
	}
	at, err := dt.AsTime()
	if err != nil || !at.Equal(time.Date(2026, 11, 27, 2, 36, 4, 0, time.UTC)) {
		t.Errorf("clock AsTime = %v, %v", at, err)
	}
	if s := dt.String(); s != "2026-11-27T02:36:04.00+00:00" {
		t.Errorf("clock String = %q", s)
	}
	// The client set 02:36:05.03 UTC.
	d, _, _ = Decode(unhex(t, "090c07ea0b1b0502240503000000"))
	dt, _ = d.DateTime()
	if got := DateTimeData(DateTimeOf(time.Date(2026, 11, 27, 2, 36, 5, 30_000_000, time.UTC))); !got.Equal(d) {
		t.Errorf("DateTimeData(DateTimeOf(...)) = %v, want %v (%v)", got, d, dt)
	}
}
