package service

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/internal/storetest"
	"github.com/switchboardhq/switchboard/live"
	"github.com/switchboardhq/switchboard/models"
)

// failingTemporal is a Temporal client whose workflow starts always fail.
type failingTemporal struct{ client.Client }

func (failingTemporal) ExecuteWorkflow(context.Context, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	return nil, errors.New("temporal is unreachable")
}

func newTestService(t *testing.T, tc client.Client) (*Services, string) {
	t.Helper()
	st := storetest.SQLite(t)
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.AllowInsecureURLs = true
	// Test receivers are on loopback, let through the SSRF allow-list.
	cfg.OutboundAllowCIDRs = strings.Split(config.LoopbackCIDRs, ",")
	svc := New(Deps{Store: st, Temporal: tc, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, cfg)
	org, err := svc.Orgs.CreateOrg(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	return svc, org.Org.ID
}

func TestLookupThatCannotStartIsFinishedAsFailed(t *testing.T) {
	ctx := context.Background()
	svc, orgID := newTestService(t, failingTemporal{})
	if _, _, err := svc.BackendConnect.SaveBackendConnect(ctx, orgID, BackendConnectInput{URL: "http://127.0.0.1:1/lookup"}); err != nil {
		t.Fatal(err)
	}
	res, err := svc.Widget.PostWidgetMessage(ctx, orgID, WidgetCaller{Trusted: true}, WidgetMessageInput{VisitorID: "v1", Text: "hi"})
	if err != nil {
		t.Fatalf("the message must be accepted even when the lookup cannot start: %v", err)
	}
	if res.LookupID == "" || !res.Created {
		t.Fatalf("result: %+v", res)
	}
	p, err := svc.Conversations.GetCustomer(ctx, orgID, res.ConversationID)
	if err != nil || p.Status != models.ProfileFailed || p.Error == "" {
		t.Fatalf("profile: %+v %v", p, err)
	}
	l, _, err := svc.Conversations.GetLookup(ctx, orgID, res.LookupID)
	if err != nil || l.Status != models.LookupFailed || l.CompletedAt == nil {
		t.Fatalf("lookup: %+v %v", l, err)
	}

	// A refresh that cannot start fails the same way, and says so.
	ch, cancel := svc.Hub.Subscribe(live.Profile(res.ConversationID))
	defer cancel()
	if _, err := svc.Conversations.RefreshCustomer(ctx, orgID, res.ConversationID); err == nil {
		t.Fatal("refresh: want an error")
	}
	select {
	case <-ch:
	case <-time.After(time.Second):
		t.Fatal("no notification for the failed refresh")
	}
	ls, _ := svc.Conversations.ListLookups(ctx, orgID, res.ConversationID)
	if len(ls) != 2 || ls[0].Status != models.LookupFailed {
		t.Fatalf("lookups: %+v", ls)
	}
}

func TestBackendConnectSecretShownOnce(t *testing.T) {
	ctx := context.Background()
	svc, orgID := newTestService(t, nil)
	cfg, secret, err := svc.BackendConnect.SaveBackendConnect(ctx, orgID, BackendConnectInput{URL: "https://backend.example/lookup"})
	if err != nil || secret == "" || reveal(t, cfg.Secret) != secret || cfg.UserTokenField != models.DefaultUserTokenField ||
		cfg.SignatureHeader != models.DefaultBackendSignatureHeader || !cfg.Enabled {
		t.Fatalf("first save: %+v %q %v", cfg, secret, err)
	}
	off := false
	cfg2, again, err := svc.BackendConnect.SaveBackendConnect(ctx, orgID, BackendConnectInput{URL: "https://backend.example/v2", Enabled: &off})
	if err != nil || again != "" || reveal(t, cfg2.Secret) != secret || cfg2.Enabled || cfg2.URL != "https://backend.example/v2" {
		t.Fatalf("second save: %+v %q %v", cfg2, again, err)
	}
	rotated, err := svc.BackendConnect.RotateBackendConnectSecret(ctx, orgID)
	if err != nil || rotated == secret {
		t.Fatalf("rotate: %q %v", rotated, err)
	}
	if got, _ := svc.BackendConnect.GetBackendConnect(ctx, orgID); reveal(t, got.Secret) != rotated {
		t.Fatal("rotation did not replace the stored secret")
	}
}

func TestValidOrigins(t *testing.T) {
	for _, ok := range []string{"*", "https://app.example.com", "http://localhost:3000", "https://[::1]:8443", "http://127.0.0.1"} {
		if _, err := validOrigins([]string{ok}); err != nil {
			t.Errorf("%q rejected: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "null", "app.example.com", "https://app.example.com/", "https://app.example.com/x",
		"https://app.example.com?q", "https://app.example.com#f", "ftp://app.example.com", "https://u@app.example.com",
		"HTTPS://APP.EXAMPLE.COM", "https://app.example.com:", "https://"} {
		if _, err := validOrigins([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	got, err := validOrigins([]string{"https://a.example", "https://a.example"})
	if err != nil || len(got) != 1 {
		t.Fatalf("duplicates: %v %v", got, err)
	}
	if got, _ := validOrigins(nil); got == nil || len(got) != 0 {
		t.Fatalf("empty list must stay an empty list, got %#v", got)
	}
}

func reveal(t *testing.T, s models.Secret) string {
	t.Helper()
	p, err := s.Reveal()
	if err != nil {
		t.Fatal(err)
	}
	return p
}
