package console

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/live"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
	"github.com/switchboardhq/switchboard/store"
)

// The Tickets page lists the latest conversations (flagged for a human
// first) and opens one by its ID.

type ticketsPage struct {
	ID      string
	Error   string
	Tickets []store.TicketRow
}

func (c *console) ticketsPage(w http.ResponseWriter, r *http.Request, s *session) error {
	id := strings.TrimSpace(r.URL.Query().Get("id"))
	if id == "" {
		rows, err := c.svc.Chats.ListTickets(r.Context(), s.OrgID)
		if err != nil {
			return err
		}
		c.render(w, r, http.StatusOK, "tickets", s, ticketsPage{Tickets: rows})
		return nil
	}
	_, err := c.svc.Conversations.GetCustomer(r.Context(), s.OrgID, id)
	if err == nil {
		http.Redirect(w, r, "/console/tickets/"+url.PathEscape(id), http.StatusSeeOther)
		return nil
	}
	if userError(err) == "" && !isNotFound(err) {
		return err
	}
	c.render(w, r, http.StatusNotFound, "tickets", s, ticketsPage{ID: id, Error: "There is no conversation with that ID in this org."})
	return nil
}

type ticketPage struct {
	T        service.Transcript
	Customer models.CustomerProfile
	Lookups  []models.Lookup
	Error    string
}

func (c *console) ticketPage(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.showTicket(w, r, s, http.StatusOK, "")
}

func (c *console) showTicket(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) error {
	ctx, id := r.Context(), r.PathValue("id")
	t, err := c.svc.Chats.GetTranscript(ctx, s.OrgID, id)
	if err != nil {
		return err
	}
	p := ticketPage{T: t, Error: msg}
	if p.Customer, err = c.svc.Conversations.GetCustomer(ctx, s.OrgID, id); err != nil {
		return err
	}
	if p.Lookups, err = c.svc.Conversations.ListLookups(ctx, s.OrgID, id); err != nil {
		return err
	}
	c.render(w, r, status, "ticket", s, p)
	return nil
}

// sseKeepalive is how often an idle card stream writes a comment (so
// proxies keep it open) and re-checks that its session still exists.
var sseKeepalive = 15 * time.Second

// customerEvents streams the customer card as Server-Sent Events: the
// rendered card (event "card") at once and again whenever a lookup
// changes it. It follows api's customerEvents: subscribe before the first
// read, re-read on every tick as a safety net, send only what changed,
// end on shutdown. It also ends when the session is signed out or
// expires; the browser's reconnect then gets a 401 and stops.
func (c *console) customerEvents(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx, id := r.Context(), r.PathValue("id")
	notify, cancel := c.svc.Conversations.SubscribeCustomer(id)
	defer cancel()
	p, err := c.svc.Conversations.GetCustomer(ctx, s.OrgID, id)
	if err != nil {
		return err
	}
	rc := live.StartStream(w)
	if c.writeCard(w, rc, p) != nil {
		return nil
	}
	last, lastStatus := p.UpdatedAt, p.Status
	tick := time.NewTicker(sseKeepalive)
	defer tick.Stop()
	expiry := time.NewTimer(time.Until(s.ExpiresAt))
	defer expiry.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.svc.Conversations.ShuttingDown():
			return nil
		case <-expiry.C:
			return nil
		case <-notify:
		case <-tick.C:
			if cur, _, err := c.loadSession(r); err != nil || cur == nil {
				return nil
			}
			if live.Keepalive(w, rc) != nil {
				return nil
			}
		}
		p, err := c.svc.Conversations.GetCustomer(ctx, s.OrgID, id)
		if err != nil {
			if ctx.Err() == nil {
				c.log.Warn("console card stream: reading the profile failed", "conversation", id, "err", err)
			}
			continue
		}
		if p.UpdatedAt.Equal(last) && p.Status == lastStatus {
			continue
		}
		last, lastStatus = p.UpdatedAt, p.Status
		if c.writeCard(w, rc, p) != nil {
			return nil
		}
	}
}

// writeCard sends the card as rendered HTML, one data line per line.
func (c *console) writeCard(w http.ResponseWriter, rc *http.ResponseController, p models.CustomerProfile) error {
	var b bytes.Buffer
	if err := c.pages["ticket"].ExecuteTemplate(&b, "customer_card", p); err != nil {
		c.log.Error("console: render card failed", "err", err)
		return err
	}
	var out strings.Builder
	out.WriteString("event: card\n")
	for _, line := range strings.Split(strings.ReplaceAll(b.String(), "\r", ""), "\n") {
		out.WriteString("data: " + line + "\n")
	}
	out.WriteString("\n")
	if _, err := io.WriteString(w, out.String()); err != nil {
		return err
	}
	return rc.Flush()
}

// refreshCustomer runs a lookup now. The page's script posts it with
// fetch and lets the stream update the card; without script the form
// posts and the page comes back.
func (c *console) refreshCustomer(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	_, err := c.svc.Conversations.RefreshCustomer(r.Context(), s.OrgID, id)
	msg := userError(err)
	if err != nil && msg == "" && !isNotFound(err) {
		c.log.Warn("console: refresh failed", "conversation", id, "err", err)
		msg = "The refresh could not run. Try again in a few seconds."
	}
	if r.Header.Get(csrfHeader) != "" {
		status := http.StatusOK
		switch {
		case isNotFound(err):
			status, msg = http.StatusNotFound, "There is no such conversation in this org."
		case err != nil:
			status = http.StatusConflict
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		return json.NewEncoder(w).Encode(map[string]string{"error": msg})
	}
	if isNotFound(err) {
		return err
	}
	if msg != "" {
		return c.showTicket(w, r, s, http.StatusConflict, msg)
	}
	return redirect(w, r, "/console/tickets/"+url.PathEscape(id), "")
}

// postMessage sends an operator message into the conversation.
func (c *console) postMessage(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	_, err := c.svc.Chats.PostConversationMessage(r.Context(), s.OrgID, id, service.ConversationMessageInput{Text: r.PostFormValue("text")})
	if msg := userError(err); msg != "" {
		return c.showTicket(w, r, s, http.StatusBadRequest, msg)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/console/tickets/"+url.PathEscape(id), "sent")
}
