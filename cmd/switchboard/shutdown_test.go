package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestServeShutsDownWithAnOpenStream runs the real binary (`serve` on
// SQLite against a Temporal dev server) with an operator's event stream
// open, sends SIGTERM and checks the outcome: the stream is ended cleanly
// by the server, the process exits 0, and graceful shutdown did not run
// into its deadline (which is what an open stream used to cause: a 10 s
// wait, "context deadline exceeded" and exit status 1).
func TestServeShutsDownWithAnOpenStream(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	b := newTestBinary(t, "shutdown",
		"SWITCHBOARD_DATABASE_URL=",
		"SWITCHBOARD_SQLITE_PATH="+filepath.Join(t.TempDir(), "sb.db"),
		"SWITCHBOARD_HTTP_ADDR="+addr,
	)
	command := b.command
	b.migrate(t)
	orgID, secretKey, publicKey := b.createOrg(t, "acme")

	serve := command("serve")
	var stderr lockedBuffer
	serve.Stderr = &stderr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- serve.Wait() }()
	t.Cleanup(func() {
		if serve.ProcessState == nil {
			_ = serve.Process.Kill()
			<-exited
		}
	})
	base := "http://" + addr
	waitHealthy(t, base, exited)

	// A conversation without a visitor ID (no lookup), then its stream.
	req, _ := http.NewRequestWithContext(t.Context(), "POST", base+"/v1/widget/messages", strings.NewReader(`{"text":"hi"}`))
	req.Header.Set("X-Switchboard-Key", publicKey)
	req.Header.Set("X-Switchboard-Org", orgID)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		ConversationID string `json:"conversation_id"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&msg)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || msg.ConversationID == "" {
		t.Fatalf("widget message: %d %+v", resp.StatusCode, msg)
	}
	req, _ = http.NewRequestWithContext(t.Context(), "GET", base+"/v1/conversations/"+msg.ConversationID+"/customer/events", nil)
	req.Header.Set("Authorization", "Bearer "+secretKey)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	if stream.StatusCode != http.StatusOK {
		t.Fatalf("events: %d", stream.StatusCode)
	}
	sc := bufio.NewScanner(stream.Body)
	if !sc.Scan() || sc.Text() != "event: profile" {
		t.Fatalf("first stream line %q, %v", sc.Text(), sc.Err())
	}
	// Read the rest in the background: the stream must end by itself.
	ended := make(chan error, 1)
	go func() {
		for sc.Scan() {
		}
		ended <- sc.Err()
	}()

	sent := time.Now()
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Hang guards only (well past the 10 s shutdown grace); the outcome is
	// asserted below, not the time.
	select {
	case err := <-ended:
		// nil: the chunked body was terminated properly by the server,
		// not cut off by the process dying.
		if err != nil {
			t.Fatalf("the stream did not end cleanly: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the stream stayed open after SIGTERM")
	}
	var exitErr error
	select {
	case exitErr = <-exited:
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not exit after SIGTERM")
	}
	took := time.Since(sent)
	t.Logf("SIGTERM to exit: %v", took)
	if exitErr != nil {
		t.Fatalf("serve exited with %v; stderr:\n%s", exitErr, stderr.String())
	}
	if strings.Contains(stderr.String(), context.DeadlineExceeded.Error()) {
		t.Fatalf("shutdown ran into its deadline; stderr:\n%s", stderr.String())
	}
}

// waitHealthy waits for /healthz to answer 200, failing at once if the
// process exits first.
func waitHealthy(t *testing.T, base string, exited <-chan error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("serve exited during start-up: %v", err)
		default:
		}
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("serve did not become healthy")
}

// lockedBuffer is a bytes.Buffer the child's output can be copied into
// while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
