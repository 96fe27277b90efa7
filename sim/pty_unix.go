//go:build unix

package sim

import (
	"os"
	"syscall"

	"github.com/creack/pty"
)

// openPTY opens a pseudo-terminal and returns its master, in non-blocking
// mode so that its reads honour deadlines (and the port stops when its
// context ends), and its slave, which the caller keeps open for as long as
// it serves the master: without an open slave, reads on the master fail
// with EIO between two clients.
func openPTY() (master, slave *os.File, err error) {
	m, s, err := pty.Open()
	if err != nil {
		return nil, nil, err
	}
	fd, err := syscall.Dup(int(m.Fd()))
	m.Close()
	if err == nil {
		if err = syscall.SetNonblock(fd, true); err != nil {
			syscall.Close(fd)
		}
	}
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return os.NewFile(uintptr(fd), "ptmx"), s, nil
}
