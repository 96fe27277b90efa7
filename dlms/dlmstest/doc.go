// Package dlmstest holds test helpers shared by the dlms packages and
// those built on them: a loader of the captured session files in
// testdata/vectors, and the pure logic of transcript recording and replay.
//
// A session file is text: lines starting with '#' are comments, every
// other non-empty line is "C->S <HEX>" (client to server) or "S->C <HEX>"
// (server to client), one complete frame. Comments that begin with a
// bracketed index ("# [3] I-frame ...") open the block of comments that
// describes the next frame; comments before the first block describe the
// session, and those with known keys (addresses, authentication, keys,
// system titles) are parsed into Session fields.
//
// A Transcript is the same sequence of records without the comments; a
// Replayer plays the server side of one, so a test can check what a
// client sends against a recording the way crypto/tls replays its
// handshake recordings. Network plumbing is left to the tests that need
// it. The package reads files through an fs.FS, so a test passes
// os.DirFS("../../testdata/vectors").
package dlmstest
