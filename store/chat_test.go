package store_test

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// chatConv is a conversation (with its ticket) and no message yet, so
// every Seq and Rev a test sees is its own.
type chatConv struct {
	orgID string
	conv  models.Conversation
}

func newChatConv(t *testing.T, st *store.Store, orgID string) chatConv {
	t.Helper()
	conv := models.Conversation{ID: models.NewID("cnv"), OrgID: orgID, VisitorID: "user-7"}
	ticket := models.Ticket{ID: models.NewID("tkt"), OrgID: orgID, ConversationID: conv.ID, Status: "open"}
	if err := st.CreateConversationWithMessage(t.Context(), &conv, &ticket, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	return chatConv{orgID: orgID, conv: conv}
}

func visitorMsg(c chatConv, clientID, text string) *models.Message {
	return &models.Message{ID: models.NewID("msg"), OrgID: c.orgID, ConversationID: c.conv.ID, ClientID: clientID,
		Sender: models.SenderVisitor, Text: text, Status: models.MessageComplete, RelayStatus: models.RelayQueued}
}

func botMsg(c chatConv, inReplyTo, text string) *models.Message {
	return &models.Message{ID: models.NewID("msg"), OrgID: c.orgID, ConversationID: c.conv.ID,
		Sender: models.SenderBot, Text: text, Status: models.MessageComplete, InReplyTo: inReplyTo}
}

// addVisitor stores a new visitor message and checks it got seq.
func addVisitor(t *testing.T, st *store.Store, m *models.Message, seq int64) {
	t.Helper()
	existing, dup, err := st.AddVisitorMessage(t.Context(), m)
	if err != nil || dup || existing.ID != "" {
		t.Fatalf("add visitor message %q: %+v %v %v", m.ClientID, existing, dup, err)
	}
	if m.Seq != seq {
		t.Fatalf("message %q: seq %d, want %d", m.ClientID, m.Seq, seq)
	}
}

// convState is a conversation's counters, read back.
func convState(t *testing.T, st *store.Store, c chatConv) models.Conversation {
	t.Helper()
	got, err := st.GetConversation(t.Context(), c.orgID, c.conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func wantCounters(t *testing.T, st *store.Store, c chatConv, nextSeq, rev int64) {
	t.Helper()
	got := convState(t, st, c)
	if got.NextSeq != nextSeq || got.Rev != rev {
		t.Fatalf("conversation counters: next_seq %d rev %d, want %d %d", got.NextSeq, got.Rev, nextSeq, rev)
	}
}

func getMsg(t *testing.T, st *store.Store, convID, id string) models.Message {
	t.Helper()
	m, err := st.GetMessage(t.Context(), convID, id)
	if err != nil {
		t.Fatalf("message %s: %v", id, err)
	}
	return m
}

func getTurn(t *testing.T, st *store.Store, id string) models.ChatTurn {
	t.Helper()
	turn, err := st.GetTurn(t.Context(), id)
	if err != nil {
		t.Fatalf("turn %s: %v", id, err)
	}
	return turn
}

func startTurn(t *testing.T, st *store.Store, c chatConv, m *models.Message, runID string) models.ChatTurn {
	t.Helper()
	turn := models.ChatTurn{ID: m.ID, OrgID: c.orgID, ConversationID: c.conv.ID, Seq: m.Seq, Status: models.RelaySending, RunID: runID}
	if err := st.StartTurn(t.Context(), &turn); err != nil {
		t.Fatalf("start turn %d: %v", m.Seq, err)
	}
	return turn
}

func ids(ms []models.Message) string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return fmt.Sprint(out)
}

func msgIDs(ms ...*models.Message) string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return fmt.Sprint(out)
}

func strPtr(s string) *string { return &s }

func TestChatConformance(t *testing.T) {
	conform(t, "visitor messages are numbered and deduplicated", func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := newChatConv(t, st, models.NewID("org"))
		wantCounters(t, st, c, 0, 0)

		var sent []*models.Message
		for i := int64(1); i <= 3; i++ {
			m := visitorMsg(c, fmt.Sprintf("client-%d", i), fmt.Sprintf("text %d", i))
			addVisitor(t, st, m, i)
			if m.Rev != i || m.CreatedAt.IsZero() {
				t.Fatalf("message %d: rev %d created %v", i, m.Rev, m.CreatedAt)
			}
			wantCounters(t, st, c, i, i)
			sent = append(sent, m)
		}
		for i, m := range sent {
			got, err := st.VisitorMessageBySeq(ctx, c.conv.ID, int64(i+1))
			if err != nil || got.ID != m.ID || got.ClientID != m.ClientID || got.Text != m.Text || got.Seq != int64(i+1) ||
				got.Rev != int64(i+1) || got.Sender != models.SenderVisitor || got.RelayStatus != models.RelayQueued ||
				!got.CreatedAt.Equal(m.CreatedAt) {
				t.Fatalf("seq %d: %+v %v", i+1, got, err)
			}
		}
		if _, err := st.VisitorMessageBySeq(ctx, c.conv.ID, 4); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("seq 4 before it exists: %v", err)
		}

		// The same client ID again: the stored message, nothing written.
		again := visitorMsg(c, "client-2", "text 2, resent")
		existing, dup, err := st.AddVisitorMessage(ctx, again)
		if err != nil || !dup || existing.ID != sent[1].ID || existing.Seq != 2 || existing.Text != "text 2" {
			t.Fatalf("duplicate: %+v %v %v", existing, dup, err)
		}
		wantCounters(t, st, c, 3, 3)
		if _, err := st.GetMessage(ctx, c.conv.ID, again.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("the duplicate was stored: %v", err)
		}
		if all, err := st.ListMessages(ctx, c.orgID, c.conv.ID, 100); err != nil || len(all) != 3 {
			t.Fatalf("transcript after a duplicate: %d %v", len(all), err)
		}
		// The duplicate consumed no number.
		fourth := visitorMsg(c, "client-4", "text 4")
		addVisitor(t, st, fourth, 4)
		if fourth.Rev != 4 {
			t.Fatalf("fourth: rev %d, want 4", fourth.Rev)
		}
		wantCounters(t, st, c, 4, 4)

		// The same client ID in another conversation is a new message.
		other := newChatConv(t, st, c.orgID)
		addVisitor(t, st, visitorMsg(other, "client-2", "elsewhere"), 1)

		stray := visitorMsg(c, "client-x", "x")
		stray.ConversationID = models.NewID("cnv")
		if _, _, err := st.AddVisitorMessage(ctx, stray); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown conversation: %v", err)
		}
		foreign := visitorMsg(c, "client-y", "y")
		foreign.OrgID = models.NewID("org")
		if _, _, err := st.AddVisitorMessage(ctx, foreign); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("another org's conversation: %v", err)
		}
		wantCounters(t, st, c, 4, 4)
		if _, err := st.GetMessage(ctx, c.conv.ID, foreign.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("a message into another org's conversation was stored: %v", err)
		}
	})

	conform(t, "concurrent visitor messages get consecutive seqs", func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := newChatConv(t, st, models.NewID("org"))
		const n = 10
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			mu    sync.Mutex
			byID  = map[string]*models.Message{}
		)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m := visitorMsg(c, fmt.Sprintf("race-%d", i), fmt.Sprintf("race %d", i))
				<-start
				_, dup, err := st.AddVisitorMessage(ctx, m)
				if err != nil || dup {
					t.Errorf("message %d: dup %v err %v", i, dup, err)
					return
				}
				mu.Lock()
				byID[m.ID] = m
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()
		if t.Failed() {
			return
		}
		wantCounters(t, st, c, n, n)

		all, err := st.ListMessages(ctx, c.orgID, c.conv.ID, 100)
		if err != nil || len(all) != n {
			t.Fatalf("transcript: %d %v", len(all), err)
		}
		// The transcript's (time) order is the Seq order, 1..n without a
		// gap, and each message's Rev is its Seq (nothing else changed).
		for i, m := range all {
			if m.Seq != int64(i+1) || m.Rev != m.Seq {
				t.Fatalf("transcript position %d: seq %d rev %d", i, m.Seq, m.Rev)
			}
			if i > 0 && m.CreatedAt.Before(all[i-1].CreatedAt) {
				t.Fatalf("seq %d created %v before seq %d at %v", m.Seq, m.CreatedAt, all[i-1].Seq, all[i-1].CreatedAt)
			}
			sent := byID[m.ID]
			if sent == nil || sent.Seq != m.Seq || sent.Rev != m.Rev || !sent.CreatedAt.Equal(m.CreatedAt) {
				t.Fatalf("stored %+v, returned %+v", m, sent)
			}
		}
		seqs := make([]int, 0, n)
		for _, m := range byID {
			seqs = append(seqs, int(m.Seq))
		}
		sort.Ints(seqs)
		if fmt.Sprint(seqs) != "[1 2 3 4 5 6 7 8 9 10]" {
			t.Fatalf("seqs %v", seqs)
		}
		for seq := int64(1); seq <= n; seq++ {
			if m, err := st.VisitorMessageBySeq(ctx, c.conv.ID, seq); err != nil || m.Seq != seq {
				t.Fatalf("seq %d: %+v %v", seq, m, err)
			}
		}

		// One message sent concurrently n times is stored once, as Seq
		// n+1, and every other send gets that message back.
		var (
			stored = make(chan string, n)
			dups   = make(chan models.Message, n)
			again  = make(chan struct{})
		)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m := visitorMsg(c, "resent", "resent")
				<-again
				existing, dup, err := st.AddVisitorMessage(ctx, m)
				switch {
				case err != nil:
					t.Errorf("resend: %v", err)
				case dup:
					dups <- existing
				default:
					stored <- m.ID
				}
			}()
		}
		close(again)
		wg.Wait()
		close(stored)
		close(dups)
		if t.Failed() {
			return
		}
		var winner string
		for id := range stored {
			if winner != "" {
				t.Fatalf("one client ID stored twice: %s and %s", winner, id)
			}
			winner = id
		}
		count := 1
		for m := range dups {
			count++
			if m.ID != winner || m.Seq != n+1 {
				t.Fatalf("duplicate returned %s seq %d, want %s seq %d", m.ID, m.Seq, winner, n+1)
			}
		}
		if winner == "" || count != n {
			t.Fatalf("stored %q, %d sends answered", winner, count)
		}
		wantCounters(t, st, c, n+1, n+1)
	})

	conform(t, "chat messages, streaming updates and MessagesSince", func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := newChatConv(t, st, models.NewID("org"))
		v1 := visitorMsg(c, "v1", "hello")
		addVisitor(t, st, v1, 1) // rev 1

		bot := botMsg(c, v1.ID, "hi")
		bot.Status = models.MessageStreaming
		if err := st.AddChatMessage(ctx, bot); err != nil {
			t.Fatal(err)
		}
		if bot.Seq != 0 || bot.Rev != 2 || bot.ClientID != bot.ID || bot.CreatedAt.IsZero() {
			t.Fatalf("bot message: seq %d rev %d client %q created %v", bot.Seq, bot.Rev, bot.ClientID, bot.CreatedAt)
		}
		wantCounters(t, st, c, 1, 2) // no seq taken
		op := &models.Message{ID: models.NewID("msg"), OrgID: c.orgID, ConversationID: c.conv.ID, ClientID: "op-1",
			Sender: models.SenderOperator, Text: "operator here"}
		if err := st.AddChatMessage(ctx, op); err != nil {
			t.Fatal(err)
		}
		if got := getMsg(t, st, c.conv.ID, op.ID); got.ClientID != "op-1" || got.Rev != 3 || got.Seq != 0 {
			t.Fatalf("operator message: %+v", got)
		}
		v2 := visitorMsg(c, "v2", "still there?")
		addVisitor(t, st, v2, 2) // rev 4
		if v2.Rev != 4 {
			t.Fatalf("v2 rev %d, want 4", v2.Rev)
		}

		stray := botMsg(c, "", "x")
		stray.ConversationID = models.NewID("cnv")
		if err := st.AddChatMessage(ctx, stray); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("chat message into an unknown conversation: %v", err)
		}
		foreign := botMsg(c, "", "x")
		foreign.OrgID = models.NewID("org")
		if err := st.AddChatMessage(ctx, foreign); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("chat message into another org's conversation: %v", err)
		}

		if err := st.UpdateStreamingMessage(ctx, c.orgID, c.conv.ID, bot.ID, "hi the", models.MessageStreaming, `{"text":"hi the"}`); err != nil {
			t.Fatal(err)
		}
		got := getMsg(t, st, c.conv.ID, bot.ID)
		if got.Rev != 5 || got.Text != "hi the" || got.Status != models.MessageStreaming || got.Content != `{"text":"hi the"}` {
			t.Fatalf("after the first chunk: %+v", got)
		}
		// No content: the stored content stays.
		if err := st.UpdateStreamingMessage(ctx, c.orgID, c.conv.ID, bot.ID, "hi there", models.MessageComplete, ""); err != nil {
			t.Fatal(err)
		}
		got = getMsg(t, st, c.conv.ID, bot.ID)
		if got.Rev != 6 || got.Text != "hi there" || got.Status != models.MessageComplete || got.Content != `{"text":"hi the"}` ||
			got.Seq != 0 || got.InReplyTo != v1.ID || !got.CreatedAt.Equal(bot.CreatedAt) {
			t.Fatalf("after the last chunk: %+v", got)
		}
		wantCounters(t, st, c, 2, 6)
		if err := st.UpdateStreamingMessage(ctx, c.orgID, models.NewID("cnv"), bot.ID, "x", models.MessageComplete, ""); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("streaming update of an unknown conversation: %v", err)
		}
		if err := st.UpdateStreamingMessage(ctx, models.NewID("org"), c.conv.ID, bot.ID, "x", models.MessageComplete, ""); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("streaming update from another org: %v", err)
		}
		if got := getMsg(t, st, c.conv.ID, bot.ID); got.Text != "hi there" || got.Rev != 6 {
			t.Fatalf("a rejected update was written: %+v", got)
		}

		// Revisions now: v1 1, op 3, v2 4, bot 6.
		for _, tc := range []struct {
			rev   int64
			limit int
			want  string
		}{
			{0, 100, msgIDs(v1, op, v2, bot)},
			{1, 100, msgIDs(op, v2, bot)},
			{2, 100, msgIDs(op, v2, bot)},
			{4, 100, msgIDs(bot)},
			{6, 100, "[]"},
			{0, 2, msgIDs(v1, op)},
		} {
			ms, err := st.MessagesSince(ctx, c.conv.ID, tc.rev, tc.limit)
			if err != nil || ids(ms) != tc.want {
				t.Fatalf("since %d limit %d: %s %v, want %s", tc.rev, tc.limit, ids(ms), err, tc.want)
			}
		}
		// Another conversation's messages are not in the stream.
		other := newChatConv(t, st, c.orgID)
		addVisitor(t, st, visitorMsg(other, "v1", "elsewhere"), 1)
		if ms, err := st.MessagesSince(ctx, c.conv.ID, 4, 100); err != nil || ids(ms) != msgIDs(bot) {
			t.Fatalf("since 4 with another conversation: %s %v", ids(ms), err)
		}
	})

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
