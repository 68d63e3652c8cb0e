package testenv_test

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

func TestRepoRoot(t *testing.T) {
	root := testenv.RepoRoot()
	require.FileExists(t, filepath.Join(root, "go.mod"))
	require.FileExists(t, filepath.Join(root, "contracts", "searchattrs.go"))
}

func TestStartTemporal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	start := time.Now()
	srv, err := testenv.StartTemporal(ctx)
	require.NoError(t, err)
	t.Logf("Temporal dev server ready at %s in %v", srv.FrontendHostPort(), time.Since(start))
	defer func() { require.NoError(t, srv.Stop()) }()
	defer srv.Client().Close()

	// A fresh client, the way application code would connect.
	c, err := client.DialContext(ctx, client.Options{HostPort: srv.FrontendHostPort(), Namespace: "default"})
	require.NoError(t, err)
	defer c.Close()

	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	require.NoError(t, err)
	require.Equal(t, "default", ns.GetNamespaceInfo().GetName())

	sa, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	require.NoError(t, err)
	want := contracts.SearchAttributes()
	require.Len(t, want, 4)
	for name, typ := range want {
		got, ok := sa.GetCustomAttributes()[name]
		require.Truef(t, ok, "search attribute %s not registered; custom attributes: %v", name, sa.GetCustomAttributes())
		require.Equal(t, typ, got, name)
		require.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD, got, name)
	}

	// The server runs with devserver.Env, as `switchboard dev` runs it,
	// and this process's environment is as it was.
	_, port, err := net.SplitHostPort(srv.FrontendHostPort())
	require.NoError(t, err)
	env, err := testenv.DevServerEnviron(port)
	require.NoError(t, err)
	gogc, set := os.LookupEnv("GOGC")
	if !set {
		gogc = "200"
	}
	require.Contains(t, env, "GOGC="+gogc)
	_, setNow := os.LookupEnv("GOGC")
	require.Equal(t, set, setNow, "GOGC in the test process's environment after the start")
}

func TestStartTemporalWithoutBinary(t *testing.T) {
	// A module root without bin/temporal: the error must say how to fix it.
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/x\n"), 0o644))
	t.Chdir(dir)
	_, err := testenv.StartTemporal(context.Background())
	require.ErrorContains(t, err, "run `make test` (it installs bin/temporal)")
}

func TestPostgres(t *testing.T) {
	var dbURL string
	ok := t.Run("create", func(t *testing.T) {
		dbURL = testenv.Postgres(t)
		require.Contains(t, dbURL, "/sbtest_")

		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dbURL)
		require.NoError(t, err)
		u, err := url.Parse(dbURL)
		require.NoError(t, err)
		var db string
		require.NoError(t, conn.QueryRow(ctx, "SELECT current_database()").Scan(&db))
		require.Equal(t, strings.TrimPrefix(u.Path, "/"), db)
		_, err = conn.Exec(ctx, "CREATE TABLE t (id int primary key)")
		require.NoError(t, err)
		// Left open on purpose: cleanup must drop the database anyway.
	})
	if !ok {
		t.FailNow()
	}

	// The subtest's cleanup has run: the database must be gone.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err == nil {
		conn.Close(ctx)
	}
	require.Error(t, err, "database %s still exists after cleanup", dbURL)
	require.ErrorContains(t, err, "does not exist")
}
