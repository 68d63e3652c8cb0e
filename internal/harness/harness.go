// Package harness builds a whole Switchboard platform for end-to-end tests
// and benchmarks: the real API and worker against a Temporal dev server and
// a fresh PostgreSQL database, reached over loopback HTTP.
package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/internal/contracttest"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// Platform is one Switchboard instance with its own database and task queue.
type Platform struct {
	t      testing.TB
	App    *app.App
	URL    string
	Key    string
	PubKey string
	OrgID  string
}

// Config is a test configuration: a fresh PostgreSQL database, the given
// Temporal server, a task queue of the test's own, insecure URLs allowed.
func Config(t testing.TB, temporal *testsuite.DevServer) config.Config {
	t.Helper()
	return ConfigAt(t, temporal.FrontendHostPort())
}

// ConfigAt is Config for the Temporal frontend at temporalAddress
// (host:port), any server: the dev server or the production one
// (testenv.StartProductionTemporal).
func ConfigAt(t testing.TB, temporalAddress string) config.Config {
	t.Helper()
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.DatabaseURL = testenv.Postgres(t)
	cfg.TemporalAddress = temporalAddress
	cfg.TaskQueue = "e2e-" + t.Name()
	cfg.AllowInsecureURLs = true
	// Receivers run on loopback: allow it through the SSRF guard's
	// allow-list, never by switching the guard off.
	cfg.OutboundAllowCIDRs = strings.Split(config.LoopbackCIDRs, ",")
	cfg.DeliveryTimeout = 5 * time.Second
	cfg.SweepInterval = time.Hour // tests call Sweep themselves
	cfg.UploadDir = t.TempDir()   // never the package directory
	// serve and worker refuse to run without a key; tests seal like production.
	cfg.SecretKey = app.NewSecretKey()
	return cfg
}

// New starts a platform on cfg (see Config) with a fresh org: API and
// worker in one process, as `serve` runs them.
func New(t testing.TB, cfg config.Config) *Platform {
	t.Helper()
	return Start(t, cfg, app.Parts{API: true, Worker: true})
}

// Start migrates the database and starts the given parts of a platform on
// cfg; with the API among them it is served over loopback HTTP for a fresh
// org. Tests that split the API and the worker into two processes call it
// twice on one cfg.
func Start(t testing.TB, cfg config.Config, parts app.Parts) *Platform {
	t.Helper()
	return StartLogged(t, cfg, parts, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// StartLogged is Start with the platform's logger given, so a test can read
// what the platform logs (e.g. that no secret is ever in it).
func StartLogged(t testing.TB, cfg config.Config, parts app.Parts, log *slog.Logger) *Platform {
	t.Helper()
	ctx := t.Context()
	if err := app.Migrate(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	a, err := app.Start(ctx, cfg, log, parts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	p := &Platform{t: t, App: a}
	if !parts.API {
		return p
	}
	// Every exchange an end-to-end test makes is checked against the
	// OpenAPI document the binary serves (contracttest).
	srv := httptest.NewServer(contracttest.FromServer(t, a.Handler).Wrap(t, a.Handler))
	t.Cleanup(srv.Close)
	org, err := a.Services.Orgs.CreateOrg(ctx, "e2e")
	if err != nil {
		t.Fatal(err)
	}
	p.URL, p.Key, p.PubKey, p.OrgID = srv.URL, org.SecretKey, org.PublicKey, org.Org.ID
	return p
}

// Call sends a JSON request with the org's secret key and decodes the answer.
func (p *Platform) Call(method, path string, body any, out any) int {
	p.t.Helper()
	return p.CallWith(p.Key, method, path, body, out)
}

// CallWith is Call with another key ("" for none).
func (p *Platform) CallWith(key, method, path string, body any, out any) int {
	p.t.Helper()
	var rdr io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rdr = bytes.NewBufferString(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			p.t.Fatal(err)
		}
		rdr = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(p.t.Context(), method, p.URL+path, rdr)
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			p.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

// Eventually polls cond until it holds or the deadline passes. It waits for
// asynchronous work; it does not measure speed.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// T is the test or benchmark the platform belongs to.
func (p *Platform) T() testing.TB { return p.t }

// RunWithTemporal runs a test binary's tests and benchmarks against one
// Temporal dev server started for the whole run, handed to use before
// m.Run, and exits with m.Run's code. Failing to start the server fails the
// run: integration tests never skip.
func RunWithTemporal(m *testing.M, label string, use func(*testsuite.DevServer)) {
	os.Exit(RunWithTemporalFile(m, label, "", use))
}

// RunWithTemporalFile is RunWithTemporal with the server's state in the
// SQLite file dbFile ("" keeps it in memory); it returns the exit code
// instead of exiting, so the caller can remove the file first.
func RunWithTemporalFile(m *testing.M, label, dbFile string, use func(*testsuite.DevServer), extraArgs ...string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	srv, err := testenv.StartTemporalFile(ctx, dbFile, extraArgs...)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: cannot start the Temporal dev server: %v\n", label, err)
		return 1
	}
	use(srv)
	code := m.Run()
	_ = srv.Stop()
	return code
}
