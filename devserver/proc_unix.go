//go:build unix

package devserver

import (
	"os"
	"syscall"
)

// signalGroup sends SIGTERM (or SIGKILL when kill is true) to the process
// group led by p, which sysProcAttr created, so that anything the server
// spawned is stopped along with it.
func signalGroup(p *os.Process, kill bool) error {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	return syscall.Kill(-p.Pid, sig)
}
