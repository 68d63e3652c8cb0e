package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/activity"

	"github.com/switchboardhq/switchboard/contracts"
)

// purgeBatch is how many events one purge transaction deletes.
const purgeBatch = 500

// PurgeExpired deletes, org by org, the events (with their deliveries and
// attempts) older than the org's retention, a batch per transaction, and
// heartbeats between batches so a long purge is visibly alive.
func (a *Activities) PurgeExpired(ctx context.Context, _ contracts.RetentionInput) (contracts.RetentionResult, error) {
	var res contracts.RetentionResult
	orgs, err := a.Store.ListOrgs(ctx)
	if err != nil {
		return res, fmt.Errorf("list orgs: %w", err)
	}
	now := a.Now()
	for _, o := range orgs {
		cutoff := now.Add(-o.Retention())
		for {
			n, err := a.Store.PurgeBatch(ctx, o.ID, cutoff, purgeBatch)
			if err != nil {
				return res, fmt.Errorf("purge %s: %w", o.ID, err)
			}
			res.Events += n
			activity.RecordHeartbeat(ctx, res)
			if n < purgeBatch {
				break
			}
		}
		res.Orgs++
	}
	return res, nil
}
