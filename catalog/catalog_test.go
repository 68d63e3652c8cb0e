package catalog

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCatalogHasTheDocumentedTypes(t *testing.T) {
	for _, name := range []string{"contact.created", "message.created", "contact.lead.updated", "conversation.created", "takeover.request"} {
		typ, ok := Lookup(name)
		if !ok {
			t.Fatalf("catalog lacks %s", name)
		}
		if typ.Description == "" || !json.Valid(typ.Schema) || typ.Validate(typ.Sample) != nil {
			t.Errorf("%s: incomplete entry", name)
		}
	}
	if _, ok := Lookup("nope.created"); ok {
		t.Fatal("unknown type found")
	}
}

func TestValidateNamesTheFailingField(t *testing.T) {
	typ, _ := Lookup("message.created")
	err := typ.Validate(json.RawMessage(`{"message": {"id": "m1", "conversation_id": "c1", "role": "robot", "text": "x"}}`))
	if err == nil || !strings.HasPrefix(err.Error(), "data/message/role: ") {
		t.Fatalf("want an error naming data/message/role, got %v", err)
	}
	ct, _ := Lookup("contact.created")
	err = ct.Validate(json.RawMessage(`{"contact": {"email": "a@example.com"}}`))
	if err == nil || !strings.HasPrefix(err.Error(), `data/contact: missing property 'id'`) {
		t.Fatalf("want data/contact: missing property 'id', got %v", err)
	}
	if strings.Contains(err.Error(), "&{") {
		t.Fatalf("error prints a Go struct: %v", err)
	}
	if err := typ.Validate(json.RawMessage(`[1,2]`)); err == nil {
		t.Fatal("an array passed an object schema")
	}
	if err := typ.Validate(json.RawMessage(`{`)); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Fatalf("malformed JSON: got %v", err)
	}
}

// The operational types are in the catalog (endpoints subscribe to them)
// and marked platform-only; the product's own types are not.
func TestOperationalTypesAreMarked(t *testing.T) {
	for _, name := range []string{"endpoint.failing", "endpoint.disabled", "delivery.exhausted"} {
		typ, ok := Lookup(name)
		if !ok || !typ.Operational || typ.Validate(typ.Sample) != nil {
			t.Errorf("%s: %+v", name, typ)
		}
	}
	if typ, _ := Lookup("contact.created"); typ.Operational {
		t.Error("contact.created marked operational")
	}
}
