package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// heldReceiver verifies each request's hex HMAC-SHA256 of the raw body
// the way the docs tell customers to (not with the project's signer). Until
// release is closed it holds every request unanswered, so nothing can be
// recorded as delivered; it counts, by Idempotency-Key, only the requests
// that arrive after release.
type heldReceiver struct {
	release chan struct{}
	mu      sync.Mutex
	header  string
	secret  string
	held    int
	after   map[string]int
	bad     int
}

func (r *heldReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	select {
	case <-r.release:
	default:
		r.mu.Lock()
		r.held++
		r.mu.Unlock()
		<-r.release
		// The sender is dead by now: this answer reaches nobody.
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	mac := hmac.New(sha256.New, []byte(r.secret))
	mac.Write(body)
	if !hmac.Equal([]byte(req.Header.Get(r.header)), []byte(hex.EncodeToString(mac.Sum(nil)))) {
		r.bad++
	}
	r.after[req.Header.Get("Idempotency-Key")]++
}

// TestKillDuringBurstLosesNothing runs the real binary (`serve` on
// PostgreSQL, embedded worker) with a small dispatch queue, posts a burst
// of events, SIGKILLs the process while the burst is still being accepted
// and every delivery is still unanswered (the receiver holds them), starts
// it again and checks that every event it accepted with a 202 is delivered
// afterwards, signed: rows queued in the dispatcher, overflowed to the
// sweeper, or with their first attempt in flight are all recovered.
func TestKillDuringBurstLosesNothing(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	b := newTestBinary(t, "killburst",
		"SWITCHBOARD_DATABASE_URL="+testenv.Postgres(t),
		"SWITCHBOARD_DB_MAX_OPEN_CONNS=10",
		"SWITCHBOARD_HTTP_ADDR="+addr,
		"SWITCHBOARD_ALLOW_INSECURE_URLS=true",
		"SWITCHBOARD_OUTBOUND_ALLOW_CIDRS="+config.LoopbackCIDRs,
		// A backlog forms (queue and overflow) and the restarted process
		// sweeps at once.
		"SWITCHBOARD_DISPATCH_QUEUE=20",
		"SWITCHBOARD_DISPATCH_CONCURRENCY=2",
		"SWITCHBOARD_SWEEP_INTERVAL=1s",
	)
	command := b.command
	b.migrate(t)
	_, key, _ := b.createOrg(t, "acme")
	base := "http://" + addr
	var stderr lockedBuffer
	serve := func() (*exec.Cmd, <-chan error) {
		c := command("serve")
		c.Stderr = &stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- c.Wait() }()
		t.Cleanup(func() {
			if c.ProcessState == nil {
				_ = c.Process.Signal(syscall.SIGTERM)
				<-exited
			}
		})
		waitHealthy(t, base, exited)
		return c, exited
	}
	call := func(path, body string, out any) (int, error) {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		return resp.StatusCode, json.NewDecoder(resp.Body).Decode(out)
	}

	first, exited := serve()
	rcv := &heldReceiver{release: make(chan struct{}), after: map[string]int{}}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-rcv.release:
		default:
			close(rcv.release)
		}
	})
	var wh struct {
		Secret          string `json:"secret"`
		SignatureHeader string `json:"signature_header"`
	}
	if code, err := call("/v1/webhooks", `{"url":"`+srv.URL+`/hook","event_types":["contact.created"]}`, &wh); code != http.StatusCreated || err != nil {
		t.Fatalf("create webhook: %d %v", code, err)
	}
	rcv.secret, rcv.header = wh.Secret, wh.SignatureHeader

	// The burst: 16 callers; the one whose 202 makes 150 kills the process.
	const total, killAt = 1000, 150
	var (
		mu       sync.Mutex
		accepted []string
		killed   atomic.Bool
		kill     sync.Once
		jobs     = make(chan int)
		wg       sync.WaitGroup
	)
	for range 16 {
		wg.Go(func() {
			for i := range jobs {
				if killed.Load() {
					continue
				}
				var ev struct {
					Deliveries []struct{ ID string } `json:"deliveries"`
				}
				code, err := call("/v1/events", `{"type":"contact.created","data":{"contact":{"id":"ct_`+strconv.Itoa(i)+`"}}}`, &ev)
				if err != nil || code != http.StatusAccepted {
					continue // not accepted: the process is dying or dead
				}
				mu.Lock()
				for _, d := range ev.Deliveries {
					accepted = append(accepted, d.ID)
				}
				n := len(accepted)
				mu.Unlock()
				if n >= killAt {
					kill.Do(func() {
						killed.Store(true)
						if err := first.Process.Signal(syscall.SIGKILL); err != nil {
							t.Errorf("SIGKILL: %v", err)
						}
					})
				}
			}
		})
	}
	for i := range total {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if !killed.Load() {
		t.Fatalf("only %d events accepted; the process was never killed", len(accepted))
	}
	<-exited
	rcv.mu.Lock()
	held := rcv.held
	rcv.mu.Unlock()
	// Every request sent so far is held and its sender is dead: none can
	// have been recorded as delivered.
	close(rcv.release)
	t.Logf("accepted %d deliveries before SIGKILL; %d requests were in flight at the receiver", len(accepted), held)

	serve()
	// Hang guard, not a speed check: recovery waits for Temporal's
	// workflow-task timeout of the dead worker's tasks and the sweeper.
	deadline := time.Now().Add(3 * time.Minute)
	var missing []string
	for {
		rcv.mu.Lock()
		missing = missing[:0]
		for _, id := range accepted {
			if rcv.after[id] == 0 {
				missing = append(missing, id)
			}
		}
		bad, dups := rcv.bad, 0
		for _, n := range rcv.after {
			dups += n - 1
		}
		rcv.mu.Unlock()
		if bad > 0 {
			t.Fatalf("%d deliveries failed signature verification", bad)
		}
		if len(missing) == 0 {
			t.Logf("all %d accepted deliveries arrived after the restart (%d repeats)", len(accepted), dups)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d accepted deliveries never arrived after the restart, e.g. %s\nserve stderr:\n%s",
				len(missing), len(accepted), missing[0], lastLines(stderr.String(), 40))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
