package dlmsdump

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func TestReadText(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []Chunk
	}{
		{"spaces colons newlines", "7E A0:07\n03 21\t93 0F01 7E\n", []Chunk{{Bytes: unhex("7EA0070321930F017E")}}},
		{"0x prefixes and commas", "0x7E, 0xA0,0x07", []Chunk{{Bytes: unhex("7EA007")}}},
		{"dashes", "7E-A0-07", []Chunk{{Bytes: unhex("7EA007")}}},
		{"comments", "# a capture\n7EA0 # first bytes\r\n07\r\n", []Chunk{{Bytes: unhex("7EA007")}}},
		{"session", "# [1] SNRM\nC->S 7EA007\n\n  S->C 7E A0 08 # UA\n", []Chunk{
			{Line: 2, Direction: ClientToServer, Bytes: unhex("7EA007")},
			{Line: 4, Direction: ServerToClient, Bytes: unhex("7EA008")},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadText(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d chunks, want %d", len(got), len(tt.want))
			}
			for i := range got {
				g, w := got[i], tt.want[i]
				if g.Line != w.Line || g.Direction != w.Direction || !bytes.Equal(g.Bytes, w.Bytes) {
					t.Errorf("chunk %d: got line %d %v %X, want line %d %v %X", i, g.Line, g.Direction, g.Bytes, w.Line, w.Direction, w.Bytes)
				}
			}
		})
	}
}

func TestReadTextErrors(t *testing.T) {
	tests := []struct {
		text         string
		line, column int
		err          error
	}{
		{"7EG0", 1, 3, ErrHexDigit},
		{"7E A0\n7E A 07", 2, 4, ErrOddDigits},
		{"7EA0 0x", 1, 6, ErrOddDigits},
		{"C->S 7EZZ", 1, 8, ErrHexDigit},
		{"C->S 7E\n7E", 2, 0, ErrDirection},
		{"# nothing\n\n", 1, 0, ErrNoHex},
		{"S->C # no bytes", 1, 0, ErrNoHex},
	}
	for _, tt := range tests {
		_, err := ReadText(tt.text)
		var ie *InputError
		if !errors.As(err, &ie) || !errors.Is(err, tt.err) || ie.Line != tt.line || ie.Column != tt.column {
			t.Errorf("ReadText(%q): %v, want line %d column %d: %v", tt.text, err, tt.line, tt.column, tt.err)
		}
	}
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
