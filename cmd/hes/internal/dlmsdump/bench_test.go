package dlmsdump

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDumpSession decodes and deciphers the 112 frames of the HLS
// session, block transfer included, and writes them as text.
func BenchmarkDumpSession(b *testing.B) {
	text, err := os.ReadFile(filepath.Join(vectors, "hdlc_hls_gmac_ciphered.txt"))
	if err != nil {
		b.Fatal(err)
	}
	chunks, err := ReadText(string(text))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		d, err := New(Options{Keys: &vectorKeys})
		if err != nil {
			b.Fatal(err)
		}
		var recs []*Record
		for _, c := range chunks {
			r, err := d.Dump(c)
			if err != nil {
				b.Fatal(err)
			}
			recs = append(recs, r...)
		}
		if err := WriteText(io.Discard, recs); err != nil {
			b.Fatal(err)
		}
	}
}
