package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

func TestChatFilesAndConfigConformance(t *testing.T) {
	conform(t, "files", func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		orgID := models.NewID("org")
		a, b := newChatConv(t, st, orgID), newChatConv(t, st, orgID)
		newFile := func(c chatConv, name string, size int64) models.ChatFile {
			f := models.ChatFile{ID: models.NewID("file"), OrgID: c.orgID, ConversationID: c.conv.ID, Name: name, ContentType: "image/png", Size: size}
			if err := st.CreateFile(ctx, &f); err != nil {
				t.Fatal(err)
			}
			return f
		}
		a1, a2, b1 := newFile(a, "a1.png", 10), newFile(a, "a2.png", 20), newFile(b, "b1.png", 30)

		got, err := st.GetFile(ctx, a1.ID)
		if err != nil || got.Name != "a1.png" || got.ContentType != "image/png" || got.Size != 10 || got.OrgID != orgID ||
			got.ConversationID != a.conv.ID || got.MessageID != "" || !got.CreatedAt.Equal(a1.CreatedAt) || got.CreatedAt.IsZero() {
			t.Fatalf("file: %+v %v", got, err)
		}
		if _, err := st.GetFile(ctx, models.NewID("file")); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown file: %v", err)
		}
		dup := a1
		if err := st.CreateFile(ctx, &dup); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("file ID taken: %v", err)
		}

		fileIDs := func(fs []models.ChatFile) string {
			out := make([]string, len(fs))
			for i, f := range fs {
				out[i] = f.ID
			}
			return fmt.Sprint(out)
		}
		fs, err := st.FilesByIDs(ctx, a.conv.ID, []string{a2.ID, b1.ID, models.NewID("file"), a1.ID})
		if err != nil || fileIDs(fs) != fmt.Sprint([]string{a2.ID, a1.ID}) {
			t.Fatalf("files by IDs: %s %v", fileIDs(fs), err)
		}
		if fs, err := st.FilesByIDs(ctx, b.conv.ID, []string{a1.ID}); err != nil || len(fs) != 0 {
			t.Fatalf("another conversation's file: %s %v", fileIDs(fs), err)
		}
		if fs, err := st.FilesByIDs(ctx, a.conv.ID, nil); err != nil || len(fs) != 0 {
			t.Fatalf("no IDs: %s %v", fileIDs(fs), err)
		}
		for _, tc := range []struct {
			conv string
			want int64
		}{{a.conv.ID, 2}, {b.conv.ID, 1}, {models.NewID("cnv"), 0}} {
			if n, err := st.CountFiles(ctx, tc.conv); err != nil || n != tc.want {
				t.Fatalf("count files of %s: %d %v, want %d", tc.conv, n, err, tc.want)
			}
		}

		// Attachments link this conversation's files only.
		m := visitorMsg(a, "with-files", "see attached")
		m.Attachments = []string{a1.ID, b1.ID}
		addVisitor(t, st, m, 1)
		if f, _ := st.GetFile(ctx, a1.ID); f.MessageID != m.ID {
			t.Fatalf("attached file: message %q, want %q", f.MessageID, m.ID)
		}
		if f, _ := st.GetFile(ctx, b1.ID); f.MessageID != "" {
			t.Fatalf("another conversation's file was linked: %q", f.MessageID)
		}
		if f, _ := st.GetFile(ctx, a2.ID); f.MessageID != "" {
			t.Fatalf("a file not attached was linked: %q", f.MessageID)
		}
		if stored := getMsg(t, st, a.conv.ID, m.ID); fmt.Sprint(stored.Attachments) != fmt.Sprint(m.Attachments) {
			t.Fatalf("attachments: %v", stored.Attachments)
		}
		// A duplicate links nothing.
		again := visitorMsg(a, "with-files", "see attached")
		again.Attachments = []string{a2.ID}
		if _, dup, err := st.AddVisitorMessage(ctx, again); err != nil || !dup {
			t.Fatalf("duplicate with files: %v %v", dup, err)
		}
		if f, _ := st.GetFile(ctx, a2.ID); f.MessageID != "" {
			t.Fatalf("a duplicate linked a file: %q", f.MessageID)
		}
	})

	conform(t, "chat backend configuration and secrets", func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		orgID := models.NewID("org")
		if _, err := st.GetChatBackend(ctx, orgID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("no configuration yet: %v", err)
		}
		raw := func(column string) string { return store.RawColumn(st, "chat_backends", column, "org_id", orgID) }
		wantSealed := func(column, plain string) {
			t.Helper()
			if v := raw(column); v == plain || !models.IsSealed(v) {
				t.Fatalf("%s at rest: %q", column, v)
			}
		}

		first := &models.ChatBackend{OrgID: orgID, URL: "https://bot.example/a", Enabled: true, TimeoutMillis: 5000,
			AuthType: models.ChatAuthBearer, AuthHeader: "Authorization", AuthToken: models.NewSecret("tok-1"),
			Signing: true, SignatureHeader: models.DefaultChatSignatureHeader, Secret: models.NewSecret("sig-1"),
			FallbackReply: models.DefaultChatFallbackReply, HandoffOnFailure: true}
		if err := st.SaveChatBackend(ctx, first); err != nil {
			t.Fatal(err)
		}
		if reveal(first.Secret) != "sig-1" || reveal(first.AuthToken) != "tok-1" || first.CreatedAt.IsZero() {
			t.Fatalf("first save returned %+v (secret %q token %q)", first, reveal(first.Secret), reveal(first.AuthToken))
		}
		wantSealed("secret", "sig-1")
		wantSealed("auth_token", "tok-1")
		got, err := st.GetChatBackend(ctx, orgID)
		if err != nil || got.URL != "https://bot.example/a" || !got.Enabled || got.TimeoutMillis != 5000 || got.Timeout() != 5*time.Second ||
			got.AuthType != models.ChatAuthBearer || got.AuthHeader != "Authorization" || !got.Signing ||
			got.SignatureHeader != models.DefaultChatSignatureHeader || got.FallbackReply != models.DefaultChatFallbackReply ||
			!got.HandoffOnFailure || reveal(got.Secret) != "sig-1" || reveal(got.AuthToken) != "tok-1" {
			t.Fatalf("read back: %+v %v", got, err)
		}

		// A second save writes the settings only.
		second := &models.ChatBackend{OrgID: orgID, URL: "https://bot.example/b", Enabled: false, TimeoutMillis: 8000,
			AuthType: models.ChatAuthAPIKey, AuthHeader: "X-Api-Key", AuthToken: models.NewSecret("tok-2"),
			Signing: false, SignatureHeader: "X-Sig", Secret: models.NewSecret("sig-2"),
			FallbackReply: "custom fallback", HandoffOnFailure: false}
		if err := st.SaveChatBackend(ctx, second); err != nil {
			t.Fatal(err)
		}
		if second.URL != "https://bot.example/b" || reveal(second.Secret) != "sig-1" || reveal(second.AuthToken) != "tok-1" ||
			!second.CreatedAt.Equal(first.CreatedAt) {
			t.Fatalf("second save returned %+v (secret %q token %q)", second, reveal(second.Secret), reveal(second.AuthToken))
		}
		got, err = st.GetChatBackend(ctx, orgID)
		if err != nil || got.URL != "https://bot.example/b" || got.Enabled || got.TimeoutMillis != 8000 ||
			got.AuthType != models.ChatAuthAPIKey || got.AuthHeader != "X-Api-Key" || got.Signing || got.SignatureHeader != "X-Sig" ||
			got.FallbackReply != "custom fallback" || got.HandoffOnFailure || reveal(got.Secret) != "sig-1" ||
			reveal(got.AuthToken) != "tok-1" || !got.CreatedAt.Equal(first.CreatedAt) || got.UpdatedAt.Before(first.UpdatedAt) {
			t.Fatalf("after the second save: %+v %v", got, err)
		}

		if err := st.SetChatAuthToken(ctx, orgID, ""); err != nil {
			t.Fatal(err)
		}
		got, _ = st.GetChatBackend(ctx, orgID)
		if reveal(got.AuthToken) != "" || !got.AuthToken.IsZero() || raw("auth_token") != "" || reveal(got.Secret) != "sig-1" {
			t.Fatalf("cleared token: %q (raw %q), secret %q", reveal(got.AuthToken), raw("auth_token"), reveal(got.Secret))
		}
		if err := st.SetChatAuthToken(ctx, orgID, "tok-3"); err != nil {
			t.Fatal(err)
		}
		wantSealed("auth_token", "tok-3")
		if got, _ = st.GetChatBackend(ctx, orgID); reveal(got.AuthToken) != "tok-3" {
			t.Fatalf("new token: %q", reveal(got.AuthToken))
		}
		if err := st.SetChatBackendSecret(ctx, orgID, "sig-3"); err != nil {
			t.Fatal(err)
		}
		wantSealed("secret", "sig-3")
		got, _ = st.GetChatBackend(ctx, orgID)
		if reveal(got.Secret) != "sig-3" || reveal(got.AuthToken) != "tok-3" || got.URL != "https://bot.example/b" || got.TimeoutMillis != 8000 {
			t.Fatalf("after rotation: %+v secret %q token %q", got, reveal(got.Secret), reveal(got.AuthToken))
		}
		// A settings save after the rotation keeps the rotated secret.
		third := got
		third.URL = "https://bot.example/c"
		third.Secret = models.NewSecret("sig-stale")
		if err := st.SaveChatBackend(ctx, &third); err != nil {
			t.Fatal(err)
		}
		if got, _ = st.GetChatBackend(ctx, orgID); got.URL != "https://bot.example/c" || reveal(got.Secret) != "sig-3" || reveal(got.AuthToken) != "tok-3" {
			t.Fatalf("save after rotation: %+v secret %q token %q", got, reveal(got.Secret), reveal(got.AuthToken))
		}

		unknown := models.NewID("org")
		if err := st.SetChatAuthToken(ctx, unknown, "tok"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("token of an unknown org: %v", err)
		}
		if err := st.SetChatBackendSecret(ctx, unknown, "sig"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("secret of an unknown org: %v", err)
		}
		if _, err := st.GetChatBackend(ctx, unknown); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("an unknown org got a configuration: %v", err)
		}
	})
}

// The operators' ticket list: the org's conversations only, those flagged
// for a human first, then newest first.
func TestListTicketsConformance(t *testing.T) {
	conform(t, "ticket list", func(t *testing.T, st *store.Store) {
		org := models.NewID("org")
		older := newChatConv(t, st, org)
		flagged := newChatConv(t, st, org)
		newest := newChatConv(t, st, org)
		newChatConv(t, st, models.NewID("org")) // another org's
		m := visitorMsg(flagged, "c1", "help")
		addVisitor(t, st, m, 1)
		if err := st.FinishTurn(t.Context(), models.ChatTurn{ID: m.ID, OrgID: org, ConversationID: flagged.conv.ID},
			store.TurnOutcome{Status: models.RelayFailed, Handoff: "the chat backend failed"}); err == nil {
			t.Fatal("finishing a turn that was never started must conflict") // no turn row: nothing to finish
		}
		startTurn(t, st, flagged, m, "run-1")
		if err := st.FinishTurn(t.Context(), getTurn(t, st, m.ID), store.TurnOutcome{Status: models.RelayFailed, Handoff: "the chat backend failed"}); err != nil {
			t.Fatal(err)
		}
		turns, err := st.TurnsByIDs(t.Context(), []string{m.ID, "msg_nope"})
		if err != nil || len(turns) != 1 || turns[m.ID].Status != models.RelayFailed {
			t.Fatalf("turns by id: %+v %v", turns, err)
		}
		rows, err := st.ListTickets(t.Context(), org, 10)
		if err != nil || len(rows) != 3 {
			t.Fatalf("rows %+v %v", rows, err)
		}
		if rows[0].ConversationID != flagged.conv.ID || !rows[0].NeedsHuman || rows[1].ConversationID != newest.conv.ID ||
			rows[2].ConversationID != older.conv.ID || rows[0].TicketStatus != "open" || rows[1].VisitorID != "user-7" {
			t.Fatalf("order or fields: %+v", rows)
		}
	})
}
