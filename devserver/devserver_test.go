package devserver_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/devserver"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

func TestExtraArgs(t *testing.T) {
	require.Equal(t, []string{
		"--search-attribute", "SwitchboardEndpoint=Keyword",
		"--search-attribute", "SwitchboardEventType=Keyword",
		"--search-attribute", "SwitchboardOrg=Keyword",
		"--search-attribute", "SwitchboardStatus=Keyword",
		"--dynamic-config-value", "history.transferProcessorMaxPollRPS=1000",
		"--dynamic-config-value", "history.visibilityProcessorMaxPollRPS=100",
		"--dynamic-config-value", "matching.numTaskqueueReadPartitions=1",
		"--dynamic-config-value", "matching.numTaskqueueWritePartitions=1",
		"--dynamic-config-value", "system.enableActivityEagerExecution=true",
		"--dynamic-config-value", "matching.enableFairness=true",
		"--dynamic-config-value", "system.forceSearchAttributesCacheRefreshOnRead=false",
	}, devserver.ExtraArgs())
}

// The docker-compose stack configures its Temporal cluster with shell
// scripts and YAML rather than ExtraArgs; these checks keep them in step.
func TestComposeMatchesExtraArgs(t *testing.T) {
	root := testenv.RepoRoot()
	script, err := os.ReadFile(filepath.Join(root, "deploy", "temporal", "create-search-attributes.sh"))
	require.NoError(t, err)
	dyn, err := os.ReadFile(filepath.Join(root, "deploy", "temporal", "dynamicconfig.yaml"))
	require.NoError(t, err)

	args := devserver.ExtraArgs()
	attrs := 0
	for i := 0; i < len(args); i += 2 {
		key, value, ok := strings.Cut(args[i+1], "=")
		require.True(t, ok, args[i+1])
		switch args[i] {
		case "--search-attribute":
			attrs++
			want := "--name " + key + " --type " + value
			require.Containsf(t, string(script), want, "create-search-attributes.sh must register %s", key)
		case "--dynamic-config-value":
			re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `:\n\s+- value: ` + regexp.QuoteMeta(value) + `\n`)
			require.Regexpf(t, re, string(dyn), "dynamicconfig.yaml must set %s to %s", key, value)
		default:
			t.Fatalf("unexpected flag %s", args[i])
		}
	}
	require.Equal(t, attrs, strings.Count(string(script), "--name "), "create-search-attributes.sh registers extra attributes")
}

func TestEnv(t *testing.T) {
	t.Setenv("GOGC", "150") // restored after the test
	require.Empty(t, devserver.Env(), "a GOGC the user set is inherited, not replaced")
	require.NoError(t, os.Unsetenv("GOGC"))
	require.Equal(t, []string{"GOGC=200"}, devserver.Env())

	// Each pair on its own: a set name (even empty) is left out.
	t.Setenv("GOMEMLIMIT", "")
	require.Equal(t, []string{"GOGC=400"}, devserver.EnvDefaults("GOGC", "400", "GOMEMLIMIT", "2GiB"))
	require.NoError(t, os.Unsetenv("GOMEMLIMIT"))
	require.Equal(t, []string{"GOGC=400", "GOMEMLIMIT=2GiB"}, devserver.EnvDefaults("GOGC", "400", "GOMEMLIMIT", "2GiB"))
}

func TestFreePort(t *testing.T) {
	p, err := devserver.FreePort()
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
	require.NoError(t, err, "the returned port must be bindable")
	require.NoError(t, l.Close())
}

func freePort(t *testing.T) int {
	t.Helper()
	p, err := devserver.FreePort()
	require.NoError(t, err)
	return p
}

func TestStartPersistent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dbFile := filepath.Join(t.TempDir(), "missing-dir", "temporal.db")
	opts := devserver.Options{
		Binary:    testenv.TemporalBinary(),
		Port:      freePort(t),
		UIPort:    freePort(t),
		DBFile:    dbFile,
		Namespace: "switchboard",
		LogLevel:  "error",
		Stderr:    testWriter{t},
	}

	start := time.Now()
	srv, err := devserver.Start(ctx, opts)
	require.NoError(t, err)
	t.Logf("ready in %v", time.Since(start))
	stopped := false
	defer func() {
		if !stopped {
			_ = srv.Stop()
		}
	}()
	require.Equal(t, "127.0.0.1:"+strconv.Itoa(opts.Port), srv.Address())
	require.Equal(t, "127.0.0.1:"+strconv.Itoa(opts.UIPort), srv.UIAddress())
	env, err := testenv.DevServerEnviron(strconv.Itoa(opts.Port))
	require.NoError(t, err)
	gogc, set := os.LookupEnv("GOGC") // devserver.Env keeps a set one, even empty
	if !set {
		gogc = "200"
	}
	require.Contains(t, env, "GOGC="+gogc, "the server's collector target (devserver.Env)")

	c, err := client.DialContext(ctx, client.Options{HostPort: srv.Address(), Namespace: "switchboard"})
	require.NoError(t, err)
	_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "switchboard"})
	require.NoError(t, err)
	sa, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "switchboard"})
	require.NoError(t, err)
	for _, name := range []string{"SwitchboardOrg", "SwitchboardEndpoint", "SwitchboardEventType", "SwitchboardStatus"} {
		require.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD, sa.GetCustomAttributes()[name], name)
	}
	// Something to look for after a restart, with a search attribute: the
	// server's search-attribute cache is not refreshed on every read
	// (ExtraArgs), so it must know the attributes from its first read,
	// here and after the restart.
	org := temporal.NewSearchAttributeKeyKeyword("SwitchboardOrg")
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "persisted", TaskQueue: "nobody-polls",
		TypedSearchAttributes: temporal.NewSearchAttributes(org.ValueSet("org_before"))}, "AnyWorkflow")
	require.NoError(t, err)
	c.Close()

	resp, err := http.Get("http://" + srv.UIAddress() + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "Web UI")

	// journal_mode=WAL took effect: SQLite keeps a -wal file beside the
	// database while it is open.
	require.FileExists(t, dbFile)
	require.FileExists(t, dbFile+"-wal")

	start = time.Now()
	require.NoError(t, srv.Stop())
	stopped = true
	t.Logf("stopped in %v", time.Since(start))
	select {
	case <-srv.Done():
	default:
		t.Fatal("Done not closed after Stop")
	}
	require.NoError(t, srv.Stop(), "Stop is idempotent")
	l, err := net.Listen("tcp", srv.Address())
	require.NoError(t, err, "frontend port must be released after Stop")
	require.NoError(t, l.Close())

	// Restarting on the same file finds the workflow started above.
	srv, err = devserver.Start(ctx, opts)
	require.NoError(t, err)
	defer func() { _ = srv.Stop() }()
	c, err = client.DialContext(ctx, client.Options{HostPort: srv.Address(), Namespace: "switchboard"})
	require.NoError(t, err)
	defer c.Close()
	_, err = c.DescribeWorkflowExecution(ctx, "persisted", "")
	require.NoError(t, err)
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "after-restart", TaskQueue: "nobody-polls",
		TypedSearchAttributes: temporal.NewSearchAttributes(org.ValueSet("org_after"))}, "AnyWorkflow")
	require.NoError(t, err)
	require.Eventually(t, func() bool { // visibility is eventually consistent
		res, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: "switchboard", Query: `SwitchboardOrg IN ("org_before", "org_after")`})
		return err == nil && len(res.GetExecutions()) == 2
	}, 30*time.Second, 200*time.Millisecond, "both runs found by their search attribute")

	// A server killed outright keeps what it committed: SQLiteFileArgs
	// leaves flushing to the OS (synchronous=OFF), and a process that ends
	// in any way still leaves its writes to the OS. The restart recovers
	// the file from its WAL and finds both runs.
	pidText, ok := testenv.DevServerPID(strconv.Itoa(opts.Port))
	require.True(t, ok, "the dev server's process")
	pid, err := strconv.Atoi(pidText)
	require.NoError(t, err)
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	<-srv.Done()
	require.FileExists(t, dbFile+"-wal", "a killed server leaves its WAL for the next start to recover")
	srv, err = devserver.Start(ctx, opts)
	require.NoError(t, err)
	defer func() { require.NoError(t, srv.Stop()) }()
	c2, err := client.DialContext(ctx, client.Options{HostPort: srv.Address(), Namespace: "switchboard"})
	require.NoError(t, err)
	defer c2.Close()
	for _, id := range []string{"persisted", "after-restart"} {
		_, err = c2.DescribeWorkflowExecution(ctx, id, "")
		require.NoError(t, err, "%s after SIGKILL and restart", id)
	}
}

func TestStartPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port
	for _, tc := range []struct {
		name         string
		port, uiPort int
		want         string
	}{
		{"frontend", busy, -1, devserver.PortFrontend},
		{"ui", freePort(t), busy, devserver.PortUI},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := devserver.Start(context.Background(), devserver.Options{
				Binary: testenv.TemporalBinary(), Port: tc.port, UIPort: tc.uiPort,
			})
			var inUse *devserver.PortInUseError
			require.ErrorAs(t, err, &inUse)
			require.Equal(t, tc.want, inUse.Port)
			require.Equal(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(busy)), inUse.Addr)
		})
	}
}

func TestStartMissingBinary(t *testing.T) {
	_, err := devserver.Start(context.Background(), devserver.Options{
		Binary: filepath.Join(t.TempDir(), "temporal"),
		Port:   freePort(t),
	})
	require.ErrorContains(t, err, "make bin/temporal")
}

func TestStartReportsEarlyExit(t *testing.T) {
	_, err := devserver.Start(context.Background(), devserver.Options{
		Binary:   testenv.TemporalBinary(),
		Port:     freePort(t),
		UIPort:   -1,
		LogLevel: "bogus",
	})
	require.Error(t, err)
	require.Contains(t, err.Error(), "exited during start-up")
	// "exited during start-up", not a readiness timeout, is the proof that
	// Start noticed the exit instead of waiting for its deadline.
	require.Contains(t, err.Error(), "bogus", "stderr tail is included")
}

// testWriter forwards the server's stderr to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
