//go:build linux

package devserver

import "syscall"

// sysProcAttr puts the server in its own process group, so Stop can signal
// the whole group, and asks the kernel to SIGTERM it if the parent dies
// first (a test binary killed by `go test -timeout`, a crashed
// `switchboard dev`), so no orphaned server keeps holding its ports.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
