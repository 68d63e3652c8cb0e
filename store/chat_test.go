package store_test

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"

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

}
