package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard/appactions"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
)

type appPage struct {
	App     models.App
	New     bool
	Actions []*appactions.Action
	Error   string
	// Secret is set only on the answer to the Reveal post.
	Secret string
	Sample *sampleOutcome
}

type sampleOutcome struct {
	Action string
	Result contracts.AppSampleResult
	Error  string
}

func (c *console) listApps(w http.ResponseWriter, r *http.Request, s *session) error {
	as, err := c.svc.Apps.ListApps(r.Context(), s.OrgID)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "apps", s, as)
	return nil
}

func (c *console) appPage(w http.ResponseWriter, r *http.Request, s *session, status int, p appPage) {
	p.Actions = appactions.All()
	if p.App.Actions == nil {
		p.App.Actions = map[string]models.AppAction{}
	}
	c.render(w, r, status, "app", s, p)
}

func (c *console) newApp(w http.ResponseWriter, r *http.Request, s *session) error {
	c.appPage(w, r, s, http.StatusOK, appPage{New: true, App: models.App{Enabled: true,
		SignatureHeader: models.DefaultAppSignatureHeader, TimeoutMS: models.DefaultAppTimeoutMS}})
	return nil
}

// appInput reads the app form. Each catalog action has an enabled box,
// attribute rows (name and Liquid value, paired by position; a row
// without a name is ignored) and criteria. An action goes into the app's
// action set when it is enabled or has settings, so turning an action off
// keeps its attributes for later.
func appInput(r *http.Request) (service.AppInput, models.App, string) {
	f := r.PostForm
	echo := models.App{Name: f.Get("name"), URL: strings.TrimSpace(f.Get("url")), Enabled: checked(r, "enabled"),
		SignatureHeader: strings.TrimSpace(f.Get("signature_header")), Actions: map[string]models.AppAction{}}
	actions := map[string]service.AppActionInput{}
	for _, a := range appactions.All() {
		on := checked(r, "action."+a.ID+".enabled")
		names, values := f["attr."+a.ID+".name"], f["attr."+a.ID+".value"]
		attrs := map[string]string{}
		for i, n := range names {
			if n = strings.TrimSpace(n); n != "" && i < len(values) {
				attrs[n] = values[i]
			}
		}
		crit := f.Get("action." + a.ID + ".criteria")
		if !on && len(attrs) == 0 && strings.TrimSpace(crit) == "" {
			continue
		}
		actions[a.ID] = service.AppActionInput{Enabled: &on, Attributes: attrs, Criteria: &crit}
		echo.Actions[a.ID] = models.AppAction{Enabled: on, Attributes: attrs, Criteria: crit}
	}
	in := service.AppInput{Name: &echo.Name, URL: &echo.URL, Enabled: &echo.Enabled, Actions: &actions}
	if echo.SignatureHeader != "" {
		in.SignatureHeader = &echo.SignatureHeader
	}
	if v := strings.TrimSpace(f.Get("timeout_ms")); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil {
			return in, echo, "timeout_ms: must be a whole number of milliseconds"
		}
		in.TimeoutMS, echo.TimeoutMS = &ms, ms
	}
	return in, echo, ""
}

func (c *console) createApp(w http.ResponseWriter, r *http.Request, s *session) error {
	in, echo, msg := appInput(r)
	var a models.App
	if msg == "" {
		var err error
		a, err = c.svc.Apps.CreateApp(r.Context(), s.OrgID, in)
		if msg = userError(err); msg == "" && err != nil {
			return err
		}
	}
	if msg != "" {
		c.appPage(w, r, s, http.StatusBadRequest, appPage{New: true, App: echo, Error: msg})
		return nil
	}
	return redirect(w, r, "/console/apps/"+url.PathEscape(a.ID), "created")
}

func (c *console) editApp(w http.ResponseWriter, r *http.Request, s *session) error {
	a, err := c.svc.Apps.GetApp(r.Context(), s.OrgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	c.appPage(w, r, s, http.StatusOK, appPage{App: a})
	return nil
}

func (c *console) updateApp(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	cur, err := c.svc.Apps.GetApp(r.Context(), s.OrgID, id)
	if err != nil {
		return err
	}
	in, echo, msg := appInput(r)
	if msg == "" {
		_, err = c.svc.Apps.UpdateApp(r.Context(), s.OrgID, id, in)
		if msg = userError(err); msg == "" && err != nil {
			return err
		}
	}
	if msg != "" {
		echo.ID, echo.CreatedAt, echo.UpdatedAt = cur.ID, cur.CreatedAt, cur.UpdatedAt
		c.appPage(w, r, s, http.StatusBadRequest, appPage{App: echo, Error: msg})
		return nil
	}
	return redirect(w, r, "/console/apps/"+url.PathEscape(id), "saved")
}

func (c *console) revealAppSecret(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	secret, err := c.svc.Apps.AppSecret(r.Context(), s.OrgID, id)
	if err != nil {
		return err
	}
	a, err := c.svc.Apps.GetApp(r.Context(), s.OrgID, id)
	if err != nil {
		return err
	}
	c.appPage(w, r, s, http.StatusOK, appPage{App: a, Secret: secret})
	return nil
}

// sendSample sends an action's sample payload (with the app's custom
// attributes) and shows what was sent and what came back.
func (c *console) sendSample(w http.ResponseWriter, r *http.Request, s *session) error {
	id, action := r.PathValue("id"), r.PostFormValue("action")
	res, err := c.svc.AppSync.SendSample(r.Context(), s.OrgID, id, action)
	out := &sampleOutcome{Action: action, Result: res, Error: userError(err)}
	if err != nil && out.Error == "" {
		return err
	}
	a, err := c.svc.Apps.GetApp(r.Context(), s.OrgID, id)
	if err != nil {
		return err
	}
	c.appPage(w, r, s, http.StatusOK, appPage{App: a, Sample: out})
	return nil
}

func (c *console) deleteApp(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.svc.Apps.DeleteApp(r.Context(), s.OrgID, r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, "/console/apps", "deleted")
}
