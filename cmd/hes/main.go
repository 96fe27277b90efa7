// Command hes is the head-end system for DLMS/COSEM smart meters: it reads
// meters, runs the prepayment engine and writes balances and breaker orders
// back to the meters. Run "hes help" for the commands.
package main

import (
	"os"

	_ "time/tzdata" // the meter's day is the Europe/Brussels day on every host

	"github.com/openhes/hes/cmd/hes/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
