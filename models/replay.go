package models

import "time"

// Replay targets: the endpoints a delivery went to, or those subscribed now.
const (
	ReplayTargetOriginal = "original"
	ReplayTargetCurrent  = "current"
)

// Bulk replay states.
const (
	ReplayRunning   = "running"
	ReplayPaused    = "paused"
	ReplayCancelled = "cancelled"
	ReplayCompleted = "completed"
)

// Replay is a bulk replay: the filter it was asked for, and its progress
// through the matching deliveries (those created before it, in creation
// order; Cursor is the last one replayed).
type Replay struct {
	ID        string         `gorm:"primaryKey;size:40"`
	OrgID     string         `gorm:"size:40;not null;index"`
	Status    DeliveryStatus `gorm:"size:16;not null"`
	Since     *time.Time
	Until     *time.Time
	WebhookID string `gorm:"size:40;not null"`
	EventType string `gorm:"size:100;not null"`
	Target    string `gorm:"size:16;not null"`
	State     string `gorm:"size:16;not null"`
	// Total is how many deliveries matched when the replay was created;
	// Done how many were replayed, Skipped how many had no endpoint to
	// replay to (deleted, or nothing subscribed now).
	Total       int `gorm:"not null"`
	Done        int `gorm:"not null"`
	Skipped     int `gorm:"not null"`
	CursorAt    *time.Time
	CursorID    string `gorm:"size:40;not null"`
	CompletedAt *time.Time
	CreatedAt   time.Time `gorm:"not null"`
	UpdatedAt   time.Time `gorm:"not null"`
}
