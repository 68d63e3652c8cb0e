package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
)

// appSyncHandlers serve the synchronous Custom App calls: sample payloads
// and click reward verifications.
type appSyncHandlers struct{ svc *service.AppSync }

// sendSample takes no options; a body, if sent, must be an empty object,
// so a misspelt option is refused rather than ignored.
func (s appSyncHandlers) sendSample(c *gin.Context) error {
	if c.Request.ContentLength != 0 {
		var in struct{}
		if err := decode(c, &in); err != nil {
			return err
		}
	}
	res, err := s.svc.SendSample(c.Request.Context(), principal(c).OrgID, c.Param("id"), c.Param("action"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}

// verifyClick takes the variables at the top level ({email, site_id,
// ...}), as the action's payload names them.
func (s appSyncHandlers) verifyClick(c *gin.Context) error {
	var vars map[string]any
	if err := decode(c, &vars); err != nil {
		return err
	}
	if vars == nil {
		return &Error{Status: http.StatusBadRequest, Code: "invalid_json", Message: "request body must be a JSON object"}
	}
	d, err := s.svc.VerifyClick(c.Request.Context(), principal(c).OrgID, vars)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, d)
	return nil
}

type clickVerificationView struct {
	ID          string         `json:"id"`
	Verified    bool           `json:"verified"`
	Reason      string         `json:"reason"`
	Decided     bool           `json:"decided"`
	Variables   map[string]any `json:"variables"`
	CreatedAt   time.Time      `json:"created_at"`
	DecidedAt   *time.Time     `json:"decided_at"`
	CompletedAt *time.Time     `json:"completed_at"`
}

// clickAttemptView is one asked app's attempt; Late marks an answer that
// came after the decision and did not count.
type clickAttemptView struct {
	AppID          string            `json:"app_id"`
	Status         string            `json:"status"`
	Verified       bool              `json:"verified"`
	Reason         string            `json:"reason"`
	Late           bool              `json:"late"`
	URL            string            `json:"url"`
	RequestHeaders map[string]string `json:"request_headers"`
	StatusCode     int               `json:"status_code"`
	ResponseBody   string            `json:"response_body"`
	DurationMicros int64             `json:"duration_us"`
	Error          string            `json:"error,omitempty"`
	CompletedAt    *time.Time        `json:"completed_at"`
}

func (s appSyncHandlers) getVerification(c *gin.Context) error {
	v, apps, err := s.svc.GetVerification(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	out := make([]clickAttemptView, len(apps))
	for i, a := range apps {
		out[i] = clickAttemptView{AppID: a.AppID, Status: a.Status, Verified: a.Verified, Reason: a.Reason, Late: a.Late,
			URL: a.URL, RequestHeaders: a.RequestHeaders, StatusCode: a.StatusCode, ResponseBody: a.ResponseBody,
			DurationMicros: a.DurationMicros, Error: a.Error, CompletedAt: a.CompletedAt}
		if a.Status == models.ClickAppPending {
			out[i].Reason = ""
		}
	}
	c.JSON(http.StatusOK, gin.H{"verification": clickVerificationView{
		ID: v.ID, Verified: v.Verified, Reason: v.Reason, Decided: v.DecidedAt != nil, Variables: v.Variables,
		CreatedAt: v.CreatedAt, DecidedAt: v.DecidedAt, CompletedAt: v.CompletedAt,
	}, "apps": out})
	return nil
}

func (s appSyncHandlers) verificationHistory(c *gin.Context) error {
	return writeHistory(c, s.svc.VerificationHistory, contracts.ClickVerificationWorkflowID)
}
