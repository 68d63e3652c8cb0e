package contracts

import "time"

// BulkReplayWorkflow replays the deliveries a filter matched, page by
// page, paced (issue 10). Never rename: it is in history.
const BulkReplayWorkflow = "BulkReplay"

// BulkReplayWorkflowID is the workflow of a bulk replay.
func BulkReplayWorkflowID(replayID string) string { return "replay-" + replayID }

// Signals of a BulkReplay run; they carry no payload.
const (
	SignalPauseReplay  = "pause"
	SignalResumeReplay = "resume"
)

// Defaults of a bulk replay.
const (
	DefaultReplayPage = 100
	// DefaultReplayRate is deliveries started per second: a backlog must
	// not starve live traffic of workflow starts.
	DefaultReplayRate = 20
	// ReplayPagesPerRun bounds a run's history before continue-as-new.
	ReplayPagesPerRun = 50
)

// BulkReplayInput starts (or continues) a bulk replay. Progress lives in
// the database row, so a continued run needs only the ID.
type BulkReplayInput struct {
	ReplayID string
	PageSize int     // zero: DefaultReplayPage
	Rate     float64 // deliveries per second; zero: DefaultReplayRate
	Paused   bool    // carried across continue-as-new
}

// ReplayPageInput asks for the next page of a bulk replay (activity
// ReplayPage): its deliveries are created and started.
type ReplayPageInput struct {
	ReplayID string
	PageSize int
}

// ReplayPageResult is how many deliveries the page replayed and whether
// the replay has covered everything.
type ReplayPageResult struct {
	Replayed int
	Finished bool
	Duration time.Duration
}

// ReplayStateInput records a bulk replay's state (activity SetReplayState).
type ReplayStateInput struct {
	ReplayID string
	State    string
}
