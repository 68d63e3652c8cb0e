package activities

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/models"
)

func TestParseLookupReply(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    models.CustomerProfile
		wantErr string // substring; "" means valid
	}{
		{name: "full", body: `{"name":"Alice Johnson","email":"alice@example.com","plan":"pro",
			"fields":{"mrr":149,"company":"Acme Inc","signedUpAt":"2024-01-15","vip":true,"churn":null}}`,
			want: models.CustomerProfile{Name: "Alice Johnson", Email: "alice@example.com", Plan: "pro",
				Fields: map[string]any{"mrr": json.Number("149"), "company": "Acme Inc", "signedUpAt": "2024-01-15", "vip": true, "churn": nil}}},
		{name: "empty object", body: `{}`},
		{name: "whitespace around", body: " \n {\"name\":\"Bob\"} \n", want: models.CustomerProfile{Name: "Bob"}},
		{name: "nulls are absent", body: `{"name":null,"email":null,"plan":null,"fields":null}`},
		{name: "unknown keys ignored", body: `{"name":"A","id":7,"roles":["admin"],"meta":{"x":{"y":1}}}`, want: models.CustomerProfile{Name: "A"}},
		{name: "empty fields", body: `{"fields":{}}`, want: models.CustomerProfile{Fields: map[string]any{}}},
		{name: "big integer keeps its literal", body: `{"fields":{"id":12345678901234567890}}`,
			want: models.CustomerProfile{Fields: map[string]any{"id": json.Number("12345678901234567890")}}},
		{name: "unicode", body: `{"name":"Zoë 🚀"}`, want: models.CustomerProfile{Name: "Zoë 🚀"}},

		{name: "empty body", body: ``, wantErr: "empty body"},
		{name: "html", body: `<html><body>Bad Gateway</body></html>`, wantErr: "not a JSON object"},
		{name: "array", body: `[{"name":"A"}]`, wantErr: "not a JSON object"},
		{name: "null", body: `null`, wantErr: "not a JSON object"},
		{name: "string", body: `"Alice"`, wantErr: "not a JSON object"},
		{name: "truncated", body: `{"name":"Al`, wantErr: "not a JSON object"},
		{name: "trailing garbage", body: `{"name":"A"} x`, wantErr: "not a JSON object"},
		{name: "two objects", body: `{}{}`, wantErr: "not a JSON object"},
		{name: "name is a number", body: `{"name":42}`, wantErr: `"name" must be a string`},
		{name: "email is an object", body: `{"email":{"v":"a@b"}}`, wantErr: `"email" must be a string`},
		{name: "plan is a bool", body: `{"plan":true}`, wantErr: `"plan" must be a string`},
		{name: "name too long", body: `{"name":"` + strings.Repeat("a", 501) + `"}`, wantErr: "longer than 500"},
		{name: "plan too long", body: `{"plan":"` + strings.Repeat("é", 201) + `"}`, wantErr: "longer than 200"},
		{name: "NUL in name", body: `{"name":"a\u0000b"}`, wantErr: "NUL"},
		{name: "fields is an array", body: `{"fields":[1,2]}`, wantErr: `"fields" must be an object`},
		{name: "fields is a string", body: `{"fields":"mrr=1"}`, wantErr: `"fields" must be an object`},
		{name: "nested object in fields", body: `{"fields":{"company":{"name":"Acme"}}}`, wantErr: "fields.company must be a string, number, boolean or null"},
		{name: "array in fields", body: `{"fields":{"tags":["a","b"]}}`, wantErr: "fields.tags must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLookupReply([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %+v, %v; want error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got.Name != tt.want.Name || got.Email != tt.want.Email || got.Plan != tt.want.Plan || len(got.Fields) != len(tt.want.Fields) ||
				(got.Fields == nil) != (tt.want.Fields == nil) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for k, v := range tt.want.Fields {
				if gv, ok := got.Fields[k]; !ok || gv != v {
					t.Fatalf("fields[%q] = %#v, want %#v", k, gv, v)
				}
			}
		})
	}
}

const lookupTestSecret = "bcsec_0123456789abcdef_topsecret"

// lookupReceiver is a customer backend on 127.0.0.1 that verifies every
// request independently of package signing and answers with reply.
