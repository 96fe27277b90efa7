package tcp

import (
	"context"
	"fmt"
	"net"

	"github.com/openhes/hes/transport"
)

// Dialer opens client links over TCP. The zero value dials with a
// net.Dialer.
type Dialer struct {
	// Dial opens the connection; nil means (&net.Dialer{}).DialContext.
	// Tests and proxies inject their own.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
}

// DialHDLC dials address and connects an HDLC link (SNRM/UA) with
// Dialer{}.
func DialHDLC(ctx context.Context, address string, cfg transport.HDLCConfig) (*transport.HDLCLink, error) {
	return Dialer{}.DialHDLC(ctx, address, cfg)
}

// DialWrapper dials address and returns a wrapper link with Dialer{}.
func DialWrapper(ctx context.Context, address string, cfg transport.WrapperConfig) (*transport.WrapperLink, error) {
	return Dialer{}.DialWrapper(ctx, address, cfg)
}

// DialHDLC dials address and connects an HDLC link: the SNRM/UA exchange
// is done when it returns. On error the connection is closed.
func (d Dialer) DialHDLC(ctx context.Context, address string, cfg transport.HDLCConfig) (*transport.HDLCLink, error) {
	conn, err := d.dial(ctx, address)
	if err != nil {
		return nil, err
	}
	link, err := transport.NewHDLCClient(conn, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if err := link.Connect(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return link, nil
}

// DialWrapper dials address and returns a wrapper link over the
// connection.
func (d Dialer) DialWrapper(ctx context.Context, address string, cfg transport.WrapperConfig) (*transport.WrapperLink, error) {
	conn, err := d.dial(ctx, address)
	if err != nil {
		return nil, err
	}
	link, err := transport.NewWrapperClient(conn, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return link, nil
}

func (d Dialer) dial(ctx context.Context, address string) (net.Conn, error) {
	dial := d.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	conn, err := dial(ctx, "tcp", address)
	if err != nil {
		return nil, fmt.Errorf("tcp: dial %s: %w", address, err)
	}
	return conn, nil
}
