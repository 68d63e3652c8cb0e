package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/switchboardhq/switchboard/models"
)

// ErrSecretKeyMissing is models.ErrSecretKeyMissing, kept here for callers
// that match the store's error.
var ErrSecretKeyMissing = models.ErrSecretKeyMissing

// SetSecretKey seals signing secrets with key (AES-256-GCM) from now on;
// SetKeyRing is the form with old keys.
func (s *Store) SetSecretKey(key []byte) error {
	r, err := models.NewKeyRing(key)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	s.SetKeyRing(r)
	return nil
}

// SetKeyRing makes the store seal every secret it writes with the ring's
// current key and open values sealed with any of its keys. A nil ring
// writes clear text (the explicit plaintext opt-out). Call it before use.
func (s *Store) SetKeyRing(r *models.KeyRing) { s.ring = r }

// KeyRing is the ring set with SetKeyRing (nil when none).
func (s *Store) KeyRing() *models.KeyRing { return s.ring }

// registerKeyRing puts the store's ring on the context of every statement,
// where the Secret serializer finds it: sealing happens in GORM, so no
// repository method can forget it.
func (s *Store) registerKeyRing() error {
	put := func(db *gorm.DB) {
		ctx := db.Statement.Context
		if ctx == nil { // GORM sets one; this only guards WithValue's panic
			ctx = context.TODO()
		}
		db.Statement.Context = models.WithKeyRing(ctx, s.ring)
	}
	cb := s.db.Callback()
	return errors.Join(
		cb.Create().Before("gorm:create").Register("switchboard:keyring", put),
		cb.Update().Before("gorm:update").Register("switchboard:keyring", put),
		cb.Query().Before("gorm:query").Register("switchboard:keyring", put),
		cb.Row().Before("gorm:row").Register("switchboard:keyring", put),
		cb.Raw().Before("gorm:raw").Register("switchboard:keyring", put),
	)
}

// secretColumn is one column that holds sealed secrets, with its table's
// primary key, for the start-up check and reseal.
type secretColumn struct{ table, key, column string }

var secretColumns = []secretColumn{
	{"webhooks", "id", "secret"},
	{"webhooks", "id", "previous_secret"},
	{"backend_connects", "org_id", "secret"},
	{"apps", "id", "secret"},
}

// CheckSecrets is the start-up check: every key id found in sealed rows
// must be in the ring, and a legacy sealed value (no key id) must open with
// one of its keys. It fails with models.ErrSecretKeyMissing or
// models.ErrSecretKeyUnknown and a message naming the setting, so a missing
// key stops the process at once instead of answering 500s later.
func (s *Store) CheckSecrets(ctx context.Context) error {
	for _, c := range secretColumns {
		var kids []string
		// Key ids have a fixed length right after "sb1:".
		if err := s.db.WithContext(ctx).Table(c.table).Distinct("substr("+c.column+", 5, 8)").
			Where(c.column+" LIKE ?", "sb1:%").Pluck("substr("+c.column+", 5, 8)", &kids).Error; err != nil {
			return fmt.Errorf("store: check sealed secrets: %w", err)
		}
		for _, kid := range kids {
			switch {
			case s.ring == nil:
				return fmt.Errorf("%s.%s holds secrets sealed with key %s: set SWITCHBOARD_SECRET_KEY: %w", c.table, c.column, kid, models.ErrSecretKeyMissing)
			case !s.ring.Has(kid):
				return fmt.Errorf("%s.%s holds secrets sealed with key %s, which is neither SWITCHBOARD_SECRET_KEY (key %s) nor in SWITCHBOARD_SECRET_KEYS_OLD: %w",
					c.table, c.column, kid, s.ring.CurrentID(), models.ErrSecretKeyUnknown)
			}
		}
		var legacy []string
		if err := s.db.WithContext(ctx).Table(c.table).Where(c.column+" LIKE ?", "enc:v1:%").
			Limit(1).Pluck(c.column, &legacy).Error; err != nil {
			return fmt.Errorf("store: check sealed secrets: %w", err)
		}
		if len(legacy) > 0 {
			if _, err := s.ring.Open(legacy[0]); err != nil {
				return fmt.Errorf("%s.%s holds secrets sealed before key ids were recorded that no configured key opens (SWITCHBOARD_SECRET_KEY, SWITCHBOARD_SECRET_KEYS_OLD): %w",
					c.table, c.column, err)
			}
		}
	}
	return nil
}

// ResealCount is what Reseal did to one table.
type ResealCount struct {
	Table    string
	Checked  int // non-empty secret values looked at
	Resealed int // values re-encrypted with the current key
}

// Reseal re-encrypts, with the ring's current key, every secret stored in
// clear text or under an older key, batch rows at a time. Each value is
// replaced only if it is still the one read (compare and swap), so a
// rotation racing the reseal wins. A second run reseals nothing.
func (s *Store) Reseal(ctx context.Context, batch int) ([]ResealCount, error) {
	if s.ring == nil {
		return nil, fmt.Errorf("store: reseal needs SWITCHBOARD_SECRET_KEY: %w", models.ErrSecretKeyMissing)
	}
	if batch < 1 {
		batch = 500
	}
	var out []ResealCount
	for _, c := range secretColumns {
		if len(out) == 0 || out[len(out)-1].Table != c.table {
			out = append(out, ResealCount{Table: c.table})
		}
		if err := s.resealColumn(ctx, c, batch, &out[len(out)-1]); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (s *Store) resealColumn(ctx context.Context, c secretColumn, batch int, count *ResealCount) error {
	type row struct{ K, V string }
	after := ""
	for {
		var rows []row
		if err := s.db.WithContext(ctx).Table(c.table).
			Select(c.key+" AS k, "+c.column+" AS v").
			Where(c.key+" > ?", after).Order(c.key).Limit(batch).Scan(&rows).Error; err != nil {
			return fmt.Errorf("store: reseal %s.%s: %w", c.table, c.column, err)
		}
		for _, r := range rows {
			after = r.K
			if r.V == "" {
				continue
			}
			count.Checked++
			if s.ring.IsCurrent(r.V) {
				continue
			}
			plain, err := s.ring.Open(r.V)
			if err != nil {
				return fmt.Errorf("store: reseal %s.%s %s: %w", c.table, c.column, r.K, err)
			}
			res := s.db.WithContext(ctx).Table(c.table).Where(c.key+" = ? AND "+c.column+" = ?", r.K, r.V).
				Update(c.column, s.ring.Seal(plain))
			if res.Error != nil {
				return fmt.Errorf("store: reseal %s.%s %s: %w", c.table, c.column, r.K, res.Error)
			}
			count.Resealed += int(res.RowsAffected)
		}
		if len(rows) < batch {
			return nil
		}
	}
}
