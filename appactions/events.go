package appactions

import (
	"bytes"
	"encoding/json"
	"strings"
)

// EventTypePrefix starts the event type under which a sent action is
// stored: the action referral_create becomes an event of type
// "action.referral_create" whose data are the action's variables. The
// prefix keeps actions apart from the event catalog's types, so an event
// type can never be mistaken for an action and the delivery log can filter
// either.
const EventTypePrefix = "action."

// EventType is the stored event type of action id.
func EventType(id string) string { return EventTypePrefix + id }

// ActionOf returns the action id of an action event type.
func ActionOf(eventType string) (string, bool) {
	id, ok := strings.CutPrefix(eventType, EventTypePrefix)
	return id, ok && id != ""
}

// DecodeVariables decodes an action's variables (a JSON object) for the
// renderer: integers become int64 (an ID like 9007199254740993 renders as
// sent, which float64 would round), other numbers float64, so Liquid
// compares them as numbers. A JSON value that is not an object is an error.
func DecodeVariables(data json.RawMessage) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var vars map[string]any
	if err := dec.Decode(&vars); err != nil {
		return nil, err
	}
	if vars == nil {
		vars = map[string]any{}
	}
	for k, v := range vars {
		vars[k] = numbers(v)
	}
	return vars, nil
}

func numbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		f, _ := t.Float64() // the API refuses numbers beyond float64
		return f
	case map[string]any:
		for k, e := range t {
			t[k] = numbers(e)
		}
	case []any:
		for i, e := range t {
			t[i] = numbers(e)
		}
	}
	return v
}
