package liquidsandbox

import "strings"

// lexer splits a Liquid expression into lexemes just finely enough for the
// save-time checks: strings, numbers, identifiers, "..", and punctuation.
// It does not evaluate anything; the library's own parser still decides
// whether the expression is valid.
type lexer struct {
	src string
	pos int
}

// next returns the next lexeme and its byte offset in src.
func (l *lexer) next() (string, int, bool) {
	for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
		l.pos++
	}
	if l.pos >= len(l.src) {
		return "", l.pos, false
	}
	start := l.pos
	c := l.src[l.pos]
	switch {
	case c == '"' || c == '\'':
		end := strings.IndexByte(l.src[l.pos+1:], c)
		if end < 0 {
			l.pos = len(l.src)
		} else {
			l.pos += end + 2
		}
	case isIdentStart(c):
		l.pos++
		for l.pos < len(l.src) && isIdentPart(l.src[l.pos]) {
			l.pos++
		}
		if l.pos < len(l.src) && l.src[l.pos] == '?' {
			l.pos++
		}
	case c >= '0' && c <= '9':
		for l.pos < len(l.src) && (l.src[l.pos] >= '0' && l.src[l.pos] <= '9' ||
			l.src[l.pos] == '.' && !strings.HasPrefix(l.src[l.pos:], "..")) {
			l.pos++
		}
	case strings.HasPrefix(l.src[l.pos:], ".."):
		l.pos += 2
	case strings.ContainsAny(l.src[l.pos:l.pos+1], "=!<>") &&
		l.pos+1 < len(l.src) && strings.ContainsAny(l.src[l.pos+1:l.pos+2], "=>"):
		l.pos += 2
	default:
		l.pos++
	}
	return l.src[start:l.pos], start, true
}

func (l *lexer) peek() (string, int, bool) {
	saved := l.pos
	lex, at, ok := l.next()
	l.pos = saved
	return lex, at, ok
}

// path consumes the ".name" and "[literal]" segments after an identifier and
// returns the dotted variable path (items[0].name -> items.0.name). A
// computed index (items[i]) ends the path; i is then read as its own
// variable by the caller's loop.
func (l *lexer) path(first string) string {
	parts := []string{first}
	for {
		lex, _, ok := l.peek()
		if !ok {
			break
		}
		if lex == "." {
			saved := l.pos
			l.next()
			name, _, ok := l.next()
			if !ok || !isIdent(name) {
				l.pos = saved
				break
			}
			parts = append(parts, name)
			continue
		}
		if lex == "[" {
			saved := l.pos
			l.next()
			key, _, ok1 := l.next()
			closing, _, ok2 := l.next()
			if !ok1 || !ok2 || closing != "]" || isIdent(key) {
				l.pos = saved
				break
			}
			parts = append(parts, strings.Trim(key, `"'`))
			continue
		}
		break
	}
	return strings.Join(parts, ".")
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isIdentStart accepts any byte of a multi-byte UTF-8 sequence: since
// v1.8.0 the library accepts Unicode identifiers, and a variable named
// "prénom" must be listed when missing. (A non-ASCII filter name is simply
// not in the allow-list.)
func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c == '-' || (c >= '0' && c <= '9') }
