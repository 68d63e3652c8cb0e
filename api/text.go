package api

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// Headers the API reads (and may store or look up). Other headers are
// never read, so their bytes cannot reach the database.
var readHeaders = []string{"Authorization", HeaderWidgetKey, HeaderWidgetOrg, "Idempotency-Key", "Origin", "Last-Event-ID"}

// errInvalidText is the one answer for text PostgreSQL cannot store: a NUL
// byte or bytes that are not UTF-8. Deciding it here, before any handler,
// keeps every route from turning it into a database error (500).
func errInvalidText(where string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_text", Message: where + " must be UTF-8 text without NUL characters"}
}

// storableText reports whether s can be stored as PostgreSQL text.
func storableText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// textGuard refuses a request whose path, query or read headers hold text
// that cannot be stored. JSON bodies are checked in decode.
func textGuard(c *gin.Context) {
	if err := checkRequestText(c.Request); err != nil {
		_ = c.Error(err)
		c.Abort()
	}
}

func checkRequestText(r *http.Request) *Error {
	if !storableText(r.URL.Path) {
		return errInvalidText("the path")
	}
	for k, vs := range r.URL.Query() {
		if !storableText(k) {
			return errInvalidText("a query parameter name")
		}
		for _, v := range vs {
			if !storableText(v) {
				return errInvalidText("query parameter " + k)
			}
		}
	}
	for _, h := range readHeaders {
		for _, v := range r.Header.Values(h) {
			if !storableText(v) {
				return errInvalidText("header " + h)
			}
		}
	}
	return nil
}
