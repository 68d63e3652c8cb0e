package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/models"
)

// Cookie and form names. The sign-in cookie carries a one-time token for
// the sign-in form itself (double submit), so a foreign page cannot sign a
// browser into the attacker's org.
const (
	sessionCookie = "sb_console"
	signInCookie  = "sb_console_signin"
	csrfField     = "csrf_token"
	csrfHeader    = "X-CSRF-Token"
	cookiePath    = "/console"
)

// session is the signed-in operator of one request.
type session struct {
	OrgID     string
	CSRF      string
	ExpiresAt time.Time
	hash      string
}

// pageFunc is a page that needs a session; a returned error becomes the
// matching error page.
type pageFunc func(w http.ResponseWriter, r *http.Request, s *session) error

// page registers h behind the session check and, for POST, the CSRF and
// same-origin checks.
func (c *console) page(mux *http.ServeMux, pattern string, h pageFunc) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		// Pages can show secrets: never keep them in a cache.
		w.Header().Set("Cache-Control", "no-store")
		s, expired, err := c.loadSession(r)
		if err != nil {
			c.fail(w, r, nil, err)
			return
		}
		if s == nil {
			c.toSignIn(w, r, expired)
			return
		}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				c.render(w, r, http.StatusBadRequest, "error", s, errorView{Title: "Bad request", Message: "The form could not be read."})
				return
			}
			if !c.sameOrigin(r) || !validCSRF(r, s.CSRF) {
				c.forbidden(w, r, s)
				return
			}
			// The body is read: lift the server's read deadline, which
			// would otherwise cancel a long wait (a Test send) mid-way.
			_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
		}
		if err := h(w, r, s); err != nil {
			c.fail(w, r, s, err)
		}
	})
}

func (c *console) forbidden(w http.ResponseWriter, r *http.Request, s *session) {
	c.render(w, r, http.StatusForbidden, "error", s, errorView{Title: "Forbidden",
		Message: "This request did not come from a console page of this session (missing or wrong CSRF token, or a cross-site request). Reload the page and try again."})
}

// loadSession reads the session cookie. No cookie, an unknown token or an
// expired session is no session (expired says which); an expired row is
// deleted on the way.
func (c *console) loadSession(r *http.Request) (s *session, expired bool, err error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil, false, nil
	}
	hash := hashToken(ck.Value)
	row, err := c.st.ConsoleSession(r.Context(), hash)
	if errors.Is(err, models.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if !c.now().Before(row.ExpiresAt) {
		if err := c.st.DeleteConsoleSession(r.Context(), hash); err != nil {
			c.log.Warn("console: deleting an expired session failed", "err", err)
		}
		return nil, true, nil
	}
	return &session{OrgID: row.OrgID, CSRF: row.CSRFToken, ExpiresAt: row.ExpiresAt, hash: hash}, false, nil
}

// toSignIn answers a request without a session: pages redirect to the
// sign-in page (coming back afterwards), scripts get a bare 401.
func (c *console) toSignIn(w http.ResponseWriter, r *http.Request, expired bool) {
	if expired {
		http.SetCookie(w, c.cookie(r, sessionCookie, "", -1))
	}
	if strings.Contains(r.Header.Get("Accept"), "text/event-stream") || r.Header.Get(csrfHeader) != "" {
		http.Error(w, "signed out", http.StatusUnauthorized)
		return
	}
	q := url.Values{}
	if r.Method == http.MethodGet {
		q.Set("next", r.URL.RequestURI())
	}
	if expired {
		q.Set("done", "expired")
	}
	http.Redirect(w, r, "/console/signin?"+q.Encode(), http.StatusSeeOther)
}

// sameOrigin refuses what a browser marks as coming from another site.
// Sec-Fetch-Site is the browser's own verdict and decides when present.
// Origin is checked against the host the request came to (or PUBLIC_URL
// behind a proxy) when it names one; the console's no-referrer policy
// makes browsers send "Origin: null" even on its own form posts, so that
// value proves nothing either way. Requests with neither header (curl,
// old browsers) rely on the CSRF token alone, which every post needs.
func (c *console) sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false // same-site (a sibling subdomain) or cross-site
	}
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	if pub, err := url.Parse(c.cfg.PublicURL); err == nil && c.cfg.PublicURL != "" {
		return strings.EqualFold(u.Host, pub.Host) && u.Scheme == pub.Scheme
	}
	return false
}

// validCSRF compares the form field (or, for fetch, the header) with the
// session's token in constant time.
func validCSRF(r *http.Request, want string) bool {
	got := r.PostFormValue(csrfField)
	if got == "" {
		got = r.Header.Get(csrfHeader)
	}
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// cookie builds a console cookie: HttpOnly (no script reads it), Strict
// (never sent on a cross-site request) and Secure whenever the console is
// reached over HTTPS.
func (c *console) cookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: cookiePath, MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil || strings.HasPrefix(c.cfg.PublicURL, "https://")}
}

// newToken is 32 random bytes, URL-safe.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error since Go 1.24.
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is SHA-256: the token is 256 random bits, so a slow hash
// would add latency to every page without adding safety.
func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

// safeNext keeps a post-sign-in destination only when it is a console
// path on this host, so the sign-in page is not an open redirect.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/console/") ||
		strings.HasPrefix(next, "//") || strings.Contains(next, `\`) || strings.HasPrefix(u.Path, "/console/signin") {
		return "/console/webhooks"
	}
	return u.RequestURI()
}

type signInView struct {
	Next  string
	Error string
}

func (c *console) signInPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if s, _, err := c.loadSession(r); err == nil && s != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	c.renderSignIn(w, r, http.StatusOK, signInView{Next: safeNext(r.URL.Query().Get("next"))})
}

// renderSignIn shows the form with a fresh sign-in token.
func (c *console) renderSignIn(w http.ResponseWriter, r *http.Request, status int, v signInView) {
	token := newToken()
	http.SetCookie(w, c.cookie(r, signInCookie, token, int(time.Hour/time.Second)))
	c.render(w, r, status, "signin", &session{CSRF: token}, v)
}

func (c *console) signIn(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if err := r.ParseForm(); err != nil {
		c.render(w, r, http.StatusBadRequest, "error", nil, errorView{Title: "Bad request", Message: "The form could not be read."})
		return
	}
	pre, err := r.Cookie(signInCookie)
	if err != nil || !c.sameOrigin(r) || !validCSRF(r, pre.Value) {
		c.forbidden(w, r, nil)
		return
	}
	next := safeNext(r.PostFormValue("next"))
	p, err := c.svc.Orgs.Authenticate(r.Context(), strings.TrimSpace(r.PostFormValue("key")))
	switch {
	case errors.Is(err, models.ErrUnauthorized):
		c.renderSignIn(w, r, http.StatusUnauthorized, signInView{Next: next, Error: "That key is not valid. Sign in with the org's secret key (sb_sk_…)."})
		return
	case err != nil:
		c.fail(w, r, nil, err)
		return
	case p.KeyKind != models.KeyKindSecret:
		c.renderSignIn(w, r, http.StatusUnauthorized, signInView{Next: next, Error: "A public widget key cannot sign in. Use the org's secret key (sb_sk_…)."})
		return
	}
	now := c.now().UTC().Truncate(time.Microsecond)
	if _, err := c.st.DeleteExpiredConsoleSessions(r.Context(), now); err != nil {
		c.log.Warn("console: deleting expired sessions failed", "err", err)
	}
	token := newToken()
	row := models.ConsoleSession{TokenHash: hashToken(token), OrgID: p.OrgID, CSRFToken: newToken(),
		CreatedAt: now, ExpiresAt: now.Add(models.ConsoleSessionTTL)}
	if err := c.st.CreateConsoleSession(r.Context(), &row); err != nil {
		c.fail(w, r, nil, err)
		return
	}
	http.SetCookie(w, c.cookie(r, signInCookie, "", -1))
	http.SetCookie(w, c.cookie(r, sessionCookie, token, int(models.ConsoleSessionTTL/time.Second)))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *console) signOut(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.st.DeleteConsoleSession(r.Context(), s.hash); err != nil {
		return err
	}
	http.SetCookie(w, c.cookie(r, sessionCookie, "", -1))
	http.Redirect(w, r, "/console/signin?done=signedout", http.StatusSeeOther)
	return nil
}
