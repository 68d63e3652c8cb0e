package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/internal/harness"
)

// instantBackend is a customer backend that answers a profile at once and
// records how long its handler took, from entry to just before the write.
type instantBackend struct {
	last     atomic.Int64 // nanoseconds of the latest request
	requests atomic.Int64
}

var benchProfile = []byte(`{"name":"Ada Lovelace","email":"ada@example.com","plan":"pro","fields":{"seats":12}}`)

func (e *instantBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	e.last.Store(int64(time.Since(start)))
	e.requests.Add(1)
	_, _ = w.Write(benchProfile)
}

// BenchmarkLookups measures Backend Connect on the real stack.
//
// Refresh: BENCH_REFRESHES (default 300) sequential operator refreshes of
// one conversation; each is a synchronous Lookup workflow (eager start +
// local activity). It reports the overhead Switchboard adds, i.e. the
// refresh's response time minus the time spent inside the endpoint's
// handler (overhead_p50_ms…), and the raw refresh time (refresh_p50_ms…).
// Reference target: overhead p50 ≤ 15 ms, p99 ≤ 50 ms.
//
// Burst: BENCH_FIRST_MESSAGES (default 500) first messages from distinct
// visitors posted by BENCH_CONCURRENCY clients (default 16); it reports the
// time until all their profiles are stored (status ok, read straight from
// PostgreSQL), the profiles/s that gives, and the widget POST latency.
func BenchmarkLookups(b *testing.B) {
	cfg := harness.ConfigAt(b, temporalAddr)
	// The burst's visitors are distinct people, who would post from
	// distinct addresses; here all of them post from 127.0.0.1, which the
	// widget's per-IP limit (5/s, burst 30) would answer with 429 after
	// the first 30. The per-conversation limit stays on.
	cfg.WidgetRatePerIP = 0
	p := harness.New(b, cfg)
	backend := &instantBackend{}
	srv := httptest.NewServer(backend) // 127.0.0.1
	defer srv.Close()
	if code := p.Call("PUT", "/v1/backend-connect", map[string]any{"url": srv.URL}, nil); code != http.StatusCreated {
		b.Fatalf("configure Backend Connect: %d", code)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}}
	for range b.N {
		runRefreshes(b, p, client, backend, envInt("BENCH_REFRESHES", 300))
		runFirstMessages(b, p, client, envInt("BENCH_FIRST_MESSAGES", 500), envInt("BENCH_CONCURRENCY", 16))
	}
}

func runRefreshes(b *testing.B, p *harness.Platform, client *http.Client, backend *instantBackend, n int) {
	conv := postMessage(b, p, client, "bench-refresh-visitor")
	waitProfiles(b, p, 1, time.Minute)
	refresh := func() (time.Duration, time.Duration) {
		req, _ := http.NewRequestWithContext(b.Context(), "POST", p.URL+"/v1/conversations/"+conv+"/customer/refresh", nil)
		req.Header.Set("Authorization", "Bearer "+p.Key)
		before := backend.requests.Load()
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out struct{ Status string }
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		total := time.Since(start)
		if err != nil || resp.StatusCode != http.StatusOK || out.Status != "ok" {
			b.Fatalf("refresh: %d %+v %v", resp.StatusCode, out, err)
		}
		if got := backend.requests.Load() - before; got != 1 {
			b.Fatalf("refresh made %d backend requests, want 1", got)
		}
		return total, time.Duration(backend.last.Load())
	}
	for range 10 { // warm connections, caches and the workflow cache
		refresh()
	}
	totals := make([]time.Duration, 0, n)
	overheads := make([]time.Duration, 0, n)
	var inEndpoint time.Duration
	for range n {
		total, endpoint := refresh()
		totals = append(totals, total)
		overheads = append(overheads, total-endpoint)
		inEndpoint += endpoint
	}
	report(b, "overhead_", overheads)
	report(b, "refresh_", totals)
	b.Logf("mean time inside the endpoint handler: %v", inEndpoint/time.Duration(n))
}

func runFirstMessages(b *testing.B, p *harness.Platform, client *http.Client, n, clients int) {
	conn, err := pgx.Connect(b.Context(), p.App.Cfg.DatabaseURL)
	if err != nil {
		b.Fatal(err)
	}
	base := countOKProfiles(b, conn, p.OrgID)
	conn.Close(context.Background())
	jobs := make(chan int)
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, n)
	)
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				t0 := time.Now()
				postMessage(b, p, client, fmt.Sprintf("bench-visitor-%d-%d", start.UnixNano(), i))
				mu.Lock()
				latencies = append(latencies, time.Since(t0))
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	posted := time.Since(start)
	waitProfiles(b, p, base+n, 5*time.Minute)
	all := time.Since(start)
	b.ReportMetric(ms(all), "burst_all_profiles_ms")
	b.ReportMetric(float64(n)/all.Seconds(), "profiles/s")
	report(b, "message_post_", latencies)
	b.Logf("burst: %d first messages posted in %v, all %d profiles stored after %v", n, posted.Round(time.Millisecond), n, all.Round(time.Millisecond))
}

// postMessage posts a conversation's first message with the public widget
// key and returns the conversation ID.
func postMessage(b *testing.B, p *harness.Platform, client *http.Client, visitor string) string {
	body := `{"visitor_id":"` + visitor + `","text":"hello"}`
	req, _ := http.NewRequestWithContext(b.Context(), "POST", p.URL+"/v1/widget/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Switchboard-Key", p.PubKey)
	req.Header.Set("X-Switchboard-Org", p.OrgID)
	resp, err := client.Do(req)
	if err != nil {
		b.Error(err)
		return ""
	}
	defer resp.Body.Close()
	var out struct {
		ConversationID string `json:"conversation_id"`
		LookupID       string `json:"lookup_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated || out.LookupID == "" {
		b.Errorf("post message: %d %+v %v", resp.StatusCode, out, err)
	}
	return out.ConversationID
}

// countOKProfiles reads the org's stored profiles with status ok straight
// from PostgreSQL, on one connection kept for the poll.
func countOKProfiles(b *testing.B, conn *pgx.Conn, orgID string) int {
	ctx, cancel := context.WithTimeout(b.Context(), 10*time.Second)
	defer cancel()
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM customer_profiles WHERE org_id = $1 AND status = 'ok'", orgID).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

func waitProfiles(b *testing.B, p *harness.Platform, want int, within time.Duration) {
	conn, err := pgx.Connect(b.Context(), p.App.Cfg.DatabaseURL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(context.Background())
	deadline := time.Now().Add(within)
	for {
		got := countOKProfiles(b, conn, p.OrgID)
		if got >= want {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d profiles stored after %v", got, want, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
