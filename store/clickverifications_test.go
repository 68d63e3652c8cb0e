package store_test

import (
	"errors"
	"testing"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

func TestClickVerificationStoreConformance(t *testing.T) {
	conform(t, "decided once, late answers marked, first outcome kept", func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		org, _ := seedOrg(t, st)
		v := models.ClickVerification{ID: models.NewID("cvf"), OrgID: org.ID, CreatedAt: store.Now(),
			Variables: map[string]any{"email": "a@shop.example", "referral": map[string]any{"status": "ok"}}}
		pending := func(app string) models.ClickVerificationApp {
			return models.ClickVerificationApp{VerificationID: v.ID, AppID: app, Status: models.ClickAppPending,
				Verified: true, Reason: models.ClickReasonTimeout, CreatedAt: v.CreatedAt}
		}
		if err := st.CreateClickVerification(ctx, &v, []models.ClickVerificationApp{pending("app_a"), pending("app_b")}); err != nil {
			t.Fatal(err)
		}
		// app_a answers yes in time.
		if err := st.RecordClickApp(ctx, models.ClickVerificationApp{VerificationID: v.ID, AppID: "app_a", Verified: true,
			Reason: models.ClickReasonVerified, StatusCode: 200, RequestHeaders: map[string]string{"X-A": "b"}}); err != nil {
			t.Fatal(err)
		}
		// The deadline: app_b has not answered and counts as a timeout.
		got, apps, err := st.DecideClickVerification(ctx, v.ID)
		if err != nil || !got.Verified || got.Reason != models.ClickReasonTimeout || got.DecidedAt == nil || len(apps) != 2 {
			t.Fatalf("decision %+v %v", got, err)
		}
		// app_b rejects late: recorded, marked late, decision unchanged.
		if err := st.RecordClickApp(ctx, models.ClickVerificationApp{VerificationID: v.ID, AppID: "app_b", Verified: false,
			Reason: models.ClickReasonRejected, StatusCode: 200}); err != nil {
			t.Fatal(err)
		}
		// A second outcome for app_a (the workflow's bookkeeping) does not
		// overwrite the first.
		if err := st.RecordClickApp(ctx, models.ClickVerificationApp{VerificationID: v.ID, AppID: "app_a", Verified: false,
			Reason: models.ClickReasonRejected}); err != nil {
			t.Fatal(err)
		}
		again, _, err := st.DecideClickVerification(ctx, v.ID)
		if err != nil || !again.Verified || again.Reason != models.ClickReasonTimeout || !again.DecidedAt.Equal(*got.DecidedAt) {
			t.Fatalf("second decide changed the decision: %+v %v", again, err)
		}
		if err := st.CompleteClickVerification(ctx, v.ID); err != nil {
			t.Fatal(err)
		}
		stored, rows, err := st.GetClickVerification(ctx, org.ID, v.ID)
		if err != nil || stored.CompletedAt == nil || stored.Variables["email"] != "a@shop.example" || len(rows) != 2 {
			t.Fatalf("stored %+v %v", stored, err)
		}
		a, b := rows[0], rows[1]
		if a.AppID != "app_a" || a.Status != models.ClickAppDone || !a.Verified || a.Late || a.RequestHeaders["X-A"] != "b" || a.CompletedAt == nil {
			t.Fatalf("app_a %+v", a)
		}
		if b.AppID != "app_b" || b.Verified || b.Reason != models.ClickReasonRejected || !b.Late {
			t.Fatalf("app_b %+v", b)
		}
		if _, _, err := st.GetClickVerification(ctx, "org_other", v.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("other org: %v", err)
		}
		if _, _, err := st.DecideClickVerification(ctx, "cvf_nope"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}
	})
	conform(t, "the last outcome decides and completes in its transaction", func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		org, _ := seedOrg(t, st)
		v := models.ClickVerification{ID: models.NewID("cvf"), OrgID: org.ID, CreatedAt: store.Now(),
			Variables: map[string]any{"email": "a@shop.example"}}
		pending := func(app string) models.ClickVerificationApp {
			return models.ClickVerificationApp{VerificationID: v.ID, AppID: app, Status: models.ClickAppPending,
				Verified: true, Reason: models.ClickReasonTimeout, CreatedAt: v.CreatedAt}
		}
		if err := st.CreateClickVerification(ctx, &v, []models.ClickVerificationApp{pending("app_a"), pending("app_b")}); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := st.FinishedClickVerification(ctx, v.ID); err != nil || ok {
			t.Fatalf("finished before any outcome: %v %v", ok, err)
		}
		// app_b is still out: app_a's outcome does not decide.
		d, err := st.RecordClickAppAndDecide(ctx, models.ClickVerificationApp{VerificationID: v.ID, AppID: "app_a",
			Verified: true, Reason: models.ClickReasonVerified, StatusCode: 200})
		if err != nil || d != nil {
			t.Fatalf("first of two decided: %+v %v", d, err)
		}
		d, err = st.RecordClickAppAndDecide(ctx, models.ClickVerificationApp{VerificationID: v.ID, AppID: "app_b",
			Verified: false, Reason: models.ClickReasonRejected, StatusCode: 200})
		if err != nil || d == nil || d.Verification.Verified || d.Verification.Reason != models.ClickReasonRejected ||
			d.Verification.DecidedAt == nil || len(d.Apps) != 2 {
			t.Fatalf("last outcome: %+v %v", d, err)
		}
		// What was handed over is what is stored, complete, in time.
		stored, rows, err := st.GetClickVerification(ctx, org.ID, v.ID)
		if err != nil || stored.Verified || stored.Reason != models.ClickReasonRejected || stored.DecidedAt == nil ||
			stored.CompletedAt == nil || len(rows) != 2 || rows[0].Late || rows[1].Late || rows[1].Status != models.ClickAppDone {
			t.Fatalf("stored %+v %+v %v", stored, rows, err)
		}
		// A repeated outcome neither decides again nor changes anything.
		if d, err := st.RecordClickAppAndDecide(ctx, models.ClickVerificationApp{VerificationID: v.ID, AppID: "app_b",
			Verified: true, Reason: models.ClickReasonVerified}); err != nil || d != nil {
			t.Fatalf("repeat: %+v %v", d, err)
		}
		fin, ok, err := st.FinishedClickVerification(ctx, v.ID)
		if err != nil || !ok || fin.Verified || fin.Reason != models.ClickReasonRejected {
			t.Fatalf("finished: %+v %v %v", fin, ok, err)
		}
	})
	conform(t, "a decision made at the deadline is not remade by a later last outcome", func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		org, _ := seedOrg(t, st)
		v := models.ClickVerification{ID: models.NewID("cvf"), OrgID: org.ID, CreatedAt: store.Now(),
			Variables: map[string]any{"email": "a@shop.example"}}
		if err := st.CreateClickVerification(ctx, &v, []models.ClickVerificationApp{{VerificationID: v.ID, AppID: "app_a",
			Status: models.ClickAppPending, Verified: true, Reason: models.ClickReasonTimeout, CreatedAt: v.CreatedAt}}); err != nil {
			t.Fatal(err)
		}
		got, _, err := st.DecideClickVerification(ctx, v.ID)
		if err != nil || !got.Verified || got.Reason != models.ClickReasonTimeout {
			t.Fatalf("deadline decision %+v %v", got, err)
		}
		d, err := st.RecordClickAppAndDecide(ctx, models.ClickVerificationApp{VerificationID: v.ID, AppID: "app_a",
			Verified: false, Reason: models.ClickReasonRejected, StatusCode: 200})
		if err != nil || d != nil {
			t.Fatalf("late outcome decided: %+v %v", d, err)
		}
		fin, ok, err := st.FinishedClickVerification(ctx, v.ID)
		if err != nil || !ok || !fin.Verified || fin.Reason != models.ClickReasonTimeout {
			t.Fatalf("finished: %+v %v %v", fin, ok, err)
		}
		_, rows, err := st.GetClickVerification(ctx, org.ID, v.ID)
		if err != nil || len(rows) != 1 || !rows[0].Late || rows[0].Verified {
			t.Fatalf("late row %+v %v", rows, err)
		}
	})
}

func TestDecideClick(t *testing.T) {
	done := func(app string, ok bool, reason string) models.ClickVerificationApp {
		return models.ClickVerificationApp{AppID: app, Status: models.ClickAppDone, Verified: ok, Reason: reason}
	}
	for _, tc := range []struct {
		apps   []models.ClickVerificationApp
		ok     bool
		reason string
	}{
		{nil, true, models.ClickReasonNoApps},
		{[]models.ClickVerificationApp{done("a", true, "verified"), done("b", true, "verified")}, true, "verified"},
		{[]models.ClickVerificationApp{done("b", true, "http_503"), done("a", true, "verified")}, true, "http_503"},
		{[]models.ClickVerificationApp{{AppID: "a", Status: models.ClickAppPending}}, true, "timeout"},
		{[]models.ClickVerificationApp{done("a", true, "timeout"), done("b", false, "rejected")}, false, "rejected"},
	} {
		if ok, reason := models.DecideClick(tc.apps); ok != tc.ok || reason != tc.reason {
			t.Errorf("%+v: %v %q, want %v %q", tc.apps, ok, reason, tc.ok, tc.reason)
		}
	}
}
