package service

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/workflows"
)

// Widget message limits.
const (
	maxMessageText = 10000
	maxVisitorID   = 200 // the column size
	maxCORSOrigins = 50
)

// Message senders and ticket statuses.
const (
	SenderVisitor    = "visitor"
	TicketStatusOpen = "open"
)

// WidgetMessageInput is one message posted by the chat widget. Without a
// conversation ID it opens a new conversation (and ticket); VisitorID is the
// customer's own user identifier (e.g. their logged-in user's ID) and only
// counts on that first message: a conversation's visitor never changes.
type WidgetMessageInput struct {
	ConversationID string `json:"conversation_id"`
	VisitorID      string `json:"visitor_id"`
	Text           string `json:"text"`
}

// WidgetMessageResult is what the widget learns. LookupID is set when the
// message opened a conversation whose customer lookup was started.
type WidgetMessageResult struct {
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id"`
	TicketID       string `json:"ticket_id,omitempty"`
	LookupID       string `json:"lookup_id,omitempty"`
	Created        bool   `json:"-"`
}

// PostWidgetMessage stores a visitor's message. The first message of a
// conversation creates it with its ticket and, when it carries a visitor ID
// and Backend Connect is enabled, starts a customer lookup without waiting
// for it: the operator's panel fills in when the lookup finishes. Later
// messages never start a lookup.
func (s *Service) PostWidgetMessage(ctx context.Context, orgID string, in WidgetMessageInput) (WidgetMessageResult, error) {
	if strings.TrimSpace(in.Text) == "" {
		return WidgetMessageResult{}, models.Invalid("text", "is required")
	}
	if utf8.RuneCountInString(in.Text) > maxMessageText || !utf8.ValidString(in.Text) || strings.ContainsRune(in.Text, 0) {
		return WidgetMessageResult{}, models.Invalid("text", "must be valid text of at most 10000 characters")
	}
	if len(in.VisitorID) > maxVisitorID || !utf8.ValidString(in.VisitorID) || strings.ContainsRune(in.VisitorID, 0) {
		return WidgetMessageResult{}, models.Invalid("visitor_id", "must be valid text of at most 200 bytes")
	}
	now := store.Now()
	msg := &models.Message{ID: models.NewID("msg"), OrgID: orgID, Sender: SenderVisitor, Text: in.Text, CreatedAt: now}

	if in.ConversationID != "" {
		// A later message: never a lookup, whatever it carries.
		msg.ConversationID = in.ConversationID
		if err := s.Store.AddMessage(ctx, msg); err != nil {
			return WidgetMessageResult{}, err
		}
		return WidgetMessageResult{ConversationID: in.ConversationID, MessageID: msg.ID}, nil
	}

	conv := &models.Conversation{ID: models.NewID("conv"), OrgID: orgID, VisitorID: in.VisitorID, CreatedAt: now}
	ticket := &models.Ticket{ID: models.NewID("tkt"), OrgID: orgID, ConversationID: conv.ID, Status: TicketStatusOpen, CreatedAt: now}
	msg.ConversationID = conv.ID
	profile := &models.CustomerProfile{ConversationID: conv.ID, OrgID: orgID, VisitorID: in.VisitorID, Status: models.ProfileSkipped}
	var lookup *models.Lookup
	if in.VisitorID == "" {
		profile.Error = "the conversation has no visitor ID"
	} else {
		_, why, err := s.backendConnectActive(ctx, orgID)
		if err != nil {
			return WidgetMessageResult{}, err
		}
		if why != "" {
			profile.Error = why
		} else {
			profile.Status = models.ProfilePending
			lookup = &models.Lookup{
				ID: models.NewID("lkp"), OrgID: orgID, ConversationID: conv.ID,
				Trigger: models.TriggerFirstMessage, Status: models.LookupPending, CreatedAt: now,
			}
		}
	}
	if err := s.Store.CreateConversationWithMessage(ctx, conv, ticket, msg, profile, lookup); err != nil {
		return WidgetMessageResult{}, err
	}
	res := WidgetMessageResult{ConversationID: conv.ID, MessageID: msg.ID, TicketID: ticket.ID, Created: true}
	if lookup != nil {
		res.LookupID = lookup.ID
		// The message is committed whatever happens to the start; the
		// visitor must never wait for, or fail because of, the lookup.
		// The start is one RPC (the first workflow task is handed to this
		// process's worker by eager start); the result is not awaited.
		if _, err := s.startLookup(context.WithoutCancel(ctx), *lookup); err != nil {
			s.failUnstartedLookup(ctx, *lookup, err)
		}
	}
	return res, nil
}

// startLookup starts the Lookup workflow with eager start, so with the
// worker in this process the first local-activity attempt runs without a
// matching-service round trip.
func (s *Service) startLookup(ctx context.Context, l models.Lookup) (client.WorkflowRun, error) {
	ctx, cancel := withDeadline(ctx, 10*time.Second)
	defer cancel()
	return s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:               workflows.LookupID(l.ID),
		TaskQueue:        s.Cfg.TaskQueue,
		EnableEagerStart: true,
		// A lookup ID runs once; the sweeper may try again, never twice.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		// An existing run is an error (*serviceerror.WorkflowExecutionAlreadyStarted),
		// not a run handed back as if it had just started.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.AttrOrg.ValueSet(l.OrgID), workflows.AttrStatus.ValueSet(string(models.LookupPending))),
	}, workflows.Lookup, workflows.LookupInput{LookupID: l.ID, AttemptTimeout: s.Cfg.LookupTimeout})
}

// failUnstartedLookup finishes a lookup whose workflow could not be
// started, so the operator's panel shows "failed" (and offers Refresh)
// instead of staying pending for ever.
func (s *Service) failUnstartedLookup(ctx context.Context, l models.Lookup, startErr error) {
	s.Log.Warn("customer lookup could not start", "lookup", l.ID, "err", startErr)
	ctx, cancel := withDeadline(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.Store.FinishLookup(ctx, l.ID, nil, models.LookupFailed, "the lookup could not be started; use Refresh to try again"); err != nil {
		s.Log.Error("could not record the lookup's failure", "lookup", l.ID, "err", err)
		return
	}
	s.ProfileChanged(l.OrgID, l.ConversationID)
}

// GetOrg loads the caller's org.
func (s *Service) GetOrg(ctx context.Context, orgID string) (models.Org, error) {
	return s.Store.GetOrg(ctx, orgID)
}

// OrgInput patches the org; nil fields are left alone.
type OrgInput struct {
	CORSOrigins *[]string `json:"cors_origins"`
}

// UpdateOrg applies a patch: today only the widget's CORS origins.
func (s *Service) UpdateOrg(ctx context.Context, orgID string, in OrgInput) (models.Org, error) {
	if in.CORSOrigins != nil {
		origins, err := validOrigins(*in.CORSOrigins)
		if err != nil {
			return models.Org{}, err
		}
		if err := s.Store.SetOrgCORSOrigins(ctx, orgID, origins); err != nil {
			return models.Org{}, err
		}
	}
	return s.Store.GetOrg(ctx, orgID)
}

// validOrigins accepts "*" or browser origins: scheme://host[:port] with
// http or https and nothing else (no path, not even "/", no query, no
// credentials), because the browser's Origin header is compared verbatim.
func validOrigins(in []string) ([]string, error) {
	if len(in) > maxCORSOrigins {
		return nil, models.Invalid("cors_origins", "must list at most 50 origins")
	}
	out := []string{}
	for _, o := range in {
		if o != "*" && !validOrigin(o) {
			return nil, models.Invalid("cors_origins", quote(o)+` is not "*" or an origin such as https://app.example.com`)
		}
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out, nil
}

func validOrigin(o string) bool {
	if len(o) > 300 {
		return false
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return false
	}
	if u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || strings.HasSuffix(o, "?") || strings.HasSuffix(o, "#") {
		return false
	}
	if u.Port() == "" && strings.HasSuffix(u.Host, ":") {
		return false
	}
	// Browsers send lowercase scheme and host.
	return o == strings.ToLower(u.Scheme)+"://"+strings.ToLower(u.Host)
}
