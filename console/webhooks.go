package console

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard/catalog"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
)

// consoleSource marks endpoints created here, as integrations mark theirs
// (the service's list of sources has "dashboard" for this).
const consoleSource = "dashboard"

var signingSchemes = []string{models.SchemeHexHMAC, models.SchemeBase64HexHMAC, models.SchemeStandardWebhooks}

type webhookPage struct {
	Webhook    models.Webhook
	New        bool
	EventTypes []*catalog.EventType
	Schemes    []string
	Error      string
	// Secret is set only on the answer to an explicit Reveal or Rotate
	// post (or a scheme switch), never on a plain GET.
	Secret     string
	SecretNote string
	Test       *testOutcome
}

type testOutcome struct {
	EventType string
	Result    contracts.TestSendWorkflowResult
	Error     string
}

func (c *console) listWebhooks(w http.ResponseWriter, r *http.Request, s *session) error {
	ws, err := c.svc.Webhooks.ListWebhooks(r.Context(), s.OrgID)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "webhooks", s, ws)
	return nil
}

func (c *console) webhookPage(w http.ResponseWriter, r *http.Request, s *session, status int, p webhookPage) {
	p.EventTypes, p.Schemes = catalog.All(), signingSchemes
	c.render(w, r, status, "webhook", s, p)
}

func (c *console) newWebhook(w http.ResponseWriter, r *http.Request, s *session) error {
	c.webhookPage(w, r, s, http.StatusOK, webhookPage{New: true, Webhook: models.Webhook{
		Active: true, SigningScheme: models.SchemeHexHMAC, SignatureHeader: service.DefaultSignatureHeader}})
	return nil
}

// webhookInput reads the endpoint form; the returned webhook echoes what
// was typed when the form has to be shown again, and the error is a field
// the form could not read.
func webhookInput(r *http.Request) (service.WebhookInput, models.Webhook, error) {
	f := r.PostForm
	u, desc, scheme, header := strings.TrimSpace(f.Get("url")), f.Get("description"), f.Get("signing_scheme"), strings.TrimSpace(f.Get("signature_header"))
	types := f["event_type"]
	if types == nil {
		types = []string{} // "none ticked" must reach validation, not mean "unchanged"
	}
	fifo := f.Get("fifo") == "true"
	in := service.WebhookInput{URL: &u, Description: &desc, EventTypes: &types, SigningScheme: &scheme, FIFO: &fifo}
	if header != "" {
		in.SignatureHeader = &header
	}
	echo := models.Webhook{URL: u, Description: desc, EventTypes: types, SigningScheme: scheme, SignatureHeader: header, FIFO: fifo}
	// An empty rate field is "no limit"; the service checks the range.
	rate := 0.0
	if v := strings.TrimSpace(f.Get("rate_limit")); v != "" {
		var err error
		if rate, err = strconv.ParseFloat(v, 64); err != nil || math.IsNaN(rate) || math.IsInf(rate, 0) {
			return in, echo, models.Invalid("rate_limit", "must be a number of deliveries per second, or empty for no limit")
		}
	}
	in.RateLimit, echo.RateLimit = &rate, rate
	return in, echo, nil
}

func (c *console) createWebhook(w http.ResponseWriter, r *http.Request, s *session) error {
	in, echo, err := webhookInput(r)
	src := consoleSource
	in.Source = &src
	var wh models.Webhook
	if err == nil {
		wh, err = c.svc.Webhooks.CreateWebhook(r.Context(), s.OrgID, in)
	}
	if msg := userError(err); msg != "" {
		echo.Active = true
		c.webhookPage(w, r, s, http.StatusBadRequest, webhookPage{New: true, Webhook: echo, Error: msg})
		return nil
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/console/webhooks/"+url.PathEscape(wh.ID), "created")
}

func (c *console) editWebhook(w http.ResponseWriter, r *http.Request, s *session) error {
	wh, err := c.svc.Webhooks.GetWebhook(r.Context(), s.OrgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	c.webhookPage(w, r, s, http.StatusOK, webhookPage{Webhook: wh})
	return nil
}

func (c *console) updateWebhook(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	in, echo, err := webhookInput(r)
	var (
		wh        models.Webhook
		newSecret bool
	)
	if err == nil {
		wh, newSecret, err = c.svc.Webhooks.UpdateWebhook(r.Context(), s.OrgID, id, in)
	}
	if msg := userError(err); msg != "" {
		cur, gerr := c.svc.Webhooks.GetWebhook(r.Context(), s.OrgID, id)
		if gerr != nil {
			return gerr
		}
		echo.ID, echo.Active, echo.Source, echo.CreatedAt, echo.UpdatedAt = cur.ID, cur.Active, cur.Source, cur.CreatedAt, cur.UpdatedAt
		c.webhookPage(w, r, s, http.StatusBadRequest, webhookPage{Webhook: echo, Error: msg})
		return nil
	}
	if err != nil {
		return err
	}
	if !newSecret {
		return redirect(w, r, "/console/webhooks/"+url.PathEscape(id), "saved")
	}
	// Switching to or from Standard Webhooks issued a secret of the new
	// format: show it on this answer, like the API does.
	secret, err := wh.Secret.Reveal()
	if err != nil {
		return err
	}
	c.webhookPage(w, r, s, http.StatusOK, webhookPage{Webhook: wh, Secret: secret,
		SecretNote: "The signing scheme changed, so the endpoint has a new secret in the new format."})
	return nil
}

func (c *console) toggleWebhook(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	active := r.PostFormValue("active") == "true"
	if _, _, err := c.svc.Webhooks.UpdateWebhook(r.Context(), s.OrgID, id, service.WebhookInput{Active: &active}); err != nil {
		return err
	}
	done, back := "deactivated", "/console/webhooks"
	if active {
		done = "activated"
	}
	if r.PostFormValue("back") == "edit" {
		back += "/" + url.PathEscape(id)
	}
	return redirect(w, r, back, done)
}

func (c *console) revealWebhookSecret(w http.ResponseWriter, r *http.Request, s *session) error {
	wh, err := c.svc.Webhooks.GetWebhook(r.Context(), s.OrgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	secret, err := wh.Secret.Reveal()
	if err != nil {
		return err
	}
	c.webhookPage(w, r, s, http.StatusOK, webhookPage{Webhook: wh, Secret: secret})
	return nil
}

func (c *console) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, s *session) error {
	wh, err := c.svc.Webhooks.RotateWebhookSecret(r.Context(), s.OrgID, r.PathValue("id"), 0)
	if err != nil {
		return err
	}
	secret, err := wh.Secret.Reveal()
	if err != nil {
		return err
	}
	c.webhookPage(w, r, s, http.StatusOK, webhookPage{Webhook: wh, Secret: secret,
		SecretNote: "The secret was rotated: deliveries are signed with this one from now on, and the old one no longer verifies."})
	return nil
}

// testWebhook sends the event type's sample through the TestSend workflow
// and shows the outcome beside that event type.
func (c *console) testWebhook(w http.ResponseWriter, r *http.Request, s *session) error {
	id, typ := r.PathValue("id"), r.PostFormValue("event_type")
	res, err := c.svc.Webhooks.TestWebhook(r.Context(), s.OrgID, id, typ)
	out := &testOutcome{EventType: typ, Result: res, Error: userError(err)}
	if err != nil && out.Error == "" {
		return err
	}
	wh, err := c.svc.Webhooks.GetWebhook(r.Context(), s.OrgID, id)
	if err != nil {
		return err
	}
	c.webhookPage(w, r, s, http.StatusOK, webhookPage{Webhook: wh, Test: out})
	return nil
}

func (c *console) deleteWebhook(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.svc.Webhooks.DeleteWebhook(r.Context(), s.OrgID, r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, "/console/webhooks", "deleted")
}
