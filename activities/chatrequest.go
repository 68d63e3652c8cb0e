package activities

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound"
	"github.com/switchboardhq/switchboard/outbound/signing"
)

// chatRequest is the body POSTed to the chat backend (issue 8).
type chatRequest struct {
	Message      chatRequestMessage `json:"message"`
	Conversation chatRequestConv    `json:"conversation"`
	Sender       chatRequestSender  `json:"sender"`
	Metadata     chatMetadata       `json:"metadata"`
}

type chatRequestMessage struct {
	ID          string           `json:"id"`
	Text        string           `json:"text"`
	Attachments []chatAttachment `json:"attachments"`
}

type chatAttachment struct {
	URL         string `json:"url"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

type chatRequestConv struct {
	ID        string          `json:"id"`
	VisitorID string          `json:"visitor_id"`
	Context   json.RawMessage `json:"context"`
}

type chatRequestSender struct {
	VisitorID string       `json:"visitor_id"`
	Profile   *chatProfile `json:"profile"`
}

type chatProfile struct {
	Name   string         `json:"name,omitempty"`
	Email  string         `json:"email,omitempty"`
	Plan   string         `json:"plan,omitempty"`
	Fields map[string]any `json:"fields,omitempty"`
}

type chatMetadata struct {
	PageURL   string `json:"page_url"`
	Locale    string `json:"locale"`
	UserAgent string `json:"user_agent"`
}

// chatBody builds the request for a visitor message: its attachments as
// short-lived signed URLs, the Backend Connect profile when there is one,
// and the context the backend returned last turn.
func (a *Activities) chatBody(ctx context.Context, conv models.Conversation, msg models.Message, convContext string) ([]byte, error) {
	req := chatRequest{
		Message:      chatRequestMessage{ID: msg.ID, Text: msg.Text, Attachments: []chatAttachment{}},
		Conversation: chatRequestConv{ID: conv.ID, VisitorID: conv.VisitorID, Context: json.RawMessage("null")},
		Sender:       chatRequestSender{VisitorID: conv.VisitorID},
		Metadata:     chatMetadata{PageURL: msg.Metadata["page_url"], Locale: msg.Metadata["locale"], UserAgent: msg.Metadata["user_agent"]},
	}
	if convContext != "" && json.Valid([]byte(convContext)) {
		req.Conversation.Context = json.RawMessage(convContext)
	}
	if len(msg.Attachments) > 0 {
		files, err := a.Store.FilesByIDs(ctx, conv.ID, msg.Attachments)
		if err != nil {
			return nil, fmt.Errorf("load attachments: %w", err)
		}
		for _, f := range files {
			req.Message.Attachments = append(req.Message.Attachments, chatAttachment{
				URL: a.FileURL(f.ID), Name: f.Name, ContentType: f.ContentType, Size: f.Size,
			})
		}
	}
	p, err := a.Store.GetCustomerProfile(ctx, conv.OrgID, conv.ID)
	switch {
	case err == nil && p.FetchedAt != nil:
		req.Sender.Profile = &chatProfile{Name: p.Name, Email: p.Email, Plan: p.Plan, Fields: p.Fields}
	case err != nil && !errors.Is(err, models.ErrNotFound):
		return nil, fmt.Errorf("load profile: %w", err)
	}
	return json.Marshal(req)
}

// chatTarget is the backend with its auth header and signing secret,
// opened only here, inside the activity, so neither reaches history.
func chatTarget(cfg models.ChatBackend) (outbound.Target, error) {
	t := outbound.Target{URL: cfg.URL}
	if cfg.Signing {
		secret, err := cfg.Secret.Reveal()
		if err != nil {
			return t, fmt.Errorf("open the chat backend secret: %w", err)
		}
		t.SigningScheme, t.Secrets = signing.HexHMAC, []string{secret}
		t.SignatureHeader = orDefault(cfg.SignatureHeader, models.DefaultChatSignatureHeader)
	}
	if cfg.AuthType == models.ChatAuthNone || cfg.AuthType == "" {
		return t, nil
	}
	token, err := cfg.AuthToken.Reveal()
	if err != nil {
		return t, fmt.Errorf("open the chat backend auth token: %w", err)
	}
	switch cfg.AuthType {
	case models.ChatAuthBearer:
		t.AuthHeader, t.AuthValue = orDefault(cfg.AuthHeader, "Authorization"), "Bearer "+token
	case models.ChatAuthAPIKey:
		t.AuthHeader, t.AuthValue = orDefault(cfg.AuthHeader, "X-API-Key"), token
	case models.ChatAuthBasic:
		// The token is "user:password", as curl -u takes it.
		t.AuthHeader, t.AuthValue = orDefault(cfg.AuthHeader, "Authorization"), "Basic "+base64.StdEncoding.EncodeToString([]byte(token))
	}
	return t, nil
}
