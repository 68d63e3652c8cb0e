package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/live"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// conversationStore is what Conversations reads and writes.
type conversationStore interface {
	backendConnectReader
	GetCustomerProfile(ctx context.Context, orgID, conversationID string) (models.CustomerProfile, error)
	GetConversation(ctx context.Context, orgID, id string) (models.Conversation, error)
	CreateLookup(ctx context.Context, l *models.Lookup) error
	LookupByID(ctx context.Context, id string) (models.Lookup, error)
	ListLookups(ctx context.Context, orgID, conversationID string) ([]models.Lookup, error)
	Attempts(ctx context.Context, parentID string) ([]models.Attempt, error)
}

// Conversations owns the operator's view of a conversation: the customer
// card, its refresh and live updates, and the lookups behind it.
type Conversations struct {
	st      conversationStore
	lookups *lookupStarter
	history *historyReader
	hub     *live.Hub
	set     LookupSettings
}

// Refresh refusals (409).
var (
	ErrNoVisitorID = &models.ConflictError{Message: "the conversation has no visitor ID to look up"}
)

// GetCustomer returns the conversation's customer profile: what the
// customer's backend said, with the lookup status (pending, ok, failed or
// skipped), when it was fetched and the last error. A conversation that
// never had a lookup planned reads as skipped.
func (s *Conversations) GetCustomer(ctx context.Context, orgID, conversationID string) (models.CustomerProfile, error) {
	p, err := s.st.GetCustomerProfile(ctx, orgID, conversationID)
	if !errors.Is(err, models.ErrNotFound) {
		return p, err
	}
	conv, err := s.st.GetConversation(ctx, orgID, conversationID)
	if err != nil {
		return models.CustomerProfile{}, err
	}
	return models.CustomerProfile{
		ConversationID: conv.ID, OrgID: conv.OrgID, VisitorID: conv.VisitorID,
		Status: models.ProfileSkipped, UpdatedAt: conv.CreatedAt,
	}, nil
}

// RefreshResult is a refresh's outcome: the profile as stored after the
// lookup (its Status and Error say whether this lookup worked; on failure
// the last good customer data is kept) and the lookup itself.
type RefreshResult struct {
	Profile models.CustomerProfile
	Lookup  models.Lookup
}

// RefreshCustomer runs a customer lookup now, through the same Lookup
// workflow as the first message, and waits for its outcome.
//
// It is the one synchronous lookup, an operator's click, so it uses the
// lowest-latency Temporal pattern measured on this machine kind (workflow
// start to result, loopback endpoint answering at once):
//
//	start + Get, regular activity     26–29 ms
//	eager start, regular activity     21–27 ms
//	local activity, no eager start    12–16 ms
//	eager start + local activity       9–11 ms   <- this
//	update-with-start + local activity 16–17 ms
//
// Eager start (EnableEagerStart) makes the server hand the first workflow
// task back in the start response to the worker app.Start runs in this
// process with this same client, skipping the task-queue poll; the
// workflow's attempts are local activities, so the HTTP call runs inside
// that first task with no activity-task round trip. Both attempts and their
// timeouts are bounded by the workflow, and the wait here carries its own
// deadline as well, because one Get in thousands was seen to hang for the
// server's 20 s long poll.
func (s *Conversations) RefreshCustomer(ctx context.Context, orgID, conversationID string) (RefreshResult, error) {
	conv, err := s.st.GetConversation(ctx, orgID, conversationID)
	if err != nil {
		return RefreshResult{}, err
	}
	if conv.VisitorID == "" {
		return RefreshResult{}, ErrNoVisitorID
	}
	_, why, err := backendConnectActive(ctx, s.st, orgID)
	if err != nil {
		return RefreshResult{}, err
	}
	if why != "" {
		return RefreshResult{}, &models.ConflictError{Message: why}
	}
	l := models.Lookup{
		ID: models.NewID("lkp"), OrgID: orgID, ConversationID: conv.ID,
		Trigger: models.TriggerRefresh, Status: models.LookupPending, CreatedAt: store.Now(),
	}
	if err := s.st.CreateLookup(ctx, &l); err != nil {
		return RefreshResult{}, err
	}
	// Subscribe before anything can publish, so the outcome cannot slip by.
	changed, unsubscribe := s.hub.Subscribe(live.Profile(conv.ID))
	defer unsubscribe()
	// The operator's SSE stream shows "pending" at once.
	profileChanged(s.hub, conv.ID)

	// A disconnecting operator must not leave the lookup half-started.
	wctx, cancel := withDeadline(context.WithoutCancel(ctx), 2*(s.set.AttemptTimeout+10*time.Second))
	defer cancel()
	run, err := s.lookups.start(wctx, l)
	if err != nil {
		s.lookups.failUnstarted(ctx, l, err)
		return RefreshResult{}, fmt.Errorf("start lookup: %w", temporalErr(err))
	}
	done := make(chan error, 1)
	go func() {
		// Its own deadline, not wctx: returning early on the notification
		// must not cancel a result poll that the workflow is about to
		// answer (the server logs every cancelled poll as an error).
		gctx, gcancel := withDeadline(context.WithoutCancel(ctx), 2*(s.set.AttemptTimeout+10*time.Second))
		defer gcancel()
		var out contracts.LookupWorkflowResult
		done <- run.Get(gctx, &out)
	}()
	// Answer as soon as the lookup's outcome is stored, whichever comes
	// first: the in-process notification (the activity ran in this
	// process's worker, the eager-start case) or the workflow's completion
	// (it ran elsewhere). The notification saves the workflow-task
	// completion and the result long poll, two server round trips; the
	// workflow still completes and records its history in the background.
	for {
		select {
		case err := <-done:
			if err != nil {
				return RefreshResult{}, fmt.Errorf("wait for lookup %s: %w", l.ID, temporalErr(err))
			}
			return s.lookupResult(ctx, orgID, l.ID)
		case <-changed:
			res, err := s.lookupResult(ctx, orgID, l.ID)
			if err != nil || res.Lookup.CompletedAt != nil {
				return res, err
			}
		case <-wctx.Done():
			return RefreshResult{}, fmt.Errorf("wait for lookup %s: %w", l.ID, temporalErr(wctx.Err()))
		}
	}
}

func (s *Conversations) lookupResult(ctx context.Context, orgID, lookupID string) (RefreshResult, error) {
	l, err := s.st.LookupByID(ctx, lookupID)
	if err != nil {
		return RefreshResult{}, err
	}
	p, err := s.GetCustomer(ctx, orgID, l.ConversationID)
	return RefreshResult{Profile: p, Lookup: l}, err
}

// ListLookups lists every lookup of a conversation, newest first.
func (s *Conversations) ListLookups(ctx context.Context, orgID, conversationID string) ([]models.Lookup, error) {
	if _, err := s.st.GetConversation(ctx, orgID, conversationID); err != nil {
		return nil, err
	}
	return s.st.ListLookups(ctx, orgID, conversationID)
}

// GetLookup loads one of the org's lookups with its attempts.
func (s *Conversations) GetLookup(ctx context.Context, orgID, id string) (models.Lookup, []models.Attempt, error) {
	l, err := s.st.LookupByID(ctx, id)
	if err == nil && l.OrgID != orgID {
		err = models.ErrNotFound
	}
	if err != nil {
		return models.Lookup{}, nil, err
	}
	attempts, err := s.st.Attempts(ctx, id)
	return l, attempts, err
}

// LookupHistory returns the Temporal history of the lookup's workflow.
func (s *Conversations) LookupHistory(ctx context.Context, orgID, id string) ([]HistoryEvent, error) {
	if _, _, err := s.GetLookup(ctx, orgID, id); err != nil {
		return nil, err
	}
	return s.history.read(ctx, contracts.LookupWorkflowID(id))
}

// SubscribeCustomer notifies on the returned channel whenever the
// conversation's customer profile may have changed, until cancel is called.
// Subscribe before the first read so a change in between is not missed.
func (s *Conversations) SubscribeCustomer(conversationID string) (changed <-chan struct{}, cancel func()) {
	return s.hub.Subscribe(live.Profile(conversationID))
}

// ShuttingDown is closed when the server shuts down, so open streams end
// instead of holding http.Server.Shutdown until its deadline.
func (s *Conversations) ShuttingDown() <-chan struct{} { return s.hub.Done() }
