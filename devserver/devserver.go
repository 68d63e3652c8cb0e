// Package devserver runs the Temporal CLI's development server
// (`temporal server start-dev`) as a child process, configured the way
// Switchboard needs it: Switchboard's custom search attributes registered up
// front, a few dynamic-config values that remove latency the single-shard
// dev server would otherwise add to every delivery, and a garbage-collector
// target that lowers its CPU per workflow (Env, env.go).
//
// `switchboard dev` uses Start; the integration-test harness
// (internal/testenv) reuses ExtraArgs and Env with the SDK's
// testsuite.StartDevServer so that tests and local development run
// against an identically configured server.
package devserver

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/switchboardhq/switchboard/contracts"
)

// Defaults applied by Start to zero-valued Options fields.
const (
	DefaultBinary    = "temporal"
	DefaultIP        = "127.0.0.1"
	DefaultPort      = 7233
	DefaultNamespace = "default"
	DefaultLogLevel  = "warn"

	// DefaultStartTimeout bounds how long Start waits for the server to
	// answer. A cold start with a fresh SQLite file takes a few seconds on a
	// laptop; the generous bound covers slow CI machines without letting a
	// wedged process hang `switchboard dev` forever.
	DefaultStartTimeout = 60 * time.Second

	// stopGrace is how long Stop waits after SIGTERM before it sends
	// SIGKILL. The dev server normally shuts down in well under a second; a
	// few seconds leave room for it to checkpoint the SQLite WAL.
	stopGrace = 5 * time.Second
)

// dynamicConfig holds the dynamic-config overrides every Switchboard dev
// server runs with, in the KEY=JSONVALUE form the CLI's
// --dynamic-config-value flag expects.
var dynamicConfig = []string{
	// The transfer queue moves tasks from history to matching (workflow and
	// activity tasks, timers firing into tasks, signals). The default of 20
	// polls per second per shard means each internal hop can wait up to
	// 50 ms, and the dev server has a single shard, so every delivery pays
	// that wait several times. 1000 makes the hops effectively immediate.
	"history.transferProcessorMaxPollRPS=1000",
	// The visibility queue writes each run's visibility records (started,
	// search attributes, closed). At the default of 20 polls per second
	// it reads its backlog at most every 50 ms and writes what piled up
	// at once, and that burst lands on whatever call is in flight: back
	// to back, one click verification in five or six was slow, 50 ms
	// apart. At 100 a burst is at most 10 ms of records: the click
	// overhead's p99 fell by 5–9 ms (21–30 to 17–25 ms), for 5–8 % more
	// server CPU per delivery; 50 left more of the tail, 250 and 1000 took no
	// more of it and cost 15–25 % (README, Benchmarks: settings table).
	"history.visibilityProcessorMaxPollRPS=100",
	// One partition per task queue: with the default of 4, a poller can sit
	// on an empty partition while a task waits on another until the
	// forwarding logic moves it, which shows up as random latency spikes. A
	// single-node dev server gains nothing from partitioning.
	"matching.numTaskqueueReadPartitions=1",
	"matching.numTaskqueueWritePartitions=1",
	// Eager activity execution lets the server hand an activity straight
	// back to the worker that completed the workflow task scheduling it,
	// skipping a round trip through matching. It is off by default on the
	// server, so it has to be switched on here.
	"system.enableActivityEagerExecution=true",
	// Tenant fairness: matching serves the fairness keys of a task queue's
	// backlog in turn. Delivery workflows carry their org as key (see
	// service.deliveryStarter.priority), so one org's backlog does not
	// hold another's tasks behind it. Off by default on the server.
	"matching.enableFairness=true",
	// The CLI turns system.forceSearchAttributesCacheRefreshOnRead on in
	// every dev server (so attributes created while it runs are visible
	// at once; the server's own description says not to do it in
	// production), which makes every start and visibility write read the
	// cluster metadata from SQLite: five reads per delivery. Switchboard's
	// attributes are written with the namespace before the server serves
	// (--search-attribute), so the cache is right from the first read.
	// Measured with BENCH_TEMPORAL_ARGS in A B B A runs: see the README's
	// Benchmarks section.
	"system.forceSearchAttributesCacheRefreshOnRead=false",
}

// Options configures Start. Every field has a usable zero value.
type Options struct {
	// Binary is the path of the Temporal CLI executable. Empty means
	// "temporal" looked up on PATH; the Makefile installs it at bin/temporal.
	Binary string
	// IP is the address the frontend (and the Web UI) bind to. Empty means
	// 127.0.0.1 so the dev server is never exposed on the network by
	// accident.
	IP string
	// Port is the frontend gRPC port. Zero means 7233.
	Port int
	// UIPort is the Web UI port. Zero means Port+1000 (the CLI's own
	// default, 8233 for the default Port); a negative value starts the
	// server headless, without the UI.
	UIPort int
	// DBFile is the SQLite file that persists Temporal's state across
	// restarts. Empty keeps everything in memory, so workflows are lost
	// when the server stops. Its parent directory is created if needed.
	DBFile string
	// Namespace is created at start-up (in addition to "default", which the
	// CLI always creates) and is the namespace Start waits for. Empty means
	// "default".
	Namespace string
	// LogLevel is the server's log level: debug, info, warn, error or
	// never. Empty means warn, the CLI's own default for start-dev.
	LogLevel string
	// Stdout and Stderr receive the process's output. Nil discards it,
	// though the tail of stderr is still kept for Start's error messages.
	Stdout, Stderr io.Writer
	// StartTimeout bounds how long Start waits for the server to become
	// ready, in addition to ctx. Zero means DefaultStartTimeout.
	StartTimeout time.Duration
}

// withDefaults returns o with every zero-valued field replaced by its
// default.
func (o Options) withDefaults() Options {
	if o.Binary == "" {
		o.Binary = DefaultBinary
	}
	if o.IP == "" {
		o.IP = DefaultIP
	}
	if o.Port == 0 {
		o.Port = DefaultPort
	}
	if o.UIPort == 0 {
		o.UIPort = min(o.Port+1000, 65535)
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.LogLevel == "" {
		o.LogLevel = DefaultLogLevel
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	return o
}

// Server is a running dev-server process started by Start.
type Server struct {
	cmd       *exec.Cmd
	address   string
	uiAddress string

	done    chan struct{} // closed once the process has exited
	waitErr error         // cmd.Wait's result, valid after done is closed

	stopOnce sync.Once
	stopErr  error
}

// ExtraArgs returns the `temporal server start-dev` flags that register
// Switchboard's search attributes and apply its dynamic-config overrides,
// without any address, port, namespace or database flags. Start passes them
// itself; tests pass them as testsuite.DevServerOptions.ExtraArgs so both
// run an identically configured server.
func ExtraArgs() []string {
	attrs := contracts.SearchAttributes()
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	// Sorted so the command line is stable across runs (map order is not),
	// which keeps logs and process listings comparable.
	slices.Sort(names)

	args := make([]string, 0, 2*(len(names)+len(dynamicConfig)))
	for _, name := range names {
		args = append(args, "--search-attribute", name+"="+typeShorthand(attrs[name]))
	}
	for _, kv := range dynamicConfig {
		args = append(args, "--dynamic-config-value", kv)
	}
	return args
}

// typeShorthand returns the PascalCase name ("Keyword") that the CLI's
// --search-attribute flag accepts for t, rather than the proto enum name
// ("INDEXED_VALUE_TYPE_KEYWORD") that t.String() returns.
func typeShorthand(t enumspb.IndexedValueType) string {
	for name, v := range enumspb.IndexedValueType_shorthandValue {
		if enumspb.IndexedValueType(v) == t {
			return name
		}
	}
	return t.String()
}

// SQLiteFileArgs are the flags a file-backed dev server runs with. WAL
// lets the server's readers (visibility queries, the UI) proceed while a
// writer commits. synchronous=OFF leaves flushing to the OS: the file is
// there so that workflows survive restarts of the server, and committed
// transactions survive the server's process ending in any way (a crash or
// SIGKILL included, TestStartPersistent) at every synchronous level; what
// the level decides is an OS crash or a power cut, which NORMAL survives
// losing the last transactions and OFF may not survive at all (delete the
// file then). The price of NORMAL was measured: the server has a single
// SQLite connection, every workflow writes about 0.8 MiB of WAL, so the
// automatic checkpoint (every 1,000 pages) ran about every fifth workflow
// on that connection with two fsyncs, and whatever call was in flight
// waited behind it: the click verification's overhead p99 was 21-25 ms
// with NORMAL and 16-22 ms with OFF, close to the in-memory server's
// (README, Benchmarks: settings table). A development server takes that
// trade; production runs Temporal on PostgreSQL (docker-compose.yml).
func SQLiteFileArgs() []string {
	return []string{"--sqlite-pragma", "journal_mode=WAL", "--sqlite-pragma", "synchronous=OFF"}
}

// args returns the full command line (without the binary) for o, which must
// already have its defaults applied.
func (o Options) args() []string {
	args := []string{
		"server", "start-dev",
		"--ip", o.IP,
		"--port", strconv.Itoa(o.Port),
		"--namespace", o.Namespace,
		"--log-level", o.LogLevel,
	}
	if o.UIPort > 0 {
		args = append(args, "--ui-port", strconv.Itoa(o.UIPort))
	} else {
		args = append(args, "--headless")
	}
	if o.DBFile != "" {
		args = append(args, "--db-filename", o.DBFile)
		args = append(args, SQLiteFileArgs()...)
	}
	return append(args, ExtraArgs()...)
}

// Start launches `<Binary> server start-dev` with o and returns once a
// Temporal client can connect and describe o.Namespace, or fails (and kills
// the process) if that does not happen before ctx is done or o.StartTimeout
// has passed. The returned Server must be stopped with Stop; ctx only
// bounds the start-up, not the server's lifetime.
func Start(ctx context.Context, o Options) (*Server, error) {
	o = o.withDefaults()

	bin, err := exec.LookPath(o.Binary)
	if err != nil {
		return nil, fmt.Errorf("devserver: Temporal CLI not found at %q (run `make bin/temporal` to install it): %w", o.Binary, err)
	}
	if o.DBFile != "" {
		// The CLI refuses to start when the file's directory is missing;
		// creating it lets a fresh checkout use a path like .data/temporal.db.
		if err := os.MkdirAll(filepath.Dir(o.DBFile), 0o755); err != nil {
			return nil, fmt.Errorf("devserver: creating directory for %s: %w", o.DBFile, err)
		}
	}

	// Checked here, even though the CLI checks too, because otherwise a
	// server already listening on the port (an earlier `switchboard dev`, a
	// stray test server) would answer the readiness probe below and Start
	// would report success for a server it does not own.
	if err := CheckPorts(o); err != nil {
		return nil, err
	}
	s := &Server{
		address: net.JoinHostPort(dialHost(o.IP), strconv.Itoa(o.Port)),
		done:    make(chan struct{}),
	}
	if o.UIPort > 0 {
		s.uiAddress = net.JoinHostPort(dialHost(o.IP), strconv.Itoa(o.UIPort))
	}

	stderrTail := &tailBuffer{max: 8 << 10}
	cmd := exec.Command(bin, o.args()...)
	cmd.Env = append(os.Environ(), Env()...)
	cmd.Stdout = o.Stdout
	cmd.Stderr = stderrTail
	if o.Stderr != nil {
		cmd.Stderr = io.MultiWriter(o.Stderr, stderrTail)
	}
	// Own process group (and, on Linux, a parent-death signal) so that
	// Stop can signal everything the CLI might spawn and so that a crashed
	// parent does not leave a server holding the ports.
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("devserver: starting %s: %w", bin, err)
	}
	s.cmd = cmd
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()

	readyCtx, cancel := context.WithTimeout(ctx, o.StartTimeout)
	defer cancel()
	if err := s.waitReady(readyCtx, o.Namespace); err != nil {
		_ = s.Stop()
		if tail := bytes.TrimSpace(stderrTail.Bytes()); len(tail) > 0 {
			err = fmt.Errorf("%w\nserver stderr (tail):\n%s", err, tail)
		}
		return nil, fmt.Errorf("devserver: %s not ready: %w", s.address, err)
	}
	return s, nil
}

// waitReady polls until a client can connect to the frontend, pass the gRPC
// health check and describe namespace, or until ctx is done or the process
// exits.
func (s *Server) waitReady(ctx context.Context, namespace string) error {
	// The SDK's default logger would print a warning for every failed dial
	// while the server is still starting.
	quiet := sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		if lastErr = probe(ctx, s.address, namespace, quiet); lastErr == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("server exited during start-up: %v", s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), lastErr)
		case <-tick.C:
		}
	}
}

// probe makes one readiness attempt: dial (which performs the SDK's own
// GetSystemInfo handshake), gRPC health check, then DescribeNamespace. The
// namespace check matters because the frontend answers health checks a
// moment before the namespace registry has loaded, and clients that start
// workers in that window fail with "namespace not found".
func probe(ctx context.Context, address, namespace string, logger sdklog.Logger) error {
	attemptCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := client.DialContext(attemptCtx, client.Options{HostPort: address, Namespace: namespace, Logger: logger})
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.CheckHealth(attemptCtx, &client.CheckHealthRequest{}); err != nil {
		return err
	}
	_, err = c.WorkflowService().DescribeNamespace(attemptCtx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	return err
}

// Address returns the frontend's host:port, suitable for client.Options.HostPort.
func (s *Server) Address() string { return s.address }

// UIAddress returns the Web UI's host:port, or "" when the server runs
// headless.
func (s *Server) UIAddress() string { return s.uiAddress }

// Done returns a channel that is closed when the server process exits,
// whether because Stop was called or because it died on its own.
func (s *Server) Done() <-chan struct{} { return s.done }

// Stop shuts the server down: SIGTERM to its process group, then SIGKILL if
// it has not exited after a few seconds. It returns nil when the server
// exited because of Stop, and the process's exit error when it had already
// died before Stop was called. Calling Stop again returns the same result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		select {
		case <-s.done:
			// Died on its own; report why. Still sweep the group in case it
			// left children behind.
			_ = signalGroup(s.cmd.Process, true)
			s.stopErr = s.waitErr
			return
		default:
		}
		_ = signalGroup(s.cmd.Process, false)
		select {
		case <-s.done:
		case <-time.After(stopGrace):
			_ = signalGroup(s.cmd.Process, true)
			<-s.done
		}
		// Kill whatever else is left in the group (nothing, normally: the
		// CLI runs the server and UI in-process).
		_ = signalGroup(s.cmd.Process, true)
	})
	return s.stopErr
}
