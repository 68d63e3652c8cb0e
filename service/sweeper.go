package service

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// sweeperStore is what the Sweeper reads and writes.
type sweeperStore interface {
	Undispatched(ctx context.Context, olderThan time.Time, limit int) ([]models.Delivery, error)
	WebhookByID(ctx context.Context, id string) (models.Webhook, error)
	MarkSwept(ctx context.Context, ids []string) error
	StrandedLookups(ctx context.Context, olderThan time.Time, limit int) ([]models.Lookup, error)
	MarkLookupsSwept(ctx context.Context, ids []string) error
	StrandedChatMessages(ctx context.Context, olderThan time.Time, limit int) ([]models.Message, error)
}

// Sweeper starts the workflows that were committed but never started.
type Sweeper struct {
	st         sweeperStore
	deliveries *deliveryStarter
	lookups    *lookupStarter
	relay      *chatRelay
	log        *slog.Logger
	set        SweeperSettings
}

// Sweep starts the workflows of deliveries and customer lookups that were
// committed but never started (the process died between commit and start,
// or Temporal was briefly unreachable). The workflow ID is the delivery or
// lookup ID, so a row whose workflow Temporal already holds, running or
// closed, is not started again and not counted; it is marked swept, like
// every row handed over, so it is not picked again. A row whose start
// fails is logged and skipped; an unreachable Temporal ends the sweep.
func (s *Sweeper) Sweep(ctx context.Context) (started int, err error) {
	cutoff := store.Now().Add(-s.set.Interval)
	ds, err := s.st.Undispatched(ctx, cutoff, 500)
	if err != nil {
		return 0, err
	}
	var swept []string
	for _, d := range ds {
		var w models.Webhook
		var err error
		if d.AppID == "" { // an app delivery has no endpoint and runs the default schedule
			w, err = s.st.WebhookByID(ctx, d.WebhookID)
		}
		if errors.Is(err, models.ErrNotFound) {
			// Deleted endpoint: start anyway, the attempt records the failure.
			w, err = models.Webhook{ID: d.WebhookID}, nil
		}
		if err == nil {
			err = s.deliveries.start(ctx, d, w, 1, false)
		}
		if err := s.sweptOne(ctx, "delivery", d.ID, err, &started, &swept); err != nil {
			return started, errors.Join(err, s.st.MarkSwept(ctx, swept))
		}
	}
	if err := s.st.MarkSwept(ctx, swept); err != nil {
		return started, err
	}
	// Customer lookups get the same guarantee: a committed first message
	// whose lookup never started is looked up late rather than never.
	ls, err := s.st.StrandedLookups(ctx, cutoff, 500)
	if err != nil {
		return started, err
	}
	swept = swept[:0]
	for _, l := range ls {
		_, err := s.lookups.start(ctx, l)
		if err := s.sweptOne(ctx, "lookup", l.ID, err, &started, &swept); err != nil {
			return started, errors.Join(err, s.st.MarkLookupsSwept(ctx, swept))
		}
	}
	if err := s.st.MarkLookupsSwept(ctx, swept); err != nil {
		return started, err
	}
	n, err := s.sweepChat(ctx, cutoff)
	return started + n, err
}

// sweepChat re-sends the update of visitor messages still queued for the
// relay: their Update-with-Start never reached Temporal. Sending again is
// safe: the update ID is the message ID, and a turn already relayed is
// answered from storage, never sent twice.
func (s *Sweeper) sweepChat(ctx context.Context, cutoff time.Time) (int, error) {
	ms, err := s.st.StrandedChatMessages(ctx, cutoff, 200)
	if err != nil {
		return 0, err
	}
	started := 0
	for _, m := range ms {
		if _, _, err := s.relay.send(ctx, m.OrgID, m, 0); err != nil {
			if temporalUnreachable(ctx, err) {
				return started, err
			}
			s.log.Warn("sweeper could not relay a chat message; retried on the next sweep", "message", m.ID, "err", err)
			continue
		}
		started++
	}
	return started, nil
}

// sweptOne tallies one sweep start. A started workflow counts; one that
// Temporal already held does not (it was not stranded after all); both are
// swept. Any other failure is logged and the row left for the next sweep,
// unless Temporal itself is unreachable, which is returned to end the sweep.
func (s *Sweeper) sweptOne(ctx context.Context, kind, id string, err error, started *int, swept *[]string) error {
	switch {
	case err == nil:
		*started++
		*swept = append(*swept, id)
	case alreadyStarted(err):
		*swept = append(*swept, id)
	case temporalUnreachable(ctx, err):
		return err
	default:
		s.log.Warn("sweeper could not start a "+kind+"; skipped until the next sweep", kind, id, "err", err)
	}
	return nil
}

// temporalUnreachable tells an outage (every other start would fail the
// same way) from a failure of one row's start.
func temporalUnreachable(ctx context.Context, err error) bool {
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	return ctx.Err() != nil || errors.As(err, &unavailable) || errors.As(err, &deadline) || errors.Is(err, context.DeadlineExceeded)
}

// RunSweeper calls Sweep every Interval until ctx ends.
func (s *Sweeper) RunSweeper(ctx context.Context) {
	t := time.NewTicker(s.set.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.Sweep(ctx); err != nil {
				s.log.Warn("sweep failed", "err", err)
			} else if n > 0 {
				s.log.Info("sweeper started stranded deliveries and lookups", "count", n)
			}
		}
	}
}
