package sim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/openhes/hes/transport"
	"github.com/openhes/hes/transport/serial"
)

// Optical is the optical port of a simulated meter on a pseudo-terminal: a
// client opens Path as a serial device with an optical probe (the IEC
// 62056-21 mode E sign-on at 300 baud, then HDLC), as it would a real
// probe on a real meter. After each link the port goes back to the
// sign-on.
type Optical struct {
	// Path is the device to open, e.g. /dev/pts/7.
	Path string

	master *os.File
	slave  *os.File
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
	err    error
}

// ServeOptical opens a pseudo-terminal and serves the optical port of
// meter id on it, with the meter's faults (the optical echo, long frames
// ...). Close the Server or the Optical to stop it.
func (s *Server) ServeOptical(id string) (*Optical, error) {
	d, err := s.Device(id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("sim: server closed")
	}
	o, err := d.ServeOptical(s.cfg.Inactivity)
	if err != nil {
		return nil, err
	}
	s.opticals[o] = struct{}{}
	return o, nil
}

// ServeOptical opens a pseudo-terminal and serves the device's optical
// port on it; inactivity drops a link on which the client sent nothing for
// that long (0: never).
func (d *Device) ServeOptical(inactivity time.Duration) (*Optical, error) {
	master, slave, err := openPTY()
	if err != nil {
		return nil, fmt.Errorf("sim: pseudo-terminal: %w", err)
	}
	o := &Optical{Path: slave.Name(), master: master, slave: slave, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	o.cancel = cancel
	id := serial.Identification{Manufacturer: Manufacturer, BaudChar: '5', Baud: 9600, ModeE: true, ID: d.m.ID()}
	opt := newWireFaults(d, nil).options(transport.ServeOptions{Inactivity: max(inactivity, 0)})
	go func() {
		defer close(o.done)
		err := serial.ServeOptical(ctx, o.master, id, d, opt)
		if ctx.Err() == nil {
			o.err = err
		}
	}()
	return o, nil
}

// Close stops serving the port and closes the pseudo-terminal. It returns
// the error that had stopped the port, if any.
func (o *Optical) Close() error {
	o.once.Do(func() {
		o.cancel()
		<-o.done
		o.master.Close()
		o.slave.Close()
	})
	return o.err
}
