//go:build unix && !linux

package devserver

import "syscall"

// sysProcAttr puts the server in its own process group so Stop can signal
// the whole group. Only Linux has a parent-death signal, so elsewhere a
// parent that crashes without calling Stop leaves the server running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
