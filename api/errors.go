package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/models"
)

// Error is an HTTP-level failure detected by the API itself (bad JSON, body
// too large); domain failures come from the service as domain errors.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// errorBody is the one error shape every response uses.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// retryAfterSeconds is the Retry-After of a 503: long enough for a pool to
// free a connection or Temporal to come back, short for a client to wait.
const retryAfterSeconds = 5

// errorMiddleware turns the last error a handler recorded with c.Error into
// the JSON error body. Unknown errors are logged and answered with a bare
// "internal server error": their text may hold internals.
func errorMiddleware(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if len(c.Errors) == 0 || c.Writer.Written() {
			return
		}
		status, body := mapError(c.Errors.Last().Err)
		switch status {
		case http.StatusInternalServerError:
			log.Error("request failed", "method", c.Request.Method, "path", c.FullPath(), "err", c.Errors.Last().Err)
		case http.StatusServiceUnavailable:
			log.Warn("dependency unavailable", "method", c.Request.Method, "path", c.FullPath(), "err", c.Errors.Last().Err)
			c.Header("Retry-After", strconv.Itoa(retryAfterSeconds))
		}
		c.AbortWithStatusJSON(status, body)
	}
}

func mapError(err error) (int, errorBody) {
	var (
		apiErr   *Error
		valErr   *models.ValidationError
		conflict *models.ConflictError
		denied   *models.ForbiddenError
	)
	switch {
	case errors.As(err, &apiErr):
		return apiErr.Status, errorBody{errorDetail{Code: apiErr.Code, Message: apiErr.Message}}
	case errors.As(err, &valErr):
		code := valErr.Code
		if code == "" {
			code = "invalid_request"
		}
		return http.StatusBadRequest, errorBody{errorDetail{Code: code, Message: valErr.Error(), Field: valErr.Field}}
	case errors.Is(err, models.ErrNotFound):
		return http.StatusNotFound, errorBody{errorDetail{Code: "not_found", Message: "resource not found"}}
	case errors.Is(err, models.ErrUnavailable):
		return http.StatusServiceUnavailable, errorBody{errorDetail{Code: "unavailable", Message: "the service is temporarily unavailable; retry later"}}
	case errors.Is(err, models.ErrUnauthorized):
		return http.StatusUnauthorized, errorBody{errorDetail{Code: "unauthorized", Message: "missing or invalid API key"}}
	case errors.As(err, &denied):
		return http.StatusForbidden, errorBody{errorDetail{Code: "forbidden", Message: denied.Message}}
	case errors.Is(err, models.ErrForbidden):
		return http.StatusForbidden, errorBody{errorDetail{Code: "forbidden", Message: "this key may not perform this action"}}
	case errors.As(err, &conflict):
		return http.StatusConflict, errorBody{errorDetail{Code: "conflict", Message: conflict.Message}}
	case errors.Is(err, models.ErrConflict):
		// A database uniqueness error: its text names tables, so hide it.
		return http.StatusConflict, errorBody{errorDetail{Code: "conflict", Message: "the request conflicts with the current state"}}
	}
	return http.StatusInternalServerError, errorBody{errorDetail{Code: "internal", Message: "internal server error"}}
}
