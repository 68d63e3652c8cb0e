package appactions

import (
	"context"
	"encoding/json"
	"time"

	"github.com/switchboardhq/switchboard/liquidsandbox"
)

// docPayloads are the default payloads rendered on the sample variables,
// computed once at start-up (the doc's examples; see the tests). The
// renderer used here has a long deadline because it runs once, at init,
// possibly on a busy machine, and a failure is a programming error.
var docPayloads = func() map[string]json.RawMessage {
	r := NewRenderer(liquidsandbox.Limits{RenderTimeout: time.Minute}, 0)
	out := make(map[string]json.RawMessage, len(actions))
	for _, a := range actions {
		p, _, err := r.SamplePayload(context.Background(), a.ID, nil)
		if err != nil {
			panic("appactions: sample payload of " + a.ID + ": " + err.Error())
		}
		out[a.ID] = p
	}
	return out
}()

// DefaultPayload is the action's default payload on its sample variables:
// the doc's example payload.
func (a *Action) DefaultPayload() json.RawMessage { return docPayloads[a.ID] }

// MarshalJSON is the catalog entry as GET /v1/apps/actions answers it.
func (a *Action) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID              string          `json:"id"`
		Name            string          `json:"name"`
		Description     string          `json:"description"`
		DefaultPayload  json.RawMessage `json:"default_payload"`
		PayloadTemplate json.RawMessage `json:"payload_template"`
		Variables       []Variable      `json:"variables"`
	}{a.ID, a.Name, a.Description, a.DefaultPayload(), a.PayloadTemplate(), a.Variables})
}
