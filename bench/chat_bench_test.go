package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/harness"
)

// chatBackend answers at once and records, per conversation, the order
// of the message texts it received and how long its handler took. With
// stream set it answers text/event-stream and records when the first
// chunk was written.
type chatBackend struct {
	mu        sync.Mutex
	order     map[string][]string
	last      atomic.Int64 // ns inside the handler, latest request
	stream    bool
	hold      time.Duration // between the first chunk and the rest
	firstSent atomic.Int64  // unix ns the first chunk was flushed
}

func (c *chatBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var req struct {
		Message      struct{ Text string }
		Conversation struct{ ID string }
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	c.mu.Lock()
	c.order[req.Conversation.ID] = append(c.order[req.Conversation.ID], req.Message.Text)
	c.mu.Unlock()
	if c.stream {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: {\"delta\":\"first \"}\n\n")
		w.(http.Flusher).Flush()
		c.firstSent.Store(time.Now().UnixNano())
		time.Sleep(c.hold)
		_, _ = io.WriteString(w, "data: {\"delta\":\"and the rest\"}\n\ndata: [DONE]\n\n")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	c.last.Store(int64(time.Since(start)))
	_, _ = w.Write([]byte(`{"reply":"ok: ` + req.Message.Text + `"}`))
}

// BenchmarkChatRelay measures the chat custom backend relay on the real
// stack (Temporal dev server, PostgreSQL, loopback backend):
//
//   - Sequential: BENCH_CHAT_MESSAGES (default 500) messages of one
//     conversation, one after the other. Relay overhead = the widget POST's
//     response time minus the time inside the backend's handler
//     (overhead_p50_ms…). Reference target: p50 ≤ 20 ms, p99 ≤ 60 ms.
//   - Concurrent: BENCH_CHAT_CONVERSATIONS (default 200) conversations × 5
//     messages, each conversation's messages posted at once by its own
//     client: messages/s, and whether every conversation reached the
//     backend in the order the platform numbered its messages.
//   - Streaming: BENCH_CHAT_STREAMS (default 20) streamed replies; time
//     from the backend flushing its first chunk to the widget's event
//     stream receiving it (first_chunk_lag_p50_ms…).
func BenchmarkChatRelay(b *testing.B) {
	cfg := harness.ConfigAt(b, temporalAddr)
	cfg.WidgetRatePerIP, cfg.WidgetRatePerConv = 0, 0 // load, not abuse
	p := harness.New(b, cfg)
	backend := &chatBackend{order: map[string][]string{}}
	srv := httptest.NewServer(backend)
	defer srv.Close()
	if code := p.Call("PUT", "/v1/chat-backend", map[string]any{"url": srv.URL}, nil); code != http.StatusCreated {
		b.Fatalf("configure the chat backend: %d", code)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
	for range b.N {
		chatSequential(b, p, client, backend, envInt("BENCH_CHAT_MESSAGES", 500))
		chatConcurrent(b, p, client, backend, envInt("BENCH_CHAT_CONVERSATIONS", 200))
		chatStreams(b, p, client, backend, envInt("BENCH_CHAT_STREAMS", 20))
	}
}

type chatPosted struct {
	ConversationID    string `json:"conversation_id"`
	ConversationToken string `json:"conversation_token"`
	ReplyStatus       string `json:"reply_status"`
}

func say(b *testing.B, p *harness.Platform, client *http.Client, conv, token, text string) (chatPosted, time.Duration) {
	body, _ := json.Marshal(map[string]any{"conversation_id": conv, "text": text})
	req, _ := http.NewRequestWithContext(b.Context(), "POST", p.URL+"/v1/widget/messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Switchboard-Key", p.PubKey)
	req.Header.Set("X-Switchboard-Org", p.OrgID)
	req.Header.Set("X-Switchboard-Conversation-Token", token)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var out chatPosted
	err = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	took := time.Since(start)
	if err != nil || resp.StatusCode != http.StatusCreated || out.ReplyStatus != "replied" {
		b.Fatalf("widget message: %d %+v %v", resp.StatusCode, out, err)
	}
	return out, took
}

func chatSequential(b *testing.B, p *harness.Platform, client *http.Client, backend *chatBackend, n int) {
	open, _ := say(b, p, client, "", "", "hello")
	for i := range 10 { // warm connections and the workflow cache
		say(b, p, client, open.ConversationID, open.ConversationToken, fmt.Sprint("warm ", i))
	}
	overheads := make([]time.Duration, 0, n)
	totals := make([]time.Duration, 0, n)
	for i := range n {
		_, took := say(b, p, client, open.ConversationID, open.ConversationToken, fmt.Sprint("m", i))
		totals = append(totals, took)
		overheads = append(overheads, took-time.Duration(backend.last.Load()))
	}
	report(b, "overhead_", overheads)
	report(b, "post_", totals)
}

func chatConcurrent(b *testing.B, p *harness.Platform, client *http.Client, backend *chatBackend, convs int) {
	opened := make([]chatPosted, convs)
	for i := range opened {
		opened[i], _ = say(b, p, client, "", "", "open")
	}
	var wg sync.WaitGroup
	start := time.Now()
	for _, c := range opened {
		for j := range 5 {
			wg.Go(func() { say(b, p, client, c.ConversationID, c.ConversationToken, fmt.Sprint(j)) })
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.ReportMetric(float64(convs*5)/elapsed.Seconds(), "msgs/s")
	// Order: the backend's per-conversation order must be the platform's
	// (the transcript's) for every conversation.
	broken := 0
	for _, c := range opened {
		var tr struct {
			Messages []struct{ Sender, Text string } `json:"messages"`
		}
		p.Call("GET", "/v1/conversations/"+c.ConversationID+"/messages", nil, &tr)
		var want []string
		for _, m := range tr.Messages {
			if m.Sender == "visitor" {
				want = append(want, m.Text)
			}
		}
		backend.mu.Lock()
		got := strings.Join(backend.order[c.ConversationID], ",")
		backend.mu.Unlock()
		if got != strings.Join(want, ",") {
			broken++
		}
	}
	b.ReportMetric(float64(broken), "conversations_out_of_order")
	if broken > 0 {
		b.Errorf("%d conversations reached the backend out of order", broken)
	}
}

func chatStreams(b *testing.B, p *harness.Platform, client *http.Client, backend *chatBackend, n int) {
	backend.stream, backend.hold = true, 200*time.Millisecond
	defer func() { backend.stream = false }()
	lags := make([]time.Duration, 0, n)
	for range n {
		open, _ := say(b, p, client, "", "", "open")
		events := watch(b, p, open.ConversationID, open.ConversationToken)
		body, _ := json.Marshal(map[string]any{"conversation_id": open.ConversationID, "text": "stream"})
		go func() {
			req, _ := http.NewRequestWithContext(b.Context(), "POST", p.URL+"/v1/widget/messages", bytes.NewReader(body))
			req.Header.Set("X-Switchboard-Key", p.PubKey)
			req.Header.Set("X-Switchboard-Org", p.OrgID)
			req.Header.Set("X-Switchboard-Conversation-Token", open.ConversationToken)
			if resp, err := client.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
		var at time.Time
		deadline := time.After(30 * time.Second)
		for at.IsZero() {
			select {
			case line, ok := <-events:
				if !ok {
					b.Fatal("event stream closed")
				}
				if strings.Contains(line.text, `"status":"streaming"`) {
					at = line.at
				}
			case <-deadline:
				b.Fatal("no streamed chunk at the widget")
			}
		}
		lags = append(lags, at.Sub(time.Unix(0, backend.firstSent.Load())))
		time.Sleep(backend.hold + 100*time.Millisecond) // let the stream finish
	}
	report(b, "first_chunk_lag_", lags)
}

type sseLine struct {
	text string
	at   time.Time
}

func watch(b *testing.B, p *harness.Platform, conv, token string) <-chan sseLine {
	req, _ := http.NewRequestWithContext(b.Context(), "GET", p.URL+"/v1/widget/conversations/"+conv+"/events", nil)
	req.Header.Set("X-Switchboard-Key", p.PubKey)
	req.Header.Set("X-Switchboard-Org", p.OrgID)
	req.Header.Set("X-Switchboard-Conversation-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("events: %v", err)
	}
	ch := make(chan sseLine, 64)
	go func() {
		defer resp.Body.Close()
		defer close(ch)
		buf := make([]byte, 64<<10)
		for {
			n, err := resp.Body.Read(buf)
			if n > 0 {
				ch <- sseLine{text: string(buf[:n]), at: time.Now()}
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}
