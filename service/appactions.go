package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/appactions"
	"github.com/switchboardhq/switchboard/liquidsandbox"
	"github.com/switchboardhq/switchboard/models"
)

// appActionIDs lists the catalog's action ids, in the doc's order, for
// error messages; the catalog (package appactions) owns the actions.
func appActionIDs() []string {
	ids := make([]string, 0, len(appactions.All()))
	for _, a := range appactions.All() {
		ids = append(ids, a.ID)
	}
	return ids
}

func validActionID(id string) bool {
	_, ok := appactions.Lookup(id)
	return ok
}

// Actions is the catalog behind "Show available variables": every action
// with its description, default payload and variables with sample values.
func (s *Apps) Actions() []*appactions.Action { return appactions.All() }

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
func validActions(ctx context.Context, in map[string]AppActionInput) (map[string]models.AppAction, error) {
	out := make(map[string]models.AppAction, len(in))
	for id, a := range in {
		field := "actions/" + id
		if !validActionID(id) {
			return nil, models.Invalid("actions", "unknown action "+quote(id)+"; the actions are "+strings.Join(appActionIDs(), ", "))
		}
		act := models.AppAction{Enabled: a.Enabled == nil || *a.Enabled, Attributes: map[string]string{}}
		if len(a.Attributes) > appactions.MaxAttributes {
			return nil, models.Invalid(field+"/attributes", fmt.Sprintf("must have at most %d attributes", appactions.MaxAttributes))
		}
		for name, src := range a.Attributes {
			if n := utf8.RuneCountInString(name); n == 0 || n > appactions.MaxAttributeNameLen || strings.TrimSpace(name) == "" {
				return nil, models.Invalid(field+"/attributes", fmt.Sprintf("attribute names must be 1 to %d characters, not blank", appactions.MaxAttributeNameLen))
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
		if err := validLiquid(ctx, id, act); err != nil {
			return nil, err
		}
		out[id] = act
	}
	return out, nil
}

// validLiquid compiles an action's attributes and criteria in the sandbox
// at save time, so a syntax error, an unknown filter or a refused tag (for,
// include, render, ...) is reported now, with line and column, instead of
// failing every send.
func validLiquid(ctx context.Context, id string, act models.AppAction) error {
	err := appactions.Validate(ctx, id, act.Attributes, act.Criteria)
	var te *liquidsandbox.TemplateError
	if errors.As(err, &te) {
		// TemplateError's text is written by the sandbox for clients; it
		// never carries the library's own error text.
		field := "actions/" + id + "/" + strings.ReplaceAll(te.Field, ".", "/")
		msg := te.Message
		if te.Line > 0 {
			msg = fmt.Sprintf("line %d, column %d: %s", te.Line, te.Column, te.Message)
		}
		return &models.ValidationError{Code: "invalid_template", Field: field, Message: msg}
	}
	if err != nil {
		return models.Invalid("actions/"+id, "the action's settings are not valid")
	}
	return nil
}

// validTemplate checks the length of an attribute value or criteria before
// it is compiled.
func validTemplate(field, src string) error {
	// The sandbox's own source limit, checked before compiling anything.
	if max := liquidsandbox.DefaultLimits.MaxTemplateBytes; len(src) > max {
		return models.Invalid(field, fmt.Sprintf("must be at most %d bytes", max))
	}
	return nil
}
