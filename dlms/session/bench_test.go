package session

import (
	"testing"

	"github.com/openhes/hes/dlms/apdu"
)

// benchmarkGet measures one GET of the energy register, client and server
// in memory: the request, the answer, and their ciphering when the
// association is ciphered.
func benchmarkGet(b *testing.B, cfg ClientConfig, sap uint16, attr apdu.AttributeDescriptor) {
	l := newLink(b, cfg, serverConfig(newTestModel(), 0), sap)
	l.open()
	b.ReportAllocs()
	for b.Loop() {
		if err := l.run(l.c.Get(attr, nil)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet(b *testing.B) {
	b.Run("plain", func(b *testing.B) { benchmarkGet(b, ClientConfig{}, sapPublic, energy) })
	b.Run("glo-ciphered", func(b *testing.B) { benchmarkGet(b, hlsClient(0), sapHLS, energy) })
	b.Run("plain-5000-bytes-in-blocks", func(b *testing.B) { benchmarkGet(b, ClientConfig{}, sapPublic, blob) })
	b.Run("ciphered-5000-bytes-in-blocks", func(b *testing.B) { benchmarkGet(b, hlsClient(0), sapHLS, blob) })
}

// BenchmarkOpen measures the establishment of an HLS-GMAC association with
// ciphering: AARQ, AARE, and the HLS passes 3 and 4.
func BenchmarkOpen(b *testing.B) {
	l := newLink(b, hlsClient(0), serverConfig(newTestModel(), 0), sapHLS)
	b.ReportAllocs()
	for b.Loop() {
		l.c.Reset()
		if err := l.run(l.c.Open()); err != nil {
			b.Fatal(err)
		}
	}
}
