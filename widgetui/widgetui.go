// Package widgetui serves the embeddable chat widget (GET /widget.js) and
// the demo page (GET /demo) that talks to it.
package widgetui

import (
	"net/http"

	"github.com/switchboardhq/switchboard/config"
)

// New returns the handler of /widget.js, /demo and the widget's assets.
func New(cfg config.Config) http.Handler {
	return http.NotFoundHandler()
}
