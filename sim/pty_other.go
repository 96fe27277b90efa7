//go:build !unix

package sim

import (
	"errors"
	"os"
)

// openPTY fails: pseudo-terminals are a Unix facility.
func openPTY() (master, slave *os.File, err error) {
	return nil, nil, errors.New("no pseudo-terminals on this system")
}
