package console

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/internal/storetest"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
	"github.com/switchboardhq/switchboard/store"
)

// unit is a console on a SQLite store with no Temporal: enough for
// sessions, CSRF and every page that only reads.
type unit struct {
	t   *testing.T
	c   *console
	h   http.Handler
	st  *store.Store
	svc *service.Services
	org service.NewOrg
}

func newUnit(t *testing.T) *unit {
	t.Helper()
	st := storetest.SQLite(t)
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.AllowInsecureURLs = true
	cfg.OutboundAllowCIDRs = strings.Split(config.LoopbackCIDRs, ",")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(service.Deps{Store: st, Log: log}, cfg)
	c := newConsole(Deps{Services: svc, Store: st, Log: log, Cfg: cfg})
	org, err := svc.Orgs.CreateOrg(t.Context(), "unit")
	if err != nil {
		t.Fatal(err)
	}
	return &unit{t: t, c: c, h: c.handler(), st: st, svc: svc, org: org}
}

// do sends one request through the console with the given cookies.
func (u *unit) do(method, target string, form url.Values, cookies []*http.Cookie, hdr map[string]string) *http.Response {
	u.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, ck := range cookies {
		r.AddCookie(ck)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	u.h.ServeHTTP(rec, r)
	return rec.Result()
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func bodyOf(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, ck := range resp.Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// signIn signs in with key and returns the session cookie and the CSRF
// token a page of the session carries.
func (u *unit) signIn(key string) (*http.Cookie, string) {
	u.t.Helper()
	page := u.do("GET", "/console/signin", nil, nil, nil)
	m := csrfInput.FindStringSubmatch(bodyOf(u.t, page))
	pre := cookieNamed(page, signInCookie)
	if m == nil || pre == nil {
		u.t.Fatalf("sign-in page has no token (cookie %v)", pre)
	}
	resp := u.do("POST", "/console/signin", url.Values{"key": {key}, csrfField: {m[1]}, "next": {"/console/apps"}}, []*http.Cookie{pre}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/apps" {
		u.t.Fatalf("sign in: %d to %q, want 303 to /console/apps", resp.StatusCode, resp.Header.Get("Location"))
	}
	ck := cookieNamed(resp, sessionCookie)
	if ck == nil {
		u.t.Fatal("sign in set no session cookie")
	}
	home := u.do("GET", "/console/webhooks", nil, []*http.Cookie{ck}, nil)
	m = csrfInput.FindStringSubmatch(bodyOf(u.t, home))
	if home.StatusCode != http.StatusOK || m == nil {
		u.t.Fatalf("signed-in page: %d without a CSRF token", home.StatusCode)
	}
	return ck, m[1]
}

func TestConsoleSignInCreatesServerSideSession(t *testing.T) {
	u := newUnit(t)
	ck, csrf := u.signIn(u.org.SecretKey)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/console" || ck.Secure {
		t.Fatalf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/console, not Secure over http", ck)
	}
	if ck.MaxAge != int(models.ConsoleSessionTTL/time.Second) {
		t.Fatalf("cookie max age %d, want 8 h", ck.MaxAge)
	}
	if strings.Contains(ck.Value, u.org.SecretKey) || len(ck.Value) < 43 {
		t.Fatalf("cookie value %q must be a fresh 32-byte token, not the key", ck.Value)
	}
	if _, err := u.st.ConsoleSession(t.Context(), ck.Value); err == nil {
		t.Fatal("the clear token is stored: only its hash may be")
	}
	row, err := u.st.ConsoleSession(t.Context(), hashToken(ck.Value))
	if err != nil {
		t.Fatal(err)
	}
	if row.OrgID != u.org.Org.ID || row.CSRFToken != csrf || row.ExpiresAt.Sub(row.CreatedAt) != models.ConsoleSessionTTL {
		t.Fatalf("session row %+v", row)
	}
	resp := u.do("GET", "/console/webhooks", nil, []*http.Cookie{ck}, nil)
	for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
}

func TestConsoleSignInRefusesOtherKeys(t *testing.T) {
	u := newUnit(t)
	for name, key := range map[string]string{"public key": u.org.PublicKey, "unknown key": "sb_sk_nope", "empty": ""} {
		page := u.do("GET", "/console/signin", nil, nil, nil)
		m := csrfInput.FindStringSubmatch(bodyOf(t, page))
		resp := u.do("POST", "/console/signin", url.Values{"key": {key}, csrfField: {m[1]}}, []*http.Cookie{cookieNamed(page, signInCookie)}, nil)
		if resp.StatusCode != http.StatusUnauthorized || cookieNamed(resp, sessionCookie) != nil {
			t.Errorf("%s: %d, want 401 without a session", name, resp.StatusCode)
		}
	}
	// Without the sign-in form's own token (a foreign page posting).
	resp := u.do("POST", "/console/signin", url.Values{"key": {u.org.SecretKey}}, nil, nil)
	if resp.StatusCode != http.StatusForbidden || cookieNamed(resp, sessionCookie) != nil {
		t.Fatalf("sign-in without its token: %d, want 403", resp.StatusCode)
	}
}

func TestConsoleCSRFAndOriginChecks(t *testing.T) {
	u := newUnit(t)
	ck, csrf := u.signIn(u.org.SecretKey)
	hook := "http://127.0.0.1:9/hook"
	wh, err := u.svc.Webhooks.CreateWebhook(t.Context(), u.org.Org.ID, service.WebhookInput{URL: &hook, EventTypes: &[]string{"contact.created"}})
	if err != nil {
		t.Fatal(err)
	}
	path := "/console/webhooks/" + wh.ID + "/active"
	off := url.Values{"active": {"false"}}
	with := func(token string) url.Values {
		v := url.Values{"active": {"false"}}
		v.Set(csrfField, token)
		return v
	}
	for name, tc := range map[string]struct {
		form url.Values
		hdr  map[string]string
	}{
		"no token":         {off, nil},
		"wrong token":      {with(csrf + "x"), nil},
		"cross-site fetch": {with(csrf), map[string]string{"Sec-Fetch-Site": "cross-site"}},
		"same-site fetch":  {with(csrf), map[string]string{"Sec-Fetch-Site": "same-site"}},
		"foreign origin":   {with(csrf), map[string]string{"Origin": "https://evil.example"}},
		"null cross-site":  {with(csrf), map[string]string{"Origin": "null", "Sec-Fetch-Site": "cross-site"}},
	} {
		resp := u.do("POST", path, tc.form, []*http.Cookie{ck}, tc.hdr)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, resp.StatusCode)
		}
	}
	if got, _ := u.svc.Webhooks.GetWebhook(t.Context(), u.org.Org.ID, wh.ID); !got.Active {
		t.Fatal("a refused post changed the webhook")
	}
	// The header form (fetch) and the field form both pass; so does the
	// "Origin: null" Chrome sends on the console's own posts (its
	// no-referrer policy), which Sec-Fetch-Site vouches for.
	resp := u.do("POST", path, off, []*http.Cookie{ck}, map[string]string{csrfHeader: csrf, "Origin": "http://example.com", "Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("valid post: %d, want 303", resp.StatusCode)
	}
	resp = u.do("POST", path, with(csrf), []*http.Cookie{ck}, map[string]string{"Origin": "null", "Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a same-origin form post with Origin null: %d, want 303", resp.StatusCode)
	}
	if got, _ := u.svc.Webhooks.GetWebhook(t.Context(), u.org.Org.ID, wh.ID); got.Active {
		t.Fatal("the valid post did not deactivate the webhook")
	}
	// Another session's token is not this session's.
	_, other := u.signIn(u.org.SecretKey)
	if resp := u.do("POST", path, with(other), []*http.Cookie{ck}, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("another session's token: %d, want 403", resp.StatusCode)
	}
}

func TestConsoleSessionExpiresAndSignsOut(t *testing.T) {
	u := newUnit(t)
	ck, csrf := u.signIn(u.org.SecretKey)
	u.c.now = func() time.Time { return time.Now().Add(models.ConsoleSessionTTL + time.Minute) }
	resp := u.do("GET", "/console/deliveries", nil, []*http.Cookie{ck}, nil)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Path != "/console/signin" || loc.Query().Get("done") != "expired" || loc.Query().Get("next") != "/console/deliveries" {
		t.Fatalf("expired session: %d to %q", resp.StatusCode, loc)
	}
	if _, err := u.st.ConsoleSession(t.Context(), hashToken(ck.Value)); err != models.ErrNotFound {
		t.Fatalf("the expired session is still stored: %v", err)
	}
	u.c.now = time.Now

	ck, csrf = u.signIn(u.org.SecretKey)
	resp = u.do("POST", "/console/signout", url.Values{csrfField: {csrf}}, []*http.Cookie{ck}, nil)
	if resp.StatusCode != http.StatusSeeOther || cookieNamed(resp, sessionCookie).MaxAge >= 0 {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	if _, err := u.st.ConsoleSession(t.Context(), hashToken(ck.Value)); err != models.ErrNotFound {
		t.Fatalf("signed-out session is still stored: %v", err)
	}
	resp = u.do("GET", "/console/webhooks", nil, []*http.Cookie{ck}, nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/signin") {
		t.Fatalf("after sign-out: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Scripts (the card stream) get a 401 instead of a redirect.
	resp = u.do("GET", "/console/tickets/conv_x/customer/events", nil, []*http.Cookie{ck}, map[string]string{"Accept": "text/event-stream"})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("stream after sign-out: %d, want 401", resp.StatusCode)
	}
}

func TestConsoleSecureCookieOverHTTPS(t *testing.T) {
	u := newUnit(t)
	r := httptest.NewRequest("GET", "/console/signin", nil)
	r.TLS = &tls.ConnectionState{}
	rec := httptest.NewRecorder()
	u.h.ServeHTTP(rec, r)
	if ck := cookieNamed(rec.Result(), signInCookie); ck == nil || !ck.Secure {
		t.Fatalf("HTTPS request: cookie %+v must be Secure", ck)
	}
	u.c.cfg.PublicURL = "https://console.example.com"
	if ck := u.c.cookie(httptest.NewRequest("GET", "/console/", nil), sessionCookie, "v", 1); !ck.Secure {
		t.Fatal("an https PUBLIC_URL (TLS ended at a proxy) must make cookies Secure")
	}
}

func TestConsoleOtherOrgIsNotFound(t *testing.T) {
	u := newUnit(t)
	ck, _ := u.signIn(u.org.SecretKey)
	other, err := u.svc.Orgs.CreateOrg(t.Context(), "other")
	if err != nil {
		t.Fatal(err)
	}
	hook := "http://127.0.0.1:9/other"
	wh, err := u.svc.Webhooks.CreateWebhook(context.Background(), other.Org.ID, service.WebhookInput{URL: &hook, EventTypes: &[]string{"contact.created"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/console/webhooks/" + wh.ID, "/console/deliveries/dlv_nope", "/console/apps/app_nope", "/console/tickets/conv_nope", "/console/nothing-here"} {
		resp := u.do("GET", p, nil, []*http.Cookie{ck}, nil)
		if body := bodyOf(t, resp); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "Not found") || strings.Contains(body, hook) {
			t.Errorf("GET %s: %d, want the 404 page", p, resp.StatusCode)
		}
	}
}

// TestConsolePagesRender renders every page that needs no Temporal, so a
// template mistake fails here rather than in a browser.
func TestConsolePagesRender(t *testing.T) {
	u := newUnit(t)
	ck, _ := u.signIn(u.org.SecretKey)
	hook := "http://127.0.0.1:9/hook"
	wh, err := u.svc.Webhooks.CreateWebhook(t.Context(), u.org.Org.ID, service.WebhookInput{URL: &hook, EventTypes: &[]string{"contact.created"}})
	if err != nil {
		t.Fatal(err)
	}
	name, attrs := "Referrals", map[string]service.AppActionInput{"referral_create": {Attributes: map[string]string{"who": "{{ advocate_email }}"}}}
	app, err := u.svc.Apps.CreateApp(t.Context(), u.org.Org.ID, service.AppInput{Name: &name, URL: &hook, Actions: &attrs})
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{
		"/console/webhooks": hook, "/console/webhooks/new": "contact.created", "/console/webhooks/" + wh.ID: "Reveal secret",
		"/console/deliveries": "No deliveries", "/console/deliveries?status=bogus": "Unknown status", "/console/backend-connect": "User token field",
		"/console/tickets": "Conversation ID", "/console/apps": "Referrals", "/console/apps/new": "Show available variables",
		"/console/apps/" + app.ID: "{{ advocate_email }}", "/console/chat-backend": "Test mode",
	} {
		resp := u.do("GET", p, nil, []*http.Cookie{ck}, nil)
		if body := bodyOf(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d, want a page with %q", p, resp.StatusCode, want)
		}
	}
	if resp := u.do("GET", "/console/static/console.js", nil, nil, nil); resp.StatusCode != http.StatusOK || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("static asset: %d", resp.StatusCode)
	}
}

func TestConsoleSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/console/apps?x=1": "/console/apps?x=1", "": "/console/webhooks", "https://evil.example/": "/console/webhooks",
		"//evil.example/console/": "/console/webhooks", "/elsewhere": "/console/webhooks", `/console/\evil`: "/console/webhooks",
		"/console/signin": "/console/webhooks",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConsoleReloadPath(t *testing.T) {
	for in, want := range map[string]string{
		"/console/backend-connect/rotate": "/console/backend-connect", "/console/webhooks/wh_1/test": "/console/webhooks/wh_1",
		"/console/webhooks/wh_1": "/console/webhooks/wh_1", "/console/webhooks": "/console/webhooks/new",
		"/console/apps": "/console/apps/new", "/console/chat-backend": "/console/chat-backend",
	} {
		if got := reloadPath(in); got != want {
			t.Errorf("reloadPath(%q) = %q, want %q", in, got, want)
		}
	}
}
