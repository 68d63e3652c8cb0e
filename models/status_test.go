package models_test

import (
	"encoding/json"
	"testing"

	"github.com/switchboardhq/switchboard/models"
)

// The status values are in recorded Temporal histories (workflow results,
// activity arguments, search attributes), in database rows and in API
// answers: the typed constants must keep exactly these strings.
func TestStatusValuesAreTheStoredStrings(t *testing.T) {
	if got := models.JoinStatuses(models.DeliveryStatuses); got != "pending, retrying, succeeded, failed, cancelled or skipped" {
		t.Errorf("delivery statuses: %s", got)
	}
	if got := models.JoinStatuses(models.LookupStatuses); got != "pending, retrying, ok, failed or skipped" {
		t.Errorf("lookup statuses: %s", got)
	}
	if got := models.JoinStatuses(models.ProfileStatuses); got != "pending, ok, failed or skipped" {
		t.Errorf("profile statuses: %s", got)
	}
	for _, c := range []struct{ got, want string }{
		{string(models.StatusPending), "pending"}, {string(models.StatusRetrying), "retrying"},
		{string(models.StatusSucceeded), "succeeded"}, {string(models.StatusFailed), "failed"},
		{string(models.StatusCancelled), "cancelled"}, {string(models.StatusSkipped), "skipped"},
		{string(models.LookupPending), "pending"}, {string(models.LookupRetrying), "retrying"},
		{string(models.LookupOK), "ok"}, {string(models.LookupFailed), "failed"}, {string(models.LookupSkipped), "skipped"},
		{string(models.ProfilePending), "pending"}, {string(models.ProfileOK), "ok"},
		{string(models.ProfileFailed), "failed"}, {string(models.ProfileSkipped), "skipped"},
	} {
		if c.got != c.want {
			t.Errorf("status %q, want %q", c.got, c.want)
		}
	}
	b, err := json.Marshal(struct {
		D models.DeliveryStatus
		L models.LookupStatus
	}{models.StatusCancelled, models.LookupOK})
	if err != nil || string(b) != `{"D":"cancelled","L":"ok"}` {
		t.Fatalf("JSON form: %s %v", b, err)
	}
	var back struct{ D models.DeliveryStatus }
	if err := json.Unmarshal([]byte(`{"D":"retrying"}`), &back); err != nil || back.D != models.StatusRetrying {
		t.Fatalf("JSON decode: %+v %v", back, err)
	}
}

func TestStatusValid(t *testing.T) {
	for _, s := range models.DeliveryStatuses {
		if !s.Valid() {
			t.Errorf("delivery status %q not valid", s)
		}
	}
	for _, s := range []models.DeliveryStatus{"", "ok", "skip", "Succeeded", "succeeded ", "done"} {
		if s.Valid() {
			t.Errorf("delivery status %q accepted", s)
		}
	}
	for _, s := range models.LookupStatuses {
		if !s.Valid() {
			t.Errorf("lookup status %q not valid", s)
		}
	}
	for _, s := range []models.LookupStatus{"", "succeeded", "cancelled"} {
		if s.Valid() {
			t.Errorf("lookup status %q accepted", s)
		}
	}
	for _, s := range models.ProfileStatuses {
		if !s.Valid() {
			t.Errorf("profile status %q not valid", s)
		}
	}
	for _, s := range []models.ProfileStatus{"", "retrying", "succeeded"} {
		if s.Valid() {
			t.Errorf("profile status %q accepted", s)
		}
	}
}

// A finished lookup hands its status to the profile by name; a running one
// leaves the profile pending (there is no "retrying" profile).
func TestLookupStatusProfile(t *testing.T) {
	cases := map[models.LookupStatus]models.ProfileStatus{
		models.LookupPending:  models.ProfilePending,
		models.LookupRetrying: models.ProfilePending,
		models.LookupOK:       models.ProfileOK,
		models.LookupFailed:   models.ProfileFailed,
		models.LookupSkipped:  models.ProfileSkipped,
	}
	for l, want := range cases {
		if got := l.Profile(); got != want || !got.Valid() {
			t.Errorf("%s.Profile() = %q, want %q", l, got, want)
		}
	}
	if n := len(cases); n != len(models.LookupStatuses) {
		t.Fatalf("the table covers %d of %d lookup statuses", n, len(models.LookupStatuses))
	}
}
