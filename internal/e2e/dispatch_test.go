package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/internal/harness"
)

// sweepEverySecond is the sweep interval of tests that rely on the
// background sweeper rather than calling Sweep.
const sweepEverySecond = time.Second

func harnessConfig(t *testing.T) config.Config { return harness.Config(t, temporalServer) }

func newPlatformWith(t *testing.T, cfg config.Config) *platform {
	return &platform{harness.New(t, cfg)}
}

// countingReceiver takes any number of deliveries to several endpoints
// (one path per endpoint, each with its own secret), verifies every
// signature from the docs (verify) and counts deliveries by Idempotency-Key.
type countingReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	secrets map[string]webhookResp // by path
	byKey   map[string]int
	bad     []string
}

func newCountingReceiver(t *testing.T) *countingReceiver {
	r := &countingReceiver{secrets: map[string]webhookResp{}, byKey: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *countingReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	key := req.Header.Get("Idempotency-Key")
	r.mu.Lock()
	defer r.mu.Unlock()
	wh, ok := r.secrets[req.URL.Path]
	if !ok || !verify(wh.SigningScheme, wh.SignatureHeader, wh.Secret, req.Header, body) {
		r.bad = append(r.bad, req.URL.Path+" "+key)
	}
	r.byKey[key]++
}

// endpoint subscribes one more endpoint (its own path) to contact.created.
func (r *countingReceiver) endpoint(p *platform, i int) webhookResp {
	p.T().Helper()
	path := "/w" + strconv.Itoa(i)
	var wh webhookResp
	if code := p.call("POST", "/v1/webhooks", map[string]any{"url": r.URL + path, "event_types": []string{"contact.created"}}, &wh); code != http.StatusCreated {
		p.T().Fatalf("create webhook: %d", code)
	}
	r.mu.Lock()
	r.secrets[path] = wh
	r.mu.Unlock()
	return wh
}

func (r *countingReceiver) snapshot() (map[string]int, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.byKey))
	for k, v := range r.byKey {
		out[k] = v
	}
	return out, append([]string(nil), r.bad...)
}

// burst posts n contact.created events from clients concurrent callers and
// returns the IDs of the deliveries the 202 answers accepted.
func (p *platform) burst(t *testing.T, n, clients int) []string {
	t.Helper()
	jobs := make(chan int)
	var mu sync.Mutex
	var ids []string
	var failures []string
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := range jobs {
				body := `{"type":"contact.created","data":{"contact":{"id":"ct_` + strconv.Itoa(i) + `"}}}`
				req, _ := http.NewRequestWithContext(t.Context(), "POST", p.URL+"/v1/events", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+p.Key)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					continue
				}
				var ev eventResp
				err = json.NewDecoder(resp.Body).Decode(&ev)
				resp.Body.Close()
				mu.Lock()
				if resp.StatusCode != http.StatusAccepted || err != nil {
					failures = append(failures, "status "+strconv.Itoa(resp.StatusCode))
				}
				for _, d := range ev.Deliveries {
					ids = append(ids, d.ID)
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d posts failed, first: %s", len(failures), n, failures[0])
	}
	return ids
}

// checkExactlyOnce waits until every accepted delivery has succeeded after
// one attempt, then checks the receiver got each exactly once, signed.
func (p *platform) checkExactlyOnce(t *testing.T, r *countingReceiver, ids []string) {
	t.Helper()
	for _, id := range ids {
		d := p.waitStatus(id, "succeeded")
		if len(d.Attempts) != 1 {
			t.Fatalf("delivery %s made %d attempts, want 1", id, len(d.Attempts))
		}
	}
	got, bad := r.snapshot()
	if len(bad) > 0 {
		t.Fatalf("%d deliveries failed signature verification, first: %s", len(bad), bad[0])
	}
	if len(got) != len(ids) {
		t.Fatalf("receiver got %d distinct keys, want %d", len(got), len(ids))
	}
	for _, id := range ids {
		if got[id] != 1 {
			t.Fatalf("delivery %s arrived %d times, want once", id, got[id])
		}
	}
}

// metric reads one unlabelled sample from the API's /metrics.
func (p *platform) metric(t *testing.T, name string) float64 {
	t.Helper()
	resp, err := http.Get(p.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}

// TestIngestBurstDeliversEachOnce: 300 events from 16 callers, answered
// before their workflows start; every delivery arrives exactly once,
// signed, after one attempt.
func TestIngestBurstDeliversEachOnce(t *testing.T) {
	p := newPlatform(t)
	r := newCountingReceiver(t)
	r.endpoint(p, 0)
	ids := p.burst(t, 300, 16)
	if len(ids) != 300 {
		t.Fatalf("%d deliveries accepted, want 300", len(ids))
	}
	p.checkExactlyOnce(t, r, ids)
}

// TestIngestOverflowGoesToTheSweeper: with room for one queued delivery
// and one start at a time, an event fanning out to ten endpoints overflows
// the queue at once; the overflow is counted, the sweeper (every second
// here) starts those rows, and every delivery still arrives exactly once,
// including rows the sweeper and the dispatcher both tried to start.
func TestIngestOverflowGoesToTheSweeper(t *testing.T) {
	cfg := harnessConfig(t)
	cfg.DispatchQueue, cfg.DispatchConcurrency = 1, 1
	cfg.SweepInterval = sweepEverySecond
	p := newPlatformWith(t, cfg)
	r := newCountingReceiver(t)
	for i := range 10 {
		r.endpoint(p, i)
	}
	before := p.metric(t, "switchboard_dispatch_overflow_total")
	ids := p.burst(t, 20, 4)
	if len(ids) != 200 {
		t.Fatalf("%d deliveries accepted, want 200", len(ids))
	}
	if after := p.metric(t, "switchboard_dispatch_overflow_total"); after <= before {
		t.Fatalf("overflow counter stayed at %v; the queue of one never overflowed", after)
	}
	p.checkExactlyOnce(t, r, ids)
}
