package session

import (
	"fmt"

	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
)

// DefaultMaxTransfer is the default limit on the size of a value received
// in blocks: a transfer that grows past it is aborted.
const DefaultMaxTransfer = 1 << 24

// The raw data of a block transfer is the A-XDR encoding of what the
// normal APDU would carry: the Data value of a GET, a SET or the
// parameters and return parameters of an ACTION; for the with-list
// variants, the list with its count: the values of SET and ACTION, the
// Get-Data-Results of GET and the Action-Response-With-Optional-Data of
// ACTION.

// fitBlock returns how many of the remaining raw bytes fit in one block
// APDU of at most max bytes, where size(k) is the size of that APDU with k
// raw bytes, or 0 when not even one byte fits. size must grow by at least
// one byte per raw byte.
func fitBlock(remaining, max int, size func(k int) int) int {
	k := remaining
	for k > 0 {
		s := size(k)
		if s <= max {
			return k
		}
		k -= s - max
	}
	return 0
}

// blockSize returns the size function of fitBlock for a block APDU whose
// encoding with no raw data is empty bytes long (its raw data length
// taking one byte), once ciphered by seal.
func blockSize(empty int, sealed func(n int) int) func(k int) int {
	return func(k int) int { return sealed(empty - 1 + axdr.LengthSize(k) + k) }
}

// appendDataList appends a SEQUENCE OF Data: the count and the values.
func appendDataList(dst []byte, l []axdr.Data) []byte {
	dst = axdr.AppendLength(dst, len(l))
	for i := range l {
		dst = l[i].Append(dst)
	}
	return dst
}

// decodeDataList reads a SEQUENCE OF Data of want values. Bytes after it
// are ignored.
func decodeDataList(b []byte, want int) ([]axdr.Data, error) {
	n, size, err := axdr.ReadLength(b)
	if err != nil {
		return nil, fmt.Errorf("list count: %w", err)
	}
	if n != want {
		return nil, fmt.Errorf("list of %d values, want %d", n, want)
	}
	off := size
	l := make([]axdr.Data, n)
	for i := range l {
		d, m, err := axdr.Decode(b[off:])
		if err != nil {
			return nil, fmt.Errorf("value %d at offset %d: %w", i, off, err)
		}
		l[i] = d
		off += m
	}
	return l, nil
}

// decodeData reads one Data value. Bytes after it are ignored.
func decodeData(b []byte) (axdr.Data, error) {
	d, _, err := axdr.Decode(b)
	return d, err
}

// decodeGetResults reads the Get-Data-Results of a GET-response-with-list
// sent in blocks.
func decodeGetResults(raw []byte, want int) ([]apdu.GetDataResult, error) {
	l, err := apdu.ParseGetDataResults(raw)
	if err != nil {
		return nil, err
	}
	if len(l) != want {
		return nil, fmt.Errorf("%d results, want %d", len(l), want)
	}
	return l, nil
}

// decodeActionResults reads the results of an ACTION-response-with-list
// sent in blocks.
func decodeActionResults(raw []byte, want int) ([]apdu.ActionResult, error) {
	l, err := apdu.ParseActionResults(raw)
	if err != nil {
		return nil, err
	}
	if len(l) != want {
		return nil, fmt.Errorf("%d results, want %d", len(l), want)
	}
	return l, nil
}

// encodeGetResults returns the raw data of a GET-response-with-list.
func encodeGetResults(l []apdu.GetDataResult) []byte {
	return apdu.AppendGetDataResults(nil, l)
}

// encodeActionResults returns the raw data of an ACTION-response-with-list.
func encodeActionResults(l []apdu.ActionResult) []byte {
	return apdu.AppendActionResults(nil, l)
}
