package app

import "net/http"

// mount puts the API, the console and the widget behind one handler: the
// console and the widget are pages, not API routes, so they live outside
// the API's route table (and its OpenAPI document).
func mount(apiH, consoleH, widgetH http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/console/", consoleH)
	mux.Handle("/console", http.RedirectHandler("/console/", http.StatusFound))
	mux.Handle("GET /widget.js", widgetH)
	mux.Handle("GET /widget/", widgetH) // the widget's assets
	mux.Handle("GET /demo", widgetH)
	mux.Handle("/", apiH)
	return mux
}
