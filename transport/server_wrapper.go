package transport

import (
	"context"
	"errors"

	"github.com/openhes/hes/dlms/wrapper"
)

// maxWrapperSessions bounds the wPort pairs one stream keeps a session
// for.
const maxWrapperSessions = 1024

func (s *server) serveWrapper(ctx context.Context, head []byte) error {
	maxAPDU := s.opt.MaxAPDU
	if maxAPDU <= 0 || maxAPDU > wrapper.MaxAPDU {
		maxAPDU = wrapper.MaxAPDU
	}
	df := wrapper.Deframer{MaxAPDU: maxAPDU}
	sessions := make(map[[2]uint16]Session)
	defer func() {
		for _, sess := range sessions {
			sess.Close()
		}
	}()
	in := head
	for {
		if len(in) > 0 {
			if _, err := df.Write(in); err != nil {
				return err
			}
			in = nil
		}
		for {
			h, apdu, err := df.Next()
			if errors.Is(err, wrapper.ErrNeedMore) {
				break
			}
			if err != nil {
				return err // a broken header: the stream is lost
			}
			if s.opt.Trace != nil {
				msg := wrapper.AppendHeader(nil, h)
				s.opt.Trace(Received, append(msg, apdu...))
			}
			key := [2]uint16{h.Source, h.Dest}
			peer := Peer{Framing: FramingWrapper, Client: h.Source, Logical: h.Dest}
			sess := sessions[key]
			if sess == nil {
				if len(sessions) >= maxWrapperSessions {
					continue
				}
				var ok bool
				if sess, ok = s.h.Open(ctx, peer); !ok {
					continue // no such device: silence
				}
				sessions[key] = sess
			}
			ans := sess.Serve(ctx, Request{Peer: peer, APDU: apdu})
			if ans == nil {
				continue
			}
			msg, err := wrapper.AppendFrame(nil, h.Dest, h.Source, ans)
			if err != nil {
				continue // an answer above the format's limit cannot be sent
			}
			if err := s.emit(ctx, Outgoing{Peer: peer, Bytes: msg, Last: true, Parts: 1}); err != nil {
				return err
			}
		}
		p, err := s.readIn(ctx, s.idleDeadline())
		in = p
		if err != nil && len(p) == 0 {
			return s.end(err)
		}
	}
}
