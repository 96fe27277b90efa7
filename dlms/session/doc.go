// Package session is the DLMS/COSEM association and service engine, for
// both roles: a Client that opens an association with a meter and calls
// its services, and a Server that answers them from an object model.
//
// The package is pure: it turns APDUs into APDUs. It does no I/O, starts
// no goroutine and reads no clock. The driver (the meter client, the
// simulator) owns the link, the timers and the retries: it sends what the
// engine returns and feeds back what the peer answers. Link framing (HDLC,
// the TCP wrapper) is not its business either: it deals in complete
// xDLMS and ACSE APDUs.
//
// # Client
//
// A Client drives one association at a time, and one service call at a
// time in it. Every step returns the next APDU to send; Receive takes each
// answer and says what to do next:
//
//	req, err := c.Open() // the AARQ
//	for done := false; err == nil && !done; {
//		if req != nil {
//			send(req)
//		}
//		req, done, err = c.Receive(recv())
//		if !done && err != nil {
//			log(err) // an APDU discarded: wait for the next one
//			err = nil
//		}
//	}
//	req, err = c.Get(clock, nil) // then the same loop, then
//	value, err := c.Result().Value()
//
// Receive returns the next APDU to send (the HLS pass 3, a GET-request-next,
// the next block of a long SET...) until the step is done. When done is
// false and err is not nil, the APDU received was discarded (a response
// with a stale invoke id, an unsolicited notification) and the call still
// waits for its answer: read again. When done is true, err is the error of
// the step, if any; the result of a service call is then in Result.
//
// Open establishes the association with no authentication, LLS (a
// password) or HLS-GMAC (mechanism 5: a challenge from the configured
// random source, then the reply_to_HLS_authentication ACTION on the current
// association 0-0:40.0.0.255 and the check of the server's answer). With a
// security policy, the InitiateRequest of the AARQ is ciphered
// (glo-initiate-request), may carry a dedicated key, and every later APDU
// is ciphered: glo- or ded- ciphering by default, general-glo or
// general-ded ciphering on request. Each ciphered APDU takes a fresh
// invocation counter from the configured security.CounterReserver before
// it leaves; each ciphered answer is deciphered and its counter checked by
// a security.ReplayGuard.
//
// GET, SET and ACTION, normal and with-list, transfer long values in
// blocks both ways when a value does not fit in the negotiated maximum PDU
// size (the smaller of the client's and the server's): datablocks for GET
// and SET, pblocks for ACTION. Block numbers start at 1 for every transfer.
//
// # Server
//
// A Server answers the client SAPs of one link connection, each with its
// association policy: the authentication mechanism, the password or the
// keys, the security policy and the access rights. Handle takes each
// request and returns the answer. The objects themselves are those of an
// ObjectModel; the Server answers the current association object
// 0-0:40.0.0.255 itself (its logical name, its object list, and the
// reply_to_HLS_authentication method).
//
// The server answers what goes wrong as the standard says:
//
//   - an AARQ it refuses, with an AARE rejected-permanent and the diagnostic
//     application-context-name-not-supported,
//     authentication-mechanism-name-required or -not-recognised,
//     authentication-failure (a wrong password, a bad challenge) or
//     calling-AP-title-not-recognized; or no-reason-given with a
//     ConfirmedServiceError initiateError: deciphering-error
//     (application-reference) when the InitiateRequest does not decipher,
//     dlms-version-too-low, incompatible-conformance or pdu-size-too-short;
//   - a request without an association, before the HLS pass 3, or in clear
//     in a ciphered association, with an exception response
//     (service-not-allowed, operation-not-possible); one that does not
//     decipher with (service-not-allowed, deciphering-error); one whose
//     invocation counter is not new with (service-not-allowed,
//     invocation-counter-error) and the counter expected; one longer than
//     the server's maximum PDU size with (service-not-allowed,
//     pdu-too-long); an unknown APDU with (service-unknown,
//     service-not-supported);
//   - an object that is not in the model with object-undefined, one that
//     the association does not see with scope-of-access-violated, an
//     attribute or a method it may not access with read-write-denied;
//   - a wrong HLS pass 3 with read-write-denied, and the association ends;
//   - an answer too long for the client when block transfer was not
//     negotiated with other-reason (for ACTION: success, with other-reason
//     in place of the return parameters);
//   - a release request in clear in a ciphered association with an
//     exception response: the RLRQ must carry the ciphered InitiateRequest.
//
// # Leniency
//
// What the engine sends is strict; what it accepts is lenient where
// deployed meters need it and it is safe:
//
//   - bytes after a complete response APDU, or after the value of a
//     completed block transfer, are ignored (some meters answer a clock read
//     with 18 bytes after the date-time). The APDU has no length of its own;
//     the link framing delimits it, and in a ciphered association those
//     bytes are inside the authenticated plaintext. A response cut short is
//     still an error.
//   - a server may answer with blocks even when block transfer was not
//     negotiated. The client only sends blocks when it was.
//   - a server that answers the release request with an exception response
//     (as some do when the request carries no ciphered InitiateRequest)
//     still ends the association on the client's side.
//   - the client does not refuse to call a service that the negotiated
//     conformance block lacks: the server answers for it.
package session
