package tcp_test

import (
	"context"
	"fmt"
	"time"

	"github.com/openhes/hes/transport"
	"github.com/openhes/hes/transport/tcp"
)

// A simulated meter on a loopback port, and a head-end that reads it over
// HDLC and over the wrapper.
func Example() {
	meter := transport.HandlerFunc(func(ctx context.Context, req transport.Request) []byte {
		return fmt.Appendf(nil, "%v got % X", req.Peer, req.APDU)
	})
	srv, err := tcp.Listen("127.0.0.1:0", meter, tcp.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	hl, err := tcp.DialHDLC(ctx, srv.Addr().String(), transport.HDLCConfig{Client: 16, Logical: 1, Physical: 17})
	if err != nil {
		fmt.Println(err)
		return
	}
	answer, err := hl.Exchange(ctx, []byte{0xC0, 0x01})
	fmt.Printf("%s %v\n", answer, err)
	fmt.Println(hl.Close())

	wl, err := tcp.DialWrapper(ctx, srv.Addr().String(), transport.WrapperConfig{Client: 16, Server: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	answer, err = wl.Exchange(ctx, []byte{0xC0, 0x01})
	fmt.Printf("%s %v\n", answer, err)
	fmt.Println(wl.Close())
	// Output:
	// hdlc 16->1/17 got C0 01 <nil>
	// <nil>
	// wrapper 16->1 got C0 01 <nil>
	// <nil>
}
