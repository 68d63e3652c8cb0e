// Package browsertest drives the real headless Chromium (Debian's
// chromium package) for the browser tests of the console and the widget,
// through chromedp. A missing browser fails the test: .ci/run installs it.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// binary finds Chromium: $SWITCHBOARD_CHROMIUM, then the usual names.
func binary(t testing.TB) string {
	if p := os.Getenv("SWITCHBOARD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: install Debian's chromium package (apt-get install -y chromium) or set SWITCHBOARD_CHROMIUM")
	return ""
}

// New starts a fresh headless browser (its own profile directory) and
// returns a tab context; everything stops when the test ends. Each run
// action is bounded by the context's deadline.
func New(t testing.TB) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(binary(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		// Close the browser properly first, so its profile directory is
		// released before TempDir's cleanup removes it.
		_ = chromedp.Cancel(ctx)
		cancelTime()
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Run(ctx); err != nil { // launches the browser
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// Run runs actions, failing the test with what was being done.
func Run(t testing.TB, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		Screenshot(t, ctx, "failed-"+what)
		t.Fatalf("%s: %v", what, err)
	}
}

// Screenshot saves a full-page PNG under $SWITCHBOARD_ARTIFACTS (default
// .artifacts/screenshots at the repository root, git-ignored) named after
// the test; it never fails the test.
func Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	dir := os.Getenv("SWITCHBOARD_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(repoRoot(), ".artifacts", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ""
	}
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	safe := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name() + "-" + name)
	path := filepath.Join(dir, safe+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return ""
	}
	t.Logf("screenshot: %s", path)
	return path
}

func repoRoot() string {
	dir, _ := os.Getwd()
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	return dir
}
