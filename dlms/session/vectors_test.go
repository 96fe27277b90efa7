package session

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/dlmstest"
	"github.com/openhes/hes/dlms/hdlc"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/dlms/wrapper"
)

// The captured sessions between the Gurux client libraries and the Gurux
// example meter server (see testdata/vectors/PROVENANCE.md).
var vectors = os.DirFS("../../testdata/vectors")

// captured is one APDU of a captured session, reassembled from its link
// frames.
type captured struct {
	dir   dlmstest.Direction
	sap   uint16 // the client SAP
	b     []byte
	frame dlmstest.Frame // the frame that completed it, with its comments
}

// plain returns the APDU in clear: the "plain:" comment of a ciphered one.
func (c captured) plain() []byte {
	if security.IsCiphered(c.b[0]) && c.frame.Plain != nil {
		return c.frame.Plain
	}
	return c.b
}

// capturedAPDUs loads a session and returns its APDUs: the information of
// the HDLC I-frames without the LLC header, segments joined, or the
// contents of the wrapper frames.
func capturedAPDUs(t testing.TB, name string) (*dlmstest.Session, []captured) {
	t.Helper()
	s := dlmstest.MustLoad(t, vectors, name)
	var out []captured
	var pending [3][]byte // by direction
	for _, f := range s.Frames {
		if s.Framing == dlmstest.FramingWrapper {
			h, b, err := wrapper.ParseFrame(f.Bytes)
			if err != nil {
				t.Fatalf("%s line %d: %v", name, f.Line, err)
			}
			sap := h.Source
			if f.Dir == dlmstest.ServerToClient {
				sap = h.Dest
			}
			out = append(out, captured{dir: f.Dir, sap: sap, b: b, frame: f})
			continue
		}
		fr, err := hdlc.ParseFrame(f.Bytes)
		if err != nil {
			t.Fatalf("%s line %d: %v", name, f.Line, err)
		}
		if fr.Control.Kind != hdlc.KindI {
			continue
		}
		info := fr.Info
		if pending[f.Dir] == nil {
			if info, _, err = hdlc.CutLLC(info); err != nil {
				t.Fatalf("%s line %d: %v", name, f.Line, err)
			}
		}
		pending[f.Dir] = append(pending[f.Dir], info...)
		if fr.Segmented {
			continue
		}
		client := fr.Src
		if f.Dir == dlmstest.ServerToClient {
			client = fr.Dest
		}
		out = append(out, captured{dir: f.Dir, sap: client.Upper, b: pending[f.Dir], frame: f})
		pending[f.Dir] = nil
	}
	return s, out
}

// forSAP returns the APDUs exchanged with one client SAP.
func forSAP(l []captured, sap uint16) []captured {
	var out []captured
	for _, c := range l {
		if c.sap == sap {
			out = append(out, c)
		}
	}
	return out
}

// recordedClient returns a client configured like the one that recorded
// the session, from its AARQ: the same conformance, maximum PDU size,
// authentication and, for HLS-GMAC, the same challenge and the same
// counters.
func recordedClient(t testing.TB, s *dlmstest.Session, aarqBytes []byte, general bool) *Client {
	t.Helper()
	aarq, err := apdu.ParseAARQ(aarqBytes)
	if err != nil {
		t.Fatal(err)
	}
	cfg := ClientConfig{Mechanism: aarq.Mechanism, Password: aarq.CallingAuthenticationValue, FixedInvokeID: true, GeneralCiphering: general}
	ui := aarq.UserInformation
	if aarq.ApplicationContext.Ciphered() {
		h, _, err := security.ParseCiphered(ui)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Policy = security.PolicyAuthenticatedEncrypted
		cfg.Keys = security.Keys{Encryption: s.BlockCipherKey, Authentication: s.AuthenticationKey}
		cfg.SystemTitle = aarq.CallingAPTitle
		cfg.Counter = security.NewMemoryCounter(h.Counter)
		ctx := serverView(t, s)
		if ui, _, err = ctx.Decrypt(nil, ui); err != nil {
			t.Fatal(err)
		}
	}
	if aarq.Mechanism == apdu.MechanismHLSGMAC {
		cfg.Password = nil
		cfg.Rand = fixedReader(aarq.CallingAuthenticationValue)
		cfg.ChallengeSize = len(aarq.CallingAuthenticationValue)
	}
	ir, err := apdu.ParseInitiateRequest(ui)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Conformance, cfg.MaxPDU = ir.Conformance, ir.MaxReceivePDUSize
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// serverView returns a security context with the keys of the session, as
// the server sees them, to decipher what a client sends.
func serverView(t testing.TB, s *dlmstest.Session) *security.Context {
	ctx, err := security.NewContext(security.Config{
		Keys:        security.Keys{Encryption: s.BlockCipherKey, Authentication: s.AuthenticationKey},
		SystemTitle: s.ServerSystemTitle, PeerSystemTitle: s.ClientSystemTitle,
		Policy: security.PolicyAuthenticatedEncrypted,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

// clientView is serverView from the client's side.
func clientView(t testing.TB, s *dlmstest.Session) *security.Context {
	ctx, err := security.NewContext(security.Config{
		Keys:        security.Keys{Encryption: s.BlockCipherKey, Authentication: s.AuthenticationKey},
		SystemTitle: s.ClientSystemTitle, PeerSystemTitle: s.ServerSystemTitle,
		Policy: security.PolicyAuthenticatedEncrypted,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

// replayClient plays the client side of the recorded APDUs with c: each
// request the recording starts (open, GET, SET, ACTION, release) is
// started on c, each recorded answer fed to c, and every APDU that c sends
// compared with the recording. It returns the outcome of each step and
// whether each APDU of c was byte for byte the recorded one; an APDU that
// differs must still hold the recorded request in clear.
func replayClient(t *testing.T, s *dlmstest.Session, c *Client, l []captured) (outcomes []string, exact []bool) {
	t.Helper()
	same := func(ours []byte, rec captured) {
		t.Helper()
		if bytes.Equal(ours, rec.b) {
			exact = append(exact, true)
			return
		}
		exact = append(exact, false)
		switch {
		case security.IsCiphered(ours[0]):
			plain, _, err := serverView(t, s).Decrypt(nil, ours)
			if err != nil || !bytes.Equal(plain, rec.plain()) {
				t.Errorf("line %d: the client sent % X (%v)\nin clear % X\nrecorded % X", rec.frame.Line, ours, err, plain, rec.plain())
			}
		case apdu.Tag(ours[0]) == apdu.TagRLRQ && apdu.Tag(rec.b[0]) == apdu.TagRLRQ:
			// The ciphered RLRQ carries a ciphered InitiateRequest.
		default:
			t.Errorf("line %d: the client sent % X\nrecorded % X", rec.frame.Line, ours, rec.b)
		}
	}
	for i := 0; i < len(l); {
		rec := l[i]
		if rec.dir != dlmstest.ClientToServer {
			t.Fatalf("line %d: an answer with no request", rec.frame.Line)
		}
		req, err := startLike(c, rec.plain())
		if err != nil {
			t.Fatalf("line %d: %v", rec.frame.Line, err)
		}
		same(req, rec)
		kind := apdu.Tag(rec.plain()[0])
		for i++; ; {
			if i >= len(l) || l[i].dir != dlmstest.ServerToClient {
				t.Fatalf("line %d: no recorded answer", rec.frame.Line)
			}
			out, done, err := c.Receive(l[i].b)
			i++
			if done {
				outcomes = append(outcomes, outcome(kind, c, err))
				break
			}
			if out == nil || i >= len(l) || l[i].dir != dlmstest.ClientToServer {
				t.Fatalf("line %d: the client sends %X (%v) where the recording has none", l[i-1].frame.Line, out, err)
			}
			same(out, l[i])
			i++
		}
	}
	return outcomes, exact
}

// startLike starts on c the step that the recorded request starts.
func startLike(c *Client, req []byte) ([]byte, error) {
	a, err := apdu.Parse(req)
	if err != nil {
		return nil, err
	}
	switch r := a.(type) {
	case *apdu.AARQ:
		return c.Open()
	case *apdu.GetRequestNormal:
		return c.Get(r.Attribute, r.Access)
	case *apdu.SetRequestNormal:
		return c.Set(r.Attribute, r.Value)
	case *apdu.ActionRequestNormal:
		return c.Action(r.Method, r.Parameters)
	case *apdu.RLRQ:
		return c.Release()
	}
	return nil, fmt.Errorf("no step starts with %s", a.Name())
}

// outcome describes the end of a step: "associated", "released", an
// error, or the value of a call: "success" for a SET, the hex of the value
// else, "array[n]" for an array.
func outcome(kind apdu.Tag, c *Client, err error) string {
	switch {
	case err != nil:
		return "error: " + err.Error()
	case kind == apdu.TagAARQ:
		n := c.Negotiated()
		return fmt.Sprintf("%v %06X/%d", c.State(), uint32(n.Conformance), n.MaxPDU)
	case kind == apdu.TagRLRQ:
		return "released " + c.State().String()
	}
	v, err := c.Result().Value()
	switch {
	case err != nil:
		return "error: " + err.Error()
	case kind == apdu.TagSetRequest:
		return "success"
	case v.Tag == axdr.TagArray:
		return fmt.Sprintf("array[%d]", len(v.Items))
	}
	return hex.EncodeToString(v.Append(nil))
}

func TestVectorsClientReplay(t *testing.T) {
	tests := []struct {
		file  string
		sap   uint16
		want  []string
		exact bool // every APDU of the client as recorded
	}{
		{"hdlc_none_get.txt", 16, []string{"associated 000018/512", "090c07ea0b1b0502240400000000", "060001e265", "02020f00161e", "released idle"}, true},
		{"wrapper_none_get.txt", 16, []string{"associated 000018/512", "090c07ea0b1b0502240900000000", "060001e26a", "02020f00161e", "released idle"}, true},
		{"hdlc_lls_get_set_action.txt", 17, []string{"associated 001E1D/512", "090c07ea0b1b0502240500000000", "060001e266", "02020f00161e", "success", "00", "released idle"}, true},
		{"hdlc_none_block_transfer.txt", 16, []string{"associated 000018/512", "array[56]", "released idle"}, true},
		{"hdlc_lls_wrong_password.txt", 17, []string{"error: association rejected-permanent (acse-service-user: authentication-failure)"}, true},
		{"hdlc_hls_gmac_ciphered.txt", 16, []string{"associated 000018/512", "0600000091"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			s, all := capturedAPDUs(t, tc.file)
			l := forSAP(all, tc.sap)
			c := recordedClient(t, s, l[0].b, false)
			got, exact := replayClient(t, s, c, l)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("outcomes\n%q\nwant\n%q", got, tc.want)
			}
			for i, ok := range exact {
				if tc.exact && !ok {
					t.Errorf("client APDU %d differs from the recording", i)
				}
			}
		})
	}
}

// The ciphered session: HLS-GMAC, then general-glo-ciphering, a ciphered
// block transfer, and a plain release request answered with an exception.
// Gurux ciphers the HLS pass 3 with glo-ciphering and the rest with
// general-glo-ciphering: a client with glo-ciphering sends the AARQ and the
// pass 3 byte for byte, one with general-glo-ciphering all the requests
// that follow; both accept every answer of the server.
func TestVectorsClientReplayHLS(t *testing.T) {
	want := []string{"associated 401E1D/512", "090c07ea0b1b0502240700000000", "060001e268", "02020f00161e", "array[56]", "success", "00", "00", "released idle"}
	s, all := capturedAPDUs(t, "hdlc_hls_gmac_ciphered.txt")
	l := forSAP(all, 1)
	for _, general := range []bool{false, true} {
		t.Run(fmt.Sprintf("general=%v", general), func(t *testing.T) {
			c := recordedClient(t, s, l[0].b, general)
			got, exact := replayClient(t, s, c, l)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("outcomes\n%q\nwant\n%q", got, want)
			}
			// exact[0] is the AARQ, [1] the pass 3, the last the RLRQ.
			for i, ok := range exact {
				wantExact := i == 0 || (i == 1) != general
				if i == len(exact)-1 {
					wantExact = false // Gurux sends a plain RLRQ
				}
				if ok != wantExact {
					t.Errorf("client APDU %d exact = %v, want %v", i, ok, wantExact)
				}
			}
		})
	}
}

// guruxModel holds the objects of the Gurux example server that the
// captured clients use, with values of the same types.
type guruxModel struct{ testModel }

func newGuruxModel() *guruxModel {
	m := &guruxModel{testModel{values: map[apdu.AttributeDescriptor]axdr.Data{
		clockTime: axdr.OctetString(mustHex("07EA0B1B0502240400000000")),
		energy:    axdr.Uint32(123493),
		{ClassID: dlms.ClassRegister, Instance: energyObis, Attribute: 3}:                 axdr.Structure(axdr.Int8(0), axdr.Enum(30)),
		{ClassID: dlms.ClassData, Instance: dlms.OBIS{0, 0, 43, 1, 0, 255}, Attribute: 2}: axdr.Uint32(145),
	}}}
	return m
}

// Objects lists, like the Gurux server, more than fits in one APDU of 512
// bytes: its object list goes in blocks.
func (m *guruxModel) Objects() []Object {
	l := []Object{
		{Class: dlms.ClassClock, OBIS: clockObis, Attributes: 9, Methods: 6},
		{Class: dlms.ClassRegister, OBIS: energyObis, Attributes: 3, Methods: 1},
		{Class: dlms.ClassData, OBIS: dlms.OBIS{0, 0, 43, 1, 0, 255}, Attributes: 2},
		{Class: dlms.ClassDisconnectControl, OBIS: breakerObis, Attributes: 4, Methods: 2},
	}
	for i := range byte(12) {
		l = append(l, Object{Class: dlms.ClassProfileGeneric, Version: 1, OBIS: dlms.OBIS{1, 0, 99, 1, i, 255}, Attributes: 8, Methods: 4})
	}
	return l
}

func (m *guruxModel) Exists(class dlms.ClassID, obis dlms.OBIS) bool {
	for _, o := range m.Objects() {
		if o.Class == class && o.OBIS == obis {
			return true
		}
	}
	return false
}

func (m *guruxModel) Action(r MethodRequest, param *axdr.Data) (*axdr.Data, error) {
	m.actions = append(m.actions, r.Method)
	return nil, nil
}

// The recorded client requests, fed to our server, get answers of the same
// kind as the Gurux server's: the same APDU and variant, the same
// association result, values of the same type.
func TestVectorsServerAnswers(t *testing.T) {
	for _, file := range []string{"hdlc_none_get.txt", "wrapper_none_get.txt", "hdlc_lls_get_set_action.txt",
		"hdlc_none_block_transfer.txt", "hdlc_lls_wrong_password.txt", "hdlc_hls_gmac_ciphered.txt"} {
		t.Run(file, func(t *testing.T) {
			s, l := capturedAPDUs(t, file)
			model := newGuruxModel()
			cfg := ServerConfig{
				Objects:     model,
				SystemTitle: []byte("ABCDEFGH"),
				MaxPDU:      512,
				Associations: map[uint16]AssociationPolicy{
					16: {},
					17: {Mechanism: apdu.MechanismLLS, Password: []byte("Gurux")},
				},
			}
			if s.BlockCipherKey != nil {
				cfg.Associations[1] = AssociationPolicy{Mechanism: apdu.MechanismHLSGMAC, Security: &SecurityPolicy{
					Policy:  security.PolicyAuthenticatedEncrypted,
					Keys:    security.Keys{Encryption: s.BlockCipherKey, Authentication: s.AuthenticationKey},
					Counter: security.NewMemoryCounter(80),
				}}
				// Draw the server's challenge that the recorded client
				// answered.
				for _, c := range l {
					if aare, err := apdu.ParseAARE(c.b); err == nil && aare.RespondingAuthenticationValue != nil {
						cfg.Rand, cfg.ChallengeSize = fixedReader(aare.RespondingAuthenticationValue), len(aare.RespondingAuthenticationValue)
					}
				}
			}
			srv, err := NewServer(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var ctos []byte
			var view *security.Context
			if s.BlockCipherKey != nil {
				view = clientView(t, s)
			}
			for i, c := range l {
				if c.dir != dlmstest.ClientToServer {
					continue
				}
				if aarq, err := apdu.ParseAARQ(c.b); err == nil {
					ctos = aarq.CallingAuthenticationValue
				}
				resp, err := srv.Handle(c.sap, c.b)
				if i+1 >= len(l) || l[i+1].dir != dlmstest.ServerToClient {
					continue // the recording ends there
				}
				rec := l[i+1]
				if resp == nil {
					t.Fatalf("line %d: no answer (%v)", c.frame.Line, err)
				}
				if security.IsCiphered(resp[0]) {
					if resp, _, err = view.Decrypt(nil, resp); err != nil {
						t.Fatalf("line %d: %v", c.frame.Line, err)
					}
				}
				compareAnswers(t, c.frame.Line, resp, rec.plain(), view, ctos)
			}
			if srv.State(uint16(s.ClientAddress)) == AssociationPending {
				t.Errorf("association still pending")
			}
		})
	}
}

// compareAnswers checks that our answer is of the same kind as the
// recorded one.
func compareAnswers(t *testing.T, line int, ours, rec []byte, ctx *security.Context, ctos []byte) {
	t.Helper()
	if len(ours) < 2 || ours[0] != rec[0] {
		t.Errorf("line %d: answer % X, recorded % X", line, ours, rec)
		return
	}
	switch apdu.Tag(rec[0]) {
	case apdu.TagAARE:
		a, errA := apdu.ParseAARE(ours)
		b, errB := apdu.ParseAARE(rec)
		if errA != nil || errB != nil || a.Result != b.Result || a.Diagnostic != b.Diagnostic || (a.Result == apdu.ResultAccepted && a.ApplicationContext != b.ApplicationContext) {
			t.Errorf("line %d: AARE %+v (%v), recorded %+v (%v)", line, a, errA, b, errB)
		}
		return
	case apdu.TagExceptionResponse:
		// The state error; Gurux gives service-not-supported as the service
		// error where this server says operation-not-possible.
		if ours[1] != rec[1] {
			t.Errorf("line %d: answer % X, recorded % X", line, ours, rec)
		}
		return
	case apdu.TagRLRE:
		if !bytes.Equal(ours, rec) {
			t.Errorf("line %d: answer % X, recorded % X", line, ours, rec)
		}
		return
	}
	if ours[1] != rec[1] {
		t.Errorf("line %d: answer % X, recorded % X", line, ours, rec)
		return
	}
	a, errA := apdu.Parse(ours)
	b, errB := apdu.Parse(rec)
	if errA != nil || errB != nil {
		t.Fatalf("line %d: %v, %v", line, errA, errB)
	}
	switch a := a.(type) {
	case *apdu.GetResponseNormal:
		if b := b.(*apdu.GetResponseNormal); a.Result.Data.Tag != b.Result.Data.Tag || a.Result.IsAccessResult != b.Result.IsAccessResult {
			t.Errorf("line %d: %v value, recorded %v", line, a.Result.Data.Tag, b.Result.Data.Tag)
		}
	case *apdu.SetResponseNormal:
		if a.Result != b.(*apdu.SetResponseNormal).Result {
			t.Errorf("line %d: SET result %v", line, a.Result)
		}
	case *apdu.ActionResponseNormal:
		if a.Result.Result != b.(*apdu.ActionResponseNormal).Result.Result {
			t.Errorf("line %d: ACTION result %v", line, a.Result.Result)
		}
		if ret := a.Result.Return; ret != nil {
			// The server's f(CtoS) in answer to the HLS pass 3.
			if _, err := ctx.VerifyHLSResponse(ctos, ret.Data.Bytes); err != nil {
				t.Errorf("line %d: f(CtoS): %v", line, err)
			}
		}
	}
}

// The server answers a recorded pass 3 whose f(StoC) does not match its
// challenge with read-write-denied, and ends the association.
func TestVectorsServerRefusesOtherChallenge(t *testing.T) {
	s, l := capturedAPDUs(t, "hdlc_hls_gmac_ciphered.txt")
	l = forSAP(l, 1)
	cfg := ServerConfig{
		Objects: newGuruxModel(), SystemTitle: s.ServerSystemTitle, Rand: fixedReader("another challenge"),
		Associations: map[uint16]AssociationPolicy{1: {Mechanism: apdu.MechanismHLSGMAC, Security: &SecurityPolicy{
			Policy: security.PolicyAuthenticatedEncrypted, Keys: security.Keys{Encryption: s.BlockCipherKey, Authentication: s.AuthenticationKey},
			Counter: security.NewMemoryCounter(1), ClientSystemTitle: s.ClientSystemTitle,
		}}},
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Handle(1, l[0].b); err != nil || srv.State(1) != AssociationPending {
		t.Fatalf("AARQ: %v, %v", err, srv.State(1))
	}
	resp, err := srv.Handle(1, l[2].b)
	if !errors.Is(err, security.ErrAuthentication) || srv.State(1) != NonAssociated {
		t.Fatalf("pass 3: %v, %v", err, srv.State(1))
	}
	plain, _, err := clientView(t, s).Decrypt(nil, resp)
	if err != nil || !bytes.Equal(plain, mustHex("C701C10300")) {
		t.Errorf("answer % X, %v", plain, err)
	}
	// The recorded client's next request, replayed, finds no association.
	if resp, _ := srv.Handle(1, l[4].b); !bytes.Equal(resp, mustHex("D80101")) {
		t.Errorf("GET after the refusal: % X", resp)
	}
}
