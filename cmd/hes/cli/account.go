package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openhes/hes/prepay"
)

func newAccountCmd(g *globals) *cobra.Command {
	so := &storeOptions{}
	cmd := &cobra.Command{
		Use:   "account",
		Short: "Create, list, show and change prepayment accounts",
		Long: `Create, list, show and change prepayment accounts: one account per access
point (EAN), electricity or gas.

An account is created PENDING and becomes ACTIVE at the first successful
communication with its meter: the daily cycle reports it, or an agent does
with confirm-communication.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	so.addFlags(cmd)
	cmd.AddCommand(
		newAccountCreateCmd(g, so),
		newAccountConfirmCmd(g, so),
		newAccountListCmd(g, so),
		newAccountShowCmd(g, so),
		newAccountSetThresholdCmd(g, so),
		newAccountSetTariffCmd(g, so),
		newAccountDeactivateCmd(g, so),
	)
	return cmd
}

type accountCreateOptions struct {
	ean           string
	energy        string
	tariff        string
	budgetBalance string
	newOccupant   bool
	reason        string
	limiter       bool
	limiterWatts  int64
	threshold     string
	phone         string
	email         string
	notify        string
	agent         string
}

func newAccountCreateCmd(g *globals, so *storeOptions) *cobra.Command {
	o := &accountCreateOptions{}
	cmd := &cobra.Command{
		Use:   "create --ean EAN --energy electricity|gas --phone NUMBER|--email ADDRESS",
		Short: "Request prepayment for an access point",
		Long: `Request prepayment for an access point. The account is PENDING until the
first successful communication with its meter; the starting credit is booked
then.

  (default)               a new prepayment client: balance 20.00 EUR advanced,
                          booked as a debt recovered at 1.00 EUR a day
  --budget-balance B      a legacy budget (card) meter replaced: its balance B
                          is transferred, topped up to 20.00 EUR as a debt
  --new-occupant          a new occupant on site without a contract: on an
                          ACTIVE account, the previous occupant's balance and
                          debt are closed and the balance set to 20.00 EUR
                          with a 20.00 EUR debt, at once (--reason needed);
                          otherwise the same as a new client

Without --tariff the account is put on elec-standard or gas-standard. The
customer is notified by SMS, e-mail or both (--notify, default: by what is
given).`,
		Example: `  hes account create --ean 541448820000000015 --energy electricity --phone +32470123456
  hes account create --ean 541448820000000022 --energy gas --tariff gas-social --budget-balance 12.40 --email a@example.be`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(g, so, cmd)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ean, "ean", "", "the access point's 18-digit EAN")
	f.StringVar(&o.energy, "energy", "", "electricity or gas")
	f.StringVar(&o.tariff, "tariff", "", "tariff name (default elec-standard or gas-standard)")
	f.StringVar(&o.budgetBalance, "budget-balance", "", "balance of the replaced budget meter, EUR (may be negative)")
	f.BoolVar(&o.newOccupant, "new-occupant", false, "a new occupant found on site without a contract")
	f.StringVar(&o.reason, "reason", "", "why, for a new occupant")
	f.BoolVar(&o.limiter, "limiter", false, "the meter has a power limiter: limited instead of cut (electricity)")
	f.Int64Var(&o.limiterWatts, "limiter-watts", 0, "limiter threshold in W (default from the configuration, 2300)")
	f.StringVar(&o.threshold, "threshold", "", "low-credit threshold, EUR (default from the configuration, 5.00)")
	f.StringVar(&o.phone, "phone", "", "the customer's mobile number, for SMS")
	f.StringVar(&o.email, "email", "", "the customer's e-mail address")
	f.StringVar(&o.notify, "notify", "", "sms, email or both (default: by what is given)")
	agentFlag(cmd, &o.agent)
	_ = cmd.MarkFlagRequired("ean")
	_ = cmd.MarkFlagRequired("energy")
	return cmd
}

func (o *accountCreateOptions) run(g *globals, so *storeOptions, cmd *cobra.Command) error {
	agent, err := agentName(o.agent)
	if err != nil {
		return err
	}
	energy := prepay.Energy(o.energy)
	if energy != prepay.Electricity && energy != prepay.Gas {
		return badInput("--energy %q: want electricity or gas", o.energy)
	}
	if err := prepay.ValidateEAN(o.ean); err != nil {
		return badInput("--ean: %v", err)
	}
	spec := prepay.AccountSpec{EAN: o.ean, Energy: energy, TariffID: o.tariff, Limiter: o.limiter, LimiterWatts: o.limiterWatts}
	if spec.TariffID == "" {
		spec.TariffID = defaultTariffID(energy)
	}
	if o.threshold != "" {
		if spec.LowThreshold, err = prepay.ParseCents(o.threshold); err != nil {
			return badInput("--threshold: %v", err)
		}
	}
	if spec.Contact, err = o.contact(); err != nil {
		return err
	}
	act := prepay.Activation{Kind: prepay.NewClient, Agent: agent}
	switch {
	case o.budgetBalance != "" && o.newOccupant:
		return badInput("--budget-balance and --new-occupant: give one of them")
	case o.budgetBalance != "":
		act.Kind = prepay.BudgetTransfer
		if act.BudgetBalance, err = prepay.ParseCents(o.budgetBalance); err != nil {
			return badInput("--budget-balance: %v", err)
		}
	case o.newOccupant && strings.TrimSpace(o.reason) == "":
		return badInput("--new-occupant needs a --reason")
	}
	return so.withEngine(cmd, g, func(e *prepay.Engine, now time.Time) error {
		if o.newOccupant {
			a, err := e.Account(o.ean)
			if err == nil && a.State == prepay.Active {
				return o.newOccupantOnActive(g, e, cmd, spec, a, agent)
			}
			if err != nil && !errors.Is(err, prepay.ErrUnknownAccount) {
				return err
			}
		}
		a, err := e.Activate(spec, act)
		if err != nil {
			return err
		}
		if g.json {
			return writeJSON(g.stdout, a)
		}
		fmt.Fprintf(g.stdout, "account %s (%s, tariff %s) is %s: prepayment starts at the first communication with its meter\n",
			a.EAN, a.Energy, a.TariffID, a.State)
		fmt.Fprintf(g.stdout, "payment reference %s\n", prepay.Reference(a.EAN))
		return nil
	})
}

// newOccupantOnActive applies the new-occupant rule to an active account:
// the new occupant's contact (and tariff, threshold or limiter when given)
// first, so that the notifications reach them, then the balance reset and the
// starting credit.
func (o *accountCreateOptions) newOccupantOnActive(g *globals, e *prepay.Engine, cmd *cobra.Command, spec prepay.AccountSpec, a prepay.Account, agent string) error {
	if a.Energy != spec.Energy {
		return badInput("account %s is %s, not %s", a.EAN, a.Energy, spec.Energy)
	}
	if err := e.SetContact(a.EAN, spec.Contact, agent); err != nil {
		return err
	}
	if cmd.Flags().Changed("tariff") && spec.TariffID != a.TariffID {
		if err := e.SetTariff(a.EAN, spec.TariffID, agent); err != nil {
			return err
		}
	}
	if cmd.Flags().Changed("threshold") {
		if err := e.SetLowThreshold(a.EAN, spec.LowThreshold, agent); err != nil {
			return err
		}
	}
	if cmd.Flags().Changed("limiter") || cmd.Flags().Changed("limiter-watts") {
		if err := e.SetAccountLimiter(a.EAN, spec.Limiter, spec.LimiterWatts, agent); err != nil {
			return err
		}
	}
	if _, err := e.NewOccupant(a.EAN, agent, o.reason); err != nil {
		return err
	}
	a, err := e.Account(a.EAN)
	if err != nil {
		return err
	}
	if g.json {
		return writeJSON(g.stdout, a)
	}
	_, err = fmt.Fprintf(g.stdout, "new occupant on account %s: balance %s EUR, debt %s EUR\n", a.EAN, a.Balance, a.Debt)
	return err
}

// contact builds the notification contact from --phone, --email and --notify.
func (o *accountCreateOptions) contact() (prepay.Contact, error) {
	c := prepay.Contact{Phone: strings.TrimSpace(o.phone), Email: strings.TrimSpace(o.email)}
	if c.Phone == "" && c.Email == "" {
		return c, badInput("--phone or --email: the customer needs at least one for the notifications")
	}
	switch strings.ToLower(o.notify) {
	case "":
		switch {
		case c.Phone != "" && c.Email != "":
			c.Preference = prepay.PreferBoth
		case c.Phone != "":
			c.Preference = prepay.PreferSMS
		default:
			c.Preference = prepay.PreferEmail
		}
	case "sms":
		c.Preference = prepay.PreferSMS
	case "email":
		c.Preference = prepay.PreferEmail
	case "both":
		c.Preference = prepay.PreferBoth
	default:
		return c, badInput("--notify %q: want sms, email or both", o.notify)
	}
	return c, nil
}

func newAccountConfirmCmd(g *globals, so *storeOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "confirm-communication EAN",
		Short: "Record a successful communication with the meter: a PENDING account becomes ACTIVE",
		Long: `Record by hand a successful communication with the meter of an access point,
as the daily cycle does by itself. A PENDING account becomes ACTIVE: its
starting credit (or transferred balance) is booked, the customer is notified
and the balance is sent to the meter. An account that is already ACTIVE or
DEACTIVATED does not change.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return so.withEngine(cmd, g, func(e *prepay.Engine, now time.Time) error {
				activated, err := e.MeterCommunicated(args[0])
				if err != nil {
					return err
				}
				a, err := e.Account(args[0])
				if err != nil {
					return err
				}
				if g.json {
					return writeJSON(g.stdout, struct {
						EAN       string              `json:"ean"`
						Activated bool                `json:"activated"`
						State     prepay.AccountState `json:"state"`
						Balance   prepay.Cents        `json:"balance"`
						Debt      prepay.Cents        `json:"debt"`
					}{a.EAN, activated, a.State, a.Balance, a.Debt})
				}
				if activated {
					fmt.Fprintf(g.stdout, "account %s is ACTIVE: balance %s EUR, debt %s EUR\n", a.EAN, a.Balance, a.Debt)
				} else {
					fmt.Fprintf(g.stdout, "account %s is %s: nothing changed\n", a.EAN, a.State)
				}
				return nil
			})
		},
	}
}

// accountSummary is one account in hes account list --json.
type accountSummary struct {
	EAN         string              `json:"ean"`
	Energy      prepay.Energy       `json:"energy"`
	State       prepay.AccountState `json:"state"`
	Tariff      string              `json:"tariff"`
	Balance     prepay.Cents        `json:"balance"`
	Debt        prepay.Cents        `json:"debt"`
	CreditState prepay.CreditState  `json:"credit_state"`
	SupplyState prepay.SupplyState  `json:"supply_state"`
	Held        bool                `json:"held"`
}

func newAccountListCmd(g *globals, so *storeOptions) *cobra.Command {
	var state string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the accounts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			want := prepay.AccountState(strings.ToUpper(state))
			switch want {
			case "", prepay.Pending, prepay.Active, prepay.Deactivated:
			default:
				return badInput("--state %q: want pending, active or deactivated", state)
			}
			return so.withEngine(cmd, g, func(e *prepay.Engine, now time.Time) error {
				as, err := e.Accounts()
				if err != nil {
					return err
				}
				out := []accountSummary{}
				for _, a := range as {
					if want != "" && a.State != want {
						continue
					}
					v, err := e.Balance(a.EAN)
					if err != nil {
						return err
					}
					out = append(out, accountSummary{EAN: a.EAN, Energy: a.Energy, State: a.State, Tariff: a.TariffID,
						Balance: a.Balance, Debt: a.Debt, CreditState: v.CreditState, SupplyState: a.Supply, Held: a.Hold != nil})
				}
				if g.json {
					return writeJSON(g.stdout, out)
				}
				tw := newTable(g.stdout)
				fmt.Fprintln(tw, "EAN\tENERGY\tSTATE\tTARIFF\tBALANCE\tDEBT\tCREDIT\tSUPPLY\tHOLD")
				for _, s := range out {
					hold := "-"
					if s.Held {
						hold = "held"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.EAN, s.Energy, s.State, cell(s.Tariff), s.Balance, s.Debt, s.CreditState, s.SupplyState, hold)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&state, "state", "", "only the accounts in this state: pending, active or deactivated")
	return cmd
}

func newAccountShowCmd(g *globals, so *storeOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "show EAN",
		Short: "Show everything about an account: settings, states, activation, hold",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return so.withEngine(cmd, g, func(e *prepay.Engine, now time.Time) error {
				a, err := e.Account(args[0])
				if err != nil {
					return err
				}
				if g.json {
					return writeJSON(g.stdout, a)
				}
				v, err := e.Balance(a.EAN)
				if err != nil {
					return err
				}
				loc := e.Location()
				tw := newTable(g.stdout)
				row := func(k, format string, args ...any) {
					fmt.Fprintf(tw, "%s\t%s\n", k, cell(fmt.Sprintf(format, args...)))
				}
				row("EAN", "%s", a.EAN)
				row("Payment reference", "%s", prepay.Reference(a.EAN))
				row("Energy", "%s", a.Energy)
				row("State", "%s", a.State)
				row("Tariff", "%s", a.TariffID)
				row("Low-credit threshold", "%s EUR", a.LowThreshold)
				row("Power limiter", "%s", limiterText(a))
				row("Notify", "%s", contactText(a.Contact))
				row("Balance", "%s EUR", a.Balance)
				row("Debt", "%s EUR", a.Debt)
				row("Credit state", "%s", v.CreditState)
				row("Supply state", "%s", a.Supply)
				row("Balance updated", "%s", localTime(a.BalanceUpdatedAt, loc))
				if act := a.Activation; act != nil {
					what := string(act.Kind)
					if act.Kind == prepay.BudgetTransfer {
						what += " of " + act.BudgetBalance.String() + " EUR"
					}
					row("Activation requested", "%s by %s, %s", what, act.Agent, localTime(act.RequestedAt, loc))
				}
				row("Activated", "%s", localTime(a.ActivatedAt, loc))
				if !a.DeactivatedAt.IsZero() {
					row("Deactivated", "%s", localTime(a.DeactivatedAt, loc))
				}
				row("Last settled day", "%s", dateOrDash(a.LastSettled))
				row("Leak test required", "%s", yesNo(a.LeakTestRequired))
				row("Hold", "%s", holdText(a.Hold, loc))
				return tw.Flush()
			})
		},
	}
}

func newAccountSetThresholdCmd(g *globals, so *storeOptions) *cobra.Command {
	var agent string
	cmd := &cobra.Command{
		Use:   "set-threshold EAN AMOUNT",
		Short: "Set an account's low-credit threshold in EUR (0.00 to 250.00)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			by, err := agentName(agent)
			if err != nil {
				return err
			}
			t, err := prepay.ParseCents(args[1])
			if err != nil {
				return badInput("threshold: %v", err)
			}
			return so.withEngine(cmd, g, func(e *prepay.Engine, now time.Time) error {
				if err := e.SetLowThreshold(args[0], t, by); err != nil {
					return err
				}
				return printChanged(g, e, args[0], "low-credit threshold set to "+t.String()+" EUR")
			})
		},
	}
	agentFlag(cmd, &agent)
	return cmd
}

func newAccountSetTariffCmd(g *globals, so *storeOptions) *cobra.Command {
	var agent string
	cmd := &cobra.Command{
		Use:   "set-tariff EAN TARIFF",
		Short: "Put an account on another tariff, from its next settlement",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			by, err := agentName(agent)
			if err != nil {
				return err
			}
			return so.withEngine(cmd, g, func(e *prepay.Engine, now time.Time) error {
				if err := e.SetTariff(args[0], args[1], by); err != nil {
					return err
				}
				return printChanged(g, e, args[0], "tariff set to "+args[1]+" from the next settlement")
			})
		},
	}
	agentFlag(cmd, &agent)
	return cmd
}

func newAccountDeactivateCmd(g *globals, so *storeOptions) *cobra.Command {
	var agent, reason string
	cmd := &cobra.Command{
		Use:   "deactivate EAN --reason TEXT",
		Short: "Switch prepayment off (the occupant's own contract is effective)",
		Long: `Switch prepayment off for an access point, when the occupant's own supply
contract is effective. The final balance and debt stay on the account for the
export; no cut or limit is ordered any more, a cut supply is armed for
reconnection and a limit is lifted.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			by, err := agentName(agent)
			if err != nil {
				return err
			}
			if strings.TrimSpace(reason) == "" {
				return badInput("--reason is mandatory")
			}
			return so.withEngine(cmd, g, func(e *prepay.Engine, now time.Time) error {
				if err := e.Deactivate(args[0], by, reason); err != nil {
					return err
				}
				return printChanged(g, e, args[0], "prepayment deactivated")
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the audit (mandatory)")
	agentFlag(cmd, &agent)
	return cmd
}

// printChanged prints the account after a change: one line for people, the
// account for tools.
func printChanged(g *globals, e *prepay.Engine, ean, what string) error {
	a, err := e.Account(ean)
	if err != nil {
		return err
	}
	if g.json {
		return writeJSON(g.stdout, a)
	}
	_, err = fmt.Fprintf(g.stdout, "account %s: %s (%s, balance %s EUR)\n", a.EAN, what, a.State, a.Balance)
	return err
}

func limiterText(a prepay.Account) string {
	if !a.Limiter {
		return "no"
	}
	return strconv.FormatInt(a.LimiterWatts, 10) + " W"
}

func contactText(c prepay.Contact) string {
	parts := []string{string(c.Preference)}
	if c.Phone != "" {
		parts = append(parts, c.Phone)
	}
	if c.Email != "" {
		parts = append(parts, c.Email)
	}
	return strings.Join(parts, " ")
}

func holdText(h *prepay.Hold, loc *time.Location) string {
	if h == nil {
		return "none"
	}
	return fmt.Sprintf("%s (reading of %s, held %s)", h.Reason, h.Reading.Day, localTime(h.At, loc))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
