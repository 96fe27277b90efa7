package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openhes/hes/prepay"
)

// Decimal places of the tariff figures: a price in €/kWh is stored in µ€/kWh,
// a gas conversion factor in kWh/m³ × 10000.
const (
	priceDecimals     = 6
	gasFactorDecimals = 4
)

// The default tariffs, created in a store that has no tariff at all so that
// hes account create works without --tariff.
const (
	defaultElectricityTariff = "elec-standard"
	defaultGasTariff         = "gas-standard"
	defaultTariffsFrom       = "2026-01-01"
	systemAgent              = "hes" // who creates the default tariffs, for the audit
)

// The registers that a tariff prices; the aliases name the usual ones.
const (
	registerDay   = "1-0:1.8.1"  // electricity import, day
	registerNight = "1-0:1.8.2"  // electricity import, night
	registerGas   = "0-1:24.2.3" // gas volume of the meter on M-Bus channel 1
)

// defaultTariffs returns the tariffs a new store starts with: realistic
// all-in prices from the specification, effective from 2026-01-01.
func defaultTariffs() []prepay.Tariff {
	from := prepay.MustParseDate(defaultTariffsFrom)
	elec := func(id string, day, night int64) prepay.Tariff {
		return prepay.Tariff{ID: id, Energy: prepay.Electricity, Versions: []prepay.TariffVersion{{
			From: from, Prices: map[string]int64{registerDay: day, registerNight: night},
		}}}
	}
	gas := func(id string, price int64) prepay.Tariff {
		return prepay.Tariff{ID: id, Energy: prepay.Gas, Versions: []prepay.TariffVersion{{
			From: from, Prices: map[string]int64{registerGas: price}, GasFactor: 110_000,
		}}}
	}
	return []prepay.Tariff{
		elec(defaultElectricityTariff, 380_000, 300_000),
		elec("elec-social", 210_000, 210_000),
		gas(defaultGasTariff, 100_000),
		gas("gas-social", 60_000),
	}
}

// defaultTariffID is the tariff of a new account of energy e without --tariff.
func defaultTariffID(e prepay.Energy) string {
	if e == prepay.Gas {
		return defaultGasTariff
	}
	return defaultElectricityTariff
}

// ensureDefaultTariffs stores the default tariffs when the store has none.
func ensureDefaultTariffs(e *prepay.Engine) error {
	ts, err := e.Tariffs()
	if err != nil || len(ts) > 0 {
		return err
	}
	for _, t := range defaultTariffs() {
		if _, err := e.PutTariff(t, systemAgent); err != nil {
			return err
		}
	}
	return nil
}

func newTariffCmd(g *globals) *cobra.Command {
	so := &storeOptions{}
	cmd := &cobra.Command{
		Use:   "tariff",
		Short: "List, show and set the prepayment tariffs",
		Long: `List, show and set the tariffs that prepayment accounts are put on.

A tariff is a named set of prices per register in EUR/kWh, with the date each
set of prices takes effect: a price change is a new version from a date, so
that the past is never edited. Gas tariffs have a conversion factor in
kWh/m3 with four decimals. A store that has no tariff at all starts with
elec-standard, elec-social, gas-standard and gas-social.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	so.addFlags(cmd)
	cmd.AddCommand(newTariffListCmd(g, so), newTariffShowCmd(g, so), newTariffSetCmd(g, so))
	return cmd
}

func newTariffListCmd(g *globals, so *storeOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the tariffs with the prices in force today",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return so.withEngine(cmd, g, func(e *prepay.Engine, now time.Time) error {
				ts, err := e.Tariffs()
				if err != nil {
					return err
				}
				if g.json {
					out := make([]tariffJSON, 0, len(ts))
					for _, t := range ts {
						out = append(out, toTariffJSON(t))
					}
					return writeJSON(g.stdout, out)
				}
				today := prepay.DateOf(now, e.Location())
				tw := newTable(g.stdout)
				fmt.Fprintln(tw, "TARIFF\tENERGY\tIN FORCE FROM\tPRICES (EUR/kWh)\tGAS FACTOR (kWh/m3)\tVERSIONS")
				for _, t := range ts {
					from, prices, factor := "-", "none in force", "-"
					if v, ok := versionAt(t, today); ok {
						from, prices = v.From.String(), pricesText(v.Prices)
						if t.Energy == prepay.Gas {
							factor = formatFixed(v.GasFactor, gasFactorDecimals, gasFactorDecimals)
						}
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", cell(t.ID), t.Energy, from, prices, factor, len(t.Versions))
				}
				return tw.Flush()
			})
		},
	}
}

func newTariffShowCmd(g *globals, so *storeOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show every version of a tariff",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return so.withEngine(cmd, g, func(e *prepay.Engine, now time.Time) error {
				t, err := e.Tariff(args[0])
				if err != nil {
					return err
				}
				return printTariff(g, t, prepay.DateOf(now, e.Location()))
			})
		},
	}
}

type tariffSetOptions struct {
	energy    string
	from      string
	prices    []string
	gasFactor string
	agent     string
}

func newTariffSetCmd(g *globals, so *storeOptions) *cobra.Command {
	o := &tariffSetOptions{}
	cmd := &cobra.Command{
		Use:   "set NAME --from DATE --price REGISTER=PRICE... [--gas-factor F]",
		Short: "Create a tariff or set its prices from a date",
		Long: `Create a tariff, or give an existing one new prices from a date.

Each --price gives one register's price in EUR/kWh as a decimal number with
at most six decimals (0.38, 0.123457). The register is an OBIS code
(1-0:1.8.1) or one of the names day (1-0:1.8.1), night (1-0:1.8.2) and gas
(0-1:24.2.3). A gas tariff needs --gas-factor, the conversion factor in kWh/m3
with at most four decimals (11.0000). The prices take effect on --from and
stay in force until the next version; a version with the same date is
replaced. Settlements already booked are never changed.`,
		Example: `  hes tariff set elec-standard --from 2026-07-01 --price day=0.40 --price night=0.31
  hes tariff set gas-winter --energy gas --from 2026-10-01 --price gas=0.11 --gas-factor 11.2345`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			agent, err := agentName(o.agent)
			if err != nil {
				return err
			}
			from, err := prepay.ParseDate(o.from)
			if err != nil {
				return badInput("--from: %v", err)
			}
			if len(o.prices) == 0 {
				return badInput("--price REGISTER=PRICE: at least one price is needed")
			}
			v := prepay.TariffVersion{From: from, Prices: map[string]int64{}}
			for _, p := range o.prices {
				reg, price, err := parsePrice(p)
				if err != nil {
					return err
				}
				if _, dup := v.Prices[reg]; dup {
					return badInput("--price: register %s priced twice", reg)
				}
				v.Prices[reg] = price
			}
			if o.gasFactor != "" {
				f, err := parseFixed(o.gasFactor, gasFactorDecimals)
				if err != nil {
					return badInput("--gas-factor: %v", err)
				}
				v.GasFactor = f
			}
			return so.withEngine(cmd, g, func(e *prepay.Engine, now time.Time) error {
				t, err := e.Tariff(args[0])
				switch {
				case err == nil:
					if o.energy != "" && prepay.Energy(o.energy) != t.Energy {
						return badInput("tariff %q is for %s, not %s", t.ID, t.Energy, o.energy)
					}
				case o.energy == "":
					return badInput("tariff %q is new: give its --energy (electricity or gas)", args[0])
				default:
					t = prepay.Tariff{ID: args[0], Energy: prepay.Energy(o.energy)}
				}
				if t.Energy == prepay.Gas && v.GasFactor == 0 {
					return badInput("a gas tariff needs --gas-factor, the conversion factor in kWh/m3 such as 11.0000")
				}
				t.Versions = slices.DeleteFunc(t.Versions, func(old prepay.TariffVersion) bool { return old.From == from })
				t.Versions = append(t.Versions, v)
				t, err = e.PutTariff(t, agent)
				if err != nil {
					return err
				}
				return printTariff(g, t, prepay.DateOf(now, e.Location()))
			})
		},
	}
	cmd.Flags().StringVar(&o.energy, "energy", "", "electricity or gas; needed for a new tariff")
	cmd.Flags().StringVar(&o.from, "from", "", "the day the prices take effect, YYYY-MM-DD")
	cmd.Flags().StringArrayVar(&o.prices, "price", nil, "REGISTER=PRICE in EUR/kWh, repeated: day=0.38, 1-0:1.8.2=0.30")
	cmd.Flags().StringVar(&o.gasFactor, "gas-factor", "", "gas conversion factor in kWh/m3, at most 4 decimals")
	agentFlag(cmd, &o.agent)
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

// parsePrice reads REGISTER=PRICE, PRICE in EUR/kWh, into the canonical
// register name and µ€/kWh.
func parsePrice(s string) (string, int64, error) {
	reg, price, ok := strings.Cut(s, "=")
	if !ok {
		return "", 0, badInput("--price %q: want REGISTER=PRICE, such as day=0.38", s)
	}
	switch strings.ToLower(strings.TrimSpace(reg)) {
	case "day":
		reg = registerDay
	case "night":
		reg = registerNight
	case "gas":
		reg = registerGas
	default:
		r, err := prepay.NormalizeRegister(strings.TrimSpace(reg))
		if err != nil {
			return "", 0, badInput("--price %q: %v, or day, night, gas", s, err)
		}
		reg = r
	}
	p, err := parseFixed(price, priceDecimals)
	if err != nil {
		return "", 0, badInput("--price %q: %v", s, err)
	}
	return reg, p, nil
}

// parseFixed reads a non-negative decimal number with at most decimals
// decimal places as an integer in units of 10^-decimals, exactly: "0.38"
// with 6 decimals is 380000. No sign, exponent, comma or space is accepted.
func parseFixed(s string, decimals int) (int64, error) {
	whole, frac, dot := strings.Cut(s, ".")
	switch {
	case whole == "" || !isDigits(whole) || (dot && (frac == "" || !isDigits(frac))):
		return 0, fmt.Errorf("%q: want a decimal number such as 0.38", s)
	case len(frac) > decimals:
		return 0, fmt.Errorf("%q: at most %d decimals", s, decimals)
	case len(strings.TrimLeft(whole, "0")) > 9:
		return 0, fmt.Errorf("%q: too large", s)
	}
	frac += strings.Repeat("0", decimals-len(frac))
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	return v, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatFixed writes v, in units of 10^-decimals, as a decimal number with
// trailing zeros dropped down to minDecimals: 380000 → "0.38".
func formatFixed(v int64, decimals, minDecimals int) string {
	neg := v < 0
	if neg {
		v = -v
	}
	s := strconv.FormatInt(v, 10)
	if len(s) <= decimals {
		s = strings.Repeat("0", decimals-len(s)+1) + s
	}
	whole, frac := s[:len(s)-decimals], s[len(s)-decimals:]
	for len(frac) > minDecimals && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	if neg {
		whole = "-" + whole
	}
	if frac == "" {
		return whole
	}
	return whole + "." + frac
}

// formatPrice writes a price in µ€/kWh as EUR/kWh.
func formatPrice(p int64) string { return formatFixed(p, priceDecimals, 2) }

// versionAt returns the version of t in force on day d.
func versionAt(t prepay.Tariff, d prepay.Date) (prepay.TariffVersion, bool) {
	for i := len(t.Versions) - 1; i >= 0; i-- {
		if !d.Before(t.Versions[i].From) {
			return t.Versions[i], true
		}
	}
	return prepay.TariffVersion{}, false
}

// pricesText lists prices as "1-0:1.8.1 0.38, 1-0:1.8.2 0.30".
func pricesText(prices map[string]int64) string {
	var parts []string
	for _, reg := range slices.Sorted(maps.Keys(prices)) {
		parts = append(parts, reg+" "+formatPrice(prices[reg]))
	}
	return strings.Join(parts, ", ")
}

// tariffJSON is the JSON form of a tariff, with prices in EUR/kWh and the
// gas factor in kWh/m³ as decimal strings.
type tariffJSON struct {
	ID       string              `json:"id"`
	Energy   prepay.Energy       `json:"energy"`
	Versions []tariffVersionJSON `json:"versions"`
}

type tariffVersionJSON struct {
	From      prepay.Date       `json:"from"`
	Prices    map[string]string `json:"prices"`
	GasFactor string            `json:"gas_factor,omitempty"`
}

func toTariffJSON(t prepay.Tariff) tariffJSON {
	out := tariffJSON{ID: t.ID, Energy: t.Energy, Versions: []tariffVersionJSON{}}
	for _, v := range t.Versions {
		jv := tariffVersionJSON{From: v.From, Prices: map[string]string{}}
		for reg, p := range v.Prices {
			jv.Prices[reg] = formatPrice(p)
		}
		if t.Energy == prepay.Gas {
			jv.GasFactor = formatFixed(v.GasFactor, gasFactorDecimals, gasFactorDecimals)
		}
		out.Versions = append(out.Versions, jv)
	}
	return out
}

// printTariff prints a tariff and its versions, each marked past, in force
// (today) or future.
func printTariff(g *globals, t prepay.Tariff, today prepay.Date) error {
	if g.json {
		return writeJSON(g.stdout, toTariffJSON(t))
	}
	fmt.Fprintf(g.stdout, "Tariff %s (%s)\n\n", t.ID, t.Energy)
	return writeVersions(g.stdout, t, today)
}

func writeVersions(w io.Writer, t prepay.Tariff, today prepay.Date) error {
	current, ok := versionAt(t, today)
	tw := newTable(w)
	header := "FROM\tREGISTER\tPRICE (EUR/kWh)"
	if t.Energy == prepay.Gas {
		header += "\tGAS FACTOR (kWh/m3)"
	}
	fmt.Fprintln(tw, header+"\tSTATUS")
	for _, v := range t.Versions {
		status := "past"
		switch {
		case ok && v.From == current.From:
			status = "in force"
		case today.Before(v.From):
			status = "future"
		}
		for _, reg := range slices.Sorted(maps.Keys(v.Prices)) {
			line := v.From.String() + "\t" + reg + "\t" + formatPrice(v.Prices[reg])
			if t.Energy == prepay.Gas {
				line += "\t" + formatFixed(v.GasFactor, gasFactorDecimals, gasFactorDecimals)
			}
			fmt.Fprintln(tw, line+"\t"+status)
		}
	}
	return tw.Flush()
}
