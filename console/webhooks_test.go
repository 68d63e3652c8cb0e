package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/models"
)

// TestConsoleWebhookPaceFields: the form's rate limit and FIFO reach the
// endpoint, and a rate the form cannot read is refused on the form with
// nothing created.
func TestConsoleWebhookPaceFields(t *testing.T) {
	u := newUnit(t)
	ck, csrf := u.signIn(u.org.SecretKey)
	form := func(rate, fifo string) url.Values {
		v := url.Values{csrfField: {csrf}, "url": {"http://127.0.0.1:9/hook"}, "event_type": {"contact.created"},
			"signing_scheme": {models.SchemeHexHMAC}, "rate_limit": {rate}}
		if fifo != "" {
			v.Set("fifo", fifo)
		}
		return v
	}
	for name, rate := range map[string]string{"text": "fast", "NaN": "NaN", "infinite": "Inf", "negative": "-1", "too high": "1001"} {
		resp := u.do("POST", "/console/webhooks", form(rate, "true"), []*http.Cookie{ck}, nil)
		body := bodyOf(t, resp)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "rate_limit") || !strings.Contains(body, `value="http://127.0.0.1:9/hook"`) {
			t.Errorf("%s rate %q: %d, want the form again with the rate_limit error and what was typed", name, rate, resp.StatusCode)
		}
	}
	if hooks, err := u.svc.Webhooks.ListWebhooks(t.Context(), u.org.Org.ID); err != nil || len(hooks) != 0 {
		t.Fatalf("refused forms created %d webhooks (%v)", len(hooks), err)
	}

	resp := u.do("POST", "/console/webhooks", form("2.5", "true"), []*http.Cookie{ck}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", resp.StatusCode, bodyOf(t, resp))
	}
	id := strings.TrimPrefix(strings.SplitN(resp.Header.Get("Location"), "?", 2)[0], "/console/webhooks/")
	wh, err := u.svc.Webhooks.GetWebhook(t.Context(), u.org.Org.ID, id)
	if err != nil || wh.RateLimit != 2.5 || !wh.FIFO {
		t.Fatalf("created webhook %+v (%v), want rate 2.5 and FIFO", wh, err)
	}
	page := bodyOf(t, u.do("GET", "/console/webhooks/"+id, nil, []*http.Cookie{ck}, nil))
	if !strings.Contains(page, `value="2.5"`) || !strings.Contains(page, `id="fifo" name="fifo" value="true" checked`) {
		t.Fatal("the edit form does not show the saved rate and FIFO")
	}
	// An empty rate and an unticked box turn both off.
	if resp := u.do("POST", "/console/webhooks/"+id, form("", ""), []*http.Cookie{ck}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("update: %d %s", resp.StatusCode, bodyOf(t, resp))
	}
	if wh, err = u.svc.Webhooks.GetWebhook(t.Context(), u.org.Org.ID, id); err != nil || wh.RateLimit != 0 || wh.FIFO {
		t.Fatalf("after clearing: %+v (%v)", wh, err)
	}
}
