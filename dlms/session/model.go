package session

import (
	"fmt"
	"io"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
)

// ObjectModel is the logical device that a Server exposes: its COSEM
// objects and what reading, writing and invoking them does. The Server
// calls it from Handle only, one call at a time, after it checked that the
// object exists and that the association may access it.
//
// An error returned by Get or Set that is (or wraps) a
// dlms.DataAccessResult, or by Action that is a dlms.ActionResult, is
// answered with that result; any other error is answered with
// other-reason.
type ObjectModel interface {
	// Objects lists the objects of the logical device, for the object list
	// of the current association.
	Objects() []Object
	// Exists reports whether the object is in the logical device.
	Exists(class dlms.ClassID, obis dlms.OBIS) bool
	// Get returns the value of an attribute.
	Get(r AttributeRequest) (axdr.Data, error)
	// Set writes the value of an attribute.
	Set(r AttributeRequest, v axdr.Data) error
	// Action invokes a method with its parameters (nil when absent) and
	// returns its return parameters (nil for none).
	Action(r MethodRequest, param *axdr.Data) (*axdr.Data, error)
}

// Object describes one COSEM object for the object list.
type Object struct {
	Class      dlms.ClassID
	Version    uint8
	OBIS       dlms.OBIS
	Attributes int8 // the object has attributes 1 to Attributes
	Methods    int8 // and methods 1 to Methods
}

// AttributeRequest is a GET or SET of one attribute, as the ObjectModel
// sees it.
type AttributeRequest struct {
	ClientSAP uint16
	Attribute apdu.AttributeDescriptor
	Access    *apdu.SelectiveAccess // nil without selective access
}

// MethodRequest is the invocation of one method, as the ObjectModel sees
// it.
type MethodRequest struct {
	ClientSAP uint16
	Method    apdu.MethodDescriptor
}

// Member names one attribute or one method of an object, for the access
// rights.
type Member struct {
	Class  dlms.ClassID
	OBIS   dlms.OBIS
	Method bool // Index is a method id; else an attribute id
	Index  int8
}

// AccessMode is what an association may do with an attribute or a method.
type AccessMode uint8

// The access modes, which combine.
const (
	AccessRead    AccessMode = 1 << iota // GET an attribute
	AccessWrite                          // SET an attribute
	AccessExecute                        // ACTION on a method
	AccessNone    AccessMode = 0
	AccessAll                = AccessRead | AccessWrite | AccessExecute
)

// AssociationPolicy is what a server allows one client SAP.
type AssociationPolicy struct {
	// Mechanism is the authentication mechanism required:
	// apdu.MechanismNone, apdu.MechanismLLS or apdu.MechanismHLSGMAC.
	Mechanism apdu.Mechanism
	// Password is the LLS password, compared in constant time.
	Password []byte
	// Security is the ciphering of the association, nil for none.
	// HLS-GMAC needs it for its keys, even with security.PolicyNone.
	Security *SecurityPolicy
	// Conformance is the conformance block the server offers; 0 means
	// DefaultConformance. The negotiated one is its intersection with the
	// client's.
	Conformance apdu.Conformance
	// Visible reports whether the association sees an object; nil means it
	// sees all. An object that it does not see is missing from its object
	// list and answered with scope-of-access-violated.
	Visible func(class dlms.ClassID, obis dlms.OBIS) bool
	// Access returns what the association may do with an attribute or a
	// method of an object it sees; nil means AccessAll. A request that the
	// access mode does not allow is answered with read-write-denied.
	Access func(m Member) AccessMode
}

// SecurityPolicy is the ciphering of an association on the server side.
type SecurityPolicy struct {
	// Policy is the protection that the server requires of every request
	// and applies to every answer.
	Policy security.Policy
	// Keys are the global encryption and authentication keys (and the
	// broadcast key, optional). Keys.Dedicated is ignored: the client
	// proposes the dedicated key.
	Keys security.Keys
	// ClientSystemTitle, when set, is the only calling-AP-title accepted.
	ClientSystemTitle []byte
	// Counter hands out the invocation counters of the server's ciphered
	// APDUs and HLS answers.
	Counter security.CounterReserver
	// ReplayGuard checks the invocation counters of the client whose system
	// title is ClientSystemTitle under the global keys, across
	// associations; it is used only with ClientSystemTitle. Otherwise each
	// Server keeps a guard per client system title. A guard is not safe for
	// concurrent use: share it only between sessions driven by one
	// goroutine.
	ReplayGuard *security.ReplayGuard
}

// ServerConfig is what a Server is made of.
type ServerConfig struct {
	// Objects is the logical device.
	Objects ObjectModel
	// Associations gives the policy of each client SAP (the HDLC client
	// address, or the wrapper wPort). A client SAP without a policy is
	// refused.
	Associations map[uint16]AssociationPolicy
	// SystemTitle is the server's system title (8 bytes), needed by
	// ciphering and HLS-GMAC.
	SystemTitle []byte
	// MaxPDU is the server-max-receive-pdu-size; 0 means
	// DefaultServerMaxPDU. The server also sends APDUs no larger than the
	// smaller of it and the client's.
	MaxPDU uint16
	// MaxTransfer limits the size of a value received in blocks; 0 means
	// DefaultMaxTransfer.
	MaxTransfer int
	// Rand is the source of the HLS server-to-client challenges.
	Rand io.Reader
	// ChallengeSize is the size of those challenges, from 8 to 64 bytes;
	// 0 means DefaultChallengeSize.
	ChallengeSize int
}

// check validates cfg and fills in the defaults.
func (cfg *ServerConfig) check() error {
	if cfg.Objects == nil {
		return configError("no object model")
	}
	if len(cfg.Associations) == 0 {
		return configError("no association policy")
	}
	if cfg.MaxPDU == 0 {
		cfg.MaxPDU = DefaultServerMaxPDU
	}
	if cfg.MaxPDU < MinPDU {
		return configError("maximum PDU size %d is below %d", cfg.MaxPDU, MinPDU)
	}
	if cfg.MaxTransfer <= 0 {
		cfg.MaxTransfer = DefaultMaxTransfer
	}
	if cfg.ChallengeSize == 0 {
		cfg.ChallengeSize = DefaultChallengeSize
	}
	if cfg.ChallengeSize < security.MinChallengeSize || cfg.ChallengeSize > security.MaxChallengeSize {
		return configError("challenge size %d, want %d to %d", cfg.ChallengeSize, security.MinChallengeSize, security.MaxChallengeSize)
	}
	for sap, p := range cfg.Associations {
		if err := cfg.checkPolicy(p); err != nil {
			return fmt.Errorf("%w (client SAP %d)", err, sap)
		}
	}
	return nil
}

func (cfg *ServerConfig) checkPolicy(p AssociationPolicy) error {
	switch p.Mechanism {
	case apdu.MechanismNone:
	case apdu.MechanismLLS:
		if len(p.Password) == 0 {
			return configError("LLS needs a password")
		}
	case apdu.MechanismHLSGMAC:
		if p.Security == nil {
			return configError("HLS-GMAC needs keys")
		}
		if cfg.Rand == nil {
			return configError("HLS-GMAC needs a random source")
		}
	default:
		return configError("authentication mechanism %v is not supported", p.Mechanism)
	}
	if s := p.Security; s != nil {
		if !s.Policy.Valid() {
			return configError("security policy %d", uint8(s.Policy))
		}
		if s.Counter == nil {
			return configError("ciphering and HLS-GMAC need an invocation counter reserver")
		}
		if s.ClientSystemTitle != nil && len(s.ClientSystemTitle) != security.SystemTitleSize {
			return configError("client system title of %d bytes, want %d", len(s.ClientSystemTitle), security.SystemTitleSize)
		}
		// Check the keys and the system title now rather than at the
		// first AARQ.
		if _, err := newServerContext(cfg.SystemTitle, s, nil); err != nil {
			return err
		}
	}
	return nil
}

// newServerContext returns the security context of an association with
// the client whose system title is peer (nil when unknown).
func newServerContext(own []byte, s *SecurityPolicy, peer []byte) (*security.Context, error) {
	ctx, err := security.NewContext(security.Config{
		Keys:            security.Keys{Encryption: s.Keys.Encryption, Authentication: s.Keys.Authentication, Broadcast: s.Keys.Broadcast},
		SystemTitle:     own,
		PeerSystemTitle: peer,
		Policy:          s.Policy,
	})
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	return ctx, nil
}
