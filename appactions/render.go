package appactions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/liquidsandbox"
)

// Errors of this package, matched with errors.Is. Template problems are
// *liquidsandbox.TemplateError (Field names the attribute or "criteria").
var (
	ErrUnknownAction    = errors.New("unknown action")
	ErrAttributeName    = errors.New("invalid custom attribute name")
	ErrTooManyAttribute = errors.New("too many custom attributes")
)

// Limits of a payload, beyond the per-template limits of the sandbox.
const (
	MaxAttributes        = 50
	MaxAttributeNameLen  = 64
	DefaultMaxPayloadLen = 64 << 10
)

// Renderer renders payloads and criteria. The zero value is not usable; use
// NewRenderer or the package functions, which use a default Renderer.
type Renderer struct {
	sb            *liquidsandbox.Sandbox
	maxPayloadLen int
	defaults      map[string][]*liquidsandbox.Template // action ID -> compiled Payload fields
}

// NewRenderer builds a Renderer with the given template limits (zero fields:
// liquidsandbox.DefaultLimits) and payload cap in bytes (0: 64 KiB).
func NewRenderer(limits liquidsandbox.Limits, maxPayloadLen int) *Renderer {
	if maxPayloadLen <= 0 {
		maxPayloadLen = DefaultMaxPayloadLen
	}
	r := &Renderer{sb: liquidsandbox.New(limits), maxPayloadLen: maxPayloadLen,
		defaults: map[string][]*liquidsandbox.Template{}}
	for _, a := range actions {
		for _, f := range a.Payload {
			t, err := r.sb.Compile(f.Template)
			if err != nil {
				panic("appactions: default payload of " + a.ID + " does not compile: " + err.Error())
			}
			r.defaults[a.ID] = append(r.defaults[a.ID], t)
		}
	}
	return r
}

var defaultRenderer = NewRenderer(liquidsandbox.Limits{}, 0)

// Default returns the Renderer the package functions use.
func Default() *Renderer { return defaultRenderer }

// RenderPayload renders an action's payload: the default payload on the
// variables, then each custom attribute (name -> fixed text or Liquid), in
// name order. An attribute that renders blank is left out (a default field
// of the same name then keeps its value); an attribute named like a default
// field replaces its value in place; others are appended. missing lists,
// sorted, the variable paths that were read but absent (they rendered
// empty). The whole payload renders under one deadline (the sandbox's
// RenderTimeout, or ctx's if earlier) and is capped in size.
func RenderPayload(ctx context.Context, action string, variables map[string]any, attributes map[string]string) (json.RawMessage, []string, error) {
	return defaultRenderer.RenderPayload(ctx, action, variables, attributes)
}

// Criteria renders a trigger criteria template: true when the output,
// trimmed, is exactly "true". A blank template means no criteria: true.
func Criteria(ctx context.Context, template string, variables map[string]any) (bool, []string, error) {
	return defaultRenderer.Criteria(ctx, template, variables)
}

// RenderPayload: see the package function.
func (r *Renderer) RenderPayload(ctx context.Context, action string, variables map[string]any, attributes map[string]string) (json.RawMessage, []string, error) {
	a, ok := Lookup(action)
	if !ok {
		return nil, nil, ErrUnknownAction
	}
	if err := validateNames(attributes); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, r.sb.Limits().RenderTimeout)
	defer cancel()
	type member struct{ name, value string }
	members := make([]member, 0, len(a.Payload)+len(attributes))
	index := map[string]int{}
	missing := map[string]bool{}
	for i, f := range a.Payload {
		res, err := r.defaults[a.ID][i].Render(ctx, variables)
		if err != nil {
			return nil, nil, withField(err, "payload."+f.Name)
		}
		index[f.Name] = len(members)
		members = append(members, member{f.Name, res.Output})
		addAll(missing, res.MissingVariables)
	}
	for _, name := range sortedKeys(attributes) {
		t, err := r.sb.Compile(attributes[name])
		if err != nil {
			return nil, nil, withField(err, "attributes."+name)
		}
		res, err := t.Render(ctx, variables)
		if err != nil {
			return nil, nil, withField(err, "attributes."+name)
		}
		addAll(missing, res.MissingVariables)
		if strings.TrimSpace(res.Output) == "" {
			continue
		}
		if i, ok := index[name]; ok {
			members[i].value = res.Output
			continue
		}
		index[name] = len(members)
		members = append(members, member{name, res.Output})
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		writeMember(&b, m.name, m.value)
		if b.Len() > r.maxPayloadLen {
			return nil, nil, &liquidsandbox.TemplateError{Field: "payload", Kind: liquidsandbox.ErrOutputTooLarge,
				Message: "rendered payload is over the limit of " + strconv.Itoa(r.maxPayloadLen) + " bytes"}
		}
	}
	b.WriteByte('}')
	return b.Bytes(), sortedKeys(missing), nil
}

// Criteria: see the package function.
func (r *Renderer) Criteria(ctx context.Context, template string, variables map[string]any) (bool, []string, error) {
	if strings.TrimSpace(template) == "" {
		return true, nil, nil
	}
	t, err := r.sb.Compile(template)
	if err != nil {
		return false, nil, withField(err, "criteria")
	}
	res, err := t.Render(ctx, variables)
	if err != nil {
		return false, nil, withField(err, "criteria")
	}
	return strings.TrimSpace(res.Output) == "true", res.MissingVariables, nil
}

// Validate checks an action's configuration at save time: the action exists,
// attribute names are valid, every attribute and the criteria compile, and
// none renders over the caps on the action's sample variables (a template
// that is too big on the samples would fail every real send too). Errors are
// ErrUnknownAction, ErrAttributeName, ErrTooManyAttribute or a
// *liquidsandbox.TemplateError whose Field names the template.
func (r *Renderer) Validate(ctx context.Context, action string, attributes map[string]string, criteria string) error {
	a, ok := Lookup(action)
	if !ok {
		return ErrUnknownAction
	}
	if err := validateNames(attributes); err != nil {
		return err
	}
	if _, err := r.sb.Compile(criteria); err != nil {
		return withField(err, "criteria")
	}
	for _, name := range sortedKeys(attributes) {
		if _, err := r.sb.Compile(attributes[name]); err != nil {
			return withField(err, "attributes."+name)
		}
	}
	if _, _, err := r.RenderPayload(ctx, action, a.SampleVariables(), attributes); errors.Is(err, liquidsandbox.ErrOutputTooLarge) {
		return err
	}
	return nil
}

// Validate checks an action's configuration with the default Renderer.
func Validate(ctx context.Context, action string, attributes map[string]string, criteria string) error {
	return defaultRenderer.Validate(ctx, action, attributes, criteria)
}

// SamplePayload renders the action's payload on its sample variables, as
// "Send sample payload" does.
func (r *Renderer) SamplePayload(ctx context.Context, action string, attributes map[string]string) (json.RawMessage, []string, error) {
	a, ok := Lookup(action)
	if !ok {
		return nil, nil, ErrUnknownAction
	}
	return r.RenderPayload(ctx, action, a.SampleVariables(), attributes)
}

func validateNames(attributes map[string]string) error {
	if len(attributes) > MaxAttributes {
		return ErrTooManyAttribute
	}
	for name := range attributes {
		if strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > MaxAttributeNameLen ||
			!utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
			return ErrAttributeName
		}
	}
	return nil
}

func withField(err error, field string) error {
	var te *liquidsandbox.TemplateError
	if errors.As(err, &te) {
		c := *te
		c.Field = field
		return &c
	}
	return err
}

func addAll(set map[string]bool, items []string) {
	for _, i := range items {
		set[i] = true
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
