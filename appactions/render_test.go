package appactions

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/liquidsandbox"
)

func decode(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("invalid JSON %s", raw)
	}
	return m
}

func realReferralVars() map[string]any {
	return map[string]any{
		"site_id": "7", "campaign_id": "9", "referral_status": "approved",
		"advocate_email": "ann@example.com",
		"referral":       map[string]any{"status": "approved", "created_at": "2026-03-01 12:30:00 +0000"},
	}
}

func TestRealSendWithCustomAttributes(t *testing.T) {
	attrs := map[string]string{
		"advocate_upper": "{{ advocate_email | upcase }}",
		"friend":         `{{ friend_email | default: "n/a" }}`,
		"created_day":    `{{ referral.created_at | date: "%Y-%m-%d" }}`,
		"status":         "{{ referral.status }}",
		"source":         "talkable", // fixed text
	}
	raw, missing, err := RenderPayload(context.Background(), "referral_create", realReferralVars(), attrs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"site_id": "7", "campaign_id": "9", "referral_status": "approved",
		"advocate_email": "ann@example.com", "friend_email": "",
		"advocate_upper": "ANN@EXAMPLE.COM", "friend": "n/a", "created_day": "2026-03-01",
		"status": "approved", "source": "talkable",
	}
	if got := decode(t, raw); !reflect.DeepEqual(got, want) {
		t.Fatalf("payload %s", raw)
	}
	if !reflect.DeepEqual(missing, []string{"friend_email"}) {
		t.Fatalf("missing %v, want [friend_email]", missing)
	}
	// Defaults first in the doc's order, then attributes by name.
	wantOrder := []string{"site_id", "campaign_id", "referral_status", "advocate_email", "friend_email",
		"advocate_upper", "created_day", "friend", "source", "status"}
	if got := keysInOrder(t, raw); !reflect.DeepEqual(got, wantOrder) {
		t.Fatalf("order %v", got)
	}
}

func TestBlankAttributesAreLeftOut(t *testing.T) {
	attrs := map[string]string{
		"empty":       "",
		"spaces":      "  \n ",
		"absent":      "{{ no_such_variable }}",
		"false_if":    "{% if false %}x{% endif %}",
		"campaign_id": "{{ also_absent }}", // a blank override keeps the default
	}
	raw, missing, err := RenderPayload(context.Background(), "referral_create", realReferralVars(), attrs)
	if err != nil {
		t.Fatal(err)
	}
	got := decode(t, raw)
	for _, name := range []string{"empty", "spaces", "absent", "false_if"} {
		if _, ok := got[name]; ok {
			t.Errorf("blank attribute %s is in the payload %s", name, raw)
		}
	}
	if got["campaign_id"] != "9" || len(got) != 5 {
		t.Fatalf("payload %s", raw)
	}
	if !reflect.DeepEqual(missing, []string{"also_absent", "friend_email", "no_such_variable"}) {
		t.Fatalf("missing %v", missing)
	}
}

func TestAttributeOverridesDefaultFieldInPlace(t *testing.T) {
	attrs := map[string]string{"site_id": `{{ site_id | prepend: "site-" }}`, "email": "{{ email | downcase }}"}
	raw, _, err := RenderPayload(context.Background(), "unsubscribe",
		map[string]any{"site_id": "1", "email": "Ann@Example.COM"}, attrs)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"site_id":"site-1","email":"ann@example.com"}` {
		t.Fatalf("payload %s", raw)
	}
}

func TestSamplePayloadRendersAttributesOnSamples(t *testing.T) {
	raw, missing, err := Default().SamplePayload(context.Background(), "send_reward",
		map[string]string{"verified": "{{ click_reward_verified }}", "code": "{{ coupon_code | downcase }}"})
	if err != nil || len(missing) != 0 {
		t.Fatal(err, missing)
	}
	got := decode(t, raw)
	if got["verified"] != "true" || got["code"] != "fr_new_5_off" || got["description"] != "$5" {
		t.Fatalf("sample %s", raw)
	}
	if _, _, err := Default().SamplePayload(context.Background(), "nope", nil); !errors.Is(err, ErrUnknownAction) {
		t.Fatalf("want ErrUnknownAction, got %v", err)
	}
}

func TestCriteria(t *testing.T) {
	cases := []struct {
		name, tpl string
		vars      map[string]any
		want      bool
		missing   []string
	}{
		{"no criteria", "", nil, true, nil},
		{"blank criteria", "  ", nil, true, nil},
		{"verified", "{{ click_reward_verified }}", map[string]any{"click_reward_verified": true}, true, nil},
		{"rejected", "{{ click_reward_verified }}", map[string]any{"click_reward_verified": false}, false, nil},
		{"if true", `{% if amount > 3 %} true {% endif %}`, map[string]any{"amount": 5}, true, nil},
		{"if false", `{% if amount > 3 %}true{% endif %}`, map[string]any{"amount": 2}, false, nil},
		{"not exactly true", `{{ "True" }}`, nil, false, nil},
		{"missing is false", `{% if reason == "click" %}true{% endif %}`, nil, false, []string{"reason"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, missing, err := Criteria(context.Background(), c.tpl, c.vars)
			if err != nil || got != c.want || !reflect.DeepEqual(missing, c.missing) {
				t.Fatalf("got %v %v %v, want %v %v", got, missing, err, c.want, c.missing)
			}
		})
	}
	_, _, err := Criteria(context.Background(), "{% for x in y %}true{% endfor %}", nil)
	var te *liquidsandbox.TemplateError
	if !errors.As(err, &te) || te.Field != "criteria" || !errors.Is(err, liquidsandbox.ErrTagNotAllowed) {
		t.Fatalf("want a refused criteria, got %v", err)
	}
}

func TestValidateRefusesAtSaveTime(t *testing.T) {
	big := `{{ "` + strings.Repeat("a", 20) + `" | replace: "a", "` + strings.Repeat("a", 20) + `" | replace: "a", "` +
		strings.Repeat("a", 20) + `" }}` // 8,000 bytes
	cases := []struct {
		name     string
		attrs    map[string]string
		criteria string
		field    string
		kind     error
		line     int
		col      int
	}{
		{"loop", map[string]string{"a": "x\n {% for i in items %}{% endfor %}"}, "", "attributes.a", liquidsandbox.ErrTagNotAllowed, 2, 2},
		{"include", map[string]string{"a": "{% include 'x' %}"}, "", "attributes.a", liquidsandbox.ErrTagNotAllowed, 1, 1},
		{"render", map[string]string{"a": "{% render 'x' %}"}, "", "attributes.a", liquidsandbox.ErrTagNotAllowed, 1, 1},
		{"cycle", map[string]string{"a": "{% cycle 1, 2 %}"}, "", "attributes.a", liquidsandbox.ErrTagNotAllowed, 1, 1},
		{"tablerow", map[string]string{"a": "{% tablerow i in x %}{% endtablerow %}"}, "", "attributes.a", liquidsandbox.ErrTagNotAllowed, 1, 1},
		{"unknown filter", map[string]string{"b": "{{ email | rot13 }}"}, "", "attributes.b", liquidsandbox.ErrUnknownFilter, 1, 12},
		{"criteria syntax", nil, "{% if %}", "criteria", liquidsandbox.ErrSyntax, 1, 1},
		{"too long", map[string]string{"c": strings.Repeat("z", liquidsandbox.DefaultLimits.MaxTemplateBytes+1)}, "",
			"attributes.c", liquidsandbox.ErrTooLong, 1, liquidsandbox.DefaultLimits.MaxTemplateBytes + 1},
		{"output over the cap", map[string]string{"d": "{{ email }}\n" + big + big + big}, "", "attributes.d",
			liquidsandbox.ErrOutputTooLarge, 2, 2*len(big) + 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Validate(context.Background(), "unsubscribe", c.attrs, c.criteria)
			var te *liquidsandbox.TemplateError
			if !errors.As(err, &te) || !errors.Is(err, c.kind) || te.Field != c.field || te.Line != c.line || te.Column != c.col {
				t.Fatalf("got %#v, want %v in %s at %d:%d", err, c.kind, c.field, c.line, c.col)
			}
		})
	}
	ok := map[string]string{"x": "{{ email | upcase }}", "big_but_fine": big + big}
	if err := Validate(context.Background(), "unsubscribe", ok, "{% if site_id == '1' %}true{% endif %}"); err != nil {
		t.Fatalf("valid configuration refused: %v", err)
	}
	if err := Validate(context.Background(), "nope", nil, ""); !errors.Is(err, ErrUnknownAction) {
		t.Fatalf("want ErrUnknownAction, got %v", err)
	}
	if err := Validate(context.Background(), "unsubscribe", map[string]string{"bad\nname": "x"}, ""); !errors.Is(err, ErrAttributeName) {
		t.Fatalf("want ErrAttributeName, got %v", err)
	}
	many := map[string]string{}
	for i := range MaxAttributes + 1 {
		many[strings.Repeat("k", i+1)] = "v"
	}
	if err := Validate(context.Background(), "unsubscribe", many, ""); !errors.Is(err, ErrTooManyAttribute) {
		t.Fatalf("want ErrTooManyAttribute, got %v", err)
	}
}

func TestPayloadCapAndDeadline(t *testing.T) {
	r := NewRenderer(liquidsandbox.Limits{}, 200)
	vars := map[string]any{"site_id": "1", "email": "a@example.com", "note": strings.Repeat("n", 150)}
	if _, _, err := r.RenderPayload(context.Background(), "unsubscribe", vars, map[string]string{"note": "{{ note }}"}); err != nil {
		t.Fatalf("payload under the cap: %v", err)
	}
	_, _, err := r.RenderPayload(context.Background(), "unsubscribe", vars, map[string]string{"note": "{{ note }}", "again": "{{ note }}"})
	var te *liquidsandbox.TemplateError
	if !errors.As(err, &te) || te.Field != "payload" || !errors.Is(err, liquidsandbox.ErrOutputTooLarge) {
		t.Fatalf("want payload ErrOutputTooLarge, got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := RenderPayload(ctx, "unsubscribe", vars, nil); !errors.Is(err, liquidsandbox.ErrDeadline) {
		t.Fatalf("want ErrDeadline, got %v", err)
	}
	if _, _, err := RenderPayload(context.Background(), "nope", vars, nil); !errors.Is(err, ErrUnknownAction) {
		t.Fatalf("want ErrUnknownAction, got %v", err)
	}
}
