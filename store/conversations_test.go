package store_test

import (
	"errors"
	"testing"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

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
	lookup := models.Lookup{ID: models.NewID("lkp"), OrgID: orgID, ConversationID: conv.ID, Trigger: models.TriggerFirstMessage, Status: models.LookupPending}
	if err := st.CreateConversationWithMessage(t.Context(), &conv, &ticket, &msg, &profile, &lookup); err != nil {
		t.Fatal(err)
	}
	return bcFixture{orgID: orgID, conv: conv, lookup: lookup}
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
		if _, _, err := st.AddVisitorMessage(ctx, &m); err != nil {
			t.Fatal(err)
		}
		stray := models.Message{ID: models.NewID("msg"), OrgID: "org_other", ConversationID: f.conv.ID, Sender: "visitor", Text: "x"}
		if _, _, err := st.AddVisitorMessage(ctx, &stray); !errors.Is(err, models.ErrNotFound) {
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
		dup := models.Lookup{ID: f.lookup.ID, OrgID: orgID, ConversationID: conv.ID, Trigger: models.TriggerFirstMessage, Status: models.LookupPending}
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
