package appactions

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

var docIDs = []string{"referral_create", "sync_signups", "sync_email_optins", "sync_phone_optins",
	"sync_loyalty_actions", "sync_loyalty_tier_transitions", "unsubscribe", "offer_share", "send_reward",
	"create_coupon", "event", "referral_status_change", "click_reward_verification"}

func TestCatalogHasTheThirteenDocActions(t *testing.T) {
	all := All()
	if len(all) != len(docIDs) {
		t.Fatalf("catalog has %d actions, the doc %d", len(all), len(docIDs))
	}
	for i, id := range docIDs {
		a, ok := Lookup(id)
		if !ok || all[i] != a {
			t.Fatalf("%s missing or out of the doc's order", id)
		}
		if a.Name == "" || a.Description == "" || len(a.Variables) == 0 {
			t.Errorf("%s: incomplete entry", id)
		}
		vars := map[string]bool{}
		for _, v := range a.Variables {
			if v.Description == "" || v.Sample == nil {
				t.Errorf("%s: variable %s lacks a description or sample", id, v.Name)
			}
			vars[v.Name] = true
		}
		for _, f := range a.Payload {
			if !vars[f.Name] {
				t.Errorf("%s: default field %s is not an offered variable", id, f.Name)
			}
		}
	}
	if _, ok := Lookup("nope"); ok {
		t.Fatal("unknown action found")
	}
}

// docPayloadsFile holds the doc's 13 example payloads, copied verbatim.
func docPayloadsFile(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile("testdata/doc_payloads.json")
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// keysInOrder lists an object's keys as they appear in the text.
func keysInOrder(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	var keys []string
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestDefaultPayloadsRenderTheDocExamples(t *testing.T) {
	doc := docPayloadsFile(t)
	if len(doc) != len(docIDs) {
		t.Fatalf("testdata has %d payloads", len(doc))
	}
	for _, id := range docIDs {
		a, _ := Lookup(id)
		got, missing, err := RenderPayload(context.Background(), id, a.SampleVariables(), nil)
		if err != nil || len(missing) != 0 {
			t.Fatalf("%s: %v, missing %v", id, err, missing)
		}
		var gotV, wantV map[string]any
		if err := json.Unmarshal(got, &gotV); err != nil {
			t.Fatalf("%s: invalid JSON %s", id, got)
		}
		if err := json.Unmarshal(doc[id], &wantV); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotV, wantV) {
			t.Errorf("%s:\n got %s\nwant %s", id, got, doc[id])
		}
		if g, w := keysInOrder(t, got), keysInOrder(t, doc[id]); !reflect.DeepEqual(g, w) {
			t.Errorf("%s: key order %v, doc %v", id, g, w)
		}
		if !bytes.Equal(a.DefaultPayload(), got) {
			t.Errorf("%s: DefaultPayload %s differs from the rendered sample %s", id, a.DefaultPayload(), got)
		}
	}
}

func TestCatalogJSON(t *testing.T) {
	a, _ := Lookup("referral_create")
	raw, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		ID              string            `json:"id"`
		Description     string            `json:"description"`
		DefaultPayload  map[string]string `json:"default_payload"`
		PayloadTemplate map[string]string `json:"payload_template"`
		Variables       []Variable        `json:"variables"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != "referral_create" || got.Description == "" || got.DefaultPayload["campaign_id"] != "142" ||
		got.PayloadTemplate["campaign_id"] != "{{ campaign_id }}" || len(got.Variables) != len(a.Variables) {
		t.Fatalf("catalog entry %s", raw)
	}
}

func TestSampleVariablesNestDottedNames(t *testing.T) {
	a, _ := Lookup("referral_status_change")
	vars := a.SampleVariables()
	ref, ok := vars["referral"].(map[string]any)
	if !ok || ref["status"] != "in_progress" || vars["friend_email"] != "friend@example.com" {
		t.Fatalf("sample variables %v", vars)
	}
	s, _ := Lookup("send_reward")
	if s.SampleVariables()["click_reward_verified"] != true {
		t.Fatal("send_reward offers click_reward_verified")
	}
}
