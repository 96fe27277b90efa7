package security_test

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/openhes/hes/dlms/security"
)

// A client enciphers a GET-request for the meter and deciphers the
// meter's side with the replay guard: the DLMS UA Green Book example.
func ExampleContext_Encrypt() {
	client, err := security.NewContext(security.Config{
		Keys: security.Keys{
			Encryption:     []byte{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F},
			Authentication: []byte{0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF},
		},
		SystemTitle: []byte{0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E},
		Policy:      security.PolicyAuthenticatedEncrypted,
	})
	if err != nil {
		panic(err)
	}
	counter := security.NewMemoryCounter(0x01234567)
	ic, err := counter.Reserve(1)
	if err != nil {
		panic(err)
	}
	getClock := []byte{0xC0, 0x01, 0x00, 0x00, 0x08, 0x00, 0x00, 0x01, 0x00, 0x00, 0xFF, 0x02, 0x00}
	apdu, err := client.Encrypt(nil, getClock, security.ServiceGlobal, ic)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%X\n", apdu)
	// Output:
	// C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B
}

// The receiving side deciphers, then advances its replay guard with the
// authenticated counter.
func ExampleContext_Decrypt() {
	keys := security.Keys{
		Encryption:     []byte{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F},
		Authentication: []byte{0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF},
	}
	meter, err := security.NewContext(security.Config{
		Keys:            keys,
		SystemTitle:     []byte("METER001"),
		PeerSystemTitle: []byte{0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E},
		Policy:          security.PolicyAuthenticatedEncrypted,
	})
	if err != nil {
		panic(err)
	}
	var guard security.ReplayGuard
	apdu := []byte{0xC8, 0x1E, 0x30, 0x01, 0x23, 0x45, 0x67,
		0x41, 0x13, 0x12, 0xFF, 0x93, 0x5A, 0x47, 0x56, 0x68, 0x27, 0xC4, 0x67, 0xBC,
		0x7D, 0x82, 0x5C, 0x3B, 0xE4, 0xA7, 0x7C, 0x3F, 0xCC, 0x05, 0x6B, 0x6B}
	for range 2 {
		plain, h, err := meter.Decrypt(nil, apdu)
		if err == nil {
			err = guard.Accept(h.Counter)
		}
		switch {
		case errors.Is(err, security.ErrReplay):
			fmt.Println("rejected:", err)
		case err != nil:
			panic(err)
		default:
			fmt.Printf("%s IC %d: %X\n", security.TagName(h.Tag), h.Counter, plain)
		}
	}

	tampered := bytes.Clone(apdu)
	tampered[len(tampered)-1] ^= 1
	_, _, err = meter.Decrypt(nil, tampered)
	fmt.Println(err, errors.Is(err, security.ErrAuthentication))
	// Output:
	// glo-get-request IC 19088743: C0010000080000010000FF0200
	// rejected: security: invocation counter replayed: received 19088743, last accepted 19088743
	// security: decipher glo-get-request (0xC8) IC 19088743: authentication failed true
}

// HLS-GMAC: the client answers the meter's challenge StoC; the meter
// checks the answer (the DLMS UA Green Book example).
func ExampleContext_AppendHLSResponse() {
	keys := security.Keys{
		Encryption:     []byte{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F},
		Authentication: []byte{0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF},
	}
	clientTitle := []byte{0x4D, 0x4D, 0x4D, 0x00, 0x00, 0x00, 0x00, 0x01}
	client, _ := security.NewContext(security.Config{Keys: keys, SystemTitle: clientTitle})
	meter, _ := security.NewContext(security.Config{Keys: keys, SystemTitle: []byte("METER001"), PeerSystemTitle: clientTitle})

	stoc := []byte{0x50, 0x36, 0x77, 0x52, 0x4A, 0x32, 0x31, 0x46}
	f, err := client.AppendHLSResponse(nil, stoc, 1)
	if err != nil {
		panic(err)
	}
	fmt.Printf("f(StoC) = %X\n", f)
	ic, err := meter.VerifyHLSResponse(stoc, f)
	fmt.Println(ic, err)
	// Output:
	// f(StoC) = 10000000011A52FE7DD3E72748973C1E28
	// 1 <nil>
}

// The argument of Security setup's global_key_transfer: the new key
// wrapped under the master key (the values of RFC 3394, section 4.1).
func ExampleGlobalKeyTransfer() {
	kek := []byte{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F}
	newKey := []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF}
	arg, err := security.GlobalKeyTransfer(kek, security.KeyData{ID: security.KeyGlobalUnicast, Key: newKey})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%X\n", arg.Encode())
	// Output:
	// 01010202160009181FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5
}
