// Package widgetui serves the embeddable chat widget (GET /widget.js) and
// the demo page (GET /demo) that talks to it.
//
// The widget is plain JavaScript with no build step. Its source is split
// into a few files under static/widget/ (transport, rendering, the panel)
// only to keep each readable; they are fragments of one script, joined
// here once, in name order, inside a single function scope so nothing
// leaks into the host page's globals. The stylesheet is inlined into that
// script as a string, so embedding the widget is one <script> tag and one
// request.
package widgetui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/switchboardhq/switchboard/config"
)

//go:embed static
var static embed.FS

// cssPlaceholder is the string literal in the widget's source that the
// stylesheet replaces.
const cssPlaceholder = `"__SWITCHBOARD_WIDGET_CSS__"`

// demoCSP locks the demo page to its own scripts and the widget's API on
// the same origin; bot images may come from any https host.
const demoCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' https: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// DemoConfig is what the demo page reads at GET /widget/demo-config.json.
type DemoConfig struct {
	OrgID     string `json:"orgId"`
	APIKey    string `json:"apiKey"`
	VisitorID string `json:"visitorId"`
}

// demo is set only by `switchboard dev --demo-backend`; a server that
// never calls SetDemo answers the config endpoint 404.
var demo atomic.Pointer[DemoConfig]

// SetDemo makes the demo page open the widget for orgID with its public
// (browser-safe) key. Only the dev command calls it: never pass a secret
// key, which would be served to any browser.
func SetDemo(orgID, publicKey string) {
	demo.Store(&DemoConfig{OrgID: orgID, APIKey: publicKey, VisitorID: "demo-visitor"})
}

// asset is one embedded file ready to serve.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

func newAsset(body []byte, contentType string) asset {
	sum := sha256.Sum256(body)
	return asset{body: body, contentType: contentType, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

// serve answers with no-cache plus an ETag: browsers revalidate every
// load (a new release is picked up at once) and get a cheap 304.
func (a asset) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", a.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

type handler struct {
	script, demoPage, demoScript asset
}

// New returns the handler of /widget.js, /demo and the widget's assets.
func New(cfg config.Config) http.Handler {
	_ = cfg // the widget finds its API from its own script URL
	return &handler{
		script:     newAsset(buildScript(), "text/javascript; charset=utf-8"),
		demoPage:   newAsset(mustRead("static/demo.html"), "text/html; charset=utf-8"),
		demoScript: newAsset(mustRead("static/demo.js"), "text/javascript; charset=utf-8"),
	}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case "/widget.js":
		h.script.serve(w, r)
	case "/demo":
		w.Header().Set("Content-Security-Policy", demoCSP)
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.demoPage.serve(w, r)
	case "/widget/demo.js":
		h.demoScript.serve(w, r)
	case "/widget/demo-config.json":
		serveDemoConfig(w)
	default:
		http.NotFound(w, r)
	}
}

func serveDemoConfig(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	d := demo.Load()
	if d == nil {
		http.Error(w, "no demo configured: run `switchboard dev --demo-backend`, or open /demo?org=…&key=…", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(d)
}

// buildScript joins the widget's source fragments and inlines its CSS.
func buildScript() []byte {
	names, err := fs.Glob(static, "static/widget/*.js")
	if err != nil || len(names) == 0 {
		panic("widgetui: no widget sources embedded")
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("/* Switchboard chat widget. Configure with window.SwitchboardConfig = {orgId, apiKey, visitorId, apiBase?}. */\n")
	b.WriteString("(function () {\n\"use strict\";\n")
	for _, n := range names {
		b.WriteString("\n// ---- " + path.Base(n) + "\n")
		b.Write(mustRead(n))
	}
	b.WriteString("\n})();\n")
	css, _ := json.Marshal(string(mustRead("static/widget.css"))) // a valid JS string literal
	src := b.String()
	if !strings.Contains(src, cssPlaceholder) {
		panic("widgetui: the widget source lost its CSS placeholder")
	}
	return []byte(strings.Replace(src, cssPlaceholder, string(css), 1))
}

func mustRead(name string) []byte {
	b, err := static.ReadFile(name)
	if err != nil {
		panic("widgetui: " + err.Error())
	}
	return b
}
