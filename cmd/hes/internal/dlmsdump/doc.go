// Package dlmsdump turns captured DLMS/COSEM traffic into a readable tree:
// HDLC frames (IEC 62056-46), wrapper frames (IEC 62056-47) and bare
// APDUs, every field named, A-XDR values with their types, OBIS codes and
// date-times in their usual written forms. It is the presentation layer of
// "hes dlms decode"; the protocol itself is decoded by the dlms packages.
//
// Input is text: hex (ReadText accepts spaces, colons and line breaks) or
// the session format of the captured vectors, one frame a line with its
// direction:
//
//	# comment
//	C->S 7EA0070321930F017E
//	S->C 7EA01E2103...7E
//
// A Dumper decodes the chunks of one input in order and keeps what a
// session teaches: it reassembles segmented HDLC frames into one APDU and
// the blocks of a long GET response into one value, remembers the system
// titles of the AARQ and AARE, and with the keys of the association
// deciphers the ciphered APDUs of both directions. Keys never appear in
// its output or its errors.
//
// Records print as indented text (WriteText) or as JSON with the same
// structure (WriteJSON).
package dlmsdump
