package session

import "fmt"

// State is the state of a Client.
type State uint8

// The states of a Client. Open moves it from StateIdle to StateAssociating;
// the AARE moves it to StateAssociated, or to StateAuthenticating while
// the HLS pass 3 is answered; a service call moves it to StateCalling and
// back; Release moves it to StateReleasing and then to StateIdle. A
// rejected or failed association, and Reset, bring it back to StateIdle.
const (
	StateIdle           State = iota // no association
	StateAssociating                 // AARQ sent, waiting for the AARE
	StateAuthenticating              // HLS pass 3 sent, waiting for the server's answer
	StateAssociated                  // ready for a service call or the release
	StateCalling                     // a service call is in progress
	StateReleasing                   // RLRQ sent, waiting for the RLRE
)

var stateNames = [...]string{"idle", "associating", "authenticating", "associated", "calling", "releasing"}

// String returns the state's name, e.g. "associated".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// AssociationState is the state of an association on the server side,
// with the values of the association_status attribute of the Association
// LN class.
type AssociationState uint8

// The states of a server-side association.
const (
	NonAssociated      AssociationState = 0 // no association
	AssociationPending AssociationState = 1 // accepted, waiting for the HLS pass 3
	Associated         AssociationState = 2 // established
)

// String returns the state's name, e.g. "associated".
func (s AssociationState) String() string {
	switch s {
	case NonAssociated:
		return "non-associated"
	case AssociationPending:
		return "association-pending"
	case Associated:
		return "associated"
	}
	return fmt.Sprintf("association-state(%d)", uint8(s))
}
