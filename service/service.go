// Package service is Switchboard's application layer: it validates input,
// applies the business rules, writes through the store and starts or
// signals Temporal workflows. The HTTP handlers in package api only decode
// requests, call one method here and encode the answer.
package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/live"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound"
	"github.com/switchboardhq/switchboard/store"
)

// Service carries the dependencies of every use case.
type Service struct {
	Store    *store.Store
	Temporal client.Client
	Cfg      config.Config
	Log      *slog.Logger
	// Hub carries live updates (today: finished customer lookups) to
	// the API's streams, in this process and in others.
	Hub *live.Hub
	// URLGuard checks customer URLs at save time with the allow-list and
	// resolver the outbound client uses at send time; nil builds one from
	// Cfg with the system resolver (see ValidateURL).
	URLGuard *outbound.Guard
}

// New builds a Service.
func New(s *store.Store, tc client.Client, cfg config.Config, log *slog.Logger) *Service {
	return &Service{Store: s, Temporal: tc, Cfg: cfg, Log: log, Hub: live.NewHub()}
}

// Principal is the authenticated caller.
type Principal struct {
	OrgID   string
	KeyKind string
	// CORSOrigins are the org's allowed widget origins, loaded with the key
	// so the widget route needs no second read of the org.
	CORSOrigins []string
}

// Key prefixes make leaked keys recognisable (and scannable) at a glance.
const (
	secretKeyPrefix = "sb_sk_"
	publicKeyPrefix = "sb_pk_"
)

// NewOrg is a created org with its keys in clear text, shown exactly once.
type NewOrg struct {
	Org       models.Org
	SecretKey string
	PublicKey string
}

// CreateOrg creates an org with one secret and one public key.
func (s *Service) CreateOrg(ctx context.Context, name string) (NewOrg, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return NewOrg{}, models.Invalid("name", "must be 1 to 200 characters")
	}
	org := models.Org{ID: models.NewID("org"), Name: name, CreatedAt: store.Now()}
	sk := secretKeyPrefix + models.RandomToken(24)
	pk := publicKeyPrefix + models.RandomToken(16)
	keys := []*models.APIKey{newKey(org.ID, models.KeyKindSecret, sk), newKey(org.ID, models.KeyKindPublic, pk)}
	if err := s.Store.CreateOrg(ctx, &org, keys...); err != nil {
		return NewOrg{}, err
	}
	return NewOrg{Org: org, SecretKey: sk, PublicKey: pk}, nil
}

func newKey(orgID, kind, raw string) *models.APIKey {
	return &models.APIKey{ID: models.NewID("key"), OrgID: orgID, Kind: kind, Hash: hashKey(raw), Prefix: raw[:10], CreatedAt: store.Now()}
}

// hashKey is SHA-256: keys are 120+ random bits, so a slow password hash
// would add latency to every request without adding safety.
func hashKey(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

// Authenticate resolves a raw API key to its org and kind.
func (s *Service) Authenticate(ctx context.Context, raw string) (Principal, error) {
	if raw == "" {
		return Principal{}, models.ErrUnauthorized
	}
	key, org, err := s.Store.KeyByHash(ctx, hashKey(raw))
	if errors.Is(err, models.ErrNotFound) {
		return Principal{}, models.ErrUnauthorized
	}
	if err != nil {
		return Principal{}, err
	}
	return Principal{OrgID: org.ID, KeyKind: key.Kind, CORSOrigins: org.CORSOrigins}, nil
}

// Ping checks that the store answers, for the health route.
func (s *Service) Ping(ctx context.Context) error { return s.Store.Ping(ctx) }

// withDeadline bounds a wait on Temporal so no request can hang on a long
// poll (one Get in thousands was seen to wait the server's 20 s poll).
func withDeadline(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}
