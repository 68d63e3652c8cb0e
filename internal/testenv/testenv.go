// Package testenv starts the real services Switchboard's integration tests
// run against: a Temporal dev server (the CLI binary the Makefile installs
// at bin/temporal) and a throwaway PostgreSQL database.
//
// Integration tests fail, never skip, when either service is missing: a
// green run must mean the integration paths were exercised. `make test`
// installs bin/temporal; PostgreSQL must be reachable at
// postgres://postgres@127.0.0.1:5432/test (or SWITCHBOARD_TEST_POSTGRES_URL).
//
// testenv imports devserver, which imports workflows and therefore
// activities, store, catalog, signing and models. A test in one of those
// packages that uses testenv must be an external test package (package
// store_test, not package store), otherwise Go reports an import cycle.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/switchboardhq/switchboard/devserver"
)

// DefaultPostgresURL is the server Postgres connects to unless
// PostgresURLEnv is set. Its database must exist; Postgres only uses it to
// create and drop the per-test databases.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresURLEnv names the environment variable that overrides
// DefaultPostgresURL.
const PostgresURLEnv = "SWITCHBOARD_TEST_POSTGRES_URL"

// RepoRoot returns the directory holding the module's go.mod, found by
// walking up from the working directory (which `go test` sets to the
// package's directory). It panics when there is none, since every path the
// harness derives from it would be wrong.
func RepoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		panic("testenv: locating the repository root: " + err.Error())
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			panic("testenv: locating the repository root: no go.mod in the working directory or any parent")
		}
		dir = parent
	}
}

// TemporalBinary returns the path of the Temporal CLI the harness runs,
// bin/temporal under the repository root.
func TemporalBinary() string {
	return filepath.Join(RepoRoot(), "bin", "temporal")
}

// StartTemporal starts a headless, in-memory Temporal dev server on a free
// 127.0.0.1 port, configured like `switchboard dev` (devserver.ExtraArgs:
// Switchboard's search attributes and latency-related dynamic config), and
// returns once a client can connect to its "default" namespace. The caller
// must Stop it. Server logs at level error go to stderr.
//
// It fails if bin/temporal is missing instead of downloading a CLI: test
// machines may have no internet access, and the version must match the one
// the Makefile pins.
func StartTemporal(ctx context.Context) (*testsuite.DevServer, error) {
	return StartTemporalFile(ctx, "")
}

// StartTemporalFile is StartTemporal with the server's state in the SQLite
// file dbFile, with the flags `switchboard dev` uses for its file (""
// keeps it in memory): benchmarks measure the server users run.
// extraArgs go to the server after Switchboard's own flags: a benchmark
// prices a server setting with them (BENCH_TEMPORAL_ARGS).
func StartTemporalFile(ctx context.Context, dbFile string, extraArgs ...string) (*testsuite.DevServer, error) {
	bin := TemporalBinary()
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("testenv: Temporal CLI missing at %s: run `make test` (it installs bin/temporal): %w", bin, err)
	}
	port, err := devserver.FreePort()
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	extra := devserver.ExtraArgs()
	if dbFile != "" {
		extra = append(extra, devserver.SQLiteFileArgs()...)
	}
	extra = append(extra, extraArgs...)
	restore := withDevServerEnv()
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath: bin,
		ClientOptions: &client.Options{
			HostPort:  net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
			Namespace: "default",
			// The SDK's default logger reports every dial attempt made while
			// the server boots; only real problems are worth showing.
			Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		},
		// Headless (EnableUI false): nobody looks at a test server's UI, and
		// skipping it saves memory and start-up time on small CI machines.
		LogLevel:   "error",
		ExtraArgs:  extra,
		DBFilename: dbFile,
		// stdout only carries the CLI's "Server: … UI: …" banner.
		Stdout: io.Discard,
		Stderr: os.Stderr,
	})
	restore()
	if err != nil {
		return nil, fmt.Errorf("testenv: starting Temporal dev server (%s): %w", bin, err)
	}
	return srv, nil
}

// devServerEnvMu serializes withDevServerEnv's set and restore.
var devServerEnvMu sync.Mutex

// withDevServerEnv puts devserver.Env's variables (GOGC, as `switchboard
// dev` runs its server) into this process's environment until the
// returned func is called: testsuite.DevServerOptions has no environment
// of its own, and the server it starts inherits this process's. The test
// binary's runtime read its own GOGC when it started, so only the server
// sees the value.
func withDevServerEnv() (restore func()) {
	devServerEnvMu.Lock()
	added := devserver.Env()
	for _, kv := range added {
		k, v, _ := strings.Cut(kv, "=")
		_ = os.Setenv(k, v)
	}
	return func() {
		for _, kv := range added {
			k, _, _ := strings.Cut(kv, "=")
			_ = os.Unsetenv(k) // Env adds only variables that were unset
		}
		devServerEnvMu.Unlock()
	}
}

// Temporal is StartTemporal for a single test: it fails t if the server
// cannot start and stops the server when t finishes. Packages that share
// one server across tests should call StartTemporal from TestMain instead,
// since each start costs about a second of CPU.
func Temporal(t testing.TB) *testsuite.DevServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := StartTemporal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Client().Close()
		if err := srv.Stop(); err != nil {
			t.Logf("testenv: stopping Temporal dev server: %v", err)
		}
	})
	return srv
}

// Postgres creates an empty database named sbtest_<random> on the server at
// DefaultPostgresURL (or $SWITCHBOARD_TEST_POSTGRES_URL), returns its URL,
// and drops it, forcibly closing leftover connections, when t finishes. It
// fails t with instructions when PostgreSQL is unreachable.
func Postgres(t testing.TB) string {
	t.Helper()
	u, err := postgresURL()
	if err != nil {
		t.Fatal(err)
	}
	base := u.String()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := connect(ctx, base)
	if err != nil {
		t.Fatalf("testenv: PostgreSQL is not reachable at %s: %v\n"+
			"Integration tests need a running PostgreSQL; start one there or point %s at one.",
			u.Redacted(), err, PostgresURLEnv)
	}
	defer conn.Close(context.Background())

	name := randomName("sbtest_", 8)
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		t.Fatalf("testenv: creating database %s on %s: %v", name, u.Redacted(), err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := connect(ctx, base)
		if err != nil {
			t.Errorf("testenv: dropping database %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		// FORCE (PostgreSQL 13+) terminates connections a test left open,
		// e.g. a pool the code under test never closed, which would
		// otherwise make DROP DATABASE fail and leak the database.
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			t.Errorf("testenv: dropping database %s: %v", name, err)
		}
	})

	out := *u
	out.Path = "/" + name
	out.RawPath = ""
	return out.String()
}

// postgresURL is the server the integration tests use: $PostgresURLEnv,
// or DefaultPostgresURL.
func postgresURL() (*url.URL, error) {
	base := os.Getenv(PostgresURLEnv)
	if base == "" {
		base = DefaultPostgresURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("testenv: %s must be a postgres:// URL, got %q", PostgresURLEnv, base)
	}
	return u, nil
}

// randomName is prefix followed by n random bytes in hex: a database of a
// run's own.
func randomName(prefix string, n int) string {
	suffix := make([]byte, n)
	_, _ = rand.Read(suffix)
	return prefix + hex.EncodeToString(suffix)
}

// connect opens a single connection, bounded by a short timeout so an
// unreachable server fails the test quickly instead of hanging it.
func connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > 5*time.Second {
		cfg.ConnectTimeout = 5 * time.Second
	}
	return pgx.ConnectConfig(ctx, cfg)
}
