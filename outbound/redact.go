package outbound

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// Redacted replaces every hidden value.
const Redacted = "[redacted]"

// maxShownSegment is the longest first path segment RedactURL shows: a
// longer one is more likely a token than a route name.
const maxShownSegment = 32

// RedactURL is the only form of a customer URL that leaves this package (in
// errors, attempt rows, logs and workflow history): scheme, host and port,
// plus the first path segment when it is short; anything after it (more
// path, the query, the fragment) becomes "…", user-info is dropped. Tokens
// are usually deeper in the path or in the query (Slack-style
// /services/T0/B0/TOKEN, ?token=…), and the host plus first segment is
// still enough to tell endpoints apart.
//
//	http://127.0.0.1:1/services/T0/B0/TOKEN?token=X  ->  http://127.0.0.1:1/services/…
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return Redacted
	}
	out := u.Scheme + "://" + u.Host
	first, rest, more := strings.Cut(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	switch {
	case len(first) > maxShownSegment || more && (rest != "" || first == ""):
		// Everything after the shown part is hidden, query included.
		if first != "" && len(first) <= maxShownSegment {
			out += "/" + first
		}
		return out + "/…"
	case first != "":
		out += "/" + first
	}
	if more {
		out += "/"
	}
	if u.RawQuery != "" || u.ForceQuery {
		out += "?…"
	}
	if u.Fragment != "" {
		out += "#…"
	}
	return out
}

// sensitiveHeaders carry credentials whatever the target says.
var sensitiveHeaders = map[string]bool{
	"authorization": true, "proxy-authorization": true, "x-api-key": true, "cookie": true, "set-cookie": true,
}

// redactHeaders hides credential headers (and the target's own auth
// header) before the headers are stored or shown.
func redactHeaders(h map[string]string, t Target) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		lk := strings.ToLower(k)
		if sensitiveHeaders[lk] || t.AuthHeader != "" && strings.EqualFold(k, t.AuthHeader) || t.isSecret(v) {
			v = Redacted
		}
		out[k] = v
	}
	return out
}

// redactText removes anything secret about t from a free text (an error
// from the network stack can quote the full URL): the URL, its path and
// query, every secret and the auth value.
func redactText(s string, t Target) string {
	if u, err := url.Parse(t.URL); err == nil {
		shown := RedactURL(t.URL)
		for _, v := range []string{t.URL, u.String(), u.Redacted()} {
			if v != "" {
				s = strings.ReplaceAll(s, v, shown)
			}
		}
		for _, v := range []string{u.RawQuery, u.EscapedPath(), u.Path, u.User.String()} {
			if len(v) > 1 {
				s = strings.ReplaceAll(s, v, "…")
			}
		}
	}
	for _, v := range append([]string{t.AuthValue}, t.Secrets...) {
		if v != "" {
			s = strings.ReplaceAll(s, v, Redacted)
		}
	}
	return s
}

// StorableText keeps at most limit bytes of b as text a PostgreSQL text
// column accepts: cut on a character boundary, invalid UTF-8 replaced, NUL
// bytes dropped.
func StorableText(b []byte, limit int) string {
	if limit < 0 {
		limit = 0
	}
	if len(b) > limit {
		b = b[:limit]
		// Drop a character cut in half by the limit.
		for i := 0; i < utf8.UTFMax-1 && len(b) > 0; i++ {
			if r, size := utf8.DecodeLastRune(b); r != utf8.RuneError || size != 1 {
				break
			}
			b = b[:len(b)-1]
		}
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "")
}
