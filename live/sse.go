package live

import (
	"fmt"
	"net/http"
	"time"
)

// StartStream answers the headers of a Server-Sent Events stream on w,
// for the API's and the console's streams alike: no read or write deadline
// (the server's HTTP_WRITE_TIMEOUT would otherwise end every stream after
// that long; the keepalives notice a vanished client instead), no caching,
// and no buffering by an nginx in front. It returns the controller that
// flushes w.
func StartStream(w http.ResponseWriter) *http.ResponseController {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return rc
}

// Keepalive writes the stream's keepalive comment and flushes it, so
// proxies keep the stream open; an error means the client is gone.
func Keepalive(w http.ResponseWriter, rc *http.ResponseController) error {
	if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
		return err
	}
	return rc.Flush()
}
