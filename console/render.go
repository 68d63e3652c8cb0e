package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
)

// view is what the layout renders: the page's own data in Data.
type view struct {
	Page  string
	OrgID string // empty: signed out (no navigation)
	CSRF  string
	Flash string
	// Posted marks the answer to a form post (a secret or an outcome
	// shown in place): the script turns the page's history entry into a
	// GET, so reloading it does not post again.
	Posted bool
	Reload string // where a reload of that answer goes: the page's GET path
	Data   any
}

type errorView struct{ Title, Message string }

// pageNames are the templates under templates/, one page each, rendered
// inside layout.html with the shared parts.
var pageNames = []string{"signin", "error", "webhooks", "webhook", "deliveries", "delivery",
	"backend_connect", "tickets", "ticket", "apps", "app", "chat_backend", "operations"}

// flashes are the fixed notices a redirect can ask for (?done=...), so no
// text from the URL is ever shown.
var flashes = map[string]string{
	"signedout": "You are signed out.", "expired": "Your session expired. Sign in again.",
	"created": "Created.", "saved": "Saved.", "deleted": "Deleted.", "activated": "The webhook is active.",
	"deactivated": "The webhook is inactive: no deliveries are sent to it.", "retried": "Retry requested.",
	"cancelled": "Cancellation requested.", "sent": "Message sent.",
	"enabled": "The endpoint is enabled.", "replay_started": "The replay started.", "replay_steered": "Done.",
	"replayed": "This is the replay: a new delivery of the same event.", "replayed_event": "The event is sent again; its new deliveries are at the top.",
}

func parsePages(c *console) map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(c.funcs()).
		ParseFS(templateFS, "templates/layout.html", "templates/parts.html"))
	out := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
	}
	return out
}

func (c *console) funcs() template.FuncMap {
	return template.FuncMap{
		"ts":  formatTime,
		"tsp": func(t *time.Time) string { return formatTimePtr(t) },
		"has": func(list []string, s string) bool { return slices.Contains(list, s) },
		"join": func(list []string) string {
			return strings.Join(list, ", ")
		},
		"json":        prettyJSON,
		"us":          func(us int64) string { return strconv.FormatFloat(float64(us)/1000, 'f', 1, 64) + " ms" },
		"ms":          func(ms float64) string { return strconv.FormatFloat(ms, 'f', 1, 64) + " ms" },
		"temporalURL": c.temporalURL,
		"deliveryWF":  contracts.DeliveryWorkflowID,
		"lookupWF":    contracts.LookupWorkflowID,
		"path":        url.PathEscape,
		"val":         fieldValue,
		"blanks":      func(n int) []int { return make([]int, n) },
		// dict passes several values to a shared part (secretbox).
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				k, _ := kv[i].(string)
				m[k] = kv[i+1]
			}
			return m
		},
	}
}

// fieldValue shows a profile field or a sample value: text as is,
// anything else (numbers, objects) as JSON.
func fieldValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// temporalURL links a workflow in the dev server's Web UI; production
// deployments run their own UI, but the path is the same.
func (c *console) temporalURL(workflowID string) string {
	port := c.cfg.DevUIPort
	if port == 0 {
		port = 8233
	}
	ns := c.cfg.TemporalNamespace
	if ns == "" {
		ns = "default"
	}
	return fmt.Sprintf("http://127.0.0.1:%d/namespaces/%s/workflows/%s", port, url.PathEscape(ns), url.PathEscape(workflowID))
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func formatTimePtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return formatTime(*t)
}

// prettyJSON indents JSON for a <pre>; anything else is marshalled first.
func prettyJSON(v any) string {
	var raw []byte
	switch x := v.(type) {
	case json.RawMessage:
		raw = x
	case []byte:
		raw = x
	case string:
		raw = []byte(x)
	default:
		raw, _ = json.Marshal(x)
	}
	var b bytes.Buffer
	if len(raw) == 0 || json.Indent(&b, raw, "", "  ") != nil {
		return string(raw)
	}
	return b.String()
}

// render writes a whole page; it renders into a buffer first so a
// template error is a clean 500, not half a page.
func (c *console) render(w http.ResponseWriter, r *http.Request, status int, name string, s *session, data any) {
	v := view{Page: name, Flash: flashes[r.URL.Query().Get("done")], Data: data}
	if r.Method == http.MethodPost {
		v.Posted, v.Reload = true, reloadPath(r.URL.Path)
	}
	if s != nil {
		v.OrgID, v.CSRF = s.OrgID, s.CSRF
	}
	var b bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&b, "layout.html", v); err != nil {
		c.log.Error("console: render failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// postActions are the last path segments of posts that answer with the
// page of the thing they act on.
var postActions = []string{"rotate", "secret", "test", "sample", "retry", "cancel", "refresh", "messages", "active", "delete",
	"enable", "pause", "resume"}

// reloadPath is the GET page a post's answer shows: the action segment
// dropped, and a refused create back to its "new" form.
func reloadPath(p string) string {
	if i := strings.LastIndex(p, "/"); i > 0 && slices.Contains(postActions, p[i+1:]) {
		p = p[:i]
	}
	if p == "/console/webhooks" || p == "/console/apps" {
		p += "/new"
	}
	return p
}

// fail renders the page for a service error: another org's (or no) ID is
// a 404, a domain refusal shows its message, anything unexpected is logged
// and shown without its text (it may hold internals).
func (c *console) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	var (
		valErr   *models.ValidationError
		conflict *models.ConflictError
		denied   *models.ForbiddenError
	)
	switch {
	case errors.Is(err, models.ErrNotFound):
		c.render(w, r, http.StatusNotFound, "error", s, errorView{Title: "Not found", Message: "There is no such item in this org."})
	case errors.As(err, &valErr):
		c.render(w, r, http.StatusBadRequest, "error", s, errorView{Title: "Invalid request", Message: valErr.Error()})
	case errors.As(err, &conflict):
		c.render(w, r, http.StatusConflict, "error", s, errorView{Title: "Not possible now", Message: conflict.Message})
	case errors.As(err, &denied):
		c.render(w, r, http.StatusForbidden, "error", s, errorView{Title: "Forbidden", Message: denied.Message})
	case errors.Is(err, models.ErrUnavailable):
		c.log.Warn("console: dependency unavailable", "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "5")
		c.render(w, r, http.StatusServiceUnavailable, "error", s, errorView{Title: "Temporarily unavailable",
			Message: "The database or Temporal cannot take the request now. Try again in a few seconds."})
	default:
		c.log.Error("console: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		c.render(w, r, http.StatusInternalServerError, "error", s, errorView{Title: "Something went wrong",
			Message: "The request failed. The server log has the details."})
	}
}

// userError is the message of an error the user can act on (bad input, a
// refusal) and "" for anything else, which the caller hands to fail.
func userError(err error) string {
	var (
		valErr   *models.ValidationError
		conflict *models.ConflictError
	)
	switch {
	case errors.As(err, &valErr):
		return valErr.Error()
	case errors.As(err, &conflict):
		return conflict.Message
	}
	return ""
}

// redirect answers a form post with the page to show next (post, redirect,
// get: reloading that page does not post again).
func redirect(w http.ResponseWriter, r *http.Request, path, done string) error {
	if done != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "done=" + url.QueryEscape(done)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}

func isNotFound(err error) bool { return errors.Is(err, models.ErrNotFound) }

// checked reads a checkbox: present means on.
func checked(r *http.Request, name string) bool { return r.PostFormValue(name) != "" }
