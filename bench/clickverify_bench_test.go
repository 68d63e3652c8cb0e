package bench

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/harness"
)

// slowApp answers after two seconds, or never if the caller gives up first.
type slowApp struct{}

func (slowApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case <-time.After(2 * time.Second):
		_, _ = w.Write([]byte(`{"verified": true}`))
	case <-r.Context().Done():
	}
}

// BenchmarkClickVerification measures POST /v1/rewards/verify-click on the
// real stack (eager start, one local activity per app).
//
// Fast: BENCH_CLICKS (default 500) sequential verifications with one app
// that answers at once; it reports the overhead, response time minus the
// time inside the app's handler (overhead_p50_ms…). Target: p99 ≤ 20 ms.
// BENCH_CLICK_GAP_MS (default 0, back to back) waits that long between
// calls, so each call meets a server that has finished the previous one.
//
// Slow: BENCH_SLOW_CLICKS (default 20) sequential verifications with one
// app that answers after 2 s and the default 1 s timeout; it reports the
// decision time (slow_decision_p50_ms…). Target: within 1,000–1,050 ms.
func BenchmarkClickVerification(b *testing.B) {
	p := harness.New(b, harness.ConfigAt(b, temporalAddr))
	fast := &instantBackend{}
	fastSrv := httptest.NewServer(fast)
	defer fastSrv.Close()
	slowSrv := httptest.NewServer(slowApp{})
	defer slowSrv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 8, MaxIdleConnsPerHost: 8}}
	for range b.N {
		app := createClickApp(b, p, fastSrv.URL)
		fastTotals, endpoint := make([]time.Duration, 0), make([]time.Duration, 0)
		n := envInt("BENCH_CLICKS", 500)
		gap := time.Duration(envInt("BENCH_CLICK_GAP_MS", 0)) * time.Millisecond
		for i := range n + 10 { // the first 10 warm up
			time.Sleep(gap)
			before := fast.requests.Load()
			total, reason := verifyOnce(b, p, client)
			if reason != "verified" || fast.requests.Load()-before != 1 {
				b.Fatalf("fast verification: reason %q", reason)
			}
			if i >= 10 {
				fastTotals = append(fastTotals, total)
				endpoint = append(endpoint, total-time.Duration(fast.last.Load()))
			}
		}
		report(b, "overhead_", endpoint)
		report(b, "fast_decision_", fastTotals)
		if code := p.Call("DELETE", "/v1/apps/"+app, nil, nil); code != http.StatusNoContent {
			b.Fatalf("delete app: %d", code)
		}

		createClickApp(b, p, slowSrv.URL)
		slow := make([]time.Duration, 0)
		for range envInt("BENCH_SLOW_CLICKS", 20) {
			total, reason := verifyOnce(b, p, client)
			if reason != "timeout" {
				b.Fatalf("slow verification: reason %q", reason)
			}
			slow = append(slow, total)
		}
		report(b, "slow_decision_", slow)
	}
}

func createClickApp(b *testing.B, p *harness.Platform, url string) string {
	var app struct{ ID string }
	if code := p.Call("POST", "/v1/apps", map[string]any{"name": "bench", "url": url,
		"actions": map[string]any{"click_reward_verification": map[string]any{}}}, &app); code != http.StatusCreated {
		b.Fatalf("create app: %d", code)
	}
	return app.ID
}

func verifyOnce(b *testing.B, p *harness.Platform, client *http.Client) (time.Duration, string) {
	body := []byte(`{"email":"friend@shop.example","site_id":"1"}`)
	req, _ := http.NewRequestWithContext(b.Context(), "POST", p.URL+"/v1/rewards/verify-click", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+p.Key)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var out struct {
		Verified bool
		Reason   string
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	total := time.Since(start)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("verify-click: %d %v", resp.StatusCode, err)
	}
	return total, out.Reason
}
