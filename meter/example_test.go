package meter_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"github.com/openhes/hes/meter"
)

func ExampleValidEAN() {
	c, _ := meter.EANCheckDigit("54144880000012345")
	fmt.Printf("check digit %c\n", c)
	fmt.Println(meter.ValidEAN("541448800000123457"))
	fmt.Println(meter.ValidEAN("541448800000123456"))
	// Output:
	// check digit 7
	// <nil>
	// meter: invalid EAN "541448800000123456": wrong check digit 6, want 7
}

// A meter is registered with its keys; the management client's sending
// counter is reserved before each APDU leaves, and printing the keys shows
// no key.
func ExampleStore_SendCounter() {
	dir, _ := os.MkdirTemp("", "hes")
	defer os.RemoveAll(dir)
	db, _ := bolt.Open(filepath.Join(dir, "hes.db"), 0o600, nil)
	defer db.Close()
	sealer, _ := meter.NewKeySealer(meter.NewSecret(bytes.Repeat([]byte{7}, 32)))
	store, err := meter.OpenStore(db, sealer, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = store.Add(meter.Meter{
		ID: "M1", EAN: "541448800000123457", Profile: "be-elec-default",
		Link: meter.LinkSpec{Address: "192.0.2.10:4059"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	keys := meter.Keys{
		EK:  meter.NewSecret(bytes.Repeat([]byte{1}, 16)),
		AK:  meter.NewSecret(bytes.Repeat([]byte{2}, 16)),
		KEK: meter.NewSecret(bytes.Repeat([]byte{3}, 16)),
	}
	if err := store.PutKeys("M1", keys); err != nil {
		fmt.Println(err)
		return
	}
	k, _ := store.Keys("M1")
	fmt.Println(k)

	m, _ := store.Get("M1")
	sap, _ := m.ClientSAP("management")
	ic, _ := store.SendCounter("M1", sap, k.EK)
	_ = ic.RaiseAbove(41) // the meter's 0-0:43.1.0.255 said 41
	first, _ := ic.Reserve(1)
	fmt.Println("client", sap, "sends with invocation counter", first)
	// Output:
	// meter.Keys{EK:[redacted] AK:[redacted] KEK:[redacted] LLSPassword:none HLSSecret:none}
	// client 1 sends with invocation counter 42
}
