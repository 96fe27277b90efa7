package session

import (
	"bytes"
	"fmt"

	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/security"
)

// DecodeNotification decodes an APDU that a meter pushes outside any call:
// a data-notification or an event-notification-request, in clear or
// ciphered (general-glo-ciphering, general-ded-ciphering or the glo- and
// ded- forms of the event notification). It returns an
// *apdu.DataNotification or an *apdu.EventNotificationRequest, which do
// not alias b.
//
// sec deciphers and may be nil when nothing is ciphered; when its policy
// is not security.PolicyNone, a notification in clear is refused. guard,
// when not nil, checks the invocation counter of a ciphered notification
// and records it.
func DecodeNotification(b []byte, sec *security.Context, guard *security.ReplayGuard) (apdu.APDU, error) {
	if len(b) == 0 {
		return nil, unexpected("empty notification")
	}
	var plain []byte
	switch {
	case security.IsCiphered(b[0]):
		if sec == nil {
			return nil, fmt.Errorf("session: %w: %s and no keys", security.ErrNoKey, security.TagName(b[0]))
		}
		p, h, err := sec.Decrypt(nil, b)
		if err != nil {
			return nil, fmt.Errorf("session: notification: %w", err)
		}
		if guard != nil {
			if err := guard.Accept(h.Counter); err != nil {
				return nil, fmt.Errorf("session: notification: %w", err)
			}
		}
		plain = p
	case sec != nil && sec.Policy() != security.PolicyNone:
		return nil, fmt.Errorf("session: %w: plain %v where ciphering is required", security.ErrPolicy, apdu.Tag(b[0]))
	default:
		plain = bytes.Clone(b)
	}
	a, err := apdu.Parse(plain)
	if err != nil {
		return nil, fmt.Errorf("session: notification: %w", err)
	}
	switch a.(type) {
	case *apdu.DataNotification, *apdu.EventNotificationRequest:
		return a, nil
	}
	return nil, unexpected("%s is not a notification", a.Name())
}
