package api

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
)

// conversationHandlers serve the operator's customer card, its live
// stream and the lookups behind it.
type conversationHandlers struct {
	svc *service.Conversations
	log *slog.Logger
}

// customerView is the operator panel's customer card. Profile is null until
// a lookup has succeeded once; after a failed refresh it keeps the last good
// data while Status and Error describe the failure.
type customerView struct {
	ConversationID string           `json:"conversation_id"`
	VisitorID      string           `json:"visitor_id,omitempty"`
	Status         string           `json:"status"`
	Profile        *customerProfile `json:"profile"`
	FetchedAt      *time.Time       `json:"fetched_at"`
	Error          string           `json:"error,omitempty"`
	UpdatedAt      time.Time        `json:"updated_at"`
}

type customerProfile struct {
	Name   string         `json:"name,omitempty"`
	Email  string         `json:"email,omitempty"`
	Plan   string         `json:"plan,omitempty"`
	Fields map[string]any `json:"fields,omitempty"`
}

func viewCustomer(p models.CustomerProfile) customerView {
	v := customerView{
		ConversationID: p.ConversationID, VisitorID: p.VisitorID, Status: string(p.Status),
		FetchedAt: p.FetchedAt, Error: p.Error, UpdatedAt: p.UpdatedAt,
	}
	if p.FetchedAt != nil {
		v.Profile = &customerProfile{Name: p.Name, Email: p.Email, Plan: p.Plan, Fields: p.Fields}
	}
	return v
}

type lookupView struct {
	ID             string     `json:"id"`
	ConversationID string     `json:"conversation_id"`
	Trigger        string     `json:"trigger"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	Error          string     `json:"error,omitempty"`
	CompletedAt    *time.Time `json:"completed_at,omitempty"`
	WorkflowID     string     `json:"workflow_id"`
	CreatedAt      time.Time  `json:"created_at"`
}

func viewLookup(l models.Lookup) lookupView {
	return lookupView{
		ID: l.ID, ConversationID: l.ConversationID, Trigger: l.Trigger, Status: string(l.Status), Attempts: l.Attempts,
		Error: l.Error, CompletedAt: l.CompletedAt, WorkflowID: contracts.LookupWorkflowID(l.ID), CreatedAt: l.CreatedAt,
	}
}

func (s conversationHandlers) getCustomer(c *gin.Context) error {
	p, err := s.svc.GetCustomer(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewCustomer(p))
	return nil
}

// sseKeepalive is how often an idle event stream sends a comment line, so
// proxies keep it open and a dead client is noticed.
var sseKeepalive = 15 * time.Second

// customerEvents streams the customer card as Server-Sent Events: the
// current card at once (event "profile"), then again the moment a lookup
// finishes, with a keepalive comment every 15 s.
//
// The push comes from the live hub's profile topic, which hears lookups
// finished by this process's worker directly and those finished by other
// processes through PostgreSQL notifications (store.Listen). As a safety
// net for a listener that is reconnecting, each keepalive tick also
// re-reads the profile and sends it when it changed.
//
// The stream ends when the server shuts down (ShuttingDown): an open stream
// would otherwise hold http.Server.Shutdown until its deadline. Browsers'
// EventSource reconnects by itself.
func (s conversationHandlers) customerEvents(c *gin.Context) error {
	ctx := c.Request.Context()
	orgID, id := principal(c).OrgID, c.Param("id")
	// Subscribe before the first read so a lookup finishing in between is
	// not missed.
	notify, cancel := s.svc.SubscribeCustomer(id)
	defer cancel()
	p, err := s.svc.GetCustomer(ctx, orgID, id)
	if err != nil {
		return err // nothing written yet: a normal JSON error
	}
	startStream(c)
	if writeProfile(c, p) != nil {
		return nil
	}
	// Notifications may repeat (this process's hub and the PostgreSQL echo
	// of the same change), so only a profile that differs from the last one
	// sent is sent again.
	last, lastStatus := p.UpdatedAt, p.Status
	tick := time.NewTicker(sseKeepalive)
	defer tick.Stop()
	for awaitStream(c, notify, tick.C, s.svc.ShuttingDown()) {
		p, err := s.svc.GetCustomer(ctx, orgID, id)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("customer event stream: reading the profile failed", "conversation", id, "err", err)
			}
			continue // try again on the next tick
		}
		if p.UpdatedAt.Equal(last) && p.Status == lastStatus {
			continue
		}
		last, lastStatus = p.UpdatedAt, p.Status
		if writeProfile(c, p) != nil {
			return nil
		}
	}
	return nil
}

func writeProfile(c *gin.Context, p models.CustomerProfile) error {
	data, err := json.Marshal(viewCustomer(p))
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(c.Writer, "event: profile\ndata: %s\n\n", data); err != nil {
		return err
	}
	c.Writer.Flush()
	return nil
}

// refreshCustomer runs a lookup now and answers with its outcome: 200 with
// the card (status ok and the fresh profile, or status failed with the
// error and the last good profile) and the lookup.
func (s conversationHandlers) refreshCustomer(c *gin.Context) error {
	res, err := s.svc.RefreshCustomer(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	v := viewCustomer(res.Profile)
	c.JSON(http.StatusOK, gin.H{
		"conversation_id": v.ConversationID, "visitor_id": v.VisitorID, "status": v.Status,
		"profile": v.Profile, "fetched_at": v.FetchedAt, "error": v.Error, "updated_at": v.UpdatedAt,
		"lookup": viewLookup(res.Lookup),
	})
	return nil
}

func (s conversationHandlers) listLookups(c *gin.Context) error {
	ls, err := s.svc.ListLookups(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	out := make([]lookupView, len(ls))
	for i, l := range ls {
		out[i] = viewLookup(l)
	}
	c.JSON(http.StatusOK, gin.H{"data": out})
	return nil
}

func (s conversationHandlers) getLookup(c *gin.Context) error {
	l, attempts, err := s.svc.GetLookup(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"lookup": viewLookup(l), "attempts": viewAttempts(attempts)})
	return nil
}

func (s conversationHandlers) lookupHistory(c *gin.Context) error {
	return writeHistory(c, s.svc.LookupHistory, contracts.LookupWorkflowID)
}
