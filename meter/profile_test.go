package meter

import (
	"encoding/json"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
)

// TestEmbeddedProfiles checks every embedded profile file: it parses, its
// OBIS codes parse and are distinct, its roles are distinct, and the roles
// that its energy needs are there.
func TestEmbeddedProfiles(t *testing.T) {
	if _, err := builtin(); err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(profileFiles, "profiles/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(Profiles()) != len(files)-1 { // classes.json is not a profile
		t.Fatalf("%d profiles for %d files", len(Profiles()), len(files))
	}
	for _, p := range Profiles() {
		t.Run(p.Name, func(t *testing.T) {
			obis := map[dlms.OBIS]Role{}
			roles := map[Role]bool{}
			for _, o := range p.Objects() {
				if prev, dup := obis[o.OBIS]; dup {
					t.Errorf("%s: OBIS %s also for %s", o.Role, o.OBIS, prev)
				}
				obis[o.OBIS] = o.Role
				if roles[o.Role] {
					t.Errorf("role %s twice", o.Role)
				}
				roles[o.Role] = true
				if _, err := dlms.ParseOBIS(o.OBIS.String()); err != nil {
					t.Errorf("%s: %v", o.Role, err)
				}
				if len(o.Attributes) == 0 || o.Attributes[0].Name != "logical_name" {
					t.Errorf("%s: attributes %v", o.Role, o.Attributes)
				}
				if r, ok := p.Role(o.OBIS); !ok || r != o.Role {
					t.Errorf("Role(%s) = %q, %v; want %s", o.OBIS, r, ok, o.Role)
				}
			}
			for _, r := range requiredRoles[p.Energy] {
				if !roles[r] {
					t.Errorf("required role %s missing", r)
				}
			}
			if len(p.Associations()) == 0 {
				t.Error("no association")
			}
		})
	}
}

// TestDefaultProfileObjects checks the default profile against the table
// of the default electricity meter.
func TestDefaultProfileObjects(t *testing.T) {
	p, err := LookupProfile("be-elec-default")
	if err != nil {
		t.Fatal(err)
	}
	if p.Energy != EnergyElectricity || p.ServerAddress != 1 {
		t.Errorf("energy %s, server address %d", p.Energy, p.ServerAddress)
	}
	tests := []struct {
		role  Role
		obis  string
		class dlms.ClassID
		value axdr.Tag // type of the value attribute, 0 when none
		su    ScalerUnit
	}{
		{RoleClock, "0-0:1.0.0.255", dlms.ClassClock, 0, ScalerUnit{}},
		{RoleLogicalDeviceName, "0-0:42.0.0.255", dlms.ClassData, axdr.TagOctetString, ScalerUnit{}},
		{RoleEAN, "0-0:96.1.10.255", dlms.ClassData, axdr.TagOctetString, ScalerUnit{}},
		{RoleCurrentAssociation, "0-0:40.0.0.255", dlms.ClassAssociationLN, 0, ScalerUnit{}},
		{RoleSecuritySetup, "0-0:43.0.0.255", dlms.ClassSecuritySetup, 0, ScalerUnit{}},
		{RoleInvocationCounter, "0-0:43.1.0.255", dlms.ClassData, axdr.TagDoubleLongUnsigned, ScalerUnit{}},
		{RoleImportTotal, "1-0:1.8.0.255", dlms.ClassRegister, axdr.TagDoubleLongUnsigned, ScalerUnit{0, UnitWattHour}},
		{RoleImportDay, "1-0:1.8.1.255", dlms.ClassRegister, axdr.TagDoubleLongUnsigned, ScalerUnit{0, UnitWattHour}},
		{RoleImportNight, "1-0:1.8.2.255", dlms.ClassRegister, axdr.TagDoubleLongUnsigned, ScalerUnit{0, UnitWattHour}},
		{RoleExportTotal, "1-0:2.8.0.255", dlms.ClassRegister, axdr.TagDoubleLongUnsigned, ScalerUnit{0, UnitWattHour}},
		{RoleExportDay, "1-0:2.8.1.255", dlms.ClassRegister, axdr.TagDoubleLongUnsigned, ScalerUnit{0, UnitWattHour}},
		{RoleExportNight, "1-0:2.8.2.255", dlms.ClassRegister, axdr.TagDoubleLongUnsigned, ScalerUnit{0, UnitWattHour}},
		{RoleActivePowerImport, "1-0:1.7.0.255", dlms.ClassRegister, axdr.TagDoubleLongUnsigned, ScalerUnit{0, UnitWatt}},
		{RoleTariffIndicator, "0-0:96.14.0.255", dlms.ClassData, axdr.TagLongUnsigned, ScalerUnit{}},
		{RoleDailyValues, "1-0:99.2.0.255", dlms.ClassProfileGeneric, 0, ScalerUnit{}},
		{RoleLoadProfile, "1-0:99.1.0.255", dlms.ClassProfileGeneric, 0, ScalerUnit{}},
		{RoleBreaker, "0-0:96.3.10.255", dlms.ClassDisconnectControl, 0, ScalerUnit{}},
		{RoleLimiter, "0-0:17.0.0.255", dlms.ClassLimiter, 0, ScalerUnit{}},
		{RoleMBusClient, "0-1:24.1.0.255", dlms.ClassMBusClient, 0, ScalerUnit{}},
		{RoleGasVolume, "0-1:24.2.3.255", dlms.ClassExtendedRegister, axdr.TagDoubleLongUnsigned, ScalerUnit{-3, UnitCubicMetre}},
		{RoleGasValve, "0-1:24.4.0.255", dlms.ClassDisconnectControl, 0, ScalerUnit{}},
		{RoleDisplayLastUpdate, "0-0:94.32.2.1", dlms.ClassData, axdr.TagOctetString, ScalerUnit{}},
		{RoleDisplayBalance, "0-0:94.32.2.2", dlms.ClassRegister, axdr.TagDoubleLong, ScalerUnit{-2, UnitCurrency}},
		{RoleDisplayEmergency, "0-0:94.32.2.3", dlms.ClassRegister, axdr.TagDoubleLongUnsigned, ScalerUnit{-2, UnitCurrency}},
		{RolePushSetup, "0-1:25.9.0.255", dlms.ClassPushSetup, 0, ScalerUnit{}},
	}
	for _, tt := range tests {
		o, ok := p.Object(tt.role)
		if !ok {
			t.Errorf("no %s", tt.role)
			continue
		}
		if o.OBIS != dlms.MustOBIS(tt.obis) || o.Class != tt.class {
			t.Errorf("%s: %s class %d, want %s class %d", tt.role, o.OBIS, o.Class, tt.obis, tt.class)
		}
		if tt.value != 0 {
			a, ok := o.Attribute(2)
			if !ok || a.Name != "value" || a.Type != tt.value {
				t.Errorf("%s: value attribute %+v, want type %s", tt.role, a, tt.value)
			}
		}
		if o.ScalerUnit != tt.su {
			t.Errorf("%s: scaler_unit %v, want %v", tt.role, o.ScalerUnit, tt.su)
		}
	}
	if n := len(p.Objects()); n != len(tests) {
		t.Errorf("%d objects, want %d", n, len(tests))
	}
}

func captureList(cs []CaptureObject) string {
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c.OBIS.String() + "/" + string(rune('0'+c.Attribute)))
	}
	return b.String()
}

func TestDefaultProfileCaptures(t *testing.T) {
	p, _ := LookupProfile("be-elec-default")
	dv, _ := p.Object(RoleDailyValues)
	want := "0-0:1.0.0.255/2 1-0:1.8.1.255/2 1-0:1.8.2.255/2 1-0:2.8.1.255/2 1-0:2.8.2.255/2 0-1:24.2.3.255/2 0-1:24.2.3.255/5"
	if got := captureList(dv.Capture); got != want {
		t.Errorf("daily values capture\n got %s\nwant %s", got, want)
	}
	if dv.Capture[0].Class != dlms.ClassClock || dv.Capture[6].Class != dlms.ClassExtendedRegister || dv.Capture[6].Role != RoleGasVolume {
		t.Errorf("capture classes %+v", dv.Capture)
	}
	push, _ := p.Object(RolePushSetup)
	want = "0-1:25.9.0.255/1 0-0:1.0.0.255/2 1-0:1.8.1.255/2 1-0:1.8.2.255/2 1-0:2.8.1.255/2 1-0:2.8.2.255/2 0-1:24.2.3.255/2 0-1:24.2.3.255/5"
	if got := captureList(push.Capture); got != want {
		t.Errorf("push objects\n got %s\nwant %s", got, want)
	}
	lim, _ := p.Object(RoleLimiter)
	if lim.Monitored.OBIS != dlms.MustOBIS("1-0:1.7.0.255") || lim.Monitored.Attribute != 2 || lim.ThresholdOff != 99999 {
		t.Errorf("limiter monitors %+v, off at %d", lim.Monitored, lim.ThresholdOff)
	}
	if a, ok := lim.Attribute(3); !ok || a.Type != axdr.TagDoubleLongUnsigned {
		t.Errorf("limiter threshold_active %+v", a)
	}
	br, _ := p.Object(RoleBreaker)
	if br.ControlMode != 1 {
		t.Errorf("breaker control mode %d", br.ControlMode)
	}
	if i, ok := br.MethodIndex("remote_reconnect"); !ok || i != 2 {
		t.Errorf("remote_reconnect = %d, %v", i, ok)
	}
	if i, ok := br.AttributeIndex("control_state"); !ok || i != 3 {
		t.Errorf("control_state = %d, %v", i, ok)
	}
	gv, _ := p.Object(RoleGasVolume)
	if i, ok := gv.AttributeIndex("capture_time"); !ok || i != 5 {
		t.Errorf("capture_time = %d, %v", i, ok)
	}
	if a, _ := gv.Attribute(4); a.Type != axdr.TagDontCare {
		t.Errorf("gas status typed %s", a.Type)
	}
}

func TestProfileChannels(t *testing.T) {
	p, _ := LookupProfile("be-elec-default")
	gv, _ := p.Object(RoleGasVolume)
	g2 := gv.OnChannel(2)
	if g2.OBIS != dlms.MustOBIS("0-2:24.2.3.255") || g2.Channel != 2 {
		t.Errorf("on channel 2: %s", g2.OBIS)
	}
	if gv.OBIS != dlms.MustOBIS("0-1:24.2.3.255") {
		t.Error("OnChannel changed the original")
	}
	if r, ok := p.Role(dlms.MustOBIS("0-3:24.4.0.255")); !ok || r != RoleGasValve {
		t.Errorf("Role(0-3:24.4.0.255) = %q, %v", r, ok)
	}
	if r, ok := p.Role(dlms.MustOBIS("0-3:1.0.0.255")); ok {
		t.Errorf("Role(0-3:1.0.0.255) = %q: the clock is not on the M-Bus", r)
	}
	clock, _ := p.Object(RoleClock)
	if clock.OnChannel(2).OBIS != clock.OBIS {
		t.Error("OnChannel moved the clock")
	}
	// Object returns copies.
	dv, _ := p.Object(RoleDailyValues)
	dv.Capture[0].Role = "changed"
	dv2, _ := p.Object(RoleDailyValues)
	if dv2.Capture[0].Role != RoleClock {
		t.Error("Object shares its capture list")
	}
}

func TestDefaultProfileAssociations(t *testing.T) {
	p, _ := LookupProfile("be-elec-default")
	tests := []struct {
		name   string
		sap    uint16
		mech   AuthMechanism
		policy security.Policy
		may    map[Operation][]Role
		mayNot map[Operation][]Role
	}{
		{"public", 16, MechanismNone, security.PolicyNone,
			map[Operation][]Role{OpRead: {RoleClock, RoleLogicalDeviceName, RoleInvocationCounter}},
			map[Operation][]Role{OpRead: {RoleImportDay, RoleEAN}, OpWrite: {RoleClock}, OpAction: {RoleBreaker}}},
		{"management", 1, MechanismHLSGMAC, security.PolicyAuthenticatedEncrypted,
			map[Operation][]Role{OpRead: {RoleDailyValues}, OpWrite: {RoleDisplayBalance, RoleLimiter}, OpAction: {RoleBreaker, RoleSecuritySetup}},
			nil},
		{"technician", 17, MechanismLLS, security.PolicyNone,
			map[Operation][]Role{OpRead: {RoleImportDay, RoleDailyValues, RoleLoadProfile, RoleGasVolume}, OpWrite: {RoleClock}},
			map[Operation][]Role{OpWrite: {RoleDisplayBalance}, OpAction: {RoleBreaker}, OpRead: {RoleSecuritySetup}}},
	}
	for _, tt := range tests {
		a, ok := p.Association(tt.name)
		if !ok {
			t.Errorf("no association %s", tt.name)
			continue
		}
		if b, _ := p.AssociationBySAP(tt.sap); b.Name != tt.name {
			t.Errorf("SAP %d is %q, want %s", tt.sap, b.Name, tt.name)
		}
		if a.ClientSAP != tt.sap || a.Authentication != tt.mech || a.Policy != tt.policy || a.Suite != 0 {
			t.Errorf("%s: SAP %d %s %s", tt.name, a.ClientSAP, a.Authentication, a.Policy)
		}
		for op, roles := range tt.may {
			for _, r := range roles {
				if !a.May(op, r) {
					t.Errorf("%s may not %d %s", tt.name, op, r)
				}
			}
		}
		for op, roles := range tt.mayNot {
			for _, r := range roles {
				if a.May(op, r) {
					t.Errorf("%s may %d %s", tt.name, op, r)
				}
			}
		}
	}
	if got := strings.Join(p.RequiredKeys(), ","); got != "ek,ak,kek,lls_password" {
		t.Errorf("required keys %s", got)
	}
}

func TestLookupUnknownProfile(t *testing.T) {
	_, err := LookupProfile("nope")
	if !errors.Is(err, ErrUnknownProfile) || !strings.Contains(err.Error(), "be-elec-default") {
		t.Errorf("err = %v", err)
	}
}

// minimalProfile is a valid gas profile as a map, for the error cases to
// break.
func minimalProfile() map[string]any {
	return map[string]any{
		"name": "t", "energy": "gas", "server_address": 1,
		"objects": []any{
			map[string]any{"role": "clock", "obis": "0-0:1.0.0.255", "class": 8},
			map[string]any{"role": "current_association", "obis": "0-0:40.0.0.255", "class": 15},
			map[string]any{"role": "security_setup", "obis": "0-0:43.0.0.255", "class": 64},
			map[string]any{"role": "invocation_counter", "obis": "0-0:43.1.0.255", "class": 1, "value_type": "double-long-unsigned"},
			map[string]any{"role": "gas_volume", "obis": "7-0:3.0.0.255", "class": 3, "value_type": "double-long-unsigned",
				"scaler_unit": map[string]any{"scaler": -3, "unit": "m3"}},
			map[string]any{"role": "daily_values", "obis": "7-0:99.2.0.255", "class": 7, "capture": []any{[]any{"clock", 2}, []any{"gas_volume", 2}}},
		},
		"associations": []any{
			map[string]any{"name": "public", "client_sap": 16, "authentication": "none", "security": "none", "read": []any{"clock"}},
		},
	}
}

func TestParseProfile(t *testing.T) {
	b, _ := json.Marshal(minimalProfile())
	p, err := ParseProfile(b)
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := p.Object(RoleGasVolume); o.ScalerUnit != (ScalerUnit{-3, UnitCubicMetre}) {
		t.Errorf("gas volume %v", o.ScalerUnit)
	}
	if len(p.RequiredKeys()) != 0 {
		t.Errorf("required keys %v", p.RequiredKeys())
	}
}

func TestParseProfileErrors(t *testing.T) {
	obj := func(m map[string]any, i int) map[string]any { return m["objects"].([]any)[i].(map[string]any) }
	tests := []struct {
		name  string
		edit  func(m map[string]any)
		wants string
	}{
		{"bad obis", func(m map[string]any) { obj(m, 0)["obis"] = "0-0:1.0.256.255" }, "value group E"},
		{"duplicate obis", func(m map[string]any) { obj(m, 1)["obis"] = "0-0:1.0.0.255" }, "same OBIS code"},
		{"duplicate role", func(m map[string]any) { obj(m, 1)["role"] = "clock" }, `role "clock" twice`},
		{"unknown class", func(m map[string]any) { obj(m, 0)["class"] = 9999 }, "unknown class"},
		{"missing role", func(m map[string]any) {
			m["objects"] = m["objects"].([]any)[1:]
			obj(m, 4)["capture"] = []any{}
		}, `role "clock"`},
		{"capture of unknown role", func(m map[string]any) { obj(m, 5)["capture"] = []any{[]any{"breaker", 2}} }, `no object with the role "breaker"`},
		{"capture of unknown attribute", func(m map[string]any) { obj(m, 5)["capture"] = []any{[]any{"clock", 12}} }, "no attribute 12"},
		{"capture on a register", func(m map[string]any) { obj(m, 4)["capture"] = []any{[]any{"clock", 2}} }, "capture objects on class 3"},
		{"scaler on a clock", func(m map[string]any) { obj(m, 0)["scaler_unit"] = map[string]any{"scaler": 0, "unit": "Wh"} }, "scaler_unit on class 8"},
		{"unknown type", func(m map[string]any) { obj(m, 3)["value_type"] = "double" }, "unknown value type"},
		{"value type on a clock", func(m map[string]any) { obj(m, 0)["value_type"] = "long" }, "no value attribute"},
		{"unknown unit", func(m map[string]any) { obj(m, 4)["scaler_unit"] = map[string]any{"scaler": 0, "unit": "parsec"} }, "unknown unit"},
		{"wrong channel", func(m map[string]any) { obj(m, 4)["channel"] = 2 }, "not on M-Bus channel 2"},
		{"unknown field", func(m map[string]any) { obj(m, 0)["colour"] = "red" }, "unknown field"},
		{"bad energy", func(m map[string]any) { m["energy"] = "water" }, "energy"},
		{"no name", func(m map[string]any) { delete(m, "name") }, "no name"},
		{"no association", func(m map[string]any) { m["associations"] = []any{} }, "no association"},
		{"unknown mechanism", func(m map[string]any) {
			m["associations"].([]any)[0].(map[string]any)["authentication"] = "hls-md6"
		}, "unknown authentication"},
		{"unknown security", func(m map[string]any) {
			m["associations"].([]any)[0].(map[string]any)["security"] = "strong"
		}, "unknown security"},
		{"SAP 0", func(m map[string]any) { m["associations"].([]any)[0].(map[string]any)["client_sap"] = 0 }, "client SAP 0"},
		{"suite 1", func(m map[string]any) { m["associations"].([]any)[0].(map[string]any)["suite"] = 1 }, "suite 1"},
		{"access to unknown role", func(m map[string]any) {
			m["associations"].([]any)[0].(map[string]any)["write"] = []any{"breaker"}
		}, `no object with the role "breaker"`},
		{"duplicate SAP", func(m map[string]any) {
			m["associations"] = append(m["associations"].([]any), map[string]any{"name": "other", "client_sap": 16, "authentication": "none", "security": "none"})
		}, "used twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := minimalProfile()
			tt.edit(m)
			b, _ := json.Marshal(m)
			_, err := ParseProfile(b)
			if !errors.Is(err, ErrProfile) || !strings.Contains(err.Error(), tt.wants) {
				t.Errorf("err = %v, want ErrProfile with %q", err, tt.wants)
			}
		})
	}
}

func TestStoreProfiles(t *testing.T) {
	m := minimalProfile()
	m["name"] = "be-elec-default" // shadows the embedded profile
	b, _ := json.Marshal(m)
	p, err := ParseProfile(b)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newTestStore(t, &StoreOptions{Profiles: []Profile{p}})
	got, err := s.Profile("be-elec-default")
	if err != nil || got.Energy != EnergyGas {
		t.Errorf("Profile = %v, %v; want the given gas profile", got.Energy, err)
	}
	if _, err := OpenStore(s.db, nil, &StoreOptions{Profiles: []Profile{{Name: "x"}}}); !errors.Is(err, ErrProfile) {
		t.Errorf("Open with a hand-made profile: %v", err)
	}
}

func TestUnitText(t *testing.T) {
	for _, u := range []Unit{UnitWattHour, UnitCubicMetre, UnitCurrency, Unit(99)} {
		b, _ := u.MarshalText()
		var v Unit
		if err := v.UnmarshalText(b); err != nil || v != u {
			t.Errorf("%d: %s → %d, %v", u, b, v, err)
		}
	}
	if s := (ScalerUnit{-3, UnitCubicMetre}).String(); s != "10^-3 m3" {
		t.Errorf("String = %s", s)
	}
}

func FuzzParseProfile(f *testing.F) {
	def, _ := profileFiles.ReadFile("profiles/be-elec-default.json")
	f.Add(def)
	minimal, _ := json.Marshal(minimalProfile())
	f.Add(minimal)
	f.Add([]byte(`{"name":"x","energy":"gas","objects":[{"role":"clock","obis":"0-0:1.0.0.255","class":7,"capture":[["clock",2,1]]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProfile(b)
		if err != nil {
			return
		}
		for _, o := range p.Objects() {
			if r, ok := p.Role(o.OBIS); !ok || r != o.Role {
				t.Errorf("Role(%s) = %q, want %s", o.OBIS, r, o.Role)
			}
			for _, c := range o.Capture {
				if _, ok := p.Object(c.Role); !ok {
					t.Errorf("%s captures unknown role %s", o.Role, c.Role)
				}
			}
		}
	})
}
