package models

import (
	"sort"
	"time"
)

// Click reward verification (seed 001): reasons an app's answer or the
// overall decision carries. An app that rejects is the only thing that
// refuses a reward; everything that is not an answer fails open, as the
// doc says ("a timeout counts as verified").
const (
	ClickReasonVerified      = "verified"       // a 2xx without "verified": false
	ClickReasonRejected      = "rejected"       // a 2xx with "verified": false
	ClickReasonTimeout       = "timeout"        // no answer within the app's timeout
	ClickReasonNetworkError  = "network_error"  // no answer at all
	ClickReasonRefused       = "refused"        // the SSRF guard refused the destination
	ClickReasonRedirect      = "redirect"       // a 3xx: never followed
	ClickReasonSecret        = "secret_error"   // the app's secret could not be opened
	ClickReasonInternalError = "internal_error" // the attempt did not complete
	ClickReasonNoApps        = "no_apps"        // no enabled app asks for the action
	// An HTTP failure is "http_<status>", e.g. http_503.
)

// Click verification app statuses.
const (
	ClickAppPending = "pending"
	ClickAppDone    = "done"
)

// ClickVerification is one click reward verification: what the caller
// asked, and the decision it was answered (Verified and Reason, set once,
// when DecidedAt is set; never changed by a later answer).
type ClickVerification struct {
	ID    string `gorm:"primaryKey;size:40"`
	OrgID string `gorm:"size:40;not null;index"`
	// Variables are the request's variables (email, site_id, ...), which
	// the apps' payloads are rendered on. They never hold a secret of the
	// platform; they stay out of Temporal history.
	Variables   map[string]any `gorm:"type:text;serializer:json;not null"`
	Verified    bool           `gorm:"not null"`
	Reason      string         `gorm:"size:40;not null"`
	CreatedAt   time.Time      `gorm:"not null"`
	DecidedAt   *time.Time
	CompletedAt *time.Time // every asked app's outcome is recorded
}

// ClickVerificationApp is one app's attempt in a verification. A pending
// row is an app asked that has not answered yet; it counts as a timeout
// in a decision made before it answers.
type ClickVerificationApp struct {
	ID             uint   `gorm:"primaryKey"`
	VerificationID string `gorm:"size:40;not null;uniqueIndex:idx_click_app,priority:1"`
	AppID          string `gorm:"size:40;not null;uniqueIndex:idx_click_app,priority:2"`
	Status         string `gorm:"size:20;not null"`
	Verified       bool   `gorm:"not null"`
	Reason         string `gorm:"size:40;not null"`
	URL            string `gorm:"size:2048;not null"`
	// RequestHeaders are redacted like every attempt's.
	RequestHeaders map[string]string `gorm:"type:text;serializer:json"`
	StatusCode     int               `gorm:"not null"`
	ResponseBody   string            `gorm:"type:text"`
	DurationMicros int64             `gorm:"not null"`
	Error          string            `gorm:"size:1000"`
	// Late marks an outcome recorded after the decision was answered: it
	// did not count.
	Late        bool      `gorm:"not null"`
	CreatedAt   time.Time `gorm:"not null"`
	CompletedAt *time.Time
}

// DecideClick is the overall decision from the apps' outcomes; a pending
// app counts as a timeout. Rejected if any app rejected; otherwise
// verified, with reason "verified" when every app answered yes, "no_apps"
// when none was asked, else the first fail-open reason in app-ID order.
func DecideClick(apps []ClickVerificationApp) (verified bool, reason string) {
	if len(apps) == 0 {
		return true, ClickReasonNoApps
	}
	sorted := append([]ClickVerificationApp(nil), apps...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].AppID < sorted[j].AppID })
	reason = ClickReasonVerified
	for _, a := range sorted {
		r := a.Reason
		if a.Status == ClickAppPending {
			r = ClickReasonTimeout
		}
		if a.Status != ClickAppPending && !a.Verified {
			return false, ClickReasonRejected
		}
		if reason == ClickReasonVerified && r != ClickReasonVerified {
			reason = r
		}
	}
	return true, reason
}
