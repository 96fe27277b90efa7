// Package tcp carries DLMS over TCP: HDLC frames (IEC 62056-46 over a TCP
// stream, as behind a serial-to-TCP converter) and the wrapper of IEC
// 62056-47.
//
// A client dials a meter and gets a connected link of package transport:
//
//	link, err := tcp.DialHDLC(ctx, "10.0.0.7:4059", transport.HDLCConfig{Client: 16, Logical: 1, Physical: 17})
//	link, err := tcp.DialWrapper(ctx, "10.0.0.7:4059", transport.WrapperConfig{Client: 16, Server: 1})
//
// A Server accepts connections on one port for any number of devices and
// tells the framing of each connection from its first bytes; the links are
// served by transport.ServeConn.
package tcp
