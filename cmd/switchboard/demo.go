package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/service"
	"github.com/switchboardhq/switchboard/widgetui"
)

// parseDevFlags is parseFlags with dev's own flag.
func parseDevFlags(args []string) (demoBackend bool, err error) {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.BoolVar(&demoBackend, "demo-backend", false, "also run a sample chat backend and profile endpoint for the dev org, and serve the widget demo at /demo")
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: switchboard dev [--demo-backend]\n\n")
		fs.PrintDefaults()
		fmt.Fprintln(os.Stderr)
		config.Usage(os.Stderr)
	}
	err = fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	return demoBackend, err
}

// demoBackend is the sample customer side of `dev --demo-backend`: a chat
// backend (POST /chat) and a Backend Connect profile endpoint (POST
// /profile), each checking the platform's signature like a real one must.
type demoBackend struct {
	mu            sync.RWMutex
	chatSecret    string
	profileSecret string
	chunkEvery    time.Duration // between the chunks of a streamed reply
}

func (d *demoBackend) setSecrets(chat, profile string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.chatSecret, d.profileSecret = chat, profile
}

func (d *demoBackend) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /chat", func(w http.ResponseWriter, r *http.Request) {
		d.mu.RLock()
		secret := d.chatSecret
		d.mu.RUnlock()
		if body, ok := signedBody(w, r, secret); ok {
			d.chat(w, r, body)
		}
	})
	mux.HandleFunc("POST /profile", func(w http.ResponseWriter, r *http.Request) {
		d.mu.RLock()
		secret := d.profileSecret
		d.mu.RUnlock()
		if _, ok := signedBody(w, r, secret); ok {
			writeJSON(w, map[string]string{"name": "Demo Visitor", "email": "demo@example.com", "plan": "pro"})
		}
	})
	return mux
}

// signedBody reads the body and checks X-Switchboard-Signature, the hex
// HMAC-SHA256 of the exact raw bytes; anything else is 401.
func signedBody(w http.ResponseWriter, r *http.Request, secret string) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return nil, false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	want := hex.EncodeToString(mac.Sum(nil))
	if secret == "" || !hmac.Equal([]byte(want), []byte(r.Header.Get("X-Switchboard-Signature"))) {
		http.Error(w, "missing or invalid X-Switchboard-Signature", http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}

// demoChatRequest is the part of the platform's relay request the sample
// reads.
type demoChatRequest struct {
	Message struct {
		Text string `json:"text"`
	} `json:"message"`
	Conversation struct {
		Context struct {
			Turns int `json:"turns"`
		} `json:"context"`
	} `json:"conversation"`
}

func (d *demoBackend) chat(w http.ResponseWriter, r *http.Request, body []byte) {
	var req demoChatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "not a chat request", http.StatusBadRequest)
		return
	}
	text := strings.ToLower(req.Message.Text)
	turns := req.Conversation.Context.Turns + 1
	switch {
	case strings.Contains(text, "card"):
		writeJSON(w, demoCardReply(turns))
	case strings.Contains(text, "stream"):
		d.stream(w, r)
	default:
		writeJSON(w, map[string]any{"reply": "You said: " + req.Message.Text, "context": map[string]int{"turns": turns}})
	}
}

func demoCardReply(turns int) map[string]any {
	type button = map[string]string
	return map[string]any{
		"messages": []any{
			map[string]any{"type": "text", "text": "Here is a card:"},
			map[string]any{"type": "card", "title": "Switchboard Pro", "subtitle": "Rich replies: cards, buttons and quick replies",
				"buttons": []button{{"label": "Choose Pro", "value": "I choose Pro"}, {"label": "Read the docs", "url": "https://example.com/docs"}}},
		},
		"quick_replies": []button{{"label": "Stream a reply", "value": "stream"}, {"label": "Another card", "value": "card"}, {"label": "Say hi", "value": "hi"}},
		"context":       map[string]int{"turns": turns},
	}
}

// demoChunks is the streamed reply, one delta per event.
var demoChunks = []string{"This ", "reply ", "is ", "streamed ", "chunk ", "by ", "chunk."}

func (d *demoBackend) stream(w http.ResponseWriter, r *http.Request) {
	fl, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	for i, c := range demoChunks {
		if i > 0 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(d.chunkEvery):
			}
		}
		raw, _ := json.Marshal(map[string]string{"delta": c})
		fmt.Fprintf(w, "data: %s\n\n", raw)
		if fl != nil {
			fl.Flush()
		}
	}
	_, _ = io.WriteString(w, "data: [DONE]\n\n")
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// startDemo runs the sample backend on a free loopback port, points the
// dev org's chat backend and Backend Connect at it, publishes the org to
// the demo page and returns the lines dev prints about it.
func startDemo(ctx context.Context, cfg config.Config, a *app.App, org service.NewOrg) (note string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("demo backend: %w", err)
	}
	d := &demoBackend{chunkEvery: 100 * time.Millisecond}
	srv := &http.Server{Handler: d.handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop = func() { _ = srv.Close() }
	base := "http://" + ln.Addr().String()
	fail := func(err error) (string, func(), error) {
		stop()
		return "", nil, fmt.Errorf("demo backend: %w", err)
	}
	_, chatSecret, err := a.Services.ChatBackend.SaveChatBackend(ctx, org.Org.ID, service.ChatBackendInput{URL: base + "/chat"})
	if err != nil {
		return fail(err)
	}
	_, profileSecret, err := a.Services.BackendConnect.SaveBackendConnect(ctx, org.Org.ID, service.BackendConnectInput{URL: base + "/profile"})
	if err != nil {
		return fail(err)
	}
	d.setSecrets(chatSecret, profileSecret)
	// Browsers send Origin on every POST, same-origin ones included, and
	// the widget route allows only the org's listed origins.
	origin := devOrigin(cfg.HTTPAddr)
	origins := []string{origin}
	if alt := strings.Replace(origin, "//127.0.0.1:", "//localhost:", 1); alt != origin {
		origins = append(origins, alt)
	}
	if _, err := a.Services.Orgs.UpdateOrg(ctx, org.Org.ID, service.OrgInput{CORSOrigins: &origins}); err != nil {
		return fail(err)
	}
	widgetui.SetDemo(org.Org.ID, org.PublicKey)
	note = fmt.Sprintf("  Widget demo:  %s/demo   (sample chat backend and profile endpoint on %s)\n", origin, base)
	return note, stop, nil
}

// devOrigin is the browser origin of the API address: a wildcard listen
// address is opened as 127.0.0.1.
func devOrigin(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
