package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
)

// postWidgetMessage answers 201: the message is stored. A customer lookup
// it starts runs in the background; the answer never waits for it.
func (s *Server) postWidgetMessage(c *gin.Context) error {
	var in service.WidgetMessageInput
	if err := decode(c, &in); err != nil {
		return err
	}
	res, err := s.svc.PostWidgetMessage(c.Request.Context(), principal(c).OrgID, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, res)
	return nil
}

type orgView struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	CORSOrigins []string  `json:"cors_origins"`
	CreatedAt   time.Time `json:"created_at"`
}

func viewOrg(o models.Org) orgView {
	v := orgView{ID: o.ID, Name: o.Name, CORSOrigins: o.CORSOrigins, CreatedAt: o.CreatedAt}
	if v.CORSOrigins == nil {
		v.CORSOrigins = []string{}
	}
	return v
}

func (s *Server) getOrg(c *gin.Context) error {
	o, err := s.svc.GetOrg(c.Request.Context(), principal(c).OrgID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewOrg(o))
	return nil
}

func (s *Server) updateOrg(c *gin.Context) error {
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
