package chatreply

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Helpers that decode and check single JSON values and build errors.

// checkJSON reports invalid UTF-8 and JSON syntax errors; base is the
// offset of body in what the backend sent, for byte positions.
func checkJSON(body []byte, base int) *Error {
	if !utf8.Valid(body) {
		off := 0
		for off < len(body) {
			r, n := utf8.DecodeRune(body[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return &Error{Code: CodeNotJSON, Message: fmt.Sprintf("body is not valid UTF-8 (byte %d)", base+off)}
	}
	var v json.RawMessage
	if err := json.Unmarshal(body, &v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return &Error{Code: CodeNotJSON, Message: fmt.Sprintf("body is not valid JSON (byte %d): %s", int64(base)+se.Offset, se.Error())}
		}
		return &Error{Code: CodeNotJSON, Message: "body is not valid JSON"}
	}
	return nil
}

// stringValue decodes a JSON string (null meaning ""), refusing NUL and the
// C0 control characters other than tab, line feed and carriage return: they
// have no place in chat text and can confuse whatever renders or logs it.
func stringValue(raw json.RawMessage, path string) (string, *Error) {
	if isNull(raw) {
		return "", nil
	}
	if k := kind(raw); k != "a string" {
		return "", invalid(path, "must be a string, got "+k)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", invalid(path, "must be a string")
	}
	if r, bad := controlChar(s); bad {
		return "", invalid(path, fmt.Sprintf("contains the control character U+%04X", r))
	}
	return s, nil
}

// controlChar finds the first C0 control character other than tab, line
// feed and carriage return.
func controlChar(s string) (rune, bool) {
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return r, true
		}
	}
	return 0, false
}

func textValue(raw json.RawMessage, path string, maxRunes int) (string, *Error) {
	s, e := stringValue(raw, path)
	if e != nil {
		return "", e
	}
	if n := utf8.RuneCountInString(s); n > maxRunes {
		return "", tooLarge(path, "is %d characters; the limit is %d", n, maxRunes)
	}
	return s, nil
}

// labelValue is a button or chip caption: one short line.
func labelValue(raw json.RawMessage, path string) (string, *Error) {
	s, e := textValue(raw, path, MaxLabelRunes)
	if e != nil {
		return "", e
	}
	if strings.ContainsAny(s, "\t\n\r") {
		return "", invalid(path, "a label must be a single line")
	}
	if strings.TrimSpace(s) == "" && s != "" {
		return "", invalid(path, "a label must not be blank")
	}
	return s, nil
}

// urlValue accepts only absolute https URLs with a host and no user info:
// the widget loads or links them in the visitor's browser, so anything else
// is either mixed content, a script (javascript:, data:) or phishing bait
// (https://bank.example@evil.example/).
func urlValue(raw json.RawMessage, path string) (string, *Error) {
	s, e := stringValue(raw, path)
	if e != nil || s == "" {
		return s, e
	}
	if len(s) > MaxURLBytes {
		return "", tooLarge(path, "url is %d bytes; the limit is %d", len(s), MaxURLBytes)
	}
	// Browsers read a backslash as a slash and strip whitespace, so a URL
	// with either would not mean to them what it means to net/url.
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == '\\' || r == 0x7f }) {
		return "", invalid(path, "url must not contain spaces, backslashes or control characters")
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", invalid(path, "url is not a valid URL")
	case u.Scheme == "":
		return "", invalid(path, "url must be an absolute https:// URL")
	case u.Scheme != "https":
		return "", invalid(path, "url must use https, not "+quote(u.Scheme, 20))
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return "", invalid(path, "url must have a host")
	case u.User != nil:
		return "", invalid(path, "url must not contain user info")
	}
	return s, nil
}

// arrayElems splits a JSON array (null meaning empty) and enforces its
// maximum length before any element is looked at.
func arrayElems(raw json.RawMessage, path string, max int, what string) ([]json.RawMessage, *Error) {
	if isNull(raw) {
		return nil, nil
	}
	if k := kind(raw); k != "an array" {
		return nil, invalid(path, "must be an array, got "+k)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, invalid(path, "must be an array")
	}
	if len(elems) > max {
		return nil, tooLarge(path, "has %d %s; the limit is %d", len(elems), what, max)
	}
	return elems, nil
}

// objectMembers splits a JSON object. The input has already been validated
// as JSON, so decoder errors cannot happen in practice.
func objectMembers(raw json.RawMessage, path, what string) ([]member, *Error) {
	if k := kind(raw); k != "an object" {
		return nil, invalid(path, what+" must be a JSON object, got "+k)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, invalid(path, what+" must be a JSON object")
	}
	var ms []member
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		var v json.RawMessage
		if err != nil || !ok || dec.Decode(&v) != nil {
			return nil, invalid(path, what+" must be a JSON object")
		}
		ms = append(ms, member{key: key, raw: v})
	}
	return ms, nil
}

func kind(raw json.RawMessage) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func isNull(raw json.RawMessage) bool { return kind(raw) == "null" }

func invalid(path, msg string) *Error { return &Error{Code: CodeInvalid, Path: path, Message: msg} }

func tooLarge(path, format string, args ...any) *Error {
	return &Error{Code: CodeTooLarge, Path: path, Message: fmt.Sprintf(format, args...)}
}

func unknownField(path, key string) *Error {
	return invalid(path, "unknown field "+quote(key, 40))
}

// escapeKey escapes a key for a JSON pointer and shortens it, since a path
// is echoed in error messages and must not carry much of the body.
func escapeKey(key string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(truncate(key, 40))
}

// quote shortens s to at most n bytes and quotes it, escaping anything
// unprintable.
func quote(s string, n int) string { return strconv.Quote(truncate(s, n)) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
