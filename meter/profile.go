package meter

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
)

// A meter profile says, as data, what a meter model exposes: which object
// (OBIS code and interface class) plays which role, and which associations
// (clients) it accepts. The profiles that ship with the head-end are the
// JSON files of profiles/, embedded in the binary; ParseProfile reads a
// utility's own profile in the same format, so that a profile can follow
// the meters without a new release.
//
// A profile file is one JSON object:
//
//	name            the profile's name, e.g. "be-elec-default"
//	description     free text
//	energy          "electricity" or "gas"
//	server_address  the server logical address of the management logical device
//	objects         [{role, obis, class, description, value_type, scaler_unit,
//	                  capture, capture_period, monitored, threshold_off,
//	                  control_mode, device_type, channel}]
//	associations    [{name, client_sap, authentication, security, suite,
//	                  read, write, action}]
//
// capture (classes 7 and 40) and monitored (class 71) name objects by role
// and attribute: [["clock", 2], ["gas_volume", 5]]. read, write and action
// list the roles that the association may use, or "*" for all. The
// attributes and methods of each class come from profiles/classes.json.

//go:embed profiles/*.json
var profileFiles embed.FS

// Role names what an object means to the head-end, whatever its OBIS code
// on a given meter model.
type Role string

// The roles of the default profiles.
const (
	RoleClock              Role = "clock"
	RoleLogicalDeviceName  Role = "logical_device_name"
	RoleEAN                Role = "ean"
	RoleCurrentAssociation Role = "current_association"
	RoleSecuritySetup      Role = "security_setup"
	RoleInvocationCounter  Role = "invocation_counter"
	RoleImportTotal        Role = "import_total"
	RoleImportDay          Role = "import_day"
	RoleImportNight        Role = "import_night"
	RoleExportTotal        Role = "export_total"
	RoleExportDay          Role = "export_day"
	RoleExportNight        Role = "export_night"
	RoleActivePowerImport  Role = "active_power_import"
	RoleTariffIndicator    Role = "tariff_indicator"
	RoleDailyValues        Role = "daily_values"
	RoleLoadProfile        Role = "load_profile"
	RoleBreaker            Role = "breaker"
	RoleLimiter            Role = "limiter"
	RoleMBusClient         Role = "mbus_client"
	RoleGasVolume          Role = "gas_volume"
	RoleGasValve           Role = "gas_valve"
	RoleDisplayLastUpdate  Role = "display_last_update"
	RoleDisplayBalance     Role = "display_balance"
	RoleDisplayEmergency   Role = "display_emergency"
	RolePushSetup          Role = "push_setup"
)

// requiredRoles are the roles without which the head-end cannot run its
// daily cycle on a meter of that energy.
var requiredRoles = map[Energy][]Role{
	EnergyElectricity: {
		RoleClock, RoleLogicalDeviceName, RoleEAN, RoleCurrentAssociation, RoleSecuritySetup,
		RoleInvocationCounter, RoleImportDay, RoleImportNight, RoleExportDay, RoleExportNight,
		RoleDailyValues, RoleBreaker, RoleDisplayLastUpdate, RoleDisplayBalance, RoleDisplayEmergency,
	},
	EnergyGas: {RoleClock, RoleCurrentAssociation, RoleSecuritySetup, RoleInvocationCounter, RoleGasVolume},
}

// Energy is what a meter measures.
type Energy string

// The energies.
const (
	EnergyElectricity Energy = "electricity"
	EnergyGas         Energy = "gas"
)

func (e Energy) valid() bool { return e == EnergyElectricity || e == EnergyGas }

// AttributeDef describes one attribute of an interface class.
type AttributeDef struct {
	Index int8
	Name  string
	// Type is the A-XDR type of the attribute's value; axdr.TagDontCare
	// when the class leaves it to the object and the profile does not say.
	Type axdr.Tag
}

// MethodDef describes one method of an interface class.
type MethodDef struct {
	Index int8
	Name  string
}

// CaptureObject is one element of a capture_objects (class 7) or
// push_object_list (class 40) attribute, or the monitored value of a
// limiter: an attribute of an object, with the object's role in the
// profile.
type CaptureObject struct {
	Role      Role
	Class     dlms.ClassID
	OBIS      dlms.OBIS
	Attribute int8
	DataIndex uint16 // 0: the whole attribute
}

// Object is one COSEM object of a profile.
type Object struct {
	Role        Role
	OBIS        dlms.OBIS
	Class       dlms.ClassID
	Version     uint8
	Description string
	Attributes  []AttributeDef // of the class, with the value type of this object
	Methods     []MethodDef
	// ScalerUnit is the nominal scaler and unit of a register (classes 3
	// and 4); the meter's own scaler_unit attribute wins when it is read.
	ScalerUnit ScalerUnit
	// Capture lists the captured objects of a profile generic (class 7) or
	// the pushed objects of a push setup (class 40), in order.
	Capture []CaptureObject
	// CapturePeriod is the capture period of a profile generic in
	// seconds, 0 for asynchronous capture.
	CapturePeriod uint32
	// Monitored is the value a limiter (class 71) watches.
	Monitored CaptureObject
	// ThresholdOff is the limiter threshold that means "no limit".
	ThresholdOff int64
	// ControlMode is the control_mode a disconnect control (class 70) is
	// expected to have.
	ControlMode uint8
	// DeviceType is the M-Bus device type expected on an M-Bus client
	// (class 72), e.g. 3 for gas.
	DeviceType uint8
	// Channel is the M-Bus channel of an object that belongs to a device
	// on the M-Bus (value group B of its OBIS code), 0 otherwise.
	Channel uint8
}

// Attribute returns the attribute of o with index i.
func (o Object) Attribute(i int8) (AttributeDef, bool) {
	for _, a := range o.Attributes {
		if a.Index == i {
			return a, true
		}
	}
	return AttributeDef{}, false
}

// AttributeIndex returns the index of the attribute named name
// ("control_state", "capture_time" …).
func (o Object) AttributeIndex(name string) (int8, bool) {
	for _, a := range o.Attributes {
		if a.Name == name {
			return a.Index, true
		}
	}
	return 0, false
}

// MethodIndex returns the index of the method named name
// ("remote_disconnect" …).
func (o Object) MethodIndex(name string) (int8, bool) {
	for _, m := range o.Methods {
		if m.Name == name {
			return m.Index, true
		}
	}
	return 0, false
}

// OnChannel returns o moved to M-Bus channel ch: value group B of its OBIS
// code, and of the OBIS codes it captures on the same channel, becomes ch.
// An object that is not on the M-Bus is returned unchanged.
func (o Object) OnChannel(ch uint8) Object {
	if o.Channel == 0 || ch == 0 {
		return o
	}
	from := o.Channel
	o = o.clone()
	o.Channel = ch
	o.OBIS[1] = ch
	for i := range o.Capture {
		if o.Capture[i].OBIS[1] == from && o.Capture[i].OBIS[0] == 0 {
			o.Capture[i].OBIS[1] = ch
		}
	}
	return o
}

func (o Object) clone() Object {
	o.Attributes = slices.Clone(o.Attributes)
	o.Methods = slices.Clone(o.Methods)
	o.Capture = slices.Clone(o.Capture)
	return o
}

// AuthMechanism is an authentication mechanism id of an association
// (IEC 62056-5-3): 0 none, 1 LLS, 2 to 7 HLS.
type AuthMechanism uint8

// The authentication mechanisms.
const (
	MechanismNone      AuthMechanism = 0
	MechanismLLS       AuthMechanism = 1
	MechanismHLS       AuthMechanism = 2
	MechanismHLSMD5    AuthMechanism = 3
	MechanismHLSSHA1   AuthMechanism = 4
	MechanismHLSGMAC   AuthMechanism = 5
	MechanismHLSSHA256 AuthMechanism = 6
)

var mechanismNames = map[AuthMechanism]string{
	MechanismNone: "none", MechanismLLS: "lls", MechanismHLS: "hls", MechanismHLSMD5: "hls-md5",
	MechanismHLSSHA1: "hls-sha1", MechanismHLSGMAC: "hls-gmac", MechanismHLSSHA256: "hls-sha256",
}

// String returns the name that profiles use: "none", "lls", "hls-gmac" …
func (m AuthMechanism) String() string {
	if s, ok := mechanismNames[m]; ok {
		return s
	}
	return fmt.Sprintf("mechanism(%d)", uint8(m))
}

// Operation is what a client does with an object.
type Operation uint8

// The operations.
const (
	OpRead   Operation = iota // GET
	OpWrite                   // SET
	OpAction                  // ACTION
)

// AssociationSpec is an association (a client) that a profile's meters
// accept.
type AssociationSpec struct {
	Name           string // "public", "management", "technician"
	ClientSAP      uint16
	Authentication AuthMechanism
	Policy         security.Policy // the security the association requires
	Suite          uint8           // the security suite, when Policy is not none

	may [3]map[Role]bool // by Operation; the "" role means every role
}

// May reports whether the association may do op on the object of role r.
func (a AssociationSpec) May(op Operation, r Role) bool {
	if int(op) >= len(a.may) {
		return false
	}
	return a.may[op][""] || a.may[op][r]
}

// Profile is a meter profile. Its zero value has no object; profiles come
// from LookupProfile, Profiles and ParseProfile and are not modified after.
type Profile struct {
	Name          string
	Description   string
	Energy        Energy
	ServerAddress uint16 // server logical address of the management logical device

	objects      []Object
	associations []AssociationSpec
	byRole       map[Role]int
	byOBIS       map[dlms.OBIS]int
}

// Object returns the object that plays role r.
func (p Profile) Object(r Role) (Object, bool) {
	i, ok := p.byRole[r]
	if !ok {
		return Object{}, false
	}
	return p.objects[i].clone(), true
}

// Role returns the role of the object with logical name o. An object of a
// device on the M-Bus is found on any channel from 1 to 4.
func (p Profile) Role(o dlms.OBIS) (Role, bool) {
	if i, ok := p.byOBIS[o]; ok {
		return p.objects[i].Role, true
	}
	if o[1] >= 1 && o[1] <= 4 {
		for _, obj := range p.objects {
			if obj.Channel != 0 && obj.OBIS[0] == o[0] && [4]byte(obj.OBIS[2:]) == [4]byte(o[2:]) {
				return obj.Role, true
			}
		}
	}
	return "", false
}

// Objects returns every object of the profile in the order of its file.
func (p Profile) Objects() []Object {
	out := make([]Object, len(p.objects))
	for i, o := range p.objects {
		out[i] = o.clone()
	}
	return out
}

// Associations returns the associations of the profile.
func (p Profile) Associations() []AssociationSpec { return slices.Clone(p.associations) }

// Association returns the association named name.
func (p Profile) Association(name string) (AssociationSpec, bool) {
	for _, a := range p.associations {
		if a.Name == name {
			return a, true
		}
	}
	return AssociationSpec{}, false
}

// AssociationBySAP returns the association of client SAP sap.
func (p Profile) AssociationBySAP(sap uint16) (AssociationSpec, bool) {
	for _, a := range p.associations {
		if a.ClientSAP == sap {
			return a, true
		}
	}
	return AssociationSpec{}, false
}

// RequiredKeys returns the names of the keys that a meter of the profile
// needs ("ek", "ak", "kek", "lls_password", "hls_secret"), in that order:
// the suite 0 keys for an association with security or HLS-GMAC, the LLS
// password for an LLS association, the HLS secret for the other HLS
// mechanisms.
func (p Profile) RequiredKeys() []string {
	need := map[string]bool{}
	for _, a := range p.associations {
		if a.Policy != security.PolicyNone || a.Authentication == MechanismHLSGMAC {
			need["ek"], need["ak"], need["kek"] = true, true, true
		}
		switch a.Authentication {
		case MechanismLLS:
			need["lls_password"] = true
		case MechanismHLS, MechanismHLSMD5, MechanismHLSSHA1, MechanismHLSSHA256:
			need["hls_secret"] = true
		}
	}
	var out []string
	for _, k := range keyNames {
		if need[k] {
			out = append(out, k)
		}
	}
	return out
}

// ErrUnknownProfile is wrapped by the errors of LookupProfile.
var ErrUnknownProfile = errors.New("unknown meter profile")

// ErrProfile is wrapped by every error of ParseProfile.
var ErrProfile = errors.New("invalid meter profile")

// builtin holds the embedded class table and profiles, parsed once.
var builtin = sync.OnceValues(func() (*builtinProfiles, error) {
	cb, err := profileFiles.ReadFile("profiles/classes.json")
	if err != nil {
		return nil, err
	}
	classes, err := parseClasses(cb)
	if err != nil {
		return nil, err
	}
	out := &builtinProfiles{classes: classes, byName: map[string]Profile{}}
	names, err := fs.Glob(profileFiles, "profiles/*.json")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if n == "profiles/classes.json" {
			continue
		}
		b, err := profileFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		p, err := parseProfile(b, classes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if _, dup := out.byName[p.Name]; dup {
			return nil, fmt.Errorf("%s: %w: second profile named %q", n, ErrProfile, p.Name)
		}
		out.byName[p.Name] = p
		out.names = append(out.names, p.Name)
	}
	sort.Strings(out.names)
	return out, nil
})

type builtinProfiles struct {
	classes map[dlms.ClassID]classDef
	byName  map[string]Profile
	names   []string
}

// LookupProfile returns the embedded profile named name, or an error
// wrapping ErrUnknownProfile that lists the known names.
func LookupProfile(name string) (Profile, error) {
	b, err := builtin()
	if err != nil {
		return Profile{}, err
	}
	p, ok := b.byName[name]
	if !ok {
		return Profile{}, fmt.Errorf("meter: %w %q (known: %s)", ErrUnknownProfile, name, strings.Join(b.names, ", "))
	}
	return p, nil
}

// Profiles returns the embedded profiles, sorted by name.
func Profiles() []Profile {
	b, err := builtin()
	if err != nil {
		return nil
	}
	out := make([]Profile, len(b.names))
	for i, n := range b.names {
		out[i] = b.byName[n]
	}
	return out
}

// ParseProfile reads a profile file in the format of the embedded ones
// and checks it: every OBIS code parses, no role or OBIS code appears
// twice, every class is known, every captured or monitored object is a
// role of the profile with an attribute of its class, the associations
// have distinct names and client SAPs and name only roles of the profile,
// and the roles that the head-end needs for the profile's energy are there.
func ParseProfile(b []byte) (Profile, error) {
	bp, err := builtin()
	if err != nil {
		return Profile{}, err
	}
	return parseProfile(b, bp.classes)
}
