package prepay

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ImportStatus is what became of one line of a recharge file.
type ImportStatus string

// The import statuses.
const (
	ImportBooked    ImportStatus = "BOOKED"
	ImportDuplicate ImportStatus = "DUPLICATE" // booked by an earlier import
	ImportRefused   ImportStatus = "REFUSED"
)

// ImportLine is the outcome of one line of a recharge file.
type ImportLine struct {
	Line   int // line number in the file, the header being line 1
	TxnID  string
	Status ImportStatus
	Reason string // why it was refused
	Entry  Entry  // the booking (Booked, Duplicate)
}

// ImportReport is the outcome of a recharge file.
type ImportReport struct {
	Lines                      []ImportLine
	Booked, Duplicate, Refused int
}

// The columns of a recharge file. txn_id, reference, amount and channel
// are required; paid_at (RFC 3339) and agent (mandatory for postal lines)
// are optional columns.
var (
	importRequired = []string{"txn_id", "reference", "amount", "channel"}
	importOptional = []string{"paid_at", "agent"}
)

// ImportRecharges books every line of a CSV recharge file (RFC 4180, a
// header line naming the columns in any order: txn_id, reference, amount,
// channel, and optionally paid_at and agent). Each line is booked on its
// own, like Recharge, and reported as booked, duplicate or refused with its
// reason: importing the same file again books nothing new. An error is
// returned only for a file that cannot be read (no header, an unknown or
// missing column) or a storage failure, with the report of the lines
// before.
func (e *Engine) ImportRecharges(r io.Reader) (ImportReport, error) {
	var rep ImportReport
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return rep, refused("import recharges", ErrInvalid, "no header line: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.ToLower(strings.TrimPrefix(h, "\ufeff")))
		known := false
		for _, k := range append(append([]string{}, importRequired...), importOptional...) {
			known = known || h == k
		}
		if !known {
			return rep, refused("import recharges", ErrInvalid, "unknown column %q", h)
		}
		if _, dup := col[h]; dup {
			return rep, refused("import recharges", ErrInvalid, "column %q twice", h)
		}
		col[h] = i
	}
	for _, k := range importRequired {
		if _, ok := col[k]; !ok {
			return rep, refused("import recharges", ErrInvalid, "missing column %q", k)
		}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rep, nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			rep.add(ImportLine{Line: pe.StartLine, Status: ImportRefused, Reason: pe.Err.Error()})
			continue
		}
		if err != nil {
			return rep, fmt.Errorf("prepay: reading recharge file: %w", err)
		}
		line, _ := cr.FieldPos(0)
		field := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		l := ImportLine{Line: line, TxnID: field("txn_id")}
		if len(rec) != len(header) {
			l.Status, l.Reason = ImportRefused, fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))
			rep.add(l)
			continue
		}
		req, why := parseImportLine(field)
		if why != "" {
			l.Status, l.Reason = ImportRefused, why
			rep.add(l)
			continue
		}
		b, err := e.Recharge(req)
		var re *RefusedError
		switch {
		case errors.As(err, &re):
			l.Status, l.Reason = ImportRefused, re.Reason
		case err != nil:
			return rep, err
		case b.Duplicate:
			l.Status, l.Entry = ImportDuplicate, b.Entry
		default:
			l.Status, l.Entry = ImportBooked, b.Entry
		}
		rep.add(l)
	}
}

func parseImportLine(field func(string) string) (RechargeRequest, string) {
	req := RechargeRequest{
		TxnID:     field("txn_id"),
		Reference: field("reference"),
		Channel:   Channel(strings.ToLower(field("channel"))),
		Agent:     field("agent"),
	}
	amount, err := ParseCents(field("amount"))
	if err != nil {
		return req, err.Error()
	}
	req.Amount = amount
	if s := field("paid_at"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return req, fmt.Sprintf("paid_at %q: want RFC 3339 (2006-01-02T15:04:05+01:00)", s)
		}
		req.PaidAt = t
	}
	return req, ""
}

func (r *ImportReport) add(l ImportLine) {
	r.Lines = append(r.Lines, l)
	switch l.Status {
	case ImportBooked:
		r.Booked++
	case ImportDuplicate:
		r.Duplicate++
	case ImportRefused:
		r.Refused++
	}
}
