package store

import (
	"context"
	"encoding/json"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/switchboardhq/switchboard/models"
)

// CreateClickVerification stores a verification with one pending row per
// app asked, in one transaction, before the workflow starts: a decision
// made at the deadline counts every app that has not answered.
func (s *Store) CreateClickVerification(ctx context.Context, v *models.ClickVerification, apps []models.ClickVerificationApp) error {
	return translate(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(v).Error; err != nil {
			return err
		}
		if len(apps) == 0 {
			return nil
		}
		return tx.Create(&apps).Error
	}))
}

// ClickVerificationByID loads a verification regardless of org, for
// activities that got the ID from the workflow input.
func (s *Store) ClickVerificationByID(ctx context.Context, id string) (models.ClickVerification, error) {
	return first[models.ClickVerification](ctx, s.db, "id = ?", id)
}

// GetClickVerification loads one of the org's verifications with every
// asked app's attempt, in app-ID order.
func (s *Store) GetClickVerification(ctx context.Context, orgID, id string) (models.ClickVerification, []models.ClickVerificationApp, error) {
	v, err := first[models.ClickVerification](ctx, s.db, "org_id = ? AND id = ?", orgID, id)
	if err != nil {
		return v, nil, err
	}
	apps, err := clickApps(s.db.WithContext(ctx), id)
	return v, apps, translate(err)
}

func clickApps(tx *gorm.DB, id string) ([]models.ClickVerificationApp, error) {
	var out []models.ClickVerificationApp
	err := tx.Where("verification_id = ?", id).Order("app_id").Find(&out).Error
	return out, err
}

// lockClickVerification takes the verification row's write lock (a no-op
// update: PostgreSQL locks the row, SQLite serializes writers anyway) and
// reads it in the same statement (RETURNING), so
// recording an answer and deciding never interleave: an answer recorded
// after the decision is marked late, one recorded before is counted.
func lockClickVerification(tx *gorm.DB, id string) (models.ClickVerification, error) {
	var v models.ClickVerification
	res := tx.Model(&v).Clauses(clause.Returning{}).Where("id = ?", id).Update("reason", gorm.Expr("reason"))
	if res.Error != nil {
		return v, res.Error
	}
	if res.RowsAffected == 0 {
		return v, models.ErrNotFound
	}
	return v, nil
}

// RecordClickApp stores an app's outcome. Only the first outcome counts:
// a row already done is left alone, so a retried activity or the
// workflow's final bookkeeping cannot overwrite it. An outcome stored
// after the decision is marked Late.
func (s *Store) RecordClickApp(ctx context.Context, a models.ClickVerificationApp) error {
	_, err := s.recordClickApp(ctx, a, false)
	return err
}

// commitWithoutFlush lets PostgreSQL commit tx without waiting for its WAL
// to reach the disk (synchronous_commit off, for this transaction only):
// the flush is the largest part of an app outcome's store, which sits on
// the caller's 1-second path. It is atomic and visible at once like any
// commit; only a crash of PostgreSQL itself within wal_writer_delay (×3)
// can lose it, and then the workflow's FinishClickVerification, which
// commits durably, finds the row still pending and stores the outcome
// again from its history. SQLite needs nothing: synchronous=NORMAL in WAL
// mode does not flush on commit anyway.
func (s *Store) commitWithoutFlush(tx *gorm.DB) error {
	if s.dialect != "postgres" {
		return nil
	}
	return tx.Exec("SET LOCAL synchronous_commit = off").Error
}

// ClickDecided is a decision made while storing the last outcome: the
// verification as stored and every app's row.
type ClickDecided struct {
	Verification models.ClickVerification
	Apps         []models.ClickVerificationApp
}

// RecordClickAppAndDecide stores an app's outcome like RecordClickApp
// and, if it was the last pending one and nobody decided yet, fixes the
// decision and marks the verification complete in the same transaction:
// it holds the row lock already, so the waiting API can take the
// decision from the caller instead of another round of statements. It
// returns nil when it did not decide.
func (s *Store) RecordClickAppAndDecide(ctx context.Context, a models.ClickVerificationApp) (*ClickDecided, error) {
	return s.recordClickApp(ctx, a, true)
}

func (s *Store) recordClickApp(ctx context.Context, a models.ClickVerificationApp, decide bool) (*ClickDecided, error) {
	var out *ClickDecided
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.commitWithoutFlush(tx); err != nil {
			return err
		}
		v, err := lockClickVerification(tx, a.VerificationID)
		if err != nil {
			return err
		}
		// The column holds the JSON serializer's form; Updates with a map
		// bypasses the serializer, so it is written here.
		headers, err := json.Marshal(a.RequestHeaders)
		if err != nil {
			return err
		}
		now := Now()
		res := tx.Model(&models.ClickVerificationApp{}).
			Where("verification_id = ? AND app_id = ? AND status = ?", a.VerificationID, a.AppID, models.ClickAppPending).
			Updates(map[string]any{
				"status": models.ClickAppDone, "verified": a.Verified, "reason": a.Reason, "url": a.URL,
				"request_headers": string(headers), "status_code": a.StatusCode,
				"response_body": a.ResponseBody, "duration_micros": a.DurationMicros,
				"error": clip(a.Error, maxErrorText), "late": v.DecidedAt != nil, "completed_at": now,
			})
		if res.Error != nil || !decide || v.DecidedAt != nil || res.RowsAffected == 0 {
			return res.Error
		}
		apps, err := clickApps(tx, a.VerificationID)
		if err != nil {
			return err
		}
		for _, r := range apps {
			if r.Status == models.ClickAppPending {
				return nil // another app is still out: not the last outcome
			}
		}
		v.Verified, v.Reason = models.DecideClick(apps)
		v.DecidedAt, v.CompletedAt = &now, &now
		if err := tx.Model(&models.ClickVerification{}).Where("id = ?", v.ID).
			Updates(map[string]any{"verified": v.Verified, "reason": v.Reason, "decided_at": now, "completed_at": now}).Error; err != nil {
			return err
		}
		out = &ClickDecided{Verification: v, Apps: apps}
		return nil
	})
	if err != nil {
		return nil, translate(err)
	}
	return out, nil
}

// FinishedClickVerification answers the stored decision and marks the
// verification complete in one statement when it is already decided and
// no app row is pending (the usual case: the last app's activity decided).
// ok is false otherwise, and nothing was changed.
func (s *Store) FinishedClickVerification(ctx context.Context, id string) (v models.ClickVerification, ok bool, err error) {
	res := s.db.WithContext(ctx).Model(&v).Clauses(clause.Returning{}).
		Where("id = ? AND decided_at IS NOT NULL", id).
		Where("NOT EXISTS (?)", s.db.Model(&models.ClickVerificationApp{}).Select("1").
			Where("verification_id = ? AND status = ?", id, models.ClickAppPending)).
		Update("completed_at", gorm.Expr("COALESCE(completed_at, ?)", Now()))
	if res.Error != nil {
		return v, false, translate(res.Error)
	}
	return v, res.RowsAffected == 1, nil
}

// DecideClickVerification fixes the verification's decision from the
// outcomes stored so far (pending apps count as timeouts) unless it is
// already decided, and returns the stored decision with the app rows as
// they were when it was made (rows recorded later are marked Late).
func (s *Store) DecideClickVerification(ctx context.Context, id string) (models.ClickVerification, []models.ClickVerificationApp, error) {
	var v models.ClickVerification
	var apps []models.ClickVerificationApp
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if v, err = lockClickVerification(tx, id); err != nil {
			return err
		}
		if apps, err = clickApps(tx, id); err != nil {
			return err
		}
		if v.DecidedAt != nil {
			return nil
		}
		now := Now()
		v.Verified, v.Reason = models.DecideClick(apps)
		v.DecidedAt = &now
		return tx.Model(&models.ClickVerification{}).Where("id = ?", id).
			Updates(map[string]any{"verified": v.Verified, "reason": v.Reason, "decided_at": now}).Error
	})
	return v, apps, translate(err)
}

// CompleteClickVerification marks that every asked app's outcome is
// recorded.
func (s *Store) CompleteClickVerification(ctx context.Context, id string) error {
	return translate(s.db.WithContext(ctx).Model(&models.ClickVerification{}).
		Where("id = ? AND completed_at IS NULL", id).Update("completed_at", Now()).Error)
}
