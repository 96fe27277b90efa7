package dlmsdump

import (
	"fmt"

	"github.com/openhes/hes/dlms/hdlc"
	"github.com/openhes/hes/dlms/security"
)

// Options configure a Dumper.
type Options struct {
	// Keys decipher the ciphered APDUs: Encryption and Authentication are
	// needed; nil shows ciphered APDUs with their security header only.
	Keys *security.Keys
	// SystemTitle is the sender's system title for the ciphered APDUs that
	// do not carry it, when the input does not tell it (the calling-AP-title
	// of an AARQ, the responding-AP-title of an AARE).
	SystemTitle []byte
}

// Error says where decoding stopped and why.
type Error struct {
	Line   int    // input line of a session file; 0 for hex input
	Offset int    // byte offset of the frame in its line or in the hex input
	What   string // "HDLC frame", "wrapper frame" or "APDU"
	Err    error
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Offset > 0:
		return fmt.Sprintf("line %d: %s at byte %d: %v", e.Line, e.What, e.Offset, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s: %v", e.Line, e.What, e.Err)
	}
	return fmt.Sprintf("%s at byte %d: %v", e.What, e.Offset, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// A Dumper decodes the chunks of one input, in order, into records. It
// keeps what earlier frames taught: segments of an APDU not yet complete,
// blocks of a long GET response, the system titles and authentication
// challenges of the association. A Dumper is not safe for concurrent use.
type Dumper struct {
	opts  Options
	index int // records made so far

	segments [3]reassembly // HDLC segments, by Direction
	blocks   [3]blocks     // datablocks of long GET responses, by Direction

	// what the input taught about the peers
	titles      [3][]byte // system titles, by the Direction their owner sends in
	clientHDLC  *hdlc.Address
	clientWPort int // -1 until known
	dedicated   []byte
	getWithList bool // the last GET request was get-request-with-list
	hls         hlsState
}

// New returns a Dumper. Keys, when given, must be KeySize bytes each, and
// the system title SystemTitleSize bytes; New copies them.
func New(opts Options) (*Dumper, error) {
	if opts.Keys != nil {
		if len(opts.Keys.Encryption) != security.KeySize || len(opts.Keys.Authentication) != security.KeySize {
			return nil, fmt.Errorf("dlmsdump: the encryption and authentication keys must be %d bytes each", security.KeySize)
		}
		k := security.Keys{
			Encryption:     clone(opts.Keys.Encryption),
			Authentication: clone(opts.Keys.Authentication),
		}
		opts.Keys = &k
	}
	if opts.SystemTitle != nil {
		if len(opts.SystemTitle) != security.SystemTitleSize {
			return nil, fmt.Errorf("dlmsdump: system title of %d bytes, want %d", len(opts.SystemTitle), security.SystemTitleSize)
		}
		opts.SystemTitle = clone(opts.SystemTitle)
	}
	return &Dumper{opts: opts, clientWPort: -1}, nil
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// Dump decodes one chunk of input. Its frames are HDLC frames when it
// starts with the 0x7E flag, wrapper frames when it starts with the
// wrapper version 0x0001, else one bare APDU. It returns a record per
// frame; when a frame cannot be decoded, it stops there with an *Error,
// and the records returned include that frame, with what could be decoded
// of it and the reason.
func (d *Dumper) Dump(c Chunk) ([]*Record, error) {
	var recs []*Record
	b := c.Bytes
	if len(b) == 0 {
		return nil, &Error{Line: c.Line, What: "input", Err: ErrNoHex}
	}
	kind := "APDU"
	switch b[0] {
	case hdlc.Flag:
		kind = "HDLC frame"
	case 0x00:
		kind = "wrapper frame"
	}
	for off := 0; off < len(b); {
		d.index++
		rec := &Record{Index: d.index, Line: c.Line, Offset: off, Direction: c.Direction, Node: &Node{Name: kind}}
		recs = append(recs, rec)
		var next int
		var err error
		switch kind {
		case "HDLC frame":
			next, err = d.hdlcFrame(rec, b, off)
		case "wrapper frame":
			next, err = d.wrapperFrame(rec, b, off)
		default:
			rec.Length = len(b) - off
			next = len(b)
			err = d.apdu(rec.Node, b[off:], rec, 0)
		}
		rec.Value = summary(rec)
		if err != nil {
			rec.add("error", err.Error())
			return recs, &Error{Line: c.Line, Offset: rec.Offset, What: kind, Err: err}
		}
		off = next
	}
	return recs, nil
}

// summary is the value of a record's top line.
func summary(r *Record) string {
	if r.Direction == Unknown {
		return fmt.Sprintf("%d bytes", r.Length)
	}
	return fmt.Sprintf("%v, %d bytes", r.Direction, r.Length)
}
