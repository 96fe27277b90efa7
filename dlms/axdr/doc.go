// Package axdr encodes and decodes the A-XDR data types of IEC 62056-6-2
// (the COSEM "Data" CHOICE) and the COSEM date-time, date and time.
//
// Decode works on a []byte, checks bounds before every read and never
// panics; its errors are *DecodeError values that give the offset of the
// faulty element and wrap ErrShort, ErrUnknownTag, ErrLength or ErrDepth.
// Data.Append appends to a caller's buffer. A decoded value re-encodes to
// the same bytes as long as the input used canonical lengths.
//
// A value reads as text with Data.String (one line) or Data.WriteTree (one
// value a line), and as JSON with Data.MarshalJSON. DateTime, Date and Time
// hold the COSEM date and time types, which attributes mostly carry as
// octet-strings (DateTimeData, Data.DateTime); DateTime.AsTime and
// DateTimeOf convert to and from time.Time.
package axdr
