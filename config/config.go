// Package config is Switchboard's single configuration struct: every setting
// comes from a SWITCHBOARD_-prefixed environment variable with a default, and
// Validate rejects combinations that cannot work.
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Prefix is prepended to every environment variable name.
const Prefix = "SWITCHBOARD_"

// Config holds every runtime setting. Durations are time.Duration and parse
// from Go duration strings ("30s", "5m").
type Config struct {
	DatabaseURL string `env:"DATABASE_URL" help:"PostgreSQL URL (postgres://user@host:5432/db). Empty: embedded SQLite at SQLITE_PATH."`
	SQLitePath  string `env:"SQLITE_PATH" envDefault:".data/switchboard.db" help:"SQLite file used when DATABASE_URL is empty."`

	HTTPAddr     string `env:"HTTP_ADDR" envDefault:"127.0.0.1:8080" help:"Address the REST API listens on."`
	MaxBodyBytes int64  `env:"MAX_BODY_BYTES" envDefault:"262144" help:"Largest accepted request body in bytes."`

	// Deadlines that stop slow or idle clients from holding connections.
	HTTPReadHeaderTimeout time.Duration `env:"HTTP_READ_HEADER_TIMEOUT" envDefault:"5s" help:"Time a client has to send the request headers."`
	HTTPReadTimeout       time.Duration `env:"HTTP_READ_TIMEOUT" envDefault:"30s" help:"Time a client has to send headers and body (a body this slow gets 408); lifted once the body is read, so it does not limit how long a request may run."`
	HTTPWriteTimeout      time.Duration `env:"HTTP_WRITE_TIMEOUT" envDefault:"90s" help:"Longest time from the end of the headers to the end of the answer; above the longest handler (a Test send waits DELIVERY_TIMEOUT+15s). Event streams (SSE) are exempt."`
	HTTPIdleTimeout       time.Duration `env:"HTTP_IDLE_TIMEOUT" envDefault:"120s" help:"How long an idle keep-alive connection stays open."`

	// PostgreSQL pool of one process. The defaults fit a server with
	// max_connections=100 shared by API and workers: serve plus two worker
	// processes use at most 60, leaving room for Temporal's own pools, the
	// LISTEN connection of each API process and an operator's psql.
	DBMaxOpenConns    int           `env:"DB_MAX_OPEN_CONNS" envDefault:"20" help:"Most PostgreSQL connections this process opens. Size so that (processes x this) stays well under the server's max_connections (100 by default): the default 20 lets serve and two workers use 60."`
	DBMaxIdleConns    int           `env:"DB_MAX_IDLE_CONNS" envDefault:"10" help:"PostgreSQL connections kept open while idle (at most DB_MAX_OPEN_CONNS)."`
	DBConnMaxLifetime time.Duration `env:"DB_CONN_MAX_LIFETIME" envDefault:"30m" help:"Age after which a PostgreSQL connection is replaced (balances load after a failover); 0 keeps connections forever."`

	TemporalAddress   string `env:"TEMPORAL_ADDRESS" envDefault:"127.0.0.1:7233" help:"Temporal frontend host:port."`
	TemporalNamespace string `env:"TEMPORAL_NAMESPACE" envDefault:"default" help:"Temporal namespace."`
	TaskQueue         string `env:"TASK_QUEUE" envDefault:"switchboard" help:"Temporal task queue for workflows and activities."`
	TemporalGzip      bool   `env:"TEMPORAL_GZIP" envDefault:"false" help:"Compress gRPC traffic to Temporal; worth it over a WAN, wasted CPU on a LAN."`
	// A Temporal cluster (self-hosted with mTLS, or Temporal Cloud).
	TemporalTLSCert   string `env:"TEMPORAL_TLS_CERT" help:"PEM file of the client certificate for mTLS to the Temporal frontend (with TEMPORAL_TLS_KEY)."`
	TemporalTLSKey    string `env:"TEMPORAL_TLS_KEY" help:"PEM file of the client certificate's private key."`
	TemporalTLSCA     string `env:"TEMPORAL_TLS_CA" help:"PEM file of the CA that signed the frontend's certificate (empty: the system roots)."`
	TemporalTLSServer string `env:"TEMPORAL_TLS_SERVER_NAME" help:"Server name to verify on the frontend's certificate (empty: the host of TEMPORAL_ADDRESS)."`
	TemporalTLS       bool   `env:"TEMPORAL_TLS" envDefault:"false" help:"Use TLS to the Temporal frontend without a client certificate (implied by TEMPORAL_TLS_CERT and TEMPORAL_API_KEY)."`
	TemporalAPIKey    string `env:"TEMPORAL_API_KEY" help:"API key for the Temporal frontend (Temporal Cloud); sent as a bearer credential over TLS, never logged."`
	EmbeddedWorker    bool   `env:"EMBEDDED_WORKER" envDefault:"true" help:"serve also runs a worker in-process, which enables eager workflow start (lowest latency)."`
	// WorkerMetricsAddr: a worker-only process has no API, so its Temporal
	// SDK and outbound metrics need a listener of their own.
	WorkerMetricsAddr string `env:"WORKER_METRICS_ADDR" help:"Address where the worker command serves /metrics (Prometheus) and /healthz; empty: none (serve has them on the API address)."`
	WorkerPollers     int    `env:"WORKER_POLLERS" envDefault:"8" help:"Workflow and activity task pollers per worker."`
	WorkerConcurrency int    `env:"WORKER_CONCURRENCY" envDefault:"200" help:"Maximum concurrent activities and local activities per worker."`

	SecretKey             string `env:"SECRET_KEY" help:"Base64 of 32 random bytes (openssl rand -base64 32): the current key that seals signing secrets at rest (AES-256-GCM). serve and worker refuse to start without it unless ALLOW_PLAINTEXT_SECRETS=true; dev creates one in .data/secret.key."`
	SecretKeysOld         string `env:"SECRET_KEYS_OLD" help:"Comma-separated Base64 keys that were SECRET_KEY before a rotation: still open rows sealed with them until 'switchboard secrets reseal' re-encrypts those."`
	AllowPlaintextSecrets bool   `env:"ALLOW_PLAINTEXT_SECRETS" envDefault:"false" help:"Let serve and worker run without SECRET_KEY, storing new signing secrets in clear text."`

	AllowInsecureURLs bool          `env:"ALLOW_INSECURE_URLS" envDefault:"false" help:"Allow plain http:// endpoint URLs (tests and dev)."`
	DeliveryTimeout   time.Duration `env:"DELIVERY_TIMEOUT" envDefault:"30s" help:"Timeout of one webhook delivery attempt."`
	RetryAfterCap     time.Duration `env:"RETRY_AFTER_CAP" envDefault:"1h" help:"Longest Retry-After (429/503) that is honoured."`
	IdempotencyWindow time.Duration `env:"IDEMPOTENCY_WINDOW" envDefault:"24h" help:"How long an event idempotency key is remembered."`
	SweepInterval     time.Duration `env:"SWEEP_INTERVAL" envDefault:"15s" help:"How often the worker re-dispatches deliveries whose workflow never started."`
	LookupTimeout     time.Duration `env:"LOOKUP_TIMEOUT" envDefault:"5s" help:"Timeout of one Backend Connect lookup attempt."`
	ResponseBodyLimit int           `env:"RESPONSE_BODY_LIMIT" envDefault:"65536" help:"Bytes of a receiver's response body kept per attempt."`

	// Ingest answers after its commit; a bounded dispatcher starts the
	// workflows behind it (full queue: the sweeper starts the row).
	DispatchQueue       int `env:"DISPATCH_QUEUE" envDefault:"10000" help:"Committed deliveries an API process holds for their workflow start; beyond it a delivery waits for the sweeper (SWEEP_INTERVAL) and switchboard_dispatch_overflow_total counts it."`
	DispatchConcurrency int `env:"DISPATCH_CONCURRENCY" envDefault:"16" help:"Workflow starts an API process makes at once; their pace drains the dispatch queue at the rate Temporal sustains."`
	// Tenant fairness (issue 10); the task queue side needs the server's
	// matching.enableFairness (set by dev and deploy/temporal).
	TenantFairness bool `env:"TENANT_FAIRNESS" envDefault:"true" help:"Serve orgs in turn so one org's burst does not delay another's deliveries: the dispatch queue is one lane per org, and delivery workflows carry the org as Temporal fairness key. false: one arrival-order queue."`

	DevTemporalPort        int           `env:"DEV_TEMPORAL_PORT" envDefault:"7233" help:"dev only: gRPC port of the Temporal dev server it starts (on 127.0.0.1)."`
	DevUIPort              int           `env:"DEV_UI_PORT" envDefault:"8233" help:"dev only: port of that server's Temporal Web UI."`
	OutboundProxy          string        `env:"OUTBOUND_PROXY" help:"http(s):// proxy URL that carries every call to customer endpoints (fixed egress IPs). Empty: direct."`
	OutboundAllowCIDRs     []string      `env:"OUTBOUND_ALLOW_CIDRS" help:"Comma-separated CIDRs the SSRF guard lets through (internal receivers; dev and tests use 127.0.0.0/8,::1/128). Empty: only public addresses."`
	ReplayRate             float64       `env:"REPLAY_RATE" envDefault:"20" help:"Deliveries per second a bulk replay starts, so a backlog never starves live traffic."`
	ReplayPage             int           `env:"REPLAY_PAGE" envDefault:"100" help:"Deliveries a bulk replay creates per page (one activity, one transaction)."`
	HealthCheckInterval    time.Duration `env:"HEALTH_CHECK_INTERVAL" envDefault:"15m" help:"How often a Temporal Schedule checks endpoint health (auto-disable)."`
	AutoDisableAfter       time.Duration `env:"AUTO_DISABLE_AFTER" envDefault:"120h" help:"An endpoint whose every attempt has failed for this long is disabled (with AUTO_DISABLE_MIN_ATTEMPTS failed attempts); 0 turns auto-disable off."`
	AutoDisableMinAttempts int           `env:"AUTO_DISABLE_MIN_ATTEMPTS" envDefault:"10" help:"Failed attempts an endpoint needs, besides AUTO_DISABLE_AFTER, to be disabled."`
	FailingWarnAfter       time.Duration `env:"FAILING_WARN_AFTER" envDefault:"1h" help:"How old a failing streak is when endpoint.failing is sent (once per streak)."`
	RetentionInterval      time.Duration `env:"RETENTION_INTERVAL" envDefault:"1h" help:"How often a Temporal Schedule purges events, deliveries and attempts older than each org's retention (retention_days, default 30)."`

	// The chat custom backend (issue 8); validated in chat.go.
	PublicURL              string        `env:"PUBLIC_URL" help:"External base URL of the API (https://chat.example.com), used in the signed file links given to chat backends. Empty: http://HTTP_ADDR."`
	ChatIdle               time.Duration `env:"CHAT_IDLE" envDefault:"30m" help:"How long a conversation's relay workflow run waits for the next message before it completes (the next message starts a new run)."`
	ChatTurnsPerRun        int           `env:"CHAT_TURNS_PER_RUN" envDefault:"100" help:"Messages a conversation's relay workflow run handles before it continues as new (bounds its history)."`
	UploadDir              string        `env:"UPLOAD_DIR" envDefault:".data/uploads" help:"Directory visitor uploads are stored in."`
	UploadMaxBytes         int64         `env:"UPLOAD_MAX_BYTES" envDefault:"10485760" help:"Largest visitor upload in bytes."`
	UploadsPerConversation int           `env:"UPLOADS_PER_CONVERSATION" envDefault:"20" help:"Most uploads one conversation may hold."`
	FileURLTTL             time.Duration `env:"FILE_URL_TTL" envDefault:"15m" help:"How long a signed file link given to a chat backend stays valid."`
	WidgetRatePerIP        float64       `env:"WIDGET_RATE_PER_IP" envDefault:"5" help:"Widget requests per second one client IP may make (token bucket; 0: unlimited)."`
	WidgetBurstPerIP       int           `env:"WIDGET_BURST_PER_IP" envDefault:"30" help:"Burst of WIDGET_RATE_PER_IP."`
	WidgetRatePerConv      float64       `env:"WIDGET_RATE_PER_CONVERSATION" envDefault:"1" help:"Widget messages and uploads per second into one conversation (token bucket; 0: unlimited)."`
	WidgetBurstPerConv     int           `env:"WIDGET_BURST_PER_CONVERSATION" envDefault:"10" help:"Burst of WIDGET_RATE_PER_CONVERSATION."`
	TrustedProxies         []string      `env:"TRUSTED_PROXIES" help:"Comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client IP (rate limits). Empty: the connection's address is the client."`

	EgressIPs []string `env:"EGRESS_IPS" help:"Comma-separated IPs or CIDRs that calls to customer endpoints leave from (the OUTBOUND_PROXY's, in a deployment with one), published by GET /v1/egress-ips for customers' firewall allow-lists."`
}

// LoopbackCIDRs is the OUTBOUND_ALLOW_CIDRS value of dev mode and tests:
// receivers on this machine, with the SSRF guard still on for the rest.
const LoopbackCIDRs = "127.0.0.0/8,::1/128"

// Load reads the configuration from the environment and validates it.
func Load() (Config, error) {
	var c Config
	if err := env.ParseWithOptions(&c, env.Options{Prefix: Prefix}); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return c, c.Validate()
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			errs = append(errs, errors.New(Prefix+"DATABASE_URL must be a postgres:// URL"))
		}
	} else if c.SQLitePath == "" {
		errs = append(errs, errors.New(Prefix+"SQLITE_PATH must be set when DATABASE_URL is empty"))
	}
	if c.SecretKey != "" {
		if k, err := base64.StdEncoding.DecodeString(c.SecretKey); err != nil || len(k) != 32 {
			errs = append(errs, errors.New(Prefix+"SECRET_KEY must be the Base64 of exactly 32 bytes"))
		}
	}
	for _, k := range splitKeys(c.SecretKeysOld) {
		if b, err := base64.StdEncoding.DecodeString(k); err != nil || len(b) != 32 {
			errs = append(errs, errors.New(Prefix+"SECRET_KEYS_OLD must be comma-separated Base64 of exactly 32 bytes each"))
			break
		}
	}
	if c.MaxBodyBytes < 1024 {
		errs = append(errs, errors.New(Prefix+"MAX_BODY_BYTES must be at least 1024"))
	}
	if c.WorkerPollers < 2 {
		errs = append(errs, errors.New(Prefix+"WORKER_POLLERS must be at least 2"))
	}
	if c.WorkerConcurrency < 1 {
		errs = append(errs, errors.New(Prefix+"WORKER_CONCURRENCY must be positive"))
	}
	if c.DispatchQueue < 1 || c.DispatchConcurrency < 1 {
		errs = append(errs, errors.New(Prefix+"DISPATCH_QUEUE and DISPATCH_CONCURRENCY must be positive"))
	}
	for name, d := range map[string]time.Duration{
		"DELIVERY_TIMEOUT": c.DeliveryTimeout, "RETRY_AFTER_CAP": c.RetryAfterCap,
		"IDEMPOTENCY_WINDOW": c.IdempotencyWindow, "SWEEP_INTERVAL": c.SweepInterval,
		"LOOKUP_TIMEOUT": c.LookupTimeout,
	} {
		if d <= 0 {
			errs = append(errs, errors.New(Prefix+name+" must be a positive duration"))
		}
	}
	for name, port := range map[string]int{"DEV_TEMPORAL_PORT": c.DevTemporalPort, "DEV_UI_PORT": c.DevUIPort} {
		if port < 1 || port > 65535 {
			errs = append(errs, errors.New(Prefix+name+" must be a port from 1 to 65535"))
		}
	}
	for name, d := range map[string]time.Duration{
		"HTTP_READ_HEADER_TIMEOUT": c.HTTPReadHeaderTimeout, "HTTP_READ_TIMEOUT": c.HTTPReadTimeout,
		"HTTP_WRITE_TIMEOUT": c.HTTPWriteTimeout, "HTTP_IDLE_TIMEOUT": c.HTTPIdleTimeout,
	} {
		if d <= 0 {
			errs = append(errs, errors.New(Prefix+name+" must be a positive duration"))
		}
	}
	// A write deadline shorter than the longest wait a handler makes would
	// cut off the answer of a Test send or a refresh that did succeed.
	if longest := max(c.DeliveryTimeout+15*time.Second, 2*(c.LookupTimeout+10*time.Second)); c.HTTPWriteTimeout > 0 && c.HTTPWriteTimeout <= longest {
		errs = append(errs, fmt.Errorf("%sHTTP_WRITE_TIMEOUT must exceed %s (a Test send waits DELIVERY_TIMEOUT+15s, a refresh 2x(LOOKUP_TIMEOUT+10s))", Prefix, longest))
	}
	if c.DBMaxOpenConns < 1 {
		errs = append(errs, errors.New(Prefix+"DB_MAX_OPEN_CONNS must be at least 1"))
	}
	if c.DBMaxIdleConns < 0 || c.DBMaxIdleConns > c.DBMaxOpenConns {
		errs = append(errs, errors.New(Prefix+"DB_MAX_IDLE_CONNS must be from 0 to DB_MAX_OPEN_CONNS"))
	}
	if c.DBConnMaxLifetime < 0 {
		errs = append(errs, errors.New(Prefix+"DB_CONN_MAX_LIFETIME must not be negative"))
	}
	if c.ResponseBodyLimit < 0 {
		errs = append(errs, errors.New(Prefix+"RESPONSE_BODY_LIMIT must not be negative"))
	}
	if c.OutboundProxy != "" {
		if _, err := c.OutboundProxyURL(); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := c.OutboundAllowPrefixes(); err != nil {
		errs = append(errs, err)
	}
	if _, err := c.EgressPrefixes(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.validateFeatures()...)
	return errors.Join(errs...)
}

// OutboundProxyURL is the parsed OutboundProxy, nil when none is set.
func (c Config) OutboundProxyURL() (*url.URL, error) {
	if c.OutboundProxy == "" {
		return nil, nil
	}
	u, err := url.Parse(c.OutboundProxy)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, errors.New(Prefix + "OUTBOUND_PROXY must be an http:// or https:// URL")
	}
	return u, nil
}

// OutboundAllowPrefixes is the parsed OutboundAllowCIDRs.
func (c Config) OutboundAllowPrefixes() ([]netip.Prefix, error) {
	return parsePrefixes("OUTBOUND_ALLOW_CIDRS", c.OutboundAllowCIDRs)
}

// EgressPrefixes is the parsed EgressIPs, canonical for GET /v1/egress-ips.
func (c Config) EgressPrefixes() ([]netip.Prefix, error) {
	return parsePrefixes("EGRESS_IPS", c.EgressIPs)
}

// parsePrefixes reads a list of CIDRs in which a bare address counts as a
// single-address prefix; zoned IPv6 addresses name an interface, not a
// network, and are refused.
func parsePrefixes(setting string, list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil || a.Zone() != "" {
				return nil, fmt.Errorf("%s%s: %q is not an IP address or CIDR", Prefix, setting, s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// SecretKeyBytes is the decoded SecretKey, nil when none is set. Validate
// has checked it.
func (c Config) SecretKeyBytes() []byte {
	k, _ := base64.StdEncoding.DecodeString(c.SecretKey)
	if len(k) != 32 {
		return nil
	}
	return k
}

// OldSecretKeysBytes are the decoded SecretKeysOld; Validate has checked
// them.
func (c Config) OldSecretKeysBytes() [][]byte {
	var out [][]byte
	for _, k := range splitKeys(c.SecretKeysOld) {
		if b, err := base64.StdEncoding.DecodeString(k); err == nil && len(b) == 32 {
			out = append(out, b)
		}
	}
	return out
}

func splitKeys(list string) []string {
	var out []string
	for k := range strings.SplitSeq(list, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// Usage writes every setting with its default and description.
func Usage(w io.Writer) {
	t := reflect.TypeOf(Config{})
	fmt.Fprintln(w, "Environment variables:")
	for i := range t.NumField() {
		f := t.Field(i)
		name := Prefix + f.Tag.Get("env")
		def := f.Tag.Get("envDefault")
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(w, "  %-36s %s (default %s)\n", name, strings.TrimSpace(f.Tag.Get("help")), def)
	}
}
