package widgetui_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/widgetui"
)

func get(t *testing.T, h http.Handler, path string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// The script is one self-contained file: its CSS inlined, served as
// JavaScript that browsers revalidate on every load.
func TestWidgetScript(t *testing.T) {
	h := widgetui.New(config.Config{})
	w := get(t, h, "/widget.js")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/javascript; charset=utf-8" ||
		w.Header().Get("Cache-Control") != "no-cache" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("GET /widget.js = %d %v", w.Code, w.Header())
	}
	body := w.Body.String()
	if strings.Contains(body, "__SWITCHBOARD_WIDGET_CSS__") || !strings.Contains(body, ".launcher") {
		t.Fatal("the stylesheet is not inlined into the script")
	}
	if strings.Contains(body, "innerHTML") || strings.Contains(body, "insertAdjacentHTML") || strings.Contains(body, "eval(") {
		t.Fatal("the widget must build DOM nodes, never parse HTML")
	}
	if again := get(t, h, "/widget.js", "If-None-Match", w.Header().Get("ETag")); again.Code != http.StatusNotModified {
		t.Fatalf("revalidation = %d, want 304", again.Code)
	}
}

func TestDemoPage(t *testing.T) {
	h := widgetui.New(config.Config{})
	w := get(t, h, "/demo")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") ||
		!strings.Contains(w.Header().Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("GET /demo = %d %v", w.Code, w.Header())
	}
	if !strings.Contains(w.Body.String(), `src="/widget/demo.js"`) {
		t.Fatal("the demo page does not load its script")
	}
	if w := get(t, h, "/widget/demo.js"); w.Code != http.StatusOK {
		t.Fatalf("GET /widget/demo.js = %d", w.Code)
	}
	if w := get(t, h, "/widget/nothing"); w.Code != http.StatusNotFound {
		t.Fatalf("GET /widget/nothing = %d", w.Code)
	}
}

// Only `dev --demo-backend` publishes a demo org; until then it is 404.
func TestDemoConfig(t *testing.T) {
	h := widgetui.New(config.Config{})
	if w := get(t, h, "/widget/demo-config.json"); w.Code != http.StatusNotFound {
		t.Fatalf("unset demo config = %d", w.Code)
	}
	widgetui.SetDemo("org_1", "sb_pk_x")
	w := get(t, h, "/widget/demo-config.json")
	var got widgetui.DemoConfig
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &got) != nil || got.OrgID != "org_1" || got.APIKey != "sb_pk_x" || got.VisitorID == "" {
		t.Fatalf("demo config = %d %s", w.Code, w.Body)
	}
}
