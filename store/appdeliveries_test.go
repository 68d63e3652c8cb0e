package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// TestAppDeliveryConformance: Custom App actions are events with
// deliveries that point at an app; on both backends the apps that get an
// action are selected, the rows round-trip with app_id, the log filters by
// it, attempts keep their missing variables and the sweeper sees stranded
// app deliveries.
func TestAppDeliveryConformance(t *testing.T) {
	conform(t, "app deliveries", func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		org, w := seedOrg(t, st)
		a := seedApp(t, st, org.ID, "on")    // referral_create on, send_reward off
		off := seedApp(t, st, org.ID, "off") // disabled app
		off.Enabled = false
		if err := st.UpdateAppColumns(ctx, &off, "enabled"); err != nil {
			t.Fatal(err)
		}
		otherOrg, _ := seedOrg(t, st)
		seedApp(t, st, otherOrg.ID, "theirs")

		apps, err := st.AppsWithAction(ctx, org.ID, "referral_create")
		if err != nil || len(apps) != 1 || apps[0].ID != a.ID {
			t.Fatalf("apps with referral_create: %v %v", apps, err)
		}
		if apps, err := st.AppsWithAction(ctx, org.ID, "send_reward"); err != nil || len(apps) != 0 {
			t.Fatalf("a disabled action selected: %v %v", apps, err)
		}

		ev := newEvent(org.ID, "", store.Now().Add(-3*time.Minute))
		ev.Type, ev.Data = "action.referral_create", []byte(`{"advocate_email":"a@example.com"}`)
		d := delivery(ev, "")
		d.AppID = a.ID
		wd := delivery(ev, w.ID)
		if _, err := st.CreateEvent(ctx, ev, []models.Delivery{d, wd}, time.Hour); err != nil {
			t.Fatal(err)
		}
		got, err := st.DeliveryByID(ctx, d.ID)
		if err != nil || got.AppID != a.ID || got.WebhookID != "" || got.EventType != "action.referral_create" {
			t.Fatalf("round trip: %+v %v", got, err)
		}
		page, _, err := st.ListDeliveries(ctx, store.DeliveryFilter{OrgID: org.ID, AppID: a.ID, Limit: 10})
		if err != nil || len(page) != 1 || page[0].ID != d.ID {
			t.Fatalf("filter by app: %v %v", page, err)
		}
		if page, _, err := st.ListDeliveries(ctx, store.DeliveryFilter{OrgID: otherOrg.ID, AppID: a.ID, Limit: 10}); err != nil || len(page) != 0 {
			t.Fatalf("another org filtering by the app: %v %v", page, err)
		}
		stranded, err := st.Undispatched(ctx, store.Now(), 10)
		if err != nil || !slices.ContainsFunc(stranded, func(x models.Delivery) bool { return x.ID == d.ID && x.AppID == a.ID }) {
			t.Fatalf("stranded app delivery not listed: %v %v", stranded, err)
		}

		// The attempt keeps the missing variables; re-recording the same
		// attempt number overwrites them.
		rec := &models.Attempt{ParentID: d.ID, Number: 1, URL: "https://app.example/hook", ResponseStatus: 500,
			MissingVariables: []string{"friend_email", "referral.status"}, CreatedAt: store.Now()}
		if err := st.RecordAttempt(ctx, rec, store.DeliveryUpdate{Status: models.StatusRetrying, LastStatusCode: 500}); err != nil {
			t.Fatal(err)
		}
		rec2 := &models.Attempt{ParentID: d.ID, Number: 1, URL: "https://app.example/hook", ResponseStatus: 200,
			MissingVariables: []string{"friend_email"}, CreatedAt: store.Now()}
		if err := st.RecordAttempt(ctx, rec2, store.DeliveryUpdate{Status: models.StatusSucceeded, LastStatusCode: 200, Completed: true}); err != nil {
			t.Fatal(err)
		}
		as, err := st.Attempts(ctx, d.ID)
		if err != nil || len(as) != 1 || as[0].ResponseStatus != 200 || !slices.Equal(as[0].MissingVariables, []string{"friend_email"}) {
			t.Fatalf("attempts: %+v %v", as, err)
		}
	})
}

// TestAppDeliveryMigration: a database created before 0006 (tables made
// from models without app_id and missing_variables) gains both columns,
// on SQLite and PostgreSQL.
func TestAppDeliveryMigration(t *testing.T) {
	for name, open := range map[string]func() (*store.Store, error){
		"sqlite":   func() (*store.Store, error) { return store.Open("", t.TempDir()+"/old.db") },
		"postgres": func() (*store.Store, error) { return store.Open(testenv.Postgres(t), "") },
	} {
		t.Run(name, func(t *testing.T) {
			st, err := open()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			if err := store.MigrateBefore(st, "0006_app_deliveries"); err != nil {
				t.Fatal(err)
			}
			m := store.GormDB(st).Migrator()
			if err := m.DropIndex(&models.Delivery{}, "AppID"); err != nil {
				t.Fatalf("shape the old deliveries table: %v", err)
			}
			if err := m.DropColumn(&models.Delivery{}, "AppID"); err != nil {
				t.Fatalf("shape the old deliveries table: %v", err)
			}
			if err := m.DropColumn(&models.Attempt{}, "MissingVariables"); err != nil {
				t.Fatalf("shape the old attempts table: %v", err)
			}
			if err := st.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			if !m.HasColumn(&models.Delivery{}, "AppID") || !m.HasIndex(&models.Delivery{}, "AppID") || !m.HasColumn(&models.Attempt{}, "MissingVariables") {
				t.Fatal("columns or index missing after migrating")
			}
			if _, _, err := st.ListDeliveries(t.Context(), store.DeliveryFilter{OrgID: "o", AppID: "app_1", Limit: 1}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
