package transport

import (
	"fmt"
	"testing"
)

// BenchmarkExchange measures one request and its answer between a client
// link and a server link over loopback TCP.
func BenchmarkExchange(b *testing.B) {
	ts := startServer(b, echoHandler, func() ServeOptions { return ServeOptions{MaxInfoTx: 1024, MaxInfoRx: 1024, Window: 7} })
	for _, size := range []int{20, 5000} {
		b.Run(fmt.Sprintf("hdlc/%d", size), func(b *testing.B) {
			link := connect(b, ts, HDLCConfig{Client: 16, Logical: 1, Physical: 17, MaxInfoTx: 1024, MaxInfoRx: 1024, Window: 7})
			benchExchange(b, link, size)
		})
		b.Run(fmt.Sprintf("wrapper/%d", size), func(b *testing.B) {
			benchExchange(b, newWrapper(b, ts, WrapperConfig{Client: 16, Server: 1}), size)
		})
	}
}

func benchExchange(b *testing.B, link Link, size int) {
	ctx := testContext(b)
	req := pattern(size)
	b.SetBytes(int64(2*size + 1))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := link.Exchange(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
