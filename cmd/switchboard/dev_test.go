package main

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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

// TestDevServesThePrintedKeyAndStopsCleanly runs the real `dev` on free
// ports: the key it prints works against the API at once (the listener was
// bound before the print), and SIGTERM stops it with exit status 0.
func TestDevServesThePrintedKeyAndStopsCleanly(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	apiAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	dev := exec.Command(bin, "dev")
	dev.Dir = dir
	dev.Env = append(os.Environ(),
		"SWITCHBOARD_DATABASE_URL=",
		"SWITCHBOARD_TEMPORAL_BIN="+testenv.TemporalBinary(),
		"SWITCHBOARD_HTTP_ADDR="+apiAddr,
		"SWITCHBOARD_DEV_TEMPORAL_PORT="+strconv.Itoa(freePort(t)),
		"SWITCHBOARD_DEV_UI_PORT="+strconv.Itoa(freePort(t)),
	)
	var stderr lockedBuffer
	dev.Stderr = &stderr
	out, err := dev.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	keys := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) >= 3 && f[0] == "API" && f[1] == "key:" {
				keys <- f[2]
			}
		}
		exited <- dev.Wait()
	}()
	t.Cleanup(func() {
		if dev.ProcessState == nil {
			_ = dev.Process.Kill()
			<-exited
		}
	})
	var key string
	select {
	case key = <-keys:
	case err := <-exited:
		t.Fatalf("dev exited before printing a key: %v\n%s", err, stderr.String())
	case <-time.After(2 * time.Minute): // hang guard: the dev server's cold start
		t.Fatalf("dev printed no key; stderr:\n%s", stderr.String())
	}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://"+apiAddr+"/v1/event-types", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("the printed API address does not answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("event types with the printed key: %d", resp.StatusCode)
	}
	if err := dev.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("dev exited with %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(time.Minute): // hang guard
		t.Fatal("dev did not exit after SIGTERM")
	}
}
