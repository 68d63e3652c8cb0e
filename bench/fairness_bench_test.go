package bench

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/harness"
)

// BenchmarkTenantFairness: org A posts a burst of BENCH_BURST events
// (default 5000) from 16 clients while org B, on the same platform, posts
// one event every 50 ms; it reports org B's latency (POST sent to its
// receiver getting the delivery) while the burst is being delivered, with
// SWITCHBOARD_TENANT_FAIRNESS off and on, and the ratio of the two p99s.
func BenchmarkTenantFairness(b *testing.B) {
	p99 := map[bool]time.Duration{}
	for _, fair := range []bool{false, true} {
		name := map[bool]string{false: "fairness=off", true: "fairness=on"}[fair]
		b.Run(name, func(b *testing.B) {
			cfg := harness.ConfigAt(b, temporalAddr)
			cfg.TenantFairness = fair
			p := harness.New(b, cfg)
			for range b.N {
				r := runTenantBurst(b, p, envInt("BENCH_BURST", 5000))
				report(b, "orgB_", r.orgB)
				b.ReportMetric(r.burstRate, "orgA_deliveries/s")
				b.ReportMetric(r.totalRate, "total_deliveries/s")
				_, _, p99[fair] = percentiles(r.orgB)
			}
		})
	}
	if p99[true] > 0 {
		b.Logf("org B p99 during org A's burst: %.1f ms without fairness, %.1f ms with (%.1fx)",
			ms(p99[false]), ms(p99[true]), float64(p99[false])/float64(p99[true]))
	}
}

type tenantBurst struct {
	orgB      []time.Duration
	burstRate float64
	// totalRate counts both orgs' deliveries that arrived during the burst:
	// fairness moves org B's share forward, it does not cost throughput.
	totalRate float64
}

// runTenantBurst runs one burst of n org A events with org B's trickle
// alongside, until every org A delivery arrived.
func runTenantBurst(b *testing.B, p *harness.Platform, n int) tenantBurst {
	org, err := p.App.Services.Orgs.CreateOrg(b.Context(), "bench-org-b")
	if err != nil {
		b.Fatal(err)
	}
	keyB := org.SecretKey
	arrA, _ := subscribe(b, p, p.Key, "contact.created", n)
	arrB, _ := subscribe(b, p, keyB, "contact.created", -1)
	// Org B's trickle runs from before the burst until its last delivery.
	live := startTrickle(b, p, keyB, 50*time.Millisecond)

	start := time.Now()
	fanOut(n, 16, func(int) { postEvent(b, p, p.Key) })
	select {
	case <-arrA.done:
	case <-time.After(10 * time.Minute):
		b.Fatalf("only %d of %d org A deliveries arrived", len(arrA.at), n)
	}
	end := time.Now()
	burst := end.Sub(start)
	orgB := live.latencies(b, arrB)
	both := n
	arrB.mu.Lock()
	for _, at := range arrB.at {
		if !at.After(end) {
			both++
		}
	}
	arrB.mu.Unlock()
	return tenantBurst{orgB: orgB, burstRate: float64(n) / burst.Seconds(), totalRate: float64(both) / burst.Seconds()}
}
