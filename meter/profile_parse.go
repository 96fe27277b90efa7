package meter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
)

// The JSON shapes of profiles/*.json; parseProfile turns them into the
// exported types after checking them.

type classesFile struct {
	Classes []classDef `json:"classes"`
}

type classDef struct {
	Class      dlms.ClassID `json:"class"`
	Name       string       `json:"name"`
	Version    uint8        `json:"version"`
	Attributes []attrTuple  `json:"attributes"`
	Methods    []attrTuple  `json:"methods"`
}

// attrTuple is [index, "name"] or [index, "name", "type"].
type attrTuple struct {
	index int8
	name  string
	typ   axdr.Tag
}

func (t *attrTuple) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw) != 2 && len(raw) != 3 {
		return fmt.Errorf("want [index, name] or [index, name, type], got %s", b)
	}
	if err := json.Unmarshal(raw[0], &t.index); err != nil {
		return fmt.Errorf("index %s: %w", raw[0], err)
	}
	if err := json.Unmarshal(raw[1], &t.name); err != nil {
		return fmt.Errorf("name %s: %w", raw[1], err)
	}
	t.typ = axdr.TagDontCare
	if len(raw) == 3 {
		var s string
		if err := json.Unmarshal(raw[2], &s); err != nil {
			return fmt.Errorf("type %s: %w", raw[2], err)
		}
		tag, ok := tagByName(s)
		if !ok {
			return fmt.Errorf("unknown A-XDR type %q", s)
		}
		t.typ = tag
	}
	return nil
}

// roleRef is ["role", attribute] or ["role", attribute, data_index].
type roleRef struct {
	role      Role
	attribute int8
	dataIndex uint16
}

func (r *roleRef) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw) != 2 && len(raw) != 3 {
		return fmt.Errorf("want [role, attribute] or [role, attribute, data_index], got %s", b)
	}
	if err := json.Unmarshal(raw[0], &r.role); err != nil {
		return fmt.Errorf("role %s: %w", raw[0], err)
	}
	if err := json.Unmarshal(raw[1], &r.attribute); err != nil {
		return fmt.Errorf("attribute %s: %w", raw[1], err)
	}
	if len(raw) == 3 {
		if err := json.Unmarshal(raw[2], &r.dataIndex); err != nil {
			return fmt.Errorf("data index %s: %w", raw[2], err)
		}
	}
	return nil
}

type profileFile struct {
	Name          string       `json:"name"`
	Description   string       `json:"description"`
	Energy        Energy       `json:"energy"`
	ServerAddress uint16       `json:"server_address"`
	Objects       []objectFile `json:"objects"`
	Associations  []assocFile  `json:"associations"`
}

type objectFile struct {
	Role          Role         `json:"role"`
	OBIS          string       `json:"obis"`
	Class         dlms.ClassID `json:"class"`
	Description   string       `json:"description"`
	ValueType     string       `json:"value_type"`
	ScalerUnit    *ScalerUnit  `json:"scaler_unit"`
	Capture       []roleRef    `json:"capture"`
	CapturePeriod uint32       `json:"capture_period"`
	Monitored     *roleRef     `json:"monitored"`
	ThresholdOff  int64        `json:"threshold_off"`
	ControlMode   uint8        `json:"control_mode"`
	DeviceType    uint8        `json:"device_type"`
	Channel       uint8        `json:"channel"`
}

type assocFile struct {
	Name           string `json:"name"`
	ClientSAP      uint16 `json:"client_sap"`
	Authentication string `json:"authentication"`
	Security       string `json:"security"`
	Suite          uint8  `json:"suite"`
	Read           []Role `json:"read"`
	Write          []Role `json:"write"`
	Action         []Role `json:"action"`
}

var policyNames = map[string]security.Policy{
	"none":                    security.PolicyNone,
	"authenticated":           security.PolicyAuthenticated,
	"encrypted":               security.PolicyEncrypted,
	"authenticated_encrypted": security.PolicyAuthenticatedEncrypted,
}

func tagByName(s string) (axdr.Tag, bool) {
	for i := 0; i < 256; i++ {
		if t := axdr.Tag(i); t.Known() && t.String() == s {
			return t, true
		}
	}
	return 0, false
}

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON object")
	}
	return nil
}

func parseClasses(b []byte) (map[dlms.ClassID]classDef, error) {
	var f classesFile
	if err := decodeStrict(b, &f); err != nil {
		return nil, fmt.Errorf("meter: classes: %w", err)
	}
	out := make(map[dlms.ClassID]classDef, len(f.Classes))
	for _, c := range f.Classes {
		if _, dup := out[c.Class]; dup {
			return nil, fmt.Errorf("meter: classes: class %d twice", c.Class)
		}
		for i, a := range c.Attributes {
			if int(a.index) != i+1 {
				return nil, fmt.Errorf("meter: classes: class %d: attribute %q has index %d, want %d", c.Class, a.name, a.index, i+1)
			}
		}
		for i, m := range c.Methods {
			if int(m.index) != i+1 {
				return nil, fmt.Errorf("meter: classes: class %d: method %q has index %d, want %d", c.Class, m.name, m.index, i+1)
			}
		}
		out[c.Class] = c
	}
	return out, nil
}

func parseProfile(b []byte, classes map[dlms.ClassID]classDef) (Profile, error) {
	var f profileFile
	if err := decodeStrict(b, &f); err != nil {
		return Profile{}, fmt.Errorf("meter: %w: %w", ErrProfile, err)
	}
	bad := func(format string, args ...any) (Profile, error) {
		return Profile{}, fmt.Errorf("meter: %w %q: %s", ErrProfile, f.Name, fmt.Sprintf(format, args...))
	}
	if f.Name == "" {
		return bad("no name")
	}
	if !f.Energy.valid() {
		return bad("energy %q, want electricity or gas", f.Energy)
	}
	p := Profile{
		Name: f.Name, Description: f.Description, Energy: f.Energy, ServerAddress: f.ServerAddress,
		byRole: map[Role]int{}, byOBIS: map[dlms.OBIS]int{},
	}
	for i, of := range f.Objects {
		if of.Role == "" {
			return bad("object %d: no role", i)
		}
		if _, dup := p.byRole[of.Role]; dup {
			return bad("role %q twice", of.Role)
		}
		o, err := dlms.ParseOBIS(of.OBIS)
		if err != nil {
			return bad("role %q: %v", of.Role, err)
		}
		if j, dup := p.byOBIS[o]; dup {
			return bad("roles %q and %q have the same OBIS code %s", p.objects[j].Role, of.Role, o)
		}
		c, ok := classes[of.Class]
		if !ok {
			return bad("role %q: unknown class %d", of.Role, of.Class)
		}
		if of.Channel != 0 && o[1] != of.Channel {
			return bad("role %q: OBIS code %s is not on M-Bus channel %d", of.Role, o, of.Channel)
		}
		obj := Object{
			Role: of.Role, OBIS: o, Class: of.Class, Version: c.Version, Description: of.Description,
			CapturePeriod: of.CapturePeriod, ThresholdOff: of.ThresholdOff, ControlMode: of.ControlMode,
			DeviceType: of.DeviceType, Channel: of.Channel,
		}
		for _, a := range c.Attributes {
			obj.Attributes = append(obj.Attributes, AttributeDef{Index: a.index, Name: a.name, Type: a.typ})
		}
		for _, m := range c.Methods {
			obj.Methods = append(obj.Methods, MethodDef{Index: m.index, Name: m.name})
		}
		if of.ValueType != "" {
			t, ok := tagByName(of.ValueType)
			if !ok {
				return bad("role %q: unknown value type %q", of.Role, of.ValueType)
			}
			typed := false
			for k, a := range obj.Attributes {
				if a.Type == axdr.TagDontCare && (a.Name == "value" || strings.HasPrefix(a.Name, "threshold_")) {
					obj.Attributes[k].Type, typed = t, true
				}
			}
			if !typed {
				return bad("role %q: class %d has no value attribute to type", of.Role, of.Class)
			}
		}
		if of.ScalerUnit != nil {
			if of.Class != dlms.ClassRegister && of.Class != dlms.ClassExtendedRegister {
				return bad("role %q: a scaler_unit on class %d", of.Role, of.Class)
			}
			obj.ScalerUnit = *of.ScalerUnit
		}
		if len(of.Capture) > 0 && of.Class != dlms.ClassProfileGeneric && of.Class != dlms.ClassPushSetup {
			return bad("role %q: capture objects on class %d", of.Role, of.Class)
		}
		if of.Monitored != nil && of.Class != dlms.ClassLimiter {
			return bad("role %q: a monitored value on class %d", of.Role, of.Class)
		}
		p.byRole[of.Role] = len(p.objects)
		p.byOBIS[o] = len(p.objects)
		p.objects = append(p.objects, obj)
	}
	// Second pass: references to roles, now that every role is known.
	for i, of := range f.Objects {
		obj := &p.objects[i]
		for _, r := range of.Capture {
			co, err := p.resolve(r)
			if err != nil {
				return bad("role %q: capture: %v", of.Role, err)
			}
			obj.Capture = append(obj.Capture, co)
		}
		if of.Monitored != nil {
			co, err := p.resolve(*of.Monitored)
			if err != nil {
				return bad("role %q: monitored: %v", of.Role, err)
			}
			obj.Monitored = co
		}
	}
	for _, r := range requiredRoles[p.Energy] {
		if _, ok := p.byRole[r]; !ok {
			return bad("no object with the role %q that %s meters need", r, p.Energy)
		}
	}
	names, saps := map[string]bool{}, map[uint16]bool{}
	for _, af := range f.Associations {
		a, err := p.association(af)
		if err != nil {
			return bad("association %q: %v", af.Name, err)
		}
		if names[a.Name] || saps[a.ClientSAP] {
			return bad("association %q: name or client SAP %d used twice", a.Name, a.ClientSAP)
		}
		names[a.Name], saps[a.ClientSAP] = true, true
		p.associations = append(p.associations, a)
	}
	if len(p.associations) == 0 {
		return bad("no association")
	}
	return p, nil
}

func (p *Profile) resolve(r roleRef) (CaptureObject, error) {
	i, ok := p.byRole[r.role]
	if !ok {
		return CaptureObject{}, fmt.Errorf("no object with the role %q", r.role)
	}
	o := p.objects[i]
	if _, ok := o.Attribute(r.attribute); !ok {
		return CaptureObject{}, fmt.Errorf("%q (class %d) has no attribute %d", r.role, o.Class, r.attribute)
	}
	return CaptureObject{Role: r.role, Class: o.Class, OBIS: o.OBIS, Attribute: r.attribute, DataIndex: r.dataIndex}, nil
}

func (p *Profile) association(af assocFile) (AssociationSpec, error) {
	a := AssociationSpec{Name: af.Name, ClientSAP: af.ClientSAP, Suite: af.Suite}
	if a.Name == "" {
		return a, errors.New("no name")
	}
	// Client SAPs are 7-bit HDLC addresses; 0 is "no station", 127 "all stations".
	if a.ClientSAP == 0 || a.ClientSAP > 0x7E {
		return a, fmt.Errorf("client SAP %d, want 1 to 126", a.ClientSAP)
	}
	found := false
	for m, s := range mechanismNames {
		if s == af.Authentication {
			a.Authentication, found = m, true
		}
	}
	if !found {
		return a, fmt.Errorf("unknown authentication %q", af.Authentication)
	}
	pol, ok := policyNames[af.Security]
	if !ok {
		return a, fmt.Errorf("unknown security %q, want none, authenticated, encrypted or authenticated_encrypted", af.Security)
	}
	a.Policy = pol
	if a.Suite != 0 {
		return a, fmt.Errorf("security suite %d, only suite 0 is supported", a.Suite)
	}
	for op, roles := range [][]Role{af.Read, af.Write, af.Action} {
		a.may[op] = map[Role]bool{}
		for _, r := range roles {
			if r == "*" {
				a.may[op][""] = true
				continue
			}
			if _, ok := p.byRole[r]; !ok {
				return a, fmt.Errorf("no object with the role %q", r)
			}
			a.may[op][r] = true
		}
	}
	return a, nil
}
