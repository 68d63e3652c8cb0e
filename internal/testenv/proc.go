package testenv

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DevServerEnviron returns the environment of the running dev server
// (`temporal server start-dev`) whose frontend listens on port, read from
// /proc, so a test can check what the server really got rather than what
// was meant to be passed.
func DevServerEnviron(port string) ([]string, error) {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		cmd, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil || !bytes.Contains(cmd, []byte("\x00start-dev\x00")) ||
			!bytes.Contains(cmd, []byte("\x00--port\x00"+port+"\x00")) {
			continue
		}
		env, err := os.ReadFile(filepath.Join(dir, "environ"))
		if err != nil {
			return nil, fmt.Errorf("testenv: the dev server's environment: %w", err)
		}
		return strings.Split(strings.TrimRight(string(env), "\x00"), "\x00"), nil
	}
	return nil, fmt.Errorf("testenv: no dev server process with --port %s", port)
}
