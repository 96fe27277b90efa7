package cli

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/openhes/hes/prepay"
)

// balanceJSON is the output of hes balance --json: amounts are decimal euro
// strings ("17.20").
type balanceJSON struct {
	EAN                 string             `json:"ean"`
	Balance             prepay.Cents       `json:"balance"`
	EmergencyCreditLeft prepay.Cents       `json:"emergency_credit_left"`
	Debt                prepay.Cents       `json:"debt"`
	CreditState         prepay.CreditState `json:"credit_state"`
	SupplyState         prepay.SupplyState `json:"supply_state"`
	EstimatedBalance    prepay.Cents       `json:"estimated_balance"`
}

func newBalanceCmd(g *globals) *cobra.Command {
	so := &storeOptions{}
	var last int
	cmd := &cobra.Command{
		Use:   "balance EAN",
		Short: "Show a customer's prepayment situation in one screen",
		Long: `Show a customer's prepayment situation: balance, emergency credit left, debt,
credit and supply states, the balance estimated for now from the average
daily cost of the last 7 settled days, the last settled day, the low-credit
threshold, the gas leak-test flag, any reading held for an agent, the last
ledger entries and the meter actions not done yet.

With --json: ean, balance, emergency_credit_left, debt, credit_state,
supply_state and estimated_balance, amounts as decimal euro strings.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if last < 0 {
				return badInput("--entries %d: want 0 or more", last)
			}
			return so.withEngine(cmd, g, func(e *prepay.Engine, now time.Time) error {
				v, err := e.Balance(args[0])
				if err != nil {
					return err
				}
				if g.json {
					return writeJSON(g.stdout, balanceJSON{EAN: v.EAN, Balance: v.Balance, EmergencyCreditLeft: v.EmergencyLeft,
						Debt: v.Debt, CreditState: v.CreditState, SupplyState: v.SupplyState, EstimatedBalance: v.Estimated})
				}
				entries, err := e.Entries(v.EAN)
				if err != nil {
					return err
				}
				actions, err := e.Actions(v.EAN)
				if err != nil {
					return err
				}
				return printBalance(g.stdout, e.Location(), now, v, entries[max(0, len(entries)-last):], openActions(actions))
			})
		},
	}
	so.addFlags(cmd)
	cmd.Flags().IntVar(&last, "entries", 5, "how many of the last ledger entries to show")
	return cmd
}

func printBalance(w io.Writer, loc *time.Location, now time.Time, v prepay.View, entries []prepay.Entry, actions []prepay.Action) error {
	tw := newTable(w)
	row := func(k, format string, args ...any) {
		fmt.Fprintf(tw, "%s\t%s\n", k, cell(fmt.Sprintf(format, args...)))
	}
	row("Account", "%s (%s, reference %s)", v.EAN, v.Energy, v.Reference)
	row("State", "%s", v.State)
	row("Balance", "%s EUR", v.Balance)
	row("Emergency credit left", "%s EUR", v.EmergencyLeft)
	row("Debt", "%s EUR", v.Debt)
	row("Credit state", "%s", v.CreditState)
	row("Supply state", "%s", v.SupplyState)
	row("Estimated balance", "%s EUR (%s)", v.Estimated, localTime(now, loc))
	row("Last settled day", "%s", dateOrDash(v.LastSettled))
	row("Balance updated", "%s", localTime(v.UpdatedAt, loc))
	row("Low-credit threshold", "%s EUR", v.LowThreshold)
	row("Leak test required", "%s", yesNo(v.LeakTestRequired))
	hold := v.Held
	if hold == "" {
		hold = "none"
	}
	row("Hold", "%s", hold)
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nLast entries")
	if len(entries) == 0 {
		fmt.Fprintln(w, "  none")
	} else if err := writeEntries(w, loc, entries); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nPending meter actions")
	if len(actions) == 0 {
		_, err := fmt.Fprintln(w, "  none")
		return err
	}
	return writeActions(w, loc, now, actions)
}

func writeEntries(w io.Writer, loc *time.Location, entries []prepay.Entry) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tBOOKED\tKIND\tAMOUNT\tBALANCE\tDEBT\tDETAIL")
	for _, en := range entries {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", en.ID, localTime(en.BookedAt, loc), en.Kind, en.Amount, en.BalanceAfter, en.DebtAfter, cell(entryDetail(en)))
	}
	return tw.Flush()
}

// entryDetail says where an entry comes from: the days settled, the payment,
// the agent and reason.
func entryDetail(en prepay.Entry) string {
	switch {
	case !en.From.IsZero() && en.From == en.Until:
		return "day " + en.From.String()
	case !en.From.IsZero():
		return "days " + en.From.String() + " to " + en.Until.String()
	case en.Kind == prepay.Recharge:
		s := string(en.Channel) + " " + en.TxnID
		if en.Agent != "" {
			s += " by " + en.Agent
		}
		return s
	case en.Agent != "" && en.Reason != "":
		return en.Reason + " (" + en.Agent + ")"
	}
	return en.Reason
}

// openActions keeps the actions not done or cancelled yet.
func openActions(all []prepay.Action) []prepay.Action {
	var out []prepay.Action
	for _, a := range all {
		if a.Status == prepay.ActionOpen || a.Status == prepay.ActionSent {
			out = append(out, a)
		}
	}
	return out
}

func writeActions(w io.Writer, loc *time.Location, now time.Time, actions []prepay.Action) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tKIND\tSTATUS\tDUE\tATTEMPTS\tREASON")
	for _, a := range actions {
		due := "now"
		if a.NotBefore.After(now) {
			due = localTime(a.NotBefore, loc)
		}
		reason := a.Reason
		if a.LastError != "" {
			reason += "; last error: " + a.LastError
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Kind, a.Status, due, strconv.Itoa(a.Attempts), cell(reason))
	}
	return tw.Flush()
}
