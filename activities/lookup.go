package activities

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound"
	"github.com/switchboardhq/switchboard/outbound/signing"
)

// MaxLookupReply is the largest customer-lookup answer accepted; a larger
// body is an invalid reply, never silently cut.
const MaxLookupReply = 64 << 10

// Longest accepted name, email and plan: the sizes of their columns.
const (
	maxNameLen  = 500
	maxEmailLen = 500
	maxPlanLen  = 200
)

// Lookup makes one attempt of a customer lookup: load the lookup, its
// conversation and the org's Backend Connect configuration, POST the signed
// visitor ID, persist the attempt and, on success or on the final attempt,
// the lookup's outcome and the profile.
//
// A non-2xx answer or a network failure returns a non-retryable
// ApplicationError of type contracts.ErrTypeHTTP, an unacceptable 2xx
// answer one of type contracts.ErrTypeInvalidReply: the workflow decides
// whether to try again. A configuration that is missing or disabled, or a
// conversation without a visitor ID, marks the lookup skipped and returns a
// non-retryable error of type contracts.ErrTypeEndpointUnavailable.
// Database errors are returned as plain errors so that Temporal retries the
// activity.
func (a *Activities) Lookup(ctx context.Context, in contracts.LookupActivityInput) (contracts.LookupActivityResult, error) {
	l, err := a.Store.LookupByID(ctx, in.LookupID)
	if err != nil {
		return contracts.LookupActivityResult{}, fmt.Errorf("load lookup: %w", err)
	}
	conv, err := a.Store.GetConversation(ctx, l.OrgID, l.ConversationID)
	if err != nil {
		return contracts.LookupActivityResult{}, fmt.Errorf("load conversation: %w", err)
	}
	cfg, err := a.Store.GetBackendConnect(ctx, l.OrgID)
	var skip string
	switch {
	case errors.Is(err, models.ErrNotFound):
		skip = "Backend Connect is not configured"
	case err != nil:
		return contracts.LookupActivityResult{}, fmt.Errorf("load Backend Connect configuration: %w", err)
	case !cfg.Enabled || cfg.URL == "":
		skip = "Backend Connect is disabled"
	case conv.VisitorID == "":
		skip = "the conversation has no visitor ID"
	}
	if skip != "" {
		if err := a.finishLookup(ctx, l, nil, models.LookupSkipped, skip); err != nil {
			return contracts.LookupActivityResult{}, err
		}
		return contracts.LookupActivityResult{}, temporal.NewNonRetryableApplicationError(skip, contracts.ErrTypeEndpointUnavailable, nil)
	}

	field := orDefault(cfg.UserTokenField, models.DefaultUserTokenField)
	body, err := json.Marshal(map[string]string{field: conv.VisitorID})
	if err != nil {
		return contracts.LookupActivityResult{}, err
	}
	secret, err := cfg.Secret.Reveal()
	if err != nil {
		return contracts.LookupActivityResult{}, fmt.Errorf("open the Backend Connect secret: %w", err)
	}
	// Backend Connect signs the raw body with hex HMAC-SHA256 (seed 000)
	// and sends no Idempotency-Key.
	o := a.Outbound.Do(ctx, outbound.Request{
		Target: outbound.Target{
			URL: cfg.URL, SigningScheme: signing.HexHMAC, Secrets: []string{secret},
			SignatureHeader: orDefault(cfg.SignatureHeader, models.DefaultBackendSignatureHeader),
		},
		Kind: "lookup", Body: body, Timeout: cmp.Or(in.Timeout, a.Settings.LookupTimeout), ResponseLimit: MaxLookupReply,
	})

	var (
		profile  *models.CustomerProfile
		errType  string
		failText string
	)
	switch {
	case !o.OK():
		errType, failText = contracts.ErrTypeHTTP, o.Error
	case o.Truncated:
		errType, failText = contracts.ErrTypeInvalidReply, fmt.Sprintf("invalid reply: body is larger than %d KiB", MaxLookupReply>>10)
	default:
		p, err := parseLookupReply(o.Body)
		if err != nil {
			errType, failText = contracts.ErrTypeInvalidReply, "invalid reply: "+err.Error()
		} else {
			profile = &p
		}
	}

	status := models.LookupOK
	switch {
	case profile == nil && in.Final:
		status = models.LookupFailed
	case profile == nil:
		status = models.LookupRetrying
	}
	rec := o.Attempt(l.ID, in.Attempt, a.Now(), a.Settings.ResponseBodyLimit)
	rec.Error = failText
	if profile != nil {
		now := a.Now()
		profile.FetchedAt = &now
	}
	err = persistSent(ctx, func() error {
		rec.ID = 0 // a rolled-back insert may have set it
		if err := a.Store.RecordLookupAttempt(ctx, &rec, status); err != nil {
			return err
		}
		switch {
		case profile != nil:
			return a.finishLookup(ctx, l, profile, models.LookupOK, "")
		case in.Final:
			return a.finishLookup(ctx, l, nil, models.LookupFailed, failText)
		}
		return nil
	})
	if err != nil {
		return contracts.LookupActivityResult{}, err
	}
	if profile == nil {
		return contracts.LookupActivityResult{}, temporal.NewNonRetryableApplicationError(failText, errType, nil)
	}
	return contracts.LookupActivityResult{StatusCode: o.Status, DurationMicros: rec.DurationMicros}, nil
}

// persistSent runs store, the persistence of a request already sent,
// retrying database errors a few times in place. If it still fails, the
// error is non-retryable: a Temporal retry of the activity would send the
// request again. The Lookup workflow treats it as an attempt that did not
// complete (the retry follows, or FailLookup records the final failure).
func persistSent(ctx context.Context, store func() error) error {
	wait := 50 * time.Millisecond
	for try := 1; ; try++ {
		if store() == nil {
			return nil
		}
		if try == recordTries || ctx.Err() != nil {
			return temporal.NewNonRetryableApplicationError("lookup attempt was sent but could not be stored", contracts.ErrTypeUnrecorded, nil)
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait *= 4
	}
}

// FailLookup records a lookup as failed when its final attempt could not
// record itself (e.g. the activity timed out or the worker was lost), so the
// operator's panel never stays pending.
func (a *Activities) FailLookup(ctx context.Context, in contracts.FailLookupActivityInput) error {
	l, err := a.Store.LookupByID(ctx, in.LookupID)
	if err != nil {
		return fmt.Errorf("load lookup: %w", err)
	}
	return a.finishLookup(ctx, l, nil, models.LookupFailed, in.Reason)
}

// finishLookup stores the outcome and tells the API, which pushes the
// profile to operators.
func (a *Activities) finishLookup(ctx context.Context, l models.Lookup, p *models.CustomerProfile, status models.LookupStatus, errText string) error {
	if err := a.Store.FinishLookup(ctx, l.ID, p, status, errText); err != nil {
		return fmt.Errorf("finish lookup: %w", err)
	}
	if a.OnLookupDone != nil {
		a.OnLookupDone(l.OrgID, l.ConversationID)
	}
	return nil
}

// parseLookupReply validates a customer backend's answer: a JSON object
// whose optional name, email and plan are strings (or null) and whose
// optional fields is an object (or null) of scalar values (string, number,
// bool, null). Unknown top-level keys are ignored. Numbers keep their exact
// literal. The error message says what is wrong, for the attempt row.
func parseLookupReply(body []byte) (models.CustomerProfile, error) {
	var p models.CustomerProfile
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return p, errors.New("empty body, want a JSON object")
	}
	if trimmed[0] != '{' {
		return p, errors.New("body is not a JSON object")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return p, errors.New("body is not a JSON object")
	}
	for _, f := range []struct {
		key string
		max int
		dst *string
	}{{"name", maxNameLen, &p.Name}, {"email", maxEmailLen, &p.Email}, {"plan", maxPlanLen, &p.Plan}} {
		raw, ok := top[f.key]
		if !ok || isNull(raw) {
			continue
		}
		if err := json.Unmarshal(raw, f.dst); err != nil {
			return models.CustomerProfile{}, fmt.Errorf("%q must be a string", f.key)
		}
		if utf8.RuneCountInString(*f.dst) > f.max {
			return models.CustomerProfile{}, fmt.Errorf("%q is longer than %d characters", f.key, f.max)
		}
		if strings.ContainsRune(*f.dst, 0) {
			return models.CustomerProfile{}, fmt.Errorf("%q contains a NUL character", f.key)
		}
	}
	raw, ok := top["fields"]
	if !ok || isNull(raw) {
		return p, nil
	}
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return models.CustomerProfile{}, errors.New(`"fields" must be an object`)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return models.CustomerProfile{}, errors.New(`"fields" must be an object`)
	}
	p.Fields = make(map[string]any, len(fields))
	for k, v := range fields {
		var val any
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(&val); err != nil {
			return models.CustomerProfile{}, fmt.Errorf("fields.%s is not valid JSON", k)
		}
		switch val.(type) {
		case string, json.Number, bool, nil:
			p.Fields[k] = val
		default:
			return models.CustomerProfile{}, fmt.Errorf("fields.%s must be a string, number, boolean or null", k)
		}
	}
	return p, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// orDefault returns v, or fallback when v is empty.
func orDefault(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}
