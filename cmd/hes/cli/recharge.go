package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openhes/hes/prepay"
)

type rechargeOptions struct {
	ref     string
	amount  string
	txn     string
	channel string
	paidAt  string
	agent   string
}

func newRechargeCmd(g *globals) *cobra.Command {
	so := &storeOptions{}
	o := &rechargeOptions{}
	cmd := &cobra.Command{
		Use:   "recharge --ref REF --amount EUR --txn ID --channel CHANNEL",
		Short: "Book a payment on a prepayment account, or a file of payments",
		Long: `Book a payment at once: the balance rises, the customer is notified and the
new balance goes to the meter.

The reference is the last 13 digits of the access point's EAN; the amount is
in euros with at most two decimals, from 5.00 to 250.00; the channel is
terminal, paypoint, online or postal (postal transfers are booked by an
agent: --agent). The transaction id is the payment provider's: the same id on
the same channel is booked once, so repeating a command books nothing twice.
A refused payment books nothing and exits with status 2 and the reason.`,
		Example: `  hes recharge --ref 8820000000015 --amount 10.00 --txn ATOS-20260304-0001 --channel terminal
  hes recharge import payments.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, g, so)
		},
	}
	so.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.ref, "ref", "", "payment reference: the last 13 digits of the EAN")
	f.StringVar(&o.amount, "amount", "", "amount in EUR, such as 10.00")
	f.StringVar(&o.txn, "txn", "", "the payment provider's transaction id")
	f.StringVar(&o.channel, "channel", "", "terminal, paypoint, online or postal")
	f.StringVar(&o.paidAt, "paid-at", "", "when the customer paid, RFC 3339 (optional)")
	f.StringVar(&o.agent, "agent", "", "who books it; mandatory for postal (default: $"+envAgent+" for postal)")
	for _, name := range []string{"ref", "amount", "txn", "channel"} {
		_ = cmd.MarkFlagRequired(name)
	}
	cmd.AddCommand(newRechargeImportCmd(g, so))
	return cmd
}

func (o *rechargeOptions) run(cmd *cobra.Command, g *globals, so *storeOptions) error {
	amount, err := prepay.ParseCents(o.amount)
	if err != nil {
		return badInput("--amount: %v", err)
	}
	req := prepay.RechargeRequest{TxnID: o.txn, Reference: o.ref, Amount: amount, Channel: prepay.Channel(strings.ToLower(o.channel)), Agent: o.agent}
	if req.Channel == prepay.ChannelPostal && req.Agent == "" {
		req.Agent = os.Getenv(envAgent)
	}
	if o.paidAt != "" {
		if req.PaidAt, err = time.Parse(time.RFC3339, o.paidAt); err != nil {
			return badInput("--paid-at %q: want RFC 3339, such as 2026-03-04T09:58:00+01:00", o.paidAt)
		}
	}
	var booked *prepay.Booking
	err = so.withEngine(cmd, g, func(e *prepay.Engine, now time.Time) error {
		b, err := e.Recharge(req)
		if err != nil {
			return err
		}
		booked = &b
		if g.json {
			return writeJSON(g.stdout, bookingJSON(b))
		}
		en := b.Entry
		if b.Duplicate {
			fmt.Fprintf(g.stdout, "already booked: transaction %s of %s EUR on %s, entry %d; nothing booked again\n", en.TxnID, en.Amount, en.EAN, en.ID)
			return nil
		}
		fmt.Fprintf(g.stdout, "booked: %s EUR on %s by %s (transaction %s), entry %d; balance %s EUR\n",
			en.Amount, en.EAN, en.Channel, en.TxnID, en.ID, en.BalanceAfter)
		return nil
	})
	if err != nil || booked.Duplicate {
		return err
	}
	// The new balance (and the arming of a cut supply) goes to the meter
	// at once; see sendRechargeOrders.
	w := g.stdout
	if g.json {
		w = g.stderr
	}
	return sendRechargeOrders(cmd, g, so, booked.Entry.EAN, w)
}

// bookingOut is the JSON answer to a booked request.
type bookingOut struct {
	Status prepay.ImportStatus `json:"status"` // BOOKED or DUPLICATE
	Entry  prepay.Entry        `json:"entry"`
}

func bookingJSON(b prepay.Booking) bookingOut {
	if b.Duplicate {
		return bookingOut{Status: prepay.ImportDuplicate, Entry: b.Entry}
	}
	return bookingOut{Status: prepay.ImportBooked, Entry: b.Entry}
}

// importLineJSON is one line of hes recharge import --json.
type importLineJSON struct {
	Line    int                 `json:"line"`
	TxnID   string              `json:"txn_id"`
	Status  prepay.ImportStatus `json:"status"`
	Reason  string              `json:"reason,omitempty"`
	EAN     string              `json:"ean,omitempty"`
	Amount  *prepay.Cents       `json:"amount,omitempty"`
	Balance *prepay.Cents       `json:"balance,omitempty"`
	EntryID uint64              `json:"entry_id,omitempty"`
}

type importJSON struct {
	Booked    int              `json:"booked"`
	Duplicate int              `json:"duplicate"`
	Refused   int              `json:"refused"`
	Lines     []importLineJSON `json:"lines"`
}

func newRechargeImportCmd(g *globals, so *storeOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Book a CSV file of payments, line by line",
		Long: `Book a CSV file of payments (- reads stdin). The first line names the columns,
in any order: txn_id, reference, amount, channel, and optionally paid_at
(RFC 3339) and agent (mandatory on postal lines).

Every line is booked on its own and reported with its line number: BOOKED,
DUPLICATE (booked before, by an earlier import or line) or REFUSED with the
reason. Importing the same file again books nothing twice. When a line is
refused the report is printed all the same, the other lines stay booked, and
hes exits with status 2.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var r io.Reader = g.stdin
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return badInput("%v", err)
				}
				defer f.Close()
				r = f
			}
			return so.withEngine(cmd, g, func(e *prepay.Engine, now time.Time) error {
				rep, err := e.ImportRecharges(r)
				if perr := printImport(g, rep); perr != nil && err == nil {
					err = perr
				}
				if err != nil {
					return err
				}
				if rep.Refused > 0 {
					return badInput("recharge import: %d of %d lines refused", rep.Refused, len(rep.Lines))
				}
				return nil
			})
		},
	}
}

func printImport(g *globals, rep prepay.ImportReport) error {
	if g.json {
		out := importJSON{Booked: rep.Booked, Duplicate: rep.Duplicate, Refused: rep.Refused, Lines: []importLineJSON{}}
		for _, l := range rep.Lines {
			jl := importLineJSON{Line: l.Line, TxnID: l.TxnID, Status: l.Status, Reason: l.Reason}
			if l.Status != prepay.ImportRefused {
				amount, balance := l.Entry.Amount, l.Entry.BalanceAfter
				jl.EAN, jl.Amount, jl.Balance, jl.EntryID = l.Entry.EAN, &amount, &balance, l.Entry.ID
			}
			out.Lines = append(out.Lines, jl)
		}
		return writeJSON(g.stdout, out)
	}
	if len(rep.Lines) > 0 {
		tw := newTable(g.stdout)
		fmt.Fprintln(tw, "LINE\tTRANSACTION\tSTATUS\tDETAIL")
		for _, l := range rep.Lines {
			detail := l.Reason
			if l.Status != prepay.ImportRefused {
				detail = fmt.Sprintf("%s EUR on %s, entry %d", l.Entry.Amount, l.Entry.EAN, l.Entry.ID)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", l.Line, cell(l.TxnID), l.Status, cell(detail))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(g.stdout, "%d booked, %d duplicate, %d refused\n", rep.Booked, rep.Duplicate, rep.Refused)
	return err
}
