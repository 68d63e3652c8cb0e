package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/models"
)

// /metrics serves the Temporal SDK's own metrics (through OpenTelemetry's
// Prometheus exporter) beside Switchboard's, and the queue lag of first
// attempts as a histogram.
func TestMetricsExportTemporalSDKAndQueueLag(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	p.createWebhook(r, nil)
	before := p.metric(t, "switchboard_delivery_queue_lag_seconds_count")
	ev := p.sendEvent(contactEvent)
	p.waitStatus(ev.Deliveries[0].ID, models.StatusSucceeded)
	if after := p.metric(t, "switchboard_delivery_queue_lag_seconds_count"); after != before+1 {
		t.Fatalf("queue lag observations %v -> %v, want one more", before, after)
	}
	resp, err := http.Get(p.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, name := range []string{
		`temporal_request(_total)?\{[^}]*operation="StartWorkflowExecution"`,
		`temporal_workflow_completed(_total)?\{[^}]*workflow_type="Delivery"`,
		`temporal_(local_)?activity_execution_latency[a-z_]*_bucket\{`,
		`temporal_worker_task_slots_available\{`,
	} {
		if !regexp.MustCompile(name).Match(body) {
			t.Errorf("/metrics has no Temporal SDK series matching %s", name)
		}
	}
	checkDashboard(t, body)
}

// checkDashboard keeps deploy/grafana/switchboard.json true: every metric
// its queries read is one /metrics serves (after one delivery), and every
// label a query groups by is on that metric's series.
func checkDashboard(t *testing.T, metrics []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "deploy", "grafana", "switchboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string
		Panels []struct {
			ID      int
			Type    string
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &d); err != nil || d.UID == "" {
		t.Fatalf("dashboard JSON: %v (uid %q)", err, d.UID)
	}
	// Series names and the labels each carries, from the exposition text.
	labels := map[string]map[string]bool{}
	series := regexp.MustCompile(`(?m)^([a-z_:][a-z0-9_:]*)(?:\{([^}]*)\})? `)
	labelName := regexp.MustCompile(`([a-z_]+)="`)
	for _, m := range series.FindAllSubmatch(metrics, -1) {
		name := string(m[1])
		if labels[name] == nil {
			labels[name] = map[string]bool{}
		}
		for _, kv := range labelName.FindAllSubmatch(m[2], -1) {
			labels[name][string(kv[1])] = true
		}
	}
	metricRef := regexp.MustCompile(`\b((?:switchboard|temporal)_[a-z0-9_]+)`)
	byClause := regexp.MustCompile(`by \(([^)]*)\)`)
	ids, queries := map[int]bool{}, 0
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		for _, tg := range p.Targets {
			queries++
			names := metricRef.FindAllString(tg.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q: query %q reads no Switchboard or Temporal metric", p.Title, tg.Expr)
			}
			for _, name := range names {
				ls, ok := labels[name]
				if !ok {
					t.Errorf("panel %q reads %s, which /metrics does not serve", p.Title, name)
					continue
				}
				for _, by := range byClause.FindAllStringSubmatch(tg.Expr, -1) {
					for _, l := range strings.Split(by[1], ",") {
						if l = strings.TrimSpace(l); l != "le" && !ls[l] {
							t.Errorf("panel %q groups %s by %q, a label it does not have", p.Title, name, l)
						}
					}
				}
			}
		}
	}
	if queries < 10 {
		t.Fatalf("the dashboard has %d queries", queries)
	}
}
