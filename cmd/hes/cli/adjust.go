package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openhes/hes/prepay"
)

type adjustOptions struct {
	amount    string
	reason    string
	agent     string
	requestID string
}

func newAdjustCmd(g *globals) *cobra.Command {
	so := &storeOptions{}
	o := &adjustOptions{}
	cmd := &cobra.Command{
		Use:   "adjust EAN --amount EUR --reason TEXT --agent NAME",
		Short: "Book an agent's correction of a balance",
		Long: `Book an agent's signed correction of an account's balance, with a mandatory
reason; it is audited under the agent. The credit and supply rules follow as
for any other change (a correction may arm a cut supply, or cut it). It is
allowed in every account state. With --request-id, repeating the command books
nothing twice.`,
		Example: `  hes adjust 541448820000000015 --amount -3.50 --reason "meter read twice on 3 March" --agent jdupont`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			agent, err := agentName(o.agent)
			if err != nil {
				return err
			}
			if strings.TrimSpace(o.reason) == "" {
				return badInput("--reason is mandatory")
			}
			amount, err := prepay.ParseCents(o.amount)
			if err != nil {
				return badInput("--amount: %v", err)
			}
			req := prepay.AdjustmentRequest{EAN: args[0], Amount: amount, Reason: o.reason, Agent: agent, RequestID: o.requestID}
			return so.withEngine(cmd, g, func(e *prepay.Engine, now time.Time) error {
				b, err := e.Adjust(req)
				if err != nil {
					return err
				}
				if g.json {
					return writeJSON(g.stdout, bookingJSON(b))
				}
				en := b.Entry
				if b.Duplicate {
					fmt.Fprintf(g.stdout, "already booked: request %s of %s EUR on %s, entry %d; nothing booked again\n", en.TxnID, en.Amount, en.EAN, en.ID)
					return nil
				}
				fmt.Fprintf(g.stdout, "adjusted: %s EUR on %s by %s, entry %d; balance %s EUR\n", en.Amount, en.EAN, en.Agent, en.ID, en.BalanceAfter)
				return nil
			})
		},
	}
	so.addFlags(cmd)
	cmd.Flags().StringVar(&o.amount, "amount", "", "signed amount in EUR, such as -3.50 or 2.00")
	cmd.Flags().StringVar(&o.reason, "reason", "", "why (mandatory)")
	cmd.Flags().StringVar(&o.requestID, "request-id", "", "an id that makes the request idempotent (optional)")
	agentFlag(cmd, &o.agent)
	_ = cmd.MarkFlagRequired("amount")
	return cmd
}
