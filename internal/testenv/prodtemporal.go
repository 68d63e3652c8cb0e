package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/switchboardhq/switchboard/contracts"
)

// TemporalServerVersion is the production Temporal server StartProductionTemporal
// runs: the Makefile's TEMPORAL_SERVER_VERSION (bin/temporal-server and
// bin/temporal-sql-tool are built at it) and the image docker-compose.yml
// pins. Its schema files are read from the module cache at this version.
const TemporalServerVersion = "v1.29.1"

// TemporalSQLPlugin is the persistence plugin the production server runs
// with, here and in docker-compose.yml (DB): PostgreSQL through the pgx
// driver. The server's default, postgres12, goes through lib/pq. With
// pgx (binary protocol, a prepared-statement cache) the click
// verification's overhead p50 fell from 14.6-15.3 to 10.3-11.7 ms on this
// server and PostgreSQL's CPU per delivery by 40-50 % (README,
// Benchmarks). The schema tool's plugin (SQL_PLUGIN) stays postgres12:
// the schema is the same for both.
const TemporalSQLPlugin = "postgres12_pgx"

// ProductionNamespace is the namespace StartProductionTemporal creates,
// the one the dev server has and the tests and benchmarks use.
const ProductionNamespace = "default"

// ProdTemporal is a production Temporal server (temporalio/server's binary,
// all four services in one process, as docker-compose.yml runs it) on two
// fresh PostgreSQL databases, started by StartProductionTemporal.
type ProdTemporal struct {
	// Dir is the server's root: its config/development.yaml and its log,
	// temporal-server.log.
	Dir string

	hostPort string
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the process has exited
	waitErr  error         // set before exited is closed
	admin    string        // URL of the database used to create and drop ours
	dbs      []string      // databases to drop on Stop
	keepDir  bool          // Stop leaves Dir (the log) in place
	stopOnce sync.Once
	stopErr  error
}

// FrontendHostPort is the frontend's gRPC address (host:port), what
// SWITCHBOARD_TEMPORAL_ADDRESS would be set to.
func (s *ProdTemporal) FrontendHostPort() string { return s.hostPort }

// PID is the server process's id, for reading its CPU time from /proc.
func (s *ProdTemporal) PID() int { return s.cmd.Process.Pid }

// LogFile is where the server's log (level warn) goes.
func (s *ProdTemporal) LogFile() string { return filepath.Join(s.Dir, "temporal-server.log") }

// TemporalServerBinary and TemporalSQLToolBinary are the production server
// and its schema tool, which `make bin/temporal-server bin/temporal-sql-tool`
// build.
func TemporalServerBinary() string  { return filepath.Join(RepoRoot(), "bin", "temporal-server") }
func TemporalSQLToolBinary() string { return filepath.Join(RepoRoot(), "bin", "temporal-sql-tool") }

// StartProductionTemporal starts the production Temporal server for one run,
// configured as docker-compose.yml configures its `temporal` service:
//
//   - two fresh databases on the PostgreSQL at DefaultPostgresURL (or
//     $SWITCHBOARD_TEST_POSTGRES_URL), sbtemporal_<random> and
//     sbtemporal_<random>_visibility, created and migrated with
//     bin/temporal-sql-tool as deploy/temporal/setup-schema.sh does, from
//     the schema files of go.temporal.io/server@TemporalServerVersion in the
//     module cache; Stop drops them;
//   - a config written to a temporary directory, based on the server's
//     config/development-postgres12.yaml and docker/config_template.yaml:
//     TemporalSQLPlugin, one node on 127.0.0.1 with free ports, 4 history
//     shards, no metrics listener, small connection pools (at most 10
//     for the default store and 5 for visibility per service, and each of
//     the four services has its own: the database is shared and allows
//     100 connections; a 300-delivery burst peaked at 21 and 8), and
//     deploy/temporal/dynamicconfig.yaml as dynamic config;
//   - once the frontend is healthy, namespace "default" and Switchboard's
//     search attributes, created with bin/temporal as
//     deploy/temporal/create-namespace.sh and create-search-attributes.sh
//     do.
//
// It returns once a query on those search attributes succeeds. The caller
// must Stop it.
func StartProductionTemporal(ctx context.Context) (_ *ProdTemporal, err error) {
	server, sqlTool, cli := TemporalServerBinary(), TemporalSQLToolBinary(), TemporalBinary()
	for _, b := range []struct{ path, target string }{
		{server, "bin/temporal-server"}, {sqlTool, "bin/temporal-sql-tool"}, {cli, "bin/temporal"},
	} {
		if _, err := os.Stat(b.path); err != nil {
			return nil, fmt.Errorf("testenv: %s is missing: run `make %s` (or `make bench-production`, which builds it): %w", b.path, b.target, err)
		}
	}
	schemaRoot, err := temporalSchemaRoot(ctx)
	if err != nil {
		return nil, err
	}
	pg, err := postgresBase()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "switchboard-temporal-server-")
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	s := &ProdTemporal{Dir: dir, admin: pg.String(), exited: make(chan struct{})}
	defer func() {
		if err != nil {
			s.keepDir = true // the error names its log
			if stopErr := s.Stop(); stopErr != nil {
				err = errors.Join(err, stopErr)
			}
		}
	}()

	// The schemas, as deploy/temporal/setup-schema.sh sets them up.
	mainDB := randomName("sbtemporal_", 6)
	visDB := mainDB + "_visibility"
	password, _ := pg.User.Password()
	sqlEnv := append(os.Environ(),
		"SQL_PLUGIN=postgres12", "SQL_HOST="+pg.Hostname(), "SQL_PORT="+pg.Port(),
		"SQL_USER="+pg.User.Username(), "SQL_PASSWORD="+password)
	for _, db := range []struct{ name, schema string }{{mainDB, "temporal"}, {visDB, "visibility"}} {
		s.dbs = append(s.dbs, db.name) // dropped by Stop even if a step below fails
		for _, args := range [][]string{
			{"--db", db.name, "create"},
			{"--db", db.name, "setup-schema", "-v", "0.0"},
			{"--db", db.name, "update-schema", "-d", filepath.Join(schemaRoot, db.schema, "versioned")},
		} {
			if err := run(ctx, sqlEnv, sqlTool, args...); err != nil {
				return nil, fmt.Errorf("testenv: setting up the Temporal schema on %s: %w", pg.Redacted(), err)
			}
		}
	}

	// The config and the server.
	ports, err := freePorts(9)
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	for _, i := range []int{1, 4, 6, 8} {
		// The cluster_membership table stores rpc_port as a smallint.
		if ports[i], err = freeMembershipPort(ports); err != nil {
			return nil, fmt.Errorf("testenv: %w", err)
		}
	}
	s.hostPort = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	cfg := serverConfig(ports, pg.Host, pg.User.Username(), password, mainDB, visDB,
		filepath.Join(RepoRoot(), "deploy", "temporal", "dynamicconfig.yaml"))
	if err := os.MkdirAll(filepath.Join(dir, "config"), 0o755); err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config", "development.yaml"), []byte(cfg), 0o644); err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	logFile, err := os.Create(s.LogFile())
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	defer logFile.Close() // the child has its own descriptor
	// --env development (the default) reads config/development.yaml under
	// --root/--config; --allow-no-auth states what the compose stack runs
	// with (no authorizer) instead of logging a warning about it.
	s.cmd = exec.Command(server, "--root", dir, "--config", "config", "--allow-no-auth", "start")
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.Env = productionServerEnv()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("testenv: starting %s: %w", server, err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()

	// The namespace and the search attributes, as the compose one-shots
	// create them: health first, then describe-or-create, then the
	// attributes once the namespace has reached the frontend.
	addr := []string{"--address", s.hostPort}
	if err := s.retry(ctx, "the frontend to be healthy", 3*time.Minute, func() error {
		return run(ctx, nil, cli, append([]string{"operator", "cluster", "health"}, addr...)...)
	}); err != nil {
		return nil, err
	}
	ns := []string{"--namespace", ProductionNamespace}
	if run(ctx, nil, cli, slices.Concat([]string{"operator", "namespace", "describe"}, addr, ns)...) != nil {
		if err := run(ctx, nil, cli, slices.Concat([]string{"operator", "namespace", "create"}, addr, ns,
			[]string{"--retention", "72h", "--description", "Switchboard webhook deliveries"})...); err != nil {
			return nil, fmt.Errorf("testenv: creating namespace %s: %w", ProductionNamespace, err)
		}
	}
	if err := s.retry(ctx, "namespace "+ProductionNamespace+" to reach the frontend", time.Minute, func() error {
		return run(ctx, nil, cli, slices.Concat([]string{"operator", "search-attribute", "list"}, addr, ns)...)
	}); err != nil {
		return nil, err
	}
	createSA := slices.Concat([]string{"operator", "search-attribute", "create"}, addr, ns)
	for _, name := range []string{"SwitchboardOrg", "SwitchboardEndpoint", "SwitchboardEventType", "SwitchboardStatus"} {
		createSA = append(createSA, "--name", name, "--type", "Keyword")
	}
	if err := run(ctx, nil, cli, createSA...); err != nil {
		return nil, fmt.Errorf("testenv: registering search attributes: %w", err)
	}
	// With SQL visibility the attributes are aliases in the namespace, which
	// each service's namespace cache picks up within a refresh (2 s): a
	// query naming all of them succeeds once the frontend has them.
	if err := s.waitSearchAttributes(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// waitSearchAttributes waits until the frontend accepts a query on every
// search attribute in contracts.SearchAttributes.
func (s *ProdTemporal) waitSearchAttributes(ctx context.Context) error {
	c, err := client.DialContext(ctx, client.Options{HostPort: s.hostPort, Namespace: ProductionNamespace, Logger: quietLogger()})
	if err != nil {
		return fmt.Errorf("testenv: connecting to the Temporal server at %s: %w", s.hostPort, err)
	}
	defer c.Close()
	var terms []string
	for name := range contracts.SearchAttributes() {
		terms = append(terms, name+" = 'probe'")
	}
	query := strings.Join(terms, " AND ")
	return s.retry(ctx, "the search attributes to reach the frontend", time.Minute, func() error {
		_, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: ProductionNamespace, Query: query})
		return err
	})
}

// retry calls try every half second until it succeeds, the server exits or
// limit passes.
func (s *ProdTemporal) retry(ctx context.Context, what string, limit time.Duration, try func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := try()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("testenv: Temporal server exited (%v) while waiting for %s; its log: %s\n%s", s.waitErr, what, s.LogFile(), tail(s.LogFile(), 20))
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("testenv: timed out waiting for %s: %w; server log: %s\n%s", what, err, s.LogFile(), tail(s.LogFile(), 20))
		}
		select {
		case <-time.After(500 * time.Millisecond):
		case <-ctx.Done():
		}
	}
}

// Stop stops the server (SIGTERM, then SIGKILL after 30 s), drops its
// databases and removes its directory. It is safe to call more than once.
func (s *ProdTemporal) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		if s.cmd != nil && s.cmd.Process != nil {
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.exited:
			case <-time.After(30 * time.Second):
				_ = s.cmd.Process.Kill()
				<-s.exited
				errs = append(errs, fmt.Errorf("testenv: Temporal server did not stop within 30s of SIGTERM; killed"))
			}
		}
		if len(s.dbs) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			conn, err := connect(ctx, s.admin)
			if err != nil {
				errs = append(errs, fmt.Errorf("testenv: dropping Temporal databases %v: %w", s.dbs, err))
			} else {
				for _, db := range s.dbs {
					if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)"); err != nil {
						errs = append(errs, fmt.Errorf("testenv: dropping database %s: %w", db, err))
					}
				}
				_ = conn.Close(context.Background())
			}
		}
		if len(errs) == 0 && !s.keepDir {
			_ = os.RemoveAll(s.Dir) // kept, with the log, when something failed
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// run runs a command and returns its output in the error when it fails.
func run(ctx context.Context, env []string, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// tail is the last n lines of a file.
func tail(path string, n int) string {
	raw, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	lines = lines[max(0, len(lines)-n):]
	for i, l := range lines {
		if len(l) > 400 { // JSON log lines carry whole stack traces
			lines[i] = l[:400] + "…"
		}
	}
	return strings.Join(lines, "\n")
}

// quietLogger is the SDK's logger at level warn: its default reports
// every dial attempt.
func quietLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
}
