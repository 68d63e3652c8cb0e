package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/models"
)

// The handoff gives an app activity the verification and its app only
// once the rows are stored, passes on the store's error, and knows
// nothing of a verification or app it was not given.
func TestClickPreparedWaitsForTheRows(t *testing.T) {
	var p clickPrepared
	v := models.ClickVerification{ID: "cvf_1", OrgID: "org_1"}
	cp := p.add(v, []models.App{{ID: "app_1", Name: "one"}})

	for _, ids := range [][2]string{{"cvf_2", "app_1"}, {"cvf_1", "app_2"}} {
		if _, _, ok, err := p.lookup(t.Context(), ids[0], ids[1]); ok || err != nil {
			t.Fatalf("%v: ok %v, %v", ids, ok, err)
		}
	}
	short, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, _, ok, err := p.lookup(short, "cvf_1", "app_1"); !ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("before the rows are stored: ok %v, %v", ok, err)
	}
	go cp.done(nil)
	gotV, app, ok, err := p.lookup(t.Context(), "cvf_1", "app_1")
	if !ok || err != nil || gotV.ID != "cvf_1" || app.Name != "one" {
		t.Fatalf("after: %+v %+v %v %v", gotV, app, ok, err)
	}
	p.remove("cvf_1")
	if _, _, ok, _ := p.lookup(t.Context(), "cvf_1", "app_1"); ok {
		t.Fatal("removed, still handed over")
	}

	failed := p.add(models.ClickVerification{ID: "cvf_3"}, []models.App{{ID: "app_1"}})
	failed.done(errors.New("insert failed"))
	if _, _, ok, err := p.lookup(t.Context(), "cvf_3", "app_1"); !ok || err == nil {
		t.Fatalf("failed insert: ok %v, %v", ok, err)
	}
}
