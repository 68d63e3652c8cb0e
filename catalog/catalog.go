// Package catalog lists the event types endpoints can subscribe to, each with
// a description, a JSON Schema for its data and a sample payload that the
// Test button sends.
package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// EventType describes one event type.
type EventType struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Schema      json.RawMessage `json:"schema"`
	Sample      json.RawMessage `json:"sample"`
	// Operational types are emitted by the platform only (operational.go).
	Operational bool `json:"operational,omitempty"`

	compiled *jsonschema.Schema
}

// The schemas require the identifying fields and allow extra ones, so
// senders can add data without a schema change.
var types = []*EventType{
	{
		Name:        "contact.created",
		Description: "A new contact is created.",
		Schema: schema(`"contact"`, `"contact": {"type": "object", "required": ["id"], "properties": {
			"id": {"type": "string", "minLength": 1}, "email": {"type": "string"}, "name": {"type": "string"},
			"phone": {"type": "string"}, "created_at": {"type": "string"}}}`),
		Sample: raw(`{"contact": {"id": "ct_sample", "email": "alice@example.com", "name": "Alice Johnson", "created_at": "2026-01-15T10:00:00Z"}}`),
	},
	{
		Name:        "message.created",
		Description: "A new message is created (visitor, AI, or human agent).",
		Schema: schema(`"message"`, `"message": {"type": "object", "required": ["id", "conversation_id", "role", "text"], "properties": {
			"id": {"type": "string", "minLength": 1}, "conversation_id": {"type": "string", "minLength": 1},
			"role": {"enum": ["visitor", "ai", "agent"]}, "text": {"type": "string"}, "created_at": {"type": "string"}}}`),
		Sample: raw(`{"message": {"id": "msg_sample", "conversation_id": "conv_sample", "role": "visitor", "text": "Hi, I need help with my order", "created_at": "2026-01-15T10:00:00Z"}}`),
	},
	{
		Name:        "contact.lead.updated",
		Description: "A contact with a lead role is updated (e.g., submitted the qualification form).",
		Schema: schema(`"contact"`, `"contact": {"type": "object", "required": ["id"], "properties": {
			"id": {"type": "string", "minLength": 1}, "email": {"type": "string"}, "name": {"type": "string"},
			"role": {"const": "lead"}, "fields": {"type": "object"}}}`),
		Sample: raw(`{"contact": {"id": "ct_sample", "email": "lead@example.com", "name": "Bob Lead", "role": "lead", "fields": {"company": "Acme Inc", "budget": "10k"}}}`),
	},
	{
		Name:        "conversation.created",
		Description: "A new conversation is created.",
		Schema: schema(`"conversation"`, `"conversation": {"type": "object", "required": ["id"], "properties": {
			"id": {"type": "string", "minLength": 1}, "contact_id": {"type": "string"}, "channel": {"type": "string"},
			"created_at": {"type": "string"}}}`),
		Sample: raw(`{"conversation": {"id": "conv_sample", "contact_id": "ct_sample", "channel": "widget", "created_at": "2026-01-15T10:00:00Z"}}`),
	},
	{
		Name:        "takeover.request",
		Description: "A visitor requested to speak with a human agent.",
		Schema: schema(`"conversation_id"`, `"conversation_id": {"type": "string", "minLength": 1},
			"contact_id": {"type": "string"}, "reason": {"type": "string"}`),
		Sample: raw(`{"conversation_id": "conv_sample", "contact_id": "ct_sample", "reason": "Visitor asked for a human"}`),
	},
}

var byName = map[string]*EventType{}

func init() {
	types = append(types, operational...)
	c := jsonschema.NewCompiler()
	for _, t := range types {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(t.Schema))
		if err != nil {
			panic(fmt.Sprintf("catalog: schema of %s: %v", t.Name, err))
		}
		url := "mem://" + t.Name + ".json"
		if err := c.AddResource(url, doc); err != nil {
			panic(err)
		}
		if t.compiled, err = c.Compile(url); err != nil {
			panic(fmt.Sprintf("catalog: compile %s: %v", t.Name, err))
		}
		if err := t.Validate(t.Sample); err != nil {
			panic(fmt.Sprintf("catalog: sample of %s fails its schema: %v", t.Name, err))
		}
		byName[t.Name] = t
	}
}

// All returns the catalog sorted by name.
func All() []*EventType {
	out := append([]*EventType(nil), types...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup finds a type by name.
func Lookup(name string) (*EventType, bool) {
	t, ok := byName[name]
	return t, ok
}

// Validate checks data against the type's schema and returns a message that
// is safe to show to the client.
func (t *EventType) Validate(data json.RawMessage) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("data is not valid JSON")
	}
	if err := t.compiled.Validate(v); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return fmt.Errorf("%s (the %s schema)", firstLeaf(ve), t.Name)
		}
		return fmt.Errorf("data does not match the %s schema", t.Name)
	}
	return nil
}

func schema(required, properties string) json.RawMessage {
	return raw(`{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
		"required": [` + required + `], "properties": {` + properties + `}}`)
}

func raw(s string) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
