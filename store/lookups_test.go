package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

func TestLookupLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		f := newBCFixture(t, st)
		url := "https://a.example/hook"

		// Attempt 1 fails; re-recording it (a retried activity) overwrites.
		for range 2 {
			a1 := &models.Attempt{ParentID: f.lookup.ID, Number: 1, URL: url, ResponseStatus: 500, Error: "HTTP 500",
				RequestHeaders: map[string]string{"X-Talki-Signature": "abc"}}
			if err := st.RecordLookupAttempt(ctx, a1, models.LookupRetrying); err != nil {
				t.Fatal(err)
			}
		}
		l, err := st.LookupByID(ctx, f.lookup.ID)
		if err != nil || l.Attempts != 1 || l.Status != models.LookupRetrying || l.CompletedAt != nil {
			t.Fatalf("after attempt 1: %+v %v", l, err)
		}
		a2 := &models.Attempt{ParentID: f.lookup.ID, Number: 2, URL: url, ResponseStatus: 200, ResponseBody: `{"name":"Alice"}`}
		if err := st.RecordLookupAttempt(ctx, a2, models.LookupOK); err != nil {
			t.Fatal(err)
		}
		attempts, err := st.Attempts(ctx, f.lookup.ID)
		if err != nil || len(attempts) != 2 || attempts[0].Error != "HTTP 500" || attempts[0].RequestHeaders["X-Talki-Signature"] != "abc" ||
			attempts[1].ResponseBody != `{"name":"Alice"}` {
			t.Fatalf("attempts: %+v %v", attempts, err)
		}
		if err := st.RecordLookupAttempt(ctx, &models.Attempt{ParentID: "lkp_missing", Number: 1, URL: url}, models.LookupOK); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("attempt of a missing lookup: %v", err)
		}

		fetched := store.Now().Add(-time.Second)
		prof := &models.CustomerProfile{Name: "Alice", Email: "alice@example.com", Plan: "pro",
			Fields: map[string]any{"mrr": 149, "company": "Acme", "vip": true, "note": nil}, FetchedAt: &fetched}
		if err := st.FinishLookup(ctx, f.lookup.ID, prof, models.LookupOK, ""); err != nil {
			t.Fatal(err)
		}
		l, _ = st.LookupByID(ctx, f.lookup.ID)
		if l.Status != models.LookupOK || l.CompletedAt == nil || l.Attempts != 2 || l.Error != "" {
			t.Fatalf("finished lookup: %+v", l)
		}
		p, err := st.GetCustomerProfile(ctx, f.orgID, f.conv.ID)
		if err != nil || p.Status != models.ProfileOK || p.Name != "Alice" || p.Email != "alice@example.com" || p.Plan != "pro" ||
			p.Fields["mrr"] != float64(149) || p.Fields["company"] != "Acme" || p.Fields["vip"] != true ||
			p.FetchedAt == nil || !p.FetchedAt.Equal(fetched) || p.VisitorID != "user-42" || p.OrgID != f.orgID {
			t.Fatalf("profile after ok: %+v %v", p, err)
		}

		// A late duplicate attempt does not reopen a finished lookup.
		if err := st.RecordLookupAttempt(ctx, &models.Attempt{ParentID: f.lookup.ID, Number: 2, URL: url, ResponseStatus: 200}, models.LookupRetrying); err != nil {
			t.Fatal(err)
		}
		if l, _ = st.LookupByID(ctx, f.lookup.ID); l.Status != models.LookupOK {
			t.Fatalf("finished lookup reopened: %+v", l)
		}

		// An operator's refresh: the profile goes pending but keeps its data.
		refresh := models.Lookup{ID: models.NewID("lkp"), OrgID: f.orgID, ConversationID: f.conv.ID, Trigger: models.TriggerRefresh}
		if err := st.CreateLookup(ctx, &refresh); err != nil {
			t.Fatal(err)
		}
		if refresh.Status != models.LookupPending || refresh.CreatedAt.IsZero() {
			t.Fatalf("refresh defaults: %+v", refresh)
		}
		p, _ = st.GetCustomerProfile(ctx, f.orgID, f.conv.ID)
		if p.Status != models.ProfilePending || p.Name != "Alice" {
			t.Fatalf("profile during refresh: %+v", p)
		}

		// The refresh fails: the good data stays, the error is shown.
		long := strings.Repeat("é", 1500) // beyond varchar(1000), multi-byte
		if err := st.FinishLookup(ctx, refresh.ID, nil, models.LookupFailed, long); err != nil {
			t.Fatal(err)
		}
		p, _ = st.GetCustomerProfile(ctx, f.orgID, f.conv.ID)
		if p.Status != models.ProfileFailed || p.Name != "Alice" || p.Email != "alice@example.com" || p.Plan != "pro" ||
			p.Fields["company"] != "Acme" || p.FetchedAt == nil || !p.FetchedAt.Equal(fetched) || p.Error != strings.Repeat("é", 1000) {
			t.Fatalf("profile after failed refresh lost data: %+v", p)
		}
		l, _ = st.LookupByID(ctx, refresh.ID)
		if l.Status != models.LookupFailed || l.CompletedAt == nil || l.Error != strings.Repeat("é", 1000) {
			t.Fatalf("failed lookup: %+v", l)
		}

		lookups, err := st.ListLookups(ctx, f.orgID, f.conv.ID)
		if err != nil || len(lookups) != 2 {
			t.Fatalf("list: %+v %v", lookups, err)
		}
		if other, _ := st.ListLookups(ctx, "org_other", f.conv.ID); len(other) != 0 {
			t.Fatalf("other org sees lookups: %+v", other)
		}
		if err := st.FinishLookup(ctx, "lkp_missing", nil, models.LookupFailed, "x"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("finish a missing lookup: %v", err)
		}
	})
}

func TestCreateLookupCreatesMissingProfile(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		orgID := models.NewID("org")
		conv := models.Conversation{ID: models.NewID("cnv"), OrgID: orgID, VisitorID: "u-7"}
		msg := models.Message{ID: models.NewID("msg"), OrgID: orgID, ConversationID: conv.ID, Sender: "visitor", Text: "x"}
		if err := st.CreateConversationWithMessage(ctx, &conv, nil, &msg, nil, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := st.GetCustomerProfile(ctx, orgID, conv.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("no profile expected yet: %v", err)
		}
		l := models.Lookup{ID: models.NewID("lkp"), OrgID: orgID, ConversationID: conv.ID, Trigger: models.TriggerRefresh}
		if err := st.CreateLookup(ctx, &l); err != nil {
			t.Fatal(err)
		}
		p, err := st.GetCustomerProfile(ctx, orgID, conv.ID)
		if err != nil || p.Status != models.ProfilePending || p.VisitorID != "u-7" || p.OrgID != orgID {
			t.Fatalf("created profile: %+v %v", p, err)
		}
		// Skipped at run time: the status changes, no data appears.
		if err := st.FinishLookup(ctx, l.ID, nil, models.LookupSkipped, "Backend Connect is disabled"); err != nil {
			t.Fatal(err)
		}
		p, _ = st.GetCustomerProfile(ctx, orgID, conv.ID)
		if p.Status != models.ProfileSkipped || p.Error != "Backend Connect is disabled" || p.Name != "" || p.FetchedAt != nil {
			t.Fatalf("skipped profile: %+v", p)
		}

		// A lookup for a conversation of another org is refused.
		stray := models.Lookup{ID: models.NewID("lkp"), OrgID: "org_other", ConversationID: conv.ID, Trigger: models.TriggerRefresh}
		if err := st.CreateLookup(ctx, &stray); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("cross-org lookup: %v", err)
		}
		if _, err := st.LookupByID(ctx, stray.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("cross-org lookup was stored: %v", err)
		}
	})
}
