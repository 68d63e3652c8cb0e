package store_test

import (
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/internal/storetest"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/models"
)

// loopbackProxy forwards TCP connections on a loopback port to target
// until stop is called, which closes the listener and every open
// connection: to the store it looks like PostgreSQL went away.
func loopbackProxy(t *testing.T, target string) (addr string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, up)
			mu.Unlock()
			go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
			go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
		}
	}()
	stop = func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	}
	t.Cleanup(stop)
	return ln.Addr().String(), stop
}

// TestLostDatabaseIsUnavailable: when PostgreSQL stops answering (its
// connections are cut and new ones refused), store calls return
// models.ErrUnavailable, through queries, transactions and Ping alike.
func TestLostDatabaseIsUnavailable(t *testing.T) {
	dsn := testenv.Postgres(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	addr, stop := loopbackProxy(t, u.Host)
	u.Host = addr
	st := storetest.Open(t, u.String(), "")
	org := models.Org{ID: models.NewID("org"), Name: "t"}
	if err := st.CreateOrg(t.Context(), &org); err != nil {
		t.Fatal(err)
	}
	stop()
	checks := map[string]error{
		"ping": st.Ping(t.Context()),
	}
	_, checks["query"] = st.GetWebhook(t.Context(), org.ID, "wh_x")
	checks["transaction"] = st.CreateOrg(t.Context(), &models.Org{ID: models.NewID("org"), Name: "u"})
	for name, err := range checks {
		if !errors.Is(err, models.ErrUnavailable) {
			t.Errorf("%s with the database gone: %v, want ErrUnavailable", name, err)
		}
	}
}
