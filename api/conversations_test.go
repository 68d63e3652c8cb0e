package api

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
	"github.com/switchboardhq/switchboard/store"
)

// A lookup finished by a worker in another process never reaches this
// process's hub: the stream must still deliver it, on the keepalive tick.
func TestCustomerEventsSeeLookupsFinishedElsewhere(t *testing.T) {
	defer func(d time.Duration) { sseKeepalive = d }(sseKeepalive)
	sseKeepalive = 100 * time.Millisecond

	ctx := context.Background()
	st, err := store.Open("", t.TempDir()+"/sse.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(service.Deps{Store: st, Log: log}, cfg)
	org, err := svc.Orgs.CreateOrg(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	conv := &models.Conversation{ID: "conv_1", OrgID: org.Org.ID, VisitorID: "v1"}
	lookup := &models.Lookup{ID: "lkp_1", OrgID: org.Org.ID, ConversationID: conv.ID, Trigger: models.TriggerFirstMessage, Status: models.LookupPending}
	profile := &models.CustomerProfile{ConversationID: conv.ID, OrgID: org.Org.ID, VisitorID: "v1", Status: models.ProfilePending}
	if err := st.CreateConversationWithMessage(ctx, conv, nil, nil, profile, lookup); err != nil {
		t.Fatal(err)
	}
	// Read and write deadlines far shorter than the stream's life: the
	// stream must be exempt from both (streamDeadlines, bodyDeadline), or
	// it ends before the change below.
	srv := httptest.NewUnstartedServer(contractChecked(t, New(svc, SettingsFrom(cfg), log))) // 127.0.0.1
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = 100*time.Millisecond, 100*time.Millisecond
	srv.Start()
	defer srv.Close()

	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(rctx, "GET", srv.URL+"/v1/conversations/conv_1/customer/events", nil)
	req.Header.Set("Authorization", "Bearer "+org.SecretKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var keepalives int
	nextProfile := func() customerView {
		t.Helper()
		for sc.Scan() {
			line := sc.Text()
			if line == ": keepalive" {
				keepalives++
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				var v customerView
				if err := json.Unmarshal([]byte(data), &v); err != nil {
					t.Fatal(err)
				}
				return v
			}
		}
		t.Fatalf("stream ended: %v", sc.Err())
		return customerView{}
	}
	if v := nextProfile(); v.Status != string(models.ProfilePending) {
		t.Fatalf("initial event: %+v", v)
	}
	time.Sleep(250 * time.Millisecond) // a few idle ticks: nothing changed, nothing sent
	// Finished "in another process": straight in the store, no hub publish.
	if err := st.FinishLookup(ctx, "lkp_1", &models.CustomerProfile{Name: "Ada"}, models.LookupOK, ""); err != nil {
		t.Fatal(err)
	}
	v := nextProfile()
	if v.Status != string(models.ProfileOK) || v.Profile == nil || v.Profile.Name != "Ada" {
		t.Fatalf("event after the remote lookup: %+v", v)
	}
	if keepalives < 2 {
		t.Fatalf("saw %d keepalive comments before the change, want several", keepalives)
	}
}
