package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// A write is one statement of an atomic group, built by GORM on the
// session it is given (Create, Updates, Clauses... as in a transaction),
// so the SQL, serializers and dialect are GORM's own.
type write func(db *gorm.DB) *gorm.DB

// atomically runs writes as one atomic unit. On PostgreSQL they go out as
// one pgx batch, a single round trip whose statements run in one implicit
// transaction (all or nothing, as BEGIN … COMMIT, which would cost three
// more round trips); on SQLite, in a transaction. It is for the hot writes
// (an event with its deliveries, an attempt with its delivery's state):
// under load each round trip waits for the database backend and this
// process to be scheduled again, and that wait is the tail of the answer.
//
// Only for writes whose callers read nothing back: what GORM would scan
// from a RETURNING clause (an auto-increment ID, a column with a database
// default left zero) is discarded, so the caller's structs keep the values
// they had: an auto-increment ID stays 0, and a defaulted column must
// default to its zero value.
func (s *Store) atomically(ctx context.Context, writes ...write) error {
	if s.dialect != "postgres" {
		return translate(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			for _, w := range writes {
				if err := w(tx).Error; err != nil {
					return err
				}
			}
			return nil
		}))
	}
	type stmt struct {
		sql  string
		vars []any
	}
	dry := s.db.Session(&gorm.Session{DryRun: true, NewDB: true, Context: ctx})
	stmts := make([]stmt, 0, len(writes))
	for _, w := range writes {
		q := w(dry)
		if q.Error != nil {
			return translate(q.Error)
		}
		stmts = append(stmts, stmt{q.Statement.SQL.String(), q.Statement.Vars})
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return s.translateDriver(err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: a PostgreSQL connection of type %T, not pgx's", dc)
		}
		var b pgx.Batch
		for _, st := range stmts {
			b.Queue(st.sql, st.vars...)
		}
		return c.Conn().SendBatch(ctx, &b).Close()
	})
	return s.translateDriver(err)
}

// translateDriver turns an error from the driver itself (outside GORM)
// into what GORM's calls return: the dialector's translation (unique
// violations as gorm.ErrDuplicatedKey, unavailability) and then translate.
func (s *Store) translateDriver(err error) error {
	if err == nil {
		return nil
	}
	if tr, ok := s.db.Dialector.(gorm.ErrorTranslator); ok {
		err = tr.Translate(err)
	}
	return translate(err)
}
