//go:build !unix

package devserver

import (
	"os"
	"syscall"
)

// sysProcAttr returns nil: process groups are a Unix concept.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// signalGroup kills p. Windows cannot deliver SIGTERM to another process,
// so there is no graceful variant; the dev server's state is disposable.
func signalGroup(p *os.Process, _ bool) error { return p.Kill() }
