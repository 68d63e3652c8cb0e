package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/api"
	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/internal/storetest"
	"github.com/switchboardhq/switchboard/service"
)

// serveForTest runs the API with the http.Server Serve uses (its deadlines
// from cfg) on a loopback port, over a SQLite store, and returns the
// address and the org's secret key.
func serveForTest(t *testing.T, cfg config.Config) (string, string) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(service.Deps{Store: storetest.SQLite(t), Log: log}, cfg)
	org, err := svc.Orgs.CreateOrg(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	a := &App{Cfg: cfg, Handler: api.New(svc, api.SettingsFrom(cfg), log)}
	srv := a.httpServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String(), org.SecretKey
}

// slowPost opens a connection and sends a POST /v1/events that announces a
// 100 kB body but sends only its first bytes, like the measured attacker
// (a byte every 5 s). It returns the connection and the server's answer,
// nil after reporting an error (it may run in a goroutine, so no Fatal).
func slowPost(t *testing.T, addr, key string) (net.Conn, *bufio.Reader, *http.Response) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Error(err)
		return nil, nil, nil
	}
	t.Cleanup(func() { _ = conn.Close() })
	// A guard so a regression fails the test instead of hanging it; the
	// assertions below are on what the server answers, not how fast.
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	fmt.Fprintf(conn, "POST /v1/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"type\":", key)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Errorf("no answer to the slow body: %v", err)
		return conn, br, nil
	}
	return conn, br, resp
}

// assertClosed reads past the answer: the server must have closed the
// connection rather than wait for the rest of the body.
func assertClosed(t *testing.T, br *bufio.Reader, resp *http.Response) {
	t.Helper()
	_, _ = io.Copy(io.Discard, resp.Body)
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("connection still open after the answer: %v", err)
	}
}

// TestSlowBodyIsCutOffByTheReadDeadline: an authenticated client that
// stops sending its body gets 408 when HTTP_READ_TIMEOUT passes, and the
// connection is closed.
func TestSlowBodyIsCutOffByTheReadDeadline(t *testing.T) {
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPReadTimeout = 300 * time.Millisecond
	addr, key := serveForTest(t, cfg)
	// Many at once, as in the measured attack (1,000 were all held): every
	// one is cut off, none waits for the others.
	const clients = 50
	type outcome struct {
		br   *bufio.Reader
		resp *http.Response
	}
	done := make(chan outcome, clients)
	for range clients {
		go func() {
			_, br, resp := slowPost(t, addr, key)
			done <- outcome{br, resp}
		}()
	}
	for range clients {
		o := <-done
		if o.resp == nil || o.resp.StatusCode != http.StatusRequestTimeout {
			t.Fatalf("answer %v, want 408", o.resp)
		}
		assertClosed(t, o.br, o.resp)
	}
}

// TestUnauthenticatedSlowBodyIsNotRead: a request with a wrong key gets 401
// without its body being read: the read deadline here is an hour, so the
// answer can only come if the server does not wait for (or drain) the
// 100 kB it was promised.
func TestUnauthenticatedSlowBodyIsNotRead(t *testing.T) {
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPReadTimeout = time.Hour
	addr, _ := serveForTest(t, cfg)
	_, br, resp := slowPost(t, addr, "sb_sk_wrong")
	if resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
	assertClosed(t, br, resp)
}
