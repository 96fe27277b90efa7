package apdu

import (
	"bytes"
	"errors"
	"testing"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)

// The result lists are the raw data of with-list responses sent in blocks:
// the bytes of the with-list APDU after its tag, choice and invoke id.
func TestResultLists(t *testing.T) {
	get := GetResponseWithList{Invoke: 0xC1, Results: []GetDataResult{
		{Data: axdr.Uint32(123456)},
		{AccessResult: dlms.DataAccessReadWriteDenied, IsAccessResult: true},
	}}
	getRaw := AppendGetDataResults(nil, get.Results)
	if want := get.Append(nil)[3:]; !bytes.Equal(getRaw, want) {
		t.Fatalf("get results % X, want % X", getRaw, want)
	}
	gl, err := ParseGetDataResults(getRaw)
	if err != nil || len(gl) != 2 || gl[0].Data.Uint != 123456 || gl[1].AccessResult != dlms.DataAccessReadWriteDenied {
		t.Fatalf("ParseGetDataResults: %+v, %v", gl, err)
	}

	act := ActionResponseWithList{Invoke: 0xC1, Results: []ActionResult{{Result: dlms.ActionSuccess}, {Result: dlms.ActionReadWriteDenied}}}
	raw := AppendActionResults(nil, act.Results)
	if want := act.Append(nil)[3:]; !bytes.Equal(raw, want) {
		t.Fatalf("action results % X, want % X", raw, want)
	}
	al, err := ParseActionResults(raw)
	if err != nil || len(al) != 2 || al[1].Result != dlms.ActionReadWriteDenied {
		t.Fatalf("ParseActionResults: %+v, %v", al, err)
	}

	if _, err := ParseGetDataResults(getRaw[:len(getRaw)-1]); !errors.Is(err, ErrShort) {
		t.Errorf("a cut list: %v, want ErrShort", err)
	}
}
