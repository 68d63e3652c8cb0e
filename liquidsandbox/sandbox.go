// Package liquidsandbox evaluates the small Liquid templates of Custom App
// actions (custom attributes and trigger criteria) with
// github.com/osteele/liquid, inside limits the library does not have:
// an allow-list of tags (no loops, no include/render, no capture), an
// allow-list of filters each bounded in input and output size, no range
// literals, a cap on template length, a cap on rendered output and a render
// deadline. Templates are checked when they are saved (Compile) and rendered
// when an action is sent (Render).
package liquidsandbox

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/osteele/liquid"
	"github.com/osteele/liquid/render"
)

// Limits bound a template and its render. Zero fields take the defaults.
type Limits struct {
	MaxTemplateBytes int           // source length
	MaxOutputBytes   int           // rendered output of one template
	MaxValueBytes    int           // input and output of one filter call
	MaxItems         int           // elements of an array or map a filter handles
	MaxFilters       int           // filter applications in one template
	RenderTimeout    time.Duration // wall-clock budget of one Render call
}

// DefaultLimits are generous for a payload field and small enough that a
// render costs well under a millisecond of CPU.
var DefaultLimits = Limits{
	MaxTemplateBytes: 4 << 10,
	MaxOutputBytes:   16 << 10,
	MaxValueBytes:    32 << 10,
	MaxItems:         1000,
	MaxFilters:       64,
	RenderTimeout:    100 * time.Millisecond,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxTemplateBytes > 0 {
		d.MaxTemplateBytes = l.MaxTemplateBytes
	}
	if l.MaxOutputBytes > 0 {
		d.MaxOutputBytes = l.MaxOutputBytes
	}
	if l.MaxValueBytes > 0 {
		d.MaxValueBytes = l.MaxValueBytes
	}
	if l.MaxItems > 0 {
		d.MaxItems = l.MaxItems
	}
	if l.MaxFilters > 0 {
		d.MaxFilters = l.MaxFilters
	}
	if l.RenderTimeout > 0 {
		d.RenderTimeout = l.RenderTimeout
	}
	return d
}

// Sandbox is a configured engine. It is safe for concurrent use.
type Sandbox struct {
	engine  *liquid.Engine
	limits  Limits
	filters map[string]bool

	// cache keeps compiled templates by source: an app's attributes are the
	// same on every send and parsing is most of a render's cost (measured
	// ~60 % of 175 µs for a payload with three attributes and a criteria).
	cacheMu sync.Mutex
	cache   map[string]*Template
}

// cacheSize bounds the cache; at 4 KiB per source that is at most 4 MiB.
// When full it is emptied: simpler than LRU, and a refill costs one parse
// per template.
const cacheSize = 1024

// New builds a sandbox with the given limits (zero fields: DefaultLimits).
func New(limits Limits) *Sandbox {
	s := &Sandbox{engine: liquid.NewEngine(), limits: limits.withDefaults(), cache: map[string]*Template{}}
	s.installFilters(s.engine)
	// Even if a refused tag slipped past the checks, include/render must not
	// read files: the default store reads the server's file system.
	s.engine.RegisterTemplateStore(refusingStore{})
	return s
}

// Limits returns the sandbox's effective limits.
func (s *Sandbox) Limits() Limits { return s.limits }

type refusingStore struct{}

func (refusingStore) ReadTemplate(string) ([]byte, error) { return nil, ErrTagNotAllowed }

// Template is a checked template, ready to render many times.
type Template struct {
	sb   *Sandbox
	src  string
	tpl  *liquid.Template
	scan *scanned
}

// Source returns the template text.
func (t *Template) Source() string { return t.src }

// Compile checks a template at save time. It returns a *TemplateError (with
// Line and Column) for a template that is too long, does not parse, uses a
// tag or filter outside the allow-lists, or uses a range literal.
func (s *Sandbox) Compile(src string) (*Template, error) {
	s.cacheMu.Lock()
	t, ok := s.cache[src]
	s.cacheMu.Unlock()
	if ok {
		return t, nil
	}
	t, err := s.compile(src)
	if err != nil {
		return nil, err
	}
	s.cacheMu.Lock()
	if len(s.cache) >= cacheSize {
		s.cache = map[string]*Template{}
	}
	s.cache[src] = t
	s.cacheMu.Unlock()
	return t, nil
}

func (s *Sandbox) compile(src string) (*Template, error) {
	if len(src) > s.limits.MaxTemplateBytes {
		line, col := lineCol(src, s.limits.MaxTemplateBytes)
		return nil, &TemplateError{Line: line, Column: col, Kind: ErrTooLong,
			Message: "template is longer than the limit of " + itoa(s.limits.MaxTemplateBytes) + " bytes"}
	}
	sc, terr := s.scan(src)
	if terr != nil {
		return nil, terr
	}
	// Line numbers start at 1 only when given: ParseString counts from 0.
	tpl, perr := s.engine.ParseTemplateLocation([]byte(src), "", 1)
	if perr != nil {
		line := max(perr.LineNumber(), 1)
		return nil, &TemplateError{Line: line, Column: sc.firstCodeOnLine(src, line), Kind: ErrSyntax,
			Message: "syntax error (unknown tag, unclosed or unbalanced block, or invalid expression)"}
	}
	// The tree walk is the authority on tags: it sees exactly what will run,
	// including clauses, and would catch a tag the token pass missed.
	if node := refusedNode(tpl.GetRoot()); node != nil {
		line := max(node.SourceLoc.LineNo, 1)
		return nil, &TemplateError{Line: line, Column: sc.firstCodeOnLine(src, line), Kind: ErrTagNotAllowed,
			Message: "tag " + quote(node.Name) + " is not allowed"}
	}
	return &Template{sb: s, src: src, tpl: tpl, scan: sc}, nil
}

// refusedNode walks the parse tree (render.Node, exposed by
// Template.GetRoot since v1.8.0; the module proxy's @latest, v1.6.0, lacks
// it) and returns the first block or tag, or
// block clause, outside allowedTags. Block tags cannot be unregistered from
// the engine, so refusing them here is what keeps loops out.
func refusedNode(n render.Node) *render.BlockNode {
	switch n := n.(type) {
	case *render.SeqNode:
		for _, c := range n.Children {
			if r := refusedNode(c); r != nil {
				return r
			}
		}
	case *render.BlockNode:
		if !allowedTags[n.Name] {
			return n
		}
		for _, c := range n.Body {
			if r := refusedNode(c); r != nil {
				return r
			}
		}
		for _, c := range n.Clauses {
			if r := refusedNode(c); r != nil {
				return r
			}
		}
	case *render.TagNode:
		if !allowedTags[n.Name] {
			return &render.BlockNode{Token: n.Token}
		}
	}
	return nil
}

// Result is a rendered template.
type Result struct {
	Output string
	// MissingVariables lists, sorted, the variable paths the template reads
	// that the variables do not have; they rendered empty.
	MissingVariables []string
}

// Render evaluates the template on variables. It stops with ErrDeadline at
// the earlier of ctx's deadline and Limits.RenderTimeout, and with
// ErrOutputTooLarge when the output passes Limits.MaxOutputBytes. Errors are
// *TemplateError. The deadline is a backstop: since Compile refuses loops
// and every filter call is size-bounded, a render's work is linear in the
// template length; the deadline is checked at every output write, which
// stops a render whose output keeps growing. Work between writes (assign
// chains) is bounded instead: at most MaxFilters filter calls, each linear
// or n log n in a value of at most MaxValueBytes / MaxItems (the slowest,
// json or sort_natural on 1,000 items, measured under 1 ms), so a render
// that writes nothing still ends within tens of milliseconds.
func (t *Template) Render(ctx context.Context, variables map[string]any) (res Result, err error) {
	deadline := time.Now().Add(t.sb.limits.RenderTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if ctx.Err() != nil || !time.Now().Before(deadline) {
		return Result{}, &TemplateError{Kind: ErrDeadline, Message: "render deadline exceeded"}
	}
	w := &cappedWriter{ctx: ctx, deadline: deadline, limit: t.sb.limits.MaxOutputBytes}
	// Bindings are copied one level deep: assign writes into the map it is
	// given, and the caller's variables must stay untouched.
	bindings := make(map[string]any, len(variables))
	for k, v := range variables {
		bindings[k] = v
	}
	defer func() {
		// The library panics on some internal errors and on a failed final
		// flush of its writer; a sandbox never lets that reach the caller.
		if r := recover(); r != nil {
			err = t.renderError(w, nil)
		}
	}()
	if rerr := t.tpl.FRender(w, bindings); rerr != nil {
		return Result{}, t.renderError(w, rerr)
	}
	if w.err != nil {
		return Result{}, t.renderError(w, nil)
	}
	return Result{Output: w.b.String(), MissingVariables: missing(t.scan, variables)}, nil
}

func (t *Template) renderError(w *cappedWriter, rerr error) *TemplateError {
	kind := w.err
	if kind == nil {
		kind = causeOf(rerr)
	}
	if kind == nil {
		kind = ErrRender
	}
	te := &TemplateError{Kind: kind, Message: messages[kind]}
	var loc interface{ LineNumber() int }
	switch {
	case errors.As(rerr, &loc) && loc.LineNumber() > 0:
		// The node being rendered when the error happened. For the output
		// cap that is the node whose output passed it, or the one after:
		// the library's writer holds back one write to trim whitespace.
		te.Line = loc.LineNumber()
		te.Column = t.scan.firstCodeOnLine(t.src, te.Line)
	case kind == ErrOutputTooLarge:
		// The held-back write of the last output failed at the final flush,
		// which the library reports without a location: the last tag or
		// object wrote it.
		te.Line, te.Column = t.scan.lastCode(t.src)
	}
	return te
}

var messages = map[error]string{
	ErrOutputTooLarge: "rendered output or a filter value is over the size limit",
	ErrDeadline:       "render deadline exceeded",
	ErrUnknownFilter:  "filter not allowed",
	ErrRender:         "a filter failed (wrong value type, division by zero, ...)",
}

// cappedWriter collects output up to a limit and refuses writes past the
// limit or the deadline, which makes the library stop rendering.
type cappedWriter struct {
	ctx      context.Context
	deadline time.Time
	limit    int
	b        strings.Builder
	err      error
}

func (w *cappedWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.ctx.Err() != nil || !time.Now().Before(w.deadline) {
		w.err = ErrDeadline
		return 0, w.err
	}
	if w.b.Len()+len(p) > w.limit {
		w.err = ErrOutputTooLarge
		return 0, w.err
	}
	return w.b.Write(p)
}
