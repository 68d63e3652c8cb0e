package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
)

// orgHandlers serve the org itself and its health, and authenticate every
// other route's caller by key.
type orgHandlers struct{ svc *service.Orgs }

type orgView struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	CORSOrigins   []string  `json:"cors_origins"`
	RetentionDays int       `json:"retention_days"`
	CreatedAt     time.Time `json:"created_at"`
}

func viewOrg(o models.Org) orgView {
	v := orgView{ID: o.ID, Name: o.Name, CORSOrigins: o.CORSOrigins, RetentionDays: int(o.Retention().Hours() / 24), CreatedAt: o.CreatedAt}
	if v.CORSOrigins == nil {
		v.CORSOrigins = []string{}
	}
	return v
}

func (s orgHandlers) getOrg(c *gin.Context) error {
	o, err := s.svc.GetOrg(c.Request.Context(), principal(c).OrgID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewOrg(o))
	return nil
}

func (s orgHandlers) updateOrg(c *gin.Context) error {
	var in service.OrgInput
	if err := decode(c, &in); err != nil {
		return err
	}
	o, err := s.svc.UpdateOrg(c.Request.Context(), principal(c).OrgID, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewOrg(o))
	return nil
}

func (s orgHandlers) health(c *gin.Context) error {
	if err := s.svc.Ping(c.Request.Context()); err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
	return nil
}
