package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

func TestChatTurnConformance(t *testing.T) {
	conform(t, "turns: start, attempts, finish", func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := newChatConv(t, st, models.NewID("org"))
		v1, v2, v3 := visitorMsg(c, "v1", "one"), visitorMsg(c, "v2", "two"), visitorMsg(c, "v3", "three")
		addVisitor(t, st, v1, 1)
		addVisitor(t, st, v2, 2)
		addVisitor(t, st, v3, 3) // rev 3

		turn := startTurn(t, st, c, v1, "run-1")
		got := getTurn(t, st, v1.ID)
		if got.Status != models.RelaySending || got.Seq != 1 || got.RunID != "run-1" || got.OrgID != c.orgID ||
			got.ConversationID != c.conv.ID || got.Attempts != 0 || got.CreatedAt.IsZero() || got.CompletedAt != nil || got.Done() {
			t.Fatalf("started turn: %+v", got)
		}
		if m := getMsg(t, st, c.conv.ID, v1.ID); m.RelayStatus != models.RelaySending || m.Rev != 4 {
			t.Fatalf("visitor message of a started turn: relay %q rev %d", m.RelayStatus, m.Rev)
		}
		wantCounters(t, st, c, 3, 4)

		for i, status := range []int{502, 200} {
			a := &models.Attempt{ParentID: v1.ID, Number: i + 1, URL: "https://bot.example/chat", ResponseStatus: status,
				RequestHeaders: map[string]string{"Content-Type": "application/json"}, CreatedAt: store.Now()}
			if err := st.RecordChatAttempt(ctx, a); err != nil {
				t.Fatal(err)
			}
			if got := getTurn(t, st, v1.ID); got.Attempts != i+1 || got.HTTPStatus != status {
				t.Fatalf("after attempt %d: attempts %d http %d", i+1, got.Attempts, got.HTTPStatus)
			}
		}
		attempts, err := st.AttemptsFor(ctx, []string{v1.ID, v2.ID})
		if err != nil || len(attempts) != 1 || len(attempts[v1.ID]) != 2 ||
			attempts[v1.ID][0].Number != 1 || attempts[v1.ID][0].ResponseStatus != 502 ||
			attempts[v1.ID][1].Number != 2 || attempts[v1.ID][1].ResponseStatus != 200 {
			t.Fatalf("attempts: %+v %v", attempts, err)
		}
		// A retried start (new run) keeps the turn's attempts.
		turn = startTurn(t, st, c, v1, "run-2")
		if got := getTurn(t, st, v1.ID); got.RunID != "run-2" || got.Attempts != 2 || got.HTTPStatus != 200 || got.Status != models.RelaySending {
			t.Fatalf("restarted turn: %+v", got)
		}
		wantCounters(t, st, c, 3, 5)

		b1, b2, b3 := botMsg(c, v1.ID, "first"), botMsg(c, v1.ID, "second"), botMsg(c, v1.ID, "third")
		err = st.FinishTurn(ctx, turn, store.TurnOutcome{
			Status: models.RelayReplied, HTTPStatus: 200, Reply: `{"messages":3}`, Action: "reply",
			Duration: 1500 * time.Millisecond, Messages: []*models.Message{b1, b2, b3},
			Context: strPtr(`{"step":1}`), Handoff: "asked for a human", Seq: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		all, err := st.ListMessages(ctx, c.orgID, c.conv.ID, 100)
		if err != nil || ids(all) != msgIDs(v1, v2, v3, b1, b2, b3) {
			t.Fatalf("transcript: %s %v, want %s", ids(all), err, msgIDs(v1, v2, v3, b1, b2, b3))
		}
		for i, m := range all[3:] {
			if m.Rev != int64(6+i) || m.Seq != 0 || m.ClientID != m.ID || m.Sender != models.SenderBot || m.InReplyTo != v1.ID {
				t.Fatalf("bot message %d: %+v", i, m)
			}
		}
		got = getTurn(t, st, v1.ID)
		if got.Status != models.RelayReplied || got.HTTPStatus != 200 || got.Reply != `{"messages":3}` || got.Action != "reply" ||
			got.DurationMS != 1500 || got.Fallback || got.Error != "" || got.CompletedAt == nil || !got.Done() || got.Attempts != 2 {
			t.Fatalf("finished turn: %+v", got)
		}
		if m := getMsg(t, st, c.conv.ID, v1.ID); m.RelayStatus != models.RelayReplied || m.Rev != 9 {
			t.Fatalf("visitor message of a finished turn: relay %q rev %d", m.RelayStatus, m.Rev)
		}
		conv := convState(t, st, c)
		if conv.Context != `{"step":1}` || conv.RelayedSeq != 1 || conv.Rev != 9 || conv.NextSeq != 3 {
			t.Fatalf("conversation after turn 1: %+v", conv)
		}
		ticket, err := st.GetTicket(ctx, c.conv.ID)
		if err != nil || !ticket.NeedsHuman || ticket.HandoffReason != "asked for a human" {
			t.Fatalf("ticket: %+v %v", ticket, err)
		}

		// A second finish of a done turn changes nothing.
		late := botMsg(c, v1.ID, "late")
		err = st.FinishTurn(ctx, turn, store.TurnOutcome{
			Status: models.RelayFailed, HTTPStatus: 500, Error: "late", Reply: `{"late":true}`, Fallback: true,
			Messages: []*models.Message{late}, Context: strPtr("overwritten"), Handoff: "other", Seq: 3,
		})
		if !errors.Is(err, models.ErrConflict) {
			t.Fatalf("finishing a done turn: %v", err)
		}
		if _, err := st.GetMessage(ctx, c.conv.ID, late.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("a rejected finish stored its message: %v", err)
		}
		if got := getTurn(t, st, v1.ID); got.Status != models.RelayReplied || got.Reply != `{"messages":3}` || got.Fallback ||
			got.HTTPStatus != 200 || got.Error != "" {
			t.Fatalf("a rejected finish changed the turn: %+v", got)
		}
		if m := getMsg(t, st, c.conv.ID, v1.ID); m.RelayStatus != models.RelayReplied || m.Rev != 9 {
			t.Fatalf("a rejected finish changed the visitor message: relay %q rev %d", m.RelayStatus, m.Rev)
		}
		conv = convState(t, st, c)
		if conv.Context != `{"step":1}` || conv.RelayedSeq != 1 || conv.Rev != 9 {
			t.Fatalf("a rejected finish changed the conversation: %+v", conv)
		}
		if ticket, _ := st.GetTicket(ctx, c.conv.ID); ticket.HandoffReason != "asked for a human" {
			t.Fatalf("a rejected finish changed the ticket: %+v", ticket)
		}

		// Turn 3 finishes before turn 2; no context keeps the stored one.
		turn3 := startTurn(t, st, c, v3, "run-3")
		if err := st.FinishTurn(ctx, turn3, store.TurnOutcome{Status: models.RelayNoReply, HTTPStatus: 204, Seq: 3}); err != nil {
			t.Fatal(err)
		}
		conv = convState(t, st, c)
		if conv.Context != `{"step":1}` || conv.RelayedSeq != 3 {
			t.Fatalf("conversation after turn 3: %+v", conv)
		}
		if m := getMsg(t, st, c.conv.ID, v3.ID); m.RelayStatus != models.RelayNoReply {
			t.Fatalf("turn 3 relay status %q", m.RelayStatus)
		}

		// Turn 2: the backend answers later (202), then through the API.
		turn2 := startTurn(t, st, c, v2, "run-4")
		if err := st.FinishTurn(ctx, turn2, store.TurnOutcome{Status: models.RelayLater, HTTPStatus: 202, Seq: 2}); err != nil {
			t.Fatal(err)
		}
		if got := getTurn(t, st, v2.ID); got.Status != models.RelayLater || got.HTTPStatus != 202 || got.Done() {
			t.Fatalf("later turn: %+v", got)
		}
		if m := getMsg(t, st, c.conv.ID, v2.ID); m.RelayStatus != models.RelayLater {
			t.Fatalf("later relay status %q", m.RelayStatus)
		}
		answer := botMsg(c, v2.ID, "answer for two")
		if err := st.FinishTurn(ctx, turn2, store.TurnOutcome{Status: models.RelayReplied, HTTPStatus: 200,
			Reply: `{"text":"answer for two"}`, Messages: []*models.Message{answer}, Context: strPtr(`{"step":2}`), Seq: 2}); err != nil {
			t.Fatalf("finishing a later turn: %v", err)
		}
		if got := getTurn(t, st, v2.ID); got.Status != models.RelayReplied || got.Reply != `{"text":"answer for two"}` || !got.Done() {
			t.Fatalf("later turn answered: %+v", got)
		}
		if m := getMsg(t, st, c.conv.ID, v2.ID); m.RelayStatus != models.RelayReplied {
			t.Fatalf("later turn answered: relay status %q", m.RelayStatus)
		}
		if m := getMsg(t, st, c.conv.ID, answer.ID); m.Text != "answer for two" || m.InReplyTo != v2.ID {
			t.Fatalf("later answer: %+v", m)
		}
		conv = convState(t, st, c)
		if conv.Context != `{"step":2}` || conv.RelayedSeq != 3 {
			t.Fatalf("relayed_seq went back or context kept: %+v", conv)
		}
		turns, err := st.ListTurns(ctx, c.orgID, c.conv.ID)
		if err != nil || len(turns) != 3 || turns[0].ID != v1.ID || turns[1].ID != v2.ID || turns[2].ID != v3.ID {
			t.Fatalf("turns: %+v %v", turns, err)
		}
		if turns, err := st.ListTurns(ctx, models.NewID("org"), c.conv.ID); err != nil || len(turns) != 0 {
			t.Fatalf("another org's turns: %+v %v", turns, err)
		}
	})

	conform(t, "stranded chat messages", func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		orgID := models.NewID("org")
		a, b := newChatConv(t, st, orgID), newChatConv(t, st, orgID)
		queued := visitorMsg(a, "a1", "queued")
		addVisitor(t, st, queued, 1)
		unrelayed := visitorMsg(a, "a2", "no backend")
		unrelayed.RelayStatus = models.RelayNone
		addVisitor(t, st, unrelayed, 2)
		sending := visitorMsg(a, "a3", "being sent")
		addVisitor(t, st, sending, 3)
		startTurn(t, st, a, sending, "run-1")
		done := visitorMsg(a, "a4", "answered")
		addVisitor(t, st, done, 4)
		if err := st.FinishTurn(ctx, startTurn(t, st, a, done, "run-2"), store.TurnOutcome{Status: models.RelayReplied, HTTPStatus: 200}); err != nil {
			t.Fatal(err)
		}
		if err := st.AddChatMessage(ctx, botMsg(a, "", "bot")); err != nil {
			t.Fatal(err)
		}
		elsewhere := visitorMsg(b, "b1", "queued elsewhere")
		addVisitor(t, st, elsewhere, 1)
		time.Sleep(2 * time.Millisecond)
		cutoff := store.Now()
		time.Sleep(2 * time.Millisecond)
		addVisitor(t, st, visitorMsg(a, "a5", "queued, too recent"), 5)

		got, err := st.StrandedChatMessages(ctx, cutoff, 100)
		if err != nil || ids(got) != msgIDs(queued, elsewhere) {
			t.Fatalf("stranded: %s %v, want %s", ids(got), err, msgIDs(queued, elsewhere))
		}
		if got, err := st.StrandedChatMessages(ctx, cutoff, 1); err != nil || ids(got) != msgIDs(queued) {
			t.Fatalf("stranded, limit 1: %s %v", ids(got), err)
		}
		if got, err := st.StrandedChatMessages(ctx, queued.CreatedAt, 100); err != nil || len(got) != 0 {
			t.Fatalf("stranded before the first message: %s %v", ids(got), err)
		}
	})

}
