// Package security implements DLMS/COSEM security suite 0 (IEC 62056-5-3,
// the DLMS UA Green Book): AES-GCM-128 ciphering of xDLMS APDUs with a
// 12-byte authentication tag, HLS authentication mechanism 5 (GMAC), the
// AES key wrap of RFC 3394 for key transfer, and the invocation-counter
// contract.
//
// # Ciphered APDUs
//
// A ciphered APDU is a tag, an A-XDR length, the security header (the
// security control byte and a 4-byte invocation counter) and the ciphered
// content. The tag says which key protects it:
//
//   - service-specific global ciphering: each plain APDU tag has a glo- tag
//     (get-request 0xC0 becomes glo-get-request 0xC8), ciphered with the
//     global unicast key, or the global broadcast key when the control byte
//     has bit 0x40 set;
//   - service-specific dedicated ciphering: ded- tags (0xD0 for get-request),
//     ciphered with the dedicated key agreed in the xDLMS InitiateRequest;
//   - general-glo-ciphering (0xDB) and general-ded-ciphering (0xDC): the
//     sender's system title and the ciphered content as two length-prefixed
//     octet strings, so that any APDU, a data-notification included, can be
//     protected.
//
// The nonce is the sender's system title followed by the invocation
// counter. When the APDU is authenticated and encrypted, the additional
// data is the control byte followed by the authentication key (SC ‖ AK);
// when it is only authenticated, the plaintext travels in clear and the
// tag is the GMAC over SC ‖ AK ‖ plaintext; when it is only encrypted,
// there is no tag.
//
// A [Context] holds the keys and system titles of one association;
// [Context.Encrypt] and [Context.Decrypt] turn a plain APDU into a ciphered
// one and back, appending to a caller's buffer. A Context is not safe for
// concurrent use: it belongs to the session that drives the association.
//
// # Invocation counters
//
// The counter of every APDU sent under a key must be new: it is reserved
// through a [CounterReserver] before the APDU leaves (the persistent
// implementation keeps it across restarts and key changes; [MemoryCounter]
// is for tests and the simulator), it never exceeds 0xFFFFFFFF, and
// [NearExhaustion] tells when it is time to change the key. On the
// receiving side a [ReplayGuard] rejects a counter that does not increase.
// The guard is advanced only after [Context.Decrypt] has authenticated the
// APDU, so that a forged counter cannot move it.
//
// # Errors
//
// Failures on received data are [*Error] values that name the APDU tag,
// the invocation counter and the offset, and wrap [ErrAuthentication] when
// a tag does not verify or [ErrDecipher] (with a more specific reason such
// as [ErrMalformed] or [ErrPolicy]) otherwise. No error message ever
// contains key material. Keys and KeyData print as "[redacted]".
package security
