package sim

import (
	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/dlms/session"
	"github.com/openhes/hes/meter"
)

// The access rights of the associations come from the profile: an
// association sees the objects whose role it may read, write or act on
// (AssociationSpec.May), and may do with each attribute or method what the
// profile grants and the simulated meter implements (an index register is
// never writable, whoever asks). The objects that the simulator adds (the
// event log) have roles that no profile names: only an association granted
// every role ("*") sees them.

// associationPolicy returns the association policy of client SAP spec.ClientSAP on
// device d, for a client whose system title is clientTitle (nil when not
// known): its authentication, its ciphering with the device's current keys
// and counters, and its access rights.
func (d *Device) associationPolicy(spec meter.AssociationSpec, clientTitle []byte) session.AssociationPolicy {
	cat := d.cat
	p := session.AssociationPolicy{
		Mechanism: apdu.Mechanism(spec.Authentication),
		Visible: func(class dlms.ClassID, obis dlms.OBIS) bool {
			o := cat.byOBIS[obis]
			return o != nil && o.Class == class &&
				(spec.May(meter.OpRead, o.Role) || spec.May(meter.OpWrite, o.Role) || spec.May(meter.OpAction, o.Role))
		},
		Access: func(mb session.Member) session.AccessMode {
			o := cat.byOBIS[mb.OBIS]
			if o == nil || o.Class != mb.Class {
				return session.AccessNone
			}
			if mb.Method {
				if executable(o, mb.Index) && spec.May(meter.OpAction, o.Role) {
					return session.AccessExecute
				}
				return session.AccessNone
			}
			var mode session.AccessMode
			if mb.Index == 1 || spec.May(meter.OpRead, o.Role) {
				mode |= session.AccessRead
			}
			if writable(o, mb.Index) && spec.May(meter.OpWrite, o.Role) {
				mode |= session.AccessWrite
			}
			return mode
		},
	}
	if spec.Authentication == meter.MechanismLLS {
		p.Password = []byte(d.m.Identity().Keys.LLSPassword)
	}
	if spec.Policy != security.PolicyNone || spec.Authentication == meter.MechanismHLSGMAC {
		sec := &session.SecurityPolicy{
			Policy:  spec.Policy,
			Keys:    d.keys.security(),
			Counter: &d.counter,
		}
		if len(clientTitle) == security.SystemTitleSize {
			sec.ClientSystemTitle = clientTitle
			sec.ReplayGuard = d.guard(clientTitle)
		}
		p.Security = sec
	}
	return p
}
