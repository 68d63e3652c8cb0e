package browsertest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
)

// The real browser starts with the project's flags and runs a page's
// script: the helper every browser test stands on.
func TestBrowserRunsAPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, `<!doctype html><p id="out">wait</p><script>document.getElementById("out").textContent = "ran " + (6*7)</script>`)
	}))
	defer srv.Close()
	ctx := New(t)
	var text string
	Run(t, ctx, "load", chromedp.Navigate(srv.URL), chromedp.Text("#out", &text, chromedp.ByQuery))
	if text != "ran 42" {
		t.Fatalf("page script: %q", text)
	}
}
