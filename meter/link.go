package meter

import "context"

// Link carries the APDUs of one association between the head-end and a
// meter: the transport package implements it over HDLC and the wrapper, on
// TCP, serial lines and optical probes. The link is connected (HDLC
// SNRM/UA done) before the Client uses it, and the Client is its only user
// until Close.
type Link interface {
	// Exchange sends one complete APDU and returns the next complete APDU
	// that the meter sends back. It honours ctx's deadline and
	// cancellation; after an error the link may be unusable.
	Exchange(ctx context.Context, apdu []byte) ([]byte, error)
	// Close ends the link (HDLC DISC, closing the stream).
	Close() error
}

// Receiver is implemented by a Link that can also wait for an APDU
// without sending one. The Client uses it when the meter's answer is not
// the one it waits for (a late answer to an abandoned call, a
// notification pushed in the middle of a call): it then reads again
// instead of giving up the association.
type Receiver interface {
	Receive(ctx context.Context) ([]byte, error)
}
