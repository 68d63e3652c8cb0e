package store

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/switchboardhq/switchboard/models"
)

// translate maps GORM's translated errors onto domain errors. Connection
// failures and unstorable text were already mapped by translatingDialector
// when GORM recorded the error.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return models.ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("%w: %v", models.ErrConflict, err)
	}
	return err
}

// translatingDialector runs every error GORM records (queries, BEGIN and
// COMMIT, connection acquisition; GORM passes them all through the
// dialector's Translate because TranslateError is on) through translate, so
// a connection failure becomes models.ErrUnavailable whichever store method
// hit it, not only those that call translate themselves.
type translatingDialector struct{ gorm.Dialector }

func (d translatingDialector) Translate(err error) error {
	if t, ok := d.Dialector.(gorm.ErrorTranslator); ok {
		err = t.Translate(err)
	}
	return translateUnavailable(translateText(err))
}

// Apply forwards the optional config hook PostgreSQL's dialector uses to
// set its identifier length limit.
func (d translatingDialector) Apply(cfg *gorm.Config) error {
	if a, ok := d.Dialector.(interface{ Apply(*gorm.Config) error }); ok {
		return a.Apply(cfg)
	}
	return nil
}

// SavePoint and RollbackTo forward GORM's optional savepoint interface,
// which embedding the Dialector interface would otherwise hide (nested
// transactions would fail).
func (d translatingDialector) SavePoint(tx *gorm.DB, name string) error {
	if sp, ok := d.Dialector.(gorm.SavePointerDialectorInterface); ok {
		return sp.SavePoint(tx, name)
	}
	return gorm.ErrUnsupportedDriver
}

func (d translatingDialector) RollbackTo(tx *gorm.DB, name string) error {
	if sp, ok := d.Dialector.(gorm.SavePointerDialectorInterface); ok {
		return sp.RollbackTo(tx, name)
	}
	return gorm.ErrUnsupportedDriver
}

// translateUnavailable wraps connection-level failures in
// models.ErrUnavailable, keeping the driver error for logs:
// PostgreSQL classes 08 (connection exception) and 53 (insufficient
// resources, e.g. 53300 too many clients), the shutdown codes 57P01-57P03,
// failures to connect at all, a broken or closed connection, and refused
// or reset TCP connections.
func translateUnavailable(err error) error {
	if err == nil || errors.Is(err, models.ErrUnavailable) || !unavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", models.ErrUnavailable, err)
}

func unavailable(err error) bool {
	var (
		pgErr   *pgconn.PgError
		connErr *pgconn.ConnectError
		opErr   *net.OpError
	)
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03": // admin/crash shutdown, cannot connect now
			return true
		}
		return len(pgErr.Code) == 5 && (pgErr.Code[:2] == "08" || pgErr.Code[:2] == "53")
	}
	return errors.As(err, &connErr) || errors.As(err, &opErr) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// errInvalidText is PostgreSQL refusing text it cannot store (a NUL byte,
// bytes that are not UTF-8, an unpaired surrogate in jsonb). The API
// refuses such input before it gets here; this is the safety net for any
// path it missed (e.g. an ID decoded from a pagination cursor), so the
// client still gets a 400 and not a 500.
var errInvalidText = &models.ValidationError{Code: "invalid_text", Message: "text must be UTF-8 without NUL characters"}

func translateText(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "22021", "22P05": // character_not_in_repertoire, untranslatable_character
			return errInvalidText
		}
	}
	return err
}
