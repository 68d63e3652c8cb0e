package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/service"
)

// widgetHandlers serve the chat widget (public key, CORS-checked).
type widgetHandlers struct{ svc *service.Widget }

// postWidgetMessage answers 201: the message is stored. A customer lookup
// it starts runs in the background; the answer never waits for it.
func (s widgetHandlers) postWidgetMessage(c *gin.Context) error {
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
