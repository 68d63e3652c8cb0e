package service

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/models"
)

// appActionIDs are the 13 Custom App actions of seed 001, in the doc's
// order. This is the only copy in the service; the action catalog package
// (descriptions, default payloads, variables) will own the list, and
// validActionID is the one place that reads it.
var appActionIDs = []string{
	"referral_create", "sync_signups", "sync_email_optins", "sync_phone_optins",
	"sync_loyalty_actions", "sync_loyalty_tier_transitions", "unsubscribe", "offer_share",
	"send_reward", "create_coupon", "event", "referral_status_change", "click_reward_verification",
}

func validActionID(id string) bool { return slices.Contains(appActionIDs, id) }

// Bounds of an action's settings: they keep a row, and the rendering at
// send time, small.
const (
	maxAttributesPerAction = 50
	maxAttributeNameLen    = 100
	maxTemplateLen         = 10000 // characters of an attribute value or criteria
)

// AppActionInput is one action's settings as a client sends them; Enabled
// defaults to true, so listing an action turns it on.
type AppActionInput struct {
	Enabled    *bool             `json:"enabled"`
	Attributes map[string]string `json:"attributes"`
	Criteria   *string           `json:"criteria"`
}

// UnmarshalJSON refuses unknown fields inside an action, as decode does at
// the top level: a misspelt "enabeld" must not silently leave an action on.
func (a *AppActionInput) UnmarshalJSON(b []byte) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil || keys == nil {
		return models.Invalid("actions", "each action must be an object {enabled, attributes, criteria}")
	}
	for k := range keys {
		if k != "enabled" && k != "attributes" && k != "criteria" {
			return &models.ValidationError{Code: "unknown_field", Field: "actions",
				Message: "unknown field " + quote(k) + " in an action; an action has enabled, attributes and criteria"}
		}
	}
	type plain AppActionInput // without this method, so no recursion
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return models.Invalid("actions", "an action's enabled must be a boolean, attributes an object of strings, criteria a string")
	}
	*a = AppActionInput(p)
	return nil
}

// validActions checks and converts the actions of a create or patch.
func validActions(in map[string]AppActionInput) (map[string]models.AppAction, error) {
	out := make(map[string]models.AppAction, len(in))
	for id, a := range in {
		field := "actions/" + id
		if !validActionID(id) {
			return nil, models.Invalid("actions", "unknown action "+quote(id)+"; the actions are "+strings.Join(appActionIDs, ", "))
		}
		act := models.AppAction{Enabled: a.Enabled == nil || *a.Enabled, Attributes: map[string]string{}}
		if len(a.Attributes) > maxAttributesPerAction {
			return nil, models.Invalid(field+"/attributes", "must have at most 50 attributes")
		}
		for name, src := range a.Attributes {
			if n := utf8.RuneCountInString(name); n == 0 || n > maxAttributeNameLen || strings.TrimSpace(name) == "" {
				return nil, models.Invalid(field+"/attributes", "attribute names must be 1 to 100 characters, not blank")
			}
			if err := validTemplate(field+"/attributes/"+name, src); err != nil {
				return nil, err
			}
			act.Attributes[name] = src
		}
		if a.Criteria != nil {
			if err := validTemplate(field+"/criteria", *a.Criteria); err != nil {
				return nil, err
			}
			act.Criteria = *a.Criteria
		}
		out[id] = act
	}
	return out, nil
}

// validTemplate checks an attribute value or criteria at save time. The
// Liquid package's validation (syntax, unknown filters, refused tags, with
// line and column) belongs here; the length cap is the part that does not
// depend on it.
func validTemplate(field, src string) error {
	if utf8.RuneCountInString(src) > maxTemplateLen {
		return models.Invalid(field, "must be at most 10000 characters")
	}
	return nil
}
