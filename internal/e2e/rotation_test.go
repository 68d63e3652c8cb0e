package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/models"
)

type secretResp struct {
	Secret                  string `json:"secret"`
	SigningScheme           string `json:"signing_scheme"`
	PreviousSecretExpiresAt string `json:"previous_secret_expires_at"`
}

// storedSecret reads the secret column as PostgreSQL holds it.
func (p *platform) storedSecret(id string) string {
	p.T().Helper()
	conn, err := pgx.Connect(p.T().Context(), p.App.Cfg.DatabaseURL)
	if err != nil {
		p.T().Fatal(err)
	}
	defer conn.Close(p.T().Context())
	var v string
	if err := conn.QueryRow(p.T().Context(), "SELECT secret FROM webhooks WHERE id = $1", id).Scan(&v); err != nil {
		p.T().Fatal(err)
	}
	return v
}

// TestRotationOverlapSignsWithBothSecrets: after a Standard Webhooks
// rotation with an overlap, one delivery verifies for a receiver that still
// holds the old secret and for one that already has the new secret (the
// receiver's HMAC code is its own, not package signing).
func TestRotationOverlapSignsWithBothSecrets(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, "standard-webhooks", "")
	w := p.createWebhook(r, map[string]any{"signing_scheme": "standard-webhooks"})
	oldSecret := w.Secret

	// Sealed at rest by default, and never in list or get answers.
	if raw := p.storedSecret(w.ID); strings.Contains(raw, oldSecret) || !models.IsSealed(raw) {
		t.Fatalf("secret at rest: %q", raw)
	}
	var list json.RawMessage
	p.call("GET", "/v1/webhooks", nil, &list)
	if bytes.Contains(list, []byte(strings.TrimPrefix(oldSecret, "whsec_"))) {
		t.Fatal("the list shows the secret")
	}

	var rot secretResp
	if code := p.call("POST", "/v1/webhooks/"+w.ID+"/secret/rotate", map[string]any{"overlap": "24h"}, &rot); code != http.StatusOK ||
		!strings.HasPrefix(rot.Secret, "whsec_") || rot.Secret == oldSecret || rot.PreviousSecretExpiresAt == "" {
		t.Fatalf("rotate with overlap: %d %+v", code, rot)
	}
	if raw := p.storedSecret(w.ID); strings.Contains(raw, rot.Secret) || !models.IsSealed(raw) {
		t.Fatalf("rotated secret at rest: %q", raw)
	}
	p.sendEvent(contactEvent)
	got := r.next(t)
	if sigs := strings.Fields(got.Header.Get("webhook-signature")); len(sigs) != 2 {
		t.Fatalf("webhook-signature during the overlap: %q", got.Header.Get("webhook-signature"))
	}
	if !verify("standard-webhooks", "", oldSecret, got.Header, got.Body) {
		t.Fatal("a receiver with the old secret cannot verify during the overlap")
	}
	if !verify("standard-webhooks", "", rot.Secret, got.Header, got.Body) {
		t.Fatal("a receiver with the new secret cannot verify")
	}
	var shown secretResp
	if p.call("GET", "/v1/webhooks/"+w.ID+"/secret", nil, &shown); shown.Secret != rot.Secret || shown.PreviousSecretExpiresAt == "" {
		t.Fatalf("secret route during the overlap: %+v", shown)
	}

	// A rotation without an overlap ends the old secret at once.
	var now secretResp
	if code := p.call("POST", "/v1/webhooks/"+w.ID+"/secret/rotate", nil, &now); code != http.StatusOK || now.PreviousSecretExpiresAt != "" {
		t.Fatalf("immediate rotate: %d %+v", code, now)
	}
	p.sendEvent(contactEvent)
	got = r.next(t)
	if verify("standard-webhooks", "", rot.Secret, got.Header, got.Body) || !verify("standard-webhooks", "", now.Secret, got.Header, got.Body) {
		t.Fatalf("after an immediate rotation: %q", got.Header.Get("webhook-signature"))
	}
}

// TestRotationInputs: the hex schemes refuse an overlap (their receivers
// compare one value), the overlap is bounded, and bad input is a 400.
func TestRotationInputs(t *testing.T) {
	p := newPlatform(t)
	hex := p.createWebhook(newReceiver(t, "hmac-sha256-hex", "X-Sig"), map[string]any{"signature_header": "X-Sig"})
	sw := p.createWebhook(newReceiver(t, "standard-webhooks", ""), map[string]any{"signing_scheme": "standard-webhooks"})
	for _, tc := range []struct {
		id   string
		body any
	}{
		{hex.ID, map[string]any{"overlap": "1h"}},
		{sw.ID, map[string]any{"overlap": "169h"}},
		{sw.ID, map[string]any{"overlap": "-1h"}},
		{sw.ID, map[string]any{"overlap": "soon"}},
		{sw.ID, map[string]any{"overlap": 60}},
		{sw.ID, map[string]any{"overlap": "1h", "extra": true}},
		{sw.ID, "[1]"},
	} {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if code := p.call("POST", "/v1/webhooks/"+tc.id+"/secret/rotate", tc.body, &e); code != http.StatusBadRequest || e.Error.Code == "" {
			t.Fatalf("%v: %d %+v", tc.body, code, e)
		}
	}
	var ok secretResp
	if code := p.call("POST", "/v1/webhooks/"+hex.ID+"/secret/rotate", map[string]any{"overlap": "0s"}, &ok); code != http.StatusOK || ok.Secret == hex.Secret {
		t.Fatalf("hex immediate rotation: %d", code)
	}
	if code := p.call("POST", "/v1/webhooks/wh_missing/secret/rotate", nil, nil); code != http.StatusNotFound {
		t.Fatalf("missing endpoint: %d", code)
	}
}

// TestPatchRacingRotationKeepsTheNewSecret: PATCHes and rotations of one
// endpoint run concurrently; after each pair the stored secret is the one
// the rotation returned, never the one a PATCH read before it.
func TestPatchRacingRotationKeepsTheNewSecret(t *testing.T) {
	p := newPlatform(t)
	w := p.createWebhook(newReceiver(t, "hmac-sha256-hex", "X-Sig"), nil)
	for i := range 20 {
		var (
			wg  sync.WaitGroup
			rot secretResp
			rc  int
		)
		wg.Go(func() { rc = p.call("POST", "/v1/webhooks/"+w.ID+"/secret/rotate", nil, &rot) })
		wg.Go(func() {
			if code := p.call("PATCH", "/v1/webhooks/"+w.ID, map[string]any{"description": "edit"}, nil); code != http.StatusOK {
				t.Errorf("patch: %d", code)
			}
		})
		wg.Wait()
		var shown secretResp
		p.call("GET", "/v1/webhooks/"+w.ID+"/secret", nil, &shown)
		if rc != http.StatusOK || shown.Secret != rot.Secret {
			t.Fatalf("round %d: rotation %d; stored secret is not the rotated one", i, rc)
		}
	}
}
