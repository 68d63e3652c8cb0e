package service

import (
	"crypto/rand"
	"net/netip"
	"time"

	"github.com/switchboardhq/switchboard/config"
)

// Settings are the services' config sections. SettingsFrom is the one place
// that reads config.Config for them, so each domain sees only its section.
type Settings struct {
	URLs       URLSettings
	Events     EventSettings
	Deliveries DeliverySettings
	Lookups    LookupSettings
	Sweeper    SweeperSettings
	Apps       AppSettings
	Dispatch   DispatchSettings
	Chat       ChatSettings
	Files      FileSettings
	Replays    ReplaySettings
}

// URLSettings govern which customer URLs may be saved.
type URLSettings struct {
	AllowInsecure bool           // plain http:// (tests and dev)
	AllowPrefixes []netip.Prefix // let through the SSRF guard
}

// EventSettings govern ingest.
type EventSettings struct {
	IdempotencyWindow time.Duration
}

// DeliverySettings govern the delivery and test-send workflows.
type DeliverySettings struct {
	TaskQueue      string
	AttemptTimeout time.Duration
	// FairnessKeys gives delivery workflows the org as Temporal fairness
	// key, so the task queue serves orgs in turn.
	FairnessKeys bool
}

// LookupSettings govern the customer lookup workflow.
type LookupSettings struct {
	TaskQueue      string
	AttemptTimeout time.Duration
}

// SweeperSettings govern the sweeper.
type SweeperSettings struct {
	// Interval is both the period and how old a row must be to count as
	// stranded.
	Interval time.Duration
}

// AppSettings govern Custom Apps: the egress addresses they are told to
// allow, and whether an outbound proxy is configured.
type AppSettings struct {
	EgressIPs []netip.Prefix
	Proxy     bool
}

// SettingsFrom picks the services' sections out of cfg.
func SettingsFrom(cfg config.Config) Settings {
	allow, _ := cfg.OutboundAllowPrefixes() // config.Validate reported a bad list
	egress, _ := cfg.EgressPrefixes()       // likewise
	return Settings{
		URLs:       URLSettings{AllowInsecure: cfg.AllowInsecureURLs, AllowPrefixes: allow},
		Events:     EventSettings{IdempotencyWindow: cfg.IdempotencyWindow},
		Deliveries: DeliverySettings{TaskQueue: cfg.TaskQueue, AttemptTimeout: cfg.DeliveryTimeout, FairnessKeys: cfg.TenantFairness},
		Lookups:    LookupSettings{TaskQueue: cfg.TaskQueue, AttemptTimeout: cfg.LookupTimeout},
		Sweeper:    SweeperSettings{Interval: cfg.SweepInterval},
		Apps:       AppSettings{EgressIPs: egress, Proxy: cfg.OutboundProxy != ""},
		Dispatch:   DispatchSettings{QueueSize: cfg.DispatchQueue, Concurrency: cfg.DispatchConcurrency, Fair: cfg.TenantFairness},
		Replays:    ReplaySettings{TaskQueue: cfg.TaskQueue, Rate: cfg.ReplayRate, PageSize: cfg.ReplayPage},
		Chat:       ChatSettings{TaskQueue: cfg.TaskQueue, Idle: cfg.ChatIdle, TurnsPerRun: cfg.ChatTurnsPerRun},
		Files: FileSettings{MaxBytes: cfg.UploadMaxBytes, MaxPerConversation: cfg.UploadsPerConversation,
			URLTTL: cfg.FileURLTTL, PublicURL: cfg.PublicBaseURL(), SigningKey: fileKey(cfg)},
	}
}

// fileKey is the signed-link key: derived from SECRET_KEY, or random for
// this process when there is none (links then work only through it).
func fileKey(cfg config.Config) []byte {
	if k := cfg.FileSigningKey(); k != nil {
		return k
	}
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}
