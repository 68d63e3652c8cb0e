package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// orgStore is what Orgs reads and writes.
type orgStore interface {
	CreateOrg(ctx context.Context, org *models.Org, keys ...*models.APIKey) error
	KeyByHash(ctx context.Context, hash string) (models.APIKey, models.Org, error)
	GetOrg(ctx context.Context, orgID string) (models.Org, error)
	SetOrgCORSOrigins(ctx context.Context, orgID string, origins []string) error
	SetOrgRetention(ctx context.Context, orgID string, days int) error
	Ping(ctx context.Context) error
}

// Orgs owns orgs, their API keys (authentication) and the widget's CORS
// origins.
type Orgs struct {
	st orgStore
}

// maxCORSOrigins bounds an org's widget origins.
const maxCORSOrigins = 50

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
func (s *Orgs) CreateOrg(ctx context.Context, name string) (NewOrg, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return NewOrg{}, models.Invalid("name", "must be 1 to 200 characters")
	}
	org := models.Org{ID: models.NewID("org"), Name: name, CreatedAt: store.Now()}
	sk := secretKeyPrefix + models.RandomToken(24)
	pk := publicKeyPrefix + models.RandomToken(16)
	keys := []*models.APIKey{newKey(org.ID, models.KeyKindSecret, sk), newKey(org.ID, models.KeyKindPublic, pk)}
	if err := s.st.CreateOrg(ctx, &org, keys...); err != nil {
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
func (s *Orgs) Authenticate(ctx context.Context, raw string) (Principal, error) {
	if raw == "" {
		return Principal{}, models.ErrUnauthorized
	}
	key, org, err := s.st.KeyByHash(ctx, hashKey(raw))
	if errors.Is(err, models.ErrNotFound) {
		return Principal{}, models.ErrUnauthorized
	}
	if err != nil {
		return Principal{}, err
	}
	return Principal{OrgID: org.ID, KeyKind: key.Kind, CORSOrigins: org.CORSOrigins}, nil
}

// Ping checks that the store answers, for the health route.
func (s *Orgs) Ping(ctx context.Context) error { return s.st.Ping(ctx) }

// GetOrg loads the caller's org.
func (s *Orgs) GetOrg(ctx context.Context, orgID string) (models.Org, error) {
	return s.st.GetOrg(ctx, orgID)
}

// OrgInput patches the org; nil fields are left alone.
type OrgInput struct {
	CORSOrigins *[]string `json:"cors_origins"`
	// RetentionDays is how long events, deliveries and attempts are kept.
	RetentionDays *int `json:"retention_days"`
}

// maxRetentionDays bounds retention to ten years.
const maxRetentionDays = 3650

// UpdateOrg applies a patch: the widget's CORS origins, the retention.
func (s *Orgs) UpdateOrg(ctx context.Context, orgID string, in OrgInput) (models.Org, error) {
	if in.RetentionDays != nil {
		if *in.RetentionDays < 1 || *in.RetentionDays > maxRetentionDays {
			return models.Org{}, models.Invalid("retention_days", "must be from 1 to 3650")
		}
	}
	if in.CORSOrigins != nil {
		origins, err := validOrigins(*in.CORSOrigins)
		if err != nil {
			return models.Org{}, err
		}
		if err := s.st.SetOrgCORSOrigins(ctx, orgID, origins); err != nil {
			return models.Org{}, err
		}
	}
	if in.RetentionDays != nil {
		if err := s.st.SetOrgRetention(ctx, orgID, *in.RetentionDays); err != nil {
			return models.Org{}, err
		}
	}
	return s.st.GetOrg(ctx, orgID)
}

// validOrigins accepts "*" or browser origins: scheme://host[:port] with
// http or https and nothing else (no path, not even "/", no query, no
// credentials), because the browser's Origin header is compared verbatim.
func validOrigins(in []string) ([]string, error) {
	if len(in) > maxCORSOrigins {
		return nil, models.Invalid("cors_origins", "must list at most 50 origins")
	}
	out := []string{}
	for _, o := range in {
		if o != "*" && !validOrigin(o) {
			return nil, models.Invalid("cors_origins", quote(o)+` is not "*" or an origin such as https://app.example.com`)
		}
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out, nil
}

func validOrigin(o string) bool {
	if len(o) > 300 {
		return false
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return false
	}
	if u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || strings.HasSuffix(o, "?") || strings.HasSuffix(o, "#") {
		return false
	}
	if u.Port() == "" && strings.HasSuffix(u.Host, ":") {
		return false
	}
	// Browsers send lowercase scheme and host.
	return o == strings.ToLower(u.Scheme)+"://"+strings.ToLower(u.Host)
}
