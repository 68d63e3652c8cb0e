package service

import (
	"context"
	"errors"
	"testing"

	"github.com/switchboardhq/switchboard/models"
)

func clickApp(enabled bool, criteria string) AppInput {
	name, url := "app", "http://127.0.0.1:1/verify"
	acts := map[string]AppActionInput{"click_reward_verification": {Enabled: &enabled, Criteria: &criteria}}
	return AppInput{Name: &name, URL: &url, Actions: &acts}
}

// With no app to ask, the click is verified (no_apps) without any
// workflow, and the decision is available to later actions; another
// org's verification is not found.
func TestVerifyClickWithoutAppsIsVerified(t *testing.T) {
	ctx := context.Background()
	svc, orgID := newTestService(t, failingTemporal{})
	// Disabled action, and criteria false: neither is asked, so the
	// failing Temporal client is never called.
	if _, err := svc.Apps.CreateApp(ctx, orgID, clickApp(false, "")); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Apps.CreateApp(ctx, orgID, clickApp(true, `{% if site_id == "9" %}true{% endif %}`)); err != nil {
		t.Fatal(err)
	}
	d, err := svc.AppSync.VerifyClick(ctx, orgID, map[string]any{"email": "a@shop.example", "site_id": "1"})
	if err != nil || !d.Verified || d.Reason != models.ClickReasonNoApps || len(d.Apps) != 0 {
		t.Fatalf("decision %+v, %v", d, err)
	}
	if ok, err := svc.AppSync.VerificationDecision(ctx, orgID, d.VerificationID); err != nil || !ok {
		t.Fatalf("VerificationDecision: %v %v", ok, err)
	}
	other, err := svc.Orgs.CreateOrg(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AppSync.VerificationDecision(ctx, other.Org.ID, d.VerificationID); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("other org: %v", err)
	}
	if _, err := svc.AppSync.VerificationDecision(ctx, orgID, "cvf_nope"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
}

// When the workflow cannot start, the caller still gets the fail-open
// decision at once, and the app's row says it was not asked.
func TestVerifyClickThatCannotStartFailsOpen(t *testing.T) {
	ctx := context.Background()
	svc, orgID := newTestService(t, failingTemporal{})
	app, err := svc.Apps.CreateApp(ctx, orgID, clickApp(true, `{% if site_id == "1" %}true{% endif %}`))
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.AppSync.VerifyClick(ctx, orgID, map[string]any{"email": "a@shop.example", "site_id": "1"})
	if err != nil || !d.Verified || d.Reason != models.ClickReasonInternalError || len(d.Apps) != 1 || d.Apps[0].AppID != app.ID {
		t.Fatalf("decision %+v, %v", d, err)
	}
	v, rows, err := svc.AppSync.GetVerification(ctx, orgID, d.VerificationID)
	if err != nil || v.CompletedAt == nil || len(rows) != 1 || rows[0].Status != models.ClickAppDone || rows[0].Error == "" {
		t.Fatalf("stored %+v %+v %v", v, rows, err)
	}
}

func TestVerifyClickInputIsChecked(t *testing.T) {
	ctx := context.Background()
	svc, orgID := newTestService(t, failingTemporal{})
	for _, vars := range []map[string]any{{}, {"email": ""}, {"email": 3.0}, {"email": "a@b.example", "site_id": map[string]any{}}} {
		var ve *models.ValidationError
		if _, err := svc.AppSync.VerifyClick(ctx, orgID, vars); !errors.As(err, &ve) {
			t.Errorf("%v: %v", vars, err)
		}
	}
}
