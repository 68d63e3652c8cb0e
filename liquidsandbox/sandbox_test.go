package liquidsandbox

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRefusedAtCompileWithLineAndColumn(t *testing.T) {
	long := strings.Repeat("x", DefaultLimits.MaxTemplateBytes+1)
	cases := []struct {
		name, src string
		kind      error
		line, col int
	}{
		{"for", "{{ a }}\n  {% for x in items %}{{ x }}{% endfor %}", ErrTagNotAllowed, 2, 3},
		{"for over a range", "{% for i in (1..100000000) %}x{% endfor %}", ErrTagNotAllowed, 1, 1},
		{"tablerow", "ok {% tablerow x in items %}{{ x }}{% endtablerow %}", ErrTagNotAllowed, 1, 4},
		{"cycle", "a\nb\n{% cycle 'x', 'y' %}", ErrTagNotAllowed, 3, 1},
		{"include", "é {% include 'secrets.txt' %}", ErrTagNotAllowed, 1, 3},
		{"render", "{% render 'x' %}", ErrTagNotAllowed, 1, 1},
		{"capture", "{% capture a %}x{% endcapture %}", ErrTagNotAllowed, 1, 1},
		{"for inside if", "{% if a %}\n\t{% for x in a %}{% endfor %}{% endif %}", ErrTagNotAllowed, 2, 2},
		{"unknown tag", "{% shell 'rm' %}", ErrTagNotAllowed, 1, 1},
		{"unknown filter", "{{ a }}\n{{ email | upcase | shout }}", ErrUnknownFilter, 2, 21},
		{"unknown filter in assign", "{% assign x = a | shout %}", ErrUnknownFilter, 1, 19},
		{"excluded filter", "{{ a | inspect }}", ErrUnknownFilter, 1, 8},
		{"non-ASCII filter", "{{ a | ü }}", ErrUnknownFilter, 1, 8},
		{"odd space before a filter", "{{ a | upcase }}", ErrUnknownFilter, 1, 7},
		{"range literal", "{{ (1..5) | join }}", ErrRangeNotAllowed, 1, 6},
		{"bad expression", "x\n  {{ a | }}", ErrSyntax, 2, 3},
		{"unclosed block", "{% if a %}x", ErrSyntax, 1, 1},
		{"stray end", "x\n{% endif %}", ErrSyntax, 2, 1},
		{"too long", long, ErrTooLong, 1, DefaultLimits.MaxTemplateBytes + 1},
	}
	s := New(Limits{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Compile(c.src)
			var te *TemplateError
			if !errors.As(err, &te) {
				t.Fatalf("want a *TemplateError, got %v", err)
			}
			if !errors.Is(err, c.kind) || te.Line != c.line || te.Column != c.col || te.Message == "" {
				t.Fatalf("got kind %v at %d:%d (%q), want %v at %d:%d", te.Kind, te.Line, te.Column, te.Message, c.kind, c.line, c.col)
			}
		})
	}
}

func TestRawAndCommentAreNotCode(t *testing.T) {
	s := New(Limits{})
	tpl, err := s.Compile("{% raw %}{% for %}{{ a | nope }}{% endraw %}{% comment %}{{ b | nope }}{% endcomment %}!")
	if err != nil {
		t.Fatal(err)
	}
	res, err := tpl.Render(context.Background(), nil)
	if err != nil || res.Output != "{% for %}{{ a | nope }}!" || len(res.MissingVariables) != 0 {
		t.Fatalf("got %q %v %v", res.Output, res.MissingVariables, err)
	}
}

func TestMissingVariablesRenderEmptyAndAreListed(t *testing.T) {
	s := New(Limits{})
	tpl, err := s.Compile(`{{ advocate_email }}|{{ friend_email | default: fallback }}|{{ referral.status }}|` +
		`{{ referral.reward.amount }}|{{ items[0] }}|{{ items[5] }}|{{ items.size }}|{% assign x = "set" %}{{ x }}` +
		`{% if absent_flag %}never{% endif %}{{ prénom }}`)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]any{
		"advocate_email": "a@example.com",
		"referral":       map[string]any{"status": "approved"},
		"items":          []any{"first"},
	}
	res, err := tpl.Render(context.Background(), vars)
	if err != nil {
		t.Fatal(err)
	}
	if res.Output != "a@example.com||approved||first||1|set" {
		t.Fatalf("output %q", res.Output)
	}
	want := []string{"absent_flag", "fallback", "friend_email", "items.5", "prénom", "referral.reward.amount"}
	if !reflect.DeepEqual(res.MissingVariables, want) {
		t.Fatalf("missing %v, want %v", res.MissingVariables, want)
	}
	if _, ok := vars["x"]; ok {
		t.Fatal("assign wrote into the caller's variables")
	}
}

func TestCriteriaStyleConditions(t *testing.T) {
	s := New(Limits{})
	tpl, err := s.Compile(`{% if click_reward_verified and amount > 2 %}true{% elsif status == "x" %}maybe{% else %}false{% endif %}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		vars map[string]any
		want string
	}{
		{map[string]any{"click_reward_verified": true, "amount": 5}, "true"},
		{map[string]any{"click_reward_verified": false, "amount": 5}, "false"},
		{map[string]any{"click_reward_verified": true, "amount": 1, "status": "x"}, "maybe"},
	} {
		res, err := tpl.Render(context.Background(), c.vars)
		if err != nil || res.Output != c.want {
			t.Fatalf("%v: got %q %v, want %q", c.vars, res.Output, err, c.want)
		}
	}
	tpl, err = s.Compile(`{% case tier %}{% when "gold", "silver" %}yes{% else %}no{% endcase %}{% unless vip %}!{% endunless %}`)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tpl.Render(context.Background(), map[string]any{"tier": "silver"})
	if err != nil || res.Output != "yes!" {
		t.Fatalf("case/unless: %q %v", res.Output, err)
	}
}

// Exponential growth without loops: each replace multiplies the length.
// The filter's own cap stops it before it allocates.
func TestFilterValueCap(t *testing.T) {
	s := New(Limits{MaxValueBytes: 1000})
	a10 := `"aaaaaaaaaa"`
	src := `{{ ` + a10 + strings.Repeat(` | replace: "a", `+a10, 6) + ` }}` // 10^7 bytes uncapped
	tpl, err := s.Compile("ok\n" + src)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tpl.Render(context.Background(), nil)
	var te *TemplateError
	if !errors.As(err, &te) || !errors.Is(err, ErrOutputTooLarge) || te.Line != 2 || te.Column != 1 {
		t.Fatalf("want ErrOutputTooLarge at 2:1, got %#v", err)
	}
	// An input over the cap is refused before the filter runs.
	tpl, _ = s.Compile(`{{ big | upcase }}`)
	if _, err := tpl.Render(context.Background(), map[string]any{"big": strings.Repeat("b", 1001)}); !errors.Is(err, ErrOutputTooLarge) {
		t.Fatalf("want ErrOutputTooLarge for a big input, got %v", err)
	}
	// Arrays over MaxItems too (concat doubling via assign).
	s = New(Limits{MaxItems: 8})
	tpl, _ = s.Compile(`{% assign a = "x" | split: "," %}{% assign a = a | concat: a %}{% assign a = a | concat: a %}` +
		`{% assign a = a | concat: a %}{% assign a = a | concat: a %}{{ a | size }}`)
	if _, err := tpl.Render(context.Background(), nil); !errors.Is(err, ErrOutputTooLarge) {
		t.Fatalf("want ErrOutputTooLarge for 16 items, got %v", err)
	}
}

func TestOutputCap(t *testing.T) {
	s := New(Limits{MaxOutputBytes: 100})
	tpl, err := s.Compile(`{{ v }}{{ v }}`)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := tpl.Render(context.Background(), map[string]any{"v": strings.Repeat("y", 50)}); err != nil || len(res.Output) != 100 {
		t.Fatalf("100 bytes must pass: %d %v", len(res.Output), err)
	}
	_, err = tpl.Render(context.Background(), map[string]any{"v": strings.Repeat("y", 51)})
	var te *TemplateError
	if !errors.As(err, &te) || !errors.Is(err, ErrOutputTooLarge) || te.Line != 1 || te.Column != 8 {
		t.Fatalf("want ErrOutputTooLarge at 1:8 (the second object), got %#v", err)
	}
	// Passed in the middle: the library locates the node being rendered when
	// the held-back write of the previous output is refused.
	tpl, _ = s.Compile("{{ v }}\n{{ v }}\n{% if v %}{{ v }}{% endif %}\n{{ v }}")
	_, err = tpl.Render(context.Background(), map[string]any{"v": strings.Repeat("y", 40)})
	if !errors.As(err, &te) || !errors.Is(err, ErrOutputTooLarge) || te.Line != 4 || te.Column != 1 {
		t.Fatalf("want ErrOutputTooLarge at 4:1 (the node after the one that passed the cap), got %#v", err)
	}
}

// cancelAfter is a context whose Err turns to Canceled after n calls, so a
// test can stop a render in the middle without timing anything: Render
// checks the context before starting and at every output write.
type cancelAfter struct {
	context.Context
	n atomic.Int32
}

func (c *cancelAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestDeadline(t *testing.T) {
	s := New(Limits{})
	tpl, err := s.Compile(strings.Repeat(`{{ v }}-`, 20))
	if err != nil {
		t.Fatal(err)
	}
	ctx := &cancelAfter{Context: context.Background()}
	ctx.n.Store(4)
	if _, err := tpl.Render(ctx, map[string]any{"v": "x"}); !errors.Is(err, ErrDeadline) {
		t.Fatalf("want ErrDeadline in the middle, got %v", err)
	}
	past, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if _, err := tpl.Render(past, nil); !errors.Is(err, ErrDeadline) {
		t.Fatalf("want ErrDeadline for a past deadline, got %v", err)
	}
	if res, err := tpl.Render(context.Background(), map[string]any{"v": "x"}); err != nil || res.Output != strings.Repeat("x-", 20) {
		t.Fatalf("same template without a deadline: %q %v", res.Output, err)
	}
}

func TestRenderErrorsAreTypedAndLocated(t *testing.T) {
	s := New(Limits{})
	tpl, err := s.Compile("a\nb {{ 1 | divided_by: 0 }}")
	if err != nil {
		t.Fatal(err)
	}
	_, err = tpl.Render(context.Background(), nil)
	var te *TemplateError
	if !errors.As(err, &te) || !errors.Is(err, ErrRender) || te.Line != 2 || te.Column != 3 {
		t.Fatalf("want ErrRender at 2:3, got %#v", err)
	}
	// A filter that panics is an error, not a crash.
	boom := s.bounded("boom", func(string) string { panic("boom") }).(func(string) (string, error))
	if _, err := boom("x"); !errors.Is(err, ErrRender) {
		t.Fatalf("want ErrRender from a panicking filter, got %v", err)
	}
}

func TestTooManyFilters(t *testing.T) {
	s := New(Limits{MaxFilters: 3})
	if _, err := s.Compile(`{{ a | upcase | downcase }}{% assign b = a | strip %}`); err != nil {
		t.Fatal(err)
	}
	_, err := s.Compile("{{ a | upcase | downcase }}\n{% assign b = a | strip | size %}")
	var te *TemplateError
	if !errors.As(err, &te) || !errors.Is(err, ErrTooComplex) || te.Line != 2 || te.Column != 27 {
		t.Fatalf("want ErrTooComplex at 2:27, got %#v", err)
	}
}

// The library's regexp-based truncate filters panic past 1000 and were slow
// below; the sandbox's versions are linear and follow Shopify Liquid.
func TestLongTruncations(t *testing.T) {
	s := New(Limits{})
	words := strings.Repeat("ab ", 5000)
	for src, want := range map[string]string{
		`{{ w | truncatewords: 100000 }}`:                         words,
		`{{ w | truncatewords: 2000 | size }}`:                    "6002",
		`{{ w | truncate: 20000 }}`:                               words,
		`{{ w | truncate: 3000 | size }}`:                         "3000",
		`{{ w | truncatewords: 900 | split: " " | uniq | size }}`: "2",
	} {
		tpl, err := s.Compile(src)
		if err != nil {
			t.Fatal(err)
		}
		res, err := tpl.Render(context.Background(), map[string]any{"w": words})
		if err != nil || res.Output != want {
			t.Errorf("%s: got %.40q %v", src, res.Output, err)
		}
	}
	// 5,001 parts: refused before the library allocates them.
	tpl, _ := s.Compile(`{{ w | split: " " | size }}`)
	if _, err := tpl.Render(context.Background(), map[string]any{"w": words}); !errors.Is(err, ErrOutputTooLarge) {
		t.Fatalf("want ErrOutputTooLarge for a split over MaxItems, got %v", err)
	}
}

// One compiled (and cached) template rendered from many goroutines: each
// render sees only its own variables and assigns (run with -race).
func TestConcurrentRenders(t *testing.T) {
	s := New(Limits{})
	const src = `{% assign who = name | upcase %}{{ who }}-{{ n | plus: 1 }}`
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			tpl, err := s.Compile(src)
			if err != nil {
				errs <- err
				return
			}
			for j := range 50 {
				name := fmt.Sprintf("u%d", i)
				res, err := tpl.Render(context.Background(), map[string]any{"name": name, "n": j})
				if err != nil || res.Output != fmt.Sprintf("U%d-%d", i, j+1) {
					errs <- fmt.Errorf("render %d/%d: %q %v", i, j, res.Output, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// The parse-tree walk refuses on its own, independently of the token pass
// that Compile runs first (and that reports columns).
func TestTreeWalkRefusesLoopsAnywhere(t *testing.T) {
	s := New(Limits{})
	for src, want := range map[string]string{
		`{% for x in y %}{% endfor %}`:                                                 "for",
		`{% if a %}{% elsif b %}{% else %}{% cycle 'x', 'y' %}{% endif %}`:             "cycle",
		`{% case a %}{% when 1 %}{% tablerow x in y %}{% endtablerow %}{% endcase %}`:  "tablerow",
		`{% unless a %}{% include 'x' %}{% endunless %}`:                               "include",
		`{% if a %}{% capture c %}x{% endcapture %}{% endif %}`:                        "capture",
		`{% if a %}{% assign b = 1 %}{{ b }}{% endif %}{% raw %}{% for %}{% endraw %}`: "",
	} {
		tpl, err := s.engine.ParseTemplateLocation([]byte(src), "", 1)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		got := ""
		if n := refusedNode(tpl.GetRoot()); n != nil {
			got = n.Name
		}
		if got != want {
			t.Errorf("%s: tree walk refused %q, want %q", src, got, want)
		}
	}
}
