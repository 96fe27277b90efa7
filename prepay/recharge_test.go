package prepay

import (
	"errors"
	"strings"
	"testing"
)

func TestRechargeValidation(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	active := makeEAN("54144", 40)
	f.withBalance(active, "t30", 1000)

	// Two access points whose EANs differ only in the prefix share a
	// reference: 54144… and 54441… have the same check digit.
	twinA := makeEAN("54144", 41)
	twinB := "54441" + twinA[5:]
	if ValidateEAN(twinB) != nil {
		t.Fatalf("test set-up: %s is not a valid EAN", twinB)
	}
	f.withBalance(twinA, "t30", 1000)
	f.withBalance(twinB, "t30", 1000)

	gone := makeEAN("54144", 42)
	f.withBalance(gone, "t30", 1000)
	if err := f.e.Deactivate(gone, "agent-1", "contract"); err != nil {
		t.Fatal(err)
	}

	pending := makeEAN("54144", 43)
	if _, err := f.e.Activate(AccountSpec{EAN: pending, Energy: Electricity, TariffID: "t30", Contact: contact()}, Activation{Kind: NewClient, Agent: "a"}); err != nil {
		t.Fatal(err)
	}

	wrongCheck := Reference(active)[:12] + string('0'+(Reference(active)[12]-'0'+1)%10)
	unknown := Reference(makeEAN("54144", 44))

	for _, tc := range []struct {
		name    string
		req     RechargeRequest
		want    error  // nil: booked
		because string // in the reason
	}{
		{"minimum", RechargeRequest{Reference: Reference(active), Amount: 500, Channel: ChannelTerminal}, nil, ""},
		{"maximum", RechargeRequest{Reference: Reference(active), Amount: 25000, Channel: ChannelOnline}, nil, ""},
		{"below the minimum", RechargeRequest{Reference: Reference(active), Amount: 499, Channel: ChannelTerminal}, ErrAmountOutOfRange, "5.00"},
		{"above the maximum", RechargeRequest{Reference: Reference(active), Amount: 25001, Channel: ChannelPaypoint}, ErrAmountOutOfRange, "250.00"},
		{"negative", RechargeRequest{Reference: Reference(active), Amount: -1000, Channel: ChannelPaypoint}, ErrAmountOutOfRange, ""},
		{"12-digit reference", RechargeRequest{Reference: Reference(active)[1:], Amount: 1000, Channel: ChannelTerminal}, ErrBadReference, "13 digits"},
		{"14-digit reference", RechargeRequest{Reference: "4" + Reference(active), Amount: 1000, Channel: ChannelTerminal}, ErrBadReference, "13 digits"},
		{"letters", RechargeRequest{Reference: "12345678901ab", Amount: 1000, Channel: ChannelTerminal}, ErrBadReference, "13 digits"},
		{"full EAN", RechargeRequest{Reference: active, Amount: 1000, Channel: ChannelTerminal}, ErrBadReference, "13 digits"},
		{"wrong check digit", RechargeRequest{Reference: wrongCheck, Amount: 1000, Channel: ChannelTerminal}, ErrBadReference, "check digit"},
		{"unknown reference", RechargeRequest{Reference: unknown, Amount: 1000, Channel: ChannelTerminal}, ErrUnknownReference, unknown},
		{"ambiguous reference", RechargeRequest{Reference: Reference(twinA), Amount: 1000, Channel: ChannelTerminal}, ErrAmbiguousReference, "2 access points"},
		{"deactivated", RechargeRequest{Reference: Reference(gone), Amount: 1000, Channel: ChannelTerminal}, ErrNotPrepayment, "not in prepayment"},
		{"pending activation", RechargeRequest{Reference: Reference(pending), Amount: 1000, Channel: ChannelTerminal}, nil, ""},
		{"agent channel", RechargeRequest{Reference: Reference(active), Amount: 1000, Channel: ChannelAgent}, ErrInvalid, "channel"},
		{"no channel", RechargeRequest{Reference: Reference(active), Amount: 1000}, ErrInvalid, "channel"},
		{"postal without agent", RechargeRequest{Reference: Reference(active), Amount: 1000, Channel: ChannelPostal}, ErrInvalid, "agent"},
		{"postal", RechargeRequest{Reference: Reference(active), Amount: 1000, Channel: ChannelPostal, Agent: "agent-2"}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.TxnID = "txn " + tc.name
			n := len(f.e.mustLedgerDay(t))
			b, err := f.e.Recharge(tc.req)
			if tc.want == nil {
				if err != nil || b.Duplicate || b.Entry.Amount != tc.req.Amount || b.Entry.Kind != Recharge {
					t.Fatalf("booking %+v, %v", b, err)
				}
				return
			}
			var re *RefusedError
			if !errors.Is(err, tc.want) || !errors.As(err, &re) || !strings.Contains(re.Reason, tc.because) {
				t.Fatalf("err %v, want %v mentioning %q", err, tc.want, tc.because)
			}
			if got := len(f.e.mustLedgerDay(t)); got != n {
				t.Errorf("%d entries booked by a refused recharge", got-n)
			}
		})
	}
	if _, err := f.e.Recharge(RechargeRequest{Reference: Reference(active), Amount: 1000, Channel: ChannelTerminal}); !errors.Is(err, ErrInvalid) {
		t.Errorf("no transaction id: %v", err)
	}
}

func (e *Engine) mustLedgerDay(t *testing.T) []Entry {
	t.Helper()
	en, err := e.LedgerDay(DateOf(e.now(), e.loc))
	if err != nil {
		t.Fatal(err)
	}
	return en
}

func TestRechargeIdempotency(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 45)
	f.withBalance(ean, "t30", 1000)
	req := RechargeRequest{TxnID: "T1", Reference: Reference(ean), Amount: 1500, Channel: ChannelTerminal}
	first, err := f.e.Recharge(req)
	if err != nil {
		t.Fatal(err)
	}
	// The same id on another channel is another payment.
	other := req
	other.Channel = ChannelOnline
	if b, err := f.e.Recharge(other); err != nil || b.Duplicate {
		t.Fatalf("same id, other channel: %+v, %v", b, err)
	}
	// Reused for another amount: refused, not silently merged.
	conflict := req
	conflict.Amount = 1600
	if _, err := f.e.Recharge(conflict); !errors.Is(err, ErrConflict) {
		t.Errorf("reused id: %v", err)
	}
	// Repeated after the account was deactivated: still the first booking.
	if err := f.e.Deactivate(ean, "agent-1", "contract"); err != nil {
		t.Fatal(err)
	}
	again, err := f.e.Recharge(req)
	if err != nil || !again.Duplicate || again.Entry.ID != first.Entry.ID {
		t.Errorf("repeat: %+v, %v", again, err)
	}
	wantCents(t, "balance", f.view(ean).Balance, 4000)
}

func TestAdjust(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 46)
	f.withBalance(ean, "t30", 1000)
	for _, bad := range []AdjustmentRequest{
		{EAN: ean, Amount: 100, Reason: "r"},
		{EAN: ean, Amount: 100, Agent: "a"},
		{EAN: ean, Agent: "a", Reason: "r"},
	} {
		if _, err := f.e.Adjust(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if _, err := f.e.Adjust(AdjustmentRequest{EAN: makeEAN("54144", 47), Amount: 100, Agent: "a", Reason: "r"}); !errors.Is(err, ErrUnknownAccount) {
		t.Errorf("unknown account: %v", err)
	}
	req := AdjustmentRequest{EAN: ean, Amount: -250, Agent: "agent-9", Reason: "meter read error of March", RequestID: "ticket-77"}
	b, err := f.e.Adjust(req)
	if err != nil || b.Entry.BalanceAfter != 750 || b.Entry.Agent != "agent-9" || b.Entry.Reason != req.Reason {
		t.Fatalf("%+v, %v", b, err)
	}
	again, err := f.e.Adjust(req)
	if err != nil || !again.Duplicate || again.Entry.ID != b.Entry.ID {
		t.Errorf("repeat: %+v, %v", again, err)
	}
	audit, _ := f.e.Audit(ean)
	last := audit[len(audit)-1]
	if last.Action != "adjust" || last.Agent != "agent-9" || last.Reason != req.Reason || !strings.Contains(last.Detail, "-2.50") {
		t.Errorf("audit %+v", last)
	}
	wantCents(t, "balance", f.view(ean).Balance, 750)
}

func TestImportRecharges(t *testing.T) {
	f := newFixture(t)
	f.tariff("t30", 300_000)
	ean := makeEAN("54144", 48)
	f.withBalance(ean, "t30", 1000)
	ref := Reference(ean)
	file := "txn_id,reference,amount,channel,paid_at,agent\n" +
		"A1," + ref + ",20.00,terminal,2025-03-04T09:12:00+01:00,\n" +
		"A2," + ref + ",4.99,terminal,,\n" +
		"A3," + ref[1:] + ",10.00,paypoint,,\n" +
		"A4," + ref + ",12.4,online,,\n" +
		"A1," + ref + ",20.00,terminal,2025-03-04T09:12:00+01:00,\n" +
		"A5," + ref + ",10,00,terminal,,\n" +
		"A6," + ref + ",10.00,postal,,agent-4\n" +
		"A7," + ref + ",10.00,terminal,yesterday,\n" +
		"A8," + ref + ",1.234,terminal,,\n"
	rep, err := f.e.ImportRecharges(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line   int
		status ImportStatus
		reason string
	}{
		{2, ImportBooked, ""},
		{3, ImportRefused, "not within"},
		{4, ImportRefused, "13 digits"},
		{5, ImportBooked, ""},
		{6, ImportDuplicate, ""},
		{7, ImportRefused, "fields"},
		{8, ImportBooked, ""},
		{9, ImportRefused, "RFC 3339"},
		{10, ImportRefused, "two decimals"},
	}
	if len(rep.Lines) != len(want) {
		t.Fatalf("%d lines reported: %+v", len(rep.Lines), rep.Lines)
	}
	for i, w := range want {
		l := rep.Lines[i]
		if l.Line != w.line || l.Status != w.status || !strings.Contains(l.Reason, w.reason) {
			t.Errorf("line %d: %+v, want %d %s %q", i, l, w.line, w.status, w.reason)
		}
	}
	if rep.Booked != 3 || rep.Duplicate != 1 || rep.Refused != 5 {
		t.Errorf("counts %d/%d/%d", rep.Booked, rep.Duplicate, rep.Refused)
	}
	if got := rep.Lines[0].Entry.PaidAt.UTC().Format("15:04"); got != "08:12" {
		t.Errorf("paid_at %s", got)
	}
	wantCents(t, "balance", f.view(ean).Balance, 1000+2000+1240+1000)

	// Importing the file again books nothing.
	rep, err = f.e.ImportRecharges(strings.NewReader(file))
	if err != nil || rep.Booked != 0 || rep.Duplicate != 4 || rep.Refused != 5 {
		t.Errorf("re-import: %d/%d/%d, %v", rep.Booked, rep.Duplicate, rep.Refused, err)
	}
	wantCents(t, "balance after re-import", f.view(ean).Balance, 5240)

	for _, bad := range []string{"", "txn_id,reference,amount\n", "txn_id,reference,amount,channel,colour\n", "txn_id,txn_id,reference,amount,channel\n"} {
		if _, err := f.e.ImportRecharges(strings.NewReader(bad)); !errors.Is(err, ErrInvalid) {
			t.Errorf("header %q: %v", bad, err)
		}
	}
	// Columns in another order, with a bare quote on a line.
	rep, err = f.e.ImportRecharges(strings.NewReader("amount,channel,reference,txn_id\n15.00,terminal," + ref + ",B1\n15.00,ter\"minal," + ref + ",B2\n"))
	if err != nil || rep.Booked != 1 || rep.Refused != 1 || rep.Lines[1].Line != 3 {
		t.Errorf("reordered: %+v, %v", rep, err)
	}
}
