package main

import (
	"context"
	"errors"
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
	demo, err := parseDevFlags(args)
	if err != nil {
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
	// Every port first: a busy one must fail before anything is created
	// or printed, and say which setting moves it. The API listener is
	// kept, so nothing can take its port in between.
	ln, err := app.Listen(cfg)
	if err != nil {
		return err
	}
	defer ln.Close() // a no-op once Serve has closed it
	opts := devserver.Options{
		Binary: bin, IP: "127.0.0.1", Port: cfg.DevTemporalPort, UIPort: cfg.DevUIPort, DBFile: filepath.Join(".data", "temporal.db"),
		Namespace: cfg.TemporalNamespace, LogLevel: "warn", Stdout: os.Stdout, Stderr: os.Stderr,
	}
	if err := devPortsFree(opts); err != nil {
		return err
	}
	if err := os.MkdirAll(".data", 0o755); err != nil {
		return err
	}
	// Secrets are sealed in dev too, with a key kept in .data/ across runs.
	// Only now, after the port checks: a busy port must leave nothing behind.
	keyNote := "from " + config.Prefix + "SECRET_KEY"
	if cfg.SecretKey == "" {
		key, created, err := devSecretKey(devKeyFile)
		if err != nil {
			return err
		}
		cfg.SecretKey = key
		keyNote = devKeyFile
		if created {
			keyNote += " (created now; keep it, it opens the stored signing secrets)"
		}
	}
	fmt.Fprintln(stdout, "starting the Temporal dev server …")
	srv, err := devserver.Start(ctx, opts)
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
	org, err := a.Services.Orgs.CreateOrg(ctx, "dev")
	if err != nil {
		return err
	}
	demoNote := ""
	if demo {
		note, stop, err := startDemo(ctx, cfg, a, org)
		if err != nil {
			return err
		}
		defer stop()
		demoNote = note
	}
	fmt.Fprintf(stdout, `
Switchboard is running.
  API:          http://%s
  Temporal UI:  http://%s
  Store:        %s
  Secret key:   %s
  Dev org:      %s
  API key:      %s   (secret key, shown only now)
  Public key:   %s   (widget key)
%s
Try it:
  export SB_KEY=%s
  curl -s -H "Authorization: Bearer $SB_KEY" http://%s/v1/event-types

Press Ctrl-C to stop.
`, cfg.HTTPAddr, srv.UIAddress(), storeName(cfg), keyNote, org.Org.ID, org.SecretKey, org.PublicKey, demoNote, org.SecretKey, cfg.HTTPAddr)
	return a.ServeListener(ctx, ln)
}

// devPortsFree checks the dev server's ports and names the setting that
// moves a busy one.
func devPortsFree(o devserver.Options) error {
	err := devserver.CheckPorts(o)
	var inUse *devserver.PortInUseError
	if !errors.As(err, &inUse) {
		return err
	}
	setting := config.Prefix + "DEV_TEMPORAL_PORT"
	if inUse.Port == devserver.PortUI {
		setting = config.Prefix + "DEV_UI_PORT"
	}
	return fmt.Errorf("the Temporal dev server's %s port %s: %w (is another Temporal server running? set %s to use another port)",
		inUse.Port, inUse.Addr, inUse.Err, setting)
}

func storeName(cfg config.Config) string {
	if cfg.DatabaseURL != "" {
		return "PostgreSQL"
	}
	return "SQLite " + cfg.SQLitePath
}
