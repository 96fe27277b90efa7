package hdlc_test

import (
	"errors"
	"fmt"

	"github.com/openhes/hes/dlms/hdlc"
)

func ExampleAppendFrame() {
	snrm := hdlc.Frame{
		Dest:    hdlc.Address{Upper: 1, Lower: 17, Size: 2},
		Src:     hdlc.ClientAddress(16),
		Control: hdlc.Control{Kind: hdlc.KindSNRM, PF: true},
	}
	b, err := hdlc.AppendFrame(nil, snrm)
	if err != nil {
		panic(err)
	}
	fmt.Printf("% X\n", b)
	// Output: 7E A0 08 02 23 21 93 BD 64 7E
}

func ExampleDeframer() {
	var d hdlc.Deframer
	// Noise, then an SNRM and a DISC that arrive in three pieces.
	for _, chunk := range [][]byte{
		{0x00, 0x11, 0x7E, 0xA0, 0x07},
		{0x03, 0x21, 0x93, 0x0F, 0x01, 0x7E, 0x7E, 0xA0, 0x07, 0x03},
		{0x21, 0x53, 0x03, 0xC7, 0x7E},
	} {
		d.Write(chunk)
		for {
			f, err := d.Next()
			if errors.Is(err, hdlc.ErrNeedMore) {
				break
			}
			var skip *hdlc.SkipError
			if errors.As(err, &skip) {
				fmt.Println("skipped", skip.N, "bytes")
				continue
			}
			fmt.Println(f.Control, "to", f.Dest.Upper, "from", f.Src.Upper)
		}
	}
	// Output:
	// skipped 2 bytes
	// SNRM P/F to 1 from 16
	// DISC P/F to 1 from 16
}

// A client station and a server station exchange an APDU of 300 bytes
// over information fields of 128 bytes.
func ExampleStation() {
	cfg := hdlc.Config{Client: hdlc.ClientAddress(16), Server: hdlc.Address{Upper: 1}}
	client, _ := hdlc.NewClient(cfg)
	server, _ := hdlc.NewServer(hdlc.Config{Server: cfg.Server})

	// deliver passes frames to a station, printing them, and returns what
	// it sends back and the APDU it completes, if any.
	deliver := func(to *hdlc.Station, frames [][]byte) (out [][]byte, apdu []byte) {
		for _, b := range frames {
			f, _ := hdlc.ParseFrame(b)
			fmt.Println(to.Role(), "<-", f)
			o, a, err := to.Receive(f)
			if err != nil {
				panic(err)
			}
			out = append(out, o...)
			if a != nil {
				apdu = a
			}
		}
		return out, apdu
	}

	out, _ := client.Connect()
	out, _ = deliver(server, out)
	deliver(client, out)

	out, _ = client.Send(make([]byte, 300))
	for len(out) > 0 {
		var req []byte
		out, req = deliver(server, out)
		if req != nil {
			fmt.Println("request of", len(req), "bytes")
			more, _ := server.Send([]byte{0xC4, 0x01, 0xC1, 0x00, 0x00})
			out = append(out, more...)
		}
		var resp []byte
		out, resp = deliver(client, out)
		if resp != nil {
			fmt.Printf("response % X\n", resp)
		}
	}
	// Output:
	// server <- SNRM P/F 16->1
	// client <- UA P/F 1->16 info 21 bytes
	// server <- I N(S)=0 N(R)=0 P/F 16->1 segmented info 128 bytes
	// client <- RR N(R)=1 P/F 1->16
	// server <- I N(S)=1 N(R)=0 P/F 16->1 segmented info 128 bytes
	// client <- RR N(R)=2 P/F 1->16
	// server <- I N(S)=2 N(R)=0 P/F 16->1 info 47 bytes
	// request of 300 bytes
	// client <- I N(S)=0 N(R)=3 P/F 1->16 info 8 bytes
	// response C4 01 C1 00 00
}
