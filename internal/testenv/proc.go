package testenv

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// IsDevServer reports whether cmdline, a process's /proc/PID/cmdline, is
// the dev server (`temporal server start-dev`) whose frontend listens on
// port.
func IsDevServer(cmdline []byte, port string) bool {
	return bytes.Contains(cmdline, []byte("\x00start-dev\x00")) &&
		bytes.Contains(cmdline, []byte("\x00--port\x00"+port+"\x00"))
}

// DevServerPID returns the pid of the running dev server whose frontend
// listens on port, found in /proc by its command line; ok is false if
// there is none.
func DevServerPID(port string) (pid string, ok bool) {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		cmd, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err == nil && IsDevServer(cmd, port) {
			return filepath.Base(dir), true
		}
	}
	return "", false
}

// DevServerEnviron returns the environment of the dev server whose
// frontend listens on port, read from /proc, so a test can check what the
// server really got rather than what was meant to be passed.
func DevServerEnviron(port string) ([]string, error) {
	pid, ok := DevServerPID(port)
	if !ok {
		return nil, fmt.Errorf("testenv: no dev server process with --port %s", port)
	}
	env, err := os.ReadFile(filepath.Join("/proc", pid, "environ"))
	if err != nil {
		return nil, fmt.Errorf("testenv: the dev server's environment: %w", err)
	}
	return strings.Split(strings.TrimRight(string(env), "\x00"), "\x00"), nil
}
