package dlmsdump

import (
	"errors"
	"fmt"

	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
)

// hlsState is what HLS authentication (mechanism 5, GMAC) needs to check
// the two responses: the challenges of the AARQ and AARE.
type hlsState struct {
	mechanism  apdu.Mechanism
	ctos, stoc []byte
	pending    bool // a reply_to_HLS_authentication awaits the server's answer
}

// decipher adds to n, the node of the ciphered APDU b, the APDU it holds,
// when the keys and the sender's system title are known; otherwise a line
// says why it is not deciphered.
func (d *Dumper) decipher(n *Node, b []byte, rec *Record, depth int) error {
	switch {
	case depth > 0:
		n.add("deciphered", "no: a ciphered APDU inside a ciphered APDU")
		return nil
	case !security.IsCiphered(b[0]):
		n.add("deciphered", "no: this form of ciphering is not supported")
		return nil
	case d.opts.Keys == nil:
		n.add("deciphered", "no: no keys given")
		return nil
	}
	c, _, err := security.ParseCiphered(b)
	if err != nil {
		return err
	}
	sender := c.SystemTitle
	if sender == nil {
		sender = d.titles[rec.Direction]
	}
	if sender == nil {
		sender = d.opts.SystemTitle
	}
	if sender == nil {
		n.add("deciphered", "no: the sender's system title is not known")
		return nil
	}
	keys := *d.opts.Keys
	keys.Dedicated = d.dedicated
	ctx, err := d.context(keys, sender)
	if err != nil {
		return err
	}
	plain, _, err := ctx.Decrypt(nil, b)
	switch {
	case errors.Is(err, security.ErrNoKey):
		n.add("deciphered", "no: no key for "+c.Ciphering().String()+" ciphering")
		return nil
	case errors.Is(err, security.ErrUnsupported):
		n.add("deciphered", "no: "+err.Error())
		return nil
	case errors.Is(err, security.ErrAuthentication):
		return fmt.Errorf("%w (wrong keys, or %X is not the sender's system title)", err, sender)
	case err != nil:
		return err
	}
	how := "not authenticated"
	if c.Control.Authenticated() {
		how = "authentication tag verified"
	}
	dn := n.addf("deciphered", "with the system title %X, %s", sender, how)
	if len(plain) == 0 {
		dn.add("APDU", "absent")
		return nil
	}
	return d.apdu(dn, plain, rec, depth+1)
}

// context returns a security context that deciphers what peer sends. The
// own system title only has to differ from the peer's.
func (d *Dumper) context(keys security.Keys, peer []byte) (*security.Context, error) {
	own := make([]byte, len(peer))
	for i, c := range peer {
		own[i] = ^c
	}
	return security.NewContext(security.Config{
		Keys:            keys,
		SystemTitle:     own,
		PeerSystemTitle: peer,
		Policy:          security.PolicyNone,
	})
}

// hlsRequest checks the client's f(StoC) in reply_to_HLS_authentication
// (Association LN, method 1) of an HLS-GMAC association.
func (d *Dumper) hlsRequest(n *Node, a *apdu.ActionRequestNormal) {
	if d.hls.mechanism != apdu.MechanismHLSGMAC || a.Method.ClassID != 15 || a.Method.Method != 1 ||
		a.Parameters == nil || a.Parameters.Tag != axdr.TagOctetString {
		return
	}
	d.hls.pending = true
	d.verifyHLS(n, "f(StoC)", d.hls.stoc, a.Parameters.Bytes, d.titles[ClientToServer], "client")
}

// hlsResponse checks the server's f(CtoS) in the answer to
// reply_to_HLS_authentication.
func (d *Dumper) hlsResponse(n *Node, a *apdu.ActionResponseNormal) {
	if !d.hls.pending {
		return
	}
	d.hls.pending = false
	r := a.Result.Return
	if r == nil || r.IsAccessResult || r.Data.Tag != axdr.TagOctetString {
		return
	}
	d.verifyHLS(n, "f(CtoS)", d.hls.ctos, r.Data.Bytes, d.titles[ServerToClient], "server")
}

func (d *Dumper) verifyHLS(n *Node, what string, challenge, response, title []byte, whose string) {
	if d.opts.Keys == nil || challenge == nil || title == nil {
		return
	}
	ctx, err := d.context(*d.opts.Keys, title)
	if err != nil {
		return
	}
	ic, err := ctx.VerifyHLSResponse(challenge, response)
	if err != nil {
		n.addf("hls-gmac", "%s does not verify with the %s's system title %X", what, whose, title)
		return
	}
	n.addf("hls-gmac", "%s verified with the %s's system title %X, invocation counter %d", what, whose, title, ic)
}
