package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/live"
)

// liveChannel is the one PostgreSQL notification channel of live updates.
// Its payload is a topic's wire form ("profile:conv_…"); notifications
// carry no data, listeners re-read.
const liveChannel = "switchboard_live"

// Notify tells every Switchboard process on this database that the topic
// changed, so an API process whose worker did not make the change can still
// push it to its streams at once. It implements live.Notifier. On SQLite
// (one process by construction) it does nothing.
func (s *Store) Notify(ctx context.Context, t live.Topic) error {
	if s.dialect != "postgres" {
		return nil
	}
	return translate(s.db.WithContext(ctx).Exec("SELECT pg_notify(?, ?)", liveChannel, t.String()).Error)
}

// Listen calls fn with the topic of every Notify, from any process
// (including this one), until ctx ends. It holds one dedicated connection
// and reconnects after a failure, because a lost listener would silently
// stop live pushes. Payloads that are not topics are ignored. On SQLite it
// returns at once.
func (s *Store) Listen(ctx context.Context, fn func(live.Topic)) {
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

func (s *Store) listen(ctx context.Context, fn func(live.Topic)) {
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return
	}
	defer func() {
		// Detached so that closing still tells the server goodbye after
		// ctx ended, but bounded so that a dead server cannot hold it.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+liveChannel); err != nil {
		return
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return
		}
		if t, err := live.ParseTopic(n.Payload); err == nil {
			fn(t)
		}
	}
}
