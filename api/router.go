// Package api is Switchboard's REST API on Gin. Handlers decode the request,
// call one service method and encode the answer; errors go through one
// middleware that maps domain errors to the JSON error body.
package api

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/switchboardhq/switchboard/service"
)

// access says which credential a route needs.
type access int

const (
	open   access = iota // no credential
	admin                // the org's secret key
	widget               // the org's public widget key (browser-safe)
)

// handler is a route body; a returned error becomes the JSON error answer.
type handler func(s *Server, c *gin.Context) error

type route struct {
	method string
	path   string
	access access
	h      handler
}

// routes is the whole API surface in one table.
var routes = []route{
	{http.MethodGet, "/healthz", open, (*Server).health},
	{http.MethodGet, "/v1/event-types", admin, (*Server).listEventTypes},

	{http.MethodPost, "/v1/webhooks", admin, (*Server).createWebhook},
	{http.MethodGet, "/v1/webhooks", admin, (*Server).listWebhooks},
	{http.MethodGet, "/v1/webhooks/:id", admin, (*Server).getWebhook},
	{http.MethodPatch, "/v1/webhooks/:id", admin, (*Server).updateWebhook},
	{http.MethodDelete, "/v1/webhooks/:id", admin, (*Server).deleteWebhook},
	{http.MethodGet, "/v1/webhooks/:id/secret", admin, (*Server).getWebhookSecret},
	{http.MethodPost, "/v1/webhooks/:id/secret/rotate", admin, (*Server).rotateWebhookSecret},
	{http.MethodPost, "/v1/webhooks/:id/test", admin, (*Server).testWebhook},

	{http.MethodPost, "/v1/events", admin, (*Server).createEvent},
	{http.MethodGet, "/v1/events/:id", admin, (*Server).getEvent},

	{http.MethodGet, "/v1/deliveries", admin, (*Server).listDeliveries},
	{http.MethodGet, "/v1/deliveries/:id", admin, (*Server).getDelivery},
	{http.MethodGet, "/v1/deliveries/:id/history", admin, (*Server).deliveryHistory},
	{http.MethodPost, "/v1/deliveries/:id/retry", admin, (*Server).retryDelivery},
	{http.MethodPost, "/v1/deliveries/:id/cancel", admin, (*Server).cancelDelivery},

	{http.MethodPut, "/v1/backend-connect", admin, (*Server).putBackendConnect},
	{http.MethodGet, "/v1/backend-connect", admin, (*Server).getBackendConnect},
	{http.MethodPost, "/v1/backend-connect/secret/rotate", admin, (*Server).rotateBackendConnectSecret},

	// The widget access level authenticates with the public key plus
	// X-Switchboard-Org, enforces the org's CORS origins and answers
	// the browser's preflight. A secret key is accepted there too
	// (requirePublicKey), for server-side widgets and back-office
	// imports: it is strictly more privileged than the public key, and
	// the org header must still match it.
	{http.MethodPost, "/v1/widget/messages", widget, (*Server).postWidgetMessage},

	{http.MethodGet, "/v1/org", admin, (*Server).getOrg},
	{http.MethodPatch, "/v1/org", admin, (*Server).updateOrg},

	{http.MethodGet, "/v1/conversations/:id/customer", admin, (*Server).getCustomer},
	{http.MethodGet, "/v1/conversations/:id/customer/events", admin, (*Server).customerEvents},
	{http.MethodPost, "/v1/conversations/:id/customer/refresh", admin, (*Server).refreshCustomer},
	{http.MethodGet, "/v1/conversations/:id/lookups", admin, (*Server).listLookups},
	{http.MethodGet, "/v1/lookups/:id", admin, (*Server).getLookup},
	{http.MethodGet, "/v1/lookups/:id/history", admin, (*Server).lookupHistory},
}

// Server holds what handlers need.
type Server struct {
	svc *service.Service
	log *slog.Logger
}

// New builds the Gin engine with every route.
func New(svc *service.Service, log *slog.Logger) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{svc: svc, log: log}
	r := gin.New()
	r.Use(gin.Recovery(), metricsMiddleware(), errorMiddleware(log), textGuard, bodyDeadline, bodyLimit(svc.Cfg.MaxBodyBytes))
	r.HandleMethodNotAllowed = true
	r.NoRoute(func(c *gin.Context) {
		_ = c.Error(&Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such route"})
	})
	r.NoMethod(func(c *gin.Context) {
		_ = c.Error(&Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "method not allowed on this route"})
	})
	r.GET("/metrics", gin.WrapH(promhttp.Handler()))
	for _, rt := range routes {
		chain := []gin.HandlerFunc{}
		switch rt.access {
		case admin:
			chain = append(chain, s.requireSecretKey)
		case widget:
			chain = append(chain, s.requirePublicKey, s.widgetOrigin)
			// Browsers send a preflight before a cross-origin JSON POST.
			r.OPTIONS(rt.path, s.widgetPreflight)
		}
		h := rt.h
		chain = append(chain, func(c *gin.Context) {
			if err := h(s, c); err != nil {
				_ = c.Error(err)
			}
		})
		r.Handle(rt.method, rt.path, chain...)
	}
	return r
}

func (s *Server) health(c *gin.Context) error {
	if err := s.svc.Ping(c.Request.Context()); err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
	return nil
}
