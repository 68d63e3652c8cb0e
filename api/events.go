package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/service"
)

// eventHandlers serve event ingest.
type eventHandlers struct{ svc *service.Events }

// createEvent answers 202: the event is durably stored and its deliveries
// are under way. A repeated idempotency key answers 200 with the first event.
func (s eventHandlers) createEvent(c *gin.Context) error {
	var in service.EventInput
	if err := decode(c, &in); err != nil {
		return err
	}
	if k := c.GetHeader("Idempotency-Key"); in.IdempotencyKey == "" && k != "" {
		in.IdempotencyKey = k
	}
	res, err := s.svc.IngestEvent(c.Request.Context(), principal(c).OrgID, in)
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if res.Duplicate {
		status = http.StatusOK
	}
	c.JSON(status, viewEvent(res.Event, res.Deliveries))
	return nil
}

func (s eventHandlers) getEvent(c *gin.Context) error {
	ev, ds, err := s.svc.GetEvent(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewEvent(ev, ds))
	return nil
}

// eraseEvent answers 200 with the erased event (data {}, erased_at).
func (s eventHandlers) eraseEvent(c *gin.Context) error {
	ev, err := s.svc.EraseEvent(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"id": ev.ID, "type": ev.Type, "erased_at": ev.ErasedAt})
	return nil
}
