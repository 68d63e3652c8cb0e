package main

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"testing"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/service"
	"github.com/switchboardhq/switchboard/store"
)

func TestOrgsCreatePrintsWorkingKeys(t *testing.T) {
	path := t.TempDir() + "/cli.db"
	t.Setenv("SWITCHBOARD_SQLITE_PATH", path)
	var out bytes.Buffer
	stdout = &out
	if err := run([]string{"orgs", "create", "acme"}); err != nil {
		t.Fatal(err)
	}
	sk := regexp.MustCompile(`secret key: (sb_sk_\S+)`).FindStringSubmatch(out.String())
	pk := regexp.MustCompile(`public key: (sb_pk_\S+)`).FindStringSubmatch(out.String())
	if sk == nil || pk == nil {
		t.Fatalf("output: %s", out.String())
	}
	st, err := store.Open("", path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := service.New(service.Deps{Store: st, Log: slog.Default()}, testConfig(t))
	p, err := svc.Orgs.Authenticate(context.Background(), sk[1])
	if err != nil || p.KeyKind != "secret" {
		t.Fatalf("printed secret key does not authenticate: %v %+v", err, p)
	}
	if p2, err := svc.Orgs.Authenticate(context.Background(), pk[1]); err != nil || p2.KeyKind != "public" || p2.OrgID != p.OrgID {
		t.Fatalf("printed public key: %v %+v", err, p2)
	}
}

func TestUnknownCommandFails(t *testing.T) {
	if err := run([]string{"frobnicate"}); err == nil {
		t.Fatal("unknown command accepted")
	}
	if err := run([]string{"orgs", "create"}); err == nil {
		t.Fatal("orgs create without a name accepted")
	}
}

func testConfig(t *testing.T) config.Config {
	t.Helper()
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
