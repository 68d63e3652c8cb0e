package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
)

// deliveryHandlers serve the delivery log.
type deliveryHandlers struct{ svc *service.Deliveries }

func (s deliveryHandlers) listDeliveries(c *gin.Context) error {
	f := service.DeliveryFilter{
		OrgID: principal(c).OrgID, WebhookID: c.Query("webhook_id"), AppID: c.Query("app_id"), EventType: c.Query("event_type"),
		Status: models.DeliveryStatus(c.Query("status")), Cursor: c.Query("cursor"),
	}
	var err error
	if f.Since, err = queryTime(c, "since"); err != nil {
		return err
	}
	if f.Until, err = queryTime(c, "until"); err != nil {
		return err
	}
	if v := c.Query("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 200 {
			return models.Invalid("limit", "must be an integer from 1 to 200")
		}
	}
	ds, next, err := s.svc.ListDeliveries(c.Request.Context(), f)
	if err != nil {
		return err
	}
	out := make([]deliveryView, len(ds))
	for i, d := range ds {
		out[i] = viewDelivery(d)
	}
	c.JSON(http.StatusOK, gin.H{"data": out, "next_cursor": next})
	return nil
}

func queryTime(c *gin.Context, name string) (time.Time, error) {
	v := c.Query(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, models.Invalid(name, "must be an RFC 3339 time")
	}
	return t, nil
}

func (s deliveryHandlers) getDelivery(c *gin.Context) error {
	d, attempts, err := s.svc.GetDelivery(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"delivery": viewDelivery(d), "attempts": viewAttempts(attempts)})
	return nil
}

func (s deliveryHandlers) deliveryHistory(c *gin.Context) error {
	return writeHistory(c, s.svc.DeliveryHistory, contracts.DeliveryWorkflowID)
}

func (s deliveryHandlers) retryDelivery(c *gin.Context) error {
	d, err := s.svc.RetryDelivery(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, viewDelivery(d))
	return nil
}

func (s deliveryHandlers) cancelDelivery(c *gin.Context) error {
	if err := s.svc.CancelDelivery(c.Request.Context(), principal(c).OrgID, c.Param("id")); err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, gin.H{"status": "cancelling"})
	return nil
}
