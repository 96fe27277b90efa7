package transport

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/openhes/hes/dlms/dlmstest"
)

// byteStream is a finished stream for the fuzz targets: reads return the
// input, then io.EOF; writes are discarded. It is no socket: the fuzz
// targets only check that no input makes a link panic or hang.
type byteStream struct{ r *bytes.Reader }

func (s byteStream) Read(p []byte) (int, error)      { return s.r.Read(p) }
func (s byteStream) Write(p []byte) (int, error)     { return len(p), nil }
func (s byteStream) Close() error                    { return nil }
func (s byteStream) SetReadDeadline(time.Time) error { return nil }

// seedStreams adds the recorded byte streams of each direction.
func seedStreams(f *testing.F, dir dlmstest.Direction) {
	for _, s := range dlmstest.MustLoadAll(f, vectors) {
		var b []byte
		for _, fr := range s.Filter(dir) {
			b = append(b, fr.Bytes...)
		}
		f.Add(b)
	}
}

// FuzzServeConn feeds any bytes to the server side of a stream.
func FuzzServeConn(f *testing.F) {
	seedStreams(f, dlmstest.ClientToServer)
	f.Fuzz(func(t *testing.T, in []byte) {
		err := ServeConn(context.Background(), byteStream{bytes.NewReader(in)}, echoHandler, ServeOptions{})
		if err != nil && err != io.EOF && len(in) > 0 && in[0] == 0x7E {
			t.Fatalf("HDLC stream ended with %v", err)
		}
	})
}

// FuzzHDLCClient feeds any bytes, as the meter's, to a client link that
// connects and runs one exchange.
func FuzzHDLCClient(f *testing.F) {
	seedStreams(f, dlmstest.ServerToClient)
	f.Fuzz(func(t *testing.T, in []byte) {
		link, err := NewHDLCClient(byteStream{bytes.NewReader(in)}, HDLCConfig{Client: 16, Logical: 1, AddressSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		if link.Connect(context.Background()) == nil {
			link.Exchange(context.Background(), []byte{0xC0, 0x01})
		}
		link.Close()
	})
}

// FuzzWrapperClient feeds any bytes, as the meter's, to a wrapper link.
func FuzzWrapperClient(f *testing.F) {
	seedStreams(f, dlmstest.ServerToClient)
	f.Fuzz(func(t *testing.T, in []byte) {
		link, err := NewWrapperClient(byteStream{bytes.NewReader(in)}, WrapperConfig{Client: 16, Server: 1})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := link.Exchange(context.Background(), []byte{0xC0}); err != nil {
				break
			}
		}
		link.Close()
	})
}
