package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/models"
)

// bodyLimit caps every request body; reading past it fails with
// *http.MaxBytesError, which decode reports as 413.
func bodyLimit(limit int64, larger map[string]int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		n := limit
		if l, ok := larger[c.FullPath()]; ok {
			n = l // uploads: multipart framing on top of the file limit
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		c.Next()
	}
}

// decode reads one JSON object into v. Unknown fields are rejected: a typo
// such as "evnt_types" must not silently create an endpoint that listens to
// nothing. Trailing data after the object is rejected too. Every body goes
// through checkJSON first, so text and shapes that cannot be stored or
// safely forwarded are refused here for every route.
func decode(c *gin.Context, v any) error {
	raw, err := io.ReadAll(c.Request.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large", Message: "request body is larger than the configured limit"}
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// HTTP_READ_TIMEOUT passed before the client finished sending.
		return &Error{Status: http.StatusRequestTimeout, Code: "request_timeout", Message: "the request body was not received in time"}
	}
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Code: "invalid_json", Message: "could not read the request body"}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return &Error{Status: http.StatusBadRequest, Code: "invalid_json", Message: "request body must be a JSON object"}
	}
	if err := checkJSON(raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return &Error{Status: http.StatusBadRequest, Code: "invalid_json", Message: "request body must hold a single JSON object"}
	}
	return unknownField(raw, v)
}

// unknownField rejects keys that v's struct does not declare, at the top
// and in nested objects decoded into structs (e.g. "auth", "metadata").
// encoding/json's DisallowUnknownFields reports them only as error text,
// so the check is done here from the structs' json tags instead.
func unknownField(raw []byte, v any) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return &Error{Status: http.StatusBadRequest, Code: "invalid_json", Message: "request body must be a JSON object"}
	}
	return unknownKeys(keys, reflect.TypeOf(v).Elem(), "")
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

func unknownKeys(keys map[string]json.RawMessage, t reflect.Type, prefix string) error {
	if t.Kind() != reflect.Struct {
		// A map takes free keys (e.g. the variables of a click
		// verification): there is no field list to check against.
		return nil
	}
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" {
			name = t.Field(i).Name
		}
		fields[name] = t.Field(i).Type
	}
	for k, rawValue := range keys {
		ft, ok := fields[k]
		if !ok {
			return &Error{Status: http.StatusBadRequest, Code: "unknown_field", Message: "unknown field " + strconv.Quote(prefix+k)}
		}
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() != reflect.Struct || reflect.PointerTo(ft).Implements(jsonUnmarshaler) {
			continue // its own decoding (time.Time, durations) decides
		}
		var nested map[string]json.RawMessage
		if json.Unmarshal(rawValue, &nested) != nil || nested == nil {
			continue // null, or a type the decoder already accepted
		}
		if err := unknownKeys(nested, ft, prefix+k+"."); err != nil {
			return err
		}
	}
	return nil
}

func decodeError(err error) error {
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
		valErr  *models.ValidationError
		msg     = "request body is not valid JSON"
	)
	switch {
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
	case errors.As(err, &valErr):
		// Raised by a field's own UnmarshalJSON (e.g. a duration string).
		return valErr
	case errors.As(err, &typeErr):
		msg = "field " + strconv.Quote(typeErr.Field) + " has the wrong type"
		if typeErr.Field == "" {
			msg = "request body must be a JSON object"
		}
	}
	return &Error{Status: http.StatusBadRequest, Code: "invalid_json", Message: msg}
}
