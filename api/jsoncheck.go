package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// Limits on JSON bodies. Receivers parse what Switchboard stores and
// forwards: deeply nested documents overflow recursive parsers, and numbers
// beyond a float64 become Infinity or an error in JavaScript and most JSON
// libraries, so neither is accepted.
const maxJSONDepth = 32

// checkJSON walks a request body's tokens with a streaming decoder (no tree
// is built, so a hostile document costs no more than its length) and
// refuses what cannot be stored or safely parsed: invalid UTF-8, NUL or
// unpaired surrogate escapes, nesting deeper than maxJSONDepth below the
// body's top-level object, and numbers that overflow a float64. Syntax
// errors come back as decode errors.
func checkJSON(raw []byte) error {
	if !utf8.Valid(raw) {
		return errInvalidText("the JSON body")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return decodeError(err)
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				depth++
				// The top-level object is level 0; its values start at 1.
				if depth-1 > maxJSONDepth {
					return &Error{Status: http.StatusBadRequest, Code: "json_too_deep",
						Message: "JSON nests deeper than " + strconv.Itoa(maxJSONDepth) + " levels"}
				}
			} else {
				depth--
			}
		case json.Number:
			if _, err := strconv.ParseFloat(v.String(), 64); err != nil {
				return &Error{Status: http.StatusBadRequest, Code: "number_out_of_range",
					Message: "number " + truncate(v.String(), 40) + " does not fit a 64-bit float (largest about 1.8e308)"}
			}
		}
	}
	return checkEscapes(raw)
}

// checkEscapes finds \u0000 and unpaired UTF-16 surrogate escapes in
// syntactically valid JSON. encoding/json silently turns the latter into
// U+FFFD, so decoded strings cannot show them, but raw JSON fields (event
// data) keep them and PostgreSQL's jsonb refuses both.
func checkEscapes(raw []byte) error {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++ // the escaped character; a backslash only occurs inside strings
		if i >= len(raw) || raw[i] != 'u' || i+4 >= len(raw) {
			continue
		}
		r := hex4(raw[i+1 : i+5])
		i += 4
		switch {
		case r == 0:
			return errInvalidText("a JSON string")
		case r >= 0xDC00 && r <= 0xDFFF:
			return errInvalidText("a JSON string (unpaired surrogate escape)")
		case r >= 0xD800 && r <= 0xDBFF:
			// A high surrogate must be followed by a \u escape of a low one.
			if i+6 >= len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' {
				return errInvalidText("a JSON string (unpaired surrogate escape)")
			}
			if lo := hex4(raw[i+3 : i+7]); lo < 0xDC00 || lo > 0xDFFF {
				return errInvalidText("a JSON string (unpaired surrogate escape)")
			}
			i += 6
		}
	}
	return nil
}

// hex4 parses four hex digits; the JSON was validated, so they are digits.
func hex4(b []byte) rune {
	n, _ := strconv.ParseUint(string(b), 16, 32)
	return rune(n)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
