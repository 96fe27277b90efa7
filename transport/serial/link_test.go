package serial

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"go.bug.st/serial"
	"go.uber.org/goleak"

	"github.com/openhes/hes/transport"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// openMeterPTY returns the meter's end of a pseudo-terminal, in
// non-blocking mode so that its reads honour deadlines, and the name of
// the device a client opens.
func openMeterPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	name := slave.Name()
	// Keep a slave open for the whole test: when none is open, reads on
	// the master fail with EIO.
	t.Cleanup(func() { slave.Close() })
	fd, err := syscall.Dup(int(master.Fd()))
	master.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "ptmx")
	t.Cleanup(func() { f.Close() })
	return f, name
}

func reverse(ctx context.Context, req transport.Request) []byte {
	ans := make([]byte, len(req.APDU))
	for i, b := range req.APDU {
		ans[len(ans)-1-i] = b
	}
	return ans
}

func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 13)
	}
	return b
}

func reversed(b []byte) []byte {
	out := bytes.Clone(b)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// TestOpticalHDLCOverPseudoTerminal signs on in mode E, then runs HDLC,
// twice: after the DISC the meter's port is back at the sign-on.
func TestOpticalHDLCOverPseudoTerminal(t *testing.T) {
	master, device := openMeterPTY(t)
	id := Identification{Manufacturer: "HES", BaudChar: '5', Baud: 9600, ModeE: true, ID: "SIM0001"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() {
		served <- ServeOptical(ctx, master, id, transport.HandlerFunc(reverse), transport.ServeOptions{})
	}()

	var opened atomic.Int32
	cfg := SerialConfig{
		Optical: true,
		SignOn:  SignOnOptions{SwitchWait: time.Millisecond},
		HDLC:    transport.HDLCConfig{Client: 16, Logical: 1, Physical: 17, FrameTimeout: time.Second},
		Open: func(device string, mode *serial.Mode) (serial.Port, error) {
			opened.Add(1)
			if mode.BaudRate != 300 || mode.DataBits != 7 {
				t.Errorf("opened at %d baud, %d bits: want 300 baud 7E1", mode.BaudRate, mode.DataBits)
			}
			return serial.Open(device, mode)
		},
	}
	for range 2 {
		stepCtx, stepCancel := context.WithTimeout(ctx, 5*time.Second)
		link, err := OpenHDLC(stepCtx, device, cfg)
		if err != nil {
			stepCancel()
			t.Fatal(err)
		}
		req := payload(300)
		got, err := link.Exchange(stepCtx, req)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, reversed(req)) {
			t.Errorf("answer differs")
		}
		if err := link.Close(); err != nil {
			t.Fatal(err)
		}
		stepCancel()
	}
	if opened.Load() != 2 {
		t.Errorf("device opened %d times", opened.Load())
	}
	cancel()
	if err := <-served; !errors.Is(err, context.Canceled) {
		t.Errorf("ServeOptical: %v, want context.Canceled", err)
	}
}

// TestPlainHDLCOverPseudoTerminal runs HDLC on a line without sign-on, and
// cancels an exchange that the meter does not answer: the serial port's
// reads poll the context.
func TestPlainHDLCOverPseudoTerminal(t *testing.T) {
	master, device := openMeterPTY(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	answer := atomic.Bool{}
	answer.Store(true)
	h := transport.HandlerFunc(func(ctx context.Context, req transport.Request) []byte {
		if !answer.Load() {
			return nil
		}
		return reverse(ctx, req)
	})
	go func() { served <- transport.ServeHDLC(ctx, master, h, transport.ServeOptions{}) }()

	stepCtx, stepCancel := context.WithTimeout(ctx, 5*time.Second)
	defer stepCancel()
	link, err := OpenHDLC(stepCtx, device, SerialConfig{Baud: 19200, HDLC: transport.HDLCConfig{Client: 16, Logical: 1, Physical: 17}})
	if err != nil {
		t.Fatal(err)
	}
	defer link.Close()
	got, err := link.Exchange(stepCtx, []byte{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, []byte{3, 2, 1}) {
		t.Errorf("answer % X", got)
	}

	answer.Store(false)
	exCtx, exCancel := context.WithCancel(ctx)
	time.AfterFunc(30*time.Millisecond, exCancel)
	start := time.Now()
	if _, err := link.Exchange(exCtx, []byte{1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Exchange: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("cancelled after %v", d)
	}
	if err := link.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	cancel()
	if err := <-served; !errors.Is(err, context.Canceled) {
		t.Errorf("ServeHDLC: %v, want context.Canceled", err)
	}
}

// TestOpenHDLCErrors: a device that cannot be opened, and an optical meter
// that stays silent at the sign-on.
func TestOpenHDLCErrors(t *testing.T) {
	refused := errors.New("no such device")
	_, err := OpenHDLC(context.Background(), "/dev/ttyUSB9", SerialConfig{Open: func(string, *serial.Mode) (serial.Port, error) {
		return nil, refused
	}})
	if !errors.Is(err, refused) {
		t.Errorf("OpenHDLC: %v, want the opener's error", err)
	}

	_, device := openMeterPTY(t)
	_, err = OpenHDLC(context.Background(), device, SerialConfig{Optical: true, SignOn: SignOnOptions{Timeout: 50 * time.Millisecond, Retries: -1}})
	if !errors.Is(err, ErrNoIdentification) {
		t.Errorf("OpenHDLC on a silent probe: %v, want ErrNoIdentification", err)
	}
}
