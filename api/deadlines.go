package api

import (
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/live"
)

// bodyDeadline adapts the server's read deadline (HTTP_READ_TIMEOUT, which
// covers headers and body) to each request:
//
//   - once the body has been read, or at once for a request without one,
//     the deadline is lifted: net/http cancels the request's context when
//     a read deadline passes, which would otherwise cut off a legitimate
//     long request (a Test send) or stream;
//   - a body the handler did not read to the end (an unauthenticated or
//     refused request) gets "Connection: close" on the answer, so net/http
//     answers at once and closes instead of first draining up to 256 KiB
//     from a client that may be sending a byte every few seconds.
//
// Authentication runs before any handler reads a body, so a request with
// no valid key is answered 401 without its body being read.
func bodyDeadline(c *gin.Context) {
	rc := http.NewResponseController(c.Writer)
	// A response writer without deadlines (a test recorder) needs none.
	lift := func() { _ = rc.SetReadDeadline(time.Time{}) }
	if c.Request.Body == nil || c.Request.Body == http.NoBody {
		lift()
		c.Next()
		return
	}
	body := &eofBody{ReadCloser: c.Request.Body, onEOF: lift}
	c.Request.Body = body
	c.Next()
	if !body.eof.Load() && !c.Writer.Written() {
		c.Header("Connection", "close")
		// net/http also drains an unread body (up to 256 KiB) when it
		// closes it after the answer; a deadline in the past makes that
		// drain fail at once, so the connection is closed, not held.
		_ = rc.SetReadDeadline(time.Now())
	}
}

// eofBody calls onEOF once when the body has been read to its end.
type eofBody struct {
	io.ReadCloser
	onEOF func()
	eof   atomic.Bool
}

func (b *eofBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && b.eof.CompareAndSwap(false, true) {
		b.onEOF()
	}
	return n, err
}

// startStream answers the headers of a Server-Sent Events stream
// (live.StartStream: no deadlines, no caching, no proxy buffering).
func startStream(c *gin.Context) { live.StartStream(c.Writer) }

// awaitStream waits for the stream's next notification or keepalive tick
// (writing the keepalive comment, so proxies keep it open and a gone
// client is noticed). It reports false when the stream must end: the
// client left, the server shuts down, or the keepalive could not be
// written.
func awaitStream(c *gin.Context, notify <-chan struct{}, tick <-chan time.Time, shutdown <-chan struct{}) bool {
	select {
	case <-c.Request.Context().Done():
		return false
	case <-shutdown:
		return false
	case <-notify:
	case <-tick:
		if live.Keepalive(c.Writer, http.NewResponseController(c.Writer)) != nil {
			return false
		}
	}
	return true
}
