package serial

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/creack/pty"
)

func TestParseIdentification(t *testing.T) {
	tests := []struct {
		line string
		want Identification
		err  error
	}{
		{"/ISk5\\2MT382-1000\r\n", Identification{Manufacturer: "ISk", BaudChar: '5', Baud: 9600, ModeE: true, ID: "MT382-1000"}, nil},
		{"/LGZ4ZMD3104407", Identification{Manufacturer: "LGZ", BaudChar: '4', Baud: 4800, ID: "ZMD3104407"}, nil},
		{"/ABC6\\2\\9x", Identification{Manufacturer: "ABC", BaudChar: '6', Baud: 19200, ModeE: true, ID: "x"}, nil},
		{"ISk5\\2MT382", Identification{}, ErrIdentification},
		{"/IS", Identification{}, ErrIdentification},
		{"/ISk9\\2MT382", Identification{}, ErrIdentification},
	}
	for _, tt := range tests {
		got, err := ParseIdentification([]byte(tt.line))
		if !errors.Is(err, tt.err) {
			t.Errorf("%q: error %v, want %v", tt.line, err, tt.err)
			continue
		}
		if err == nil && got != tt.want {
			t.Errorf("%q: got %+v, want %+v", tt.line, got, tt.want)
		}
	}
	id := Identification{Manufacturer: "HES", BaudChar: '5', Baud: 9600, ModeE: true, ID: "SIM1"}
	if got, want := id.String(), `/HES5\2SIM1`; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// openPTY returns the meter's end (the pseudo-terminal master) and the
// client's Port opened on the slave device by name, as a real probe would be.
func openPTY(t *testing.T) (*os.File, *Port) {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	name := slave.Name()
	port, err := Open(name, Mode7E1(300), nil)
	slave.Close()
	if err != nil {
		master.Close()
		t.Fatalf("open %s: %v", name, err)
	}
	t.Cleanup(func() {
		port.Close()
		master.Close()
	})
	return master, port
}

func TestSignOnOverPseudoTerminal(t *testing.T) {
	master, port := openPTY(t)
	meterID := Identification{Manufacturer: "HES", BaudChar: '5', Baud: 9600, ModeE: true, ID: "SIM0001"}
	type result struct {
		baud int
		err  error
		next []byte
	}
	done := make(chan result, 1)
	go func() {
		baud, err := AnswerSignOn(master, meterID, nil)
		var next []byte
		if err == nil {
			buf := make([]byte, 5)
			_, err = master.Read(buf)
			next = buf
		}
		done <- result{baud, err, next}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id, err := SignOn(ctx, port, SignOnOptions{SwitchWait: time.Millisecond})
	if err != nil {
		t.Fatalf("SignOn: %v", err)
	}
	if id != meterID {
		t.Errorf("identification %+v, want %+v", id, meterID)
	}
	// After the switch, binary bytes pass unchanged (HDLC follows).
	if _, err := port.Write([]byte{0x7E, 0xA0, 0x07, 0x03, 0x21}); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("meter side: %v", r.err)
	}
	if r.baud != 9600 {
		t.Errorf("meter saw %d baud selected, want 9600", r.baud)
	}
	if string(r.next) != "\x7E\xA0\x07\x03\x21" {
		t.Errorf("meter read % X after the switch", r.next)
	}
}

func TestSignOnMaxBaud(t *testing.T) {
	master, port := openPTY(t)
	done := make(chan int, 1)
	go func() {
		baud, _ := AnswerSignOn(master, Identification{Manufacturer: "HES", BaudChar: '6', Baud: 19200, ModeE: true, ID: "X"}, nil)
		done <- baud
	}()
	if _, err := SignOn(context.Background(), port, SignOnOptions{MaxBaud: 2400, SwitchWait: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if got := <-done; got != 2400 {
		t.Errorf("selected %d baud, want 2400", got)
	}
}

func TestSignOnSilentMeter(t *testing.T) {
	_, port := openPTY(t)
	start := time.Now()
	_, err := SignOn(context.Background(), port, SignOnOptions{Timeout: 100 * time.Millisecond, Retries: 1})
	if !errors.Is(err, ErrNoIdentification) {
		t.Fatalf("error %v, want ErrNoIdentification", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("gave up after %s: the bound is two attempts of 100 ms", d)
	}
}

func TestSignOnNotModeE(t *testing.T) {
	master, port := openPTY(t)
	go AnswerSignOn(master, Identification{Manufacturer: "OLD", BaudChar: '5', Baud: 9600, ID: "MODEC"}, nil)
	_, err := SignOn(context.Background(), port, SignOnOptions{})
	if !errors.Is(err, ErrNotModeE) {
		t.Fatalf("error %v, want ErrNotModeE", err)
	}
}

func TestReadDeadline(t *testing.T) {
	_, port := openPTY(t)
	port.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := port.Read(make([]byte, 8))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	port.SetReadDeadline(time.Now().Add(-time.Second))
	if _, err := port.Read(make([]byte, 8)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
}
