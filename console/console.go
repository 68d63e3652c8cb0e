// Package console is the operators' web console served under /console/:
// server-rendered pages over the service layer (no separate build step).
package console

import (
	"log/slog"
	"net/http"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/service"
	"github.com/switchboardhq/switchboard/store"
)

// Deps are what the console is built from.
type Deps struct {
	Services *service.Services
	Store    *store.Store
	Log      *slog.Logger
	Cfg      config.Config
}

// New returns the console's handler for every path under /console/.
func New(d Deps) http.Handler {
	return http.NotFoundHandler()
}
