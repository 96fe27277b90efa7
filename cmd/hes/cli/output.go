package cli

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/openhes/hes/dlms/axdr"
)

// table gathers rows of cells and prints them aligned under a header,
// for people; --json prints the same data through writeJSON instead.
type table struct {
	header []string
	rows   [][]string
}

func newTableOf(header ...string) *table { return &table{header: header} }

// add appends a row; cells beyond the header are dropped, missing ones
// are empty.
func (t *table) add(cells ...string) {
	row := make([]string, len(t.header))
	copy(row, cells)
	t.rows = append(t.rows, row)
}

// write prints the table: a header line in capitals, then the rows, the
// columns aligned with two spaces between them. Tabs and line breaks in
// cells become spaces, so that a value cannot break the alignment.
func (t *table) write(w io.Writer) error {
	tw := newTable(w)
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				io.WriteString(tw, "\t")
			}
			io.WriteString(tw, cell(c))
		}
		io.WriteString(tw, "\n")
	}
	hdr := make([]string, len(t.header))
	for i, h := range t.header {
		hdr[i] = strings.ToUpper(h)
	}
	line(hdr)
	for _, r := range t.rows {
		line(r)
	}
	return tw.Flush()
}

// keyValues prints pairs of a name and a value, aligned, for the
// commands that show one object.
func keyValues(w io.Writer, pairs ...[2]string) error {
	tw := newTable(w)
	for _, p := range pairs {
		fmt.Fprintf(tw, "%s:\t%s\n", p[0], p[1])
	}
	return tw.Flush()
}

// localStamp formats t for people in loc, to the second, with the zone.
func localStamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format("2006-01-02 15:04:05 MST")
}

// valueText formats a COSEM value for people: a printable octet-string
// as quoted text, a 12-byte one as the date-time it holds, a logical name
// as an OBIS code, anything else as its type and value.
func valueText(d axdr.Data) string {
	switch d.Tag {
	case axdr.TagOctetString, axdr.TagVisibleString, axdr.TagUTF8String:
		if d.Tag == axdr.TagOctetString && len(d.Bytes) == axdr.DateTimeSize {
			if dt, err := axdr.ParseDateTime(d.Bytes); err == nil && dt.Validate() == nil {
				return dt.String()
			}
		}
		if printable(d.Bytes) {
			return fmt.Sprintf("%q", d.Bytes)
		}
	}
	return d.String()
}

func printable(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range string(b) {
		if c == unicode.ReplacementChar || !unicode.IsPrint(c) {
			return false
		}
	}
	return true
}
