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
	"net"
	"net/http"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/api"
	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/console"
	"github.com/switchboardhq/switchboard/filestore"
	"github.com/switchboardhq/switchboard/live"
	"github.com/switchboardhq/switchboard/outbound"
	"github.com/switchboardhq/switchboard/service"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/widgetui"
	"github.com/switchboardhq/switchboard/worker"
)

// Version is reported in the User-Agent of every outbound request.
var Version = "0.1.0"

// Parts says which components to run in this process.
type Parts struct {
	API    bool
	Worker bool
	// Resolver answers customer host names for the SSRF guard, at save and
	// at connect time; nil is the system resolver. Tests inject one that
	// answers chosen addresses (a rebinding name) with no DNS traffic.
	Resolver outbound.Resolver
}

// App is a running Switchboard process.
type App struct {
	Cfg        config.Config
	Log        *slog.Logger
	Store      *store.Store
	Temporal   client.Client
	Activities *activities.Activities
	Services   *service.Services
	Handler    http.Handler
	// Hub carries live updates to the API's streams, in this process and,
	// over PostgreSQL, in the others.
	Hub        *live.Hub
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
	if err := useKeyRing(ctx, cfg, st, log); err != nil {
		_ = st.Close()
		return nil, err
	}
	if err := st.SetPool(store.Pool{MaxOpen: cfg.DBMaxOpenConns, MaxIdle: cfg.DBMaxIdleConns, MaxLifetime: cfg.DBConnMaxLifetime}); err != nil {
		_ = st.Close()
		return nil, err
	}
	dialCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	metrics, err := temporalMetrics()
	if err == nil {
		err = setupTracing()
	}
	var tracing interceptor.ClientInterceptor
	if err == nil {
		tracing, err = temporalTracing()
	}
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	tlsCfg, err := cfg.TemporalTLSConfig() // Validate has opened the files once already
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	var creds client.Credentials
	if cfg.TemporalAPIKey != "" {
		creds = client.NewAPIKeyStaticCredentials(cfg.TemporalAPIKey)
	}
	tc, err := client.DialContext(dialCtx, client.Options{
		HostPort: cfg.TemporalAddress, Namespace: cfg.TemporalNamespace, MetricsHandler: metrics, Credentials: creds,
		Interceptors:      []interceptor.ClientInterceptor{tracing},
		Logger:            tlog.NewStructuredLogger(log.With("component", "temporal")),
		ConnectionOptions: client.ConnectionOptions{GrpcCompression: cfg.TemporalGrpcCompression(), TLS: tlsCfg},
	})
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("connect to Temporal at %s: %w", cfg.TemporalAddress, err)
	}
	out, err := newOutbound(cfg, parts.Resolver)
	if err != nil {
		tc.Close()
		_ = st.Close()
		return nil, err
	}
	acts := activities.New(st, out, activities.Settings{
		DeliveryTimeout: cfg.DeliveryTimeout, LookupTimeout: cfg.LookupTimeout, RetryAfterCap: cfg.RetryAfterCap,
		ResponseBodyLimit: cfg.ResponseBodyLimit,
		Health: activities.HealthSettings{DisableAfter: cfg.AutoDisableAfter, MinAttempts: cfg.AutoDisableMinAttempts,
			WarnAfter: cfg.FailingWarnAfter},
	})
	uploads, err := filestore.NewDisk(cfg.UploadDir)
	if err != nil {
		tc.Close()
		_ = st.Close()
		return nil, fmt.Errorf("upload directory %s: %w", cfg.UploadDir, err)
	}
	hub := live.NewHub()
	a := &App{
		Cfg: cfg, Log: log, Store: st, Temporal: tc, Activities: acts, Hub: hub,
		// URLs are checked at save time with the guard the sends use.
		Services: service.New(service.Deps{Store: st, Temporal: tc, Log: log, Hub: hub, URLGuard: out.Guard(), Files: uploads}, cfg),
	}
	// A relay step pushes the conversation to the widget's SSE stream;
	// attachments reach the chat backend as signed links.
	acts.OnChatChanged = func(conversationID string) { a.Hub.Publish(live.Chat(conversationID)) }
	acts.FileURL = a.Services.Files.URL
	// Bulk replay pages start their deliveries' workflows like ingest does.
	acts.StartDeliveries = a.Services.Replays.StartDeliveries
	// Auto-disable and exhausted deliveries send operational events.
	acts.Emit = a.Services.Operational.Emit
	// A finished lookup pushes the profile to operators' SSE streams.
	acts.OnLookupDone = func(_, conversationID string) { a.Hub.Publish(live.Profile(conversationID)) }
	// A stored click-verification answer wakes the API waiting for it.
	acts.OnClickVerified = a.Services.AppSync.NotifyClickVerified
	acts.OnClickDecided = a.Services.AppSync.NotifyClickDecided
	acts.PreparedClick = a.Services.AppSync.PreparedClick
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	a.stop = stop
	// Every process relays what it publishes to the others on the same
	// PostgreSQL database (a no-op on SQLite).
	a.background.Go(func() { a.Hub.Relay(runCtx, a.Store, log) })
	if parts.Worker {
		a.worker = worker.New(tc, cfg, acts)
		if err := a.worker.Start(); err != nil {
			a.Close()
			return nil, fmt.Errorf("start worker: %w", err)
		}
		a.background.Go(func() { a.Services.Sweeper.RunSweeper(runCtx) })
		if err := ensureSchedules(ctx, tc, cfg); err != nil {
			a.Close()
			return nil, err
		}
	}
	if parts.API {
		// Ingest hands committed deliveries to the dispatcher, which
		// starts their workflows after the answer (Close stops it).
		a.Services.Dispatcher.Start(runCtx)
		a.Handler = mount(api.New(a.Services, api.SettingsFrom(cfg), log),
			console.New(console.Deps{Services: a.Services, Store: st, Log: log, Cfg: cfg}), widgetui.New(cfg))
		// Changes made by other processes (lookups finished by worker
		// processes) reach this API's streams through PostgreSQL
		// notifications (a no-op on SQLite).
		a.background.Go(func() { a.Store.Listen(runCtx, a.Hub.Deliver) })
	}
	return a, nil
}

// newOutbound builds the one client for customer endpoints from cfg.
func newOutbound(cfg config.Config, r outbound.Resolver) (*outbound.Client, error) {
	allow, err := cfg.OutboundAllowPrefixes()
	if err != nil {
		return nil, err
	}
	proxy, err := cfg.OutboundProxyURL()
	if err != nil {
		return nil, err
	}
	return outbound.New(outbound.Options{Allow: allow, Proxy: proxy, Resolver: r, UserAgent: "Switchboard/" + Version}), nil
}

// dispatchDrain is how long Close keeps starting queued deliveries before
// it leaves the rest to the sweeper; short, because a process being
// stopped should stop, and nothing queued is lost.
const dispatchDrain = 5 * time.Second

// Close stops the dispatcher (draining its queue for up to dispatchDrain),
// the worker and sweeper, and releases connections. Calling it again does
// nothing.
func (a *App) Close() {
	a.closeOnce.Do(func() {
		if a.Services != nil {
			// Before the worker stops, so eager starts still find it.
			ctx, cancel := context.WithTimeout(context.Background(), dispatchDrain)
			a.Services.Dispatcher.Stop(ctx)
			cancel()
		}
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
	ln, err := Listen(a.Cfg)
	if err != nil {
		return err
	}
	return a.ServeListener(ctx, ln)
}

// Listen binds the API address. `dev` calls it before anything else, so a
// busy port fails before an org is created and its key printed.
func Listen(cfg config.Config) (net.Listener, error) {
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("API address %s: %w (set %sHTTP_ADDR to use another)", cfg.HTTPAddr, err, config.Prefix)
	}
	return ln, nil
}

// ServeListener runs the HTTP API on ln (which it closes) until ctx ends,
// then shuts down gracefully: live streams end at once (hub.Shutdown), other
// requests get up to 10 s to finish.
func (a *App) ServeListener(ctx context.Context, ln net.Listener) error {
	return serveUntil(ctx, a.httpServer(), ln, 10*time.Second)
}

// serveUntil runs srv on ln until ctx ends, then gives in-flight requests
// up to grace to finish.
func serveUntil(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
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
//
// Shutdown waits for every handler to return, and a live stream only
// returns when told to: the hub ends them all as shutdown begins.
func (a *App) httpServer() *http.Server {
	srv := &http.Server{
		Addr: a.Cfg.HTTPAddr, Handler: a.Handler,
		ReadHeaderTimeout: a.Cfg.HTTPReadHeaderTimeout, ReadTimeout: a.Cfg.HTTPReadTimeout,
		WriteTimeout: a.Cfg.HTTPWriteTimeout, IdleTimeout: a.Cfg.HTTPIdleTimeout,
	}
	srv.RegisterOnShutdown(a.Hub.Shutdown)
	return srv
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
	return service.New(service.Deps{Store: st, Log: slog.Default()}, cfg).Orgs.CreateOrg(ctx, name)
}
