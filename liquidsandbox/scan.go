package liquidsandbox

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/osteele/liquid/expressions"
	"github.com/osteele/liquid/parser"
)

// allowedTags are the only tags a sandboxed template may use. Everything
// else is refused, whether the library defines it (for, tablerow, cycle,
// include, render, capture, break, continue, ...) or not: an allow-list
// cannot be outgrown by a library upgrade that adds a tag. Without loops and
// without capture, every tag and object runs at most once per render, so the
// work of a render is bounded by the template length times the per-value cap
// (see filters.go); assign is kept because its value passes through the same
// capped filters and it runs once.
var allowedTags = map[string]bool{
	"if": true, "elsif": true, "else": true, "endif": true,
	"unless": true, "endunless": true,
	"case": true, "when": true, "endcase": true,
	"assign":  true,
	"comment": true, "endcomment": true,
	"raw": true, "endraw": true,
}

// keywords of the expression language that are not variables.
var keywords = map[string]bool{
	"and": true, "or": true, "contains": true, "true": true, "false": true,
	"nil": true, "null": true, "empty": true, "blank": true, "not": true,
}

// token is a scanner token with its byte offset in the template.
type token struct {
	parser.Token
	offset int
}

// scanned is what the token pass learns about a template.
type scanned struct {
	tokens   []token
	refs     []string        // variable paths read by the template, first use first
	assigned map[string]bool // names set by assign, never reported missing
	// filterCalls counts the filters of the template: without loops each
	// runs at most once per render, so this bounds a render's filter work.
	filterCalls int
}

// scan runs the library's own tokenizer (parser.Scan, the same one the
// parser uses, so both see the same tags) and checks each tag and object:
// tag names against allowedTags, filter names against the filter allow-list,
// no range literals, and object expressions parse. It reports the first
// problem with its line and column. Text inside raw and comment blocks is
// not code and is skipped, as the parser does.
func (s *Sandbox) scan(src string) (*scanned, *TemplateError) {
	toks := parser.Scan(src, parser.SourceLoc{LineNo: 1}, nil)
	out := &scanned{assigned: map[string]bool{}}
	offset := 0
	for _, t := range toks {
		// The tokens' sources are consecutive slices of src (trim markers
		// have an empty source), so summing lengths gives each offset.
		out.tokens = append(out.tokens, token{Token: t, offset: offset})
		offset += len(t.Source)
	}
	skipUntil := ""
	for _, t := range out.tokens {
		switch t.Type {
		case parser.TagTokenType:
			if skipUntil != "" {
				if t.Name == skipUntil {
					skipUntil = ""
				}
				continue
			}
			if !allowedTags[t.Name] {
				return nil, errAt(src, t.offset, ErrTagNotAllowed, fmt.Sprintf("tag %q is not allowed", t.Name))
			}
			switch t.Name {
			case "raw", "comment":
				skipUntil = "end" + t.Name
				continue
			case "assign":
				name, _, _ := strings.Cut(t.Args, "=")
				out.assigned[strings.TrimSpace(name)] = true
				if i := strings.Index(t.Args, "="); i >= 0 {
					if err := s.checkExpr(src, t, argsOffset(t)+i+1, t.Args[i+1:], out); err != nil {
						return nil, err
					}
				}
				continue
			}
			if err := s.checkExpr(src, t, argsOffset(t), t.Args, out); err != nil {
				return nil, err
			}
		case parser.ObjTokenType:
			if skipUntil != "" {
				continue
			}
			if err := s.checkExpr(src, t, argsOffset(t), t.Args, out); err != nil {
				return nil, err
			}
			if _, err := expressions.Parse(t.Args); err != nil {
				return nil, errAt(src, t.offset, ErrSyntax, "invalid expression")
			}
		}
	}
	return out, nil
}

// argsOffset is the byte offset of t.Args inside the template.
func argsOffset(t token) int {
	from := 2
	if t.Type == parser.TagTokenType {
		from = 2 + strings.Index(t.Source[2:], t.Name) + len(t.Name)
	}
	if i := strings.Index(t.Source[from:], t.Args); i >= 0 {
		return t.offset + from + i
	}
	return t.offset
}

// checkExpr lexes one expression: filter names after "|", range literals,
// and the variable paths it reads.
func (s *Sandbox) checkExpr(src string, t token, base int, expr string, out *scanned) *TemplateError {
	lx := lexer{src: expr}
	prev := ""
	for {
		lex, at, ok := lx.next()
		if !ok {
			return nil
		}
		switch {
		case lex == "..":
			return errAt(src, base+at, ErrRangeNotAllowed, "ranges (a..b) are not allowed")
		case prev == "|":
			if !isIdent(lex) || !s.filters[lex] {
				return errAt(src, base+at, ErrUnknownFilter, fmt.Sprintf("unknown filter %q", lex))
			}
			if out.filterCalls++; out.filterCalls > s.limits.MaxFilters {
				return errAt(src, base+at, ErrTooComplex, fmt.Sprintf("more than %d filters", s.limits.MaxFilters))
			}
		case isIdent(lex) && prev != "." && !keywords[lex]:
			path := lx.path(lex)
			if next, _, _ := lx.peek(); next != ":" { // "name:" is a named argument
				out.addRef(path)
			}
		}
		prev = lex
	}
}

func (o *scanned) addRef(path string) {
	for _, r := range o.refs {
		if r == path {
			return
		}
	}
	o.refs = append(o.refs, path)
}

// errAt builds a TemplateError at a byte offset of src.
func errAt(src string, offset int, kind error, msg string) *TemplateError {
	line, col := lineCol(src, offset)
	return &TemplateError{Line: line, Column: col, Message: msg, Kind: kind}
}

func lineCol(src string, offset int) (int, int) {
	offset = min(max(offset, 0), len(src))
	before := src[:offset]
	line := strings.Count(before, "\n") + 1
	lineStart := strings.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCountInString(before[lineStart:]) + 1
}

// firstCodeOnLine is the column of the first tag or object on a line, used
// to place errors the library reports with a line only.
func (o *scanned) firstCodeOnLine(src string, line int) int {
	for _, t := range o.tokens {
		if t.Type != parser.TagTokenType && t.Type != parser.ObjTokenType {
			continue
		}
		if l, c := lineCol(src, t.offset); l == line {
			return c
		}
	}
	return 1
}

func isIdent(s string) bool { return s != "" && isIdentStart(s[0]) }

// lastCode is the position of the last tag or object of the template.
func (o *scanned) lastCode(src string) (int, int) {
	for i := len(o.tokens) - 1; i >= 0; i-- {
		if t := o.tokens[i]; t.Type == parser.TagTokenType || t.Type == parser.ObjTokenType {
			return lineCol(src, t.offset)
		}
	}
	return 1, 1
}
