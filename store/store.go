// Package store persists Switchboard's state through GORM, on PostgreSQL in
// production and on an embedded pure-Go SQLite file by default. It is the
// only package that talks to the database, and it translates database
// errors into the domain errors of package models at its boundary.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"
	"unicode/utf8"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/switchboardhq/switchboard/models"
)

// Store is the GORM-backed repository.
type Store struct {
	db      *gorm.DB
	dialect string
	url     string // the PostgreSQL URL, for the notification listener
	// ring seals signing secrets at rest (SetKeyRing); nil writes clear text.
	ring *models.KeyRing
}

// Open connects to PostgreSQL when databaseURL is set and to the SQLite file
// at sqlitePath otherwise. It does not migrate; call Migrate.
func Open(databaseURL, sqlitePath string) (*Store, error) {
	cfg := &gorm.Config{
		// A single statement is atomic on its own; GORM's default wraps
		// each one in BEGIN … COMMIT, two more round trips per write. The
		// wrap matters only for associations and hooks, which no stored
		// model has (TestModelsHaveNoAssociations); writes of several
		// statements use a transaction or atomically.
		SkipDefaultTransaction: true,
		TranslateError:         true,
		Logger:                 logger.Default.LogMode(logger.Silent),
		NowFunc:                func() time.Time { return Now() },
	}
	var (
		db  *gorm.DB
		err error
	)
	if databaseURL != "" {
		db, err = gorm.Open(translatingDialector{postgres.Open(databaseURL)}, cfg)
	} else {
		if dir := filepath.Dir(sqlitePath); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("store: create sqlite dir: %w", err)
			}
		}
		// WAL lets readers run beside the single writer; busy_timeout makes a
		// writer wait instead of failing; _txlock=immediate takes the write
		// lock at BEGIN so read-then-write transactions cannot deadlock.
		dsn := "file:" + sqlitePath + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
			"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
		db, err = gorm.Open(translatingDialector{sqlite.Open(dsn)}, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if databaseURL != "" {
		DefaultPool.apply(sqlDB)
	} else {
		sqlDB.SetMaxOpenConns(8)
	}
	st := &Store{db: db, dialect: db.Dialector.Name(), url: databaseURL}
	if err := st.registerKeyRing(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return st, nil
}

// Pool sizes the PostgreSQL connection pool of one process.
type Pool struct {
	MaxOpen     int
	MaxIdle     int
	MaxLifetime time.Duration // 0: connections are reused forever
}

// DefaultPool matches config's DB_* defaults, for stores opened without a
// config (tests, the CLI).
var DefaultPool = Pool{MaxOpen: 20, MaxIdle: 10, MaxLifetime: 30 * time.Minute}

func (p Pool) apply(db *sql.DB) {
	db.SetMaxOpenConns(p.MaxOpen)
	db.SetMaxIdleConns(p.MaxIdle)
	db.SetConnMaxLifetime(p.MaxLifetime)
}

// SetPool resizes the PostgreSQL connection pool; SQLite keeps its own
// small pool (one writer at a time, more connections only add contention).
func (s *Store) SetPool(p Pool) error {
	if s.dialect != "postgres" {
		return nil
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	p.apply(sqlDB)
	return nil
}

// Dialect is "postgres" or "sqlite".
func (s *Store) Dialect() string { return s.dialect }

// Close releases the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return translateUnavailable(sqlDB.PingContext(ctx))
}

// Now is the store's clock: UTC, truncated to microseconds because that is
// PostgreSQL's precision, so values read back compare equal to values written.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// first loads one row or returns models.ErrNotFound.
func first[T any](ctx context.Context, db *gorm.DB, query string, args ...any) (T, error) {
	var v T
	err := db.WithContext(ctx).Where(query, args...).Take(&v).Error
	return v, translate(err)
}

// maxErrorText is the size of every error column (varchar(1000)).
const maxErrorText = 1000

// clip shortens s to at most n characters without splitting a UTF-8
// sequence, so it fits a varchar(n) column on PostgreSQL.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// markSwept stamps swept_at on the given deliveries or lookups (model
// says which table), which takes them out of the sweeper's queries.
func (s *Store) markSwept(ctx context.Context, model any, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return translate(s.db.WithContext(ctx).Model(model).Where("id IN ?", ids).Update("swept_at", Now()).Error)
}
