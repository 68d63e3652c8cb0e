package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/internal/storetest"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
	"github.com/switchboardhq/switchboard/store"
)

// limitedRoleURL creates a throw-away login role limited to one
// connection, owning a fresh database (connection limits do not apply to
// superusers), and returns its URL. The role is dropped after the database.
func limitedRoleURL(t *testing.T) string {
	t.Helper()
	ctx := t.Context()
	base := testenv.DefaultPostgresURL
	if v := os.Getenv(testenv.PostgresURLEnv); v != "" {
		base = v
	}
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	var suffix [6]byte
	_, _ = rand.Read(suffix[:])
	role := "sbtest_lim_" + hex.EncodeToString(suffix[:])
	ident := pgx.Identifier{role}.Sanitize()
	if _, err := admin.Exec(ctx, "CREATE ROLE "+ident+" LOGIN CONNECTION LIMIT 1"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("drop role %s: %v", role, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP ROLE IF EXISTS "+ident); err != nil {
			t.Errorf("drop role %s: %v", role, err)
		}
	})
	dbURL := testenv.Postgres(t) // dropped before the role (cleanups run last first)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	db := pgx.Identifier{strings.TrimPrefix(u.Path, "/")}.Sanitize()
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+db+" OWNER TO "+ident); err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	return u.String()
}

// TestDatabaseOutOfConnectionsAnswers503: with every connection the role
// may open taken, PostgreSQL refuses new ones (SQLSTATE 53300); the API
// answers 503 unavailable with Retry-After on every route kind, and the
// store reports models.ErrUnavailable.
func TestDatabaseOutOfConnectionsAnswers503(t *testing.T) {
	dsn := limitedRoleURL(t)
	st := storetest.Open(t, dsn, "")
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(service.Deps{Store: st, Log: log}, cfg)
	org, err := svc.Orgs.CreateOrg(t.Context(), "t")
	if err != nil {
		t.Fatal(err)
	}
	// No idle connection kept: the one slot goes to the holder below.
	if err := st.SetPool(store.Pool{MaxOpen: 4, MaxIdle: 0}); err != nil {
		t.Fatal(err)
	}
	// The backend of the closed idle connection may take a moment to exit.
	var holder *pgx.Conn
	for deadline := time.Now().Add(30 * time.Second); holder == nil; {
		if holder, err = pgx.Connect(t.Context(), dsn); err != nil && time.Now().After(deadline) {
			t.Fatalf("the holder cannot take the role's connection: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	defer holder.Close(context.Background())

	if _, err := st.GetWebhook(t.Context(), org.Org.ID, "wh_x"); !errors.Is(err, models.ErrUnavailable) {
		t.Fatalf("store error %v, want ErrUnavailable", err)
	}
	h := contractChecked(t, New(svc, SettingsFrom(cfg), log))
	for _, rq := range []struct{ method, path, body string }{
		{"GET", "/healthz", ""},
		{"GET", "/v1/webhooks", ""},
		{"POST", "/v1/events", `{"type":"contact.created","data":{"contact":{"id":"c"}}}`},
	} {
		req := httptest.NewRequest(rq.method, rq.path, strings.NewReader(rq.body))
		req.Header.Set("Authorization", "Bearer "+org.SecretKey)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"code":"unavailable"`) ||
			rec.Header().Get("Retry-After") == "" {
			t.Errorf("%s %s: got %d %s (Retry-After %q), want 503 unavailable with Retry-After",
				rq.method, rq.path, rec.Code, rec.Body.String(), rec.Header().Get("Retry-After"))
		}
	}
}

// TestTemporalUnreachableAnswers503: a Temporal frontend that does not
// answer (nothing listens on its loopback port, as with a stopped dev
// server) makes a route that starts a workflow answer 503 with Retry-After.
func TestTemporalUnreachableAnswers503(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // the port is now closed: connections are refused
	tc, err := client.NewLazyClient(client.Options{HostPort: addr,
		Logger: tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	st := storetest.SQLite(t)
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.DeliveryTimeout = time.Second // bounds the test send's wait on Temporal
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(service.Deps{Store: st, Temporal: tc, Log: log}, cfg)
	org, err := svc.Orgs.CreateOrg(t.Context(), "t")
	if err != nil {
		t.Fatal(err)
	}
	h := contractChecked(t, New(svc, SettingsFrom(cfg), log))
	var w struct{ ID string }
	created, _, body := do(t, h, org.SecretKey, "POST", "/v1/webhooks", `{"url":"https://a.example/h","event_types":["contact.created"]}`)
	if err := json.Unmarshal(body, &w); created != http.StatusCreated || err != nil {
		t.Fatalf("create webhook: %d %s", created, body)
	}
	status, e, raw := do(t, h, org.SecretKey, "POST", "/v1/webhooks/"+w.ID+"/test", `{"event_type":"contact.created"}`)
	if status != http.StatusServiceUnavailable || e.Error.Code != "unavailable" {
		t.Fatalf("test send with Temporal down: %d %s, want 503 unavailable", status, raw)
	}
}
