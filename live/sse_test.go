package live

import (
	"net/http/httptest"
	"testing"
)

func TestStartStreamAndKeepalive(t *testing.T) {
	w := httptest.NewRecorder()
	rc := StartStream(w)
	for k, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if err := Keepalive(w, rc); err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || w.Body.String() != ": keepalive\n\n" || !w.Flushed {
		t.Fatalf("status %d, body %q, flushed %v", w.Code, w.Body.String(), w.Flushed)
	}
}
