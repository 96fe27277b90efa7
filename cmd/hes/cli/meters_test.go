package cli

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/openhes/hes/meter"
)

// testMasterKey is the master key of the tests, in hexadecimal.
const testMasterKey = "6d61737465722d6b65792d6f662d7465"

// Valid EANs of the meter tests, none of them used by the prepayment tests.
const (
	eanM1    = "541448820000000046"
	eanM2    = "541448820000000053"
	eanM3    = "541448820000000060"
	eanGasM1 = "541448820000000077"
	eanBadCD = "541448820000000047" // check digit 6
)

// meterStore fixes the environment of the meter commands, with the master
// key in HES_MASTER_KEY, and returns the path of a new store file.
func meterStore(t *testing.T) string {
	t.Helper()
	store := testStore(t)
	clearConfigEnv(t)
	t.Setenv(meter.EnvMasterKey, testMasterKey)
	return store
}

// testKeys returns distinct keys for meter n, each byte telling which key
// and meter it belongs to, so that a leak is found by its hexadecimal.
func testKeys(n byte) meter.Keys {
	fill := func(tag byte, size int) meter.Secret {
		b := make([]byte, size)
		for i := range b {
			b[i] = tag<<4 | n<<2 | byte(i)&3 ^ byte(i*7)
		}
		return meter.NewSecret(b)
	}
	return meter.Keys{EK: fill(0xa, 16), AK: fill(0xb, 16), KEK: fill(0xc, 16), LLSPassword: fill(0xd, 8)}
}

// keysFile writes k as a keys file and returns its path.
func keysFile(t *testing.T, k meter.Keys) string {
	t.Helper()
	b, err := json.Marshal(meter.NewInventoryKeys(k))
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "keys.json", string(b))
}

// outputs collects everything that commands print, to look for leaks.
type outputs struct{ bytes.Buffer }

// hes runs the root command on store and records its outputs.
func (o *outputs) hes(t *testing.T, store string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	stdout, stderr, status = hes(t, store, args...)
	o.WriteString(stdout)
	o.WriteString(stderr)
	return stdout, stderr, status
}

// must runs a command that must succeed.
func (o *outputs) must(t *testing.T, store string, args ...string) string {
	t.Helper()
	out, errOut, status := o.hes(t, store, args...)
	if status != ExitOK {
		t.Fatalf("hes %s: status %d, stderr %q", strings.Join(args, " "), status, errOut)
	}
	return out
}

// refused runs a command that must exit with status 2 and a one-line
// reason containing want.
func (o *outputs) refused(t *testing.T, store, want string, args ...string) {
	t.Helper()
	out, errOut, status := o.hes(t, store, args...)
	if status != ExitBadUse {
		t.Fatalf("hes %s: status %d, want %d (stdout %q, stderr %q)", strings.Join(args, " "), status, ExitBadUse, out, errOut)
	}
	oneLineError(t, errOut, want)
}

// noKeys checks that no key of ks appears in what the commands printed,
// in either case.
func (o *outputs) noKeys(t *testing.T, ks ...meter.Keys) {
	t.Helper()
	all := strings.ToLower(o.String())
	for _, k := range ks {
		for _, s := range []meter.Secret{k.EK, k.AK, k.KEK, k.LLSPassword, k.HLSSecret} {
			if !s.IsZero() && strings.Contains(all, s.Hex()) {
				t.Errorf("a key appears in the output:\n%s", o.String())
			}
		}
	}
}

// listIDs returns the ids of hes meters list --json.
func listIDs(t *testing.T, o *outputs, store string) []string {
	t.Helper()
	var ms []meter.Meter
	out := o.must(t, store, "meters", "list", "--json")
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		t.Fatalf("meters list --json: %v in %q", err, out)
	}
	ids := []string{}
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

// withMeterStore opens store directly with the test master key.
func withMeterStore(t *testing.T, store string, fn func(s *meter.Store)) {
	t.Helper()
	db, err := bolt.Open(store, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mk, err := meter.ParseHexSecret(testMasterKey)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := meter.NewKeySealer(mk)
	if err != nil {
		t.Fatal(err)
	}
	s, err := meter.OpenStore(db, sealer, nil)
	if err != nil {
		t.Fatal(err)
	}
	fn(s)
}

func TestMetersAddListShowRemove(t *testing.T) {
	store := meterStore(t)
	var o outputs
	k1 := testKeys(1)

	out := o.must(t, store, "meters", "add", "--id", "MTR001", "--ean", eanM1, "--tcp", "10.1.2.3:4059",
		"--gas-ean", eanGasM1, "--system-title", "4845530000000001", "--keys-file", keysFile(t, k1))
	want := "meter MTR001 added: electricity, EAN " + eanM1 + ", profile be-elec-default, tcp 10.1.2.3:4059\n" +
		"keys installed: ek, ak, kek, lls_password\n"
	if out != want {
		t.Errorf("add:\n%s\nwant:\n%s", out, want)
	}
	out = o.must(t, store, "meters", "add", "--id", "MTR002", "--ean", eanM2, "--serial", "/dev/ttyUSB0", "--optical",
		"--physical", "17", "--address-size", "2")
	if want := "no keys yet: give them with hes keys set MTR002 --keys-file FILE\n"; !strings.HasSuffix(out, want) {
		t.Errorf("add without keys: %q, want it to end with %q", out, want)
	}
	o.must(t, store, "meters", "add", "--id", "MTR003", "--ean", eanM3, "--concentrator", "DC042", "--framing", "hdlc")

	out = o.must(t, store, "meters", "list")
	want = `ID      EAN                 ENERGY       PROFILE          LINK                                  ADDRESS  GAS EAN
MTR001  541448820000000046  electricity  be-elec-default  tcp 10.1.2.3:4059 wrapper             1        541448820000000077
MTR002  541448820000000053  electricity  be-elec-default  serial /dev/ttyUSB0 optical hdlc      1/17     -
MTR003  541448820000000060  electricity  be-elec-default  concentrator DC042 meter MTR003 hdlc  1/0      -
`
	if out != want {
		t.Errorf("list:\n%s\nwant:\n%s", out, want)
	}

	var ms []meter.Meter
	if err := json.Unmarshal([]byte(o.must(t, store, "meters", "list", "--json")), &ms); err != nil {
		t.Fatal(err)
	}
	if len(ms) != 3 || ms[0].Gas == nil || ms[0].Gas.EAN != eanGasM1 || ms[0].Gas.Channel != 1 ||
		ms[0].SystemTitle.String() != "4845530000000001" || ms[0].Link.Framing != meter.FramingWrapper ||
		ms[1].Link.Device != "/dev/ttyUSB0" || !ms[1].Link.Optical || ms[1].Addresses != (meter.Addresses{Server: 1, Physical: 17, HDLCSize: 2}) ||
		ms[2].Link.Concentrator != "DC042" || ms[2].Link.ConcentratorMeter != "MTR003" || ms[2].Addresses.HDLCSize != 4 {
		t.Errorf("list --json: %+v", ms)
	}

	out = o.must(t, store, "meters", "show", "MTR001")
	for _, line := range []string{
		"ID                     MTR001\n",
		"Link                   tcp 10.1.2.3:4059\n",
		"Framing                wrapper\n",
		"Addresses              server 1\n",
		"Associations           public (client 16), management (client 1), technician (client 17)\n",
		"System title           4845530000000001\n",
		"Gas meter              EAN 541448820000000077 on M-Bus channel 1\n",
		"Added                  2026-03-04 10:00 CET\n",
		"Keys                   present: ek, ak, kek, lls_password\n",
		"Pending keys           none\n",
		"Next counter to send   management (client 1): 0\n",
		"Last counter received  none yet\n",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("show lacks %q:\n%s", line, out)
		}
	}
	out = o.must(t, store, "meters", "show", "MTR002")
	for _, line := range []string{"Addresses     server 1, physical 17, 2-byte HDLC address\n", "Keys          none\n"} {
		if !strings.Contains(out, line) {
			t.Errorf("show lacks %q:\n%s", line, out)
		}
	}
	if strings.Contains(out, "counter") {
		t.Errorf("show of a meter without keys speaks of counters:\n%s", out)
	}

	var d struct {
		ID   string    `json:"id"`
		Keys keyReport `json:"keys"`
	}
	if err := json.Unmarshal([]byte(o.must(t, store, "meters", "show", "MTR001", "--json")), &d); err != nil {
		t.Fatal(err)
	}
	if d.ID != "MTR001" || !d.Keys.Current || d.Keys.Pending || !d.Keys.Opened || len(d.Keys.Counters) != 1 ||
		d.Keys.Counters[0] != (counterReport{Association: "management", ClientSAP: 1, NextSend: 0}) {
		t.Errorf("show --json: %+v", d)
	}

	// Without the master key, show tells the key status only.
	t.Setenv(meter.EnvMasterKey, "")
	out = o.must(t, store, "meters", "show", "MTR001")
	if !strings.Contains(out, "Keys                 present\n") || !strings.Contains(out, "Invocation counters  shown with the master key\n") {
		t.Errorf("show without the master key:\n%s", out)
	}
	t.Setenv(meter.EnvMasterKey, testMasterKey)

	out = o.must(t, store, "meters", "remove", "MTR002")
	if out != "meter MTR002 removed with its keys; its readings and invocation counters stay\n" {
		t.Errorf("remove: %q", out)
	}
	if ids := listIDs(t, &o, store); strings.Join(ids, " ") != "MTR001 MTR003" {
		t.Errorf("after remove: %v", ids)
	}
	o.refused(t, store, `unknown meter "MTR002"`, "meters", "show", "MTR002")
	o.refused(t, store, `unknown meter "MTR002"`, "meters", "remove", "MTR002")
	// The EAN of a removed meter is free again.
	o.must(t, store, "meters", "add", "--id", "MTR004", "--ean", eanM2, "--tcp", "10.1.2.4:4059")

	o.noKeys(t, k1)
}

func TestMetersAddRefused(t *testing.T) {
	store := meterStore(t)
	var o outputs
	k := testKeys(2)
	good := keysFile(t, k)
	o.must(t, store, "meters", "add", "--id", "TAKEN", "--ean", eanM1, "--tcp", "10.0.0.1:4059", "--keys-file", good)

	noKEK := k
	noKEK.KEK = meter.Secret{}
	badHex := writeFile(t, "bad-hex.json", `{"ek": "`+k.EK.Hex()[:10]+`zz`+k.EK.Hex()[12:]+`", "ak": "`+k.AK.Hex()+`"}`)
	shortKey := writeFile(t, "short.json", `{"ek": "`+k.EK.Hex()[:30]+`", "ak": "`+k.AK.Hex()+`", "kek": "`+k.KEK.Hex()+`", "lls_password": "31"}`)
	unknownField := writeFile(t, "unknown.json", `{"ek": "`+k.EK.Hex()+`", "master": "`+k.AK.Hex()+`"}`)
	notJSON := writeFile(t, "not.json", "ek="+k.EK.Hex()+"\n")
	number := writeFile(t, "number.json", `{"ek": 12345}`)
	empty := writeFile(t, "empty.json", `{}`)

	base := []string{"meters", "add", "--id", "NEW", "--ean", eanM2}
	tests := []struct {
		want string
		args []string
	}{
		{"no link: give --tcp HOST:PORT, --serial DEVICE or --concentrator DC", nil},
		{"--tcp and --serial: give one link", []string{"--tcp", "h:1", "--serial", "/dev/ttyS0"}},
		{"--optical is for a --serial device", []string{"--tcp", "h:1", "--optical"}},
		{"--concentrator-meter needs --concentrator", []string{"--tcp", "h:1", "--concentrator-meter", "X"}},
		{"--gas-channel needs --gas-ean", []string{"--tcp", "h:1", "--gas-channel", "2"}},
		{`--energy "water": want electricity or gas`, []string{"--tcp", "h:1", "--energy", "water"}},
		{`--system-title "4845": want 16 hexadecimal digits`, []string{"--tcp", "h:1", "--system-title", "4845"}},
		{`tcp address "nowhere": want host:port`, []string{"--tcp", "nowhere"}},
		{`framing "wrapper" on a serial link, want hdlc`, []string{"--serial", "/dev/ttyS0", "--framing", "wrapper"}},
		{"HDLC address size 3, want 1, 2 or 4", []string{"--serial", "/dev/ttyS0", "--address-size", "3"}},
		{`energy "gas", but profile be-elec-default is for electricity meters`, []string{"--tcp", "h:1", "--energy", "gas"}},
		{"gas meter on M-Bus channel 5, want 1 to 4", []string{"--tcp", "h:1", "--gas-ean", eanGasM1, "--gas-channel", "5"}},
		{`unknown meter profile "be-gas-nope"`, []string{"--tcp", "h:1", "--profile", "be-gas-nope"}},
		{"meter already registered: \"TAKEN\"", []string{"--tcp", "h:1", "--id", "TAKEN"}},
		{"EAN already registered: " + eanM1 + ` belongs to meter "TAKEN"`, []string{"--tcp", "h:1", "--ean", eanM1}},
		{"EAN already registered: " + eanM1, []string{"--tcp", "h:1", "--gas-ean", eanM1}},
		{`invalid EAN "` + eanBadCD + `": wrong check digit 7, want 6`, []string{"--tcp", "h:1", "--ean", eanBadCD}},
		{"missing key kek (profile be-elec-default needs ek, ak, kek, lls_password)", []string{"--tcp", "h:1", "--keys-file", keysFile(t, noKEK)}},
		{"key ek: malformed key: character 11 is not a hexadecimal digit", []string{"--tcp", "h:1", "--keys-file", badHex}},
		{"short.json: malformed key: key ek of 15 bytes, want 16", []string{"--tcp", "h:1", "--keys-file", shortKey}},
		{`unknown field "master"`, []string{"--tcp", "h:1", "--keys-file", unknownField}},
		{"not JSON at line 1", []string{"--tcp", "h:1", "--keys-file", notJSON}},
		{`key "ek": want a string of hexadecimal digits`, []string{"--tcp", "h:1", "--keys-file", number}},
		{"no key", []string{"--tcp", "h:1", "--keys-file", empty}},
		{"--keys-file: open", []string{"--tcp", "h:1", "--keys-file", filepath.Join(t.TempDir(), "missing.json")}},
		{`invalid argument "70000"`, []string{"--tcp", "h:1", "--server", "70000"}},
	}
	for _, tt := range tests {
		o.refused(t, store, tt.want, append(append([]string{}, base...), tt.args...)...)
	}
	if ids := listIDs(t, &o, store); strings.Join(ids, " ") != "TAKEN" {
		t.Errorf("refused adds stored meters: %v", ids)
	}
	o.refused(t, store, `required flag(s) "ean", "id" not set`, "meters", "add", "--tcp", "h:1")
	o.noKeys(t, k)
}

// inventoryMeters returns three meters of an inventory with their keys: TCP
// with a gas meter, serial, and behind a concentrator.
func inventoryMeters() ([]meter.Meter, []meter.Keys) {
	ms := []meter.Meter{
		{ID: "SIM00001", EAN: eanM1, Profile: "be-elec-default", Link: meter.LinkSpec{Kind: meter.LinkTCP, Address: "127.0.0.1:4059"},
			Addresses: meter.Addresses{Physical: 17}, SystemTitle: meter.Hex{0x48, 0x45, 0x53, 0, 0, 0, 0, 1},
			Gas: &meter.GasMeter{Channel: 1, EAN: eanGasM1}},
		{ID: "SIM00002", EAN: eanM2, Profile: "be-elec-default", Link: meter.LinkSpec{Kind: meter.LinkSerial, Device: "/dev/ttyUSB1", Optical: true}},
		{ID: "SIM00003", EAN: eanM3, Profile: "be-elec-default", Link: meter.LinkSpec{Kind: meter.LinkConcentrator, Concentrator: "DC1"}},
	}
	return ms, []meter.Keys{testKeys(1), testKeys(2), testKeys(3)}
}

// writeInventory writes an inventory of ms and ks and returns its path
// and text.
func writeInventory(t *testing.T, name string, ms []meter.Meter, ks []meter.Keys) (string, string) {
	t.Helper()
	var inv meter.Inventory
	for i, m := range ms {
		inv.Meters = append(inv.Meters, meter.NewInventoryMeter(m, ks[i]))
	}
	var buf bytes.Buffer
	if err := meter.WriteInventory(&buf, inv); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, name, buf.String()), buf.String()
}

// csvOf writes the meters and keys as a CSV file.
func csvOf(ms []meter.Meter, ks []meter.Keys) string {
	var b strings.Builder
	b.WriteString("id,ean,profile,link,address,device,optical,concentrator,physical_address,ek,ak,kek,lls_password,gas_channel,gas_ean\n")
	b.WriteString("# exported from the asset register\n")
	for i, m := range ms {
		k := ks[i]
		gasCh, gasEAN := "", ""
		if m.Gas != nil {
			gasCh, gasEAN = fmt.Sprint(m.Gas.Channel), m.Gas.EAN
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%t,%s,%d,%s,%s,%s,%s,%s,%s\n", m.ID, m.EAN, m.Profile, m.Link.Kind, m.Link.Address,
			m.Link.Device, m.Link.Optical, m.Link.Concentrator, m.Addresses.Physical,
			k.EK.Hex(), k.AK.Hex(), k.KEK.Hex(), k.LLSPassword.Hex(), gasCh, gasEAN)
	}
	return b.String()
}

// checkImported checks the meters and their keys as the store holds them.
func checkImported(t *testing.T, store string, ms []meter.Meter, ks []meter.Keys) {
	t.Helper()
	withMeterStore(t, store, func(s *meter.Store) {
		for i, want := range ms {
			m, err := s.Get(want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if m.EAN != want.EAN || m.Link.Kind != want.Link.Kind || m.Link.Address != want.Link.Address ||
				m.Link.Device != want.Link.Device || m.Link.Optical != want.Link.Optical || m.Link.Concentrator != want.Link.Concentrator ||
				(want.Gas == nil) != (m.Gas == nil) || want.Gas != nil && *want.Gas != *m.Gas {
				t.Errorf("meter %s stored as %+v", want.ID, m)
			}
			k, err := s.Keys(want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !k.EK.Equal(ks[i].EK) || !k.AK.Equal(ks[i].AK) || !k.KEK.Equal(ks[i].KEK) || !k.LLSPassword.Equal(ks[i].LLSPassword) {
				t.Errorf("meter %s: keys differ from the file's", want.ID)
			}
		}
	})
}

func TestMetersImportInventory(t *testing.T) {
	store := meterStore(t)
	var o outputs
	ms, ks := inventoryMeters()
	path, _ := writeInventory(t, "fleet.json", ms, ks)

	out := o.must(t, store, "meters", "import", path)
	if out != "imported 3 meters from "+path+"\n" {
		t.Errorf("import: %q", out)
	}
	checkImported(t, store, ms, ks)
	out = o.must(t, store, "keys", "show", "SIM00003")
	if !strings.Contains(out, "Keys                   present: ek, ak, kek, lls_password\n") {
		t.Errorf("keys show after import:\n%s", out)
	}

	// Again: every meter is now a duplicate of the store's; nothing changes.
	_, errOut, status := o.hes(t, store, "meters", "import", path)
	if status != ExitBadUse || strings.Count(errOut, "meter already registered") != 3 ||
		!strings.HasSuffix(errOut, "hes: import "+path+": 3 errors, nothing imported\n") {
		t.Errorf("import again: status %d, stderr:\n%s", status, errOut)
	}
	o.must(t, store, "meters", "show", "SIM00001", "--json")
	o.noKeys(t, ks...)
}

func TestMetersImportCSV(t *testing.T) {
	ms, ks := inventoryMeters()
	for _, tt := range []struct{ name, args string }{
		{"meters.csv", ""},
		{"meters.txt", ""},          // told by its content
		{"meters.json", "--format"}, // forced
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := meterStore(t)
			var o outputs
			path := writeFile(t, tt.name, csvOf(ms, ks))
			args := []string{"meters", "import", path}
			if tt.args != "" {
				args = append(args, tt.args, "csv")
			}
			if out := o.must(t, store, args...); out != "imported 3 meters from "+path+"\n" {
				t.Errorf("import: %q", out)
			}
			checkImported(t, store, ms, ks)
			o.noKeys(t, ks...)
		})
	}
	t.Run("inventory in a .txt", func(t *testing.T) {
		store := meterStore(t)
		var o outputs
		_, text := writeInventory(t, "x.json", ms, ks)
		path := writeFile(t, "inventory.txt", "\n  "+text)
		o.must(t, store, "meters", "import", path, "--json")
		checkImported(t, store, ms, ks)
	})
}

// lineOf returns the 1-based line of the first occurrence of s in text.
func lineOf(t *testing.T, text, s string) int {
	t.Helper()
	i := strings.Index(text, s)
	if i < 0 {
		t.Fatalf("%q not in the file", s)
	}
	return strings.Count(text[:i], "\n") + 1
}

func TestMetersImportBadInventory(t *testing.T) {
	store := meterStore(t)
	var o outputs
	ms, ks := inventoryMeters()
	ms = append(ms, ms[0], ms[0], ms[0])
	ks = append(ks, testKeys(4), testKeys(5), testKeys(6))
	ms[1].EAN = eanBadCD                                                                                         // bad check digit
	ms[3] = meter.Meter{ID: "SIM00001", EAN: "541448820000000084", Profile: "be-elec-default", Link: ms[2].Link} // duplicate id
	ms[4] = meter.Meter{ID: "SIM00005", EAN: "541448820000000091", Profile: "be-elec-unknown", Link: ms[2].Link}
	ms[5] = meter.Meter{ID: "SIM00006", EAN: "541448820000000107", Profile: "be-elec-default", Link: ms[2].Link}
	ks[5].AK = meter.Secret{} // missing key
	path, text := writeInventory(t, "fleet.json", ms, ks)

	_, errOut, status := o.hes(t, store, "meters", "import", path)
	if status != ExitBadUse {
		t.Fatalf("status %d, want %d; stderr:\n%s", status, ExitBadUse, errOut)
	}
	wantLines := []string{
		fmt.Sprintf(`%s: meters[1] (id SIM00002) at line %d: invalid meter "SIM00002": invalid EAN "%s": wrong check digit 7, want 6`,
			path, lineOf(t, text, `"id": "SIM00002"`)-1, eanBadCD),
		fmt.Sprintf(`%s: meters[3] (id SIM00001) at line %d: duplicate id "SIM00001", also at meters[0]`,
			path, lineOf(t, text, `"ean": "541448820000000084"`)-2),
		fmt.Sprintf(`%s: meters[4] (id SIM00005) at line %d: invalid meter "SIM00005": unknown meter profile "be-elec-unknown" (known: be-elec-default)`,
			path, lineOf(t, text, `"id": "SIM00005"`)-1),
		fmt.Sprintf(`%s: meters[5] (id SIM00006) at line %d: missing key ak (profile be-elec-default)`,
			path, lineOf(t, text, `"id": "SIM00006"`)-1),
		"hes: import " + path + ": 4 errors, nothing imported",
	}
	if got := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n"); strings.Join(got, "\n") != strings.Join(wantLines, "\n") {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, strings.Join(wantLines, "\n"))
	}
	if ids := listIDs(t, &o, store); len(ids) != 0 {
		t.Errorf("a refused import stored %v", ids)
	}
	o.noKeys(t, ks...)
}

func TestMetersImportBadCSV(t *testing.T) {
	store := meterStore(t)
	var o outputs
	ms, ks := inventoryMeters()
	good := strings.Split(strings.TrimSuffix(csvOf(ms, ks), "\n"), "\n")
	k := ks[0]
	// Lines: 1 header, 2 comment, 3-5 good meters, then the bad ones.
	lines := append(good,
		"SIM00004,"+eanBadCD+",be-elec-default,tcp,10.0.0.4:4059,,false,,0,"+k.EK.Hex()+","+k.AK.Hex()+","+k.KEK.Hex()+","+k.LLSPassword.Hex()+",,",
		"SIM00002,541448820000000084,be-elec-default,tcp,10.0.0.5:4059,,false,,0,"+k.EK.Hex()+","+k.AK.Hex()+","+k.KEK.Hex()+","+k.LLSPassword.Hex()+",,",
		"SIM00006,541448820000000091,be-elec-nope,tcp,10.0.0.6:4059,,false,,0,"+k.EK.Hex()+","+k.AK.Hex()+","+k.KEK.Hex()+","+k.LLSPassword.Hex()+",,",
		"SIM00007,541448820000000107,be-elec-default,tcp,10.0.0.7:4059,,false,,0,"+k.EK.Hex()+","+k.AK.Hex()+",,"+k.LLSPassword.Hex()+",,",
		"SIM00008,541448820000000114,be-elec-default,tcp,10.0.0.8:4059,,false,,0,"+k.EK.Hex()[:8]+"x"+k.EK.Hex()[9:]+","+k.AK.Hex()+","+k.KEK.Hex()+","+k.LLSPassword.Hex()+",,",
	)
	path := writeFile(t, "meters.csv", strings.Join(lines, "\n")+"\n")
	_, errOut, status := o.hes(t, store, "meters", "import", path)
	if status != ExitBadUse {
		t.Fatalf("status %d, want %d; stderr:\n%s", status, ExitBadUse, errOut)
	}
	want := path + `: line 6, meter SIM00004: invalid meter "SIM00004": invalid EAN "` + eanBadCD + `": wrong check digit 7, want 6
` + path + `: line 7, meter SIM00002: duplicate id "SIM00002", also at line 4
` + path + `: line 8, meter SIM00006: invalid meter "SIM00006": unknown meter profile "be-elec-nope" (known: be-elec-default)
` + path + `: line 9, meter SIM00007: missing key kek (profile be-elec-default)
` + path + `: line 10, meter SIM00008: key ek: malformed key: character 9 is not a hexadecimal digit
hes: import ` + path + `: 5 errors, nothing imported
`
	if errOut != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, want)
	}
	if ids := listIDs(t, &o, store); len(ids) != 0 {
		t.Errorf("a refused import stored %v", ids)
	}

	// A file that is not CSV at all.
	bad := writeFile(t, "bad.csv", "id,ean,profile,colour\n")
	_, errOut, status = o.hes(t, store, "meters", "import", bad)
	if status != ExitBadUse || errOut != bad+": line 1: unknown column \"colour\"\nhes: import "+bad+": 1 error, nothing imported\n" {
		t.Errorf("unknown column: status %d, stderr %q", status, errOut)
	}
	o.refused(t, store, `--format "xml": want auto, inventory or csv`, "meters", "import", bad, "--format", "xml")
	o.refused(t, store, "import: open", "meters", "import", filepath.Join(t.TempDir(), "missing.csv"))
	o.noKeys(t, ks...)
}

func TestMissingMasterKey(t *testing.T) {
	store := meterStore(t)
	var o outputs
	ms, ks := inventoryMeters()
	inv, _ := writeInventory(t, "fleet.json", ms, ks)
	kf := keysFile(t, ks[0])
	o.must(t, store, "meters", "add", "--id", "M1", "--ean", eanM1, "--tcp", "h:1")

	t.Setenv(meter.EnvMasterKey, "")
	const want = "no master key: set HES_MASTER_KEY or master_key_file"
	for _, args := range [][]string{
		{"meters", "import", inv},
		{"meters", "add", "--id", "M2", "--ean", eanM2, "--tcp", "h:1", "--keys-file", kf},
		{"keys", "show", "M1"},
		{"keys", "set", "M1", "--keys-file", kf},
	} {
		o.refused(t, store, want, args...)
	}
	// The commands that need no key work without it.
	o.must(t, store, "meters", "list")
	o.must(t, store, "meters", "show", "M1")

	// The master key from a file: --master-key-file, or master_key_file
	// in the configuration.
	keyFile := writeFile(t, "master.key", testMasterKey+"\n")
	o.must(t, store, "keys", "set", "M1", "--keys-file", kf, "--master-key-file", keyFile)
	cfg := writeFile(t, "hes.yaml", "master_key_file: "+keyFile+"\n")
	o.must(t, store, "keys", "show", "M1", "--config", cfg)
	t.Setenv(envMasterKeyFile, keyFile)
	o.must(t, store, "keys", "show", "M1")
	t.Setenv(envMasterKeyFile, "")

	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	o.refused(t, store, "lets other users read it, want 0600", "keys", "show", "M1", "--master-key-file", keyFile)
	o.refused(t, store, "lets other users read it, want 0600", "meters", "show", "M1", "--master-key-file", keyFile)

	t.Setenv(meter.EnvMasterKey, "00112233445566778899aabbccddeeff")
	o.refused(t, store, "store "+store+": the master key is not the one that sealed its keys", "keys", "show", "M1")
	t.Setenv(meter.EnvMasterKey, "0011")
	o.refused(t, store, "master key from environment variable HES_MASTER_KEY", "keys", "show", "M1")
	o.noKeys(t, ks...)
	if strings.Contains(o.String(), testMasterKey) {
		t.Errorf("the master key appears in the output:\n%s", o.String())
	}
}

// TestSecretsNeverPrinted runs every command of the registry with keys in
// the store and looks for them in every output, JSON included.
func TestSecretsNeverPrinted(t *testing.T) {
	store := meterStore(t)
	var o outputs
	ms, ks := inventoryMeters()
	inv, _ := writeInventory(t, "fleet.json", ms, ks)
	o.must(t, store, "meters", "import", inv)
	newKeys := testKeys(9)
	withMeterStore(t, store, func(s *meter.Store) {
		if err := s.StagePendingKeys("SIM00001", newKeys); err != nil {
			t.Fatal(err)
		}
	})
	for _, args := range [][]string{
		{"meters", "list"}, {"meters", "list", "--json"},
		{"meters", "show", "SIM00001"}, {"meters", "show", "SIM00001", "--json"},
		{"keys", "show", "SIM00001"}, {"keys", "show", "SIM00001", "--json"},
		{"keys", "set", "SIM00002", "--keys-file", keysFile(t, testKeys(7))},
		{"keys", "set", "SIM00002", "--keys-file", keysFile(t, testKeys(8)), "--json"},
		{"meters", "show", "SIM00001", "--log-level", "trace"},
		{"meters", "remove", "SIM00003"},
	} {
		o.must(t, store, args...)
	}
	o.noKeys(t, append(ks, newKeys, testKeys(7), testKeys(8))...)
	if raw := hex.EncodeToString(ks[0].EK.Bytes()); !strings.Contains(strings.ToLower(csvOf(ms, ks)), raw) {
		t.Fatal("the leak check looks for the wrong text")
	}
}
