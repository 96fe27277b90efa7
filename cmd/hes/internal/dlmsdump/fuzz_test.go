package dlmsdump

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// seedVectors adds every frame of the captured sessions to the corpus.
func seedVectors(f *testing.F, add func(line string, b []byte)) {
	files, err := filepath.Glob(filepath.Join(vectors, "*.txt"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no vectors: %v", err)
	}
	for _, name := range files {
		text, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		chunks, err := ReadText(string(text))
		if err != nil {
			f.Fatal(err)
		}
		for _, c := range chunks {
			add(string(text), c.Bytes)
		}
	}
}

func FuzzReadText(f *testing.F) {
	seedVectors(f, func(text string, _ []byte) { f.Add(text[:min(len(text), 4096)]) })
	f.Add("0x7E, 0xA0:07\n# c\n")
	f.Fuzz(func(t *testing.T, text string) {
		chunks, err := ReadText(text)
		if err == nil && len(chunks) == 0 {
			t.Fatal("no chunks and no error")
		}
	})
}

// FuzzDump feeds arbitrary bytes to a Dumper that has the keys, after the
// association of the HLS session, so that deciphering, reassembly and HLS
// checks are reached.
func FuzzDump(f *testing.F) {
	seedVectors(f, func(_ string, b []byte) { f.Add(b) })
	text, err := os.ReadFile(filepath.Join(vectors, "hdlc_hls_gmac_ciphered.txt"))
	if err != nil {
		f.Fatal(err)
	}
	chunks, err := ReadText(string(text))
	if err != nil {
		f.Fatal(err)
	}
	const afterAssociation = 12 // SNRM … AARE of the ciphered association
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := New(Options{Keys: &vectorKeys})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chunks[:afterAssociation] {
			if _, err := d.Dump(c); err != nil {
				t.Fatal(err)
			}
		}
		for _, dir := range []Direction{ServerToClient, Unknown} {
			recs, err := d.Dump(Chunk{Direction: dir, Bytes: b})
			if err == nil && len(b) > 0 && len(recs) == 0 {
				t.Fatal("no records and no error")
			}
			if err := WriteText(io.Discard, recs); err != nil {
				t.Fatal(err)
			}
			if err := WriteJSON(io.Discard, recs, err); err != nil {
				t.Fatal(err)
			}
		}
	})
}
