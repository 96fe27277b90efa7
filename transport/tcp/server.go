package tcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/openhes/hes/transport"
)

// Options configure a Server.
type Options struct {
	// ConnOptions returns the options of a new connection: link
	// parameters, inactivity, fault filters (which may keep state of
	// their own per connection), a trace. Nil means the zero options.
	ConnOptions func(remote net.Addr) transport.ServeOptions
	// Framing forces the framing of every connection; zero tells it from
	// the first bytes (transport.ServeConn).
	Framing transport.Framing
	// ConnError, if set, is told why a connection ended, unless it ended
	// normally (the client closed it, or the Server was closed).
	ConnError func(remote net.Addr, err error)
}

// Server accepts TCP connections and serves the DLMS links on each with
// a transport.Handler. One port serves any number of devices: HDLC frames
// are routed by their destination address, wrapper messages by their
// destination wPort.
type Server struct {
	l      net.Listener
	h      transport.Handler
	opts   Options
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// Listen listens on the TCP address and serves the connections.
func Listen(address string, h transport.Handler, opts Options) (*Server, error) {
	l, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("tcp: listen: %w", err)
	}
	return Serve(l, h, opts), nil
}

// Serve serves the connections accepted by l, which the Server owns from
// then on.
func Serve(l net.Listener, h transport.Handler, opts Options) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{l: l, h: h, opts: opts, ctx: ctx, cancel: cancel, conns: make(map[net.Conn]struct{})}
	s.wg.Add(1)
	go s.accept()
	return s
}

// Addr is the address the Server listens on.
func (s *Server) Addr() net.Addr { return s.l.Addr() }

// Close stops accepting, closes every connection, and returns when all
// the Server's goroutines have ended (and the sessions of their links
// have been closed).
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.cancel()
	err := s.l.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		conn, err := s.l.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait and retry.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.conns[conn] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(conn)
	}
}

func (s *Server) serve(conn net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
		conn.Close()
	}()
	var opt transport.ServeOptions
	if s.opts.ConnOptions != nil {
		opt = s.opts.ConnOptions(conn.RemoteAddr())
	}
	var err error
	switch s.opts.Framing {
	case transport.FramingHDLC:
		err = transport.ServeHDLC(s.ctx, conn, s.h, opt)
	case transport.FramingWrapper:
		err = transport.ServeWrapper(s.ctx, conn, s.h, opt)
	default:
		err = transport.ServeConn(s.ctx, conn, s.h, opt)
	}
	if err != nil && s.ctx.Err() == nil && s.opts.ConnError != nil {
		s.opts.ConnError(conn.RemoteAddr(), err)
	}
}
