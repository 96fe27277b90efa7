package sim

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/openhes/hes/meter"
)

func TestFleetEAN(t *testing.T) {
	prev := int64(-1)
	for n := int64(0); n < 50; n++ {
		ean := fleetEAN(7, n)
		if err := meter.ValidEAN(ean); err != nil {
			t.Fatal(err)
		}
		if ean[:5] != EANPrefix {
			t.Fatalf("EAN %s does not start with %s", ean, EANPrefix)
		}
		body, err := strconv.ParseInt(ean[5:17], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if prev >= 0 && body != prev+1 && !(prev == 999_999_999_999 && body == 0) {
			t.Fatalf("EAN %d body %d follows %d", n, body, prev)
		}
		prev = body
	}
}

func TestNewIdentity(t *testing.T) {
	a, b := NewIdentity(42, 0), NewIdentity(42, 0)
	if a != b {
		t.Fatal("same seed and index gave two identities")
	}
	if a.ID != "SIM000001" {
		t.Errorf("ID %q", a.ID)
	}
	if want := []byte{'H', 'E', 'S', 0, 0, 0, 0, 1}; !bytes.Equal(a.SystemTitle[:], want) {
		t.Errorf("system title % x, want % x", a.SystemTitle, want)
	}
	if a.EAN[:5] != EANPrefix {
		t.Errorf("EAN %s", a.EAN)
	}
	c := NewIdentity(42, 1)
	d := NewIdentity(43, 0)
	if c.Keys.EK == a.Keys.EK || d.Keys.EK == a.Keys.EK || a.Keys.EK == a.Keys.AK || a.Keys.AK == a.Keys.KEK {
		t.Error("keys repeat across meters, fleets or roles")
	}
	if len(a.Keys.LLSPassword) != 8 {
		t.Errorf("LLS password %q", a.Keys.LLSPassword)
	}
	seen := map[string]bool{}
	for i := 0; i < 3000; i++ {
		id := NewIdentity(42, i)
		for _, ean := range []string{id.EAN, gasEAN(42, i)} {
			if err := meter.ValidEAN(ean); err != nil {
				t.Fatal(err)
			}
			if seen[ean] {
				t.Fatalf("EAN %s repeats", ean)
			}
			seen[ean] = true
		}
	}
}
