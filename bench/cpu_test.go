package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// cpu is the CPU time (user + system) used so far by the processes a run
// involves, read from /proc (Linux). bench is this process: Switchboard's
// API and worker, and also the load generator and the receivers. postgres
// sums every postgres process on the machine, so it is only meaningful on
// a machine where nothing else uses the database.
type cpu struct{ bench, temporal, postgres time.Duration }

// clockTick is USER_HZ, 100 on every Linux this runs on.
const clockTick = 10 * time.Millisecond

// readCPU reads it with the Temporal server found by its frontend address
// (config.Config.TemporalAddress): a dev server by its command line, the
// production server (BENCH_TEMPORAL=production) by the pid testenv gives.
func readCPU(b *testing.B, temporalAddr string) cpu {
	var out cpu
	out.bench = procCPU(b, "self")
	port := temporalAddr[strings.LastIndexByte(temporalAddr, ':')+1:]
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		pid := filepath.Base(dir)
		comm, err := os.ReadFile(filepath.Join(dir, "comm"))
		if err != nil {
			continue // the process ended
		}
		switch strings.TrimSpace(string(comm)) {
		case "postgres":
			out.postgres += procCPU(b, pid)
		case "temporal":
			// Only processes named temporal have their command line read.
			if cmd, _ := os.ReadFile(filepath.Join(dir, "cmdline")); testenv.IsDevServer(cmd, port) {
				out.temporal += procCPU(b, pid)
			}
		case "temporal-server": // comm of bin/temporal-server
			if productionServer != nil && productionServer.FrontendHostPort() == temporalAddr && pid == strconv.Itoa(productionServer.PID()) {
				out.temporal += procCPU(b, pid)
			}
		}
	}
	return out
}

// procCPU reads utime + stime of one process (0 if it has ended).
func procCPU(b *testing.B, pid string) time.Duration {
	raw, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	// Fields after "(comm) ": state is the first, utime the 12th, stime the 13th.
	rest := raw[bytes.LastIndexByte(raw, ')')+2:]
	f := strings.Fields(string(rest))
	if len(f) < 13 {
		b.Fatalf("/proc/%s/stat: %q", pid, raw)
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * clockTick
}

// since is the CPU used from c0 to c.
func (c cpu) since(c0 cpu) cpu {
	return cpu{bench: c.bench - c0.bench, temporal: c.temporal - c0.temporal, postgres: c.postgres - c0.postgres}
}

// reportPer1k reports CPU-seconds per 1,000 deliveries for each process.
func (c cpu) reportPer1k(b *testing.B, prefix string, n int) {
	per := func(d time.Duration) float64 { return per1k(d, n) }
	b.ReportMetric(per(c.bench), prefix+"cpu_s/1k_bench_process")
	b.ReportMetric(per(c.temporal), prefix+"cpu_s/1k_temporal")
	b.ReportMetric(per(c.postgres), prefix+"cpu_s/1k_postgres")
	b.Logf("%sCPU-seconds per 1,000: bench process %.2f, temporal %.2f, postgres %.2f", prefix, per(c.bench), per(c.temporal), per(c.postgres))
}

// settle waits until the Temporal server and this process are idle (each
// under a tenth of a core over half a second), at most a minute, so that a
// phase does not start while the server still works off the previous
// one's backlog (visibility writes, completions: the last delivery reaching
// its receiver is not the end of the server's work, and on a slow disk its
// single SQLite connection lags seconds behind). It logs how long it waited.
func settle(b *testing.B, temporalAddr, phase string) {
	const window, idle, most = 500 * time.Millisecond, 50 * time.Millisecond, time.Minute
	start := time.Now()
	prev := readCPU(b, temporalAddr)
	for time.Since(start) < most {
		time.Sleep(window)
		cur := readCPU(b, temporalAddr)
		used := cur.since(prev)
		prev = cur
		if used.temporal < idle && used.bench < idle {
			b.Logf("settled before %s after %.1f s", phase, time.Since(start).Seconds())
			return
		}
	}
	b.Logf("not settled before %s after %s: measuring anyway", phase, most)
}
