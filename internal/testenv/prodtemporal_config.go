package testenv

// The production server's configuration for one run: its config file,
// the schema files it migrates with, and the free ports it listens on.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/switchboardhq/switchboard/devserver"
)

// serverConfig is the server's config/development.yaml. ports: frontend
// gRPC, membership and HTTP, then history, matching and worker gRPC and
// membership.
func serverConfig(ports []int, pgHost, user, password, mainDB, visDB, dynamicConfig string) string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) } // a YAML double-quoted scalar
	store := func(db string, conns int) string {
		return fmt.Sprintf(`      sql:
        pluginName: %s
        databaseName: %s
        connectAddr: %s
        connectProtocol: "tcp"
        user: %s
        password: %s
        maxConns: %d
        maxIdleConns: %d
        maxConnLifetime: "1h"
`, q(TemporalSQLPlugin), q(db), q(pgHost), q(user), q(password), conns, conns)
	}
	service := func(name string, grpc, membership int, extra string) string {
		return fmt.Sprintf("  %s:\n    rpc:\n      grpcPort: %d\n      membershipPort: %d\n      bindOnIP: \"127.0.0.1\"\n%s", name, grpc, membership, extra)
	}
	frontend := fmt.Sprintf("127.0.0.1:%d", ports[0])
	return `# Written by internal/testenv (StartProductionTemporal) from the server's
# config/development-postgres12.yaml and docker/config_template.yaml.
log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:
` + store(mainDB, 10) + `    postgres-visibility:
` + store(visDB, 5) + `
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  pprof:
    port: 0

services:
` + service("frontend", ports[0], ports[1], fmt.Sprintf("      httpPort: %d\n", ports[2])) +
		service("history", ports[3], ports[4], "") +
		service("matching", ports[5], ports[6], "") +
		service("worker", ports[7], ports[8], "") + `
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: ` + q(frontend) + `
      httpAddress: ` + q(fmt.Sprintf("127.0.0.1:%d", ports[2])) + `

dcRedirectionPolicy:
  policy: "noop"

archival:
  history:
    state: "enabled"
    enableRead: true
    provider:
      filestore:
        fileMode: "0666"
        dirMode: "0766"
  visibility:
    state: "enabled"
    enableRead: true
    provider:
      filestore:
        fileMode: "0666"
        dirMode: "0766"

namespaceDefaults:
  archival:
    history:
      state: "disabled"
      URI: "file:///tmp/temporal_archival/development"
    visibility:
      state: "disabled"
      URI: "file:///tmp/temporal_vis_archival/development"

dynamicConfigClient:
  filepath: ` + q(dynamicConfig) + `
  pollInterval: "60s"
`
}

// The production server's Go collector settings, here and in
// docker-compose.yml (the temporal service's GOGC and GOMEMLIMIT, whose
// defaults TestComposeTemporalGC keeps equal to these). At the Go default
// (GOGC=100) the server collected about once a second under back-to-back
// click verifications, and the calls in flight then made most of the
// overhead's p99: 22.2-26.9 ms (median 25.2) in seven runs against
// 14.9-24.6 (median 20.1) at 400, for a peak resident size of 270 MiB
// instead of 170 (README, Benchmarks). The limit caps what the higher
// target can cost a server whose live heap is larger: near it the
// collector runs as often as it must.
const (
	TemporalServerGOGC       = "400"
	TemporalServerGOMEMLIMIT = "2GiB"
)

// productionServerEnv is the production server's environment: this
// process's, with the collector settings above where it sets none (a GOGC
// set here, e.g. by BENCH_TEMPORAL_GOGC, is kept).
func productionServerEnv() []string {
	return append(os.Environ(), devserver.EnvDefaults(
		"GOGC", TemporalServerGOGC, "GOMEMLIMIT", TemporalServerGOMEMLIMIT)...)
}

// temporalSchemaRoot is schema/postgresql/v12 of the server module in the
// module cache (downloaded through the module proxy if missing).
func temporalSchemaRoot(ctx context.Context) (string, error) {
	dir, err := TemporalServerModuleDir(ctx)
	if err != nil {
		return "", err
	}
	root := filepath.Join(dir, "schema", "postgresql", "v12")
	if _, err := os.Stat(filepath.Join(root, "temporal", "versioned")); err != nil {
		return "", fmt.Errorf("testenv: Temporal schema files missing: %w", err)
	}
	return root, nil
}

// TemporalServerModuleDir is the module cache's copy of
// go.temporal.io/server at TemporalServerVersion (downloaded if missing):
// its schema files and the docker config template the image renders.
func TemporalServerModuleDir(ctx context.Context) (string, error) {
	mod := "go.temporal.io/server@" + TemporalServerVersion
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", mod)
	cmd.Dir = os.TempDir() // outside this module: its go.mod and go.sum stay as they are
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("testenv: go mod download %s: %w\n%s%s", mod, err, out, stderr.String())
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("testenv: go mod download %s: no module directory in %q (%v)", mod, out, err)
	}
	return info.Dir, nil
}

// postgresBase is the server URL Postgres uses, with the host, user and
// port temporal-sql-tool and the server config need spelled out.
func postgresBase() (*url.URL, error) {
	u, err := postgresURL()
	if err != nil {
		return nil, err
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("testenv: %s must name a host for the Temporal server, got %q", PostgresURLEnv, u.Redacted())
	}
	if u.User == nil {
		u.User = url.User("postgres")
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), "5432")
	}
	return u, nil
}

// freePorts returns n distinct free ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	seen := map[int]bool{}
	var ports []int
	for len(ports) < n {
		p, err := devserver.FreePort()
		if err != nil {
			return nil, err
		}
		if !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	return ports, nil
}

// freeMembershipPort returns a free port on 127.0.0.1 below 32768, none of
// taken: the server records membership ports in a smallint column, and
// the kernel's free ports (devserver.FreePort) come from the ephemeral
// range above it.
func freeMembershipPort(taken []int) (int, error) {
	var buf [2]byte
	for range 1000 {
		_, _ = rand.Read(buf[:])
		p := 20000 + (int(buf[0])<<8|int(buf[1]))%12768 // 20000..32767
		if slices.Contains(taken, p) {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		_ = l.Close()
		return p, nil
	}
	return 0, errors.New("no free port between 20000 and 32767 on 127.0.0.1")
}
