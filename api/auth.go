package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
)

const principalKey = "principal"

// Widget requests name their org in this header beside the public key, so
// the key alone never has to identify the tenant.
const (
	HeaderWidgetOrg = "X-Switchboard-Org"
	HeaderWidgetKey = "X-Switchboard-Key"
	// HeaderConversationToken carries a conversation's token (issue 8).
	HeaderConversationToken = "X-Switchboard-Conversation-Token"
)

func bearer(c *gin.Context) string {
	h := c.GetHeader("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// requireSecretKey admits only the org's secret key. A public widget key is
// valid but not enough: 403, so the caller learns which key to use.
func (s orgHandlers) requireSecretKey(c *gin.Context) {
	p, err := s.svc.Authenticate(c.Request.Context(), bearer(c))
	if err == nil && p.KeyKind != models.KeyKindSecret {
		err = models.ErrForbidden
	}
	if err != nil {
		_ = c.Error(err)
		c.Abort()
		return
	}
	c.Set(principalKey, p)
}

// requirePublicKey admits the org's public key sent with the org ID; a
// secret key is accepted too (server-side widgets).
func (s orgHandlers) requirePublicKey(c *gin.Context) {
	// Said before the key is checked: "invalid API key" would send a
	// widget developer hunting for a key problem they do not have.
	if c.GetHeader(HeaderWidgetOrg) == "" {
		_ = c.Error(&Error{Status: http.StatusUnauthorized, Code: "missing_org", Message: "the " + HeaderWidgetOrg + " header is required: it names the org the widget key belongs to"})
		c.Abort()
		return
	}
	key := c.GetHeader(HeaderWidgetKey)
	if key == "" {
		key = bearer(c)
	}
	p, err := s.svc.Authenticate(c.Request.Context(), key)
	if err == nil && p.OrgID != c.GetHeader(HeaderWidgetOrg) {
		err = models.ErrUnauthorized
	}
	if err != nil {
		_ = c.Error(err)
		c.Abort()
		return
	}
	c.Set(principalKey, p)
}

// widgetPreflight answers a CORS preflight. A preflight carries no custom
// headers, so the org is unknown here and any origin may proceed to the
// real request, where widgetOrigin enforces the org's list.
func widgetPreflight(c *gin.Context) {
	if origin := c.GetHeader("Origin"); origin != "" {
		c.Header("Vary", "Origin")
		c.Header("Access-Control-Allow-Origin", origin)
		c.Header("Access-Control-Allow-Headers", "Content-Type, "+HeaderWidgetOrg+", "+HeaderWidgetKey+", "+HeaderConversationToken)
		c.Header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		c.Header("Access-Control-Max-Age", "600")
	}
	c.AbortWithStatus(http.StatusNoContent)
}

// widgetOrigin runs after authentication: a browser request from an origin
// the org did not list is refused before it has any effect (a CORS header
// alone would only hide the answer, not stop the side effect).
func widgetOrigin(c *gin.Context) {
	origin := c.GetHeader("Origin")
	if origin == "" {
		return // not a browser cross-origin request
	}
	allowed := principal(c).CORSOrigins
	if sameOrigin(c.Request, origin) {
		return // a page this server served (the /demo page): not cross-origin
	}
	if !slices.Contains(allowed, "*") && !slices.Contains(allowed, origin) {
		_ = c.Error(&Error{Status: http.StatusForbidden, Code: "origin_not_allowed", Message: "this origin is not allowed for the org's widget"})
		c.Abort()
		return
	}
	c.Header("Vary", "Origin")
	c.Header("Access-Control-Allow-Origin", origin)
}

func principal(c *gin.Context) service.Principal {
	return c.MustGet(principalKey).(service.Principal)
}

// sameOrigin reports an Origin that names this request's own host: the
// browser sends Origin on same-origin POSTs too, and a page this server
// served (the widget demo) must not need its own origin listed.
func sameOrigin(r *http.Request, origin string) bool {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return r.Host != "" && origin == scheme+"://"+r.Host
}
