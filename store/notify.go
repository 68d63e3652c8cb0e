package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// profileChannel is the PostgreSQL notification channel on which a
// conversation ID is announced when its customer profile changed.
const profileChannel = "switchboard_profile"

// NotifyProfile tells every Switchboard process on this database that the
// conversation's profile changed, so an API process whose worker did not
// run the lookup can still push it to operators at once. On SQLite (one
// process by construction) it does nothing.
func (s *Store) NotifyProfile(ctx context.Context, conversationID string) error {
	if s.dialect != "postgres" {
		return nil
	}
	return translate(s.db.WithContext(ctx).Exec("SELECT pg_notify(?, ?)", profileChannel, conversationID).Error)
}

// ListenProfiles calls fn with the conversation ID of every NotifyProfile,
// from any process, until ctx ends. It holds one dedicated connection and
// reconnects after a failure, because a lost listener would silently stop
// live pushes. On SQLite it returns at once.
func (s *Store) ListenProfiles(ctx context.Context, fn func(conversationID string)) {
	if s.dialect != "postgres" {
		return
	}
	for ctx.Err() == nil {
		s.listen(ctx, fn)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (s *Store) listen(ctx context.Context, fn func(string)) {
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+profileChannel); err != nil {
		return
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return
		}
		fn(n.Payload)
	}
}
