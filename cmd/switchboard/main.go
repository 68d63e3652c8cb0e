// Command switchboard runs the Switchboard integration platform.
//
//	switchboard dev              all-in-one: Temporal dev server + UI, worker, API (embedded SQLite)
//	switchboard serve            the REST API (and, by default, an in-process worker)
//	switchboard worker           a Temporal worker and the delivery sweeper
//	switchboard migrate          bring the database schema up to date
//	switchboard orgs create NAME create an org and print its keys
//	switchboard secrets reseal   re-encrypt signing secrets with the current key
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/worker"
)

// stdout receives what the commands print for the user (keys, addresses).
var stdout io.Writer = os.Stdout

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "switchboard:", err)
		os.Exit(1)
	}
}

var commands = map[string]func(ctx context.Context, args []string) error{
	"dev":     runDev,
	"serve":   runServe,
	"worker":  runWorker,
	"migrate": runMigrate,
	"orgs":    runOrgs,
	"secrets": runSecrets,
}

func run(args []string) error {
	if len(args) == 0 || commands[args[0]] == nil {
		usage()
		if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			return nil
		}
		return fmt.Errorf("unknown command %q", args[0])
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return commands[args[0]](ctx, args[1:])
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: switchboard <command> [--help]

commands:
  dev              run everything locally: Temporal dev server + Web UI, worker and API
  serve            run the REST API (with an in-process worker unless SWITCHBOARD_EMBEDDED_WORKER=false)
  worker           run a Temporal worker and the delivery sweeper
  migrate          bring the database schema up to date
  orgs create NAME create an org and print its secret and public keys
  secrets reseal   re-encrypt signing secrets in clear text or under old keys with SWITCHBOARD_SECRET_KEY`)
}

// parseFlags handles --help for every subcommand: it prints the settings,
// which all come from the environment.
func parseFlags(name string, args []string) (*flag.FlagSet, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: switchboard %s\n\n", name)
		config.Usage(os.Stderr)
	}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	return fs, err
}

func logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func runServe(ctx context.Context, args []string) error {
	if _, err := parseFlags("serve", args); err != nil {
		return err
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	// Bound first, so a busy port fails before a worker starts.
	ln, err := app.Listen(cfg)
	if err != nil {
		return err
	}
	defer ln.Close() // a no-op once Serve has closed it
	a, err := app.Start(ctx, cfg, logger(), app.Parts{API: true, Worker: cfg.EmbeddedWorker})
	if err != nil {
		return err
	}
	defer a.Close()
	a.Log.Info("API listening", "addr", cfg.HTTPAddr, "embedded_worker", cfg.EmbeddedWorker)
	return a.ServeListener(ctx, ln)
}

func runWorker(ctx context.Context, args []string) error {
	if _, err := parseFlags("worker", args); err != nil {
		return err
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	// Bound before the worker starts, so a busy port fails at once.
	var metrics net.Listener
	if cfg.WorkerMetricsAddr != "" {
		if metrics, err = net.Listen("tcp", cfg.WorkerMetricsAddr); err != nil {
			return fmt.Errorf("metrics address %s: %w", cfg.WorkerMetricsAddr, err)
		}
	}
	a, err := app.Start(ctx, cfg, logger(), app.Parts{Worker: true})
	if err != nil {
		if metrics != nil {
			_ = metrics.Close()
		}
		return err
	}
	defer a.Close()
	a.Log.Info("worker running", "task_queue", cfg.TaskQueue, "metrics_addr", cfg.WorkerMetricsAddr)
	if metrics != nil {
		return app.ServeMetrics(ctx, metrics)
	}
	<-ctx.Done()
	return nil
}

func runMigrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	withTemporal := fs.Bool("temporal", false, "also register the custom search attributes on the Temporal namespace")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: switchboard migrate [-temporal]")
		fs.PrintDefaults()
		config.Usage(os.Stderr)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if err := app.Migrate(ctx, cfg); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "database schema is up to date")
	if !*withTemporal {
		return nil
	}
	tc, err := client.DialContext(ctx, client.Options{HostPort: cfg.TemporalAddress, Namespace: cfg.TemporalNamespace})
	if err != nil {
		return err
	}
	defer tc.Close()
	if err := worker.EnsureSearchAttributes(ctx, tc, cfg.TemporalNamespace); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "Temporal search attributes are registered")
	return nil
}

func runOrgs(ctx context.Context, args []string) error {
	if len(args) != 2 || args[0] != "create" {
		return errors.New("usage: switchboard orgs create NAME")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if err := app.Migrate(ctx, cfg); err != nil {
		return err
	}
	org, err := app.CreateOrg(ctx, cfg, args[1])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "org:        %s (%s)\nsecret key: %s\npublic key: %s\n(keys are shown only now)\n",
		org.Org.ID, org.Org.Name, org.SecretKey, org.PublicKey)
	return nil
}
