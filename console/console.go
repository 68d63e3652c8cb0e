// Package console is the operators' web console served under /console/:
// server-rendered pages over the service layer.
//
// Why server-rendered html/template with a little vanilla JavaScript and
// no build step: the console ships inside the one Go binary (templates,
// CSS and JS embedded with go:embed), so `go build` stays the whole build,
// with no Node toolchain, bundle or second artifact to version. Each page
// is a plain HTML form over the same service methods the REST API calls,
// so the console cannot drift from the API's validation and needs no JSON
// API or client-side state of its own. Native forms, labels and buttons
// are accessible and work without JavaScript; the one script only adds
// what needs it: the live customer card (Server-Sent Events), fetch-based
// Refresh and copy buttons. Sessions live on the server behind an HttpOnly
// cookie, so the org's secret key never reaches the browser, and with no
// framework runtime a strict Content-Security-Policy (no inline script)
// costs nothing.
package console

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/service"
	"github.com/switchboardhq/switchboard/store"
)

// Deps are what the console is built from.
type Deps struct {
	Services *service.Services
	Store    *store.Store
	Log      *slog.Logger
	Cfg      config.Config
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// console serves every page; it holds only what New was given and the
// parsed templates.
type console struct {
	svc   *service.Services
	st    *store.Store
	log   *slog.Logger
	cfg   config.Config
	pages map[string]*template.Template
	// now is the session clock; tests move it to expire sessions.
	now func() time.Time
}

// New returns the console's handler for every path under /console/.
func New(d Deps) http.Handler {
	return newConsole(d).handler()
}

func newConsole(d Deps) *console {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	c := &console{svc: d.Services, st: d.Store, log: d.Log, cfg: d.Cfg, now: time.Now}
	c.pages = parsePages(c)
	return c
}

// handler routes the console's paths. The paths are the full ones (the app
// mounts the console at /console/ without stripping the prefix).
func (c *console) handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static") // the directory is embedded above
	mux.Handle("GET /console/static/", cacheStatic(http.StripPrefix("/console/static/", http.FileServerFS(static))))

	mux.HandleFunc("GET /console/signin", c.signInPage)
	mux.HandleFunc("POST /console/signin", c.signIn)
	c.page(mux, "POST /console/signout", c.signOut)
	c.page(mux, "GET /console/{$}", func(w http.ResponseWriter, r *http.Request, _ *session) error {
		http.Redirect(w, r, "/console/webhooks", http.StatusSeeOther)
		return nil
	})

	c.page(mux, "GET /console/webhooks", c.listWebhooks)
	c.page(mux, "GET /console/webhooks/new", c.newWebhook)
	c.page(mux, "POST /console/webhooks", c.createWebhook)
	c.page(mux, "GET /console/webhooks/{id}", c.editWebhook)
	c.page(mux, "POST /console/webhooks/{id}", c.updateWebhook)
	c.page(mux, "POST /console/webhooks/{id}/active", c.toggleWebhook)
	c.page(mux, "POST /console/webhooks/{id}/secret", c.revealWebhookSecret)
	c.page(mux, "POST /console/webhooks/{id}/rotate", c.rotateWebhookSecret)
	c.page(mux, "POST /console/webhooks/{id}/test", c.testWebhook)
	c.page(mux, "POST /console/webhooks/{id}/delete", c.deleteWebhook)
	c.page(mux, "GET /console/deliveries", c.listDeliveries)
	c.page(mux, "GET /console/deliveries/{id}", c.showDelivery)
	c.page(mux, "POST /console/deliveries/{id}/retry", c.retryDelivery)
	c.page(mux, "POST /console/deliveries/{id}/cancel", c.cancelDelivery)
	c.page(mux, "POST /console/deliveries/{id}/replay", c.replayDelivery)
	c.page(mux, "POST /console/deliveries/{id}/replay-event", c.replayEvent)

	c.page(mux, "GET /console/backend-connect", c.backendConnectPage)
	c.page(mux, "POST /console/backend-connect", c.saveBackendConnect)
	c.page(mux, "POST /console/backend-connect/rotate", c.rotateBackendConnect)

	c.page(mux, "GET /console/tickets", c.ticketsPage)
	c.page(mux, "GET /console/tickets/{id}", c.ticketPage)
	c.page(mux, "GET /console/tickets/{id}/customer/events", c.customerEvents)
	c.page(mux, "POST /console/tickets/{id}/refresh", c.refreshCustomer)
	c.page(mux, "POST /console/tickets/{id}/messages", c.postMessage)

	c.page(mux, "GET /console/apps", c.listApps)
	c.page(mux, "GET /console/apps/new", c.newApp)
	c.page(mux, "POST /console/apps", c.createApp)
	c.page(mux, "GET /console/apps/{id}", c.editApp)
	c.page(mux, "POST /console/apps/{id}", c.updateApp)
	c.page(mux, "POST /console/apps/{id}/secret", c.revealAppSecret)
	c.page(mux, "POST /console/apps/{id}/sample", c.sendSample)
	c.page(mux, "POST /console/apps/{id}/delete", c.deleteApp)

	c.page(mux, "GET /console/operations", c.operationsPage)
	c.page(mux, "POST /console/webhooks/{id}/enable", c.enableWebhook)
	c.page(mux, "POST /console/operations/replays", c.startReplay)
	c.page(mux, "POST /console/operations/replays/{id}/{action}", c.steerReplay)
	c.page(mux, "GET /console/chat-backend", c.chatBackendPage)
	c.page(mux, "POST /console/chat-backend", c.saveChatBackend)
	c.page(mux, "POST /console/chat-backend/rotate", c.rotateChatBackend)
	c.page(mux, "POST /console/chat-backend/test", c.testChatBackend)

	// Anything else under /console/ is the console's own 404 page (signed
	// in or not: it reveals nothing).
	mux.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		c.render(w, r, http.StatusNotFound, "error", nil, errorView{Title: "Not found", Message: "There is no such page."})
	})
	return securityHeaders(c.limitBody(mux))
}

// cacheStatic lets browsers keep the embedded assets for an hour: they
// change only with the binary.
func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// limitBody bounds form bodies like the API bounds JSON ones.
func (c *console) limitBody(h http.Handler) http.Handler {
	limit := c.cfg.MaxBodyBytes
	if limit <= 0 {
		limit = 256 << 10
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		h.ServeHTTP(w, r)
	})
}

// securityHeaders are set on every console answer. The policy allows only
// the console's own files: no inline script or style, no framing, forms
// post only here.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}
