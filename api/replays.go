package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/service"
)

// replayHandlers serve replays: one delivery, one event, or in bulk.
type replayHandlers struct{ svc *service.Replays }

// replayDelivery answers 202 with the new delivery (replay_of = id).
func (s replayHandlers) replayDelivery(c *gin.Context) error {
	d, err := s.svc.ReplayDelivery(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, viewDelivery(d))
	return nil
}

// replayEvent answers 202 with the new deliveries. An empty body is
// target "original".
func (s replayHandlers) replayEvent(c *gin.Context) error {
	var in service.ReplayEventInput
	if c.Request.ContentLength != 0 {
		if err := decode(c, &in); err != nil {
			return err
		}
	}
	ds, err := s.svc.ReplayEvent(c.Request.Context(), principal(c).OrgID, c.Param("id"), in)
	if err != nil {
		return err
	}
	out := make([]deliveryView, 0, len(ds))
	for _, d := range ds {
		out = append(out, viewDelivery(d))
	}
	c.JSON(http.StatusAccepted, gin.H{"deliveries": out})
	return nil
}

type replayView struct {
	ID          string         `json:"id"`
	State       string         `json:"state"`
	Status      string         `json:"status,omitempty"`
	Since       *time.Time     `json:"since,omitempty"`
	Until       *time.Time     `json:"until,omitempty"`
	WebhookID   string         `json:"webhook_id,omitempty"`
	EventType   string         `json:"event_type,omitempty"`
	Target      string         `json:"target"`
	Total       int            `json:"total"`
	Done        int            `json:"done"`
	Skipped     int            `json:"skipped"`
	Outcomes    map[string]int `json:"outcomes"`
	WorkflowID  string         `json:"workflow_id"`
	CreatedAt   time.Time      `json:"created_at"`
	CompletedAt *time.Time     `json:"completed_at,omitempty"`
}

func viewReplay(b service.BulkReplay) replayView {
	r := b.Replay
	v := replayView{ID: r.ID, State: r.State, Status: string(r.Status), Since: r.Since, Until: r.Until, WebhookID: r.WebhookID,
		EventType: r.EventType, Target: r.Target, Total: r.Total, Done: r.Done, Skipped: r.Skipped, Outcomes: map[string]int{},
		WorkflowID: contracts.BulkReplayWorkflowID(r.ID), CreatedAt: r.CreatedAt, CompletedAt: r.CompletedAt}
	for k, n := range b.Outcomes {
		v.Outcomes[string(k)] = n
	}
	return v
}

func (s replayHandlers) createReplay(c *gin.Context) error {
	var in service.BulkReplayInput
	if err := decode(c, &in); err != nil {
		return err
	}
	r, err := s.svc.CreateBulkReplay(c.Request.Context(), principal(c).OrgID, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, viewReplay(r))
	return nil
}

func (s replayHandlers) getReplay(c *gin.Context) error {
	r, err := s.svc.GetBulkReplay(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewReplay(r))
	return nil
}

// steerReplay binds pause, resume and cancel.
func (s replayHandlers) steerReplay(do func(*service.Replays, *gin.Context) (service.BulkReplay, error)) handler {
	return func(c *gin.Context) error {
		r, err := do(s.svc, c)
		if err != nil {
			return err
		}
		c.JSON(http.StatusAccepted, viewReplay(r))
		return nil
	}
}

func (s replayHandlers) pauseReplay() handler {
	return s.steerReplay(func(svc *service.Replays, c *gin.Context) (service.BulkReplay, error) {
		return svc.PauseBulkReplay(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	})
}

func (s replayHandlers) resumeReplay() handler {
	return s.steerReplay(func(svc *service.Replays, c *gin.Context) (service.BulkReplay, error) {
		return svc.ResumeBulkReplay(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	})
}

func (s replayHandlers) cancelReplay() handler {
	return s.steerReplay(func(svc *service.Replays, c *gin.Context) (service.BulkReplay, error) {
		return svc.CancelBulkReplay(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	})
}
