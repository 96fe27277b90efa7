package ber_test

import (
	"fmt"

	"github.com/openhes/hes/dlms/ber"
)

func ExampleBuilder() {
	b := ber.NewBuilder(nil)
	m := b.Open(0x62) // RLRQ
	b.AddInt(0x80, 0) // reason [0] normal
	b.Close(m)
	fmt.Printf("%X\n", b.Bytes())
	// Output: 6203800100
}

func ExampleReader() {
	// An RLRE whose lengths a meter wrote in long form.
	r := ber.NewReader([]byte{0x63, 0x81, 0x05, 0x80, 0x82, 0x00, 0x01, 0x00})
	rlre, err := r.ReadTagged(0x63)
	if err != nil {
		fmt.Println(err)
		return
	}
	reason, err := rlre.ReadInt(0x80)
	fmt.Println(reason, err, rlre.Empty(), r.Empty())
	// Output: 0 <nil> true true
}
