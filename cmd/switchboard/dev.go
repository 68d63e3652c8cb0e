package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/devserver"
)

// runDev is the all-in-one for a new user: a Temporal dev server with its
// Web UI, the worker and the API in one process, on the embedded SQLite
// store, plus a fresh org whose key it prints.
func runDev(ctx context.Context, args []string) error {
	if _, err := parseFlags("dev", args); err != nil {
		return err
	}
	// Local endpoints (http://127.0.0.1:…) are the point of dev mode.
	if os.Getenv(config.Prefix+"ALLOW_INSECURE_URLS") == "" {
		_ = os.Setenv(config.Prefix+"ALLOW_INSECURE_URLS", "true")
	}
	// The SSRF guard stays on; loopback receivers are let through its
	// allow-list, like any self-hoster's internal range.
	if os.Getenv(config.Prefix+"OUTBOUND_ALLOW_CIDRS") == "" {
		_ = os.Setenv(config.Prefix+"OUTBOUND_ALLOW_CIDRS", config.LoopbackCIDRs)
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log := logger()
	bin := os.Getenv(config.Prefix + "TEMPORAL_BIN")
	if bin == "" {
		bin = filepath.Join("bin", "temporal")
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("temporal CLI not found at %s: run `make dev`, which installs it", bin)
	}
	if err := os.MkdirAll(".data", 0o755); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "starting the Temporal dev server …")
	srv, err := devserver.Start(ctx, devserver.Options{
		Binary: bin, IP: "127.0.0.1", Port: 7233, UIPort: 8233, DBFile: filepath.Join(".data", "temporal.db"),
		Namespace: cfg.TemporalNamespace, LogLevel: "warn", Stdout: os.Stdout, Stderr: os.Stderr,
	})
	if err != nil {
		return err
	}
	defer srv.Stop()
	cfg.TemporalAddress = srv.Address()
	if err := app.Migrate(ctx, cfg); err != nil {
		return err
	}
	a, err := app.Start(ctx, cfg, log, app.Parts{API: true, Worker: true})
	if err != nil {
		return err
	}
	defer a.Close()
	org, err := a.Service.CreateOrg(ctx, "dev")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, `
Switchboard is running.
  API:          http://%s
  Temporal UI:  http://%s
  Store:        %s
  Dev org:      %s
  API key:      %s   (secret key, shown only now)
  Public key:   %s   (widget key)

Try it:
  export SB_KEY=%s
  curl -s -H "Authorization: Bearer $SB_KEY" http://%s/v1/event-types

Press Ctrl-C to stop.
`, cfg.HTTPAddr, srv.UIAddress(), storeName(cfg), org.Org.ID, org.SecretKey, org.PublicKey, org.SecretKey, cfg.HTTPAddr)
	return a.Serve(ctx)
}

func storeName(cfg config.Config) string {
	if cfg.DatabaseURL != "" {
		return "PostgreSQL"
	}
	return "SQLite " + cfg.SQLitePath
}
