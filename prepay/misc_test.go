package prepay

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestConfigJSONRoundTrip(t *testing.T) {
	c := DefaultConfig()
	c.NDP.ExtraDates = []Date{MustParseDate("2025-05-01")}
	c.NDP.Seasons = []Season{{From: MustParseDate("2025-12-01"), Until: MustParseDate("2026-02-28")}}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"starting_credit":"20.00"`, `"weekday_from":"16:00"`, `"extra_dates":["2025-05-01"]`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Errorf("round trip\n%+v\nwant\n%+v", back, c)
	}
	if err := json.Unmarshal([]byte(`{"ndp":{"weekday_from":"25:00"}}`), &back); err == nil {
		t.Error("25:00 accepted")
	}
	if err := json.Unmarshal([]byte(`{"ndp":{"extra_dates":["2025-02-30"]}}`), &back); !errors.Is(err, ErrBadDate) {
		t.Errorf("2025-02-30: %v", err)
	}
}

func TestRefusedError(t *testing.T) {
	err := refused("recharge", ErrAmountOutOfRange, "amount %s EUR not within %s and %s EUR", Cents(499), Cents(500), Cents(25000))
	if err.Error() != "prepay: recharge refused: amount 4.99 EUR not within 5.00 and 250.00 EUR" {
		t.Errorf("Error() = %q", err)
	}
	var re *RefusedError
	if !errors.As(err, &re) || re.Op != "recharge" || !errors.Is(err, ErrAmountOutOfRange) {
		t.Errorf("%+v", re)
	}
}

func TestLogAndListings(t *testing.T) {
	var buf bytes.Buffer
	f := newFixture(t)
	e, err := Open(f.db, f.cfg, WithClock(f.clk.now), WithLogger(zerolog.New(&buf)))
	if err != nil {
		t.Fatal(err)
	}
	f.e = e
	if e.Config().TimeZone != "Europe/Brussels" || e.Location().String() != "Europe/Brussels" {
		t.Errorf("config %s, location %s", e.Config().TimeZone, e.Location())
	}
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 90)
	m := newMeter(ean, day0)
	f.withBalance(ean, "t30", 2000)
	f.settle(m.reading())
	m.consume(map[string]int64{regDay: 1_000})
	f.settle(m.reading())
	m.consume(map[string]int64{regDay: -10})
	if s := f.settle(m.reading()); s.Status != HeldForAgent {
		t.Fatalf("%s", s.Status)
	}
	if !strings.Contains(buf.String(), `"message":"prepay: reading held for an agent"`) {
		t.Errorf("log lacks the hold:\n%s", buf.String())
	}
	accounts, _ := e.Accounts()
	settlements, _ := e.Settlements(ean)
	if len(accounts) != 1 || len(settlements) != 1 || settlements[0].Cost != 30 {
		t.Errorf("accounts %d, settlements %+v", len(accounts), settlements)
	}
	if err := e.ClearLeakTest(ean, "agent-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Balance(makeEAN("54144", 91)); !errors.Is(err, ErrUnknownAccount) {
		t.Errorf("unknown account: %v", err)
	}
}
