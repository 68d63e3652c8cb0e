// Package api is Switchboard's REST API on Gin. Handlers decode the request,
// call one service method and encode the answer; errors go through one
// middleware that maps domain errors to the JSON error body.
package api

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/switchboardhq/switchboard/config"
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
type handler func(c *gin.Context) error

type route struct {
	method string
	path   string
	access access
	h      handler
}

// routes is the whole API surface in one table. Each route binds a method
// of its domain's handler group; the table is built from s so the bound
// groups are the server's own.
func (s *Server) routes() []route {
	return []route{
		{http.MethodGet, "/healthz", open, s.org.health},
		{http.MethodGet, "/openapi.json", open, serveOpenAPI},
		{http.MethodGet, "/docs", open, serveDocs},
		{http.MethodGet, "/v1/event-types", admin, s.webhooks.listEventTypes},

		{http.MethodPost, "/v1/webhooks", admin, s.webhooks.createWebhook},
		{http.MethodGet, "/v1/webhooks", admin, s.webhooks.listWebhooks},
		{http.MethodGet, "/v1/webhooks/:id", admin, s.webhooks.getWebhook},
		{http.MethodPatch, "/v1/webhooks/:id", admin, s.webhooks.updateWebhook},
		{http.MethodDelete, "/v1/webhooks/:id", admin, s.webhooks.deleteWebhook},
		{http.MethodGet, "/v1/webhooks/:id/secret", admin, s.webhooks.getWebhookSecret},
		{http.MethodPost, "/v1/webhooks/:id/secret/rotate", admin, s.webhooks.rotateWebhookSecret},
		{http.MethodPost, "/v1/webhooks/:id/test", admin, s.webhooks.testWebhook},
		{http.MethodPost, "/v1/webhooks/:id/enable", admin, s.webhooks.enableWebhook},

		{http.MethodPost, "/v1/events", admin, s.events.createEvent},
		{http.MethodGet, "/v1/events/:id", admin, s.events.getEvent},
		{http.MethodDelete, "/v1/events/:id", admin, s.events.eraseEvent},

		{http.MethodGet, "/v1/deliveries", admin, s.deliveries.listDeliveries},
		{http.MethodGet, "/v1/deliveries/:id", admin, s.deliveries.getDelivery},
		{http.MethodGet, "/v1/deliveries/:id/history", admin, s.deliveries.deliveryHistory},
		{http.MethodPost, "/v1/deliveries/:id/retry", admin, s.deliveries.retryDelivery},
		{http.MethodPost, "/v1/deliveries/:id/cancel", admin, s.deliveries.cancelDelivery},
		{http.MethodPost, "/v1/deliveries/:id/replay", admin, s.replays.replayDelivery},
		{http.MethodPost, "/v1/events/:id/replay", admin, s.replays.replayEvent},
		{http.MethodPost, "/v1/replays", admin, s.replays.createReplay},
		{http.MethodGet, "/v1/replays/:id", admin, s.replays.getReplay},
		{http.MethodPost, "/v1/replays/:id/pause", admin, s.replays.pauseReplay()},
		{http.MethodPost, "/v1/replays/:id/resume", admin, s.replays.resumeReplay()},
		{http.MethodPost, "/v1/replays/:id/cancel", admin, s.replays.cancelReplay()},

		{http.MethodPut, "/v1/backend-connect", admin, s.backendConnect.putBackendConnect},
		{http.MethodGet, "/v1/backend-connect", admin, s.backendConnect.getBackendConnect},
		{http.MethodPost, "/v1/backend-connect/secret/rotate", admin, s.backendConnect.rotateBackendConnectSecret},

		// The widget access level authenticates with the public key plus
		// X-Switchboard-Org, enforces the org's CORS origins and answers
		// the browser's preflight. A secret key is accepted there too
		// (requirePublicKey), for server-side widgets and back-office
		// imports: it is strictly more privileged than the public key, and
		// the org header must still match it.
		{http.MethodPost, "/v1/widget/messages", widget, s.widget.postWidgetMessage},
		{http.MethodPost, "/v1/widget/files", widget, s.widget.uploadFile},
		{http.MethodGet, "/v1/widget/conversations/:id/events", widget, s.widget.conversationEvents},
		// A signed link: the signature is the credential (the chat backend
		// holds no key of ours).
		{http.MethodGet, "/v1/files/:id", open, s.widget.downloadFile},

		{http.MethodPut, "/v1/chat-backend", admin, s.chatBackend.putChatBackend},
		{http.MethodGet, "/v1/chat-backend", admin, s.chatBackend.getChatBackend},
		{http.MethodPost, "/v1/chat-backend/secret/rotate", admin, s.chatBackend.rotateChatBackendSecret},
		{http.MethodPost, "/v1/chat-backend/test", admin, s.chatBackend.testChatBackend},
		{http.MethodGet, "/v1/conversations/:id/messages", admin, s.chats.listMessages},
		{http.MethodPost, "/v1/conversations/:id/messages", admin, s.chats.postMessage},

		{http.MethodGet, "/v1/org", admin, s.org.getOrg},
		{http.MethodPatch, "/v1/org", admin, s.org.updateOrg},

		{http.MethodGet, "/v1/conversations/:id/customer", admin, s.conversations.getCustomer},
		{http.MethodGet, "/v1/conversations/:id/customer/events", admin, s.conversations.customerEvents},
		{http.MethodPost, "/v1/conversations/:id/customer/refresh", admin, s.conversations.refreshCustomer},
		{http.MethodGet, "/v1/conversations/:id/lookups", admin, s.conversations.listLookups},
		{http.MethodGet, "/v1/lookups/:id", admin, s.conversations.getLookup},
		{http.MethodGet, "/v1/lookups/:id/history", admin, s.conversations.lookupHistory},

		{http.MethodPost, "/v1/apps", admin, s.apps.createApp},
		{http.MethodGet, "/v1/apps", admin, s.apps.listApps},
		{http.MethodGet, "/v1/apps/actions", admin, s.apps.listActions},
		{http.MethodGet, "/v1/apps/:id", admin, s.apps.getApp},
		{http.MethodPatch, "/v1/apps/:id", admin, s.apps.updateApp},
		{http.MethodDelete, "/v1/apps/:id", admin, s.apps.deleteApp},
		{http.MethodGet, "/v1/apps/:id/secret", admin, s.apps.getAppSecret},
		{http.MethodPost, "/v1/apps/:id/secret/rotate", admin, s.apps.rotateAppSecret},
		{http.MethodGet, "/v1/egress-ips", admin, s.apps.egressIPs},

		{http.MethodPost, "/v1/actions/:action", admin, s.actions.sendAction},
		{http.MethodPost, "/v1/apps/:id/actions/:action/sample", admin, s.appSync.sendSample},
		{http.MethodPost, "/v1/rewards/verify-click", admin, s.appSync.verifyClick},
		{http.MethodGet, "/v1/rewards/verifications/:id", admin, s.appSync.getVerification},
		{http.MethodGet, "/v1/rewards/verifications/:id/history", admin, s.appSync.verificationHistory},
	}
}

// Server holds one handler group per domain; each group holds only its
// domain's service.
type Server struct {
	org            orgHandlers
	webhooks       webhookHandlers
	events         eventHandlers
	deliveries     deliveryHandlers
	backendConnect backendConnectHandlers
	widget         widgetHandlers
	conversations  conversationHandlers
	apps           appHandlers
	actions        actionHandlers
	appSync        appSyncHandlers
	chatBackend    chatBackendHandlers
	chats          chatHandlers
	replays        replayHandlers
}

// Settings are the API's own config section.
type Settings struct {
	MaxBodyBytes   int64 // largest accepted request body
	MaxUploadBytes int64 // largest accepted upload (POST /v1/widget/files)
	// Widget rate limits (requests per second and burst): per client IP
	// on every widget route, per conversation on messages and uploads.
	PerIP, PerConversation Limit
	// TrustedProxies may name the client in X-Forwarded-For; none by
	// default, so a client cannot pick its own rate-limit key.
	TrustedProxies []string
}

// Limit is a token bucket's rate (per second; 0: unlimited) and burst.
type Limit struct {
	Rate  float64
	Burst int
}

// SettingsFrom picks the API's section out of cfg.
func SettingsFrom(cfg config.Config) Settings {
	return Settings{MaxBodyBytes: cfg.MaxBodyBytes, MaxUploadBytes: cfg.UploadMaxBytes,
		PerIP:           Limit{cfg.WidgetRatePerIP, cfg.WidgetBurstPerIP},
		PerConversation: Limit{cfg.WidgetRatePerConv, cfg.WidgetBurstPerConv},
		TrustedProxies:  cfg.TrustedProxies}
}

// New builds the Gin engine with every route.
func New(svc *service.Services, set Settings, log *slog.Logger) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{
		org:            orgHandlers{svc: svc.Orgs},
		webhooks:       webhookHandlers{svc: svc.Webhooks},
		events:         eventHandlers{svc: svc.Events},
		deliveries:     deliveryHandlers{svc: svc.Deliveries},
		backendConnect: backendConnectHandlers{svc: svc.BackendConnect},
		widget:         widgetHandlers{svc: svc.Widget, files: svc.Files, perConv: newLimiter(set.PerConversation)},
		conversations:  conversationHandlers{svc: svc.Conversations, log: log},
		apps:           appHandlers{svc: svc.Apps},
		actions:        actionHandlers{svc: svc.Actions},
		appSync:        appSyncHandlers{svc: svc.AppSync},
		chatBackend:    chatBackendHandlers{svc: svc.ChatBackend},
		chats:          chatHandlers{svc: svc.Chats},
		replays:        replayHandlers{svc: svc.Replays},
	}
	r := gin.New()
	// Only listed proxies may say who the client is (rate-limit keys).
	_ = r.SetTrustedProxies(set.TrustedProxies) // config.Validate checked the list
	perIP := limitPerIP(newLimiter(set.PerIP))
	r.Use(gin.Recovery(), tracing(), metricsMiddleware(), errorMiddleware(log), textGuard, bodyDeadline,
		bodyLimit(set.MaxBodyBytes, map[string]int64{"/v1/widget/files": set.MaxUploadBytes + 64<<10}))
	r.HandleMethodNotAllowed = true
	r.NoRoute(func(c *gin.Context) {
		_ = c.Error(&Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such route"})
	})
	r.NoMethod(func(c *gin.Context) {
		_ = c.Error(&Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "method not allowed on this route"})
	})
	r.GET("/metrics", gin.WrapH(promhttp.Handler()))
	for _, rt := range s.routes() {
		chain := []gin.HandlerFunc{}
		switch rt.access {
		case admin:
			chain = append(chain, s.org.requireSecretKey)
		case widget:
			chain = append(chain, perIP, s.org.requirePublicKey, widgetOrigin)
			// Browsers send a preflight before a cross-origin JSON POST.
			r.OPTIONS(rt.path, widgetPreflight)
		}
		h := rt.h
		chain = append(chain, func(c *gin.Context) {
			if err := h(c); err != nil {
				_ = c.Error(err)
			}
		})
		r.Handle(rt.method, rt.path, chain...)
	}
	return r
}
