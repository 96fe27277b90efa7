package meter

import (
	"bytes"
	"context"
	"errors"
	"math"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
)

// SecuritySetup is what a Security setup object (class 64, version 0)
// says of the association's security.
type SecuritySetup struct {
	// Policy is security_policy (attribute 2). Version 1 of the class
	// codes it as bits; the value is kept as it came.
	Policy            security.Policy
	Suite             uint8  // security_suite (attribute 3): 0 for AES-GCM-128
	ClientSystemTitle []byte // client_system_title (attribute 4)
	ServerSystemTitle []byte // server_system_title (attribute 5)
}

// invocationCounter is the logical name of the Data object that holds the
// meter's invocation counter of the management client's key.
var invocationCounter = dlms.OBIS{0, 0, 43, 1, 0, 255}

// ReadSecuritySetup reads attributes 2 to 5 of a Security setup, in one
// request when the association has the with-list services.
func (c *Client) ReadSecuritySetup(ctx context.Context, obis dlms.OBIS) (SecuritySetup, error) {
	const class = dlms.ClassSecuritySetup
	values, err := c.getAttrs(ctx, class, obis, 2, 3, 4, 5)
	if err != nil {
		return SecuritySetup{}, err
	}
	var s SecuritySetup
	policy, err := asUint(values[0], math.MaxUint8)
	if err != nil {
		return SecuritySetup{}, badValue(class, obis, 2, err)
	}
	suite, err := asUint(values[1], math.MaxUint8)
	if err != nil {
		return SecuritySetup{}, badValue(class, obis, 3, err)
	}
	s.Policy, s.Suite = security.Policy(policy), uint8(suite)
	for i, dst := range []*[]byte{&s.ClientSystemTitle, &s.ServerSystemTitle} {
		b, err := asBytes(values[2+i])
		if err != nil {
			return SecuritySetup{}, badValue(class, obis, int8(4+i), err)
		}
		*dst = bytes.Clone(b)
	}
	return s, nil
}

// ActivateSecurity invokes security_activate (method 1) of a Security
// setup: the meter requires policy p from then on. A policy cannot be
// lowered this way.
func (c *Client) ActivateSecurity(ctx context.Context, obis dlms.OBIS, p security.Policy) error {
	arg := axdr.Enum(uint8(p))
	_, err := c.Action(ctx, dlms.ClassSecuritySetup, obis, 1, &arg)
	return err
}

// TransferGlobalKeys invokes global_key_transfer (method 2) of a Security
// setup: each key is wrapped under kek, the meter's current master key,
// and the meter installs it. The new keys take effect for the next
// associations; the head-end keeps them as pending keys until one opens
// with them. No key appears in an error.
func (c *Client) TransferGlobalKeys(ctx context.Context, obis dlms.OBIS, kek []byte, keys ...security.KeyData) error {
	arg, err := security.GlobalKeyTransfer(kek, keys...)
	if err != nil {
		return &OpError{Op: "action", Class: dlms.ClassSecuritySetup, OBIS: obis, Member: 2, Err: err}
	}
	_, err = c.Action(ctx, dlms.ClassSecuritySetup, obis, 2, &arg)
	return err
}

// InvocationCounter reads the invocation counter that a meter holds in a
// Data object, e.g. 0-0:43.1.0.255: the last counter it accepted from the
// management client. The head-end sends above it (SendCounter.RaiseAbove).
func (c *Client) InvocationCounter(ctx context.Context, obis dlms.OBIS) (uint32, error) {
	return getAs(ctx, c, dlms.ClassData, obis, 2, asUint32)
}

// ReadInvocationCounter opens an association without authentication or
// security over publicLink (a link of the public client, SAP 16), reads
// the invocation counter 0-0:43.1.0.255, releases the association and
// closes the link, whatever happens. Once the counter is read, a failed
// release is not an error.
func ReadInvocationCounter(ctx context.Context, publicLink Link) (uint32, error) {
	c, err := Connect(ctx, publicLink, Config{Location: time.UTC})
	if err != nil {
		return 0, errors.Join(err, publicLink.Close())
	}
	ic, err := c.InvocationCounter(ctx, invocationCounter)
	if cerr := c.Close(ctx); err != nil {
		return 0, errors.Join(err, cerr)
	}
	return ic, nil
}
