package meter

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

const (
	hexEK  = "000102030405060708090a0b0c0d0e0f"
	hexAK  = "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
	hexKEK = "101112131415161718191a1b1c1d1e1f"
	hexLLS = "3132333435363738"
)

// goodInventory has three meters, starting on lines 3, 10 and 16.
const goodInventory = `{
  "meters": [
    {"id": "SIM1", "ean": "541448800000000017", "energy": "electricity", "profile": "be-elec-default",
     "address": "127.0.0.1:4059", "framing": "wrapper", "physical_address": 17,
     "system_title": "4845530000000001",
     "keys": {"ek": "` + hexEK + `", "ak": "` + hexAK + `",
              "kek": "` + hexKEK + `", "lls_password": "` + hexLLS + `"},
     "gas": {"channel": 1, "ean": "541448900000000014"}
    },
    {"id": "SIM2", "ean": "541448800000000024", "profile": "be-elec-default",
     "address": "127.0.0.1:4060", "framing": "hdlc", "physical_address": 18,
     "keys": {"ek": "` + hexEK + `", "ak": "` + hexAK + `",
              "kek": "` + hexKEK + `", "lls_password": "` + hexLLS + `"}
    },
    {"id": "SIM3", "ean": "541448800000000031", "profile": "be-elec-default",
     "link": "concentrator", "concentrator": "dc1", "physical_address": 19,
     "keys": {"ek": "` + hexEK + `", "ak": "` + hexAK + `",
              "kek": "` + hexKEK + `", "lls_password": "` + hexLLS + `"},
     "gas": {"channel": 2, "ean": "541448900000000021"}
    }
  ]
}
`

func TestImportInventory(t *testing.T) {
	s, _ := newTestStore(t, nil)
	n, err := s.ImportInventory(strings.NewReader(goodInventory))
	if err != nil || n != 3 {
		t.Fatalf("ImportInventory = %d, %v", n, err)
	}
	m, _ := s.Get("SIM2")
	if m.Link != (LinkSpec{Kind: LinkTCP, Framing: FramingHDLC, Address: "127.0.0.1:4060"}) ||
		m.Addresses != (Addresses{Server: 1, Physical: 18, HDLCSize: 4}) || m.Energy != EnergyElectricity {
		t.Errorf("SIM2 %+v", m)
	}
	m, _ = s.Get("SIM1")
	if m.SystemTitle.String() != "4845530000000001" || m.Gas == nil || m.Gas.EAN != "541448900000000014" {
		t.Errorf("SIM1 %+v", m)
	}
	k, err := s.Keys("SIM3")
	if err != nil || k.EK.Hex() != hexEK || k.AK.Hex() != hexAK || k.KEK.Hex() != hexKEK || k.LLSPassword.Hex() != hexLLS {
		t.Errorf("SIM3 keys: %v", err)
	}
	if m, err := s.ByEAN("541448900000000021"); err != nil || m.ID != "SIM3" || m.Link.ConcentratorMeter != "SIM3" {
		t.Errorf("ByEAN(gas of SIM3) = %+v, %v", m, err)
	}
	// Importing again: every id is taken, nothing changes.
	_, err = s.ImportInventory(strings.NewReader(goodInventory))
	var ie ImportErrors
	if !errors.As(err, &ie) || len(ie) != 3 || !errors.Is(err, ErrMeterExists) {
		t.Errorf("second import: %v", err)
	}
}

// TestInventoryRoundTrip: what the simulator writes with WriteInventory
// imports as it was.
func TestInventoryRoundTrip(t *testing.T) {
	src, _ := newTestStore(t, nil)
	if _, err := src.ImportInventory(strings.NewReader(goodInventory)); err != nil {
		t.Fatal(err)
	}
	list, _ := src.List()
	var inv Inventory
	for _, m := range list {
		k, err := src.Keys(m.ID)
		if err != nil {
			t.Fatal(err)
		}
		inv.Meters = append(inv.Meters, NewInventoryMeter(m, k))
	}
	var buf bytes.Buffer
	if err := WriteInventory(&buf, inv); err != nil {
		t.Fatal(err)
	}
	dst, _ := newTestStore(t, nil)
	if _, err := dst.ImportInventory(&buf); err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		got, _ := dst.Get(m.ID)
		if got.ID != m.ID || got.EAN != m.EAN || got.Link != m.Link || got.Addresses != m.Addresses ||
			(got.Gas == nil) != (m.Gas == nil) || got.SystemTitle.String() != m.SystemTitle.String() {
			t.Errorf("%s: %+v, want %+v", m.ID, got, m)
		}
		k1, _ := src.Keys(m.ID)
		k2, _ := dst.Keys(m.ID)
		if !k1.EK.Equal(k2.EK) || !k1.LLSPassword.Equal(k2.LLSPassword) {
			t.Errorf("%s: keys differ", m.ID)
		}
	}
}

func TestImportInventoryErrors(t *testing.T) {
	type want struct {
		index int
		line  int
		id    string
		says  string
	}
	tests := []struct {
		name       string
		old, new   string
		wants      []want
		wantTarget error
	}{
		{"bad check digit", `"541448800000000024"`, `"541448800000000025"`,
			[]want{{1, 10, "SIM2", "check digit 5, want 4"}}, ErrEANCheckDigit},
		{"bad gas check digit", `"541448900000000021"`, `"541448900000000022"`,
			[]want{{2, 15, "SIM3", "gas meter"}}, ErrEAN},
		{"duplicate id", `"id": "SIM3"`, `"id": "SIM1"`,
			[]want{{2, 15, "SIM1", "duplicate id \"SIM1\", also at meters[0]"}}, nil},
		{"duplicate EAN", `"541448800000000031"`, `"541448800000000024"`,
			[]want{{2, 15, "SIM3", "duplicate EAN 541448800000000024, also at meters[1]"}}, nil},
		{"unknown profile", `"id": "SIM2", "ean": "541448800000000024", "profile": "be-elec-default"`,
			`"id": "SIM2", "ean": "541448800000000024", "profile": "be-elec-v9"`,
			[]want{{1, 10, "SIM2", `"be-elec-v9"`}}, ErrUnknownProfile},
		{"missing key", `"kek": "` + hexKEK + `", "lls_password": "` + hexLLS + `"},
     "gas": {"channel": 2`, `"lls_password": "` + hexLLS + `"},
     "gas": {"channel": 2`,
			[]want{{2, 15, "SIM3", "missing key kek"}}, nil},
		{"bad hex", `"ak": "` + hexAK + `",
              "kek": "` + hexKEK + `", "lls_password": "` + hexLLS + `"}
    },
    {"id": "SIM3"`, `"ak": "d0d1d2d3d4d5d6d7d8d9dadbdcdddeXX",
              "kek": "` + hexKEK + `", "lls_password": "` + hexLLS + `"}
    },
    {"id": "SIM3"`,
			[]want{{1, 10, "SIM2", "key ak: malformed key: character 31"}}, ErrKeyFormat},
		{"short key", `"ek": "` + hexEK + `", "ak": "` + hexAK + `",
              "kek": "` + hexKEK + `", "lls_password": "` + hexLLS + `"},
     "gas": {"channel": 1`, `"ek": "0001", "ak": "` + hexAK + `",
              "kek": "` + hexKEK + `", "lls_password": "` + hexLLS + `"},
     "gas": {"channel": 1`,
			[]want{{0, 3, "SIM1", "key ek of 2 bytes"}}, ErrKeyFormat},
		{"two errors", `"address": "127.0.0.1:4060"`, `"address": "nowhere"`,
			[]want{{1, 10, "SIM2", "host:port"}, {2, 15, "SIM1", "duplicate id"}}, ErrInvalidMeter},
		{"unknown field", `"framing": "hdlc"`, `"framing": "hdlc", "colour": "red"`,
			[]want{{1, 10, "SIM2", `unknown field "colour"`}}, nil},
		{"syntax error", `"physical_address": 18,`, `"physical_address": 18,,`,
			[]want{{1, 11, "", "invalid character"}}, nil},
		{"wrong type", `"physical_address": 19`, `"physical_address": "19"`,
			[]want{{2, 16, "SIM3", "physical_address"}}, nil},
		{"no meters", `"meters"`, `"meter"`, []want{{-1, 2, "", `unknown field "meter"`}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := strings.Replace(goodInventory, tt.old, tt.new, 1)
			if tt.name == "duplicate id" || tt.name == "two errors" {
				text = strings.Replace(text, `"id": "SIM3"`, `"id": "SIM1"`, 1)
			}
			if text == goodInventory {
				t.Fatal("the case changes nothing")
			}
			s, _ := newTestStore(t, nil)
			n, err := s.ImportInventory(strings.NewReader(text))
			var ie ImportErrors
			if n != 0 || !errors.As(err, &ie) {
				t.Fatalf("ImportInventory = %d, %v", n, err)
			}
			if len(ie) != len(tt.wants) {
				t.Fatalf("%d errors, want %d:\n%v", len(ie), len(tt.wants), err)
			}
			for i, w := range tt.wants {
				e := ie[i]
				if e.Index != w.index || e.Line != w.line || e.ID != w.id || !strings.Contains(e.Error(), w.says) {
					t.Errorf("error %d: index %d line %d id %q: %v\nwant index %d line %d id %q saying %q",
						i, e.Index, e.Line, e.ID, e, w.index, w.line, w.id, w.says)
				}
			}
			if tt.wantTarget != nil && !errors.Is(err, tt.wantTarget) {
				t.Errorf("%v does not wrap %v", err, tt.wantTarget)
			}
			for _, k := range []string{hexEK, hexAK, hexKEK, "d0d1d2d3d4d5d6d7"} {
				if strings.Contains(err.Error(), k) {
					t.Errorf("the error shows a key: %v", err)
				}
			}
			if list, _ := s.List(); len(list) != 0 {
				t.Errorf("a rejected import stored %d meters", len(list))
			}
		})
	}
}

const goodCSV = `id,ean,profile,address,framing,physical_address,device,optical,concentrator,ek,ak,kek,lls_password,gas_channel,gas_ean
# electricity meters of the pilot
E1,541448800000000017,be-elec-default,10.0.0.1:4059,,16,,,,` + hexEK + `,` + hexAK + `,` + hexKEK + `,` + hexLLS + `,1,541448900000000014
E2,541448800000000024,be-elec-default,,,,/dev/ttyUSB0,true,,` + hexEK + `,` + hexAK + `,` + hexKEK + `,` + hexLLS + `,,

E3,541448800000000031,be-elec-default,,,,,,dc4,` + hexEK + `,` + hexAK + `,` + hexKEK + `,` + hexLLS + `,,
`

func TestImportCSV(t *testing.T) {
	s, _ := newTestStore(t, nil)
	n, err := s.ImportCSV(strings.NewReader(goodCSV))
	if err != nil || n != 3 {
		t.Fatalf("ImportCSV = %d, %v", n, err)
	}
	m, _ := s.Get("E1")
	if m.Link.Kind != LinkTCP || m.Addresses.Physical != 16 || m.Gas == nil || m.Gas.Channel != 1 {
		t.Errorf("E1 %+v", m)
	}
	m, _ = s.Get("E2")
	if m.Link != (LinkSpec{Kind: LinkSerial, Framing: FramingHDLC, Device: "/dev/ttyUSB0", Optical: true}) || m.Gas != nil {
		t.Errorf("E2 %+v", m)
	}
	m, _ = s.Get("E3")
	if m.Link.Kind != LinkConcentrator || m.Link.Concentrator != "dc4" {
		t.Errorf("E3 %+v", m)
	}
	if k, err := s.Keys("E2"); err != nil || k.KEK.Hex() != hexKEK {
		t.Errorf("E2 keys: %v", err)
	}
}

func TestImportCSVErrors(t *testing.T) {
	type want struct {
		line int
		id   string
		says string
	}
	tests := []struct {
		name     string
		old, new string
		wants    []want
	}{
		{"bad check digit", "E2,541448800000000024", "E2,541448800000000020", []want{{4, "E2", "check digit 0, want 4"}}},
		{"duplicate id", "E3,", "E1,", []want{{6, "E1", "duplicate id \"E1\", also at line 3"}}},
		{"unknown profile", "E3,541448800000000031,be-elec-default", "E3,541448800000000031,be-gas", []want{{6, "E3", "unknown meter profile"}}},
		{"missing key", "dc4," + hexEK + "," + hexAK + "," + hexKEK, "dc4," + hexEK + ",," + hexKEK, []want{{6, "E3", "missing key ak"}}},
		{"bad hex", "/dev/ttyUSB0,true,," + hexEK, "/dev/ttyUSB0,true,,0g" + hexEK[2:], []want{{4, "E2", "key ek: malformed key: character 2"}}},
		{"bad number", "10.0.0.1:4059,,16", "10.0.0.1:4059,,sixteen", []want{{3, "E1", `physical_address "sixteen"`}}},
		{"bad bool", "true", "yes please", []want{{4, "E2", `optical "yes please"`}}},
		{"field count", "E3,541448800000000031,be-elec-default,", "E3,541448800000000031,be-elec-default,,", []want{{6, "", "wrong number of fields"}}},
		{"unknown column", "lls_password,", "password,", []want{{1, "", `unknown column "password"`}}},
		{"missing column", "id,ean,profile,", "id,ean,", []want{{1, "", `no column "profile"`}}},
		{"two errors", "E2,541448800000000024", "E2,541448800000000020", []want{{4, "E2", "check digit"}, {6, "E1", "duplicate id"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := strings.Replace(goodCSV, tt.old, tt.new, 1)
			if tt.name == "two errors" {
				text = strings.Replace(text, "E3,", "E1,", 1)
			}
			if tt.name == "missing column" {
				text = strings.Replace(text, "E1,541448800000000017,be-elec-default,", "E1,541448800000000017,", 1)
			}
			if text == goodCSV {
				t.Fatal("the case changes nothing")
			}
			s, _ := newTestStore(t, nil)
			n, err := s.ImportCSV(strings.NewReader(text))
			var ie ImportErrors
			if n != 0 || !errors.As(err, &ie) {
				t.Fatalf("ImportCSV = %d, %v", n, err)
			}
			if len(ie) != len(tt.wants) {
				t.Fatalf("%d errors, want %d:\n%v", len(ie), len(tt.wants), err)
			}
			for i, w := range tt.wants {
				e := ie[i]
				if e.Line != w.line || e.ID != w.id || e.Index != -1 || !strings.Contains(e.Error(), w.says) {
					t.Errorf("error %d: line %d id %q: %v\nwant line %d id %q saying %q", i, e.Line, e.ID, e, w.line, w.id, w.says)
				}
			}
			if strings.Contains(err.Error(), hexEK[4:]) {
				t.Errorf("the error shows a key: %v", err)
			}
			if list, _ := s.List(); len(list) != 0 {
				t.Errorf("a rejected import stored %d meters", len(list))
			}
		})
	}
}

func TestImportWithoutSealer(t *testing.T) {
	s, _ := newTestStore(t, nil)
	ns, err := OpenStore(s.db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ns.ImportCSV(strings.NewReader(goodCSV)); !errors.Is(err, ErrNoSealer) {
		t.Errorf("ImportCSV without a sealer: %v", err)
	}
}

func FuzzParseInventory(f *testing.F) {
	f.Add([]byte(goodInventory))
	f.Add([]byte(`{"meters":[{"id":1}]}`))
	f.Add([]byte(`{"meters":[],"meters":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		items, err := parseInventory(b)
		if err != nil && (err.Line < 1 || err.Line > bytes.Count(b, []byte{'\n'})+1) {
			t.Errorf("line %d out of the input: %v", err.Line, err)
		}
		for _, it := range items {
			if it.line < 1 || it.line > bytes.Count(b, []byte{'\n'})+1 {
				t.Errorf("meter at line %d", it.line)
			}
		}
	})
}

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte(goodCSV))
	f.Add([]byte("id,ean,profile\n\"a\nb\",1,2\n"))
	f.Add([]byte("id,ean,profile\n\"")) // a quote left open: no field positions
	f.Fuzz(func(t *testing.T, b []byte) {
		items, errs := parseCSV(bytes.NewReader(b))
		for _, e := range errs {
			if e.Line < 0 || e.Error() == "" {
				t.Errorf("error %+v", e)
			}
		}
		for _, it := range items {
			if it.line < 2 {
				t.Errorf("meter at line %d", it.line)
			}
		}
	})
}
