// Package deploy_test keeps docker-compose.yml and the files it mounts
// consistent with each other: there is no Docker engine in CI to run them.
package deploy_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

type service struct {
	Image       string            `yaml:"image"`
	Command     []string          `yaml:"command"`
	Ports       []string          `yaml:"ports"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Deploy      struct {
		Replicas int `yaml:"replicas"`
	} `yaml:"deploy"`
	Networks map[string]struct {
		IPv4 string `yaml:"ipv4_address"`
	} `yaml:"networks"`
}

type compose struct {
	Services map[string]service `yaml:"services"`
	Networks map[string]struct {
		IPAM struct {
			Config []struct {
				Subnet string `yaml:"subnet"`
			} `yaml:"config"`
		} `yaml:"ipam"`
	} `yaml:"networks"`
}

// defaulted resolves compose's ${VAR:-default} to its default, as
// `docker compose` does with VAR unset.
func defaulted(s string) string {
	return regexp.MustCompile(`\$\{[A-Z_]+:-([^}]*)\}`).ReplaceAllString(s, "$1")
}

func load(t *testing.T) compose {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

// TestComposeAPIReplicasBehindTheLB: two api replicas with no host port,
// the lb the only way in, at an address inside the network's subnet that
// the api trusts for X-Forwarded-For (and nobody else does).
func TestComposeAPIReplicasBehindTheLB(t *testing.T) {
	c := load(t)
	api, lb, worker := c.Services["api"], c.Services["lb"], c.Services["worker"]
	if api.Deploy.Replicas != 2 || len(api.Ports) != 0 || len(api.Command) != 1 || api.Command[0] != "serve" {
		t.Fatalf("api: replicas %d, ports %v, command %v; want 2 serve replicas without host ports", api.Deploy.Replicas, api.Ports, api.Command)
	}
	if worker.Deploy.Replicas != 2 {
		t.Fatalf("worker replicas %d, want 2", worker.Deploy.Replicas)
	}
	if len(lb.Ports) != 1 || lb.Ports[0] != "8080:8080" {
		t.Fatalf("lb ports %v, want 8080:8080", lb.Ports)
	}
	// The merged environment keeps the shared settings.
	if api.Environment["SWITCHBOARD_TEMPORAL_ADDRESS"] == "" || api.Environment["SWITCHBOARD_HTTP_ADDR"] != "0.0.0.0:8080" {
		t.Fatalf("api environment lost the shared settings: %v", api.Environment)
	}
	subnet, err := netip.ParsePrefix(defaulted(c.Networks["default"].IPAM.Config[0].Subnet))
	if err != nil {
		t.Fatal(err)
	}
	lbIP, err := netip.ParseAddr(defaulted(lb.Networks["default"].IPv4))
	if err != nil || !subnet.Contains(lbIP) {
		t.Fatalf("lb address %v (%v) not in subnet %v", lbIP, err, subnet)
	}
	if got := defaulted(api.Environment["SWITCHBOARD_TRUSTED_PROXIES"]); got != lbIP.String()+"/32" {
		t.Fatalf("api trusts %q, want only the lb %s/32", got, lbIP)
	}
	if _, ok := worker.Environment["SWITCHBOARD_TRUSTED_PROXIES"]; ok {
		t.Fatal("the worker serves no API; it needs no trusted proxies")
	}
	if worker.Environment["SWITCHBOARD_WORKER_METRICS_ADDR"] == "" || worker.Environment["SWITCHBOARD_DATABASE_URL"] == "" {
		t.Fatalf("worker environment: %v; want the shared settings and a metrics address", worker.Environment)
	}

	// The Caddyfile mounted into the lb proxies to that service and port.
	mount := ""
	for _, v := range lb.Volumes {
		if strings.HasSuffix(v, ":/etc/caddy/Caddyfile:ro") {
			mount = strings.TrimSuffix(v, ":/etc/caddy/Caddyfile:ro")
		}
	}
	caddyfile, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), mount))
	if mount == "" || err != nil {
		t.Fatalf("lb mounts no Caddyfile at /etc/caddy/Caddyfile (%v)", err)
	}
	for _, want := range []string{"name api\n", "port 8080\n", "flush_interval -1\n", ":8080 {"} {
		if !strings.Contains(string(caddyfile), want) {
			t.Errorf("Caddyfile lacks %q", want)
		}
	}
}

// TestComposeConnectionBudget: everything the stack may open at once fits
// under PostgreSQL's max_connections, with room for an operator's psql:
// the Temporal server's four services each with their two pools, every
// api replica (its pool and its LISTEN connection), every worker replica
// and the migrate one-shot.
func TestComposeConnectionBudget(t *testing.T) {
	c := load(t)
	num := func(where, s string) int {
		t.Helper()
		n, err := strconv.Atoi(defaulted(s))
		if err != nil {
			t.Fatalf("%s: %q is not a number", where, s)
		}
		return n
	}
	pg := c.Services["postgres"]
	limit := 0
	for i, arg := range pg.Command {
		if v, ok := strings.CutPrefix(arg, "max_connections="); ok && i > 0 && pg.Command[i-1] == "-c" {
			limit = num("postgres max_connections", v)
		}
	}
	if limit == 0 {
		t.Fatalf("postgres command %v sets no max_connections", pg.Command)
	}
	tmp := c.Services["temporal"].Environment
	temporal := 4 * (num("SQL_MAX_CONNS", tmp["SQL_MAX_CONNS"]) + num("SQL_VIS_MAX_CONNS", tmp["SQL_VIS_MAX_CONNS"]))
	api, worker := c.Services["api"], c.Services["worker"]
	perProcess := num("SWITCHBOARD_DB_MAX_OPEN_CONNS", api.Environment["SWITCHBOARD_DB_MAX_OPEN_CONNS"])
	switchboard := api.Deploy.Replicas*(perProcess+1) + worker.Deploy.Replicas*perProcess + perProcess // + migrate
	const spare = 10
	if temporal+switchboard+spare > limit {
		t.Fatalf("the stack may open %d (Temporal) + %d (Switchboard) + %d spare connections, over max_connections %d",
			temporal, switchboard, spare, limit)
	}
}

// TestComposeTemporalPlugin: the compose stack's Temporal server uses the
// persistence plugin the production benchmarks measured
// (testenv.TemporalSQLPlugin), and the image's entrypoint accepts it: its
// config template (docker/config_template.yaml of the pinned server
// version) names every DB value it renders a PostgreSQL store for.
func TestComposeTemporalPlugin(t *testing.T) {
	db := defaulted(load(t).Services["temporal"].Environment["DB"])
	if db != testenv.TemporalSQLPlugin {
		t.Fatalf("docker-compose.yml: temporal DB=%q, the benchmarks run %q (internal/testenv.TemporalSQLPlugin)", db, testenv.TemporalSQLPlugin)
	}
	dir, err := testenv.TemporalServerModuleDir(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := os.ReadFile(filepath.Join(dir, "docker", "config_template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(tmpl), "\n") {
		if strings.Contains(line, "eq $db") && strings.Contains(line, `"postgres12"`) && strings.Contains(line, strconv.Quote(db)) {
			return
		}
	}
	t.Fatalf("the server image's config template (%s) renders no PostgreSQL store for DB=%q", testenv.TemporalServerVersion, db)
}

// TestComposeTemporalGC: the compose stack's Temporal server runs with the
// collector settings the production benchmarks measured
// (testenv.TemporalServerGOGC and TemporalServerGOMEMLIMIT).
func TestComposeTemporalGC(t *testing.T) {
	env := load(t).Services["temporal"].Environment
	for name, want := range map[string]string{"GOGC": testenv.TemporalServerGOGC, "GOMEMLIMIT": testenv.TemporalServerGOMEMLIMIT} {
		if got := defaulted(env[name]); got != want {
			t.Errorf("docker-compose.yml: temporal %s defaults to %q, the benchmarks run %q (internal/testenv)", name, got, want)
		}
	}
}
