package store

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/models"
)

// CreateConsoleSession stores a new console session.
func (s *Store) CreateConsoleSession(ctx context.Context, sess *models.ConsoleSession) error {
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = Now()
	}
	return translate(s.db.WithContext(ctx).Create(sess).Error)
}

// ConsoleSession loads the session whose token hashes to tokenHash, expired
// or not (the caller decides), or returns models.ErrNotFound.
func (s *Store) ConsoleSession(ctx context.Context, tokenHash string) (models.ConsoleSession, error) {
	return first[models.ConsoleSession](ctx, s.db, "token_hash = ?", tokenHash)
}

// DeleteConsoleSession removes a session (sign-out); removing one that is
// already gone is not an error, so signing out twice is harmless.
func (s *Store) DeleteConsoleSession(ctx context.Context, tokenHash string) error {
	return translate(s.db.WithContext(ctx).Where("token_hash = ?", tokenHash).Delete(&models.ConsoleSession{}).Error)
}

// DeleteExpiredConsoleSessions removes the sessions that expired before
// now and reports how many; the console calls it on sign-in, so the table
// stays as small as the number of live sessions without a sweeper.
func (s *Store) DeleteExpiredConsoleSessions(ctx context.Context, now time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at < ?", now).Delete(&models.ConsoleSession{})
	return res.RowsAffected, translate(res.Error)
}
