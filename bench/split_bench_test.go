package bench

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/internal/harness"
)

// BenchmarkSplitProcesses compares, in one run, the two layouts of issue
// 9's target 5 on the same Temporal server: one platform whose API has its
// worker embedded (eager start: the first attempt runs in the process that
// accepted the event) and one whose API has no worker, with
// BENCH_SPLIT_WORKERS (default 2) worker-only platforms on its task queue
// (every start goes through the server's matching). They run in this OS
// process, each with its own Temporal client, database pool and task
// queue, so the difference is the layout, not the host. Each layout runs
// a burst of BENCH_EVENTS (default 2000) from BENCH_CONCURRENCY clients
// and BENCH_LIGHT (default 200) events 20 ms apart, alternating
// one/split/split/one so a drift of the host cancels out; it reports
// deliveries/s and light-load latency of each and the ratios.
func BenchmarkSplitProcesses(b *testing.B) {
	oneCfg := harness.ConfigAt(b, temporalAddr)
	oneCfg.DBMaxOpenConns, oneCfg.DBMaxIdleConns = 12, 6
	one := harness.New(b, oneCfg)

	splitCfg := harness.ConfigAt(b, temporalAddr)
	splitCfg.TaskQueue += "-split"
	splitCfg.DBMaxOpenConns, splitCfg.DBMaxIdleConns = 12, 6
	split := harness.Start(b, splitCfg, app.Parts{API: true})
	for range envInt("BENCH_SPLIT_WORKERS", 2) {
		harness.Start(b, splitCfg, app.Parts{Worker: true})
	}

	n, clients, light := envInt("BENCH_EVENTS", 2000), envInt("BENCH_CONCURRENCY", 16), envInt("BENCH_LIGHT", 200)
	for range b.N {
		var rate [2]float64
		var lat [2][]time.Duration
		for i, p := range []*harness.Platform{one, split, split, one} {
			k := min(i, 3-i) // 0 for one, 1 for split
			settle(b, temporalAddr, "a burst")
			rate[k] += runEvents(b, p, n, clients, 0).rate / 2
			settle(b, temporalAddr, "a light load")
			lat[k] = append(lat[k], runEvents(b, p, light, 1, 20*time.Millisecond).latencies...)
		}
		b.ReportMetric(rate[0], "one_deliveries/s")
		b.ReportMetric(rate[1], "split_deliveries/s")
		b.ReportMetric(rate[1]/rate[0], "split_vs_one_rate")
		report(b, "one_light_", lat[0])
		report(b, "split_light_", lat[1])
		b.Logf("split/one: %.1f / %.1f deliveries/s = %.2fx", rate[1], rate[0], rate[1]/rate[0])
	}
}
