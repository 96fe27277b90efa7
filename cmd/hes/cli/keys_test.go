package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/meter"
)

func TestKeysSetShow(t *testing.T) {
	store := meterStore(t)
	var o outputs
	o.must(t, store, "meters", "add", "--id", "MTR001", "--ean", eanM1, "--tcp", "10.1.2.3:4059")

	out := o.must(t, store, "keys", "show", "MTR001")
	want := "Meter         MTR001\nKeys          none\nPending keys  none\n"
	if out != want {
		t.Errorf("keys show without keys:\n%s\nwant:\n%s", out, want)
	}

	factory := testKeys(1)
	out = o.must(t, store, "keys", "set", "MTR001", "--keys-file", keysFile(t, factory))
	if out != "keys of meter MTR001 installed: ek, ak, kek, lls_password\n" {
		t.Errorf("keys set: %q", out)
	}
	out = o.must(t, store, "keys", "show", "MTR001")
	want = `Meter                  MTR001
Keys                   present: ek, ak, kek, lls_password
Pending keys           none
Next counter to send   management (client 1): 0
Last counter received  none yet
`
	if out != want {
		t.Errorf("keys show:\n%s\nwant:\n%s", out, want)
	}

	// Sessions reserve counters, a meter's answers move the replay guard,
	// a rotation stages keys: keys show reads them from the store.
	staged := testKeys(2)
	staged.HLSSecret = meter.NewSecret([]byte("hls secret"))
	withMeterStore(t, store, func(s *meter.Store) {
		k, err := s.Keys("MTR001")
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.SendCounter("MTR001", 1, k.EK)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Reserve(100); err != nil {
			t.Fatal(err)
		}
		g := security.NewReplayGuard(0)
		if err := g.Accept(41); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveReplayGuard("MTR001", k.EK, g); err != nil {
			t.Fatal(err)
		}
		if err := s.StagePendingKeys("MTR001", staged); err != nil {
			t.Fatal(err)
		}
	})
	out = o.must(t, store, "keys", "show", "MTR001")
	want = `Meter                  MTR001
Keys                   present: ek, ak, kek, lls_password
Pending keys           present: ek, ak, kek, lls_password, hls_secret
Next counter to send   management (client 1): 100
Last counter received  41
`
	if out != want {
		t.Errorf("keys show after sessions:\n%s\nwant:\n%s", out, want)
	}
	var r struct {
		Meter string `json:"meter"`
		keyReport
	}
	if err := json.Unmarshal([]byte(o.must(t, store, "keys", "show", "MTR001", "--json")), &r); err != nil {
		t.Fatal(err)
	}
	if r.Meter != "MTR001" || !r.Current || !r.Pending || !r.Opened || strings.Join(r.PendingKeys, ",") != "ek,ak,kek,lls_password,hls_secret" ||
		len(r.Counters) != 1 || r.Counters[0].NextSend != 100 || r.LastReceived == nil || *r.LastReceived != 41 {
		t.Errorf("keys show --json: %+v", r)
	}

	// New current keys: the pending keys stay, and the counter of the
	// client continues above what it sent under the old key.
	replaced := testKeys(3)
	o.must(t, store, "keys", "set", "MTR001", "--keys-file", keysFile(t, replaced))
	withMeterStore(t, store, func(s *meter.Store) {
		k, err := s.Keys("MTR001")
		if err != nil || !k.EK.Equal(replaced.EK) || !k.LLSPassword.Equal(replaced.LLSPassword) {
			t.Errorf("keys after set: %v, %v", k, err)
		}
		if p, err := s.PendingKeys("MTR001"); err != nil || !p.EK.Equal(staged.EK) {
			t.Errorf("pending keys after set: %v, %v", p, err)
		}
	})
	out = o.must(t, store, "keys", "show", "MTR001")
	if !strings.Contains(out, "Next counter to send   management (client 1): 100\n") || !strings.Contains(out, "Last counter received  none yet\n") {
		t.Errorf("keys show after a new key:\n%s", out)
	}

	noAK := testKeys(4)
	noAK.AK = meter.Secret{}
	o.refused(t, store, "missing key ak (profile be-elec-default needs ek, ak, kek, lls_password)", "keys", "set", "MTR001", "--keys-file", keysFile(t, noAK))
	o.refused(t, store, `unknown meter "NOPE"`, "keys", "set", "NOPE", "--keys-file", keysFile(t, replaced))
	o.refused(t, store, `unknown meter "NOPE"`, "keys", "show", "NOPE")
	o.refused(t, store, `required flag(s) "keys-file" not set`, "keys", "set", "MTR001")
	withMeterStore(t, store, func(s *meter.Store) {
		if k, err := s.Keys("MTR001"); err != nil || !k.EK.Equal(replaced.EK) {
			t.Errorf("a refused keys set changed the keys: %v", err)
		}
	})
	o.noKeys(t, factory, staged, replaced, noAK)
}

// TestKeysExtensible checks that newKeysCmd takes further sub-commands
// with the shared options.
func TestKeysExtensible(t *testing.T) {
	var got *meterStoreOptions
	extra := func(g *globals, o *meterStoreOptions) *cobra.Command {
		return &cobra.Command{Use: "rotate", RunE: func(cmd *cobra.Command, args []string) error {
			got = o
			return nil
		}}
	}
	g := &globals{}
	cmd := newKeysCmd(g, extra)
	cmd.SetArgs([]string{"rotate", "--store", "x.db", "--master-key-file", "k"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.store != "x.db" || got.masterKeyFile != "k" {
		t.Errorf("rotate got options %+v", got)
	}
	for _, name := range []string{"show", "set", "rotate"} {
		if c, _, err := cmd.Find([]string{name}); err != nil || c.Name() != name {
			t.Errorf("sub-command %s: %v", name, err)
		}
	}
}
