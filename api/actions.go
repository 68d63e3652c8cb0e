package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/appactions"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
)

// actionHandlers serve the sending of Custom App actions.
type actionHandlers struct{ svc *service.Actions }

// sendAction answers 202: the action and one delivery per app it goes to
// are stored and under way. A repeated idempotency key answers 200 with
// the first action and sends nothing.
func (s actionHandlers) sendAction(c *gin.Context) error {
	var in service.ActionInput
	if err := decode(c, &in); err != nil {
		return err
	}
	if k := c.GetHeader("Idempotency-Key"); in.IdempotencyKey == "" && k != "" {
		in.IdempotencyKey = k
	}
	res, err := s.svc.IngestAction(c.Request.Context(), principal(c).OrgID, c.Param("action"), in)
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if res.Duplicate {
		status = http.StatusOK
	}
	c.JSON(status, viewAction(res.Event, res.Deliveries))
	return nil
}

// actionView is a sent action: the event it is stored as, seen as an
// action. Its deliveries carry app_id; GET /v1/events/{id} shows the same
// row as an event of type "action.<id>".
type actionView struct {
	ID             string         `json:"id"`
	Action         string         `json:"action"`
	Variables      any            `json:"variables"`
	IdempotencyKey *string        `json:"idempotency_key,omitempty"`
	CreatedAt      time.Time      `json:"created_at"`
	Deliveries     []deliveryView `json:"deliveries"`
}

func viewAction(e models.Event, ds []models.Delivery) actionView {
	id, _ := appactions.ActionOf(e.Type)
	v := actionView{ID: e.ID, Action: id, Variables: e.Data, IdempotencyKey: e.IdempotencyKey, CreatedAt: e.CreatedAt, Deliveries: []deliveryView{}}
	for _, d := range ds {
		v.Deliveries = append(v.Deliveries, viewDelivery(d))
	}
	return v
}
