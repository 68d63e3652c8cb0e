package main

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// TestWorkerServesMetrics runs the real `worker` command with
// SWITCHBOARD_WORKER_METRICS_ADDR: a worker-only process (the compose
// layout's worker service) serves its Temporal SDK series on its own
// listener and stops cleanly on SIGTERM.
func TestWorkerServesMetrics(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	b := newTestBinary(t, "workermetrics",
		"SWITCHBOARD_DATABASE_URL="+testenv.Postgres(t),
		"SWITCHBOARD_DB_MAX_OPEN_CONNS=10",
		"SWITCHBOARD_WORKER_METRICS_ADDR="+addr,
	)
	b.migrate(t)
	w := b.command("worker")
	var stderr lockedBuffer
	w.Stderr = &stderr
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- w.Wait() }()
	t.Cleanup(func() {
		if w.ProcessState == nil {
			_ = w.Process.Kill()
			<-exited
		}
	})
	base := "http://" + addr
	waitHealthy(t, base, exited)

	// The SDK's series appear once the pollers run.
	want := []*regexp.Regexp{
		regexp.MustCompile(`(?m)^temporal_worker_start(_total)?\{[^}]*worker_type="WorkflowWorker"`),
		regexp.MustCompile(`(?m)^temporal_num_pollers\{`),
		regexp.MustCompile(`(?m)^temporal_worker_task_slots_available\{`),
	}
	var body []byte
	deadline := time.Now().Add(30 * time.Second)
	for missing := want; len(missing) > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("worker /metrics never showed %v:\n%s", missing, body)
		}
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		missing = missing[:0:0]
		for _, re := range want {
			if !re.Match(body) {
				missing = append(missing, re)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}

	if err := w.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("worker exited with %v after SIGTERM:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not stop after SIGTERM")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("the metrics listener still answers after the worker stopped")
	}
}
