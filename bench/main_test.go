// Package bench measures Switchboard through the real stack: the API and
// worker in one process (eager start enabled), a Temporal dev server started
// for the run, PostgreSQL on 127.0.0.1:5432, and loopback receivers.
//
//	make bench   (or: go test -run '^$' -bench . -benchtime 1x ./bench/)
//
// The Temporal server is file-backed as `make dev` runs it
// (BENCH_TEMPORAL=memory: in memory; BENCH_TEMPORAL=production: the
// production server, 1.29 on PostgreSQL, started by
// testenv.StartProductionTemporal; `make bench-production`). Figures are printed with
// b.ReportMetric and b.Log; they depend on the machine, so the README
// records them with the machine noted.
package bench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/switchboardhq/switchboard/internal/harness"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// temporalAddr is the frontend of the run's Temporal server, whichever it
// is; benchmarks configure their platforms with harness.ConfigAt on it.
var temporalAddr string

// temporalServer is the run's dev server (nil with BENCH_TEMPORAL=production).
var temporalServer *testsuite.DevServer

// productionServer is the run's production server (BENCH_TEMPORAL=production).
var productionServer *testenv.ProdTemporal

// temporalDBFile is the dev server's SQLite file ("" in memory).
var temporalDBFile string

// temporalExtraArgs are the BENCH_TEMPORAL_ARGS flags the run's dev
// server got; a benchmark that starts a second one gives it the same.
var temporalExtraArgs []string

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		// A plain `go test ./...` runs no benchmark here: skip the server.
		os.Exit(m.Run())
	}
	if v := os.Getenv("BENCH_TEMPORAL_GOGC"); v != "" {
		// Prices the Temporal server's collector target (the dev
		// server's default is devserver.Env's, the production server's
		// testenv.TemporalServerGOGC): either server inherits a GOGC set
		// here (both keep a set one), and this process's runtime read
		// its own at start, so only the server changes.
		_ = os.Setenv("GOGC", v)
		fmt.Fprintf(os.Stderr, "bench: Temporal server GOGC=%s\n", v)
	}
	if os.Getenv("BENCH_TEMPORAL") == "production" {
		os.Exit(runOnProduction(m))
	}
	// The server users run (`make dev`): file-backed, unless
	// BENCH_TEMPORAL=memory asks for the in-memory one.
	dbFile := ""
	if os.Getenv("BENCH_TEMPORAL") != "memory" {
		dir, err := os.MkdirTemp("", "switchboard-bench-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		dbFile = filepath.Join(dir, "temporal.db")
	}
	fmt.Fprintf(os.Stderr, "bench: Temporal dev server %s\n", map[bool]string{true: "in memory (BENCH_TEMPORAL=memory)", false: "file-backed at " + dbFile}[dbFile == ""])
	temporalDBFile = dbFile
	// BENCH_TEMPORAL_ARGS adds server flags (e.g. another
	// --sqlite-pragma or --dynamic-config-value) to price a setting
	// against the same benchmark without them.
	temporalExtraArgs = strings.Fields(os.Getenv("BENCH_TEMPORAL_ARGS"))
	if len(temporalExtraArgs) > 0 {
		fmt.Fprintf(os.Stderr, "bench: extra server flags %q\n", temporalExtraArgs)
	}
	code := harness.RunWithTemporalFile(m, "bench", dbFile, func(s *testsuite.DevServer) {
		temporalServer, temporalAddr = s, s.FrontendHostPort()
	}, temporalExtraArgs...)
	if dbFile != "" {
		_ = os.RemoveAll(filepath.Dir(dbFile))
	}
	os.Exit(code)
}

// runOnProduction runs the benchmarks on a production Temporal server
// started for the run and returns m.Run's code.
func runOnProduction(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	srv, err := testenv.StartProductionTemporal(ctx)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: cannot start the production Temporal server:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "bench: production Temporal server %s on PostgreSQL at %s (pid %d, log %s)\n",
		testenv.TemporalServerVersion, srv.FrontendHostPort(), srv.PID(), srv.LogFile())
	productionServer, temporalAddr = srv, srv.FrontendHostPort()
	code := m.Run()
	if err := srv.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
	}
	return code
}

// fanOut calls do(0) … do(n-1) from clients goroutines and returns when
// all calls have returned.
func fanOut(n, clients int, do func(i int)) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := range jobs {
				do(i)
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

// envInt reads a size knob such as BENCH_EVENTS.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// percentiles returns p50, p95 and p99 of ds.
func percentiles(ds []time.Duration) (p50, p95, p99 time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return at(0.50), at(0.95), at(0.99)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func report(b *testing.B, prefix string, ds []time.Duration) {
	p50, p95, p99 := percentiles(ds)
	b.ReportMetric(ms(p50), prefix+"p50_ms")
	b.ReportMetric(ms(p95), prefix+"p95_ms")
	b.ReportMetric(ms(p99), prefix+"p99_ms")
	b.Logf("%s n=%d p50=%.1fms p95=%.1fms p99=%.1fms", prefix, len(ds), ms(p50), ms(p95), ms(p99))
}
