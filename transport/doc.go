// Package transport drives the DLMS link layers over byte streams: HDLC
// (IEC 62056-46) and the wrapper (IEC 62056-47), for both roles.
//
// The client side is a link that runs one request/response exchange at a
// time, the way a DLMS session uses it:
//
//	link, err := transport.NewHDLCClient(conn, transport.HDLCConfig{Client: 16, Logical: 1, Physical: 17})
//	err = link.Connect(ctx)              // SNRM/UA, retried on silence
//	resp, err := link.Exchange(ctx, req) // one APDU out, the answer back
//	err = link.Close()                   // DISC, then the stream is closed
//
// The HDLC link segments and reassembles APDUs, acknowledges, polls and
// retransmits with the pure station of dlms/hdlc; the wrapper link adds and
// checks the 8-byte wrapper header. Both work over any Conn: a TCP
// connection (see transport/tcp), a serial line or an optical probe (see
// transport/serial).
//
// # Time
//
// Every read has a deadline: the HDLC frame time-out, the wrapper response
// time-out, and the deadline of the caller's context, whichever comes
// first. Cancelling the context interrupts a blocked read: at once on a
// net.Conn or an *os.File, whose deadlines may be moved while a read is
// blocked, and within a short poll interval on other streams (a serial
// port). No goroutine outlives the call that started it.
//
// # Errors
//
// A failed step returns a *LinkError that says which step failed (connect,
// exchange, release), on which link, after how many tries, how many
// invalid frames were skipped meanwhile, and why; errors.Is matches the
// cause: os.ErrDeadlineExceeded when the peer stayed silent through every
// retry, context.DeadlineExceeded or context.Canceled when the caller's
// context ended, hdlc.ErrDisconnectedMode for a DM, hdlc.ErrFrameReject for
// an FRMR.
//
// # Server side
//
// ServeConn, ServeHDLC and ServeWrapper run the server side of the links of
// one stream: they hand every request APDU to the Session that a Handler
// opened for the addressed device and write its answer. One stream may
// reach several devices (a multi-drop line behind a converter): HDLC frames
// are routed by their destination address, wrapper messages by their
// destination wPort, and a device the Handler does not know stays silent.
// ServeOptions carry fault hooks (OutFilter, InFilter) with which a
// simulator delays, drops, corrupts, duplicates or echoes what goes on the
// wire.
package transport
