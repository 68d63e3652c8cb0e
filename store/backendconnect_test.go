package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/storetest"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// forEachBackend runs fn against a fresh SQLite store and a fresh PostgreSQL
// store. PostgreSQL being unreachable fails the test; it never skips.
func forEachBackend(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Helper()
	backends := []struct {
		name string
		open func(t *testing.T) *store.Store
	}{
		{"sqlite", func(t *testing.T) *store.Store { return storetest.SQLite(t) }},
		{"postgres", func(t *testing.T) *store.Store { return storetest.Open(t, testenv.Postgres(t), "") }},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b.open(t)) })
	}
}

// bcFixture is a conversation whose first message started a lookup.
type bcFixture struct {
	orgID  string
	conv   models.Conversation
	lookup models.Lookup
}

func newBCFixture(t *testing.T, st *store.Store) bcFixture {
	t.Helper()
	orgID := models.NewID("org")
	conv := models.Conversation{ID: models.NewID("cnv"), OrgID: orgID, VisitorID: "user-42"}
	ticket := models.Ticket{ID: models.NewID("tkt"), OrgID: orgID, ConversationID: conv.ID, Status: "open"}
	msg := models.Message{ID: models.NewID("msg"), OrgID: orgID, ConversationID: conv.ID, Sender: "visitor", Text: "hello"}
	profile := models.CustomerProfile{ConversationID: conv.ID, OrgID: orgID, VisitorID: conv.VisitorID, Status: models.ProfilePending}
	lookup := models.Lookup{ID: models.NewID("lkp"), OrgID: orgID, ConversationID: conv.ID, Trigger: models.TriggerFirstMessage, Status: models.ProfilePending}
	if err := st.CreateConversationWithMessage(t.Context(), &conv, &ticket, &msg, &profile, &lookup); err != nil {
		t.Fatal(err)
	}
	return bcFixture{orgID: orgID, conv: conv, lookup: lookup}
}

func TestBackendConnectConfig(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		orgID := models.NewID("org")
		if _, err := st.GetBackendConnect(ctx, orgID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("missing config: got %v, want ErrNotFound", err)
		}
		if err := st.SetBackendConnectSecret(ctx, orgID, "x"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("secret of missing config: got %v, want ErrNotFound", err)
		}

		c := models.BackendConnect{OrgID: orgID, URL: "https://a.example/hook", UserTokenField: "userToken",
			SignatureHeader: "X-Talki-Signature", Enabled: true, Secret: models.NewSecret("first")}
		if err := st.SaveBackendConnect(ctx, &c); err != nil {
			t.Fatal(err)
		}
		created := c.CreatedAt
		got, err := st.GetBackendConnect(ctx, orgID)
		if err != nil || got.URL != c.URL || reveal(got.Secret) != "first" || !got.Enabled || !got.CreatedAt.Equal(created) {
			t.Fatalf("round trip: %+v %v", got, err)
		}

		// An update changes the settings but never the secret.
		upd := models.BackendConnect{OrgID: orgID, URL: "https://b.example/hook", UserTokenField: "uid",
			SignatureHeader: "X-Sig", Enabled: false, Secret: models.NewSecret("ignored")}
		if err := st.SaveBackendConnect(ctx, &upd); err != nil {
			t.Fatal(err)
		}
		if reveal(upd.Secret) != "first" || !upd.CreatedAt.Equal(created) {
			t.Fatalf("save must return the stored row: secret %q created %v (want %v)", reveal(upd.Secret), upd.CreatedAt, created)
		}
		got, _ = st.GetBackendConnect(ctx, orgID)
		if got.URL != "https://b.example/hook" || got.UserTokenField != "uid" || got.SignatureHeader != "X-Sig" ||
			got.Enabled || reveal(got.Secret) != "first" {
			t.Fatalf("after update: %+v", got)
		}

		if err := st.SetBackendConnectSecret(ctx, orgID, "rotated"); err != nil {
			t.Fatal(err)
		}
		got, _ = st.GetBackendConnect(ctx, orgID)
		if reveal(got.Secret) != "rotated" || got.URL != "https://b.example/hook" {
			t.Fatalf("after rotation: %+v", got)
		}
		if _, err := st.GetBackendConnect(ctx, "org_other"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("other org: %v", err)
		}
	})
}

func TestConversationsAndMessages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		f := newBCFixture(t, st)
		got, err := st.GetConversation(ctx, f.orgID, f.conv.ID)
		if err != nil || got.VisitorID != "user-42" || got.CreatedAt.IsZero() {
			t.Fatalf("conversation: %+v %v", got, err)
		}
		if _, err := st.GetConversation(ctx, "org_other", f.conv.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("other org must not see the conversation: %v", err)
		}
		p, err := st.GetCustomerProfile(ctx, f.orgID, f.conv.ID)
		if err != nil || p.Status != models.ProfilePending || p.VisitorID != "user-42" {
			t.Fatalf("profile: %+v %v", p, err)
		}
		lookups, err := st.ListLookups(ctx, f.orgID, f.conv.ID)
		if err != nil || len(lookups) != 1 || lookups[0].ID != f.lookup.ID || lookups[0].Trigger != models.TriggerFirstMessage {
			t.Fatalf("lookups: %+v %v", lookups, err)
		}

		m := models.Message{ID: models.NewID("msg"), OrgID: f.orgID, ConversationID: f.conv.ID, Sender: "visitor", Text: "again"}
		if err := st.AddMessage(ctx, &m); err != nil {
			t.Fatal(err)
		}
		stray := models.Message{ID: models.NewID("msg"), OrgID: "org_other", ConversationID: f.conv.ID, Sender: "visitor", Text: "x"}
		if err := st.AddMessage(ctx, &stray); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("message into another org's conversation: %v", err)
		}

		// A message into an existing conversation, with nothing else.
		m2 := models.Message{ID: models.NewID("msg"), OrgID: f.orgID, ConversationID: f.conv.ID, Sender: "operator", Text: "hi"}
		if err := st.CreateConversationWithMessage(ctx, nil, nil, &m2, nil, nil); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCreateConversationIsAtomic(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		f := newBCFixture(t, st)
		// The lookup ID is taken, so the whole transaction must roll back:
		// no second conversation, no ticket, no message, no profile.
		orgID := models.NewID("org")
		conv := models.Conversation{ID: models.NewID("cnv"), OrgID: orgID, VisitorID: "v"}
		ticket := models.Ticket{ID: models.NewID("tkt"), OrgID: orgID, ConversationID: conv.ID, Status: "open"}
		msg := models.Message{ID: models.NewID("msg"), OrgID: orgID, ConversationID: conv.ID, Sender: "visitor", Text: "x"}
		profile := models.CustomerProfile{ConversationID: conv.ID, OrgID: orgID, VisitorID: "v", Status: models.ProfilePending}
		dup := models.Lookup{ID: f.lookup.ID, OrgID: orgID, ConversationID: conv.ID, Trigger: models.TriggerFirstMessage, Status: models.ProfilePending}
		err := st.CreateConversationWithMessage(ctx, &conv, &ticket, &msg, &profile, &dup)
		if !errors.Is(err, models.ErrConflict) {
			t.Fatalf("duplicate lookup: got %v, want ErrConflict", err)
		}
		if _, err := st.GetConversation(ctx, orgID, conv.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("conversation survived a rolled-back transaction: %v", err)
		}
		if _, err := st.GetCustomerProfile(ctx, orgID, conv.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("profile survived a rolled-back transaction: %v", err)
		}
		// The same conversation again is a conflict too.
		again := f.conv
		err = st.CreateConversationWithMessage(ctx, &again, nil,
			&models.Message{ID: models.NewID("msg"), OrgID: f.orgID, ConversationID: f.conv.ID, Sender: "visitor", Text: "x"}, nil, nil)
		if !errors.Is(err, models.ErrConflict) {
			t.Fatalf("duplicate conversation: got %v, want ErrConflict", err)
		}

		// Skipped: a profile without a lookup.
		conv2 := models.Conversation{ID: models.NewID("cnv"), OrgID: orgID}
		skipped := models.CustomerProfile{ConversationID: conv2.ID, OrgID: orgID, Status: models.ProfileSkipped, Error: "no visitor ID"}
		if err := st.CreateConversationWithMessage(ctx, &conv2, nil,
			&models.Message{ID: models.NewID("msg"), OrgID: orgID, ConversationID: conv2.ID, Sender: "visitor", Text: "x"}, &skipped, nil); err != nil {
			t.Fatal(err)
		}
		p, err := st.GetCustomerProfile(ctx, orgID, conv2.ID)
		if err != nil || p.Status != models.ProfileSkipped || p.Error != "no visitor ID" {
			t.Fatalf("skipped profile: %+v %v", p, err)
		}
	})
}

func TestLookupLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		f := newBCFixture(t, st)
		url := "https://a.example/hook"

		// Attempt 1 fails; re-recording it (a retried activity) overwrites.
		for range 2 {
			a1 := &models.Attempt{ParentID: f.lookup.ID, Number: 1, URL: url, ResponseStatus: 500, Error: "HTTP 500",
				RequestHeaders: map[string]string{"X-Talki-Signature": "abc"}}
			if err := st.RecordLookupAttempt(ctx, a1, models.StatusRetrying); err != nil {
				t.Fatal(err)
			}
		}
		l, err := st.LookupByID(ctx, f.lookup.ID)
		if err != nil || l.Attempts != 1 || l.Status != models.StatusRetrying || l.CompletedAt != nil {
			t.Fatalf("after attempt 1: %+v %v", l, err)
		}
		a2 := &models.Attempt{ParentID: f.lookup.ID, Number: 2, URL: url, ResponseStatus: 200, ResponseBody: `{"name":"Alice"}`}
		if err := st.RecordLookupAttempt(ctx, a2, models.ProfileOK); err != nil {
			t.Fatal(err)
		}
		attempts, err := st.Attempts(ctx, f.lookup.ID)
		if err != nil || len(attempts) != 2 || attempts[0].Error != "HTTP 500" || attempts[0].RequestHeaders["X-Talki-Signature"] != "abc" ||
			attempts[1].ResponseBody != `{"name":"Alice"}` {
			t.Fatalf("attempts: %+v %v", attempts, err)
		}
		if err := st.RecordLookupAttempt(ctx, &models.Attempt{ParentID: "lkp_missing", Number: 1, URL: url}, models.ProfileOK); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("attempt of a missing lookup: %v", err)
		}

		fetched := store.Now().Add(-time.Second)
		prof := &models.CustomerProfile{Name: "Alice", Email: "alice@example.com", Plan: "pro",
			Fields: map[string]any{"mrr": 149, "company": "Acme", "vip": true, "note": nil}, FetchedAt: &fetched}
		if err := st.FinishLookup(ctx, f.lookup.ID, prof, models.ProfileOK, ""); err != nil {
			t.Fatal(err)
		}
		l, _ = st.LookupByID(ctx, f.lookup.ID)
		if l.Status != models.ProfileOK || l.CompletedAt == nil || l.Attempts != 2 || l.Error != "" {
			t.Fatalf("finished lookup: %+v", l)
		}
		p, err := st.GetCustomerProfile(ctx, f.orgID, f.conv.ID)
		if err != nil || p.Status != models.ProfileOK || p.Name != "Alice" || p.Email != "alice@example.com" || p.Plan != "pro" ||
			p.Fields["mrr"] != float64(149) || p.Fields["company"] != "Acme" || p.Fields["vip"] != true ||
			p.FetchedAt == nil || !p.FetchedAt.Equal(fetched) || p.VisitorID != "user-42" || p.OrgID != f.orgID {
			t.Fatalf("profile after ok: %+v %v", p, err)
		}

		// A late duplicate attempt does not reopen a finished lookup.
		if err := st.RecordLookupAttempt(ctx, &models.Attempt{ParentID: f.lookup.ID, Number: 2, URL: url, ResponseStatus: 200}, models.StatusRetrying); err != nil {
			t.Fatal(err)
		}
		if l, _ = st.LookupByID(ctx, f.lookup.ID); l.Status != models.ProfileOK {
			t.Fatalf("finished lookup reopened: %+v", l)
		}

		// An operator's refresh: the profile goes pending but keeps its data.
		refresh := models.Lookup{ID: models.NewID("lkp"), OrgID: f.orgID, ConversationID: f.conv.ID, Trigger: models.TriggerRefresh}
		if err := st.CreateLookup(ctx, &refresh); err != nil {
			t.Fatal(err)
		}
		if refresh.Status != models.ProfilePending || refresh.CreatedAt.IsZero() {
			t.Fatalf("refresh defaults: %+v", refresh)
		}
		p, _ = st.GetCustomerProfile(ctx, f.orgID, f.conv.ID)
		if p.Status != models.ProfilePending || p.Name != "Alice" {
			t.Fatalf("profile during refresh: %+v", p)
		}

		// The refresh fails: the good data stays, the error is shown.
		long := strings.Repeat("é", 1500) // beyond varchar(1000), multi-byte
		if err := st.FinishLookup(ctx, refresh.ID, nil, models.ProfileFailed, long); err != nil {
			t.Fatal(err)
		}
		p, _ = st.GetCustomerProfile(ctx, f.orgID, f.conv.ID)
		if p.Status != models.ProfileFailed || p.Name != "Alice" || p.Email != "alice@example.com" || p.Plan != "pro" ||
			p.Fields["company"] != "Acme" || p.FetchedAt == nil || !p.FetchedAt.Equal(fetched) || p.Error != strings.Repeat("é", 1000) {
			t.Fatalf("profile after failed refresh lost data: %+v", p)
		}
		l, _ = st.LookupByID(ctx, refresh.ID)
		if l.Status != models.ProfileFailed || l.CompletedAt == nil || l.Error != strings.Repeat("é", 1000) {
			t.Fatalf("failed lookup: %+v", l)
		}

		lookups, err := st.ListLookups(ctx, f.orgID, f.conv.ID)
		if err != nil || len(lookups) != 2 {
			t.Fatalf("list: %+v %v", lookups, err)
		}
		if other, _ := st.ListLookups(ctx, "org_other", f.conv.ID); len(other) != 0 {
			t.Fatalf("other org sees lookups: %+v", other)
		}
		if err := st.FinishLookup(ctx, "lkp_missing", nil, models.ProfileFailed, "x"); !errors.Is(err, models.ErrNotFound) {
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
		if err := st.FinishLookup(ctx, l.ID, nil, models.ProfileSkipped, "Backend Connect is disabled"); err != nil {
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
