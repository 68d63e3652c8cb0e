package liquidsandbox

import (
	"context"
	"testing"
)

// filterCases has one or more rows for every filter the sandbox offers;
// TestEveryDocumentedFilterIsTested keeps it in step with FilterNames (and
// so with the README list, which TestReadmeListsEveryFilter checks).
var filterCases = []struct {
	filter, src, want string
}{
	{"abs", `{{ neg | abs }}`, "5"},
	{"append", `{{ email | append: "?ref=1" }}`, "ann@example.com?ref=1"},
	{"capitalize", `{{ name | capitalize }}`, "Ann lee"},
	{"ceil", `{{ 4.2 | ceil }}`, "5"},
	{"compact", `{{ sparse | compact | join: "," }}`, "a,b"},
	{"concat", `{{ tags | concat: more | join: "," }}`, "red,green,blue"},
	{"date", `{{ created_at | date: "%Y-%m-%d %H:%M" }}`, "2024-11-25 00:00"},
	{"default", `{{ friend_email | default: "n/a" }}`, "n/a"},
	{"default", `{{ email | default: "n/a" }}`, "ann@example.com"},
	{"divided_by", `{{ 20 | divided_by: 8 }}`, "2"},
	{"divided_by", `{{ 20 | divided_by: 8.0 }}`, "2.5"},
	{"downcase", `{{ "ANN@Example.COM" | downcase }}`, "ann@example.com"},
	{"escape", `{{ "<b>&" | escape }}`, "&lt;b&gt;&amp;"},
	{"escape_once", `{{ "&lt;b&gt; &" | escape_once }}`, "&lt;b&gt; &amp;"},
	{"first", `{{ tags | first }}`, "red"},
	{"floor", `{{ 4.8 | floor }}`, "4"},
	{"join", `{{ tags | join: " / " }}`, "red / green"},
	{"json", `{{ referral | json }}`, `{"status":"approved"}`},
	{"last", `{{ tags | last }}`, "green"},
	{"lstrip", `{{ padded | lstrip }}`, "x  "},
	{"map", `{{ people | map: "name" | join: "," }}`, "Ann,Bob"},
	{"minus", `{{ 10 | minus: 3 }}`, "7"},
	{"modulo", `{{ 10 | modulo: 3 }}`, "1"},
	{"newline_to_br", `{{ lines | newline_to_br }}`, "a<br />b"},
	{"plus", `{{ amount | plus: 2 }}`, "7"},
	{"prepend", `{{ coupon | prepend: "CODE-" }}`, "CODE-FR5"},
	{"remove", `{{ "a-b-c" | remove: "-" }}`, "abc"},
	{"remove_first", `{{ "a-b-c" | remove_first: "-" }}`, "ab-c"},
	{"replace", `{{ "a-b-c" | replace: "-", "+" }}`, "a+b+c"},
	{"replace_first", `{{ "a-b-c" | replace_first: "-", "+" }}`, "a+b-c"},
	{"reverse", `{{ tags | reverse | join: "," }}`, "green,red"},
	{"round", `{{ 3.14159 | round: 2 }}`, "3.14"},
	{"round", `{{ 2.5 | round }}`, "3"},
	{"rstrip", `{{ padded | rstrip }}`, "  x"},
	{"size", `{{ tags | size }}`, "2"},
	{"size", `{{ email | size }}`, "15"},
	{"slice", `{{ coupon | slice: 0, 2 }}`, "FR"},
	{"sort", `{{ unsorted | sort | join: "," }}`, "a,b,c"},
	{"sort_natural", `{{ mixed | sort_natural | join: "," }}`, "a,B,c"},
	{"split", `{{ "a,b,c" | split: "," | last }}`, "c"},
	{"strip", `{{ padded | strip }}`, "x"},
	{"strip_html", `{{ "<p>Hi <b>Ann</b></p>" | strip_html }}`, "Hi Ann"},
	{"strip_newlines", `{{ lines | strip_newlines }}`, "ab"},
	{"times", `{{ amount | times: 3 }}`, "15"},
	{"truncate", `{{ "abcdefghij" | truncate: 6 }}`, "abc..."},
	{"truncate", `{{ "héllo wörld" | truncate: 8, "…" }}`, "héllo w…"},
	{"truncate", `{{ lines | truncate: 2, "" }}`, "a\n"},
	{"truncatewords", `{{ "one two three four" | truncatewords: 2 }}`, "one two..."},
	{"truncatewords", `{{ "one  two" | truncatewords: 2 }}`, "one  two"},
	{"uniq", `{{ dupes | uniq | join: "," }}`, "a,b"},
	{"uniq", `{{ people | concat: people | uniq | map: "name" | join: "," }}`, "Ann,Bob"},
	{"upcase", `{{ email | upcase }}`, "ANN@EXAMPLE.COM"},
	{"url_decode", `{{ "a%40b.com+x" | url_decode }}`, "a@b.com x"},
	{"url_encode", `{{ email | url_encode }}`, "ann%40example.com"},
}

func filterVars() map[string]any {
	return map[string]any{
		"email": "ann@example.com", "name": "ann lee", "neg": -5, "amount": 5, "coupon": "FR5",
		"tags": []any{"red", "green"}, "more": []any{"blue"}, "sparse": []any{"a", nil, "b"},
		"unsorted": []any{"c", "a", "b"}, "mixed": []any{"c", "B", "a"}, "dupes": []any{"a", "b", "a"},
		"padded": "  x  ", "lines": "a\nb", "created_at": "2024-11-25 00:00:00 -0800",
		"referral": map[string]any{"status": "approved"},
		"people":   []any{map[string]any{"name": "Ann"}, map[string]any{"name": "Bob"}},
	}
}

func TestEveryFilter(t *testing.T) {
	s := New(Limits{})
	for _, c := range filterCases {
		t.Run(c.filter, func(t *testing.T) {
			tpl, err := s.Compile(c.src)
			if err != nil {
				t.Fatalf("compile %q: %v", c.src, err)
			}
			res, err := tpl.Render(context.Background(), filterVars())
			if err != nil {
				t.Fatalf("render %q: %v", c.src, err)
			}
			if res.Output != c.want {
				t.Fatalf("%q rendered %q, want %q", c.src, res.Output, c.want)
			}
		})
	}
}

func TestEveryDocumentedFilterIsTested(t *testing.T) {
	tested := map[string]bool{}
	for _, c := range filterCases {
		tested[c.filter] = true
	}
	names := New(Limits{}).FilterNames()
	if len(names) != len(tested) {
		t.Errorf("sandbox offers %d filters, the table tests %d", len(names), len(tested))
	}
	for _, n := range names {
		if !tested[n] {
			t.Errorf("filter %s has no test row", n)
		}
	}
}
