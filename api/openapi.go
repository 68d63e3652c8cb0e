package api

import (
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"
)

// openAPIDoc is the API contract, written by hand from the handlers'
// request structs and views and kept true by openapi_test.go (every route
// in the table is documented and vice versa; the API tests validate their
// traffic against it). Embedded so the binary serves the exact file that
// the tests checked.
//
//go:embed openapi.json
var openAPIDoc []byte

// serveOpenAPI answers GET /openapi.json.
func serveOpenAPI(c *gin.Context) error {
	c.Data(http.StatusOK, "application/json", openAPIDoc)
	return nil
}

// docOp is one operation as the reference page lists it.
type docOp struct {
	Method, Path, Summary, Auth string
	Statuses                    []string
}

// docsPage renders the reference page once at start: the document is
// fixed at build time, so there is nothing to compute per request.
var docsPage = func() []byte {
	var doc struct {
		Info struct {
			Title, Description string
		} `json:"info"`
		Paths map[string]map[string]struct {
			Summary   string                     `json:"summary"`
			Security  *[]map[string][]string     `json:"security"`
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		// The document is embedded and tested; a broken one is a build bug.
		panic("api: embedded openapi.json: " + err.Error())
	}
	var ops []docOp
	for path, item := range doc.Paths {
		for method, o := range item {
			auth := "secret key (Authorization: Bearer)"
			if o.Security != nil {
				auth = "none"
				if len(*o.Security) > 0 {
					auth = "public key (X-Switchboard-Key) + X-Switchboard-Org, or secret key + X-Switchboard-Org"
				}
			}
			var sts []string
			for st := range o.Responses {
				sts = append(sts, st)
			}
			sort.Strings(sts)
			ops = append(ops, docOp{strings.ToUpper(method), path, o.Summary, auth, sts})
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	var b strings.Builder
	data := struct {
		Title, Description string
		Ops                []docOp
	}{doc.Info.Title, doc.Info.Description, ops}
	if err := docsTemplate.Execute(&b, data); err != nil {
		panic("api: docs template: " + err.Error())
	}
	return []byte(b.String())
}()

var docsTemplate = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}
code{font-size:.95em}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Description}}</p>
<p>The machine-readable contract, with every request and response schema: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3).</p>
<table><thead><tr><th scope="col">Method</th><th scope="col">Path</th><th scope="col">What it does</th><th scope="col">Credential</th><th scope="col">Statuses</th></tr></thead>
<tbody>{{range .Ops}}<tr><td><code>{{.Method}}</code></td><td><code>{{.Path}}</code></td><td>{{.Summary}}</td><td>{{.Auth}}</td><td>{{range .Statuses}}{{.}} {{end}}</td></tr>
{{end}}</tbody></table></body></html>
`))

// serveDocs answers GET /docs with the document as a readable page.
func serveDocs(c *gin.Context) error {
	c.Data(http.StatusOK, "text/html; charset=utf-8", docsPage)
	return nil
}
