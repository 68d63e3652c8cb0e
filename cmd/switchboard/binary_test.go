package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// testBinary is this command built for a test that runs it as a real
// process: on a Temporal dev server of the test's own, a task queue
// named after the test's purpose, a fresh secret key, and the test's
// settings (its store among them).
type testBinary struct {
	path string
	env  []string
}

func newTestBinary(t *testing.T, queue string, settings ...string) *testBinary {
	t.Helper()
	temporal := testenv.Temporal(t)
	env := append(os.Environ(),
		"SWITCHBOARD_TEMPORAL_ADDRESS="+temporal.FrontendHostPort(),
		"SWITCHBOARD_TASK_QUEUE="+queue+"-"+strconv.FormatInt(time.Now().UnixNano(), 36),
		"SWITCHBOARD_SECRET_KEY="+app.NewSecretKey(),
	)
	return &testBinary{path: buildBinary(t, t.TempDir()), env: append(env, settings...)}
}

// command is the binary with args in the test's environment.
func (b *testBinary) command(args ...string) *exec.Cmd {
	c := exec.Command(b.path, args...)
	c.Env = b.env
	return c
}

// migrate runs `switchboard migrate`, failing t if it fails.
func (b *testBinary) migrate(t *testing.T) {
	t.Helper()
	if out, err := b.command("migrate").CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
}

// createOrg runs `switchboard orgs create` and returns what it printed.
func (b *testBinary) createOrg(t *testing.T, name string) (orgID, secretKey, publicKey string) {
	t.Helper()
	out, err := b.command("orgs", "create", name).Output()
	if err != nil {
		t.Fatalf("orgs create: %v", err)
	}
	m := regexp.MustCompile(`org:\s+(org_\S+)[\s\S]*secret key: (sb_sk_\S+)\npublic key: (sb_pk_\S+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("orgs create printed:\n%s", out)
	}
	return m[1], m[2], m[3]
}

// buildBinary builds this command into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "switchboard")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
