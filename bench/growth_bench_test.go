package bench

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/harness"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// BenchmarkHistoryGrowth asks whether throughput falls as the Temporal
// server's file fills: it grows the run's server by BENCH_GROWTH
// workflows (default 50,000) shaped like deliveries (the floor with a
// delivery's search attributes, summary, version marker and upsert), then
// measures BENCH_EVENTS deliveries (default 1000) between two floors on a
// fresh file-backed server and on the grown one, in the order fresh,
// grown, grown, fresh so the host's drift and the order cancel. Run it on the
// file-backed server (the default).
func BenchmarkHistoryGrowth(b *testing.B) {
	if productionServer != nil {
		// It compares dev servers' SQLite files; the production server's
		// history is in PostgreSQL, and a second one per run is not wired.
		// Skipped rather than failed so that `make bench-production
		// BENCH=.` runs every benchmark that applies.
		b.Skip("BenchmarkHistoryGrowth compares dev servers' SQLite files: it does not apply with BENCH_TEMPORAL=production")
	}
	n := envInt("BENCH_EVENTS", 1000)
	grown := harness.Config(b, temporalServer)
	runFloor(b, grown, envInt("BENCH_GROWTH", 50000), 16, floorExtras{Attrs: true, Version: true, Upsert: true})

	ctx, cancel := context.WithTimeout(b.Context(), 3*time.Minute)
	fresh, err := testenv.StartTemporalFile(ctx, filepath.Join(b.TempDir(), "fresh.db"), temporalExtraArgs...)
	cancel()
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = fresh.Stop() }()
	for range b.N {
		// Fresh, grown, then grown, fresh: each server runs first once, so
		// an effect of the order (the second run after the first in a
		// round) cancels instead of passing for the history's.
		for round, order := range [][]string{{"fresh", "grown"}, {"grown", "fresh"}} {
			for _, server := range order {
				srv := temporalServer
				if server == "fresh" {
					srv = fresh
				}
				cfg := harness.Config(b, srv)
				// A queue per round too: the previous round's platform still
				// polls, with its own database.
				cfg.TaskQueue += "-" + server + "-r" + strconv.Itoa(round)
				r := floorAndBurst(b, cfg, harness.New(b, cfg), n, 16)
				b.Logf("round %d %s server: %.1f deliveries/s, %.2fx the floor, temporal %.2f CPU-s/1k", round, server, r.burst.rate, r.rateRatio(), per1k(r.used.temporal, n))
				b.ReportMetric(r.burst.rate, server+"_r"+strconv.Itoa(round)+"_deliveries/s")
				b.ReportMetric(per1k(r.used.temporal, n), server+"_r"+strconv.Itoa(round)+"_temporal_cpu_s/1k")
			}
		}
	}
	if fi, err := os.Stat(temporalDBFile); err == nil {
		b.Logf("grown server file: %d MiB", fi.Size()>>20)
	}
}
