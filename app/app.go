// Package app assembles Switchboard's parts (store, Temporal client, worker,
// service, HTTP handler) from a config. The binary's subcommands, the
// integration tests and the benchmarks all build the platform through it,
// so they run the same wiring.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/api"
	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/service"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/worker"
)

// Version is reported in the User-Agent of every outbound request.
var Version = "0.1.0"

// Parts says which components to run in this process.
type Parts struct {
	API    bool
	Worker bool
}

// App is a running Switchboard process.
type App struct {
	Cfg        config.Config
	Log        *slog.Logger
	Store      *store.Store
	Temporal   client.Client
	Activities *activities.Activities
	Service    *service.Service
	Handler    http.Handler
	worker     sdkworker.Worker
	stop       context.CancelFunc
	background sync.WaitGroup
	closeOnce  sync.Once
}

// Start opens the store, connects to Temporal and starts the worker (with
// the delivery sweeper) when asked. The store must already be migrated.
func Start(ctx context.Context, cfg config.Config, log *slog.Logger, parts Parts) (*App, error) {
	st, err := store.Open(cfg.DatabaseURL, cfg.SQLitePath)
	if err != nil {
		return nil, err
	}
	if err := st.SetPool(store.Pool{MaxOpen: cfg.DBMaxOpenConns, MaxIdle: cfg.DBMaxIdleConns, MaxLifetime: cfg.DBConnMaxLifetime}); err != nil {
		_ = st.Close()
		return nil, err
	}
	if key := cfg.SecretKeyBytes(); key != nil {
		if err := st.SetSecretKey(key); err != nil {
			_ = st.Close()
			return nil, err
		}
	} else {
		log.Warn("signing secrets are stored in clear text: set SWITCHBOARD_SECRET_KEY to encrypt them at rest")
	}
	dialCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var compression client.GrpcCompression = &client.GrpcCompressionNone{}
	if cfg.TemporalGzip {
		compression = &client.GrpcCompressionGzip{}
	}
	tc, err := client.DialContext(dialCtx, client.Options{
		HostPort: cfg.TemporalAddress, Namespace: cfg.TemporalNamespace,
		Logger:            tlog.NewStructuredLogger(log.With("component", "temporal")),
		ConnectionOptions: client.ConnectionOptions{GrpcCompression: compression},
	})
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("connect to Temporal at %s: %w", cfg.TemporalAddress, err)
	}
	acts := activities.New(st, activities.Settings{
		DeliveryTimeout: cfg.DeliveryTimeout, LookupTimeout: cfg.LookupTimeout, RetryAfterCap: cfg.RetryAfterCap,
		ResponseBodyLimit: cfg.ResponseBodyLimit, UserAgent: "Switchboard/" + Version,
	})
	a := &App{
		Cfg: cfg, Log: log, Store: st, Temporal: tc, Activities: acts,
		Service: service.New(st, tc, cfg, log),
	}
	// A finished lookup pushes the profile to operators' SSE streams.
	acts.OnLookupDone = a.Service.ProfileChanged
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	a.stop = stop
	if parts.Worker {
		a.worker = worker.New(tc, cfg, acts)
		if err := a.worker.Start(); err != nil {
			a.Close()
			return nil, fmt.Errorf("start worker: %w", err)
		}
		a.background.Go(func() { a.Service.RunSweeper(runCtx) })
	}
	if parts.API {
		a.Handler = api.New(a.Service, log)
		// Lookups finished by worker processes reach this API's SSE
		// streams through PostgreSQL notifications (a no-op on SQLite).
		a.background.Go(func() {
			a.Store.ListenProfiles(runCtx, a.Service.Hub.Publish)
		})
	}
	return a, nil
}

// Close stops the worker and sweeper and releases connections. Calling it
// again does nothing.
func (a *App) Close() {
	a.closeOnce.Do(func() {
		if a.stop != nil {
			a.stop()
			a.background.Wait()
		}
		if a.worker != nil {
			a.worker.Stop()
		}
		a.Temporal.Close()
		_ = a.Store.Close()
	})
}

// Serve runs the HTTP API on cfg.HTTPAddr until ctx ends.
func (a *App) Serve(ctx context.Context) error {
	srv := a.httpServer()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

// httpServer bounds how long a client may hold a connection: headers, body,
// the answer and idle keep-alive each have a deadline (slow clients were
// seen holding 1,000 connections). The API lifts the read deadline once a
// body is read and both deadlines for event streams.
func (a *App) httpServer() *http.Server {
	return &http.Server{
		Addr: a.Cfg.HTTPAddr, Handler: a.Handler,
		ReadHeaderTimeout: a.Cfg.HTTPReadHeaderTimeout, ReadTimeout: a.Cfg.HTTPReadTimeout,
		WriteTimeout: a.Cfg.HTTPWriteTimeout, IdleTimeout: a.Cfg.HTTPIdleTimeout,
	}
}

// Migrate opens the store and brings its schema up to date.
func Migrate(ctx context.Context, cfg config.Config) error {
	st, err := store.Open(cfg.DatabaseURL, cfg.SQLitePath)
	if err != nil {
		return err
	}
	defer st.Close()
	return st.Migrate(ctx)
}

// CreateOrg creates an org directly in the store, for the CLI.
func CreateOrg(ctx context.Context, cfg config.Config, name string) (service.NewOrg, error) {
	st, err := store.Open(cfg.DatabaseURL, cfg.SQLitePath)
	if err != nil {
		return service.NewOrg{}, err
	}
	defer st.Close()
	return service.New(st, nil, cfg, slog.Default()).CreateOrg(ctx, name)
}
