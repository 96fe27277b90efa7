package session

import (
	"fmt"
	"io"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/security"
)

// Defaults of the configurations.
const (
	// DefaultConformance is the conformance block that a client proposes
	// and a server offers by default: GET, SET and ACTION, with-list,
	// selective access and block transfer for the three services.
	DefaultConformance = apdu.ConformanceGet | apdu.ConformanceSet | apdu.ConformanceAction |
		apdu.ConformanceSelectiveAccess | apdu.ConformanceMultipleReferences |
		apdu.ConformanceBlockTransferWithGetOrRead | apdu.ConformanceBlockTransferWithSetOrWrite |
		apdu.ConformanceBlockTransferWithAction
	// DefaultClientMaxPDU is the client-max-receive-pdu-size proposed by
	// default: the client takes APDUs of any size.
	DefaultClientMaxPDU = 0xFFFF
	// DefaultServerMaxPDU is the server-max-receive-pdu-size by default.
	DefaultServerMaxPDU = 1024
	// DefaultChallengeSize is the size of the HLS challenges by default.
	DefaultChallengeSize = 16
	// MinPDU is the smallest maximum PDU size accepted in a configuration
	// or an InitiateRequest.
	MinPDU = 12
)

// CurrentAssociation is the logical name of the association object
// through which a client sees its own association (class 15, Association
// LN): its object list is attribute 2, and its method 1
// (reply_to_HLS_authentication) completes HLS authentication.
var CurrentAssociation = dlms.OBIS{0, 0, 40, 0, 0, 255}

// The attribute and method of the current association that the engine
// uses.
const (
	attrLogicalName  = 1
	attrObjectList   = 2
	methodReplyToHLS = 1
)

// ClientConfig is what a Client is made of.
type ClientConfig struct {
	// Mechanism is the authentication mechanism: apdu.MechanismNone,
	// apdu.MechanismLLS or apdu.MechanismHLSGMAC.
	Mechanism apdu.Mechanism
	// Password is the LLS password.
	Password []byte

	// Policy is the protection of the APDUs of the association.
	// security.PolicyNone (the zero value) ciphers nothing and proposes
	// the LN context; any other policy proposes the LN context with
	// ciphering and ciphers every APDU after the AARQ.
	Policy security.Policy
	// Keys are the global encryption and authentication keys, needed by
	// HLS-GMAC and by ciphering. Keys.Dedicated is ignored: see
	// DedicatedKey.
	Keys security.Keys
	// SystemTitle is the client's system title (8 bytes), the
	// calling-AP-title of the AARQ and the nonce of what it ciphers.
	SystemTitle []byte
	// ServerSystemTitle is the server's system title. When nil it is
	// learned from the AARE; when set, an AARE with another one is refused.
	ServerSystemTitle []byte
	// Counter hands out the invocation counters of the APDUs the client
	// ciphers and of its HLS answer, one reservation per APDU, made before
	// the APDU is returned.
	Counter security.CounterReserver
	// ReplayGuard checks the server's invocation counters under the global
	// keys; give the one the driver persists. nil starts a new guard. The
	// counters under a dedicated key have a new guard in every association.
	ReplayGuard *security.ReplayGuard
	// DedicatedKey asks for a dedicated key: one is drawn from Rand for each
	// association, sent in the (ciphered) InitiateRequest, and ciphers the
	// APDUs of the association. It needs an encrypting policy.
	DedicatedKey bool
	// GeneralCiphering ciphers with general-glo-ciphering (or
	// general-ded-ciphering) instead of the service-specific glo- (ded-)
	// APDUs. The InitiateRequest of the AARQ is always glo- ciphered.
	GeneralCiphering bool
	// ChallengeSize is the size of the HLS client-to-server challenge,
	// from 8 to 64 bytes; 0 means DefaultChallengeSize.
	ChallengeSize int
	// Rand is the source of the HLS challenge and of the dedicated keys,
	// normally crypto/rand.Reader.
	Rand io.Reader

	// Conformance is the conformance block proposed; 0 means
	// DefaultConformance.
	Conformance apdu.Conformance
	// MaxPDU is the client-max-receive-pdu-size proposed; 0 means
	// DefaultClientMaxPDU. The client also sends APDUs no larger than the
	// smaller of it and the server's.
	MaxPDU uint16
	// MaxTransfer limits the size of a value received in blocks; 0 means
	// DefaultMaxTransfer.
	MaxTransfer int
	// FixedInvokeID sends every request with invoke id 1 instead of the
	// next one in turn, for meters that answer with a fixed invoke id.
	FixedInvokeID bool
	// NormalPriority sends requests at normal priority instead of high.
	NormalPriority bool
}

// check validates cfg and fills in the defaults.
func (cfg *ClientConfig) check() error {
	switch cfg.Mechanism {
	case apdu.MechanismNone:
	case apdu.MechanismLLS:
		if len(cfg.Password) == 0 {
			return configError("LLS needs a password")
		}
	case apdu.MechanismHLSGMAC:
		if cfg.Rand == nil {
			return configError("HLS-GMAC needs a random source")
		}
	default:
		return configError("authentication mechanism %v is not supported", cfg.Mechanism)
	}
	if !cfg.Policy.Valid() {
		return configError("security policy %d", uint8(cfg.Policy))
	}
	if cfg.needsContext() && cfg.Counter == nil {
		return configError("ciphering and HLS-GMAC need an invocation counter reserver")
	}
	if cfg.DedicatedKey {
		if !cfg.Policy.Encrypted() {
			return configError("a dedicated key needs an encrypting security policy")
		}
		if cfg.Rand == nil {
			return configError("a dedicated key needs a random source")
		}
	}
	if cfg.ServerSystemTitle != nil && len(cfg.ServerSystemTitle) != security.SystemTitleSize {
		return configError("server system title of %d bytes, want %d", len(cfg.ServerSystemTitle), security.SystemTitleSize)
	}
	if cfg.ChallengeSize == 0 {
		cfg.ChallengeSize = DefaultChallengeSize
	}
	if cfg.ChallengeSize < security.MinChallengeSize || cfg.ChallengeSize > security.MaxChallengeSize {
		return configError("challenge size %d, want %d to %d", cfg.ChallengeSize, security.MinChallengeSize, security.MaxChallengeSize)
	}
	if cfg.Conformance == 0 {
		cfg.Conformance = DefaultConformance
	}
	if cfg.MaxPDU == 0 {
		cfg.MaxPDU = DefaultClientMaxPDU
	}
	if cfg.MaxPDU < MinPDU {
		return configError("maximum PDU size %d is below %d", cfg.MaxPDU, MinPDU)
	}
	if cfg.MaxTransfer <= 0 {
		cfg.MaxTransfer = DefaultMaxTransfer
	}
	return nil
}

// needsContext reports whether the client needs a security context: to
// cipher, or for HLS-GMAC.
func (cfg *ClientConfig) needsContext() bool {
	return cfg.Policy != security.PolicyNone || cfg.Mechanism == apdu.MechanismHLSGMAC
}

func configError(format string, args ...any) error {
	return fmt.Errorf("session: %w: %s", ErrConfig, fmt.Sprintf(format, args...))
}
