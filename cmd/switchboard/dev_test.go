package main

import (
	"bytes"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/devserver"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// TestDevWithABusyPortFailsBeforePrintingAKey takes each port `dev` needs
// in turn: dev must fail before it starts anything, creates an org or
// prints a key, and name the setting that moves the port.
func TestDevWithABusyPortFailsBeforePrintingAKey(t *testing.T) {
	bin := testenv.TemporalBinary() // resolved before the Chdir below
	for _, tc := range []struct {
		name, setting string
	}{
		{"api", "SWITCHBOARD_HTTP_ADDR"},
		{"temporal", "SWITCHBOARD_DEV_TEMPORAL_PORT"},
		{"ui", "SWITCHBOARD_DEV_UI_PORT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir) // dev keeps its state under ./.data
			busy, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer busy.Close()
			busyPort := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
			t.Setenv("SWITCHBOARD_TEMPORAL_BIN", bin)
			t.Setenv("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:"+strconv.Itoa(freePort(t)))
			t.Setenv("SWITCHBOARD_DEV_TEMPORAL_PORT", strconv.Itoa(freePort(t)))
			t.Setenv("SWITCHBOARD_DEV_UI_PORT", strconv.Itoa(freePort(t)))
			switch tc.setting {
			case "SWITCHBOARD_HTTP_ADDR":
				t.Setenv(tc.setting, "127.0.0.1:"+busyPort)
			default:
				t.Setenv(tc.setting, busyPort)
			}
			var out bytes.Buffer
			stdout = &out
			defer func() { stdout = os.Stdout }()

			err = run([]string{"dev"})
			if err == nil {
				t.Fatal("dev started with a busy port")
			}
			if !strings.Contains(err.Error(), tc.setting) || !strings.Contains(err.Error(), busyPort) {
				t.Fatalf("error does not name %s and the port %s: %v", tc.setting, busyPort, err)
			}
			if strings.Contains(out.String(), "sb_sk_") || strings.Contains(out.String(), "Temporal dev server") {
				t.Fatalf("dev printed before checking its ports:\n%s", out.String())
			}
			if _, err := os.Stat(".data"); !os.IsNotExist(err) {
				t.Fatalf("dev created its state before checking its ports: %v", err)
			}
		})
	}
}

// freePort is a port on 127.0.0.1 that nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	port, err := devserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}
