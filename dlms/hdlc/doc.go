// Package hdlc implements the HDLC link layer of IEC 62056-46 as DLMS/COSEM
// uses it on serial lines, optical probes and HDLC-over-TCP: frames of
// format type 3, their CRC-16/X.25 check sequences, the LLC header, the
// parameter negotiation of SNRM and UA, an incremental deframer, and the
// link state machine (Station) for the client and the server.
//
// Everything here is pure: bytes in, bytes out, no I/O, no clock, no
// goroutines.
//
// # Frames
//
//	7E | A S LLL LLLLLLLL | dest addr | src addr | control | HCS | information | FCS | 7E
//
// The frame format field holds the type (0xA), the segmentation bit S and
// an 11-bit length: the bytes between the flags, so at most 2047 and
// information fields of up to 2038 bytes. Addresses take one, two or four
// bytes (see Address). The HCS covers the header and is present only when
// an information field follows; the FCS covers everything between the
// flags. Both are CRC-16/X.25, least significant byte first.
//
// AppendFrame encodes a Frame, ParseFrame decodes exactly one, checking
// both check sequences. A parsed frame re-encodes to the same bytes.
//
// # Streams
//
// Frames are delimited by their length, not by flags: there is no byte
// stuffing and a 0x7E inside a frame is data. A Deframer therefore takes
// the bytes of a link in chunks of any size, finds flags, reads the length
// and checks HCS and FCS; what is not a valid frame is skipped, up to the
// next flag, and reported as a *SkipError (not fatal). Its design and
// guarantees are described on the type.
//
// # Link
//
// A Station runs SNRM/UA (with the negotiation of the maximum information
// field lengths and window sizes), I frames with N(S)/N(R), RR and RNR,
// segmentation and reassembly of APDUs longer than one information field,
// retransmission after time-outs (go-back-N, bounded), DISC/UA/DM and FRMR.
// The driver passes it frames and timer expiries and sends what it
// returns:
//
//	st, _ := hdlc.NewClient(hdlc.Config{Client: hdlc.ClientAddress(16), Server: hdlc.Address{Upper: 1}})
//	out, _ := st.Connect()          // write out; arm the response timer
//	// for each frame f from the Deframer:
//	out, apdu, err := st.Receive(f) // write out; apdu != nil when a response is complete
//	// when the timer fires:
//	out, err = st.Timeout()         // retransmission, or ErrRetryLimit
//
// The station adds and strips the LLC header (E6 E6 00 on commands, E6 E7
// 00 on responses).
package hdlc
