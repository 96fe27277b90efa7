package apdu

import "github.com/openhes/hes/dlms/axdr"

// The lists of results of GET-response-with-list and ACTION-response-with-
// list. Sent in blocks, they are the raw data of the blocks, so a session
// encodes and decodes them apart from their APDU.

// AppendGetDataResults appends the SEQUENCE OF Get-Data-Result of a
// GET-response-with-list.
func AppendGetDataResults(dst []byte, l []GetDataResult) []byte {
	dst = axdr.AppendLength(dst, len(l))
	for i := range l {
		dst = appendGetDataResult(dst, &l[i])
	}
	return dst
}

// ParseGetDataResults reads the SEQUENCE OF Get-Data-Result of a
// GET-response-with-list; bytes after it are ignored.
func ParseGetDataResults(b []byte) ([]GetDataResult, error) {
	d := decoder{b: b, name: "get-data-result list"}
	l, _, err := finish(&d, d.getDataResults("result"))
	return l, err
}

// AppendActionResults appends the SEQUENCE OF Action-Response-With-
// Optional-Data of an ACTION-response-with-list.
func AppendActionResults(dst []byte, l []ActionResult) []byte {
	dst = axdr.AppendLength(dst, len(l))
	for i := range l {
		dst = appendActionResult(dst, &l[i])
	}
	return dst
}

// ParseActionResults reads the SEQUENCE OF Action-Response-With-Optional-
// Data of an ACTION-response-with-list; bytes after it are ignored.
func ParseActionResults(b []byte) ([]ActionResult, error) {
	d := decoder{b: b, name: "action-result list"}
	l, _, err := finish(&d, d.actionResults("list-of-responses"))
	return l, err
}

// getDataResults reads a SEQUENCE OF Get-Data-Result.
func (d *decoder) getDataResults(field string) []GetDataResult {
	n := d.count(field, 2)
	if n == 0 {
		return nil
	}
	l := make([]GetDataResult, n)
	for i := range l {
		if d.err != nil {
			break
		}
		l[i] = d.getDataResult(field, i)
	}
	return l
}

// actionResults reads a SEQUENCE OF Action-Response-With-Optional-Data.
func (d *decoder) actionResults(field string) []ActionResult {
	n := d.count(field, 2)
	if n == 0 {
		return nil
	}
	l := make([]ActionResult, n)
	for i := range l {
		if d.err != nil {
			break
		}
		l[i] = d.actionResult(field, i)
	}
	return l
}
