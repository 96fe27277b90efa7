package session

import (
	"testing"

	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
)

// seedVectors adds every APDU of the captured sessions to a fuzz corpus,
// with each of the first argument's values.
func seedVectors(f *testing.F, states int) {
	for _, name := range []string{"hdlc_none_get.txt", "hdlc_lls_get_set_action.txt", "hdlc_none_block_transfer.txt",
		"hdlc_lls_wrong_password.txt", "wrapper_none_get.txt", "hdlc_hls_gmac_ciphered.txt"} {
		_, l := capturedAPDUs(f, name)
		for i, c := range l {
			f.Add(uint8(i%states), c.b)
		}
	}
}

// clientInState returns a client, and the server it talks to, brought to
// one of several states: waiting for an AARE (plain or HLS), for the HLS
// pass 4, for the answer to each kind of call (some in the middle of a
// block transfer), for an RLRE.
func clientInState(tb testing.TB, state uint8) *link {
	ccfg, sap := ClientConfig{MaxPDU: 128}, uint16(sapPublic)
	if state%2 == 1 {
		ccfg, sap = hlsClient(128), sapHLS
	}
	l := newLink(tb, ccfg, serverConfig(newTestModel(), 128), sap)
	step := func(req []byte, err error) {
		if err != nil {
			tb.Fatal(err)
		}
		resp, _ := l.s.Handle(sap, req)
		if _, _, err := l.c.Receive(resp); err != nil {
			tb.Fatal(err)
		}
	}
	long := axdr.OctetString(make([]byte, 1000))
	switch state / 2 {
	case 0: // waiting for the AARE
		if _, err := l.c.Open(); err != nil {
			tb.Fatal(err)
		}
		return l
	case 1: // waiting for the answer to the HLS pass 3, or to a GET
		step(l.c.Open())
		if l.c.State() == StateAssociated {
			l.c.Get(clockTime, nil)
		}
		return l
	}
	l.open()
	switch state / 2 {
	case 2:
		l.c.GetList([]apdu.AttributeWithSelection{{Attribute: clockTime}, {Attribute: energy}})
	case 3: // in the middle of a long GET
		step(l.c.Get(blob, nil))
	case 4: // in the middle of a long SET
		step(l.c.Set(blob, long))
	case 5: // in the middle of a long ACTION
		step(l.c.Action(echo, &long))
	case 6:
		l.c.SetList([]apdu.AttributeWithSelection{{Attribute: energy}}, []axdr.Data{axdr.Uint32(1)})
	case 7:
		l.c.ActionList([]apdu.MethodDescriptor{disconnect}, []axdr.Data{axdr.Int8(0)})
	default:
		l.c.Release()
	}
	return l
}

const clientStates = 18

func FuzzClientReceive(f *testing.F) {
	seedVectors(f, clientStates)
	for s := range uint8(clientStates) {
		f.Add(s, mustHex("C401C100090C07EA0B1B0502240400000000"))
		f.Add(s, mustHex("C402C1000000000100820010"))
		f.Add(s, mustHex("D80102"))
	}
	f.Fuzz(func(t *testing.T, state uint8, b []byte) {
		l := clientInState(t, state%clientStates)
		before := l.c.State()
		out, done, err := l.c.Receive(b)
		if done && out != nil {
			t.Fatalf("done with an APDU to send")
		}
		if !done && out == nil && err == nil {
			t.Fatalf("not done, nothing to send, no error")
		}
		if !done && out == nil && l.c.State() != before {
			t.Fatalf("discarded APDU changed the state from %v to %v", before, l.c.State())
		}
		// The client stays usable: the same APDU again, then a reset.
		l.c.Receive(b)
		l.c.Reset()
		if _, err := l.c.Open(); err != nil {
			t.Fatalf("Open after Reset: %v", err)
		}
	})
}

// serverInState returns a server brought to one of several states, and the
// client SAP to fuzz.
func serverInState(tb testing.TB, state uint8) (*link, uint16) {
	ccfg, sap := ClientConfig{MaxPDU: 128}, uint16(sapPublic)
	if state%2 == 1 {
		ccfg, sap = hlsClient(128), sapHLS
	}
	l := newLink(tb, ccfg, serverConfig(newTestModel(), 128), sap)
	long := axdr.OctetString(make([]byte, 1000))
	step := func(req []byte, err error) {
		if err == nil {
			resp, _ := l.s.Handle(sap, req)
			l.c.Receive(resp)
		}
	}
	switch state / 2 {
	case 0: // no association
	case 1: // HLS pending, or associated
		step(l.c.Open())
	case 2:
		l.open()
	case 3:
		l.open()
		step(l.c.Get(blob, nil))
	case 4:
		l.open()
		step(l.c.Set(blob, long))
	default:
		l.open()
		step(l.c.Action(echo, &long))
	}
	return l, sap
}

const serverStates = 12

func FuzzServerHandle(f *testing.F) {
	seedVectors(f, serverStates)
	for s := range uint8(serverStates) {
		f.Add(s, mustHex("C001C100080000010000FF0200"))
		f.Add(s, mustHex("C002C100000001"))
		f.Add(s, mustHex("C106C1010000000203090100"))
		f.Add(s, mustHex("6203800100"))
	}
	f.Fuzz(func(t *testing.T, state uint8, b []byte) {
		l, sap := serverInState(t, state%serverStates)
		l.s.Handle(sap, b)
		l.s.Handle(sap+100, b)
		// The server stays usable: a client can associate again.
		l.c.Reset()
		if err := l.run(l.c.Open()); err != nil {
			t.Fatalf("Open after the fuzz APDU: %v", err)
		}
	})
}
