package cli

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/openhes/hes/cmd/hes/internal/dlmsdump"
	"github.com/openhes/hes/dlms/security"
)

// maxDecodeInput bounds the input of hes dlms decode.
const maxDecodeInput = 64 << 20

// Environment variables that hold the keys of hes dlms decode.
const (
	envEK = "HES_EK"
	envAK = "HES_AK"
)

type dlmsDecodeOptions struct {
	file           string
	ek, ak         string
	ekFile, akFile string
	systemTitle    string
}

func newDLMSDecodeCmd(g *globals) *cobra.Command {
	o := &dlmsDecodeOptions{}
	cmd := &cobra.Command{
		Use:   "decode [HEX...]",
		Short: "Decode captured DLMS/COSEM frames: HDLC, wrapper or bare APDUs",
		Long: `Decode captured DLMS/COSEM traffic and print every field by name.

The input is hex, given as arguments or read with --file (- for stdin), in
which spaces, colons and line breaks are allowed and '#' starts a comment.
HDLC frames (opening with 7E), wrapper frames (opening with the version
0001) and bare APDUs are told apart by their first byte; several frames may
follow one another. A file may also be a session, one frame a line with its
direction: "C->S <hex>" or "S->C <hex>". Segmented HDLC frames are
reassembled into one APDU, and the blocks of a long GET response into one
value.

Ciphered APDUs are shown with their security header. With the global
encryption and authentication keys (--ek and --ak, --ek-file and --ak-file,
or HES_EK and HES_AK) they are deciphered too: the sender's system title is
taken from the APDU, from the AARQ (client) and AARE (server) of the same
input, or else from --system-title. Keys never appear in the output.

Decoding stops at the first frame that cannot be decoded; what came before
it is printed, and hes exits with status 2.`,
		Example: `  hes dlms decode 7EA0070321930F017E
  hes dlms decode --file session.txt --json
  HES_EK=... HES_AK=... hes dlms decode --file capture.txt
  hes dlms decode --ek-file ek.hex --ak-file ak.hex --system-title 4D4D4D0000BC614E C81E30...`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(g, args)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "read the input from `FILE` (- for stdin)")
	f.StringVar(&o.ek, "ek", "", "global unicast encryption key as `HEX` (32 digits); --ek-file or "+envEK+" keep it out of the process list")
	f.StringVar(&o.ak, "ak", "", "authentication key as `HEX` (32 digits); --ak-file or "+envAK+" keep it out of the process list")
	f.StringVar(&o.ekFile, "ek-file", "", "read the encryption key from `FILE`: hex, or 16 raw bytes")
	f.StringVar(&o.akFile, "ak-file", "", "read the authentication key from `FILE`: hex, or 16 raw bytes")
	f.StringVar(&o.systemTitle, "system-title", "", "the sender's system title as `HEX` (16 digits), for ciphered APDUs that do not carry it")
	return cmd
}

func (o *dlmsDecodeOptions) run(g *globals, args []string) error {
	keys, err := o.keys()
	if err != nil {
		return err
	}
	var title []byte
	if o.systemTitle != "" {
		title, err = parseHexValue(o.systemTitle)
		if err != nil || len(title) != security.SystemTitleSize {
			return badInput("--system-title: want %d bytes as %d hex digits", security.SystemTitleSize, 2*security.SystemTitleSize)
		}
	}
	chunks, err := o.input(g, args)
	if err != nil {
		return err
	}
	d, err := dlmsdump.New(dlmsdump.Options{Keys: keys, SystemTitle: title})
	if err != nil {
		return badInput("%v", err)
	}
	var recs []*dlmsdump.Record
	var stop error
	for _, c := range chunks {
		r, err := d.Dump(c)
		recs = append(recs, r...)
		if err != nil {
			stop = err
			break
		}
	}
	if g.json {
		err = dlmsdump.WriteJSON(g.stdout, recs, stop)
	} else {
		err = dlmsdump.WriteText(g.stdout, recs)
	}
	if err != nil {
		return err
	}
	if stop != nil {
		return badInput("decode: %v", stop)
	}
	return nil
}

// input reads the text to decode, from the arguments (one line each) or
// the file, and splits it into chunks.
func (o *dlmsDecodeOptions) input(g *globals, args []string) ([]dlmsdump.Chunk, error) {
	var text string
	switch {
	case len(args) > 0 && o.file != "":
		return nil, badInput("give the hex as arguments or --file, not both")
	case len(args) > 0:
		text = strings.Join(args, "\n")
	case o.file != "":
		var r io.Reader = g.stdin
		if o.file != "-" {
			f, err := os.Open(o.file)
			if err != nil {
				return nil, badInput("--file: %v", err)
			}
			defer f.Close()
			r = f
		}
		b, err := io.ReadAll(io.LimitReader(r, maxDecodeInput+1))
		if err != nil {
			return nil, fmt.Errorf("--file: %w", err)
		}
		if len(b) > maxDecodeInput {
			return nil, badInput("--file: more than %d MiB of input", maxDecodeInput>>20)
		}
		text = string(b)
	default:
		return nil, badInput("nothing to decode: give the hex as arguments or --file (- for stdin)")
	}
	chunks, err := dlmsdump.ReadText(text)
	var ie *dlmsdump.InputError
	switch {
	case errors.As(err, &ie) && len(args) > 0:
		where := fmt.Sprintf("argument %d", ie.Line)
		if ie.Column > 0 {
			where += fmt.Sprintf(", column %d", ie.Column)
		}
		return nil, badInput("decode: %s: %v", where, ie.Err)
	case err != nil:
		return nil, badInput("decode: %v", err)
	}
	return chunks, nil
}

// keys gathers the keys to decipher with, or returns nil when none is
// given. Error messages name where a key came from, never what it is.
func (o *dlmsDecodeOptions) keys() (*security.Keys, error) {
	ek, err := loadKey("--ek", o.ek, "--ek-file", o.ekFile, envEK)
	if err != nil {
		return nil, err
	}
	ak, err := loadKey("--ak", o.ak, "--ak-file", o.akFile, envAK)
	if err != nil {
		return nil, err
	}
	switch {
	case ek == nil && ak == nil:
		return nil, nil
	case ek == nil:
		return nil, badInput("deciphering needs the encryption key too: --ek, --ek-file or %s", envEK)
	case ak == nil:
		return nil, badInput("deciphering needs the authentication key too: --ak, --ak-file or %s", envAK)
	}
	return &security.Keys{Encryption: ek, Authentication: ak}, nil
}

// loadKey reads a key from its flag, its file or its environment
// variable, in that order of precedence; a flag and a file together are
// an error.
func loadKey(flag, value, fileFlag, file, env string) ([]byte, error) {
	switch {
	case value != "" && file != "":
		return nil, badInput("%s and %s: give one of them", flag, fileFlag)
	case value != "":
		return parseKey(flag, value)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, badInput("%s: %v", fileFlag, err)
		}
		if k, err := parseKey(fileFlag, string(b)); err == nil {
			return k, nil
		}
		if len(b) == security.KeySize {
			return b, nil
		}
		return nil, badInput("%s: want a %d-byte key as %d hex digits, or %d raw bytes", fileFlag, security.KeySize, 2*security.KeySize, security.KeySize)
	}
	if v := os.Getenv(env); v != "" {
		return parseKey(env, v)
	}
	return nil, nil
}

func parseKey(source, text string) ([]byte, error) {
	k, err := parseHexValue(text)
	if err != nil || len(k) != security.KeySize {
		return nil, badInput("%s: want a %d-byte key as %d hex digits", source, security.KeySize, 2*security.KeySize)
	}
	return k, nil
}

// parseHexValue decodes a hex value in which spaces and colons may
// separate the bytes. Its error does not repeat the text, which may be a
// secret.
func parseHexValue(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == ':' || r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("not hex")
	}
	return b, nil
}
