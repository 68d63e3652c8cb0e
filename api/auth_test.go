package api

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestWidgetWithoutOrgHeaderSaysSo: the widget route names the missing
// X-Switchboard-Org header instead of blaming the key.
func TestWidgetWithoutOrgHeaderSaysSo(t *testing.T) {
	h, key := newTestAPI(t)
	req := httptest.NewRequest("POST", "/v1/widget/messages", strings.NewReader(`{"text":"hi"}`))
	req.Header.Set(HeaderWidgetKey, key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 401 || !strings.Contains(rec.Body.String(), `"code":"missing_org"`) ||
		!strings.Contains(rec.Body.String(), HeaderWidgetOrg) {
		t.Fatalf("got %d %s, want 401 missing_org naming %s", rec.Code, rec.Body.String(), HeaderWidgetOrg)
	}
}
