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
// request structs and views and kept true by tests: openapi_test.go checks
// every route in the table is documented and vice versa, and the api and
// e2e tests validate their traffic against it (internal/contracttest).
// Embedded so the binary serves the exact file that the tests checked.
//
//go:embed openapi.json
var openAPIDoc []byte

// serveOpenAPI answers GET /openapi.json.
func serveOpenAPI(c *gin.Context) error {
	c.Data(http.StatusOK, "application/json", openAPIDoc)
	return nil
}

// serveDocs answers GET /docs with the document as a readable page.
func serveDocs(c *gin.Context) error {
	c.Data(http.StatusOK, "text/html; charset=utf-8", docsPage)
	return nil
}

// schemaRef is the part of a schema the page shows: a component name, or
// a type with its properties.
type schemaRef struct {
	Ref         string               `json:"$ref"`
	Type        string               `json:"type"`
	Format      string               `json:"format"`
	Description string               `json:"description"`
	Items       *schemaRef           `json:"items"`
	Properties  map[string]schemaRef `json:"properties"`
	Required    []string             `json:"required"`
}

// String names a schema for a table cell: "Webhook", "array of Delivery".
func (s *schemaRef) String() string {
	switch {
	case s == nil:
		return ""
	case s.Ref != "":
		return s.Ref[strings.LastIndex(s.Ref, "/")+1:]
	case s.Type == "array":
		return "array of " + s.Items.String()
	case s.Type == "object" && len(s.Properties) > 0:
		names := make([]string, 0, len(s.Properties))
		for n, p := range s.Properties {
			names = append(names, n+": "+p.String())
		}
		sort.Strings(names)
		return "{" + strings.Join(names, ", ") + "}"
	case s.Format != "":
		return s.Type + " (" + s.Format + ")"
	case s.Type == "":
		return "any JSON"
	}
	return s.Type
}

type mediaType struct {
	Content map[string]struct {
		Schema schemaRef `json:"schema"`
	} `json:"content"`
	Ref string `json:"$ref"`
}

// docOp is one operation as the reference page lists it.
type docOp struct {
	Method, Path, Summary, Auth, Request string
	Params                               []string
	Responses                            []string
}

type docField struct {
	Name, Type, Description string
	Required                bool
}

type docSchema struct {
	Name   string
	Fields []docField
}

// docsPage renders the reference page once at start: the document is
// fixed at build time, so there is nothing to compute per request.
var docsPage = func() []byte {
	var doc struct {
		Info struct {
			Title, Description string
		} `json:"info"`
		Paths map[string]map[string]struct {
			Summary    string                 `json:"summary"`
			Security   *[]map[string][]string `json:"security"`
			Parameters []struct {
				Name, In string
			} `json:"parameters"`
			RequestBody *mediaType           `json:"requestBody"`
			Responses   map[string]mediaType `json:"responses"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]schemaRef `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		// The document is embedded and tested; a broken one is a build bug.
		panic("api: embedded openapi.json: " + err.Error())
	}
	var ops []docOp
	for path, item := range doc.Paths {
		for method, o := range item {
			d := docOp{Method: strings.ToUpper(method), Path: path, Summary: o.Summary, Auth: "secret key (Authorization: Bearer)"}
			if o.Security != nil {
				d.Auth = "none"
				if len(*o.Security) > 0 {
					d.Auth = "public key (X-Switchboard-Key) or secret key, with X-Switchboard-Org"
				}
			}
			for _, p := range o.Parameters {
				if p.In != "path" {
					d.Params = append(d.Params, p.Name+" ("+p.In+")")
				}
			}
			if o.RequestBody != nil {
				for _, m := range o.RequestBody.Content {
					d.Request = m.Schema.String()
				}
			}
			for st, r := range o.Responses {
				desc := st
				for ct, m := range r.Content {
					desc += " " + m.Schema.String()
					if ct != "application/json" {
						desc += " (" + ct + ")"
					}
				}
				if r.Ref != "" {
					desc += " Error"
				}
				d.Responses = append(d.Responses, desc)
			}
			sort.Strings(d.Responses)
			ops = append(ops, d)
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	var schemas []docSchema
	for name, s := range doc.Components.Schemas {
		ds := docSchema{Name: name}
		for fname, f := range s.Properties {
			ds.Fields = append(ds.Fields, docField{Name: fname, Type: f.String(), Description: f.Description, Required: contains(s.Required, fname)})
		}
		sort.Slice(ds.Fields, func(i, j int) bool { return ds.Fields[i].Name < ds.Fields[j].Name })
		schemas = append(schemas, ds)
	}
	sort.Slice(schemas, func(i, j int) bool { return schemas[i].Name < schemas[j].Name })
	var b strings.Builder
	data := struct {
		Title, Description string
		Ops                []docOp
		Schemas            []docSchema
	}{doc.Info.Title, doc.Info.Description, ops, schemas}
	if err := docsTemplate.Execute(&b, data); err != nil {
		panic("api: docs template: " + err.Error())
	}
	return []byte(b.String())
}()

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var docsTemplate = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:80rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}td,th{border:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}
code{font-size:.95em;overflow-wrap:anywhere}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Description}}</p>
<p>The machine-readable contract: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3). Every error answer is
<code>{"error":{"code","message","field?"}}</code>.</p>
<h2>Operations</h2>
<table><thead><tr><th scope="col">Method</th><th scope="col">Path</th><th scope="col">What it does</th><th scope="col">Credential</th><th scope="col">Request</th><th scope="col">Answers</th></tr></thead>
<tbody>{{range .Ops}}<tr><td><code>{{.Method}}</code></td><td><code>{{.Path}}</code></td><td>{{.Summary}}</td><td>{{.Auth}}</td>
<td>{{with .Request}}<code>{{.}}</code>{{end}}{{range .Params}}<br><code>{{.}}</code>{{end}}</td>
<td>{{range .Responses}}<code>{{.}}</code><br>{{end}}</td></tr>
{{end}}</tbody></table>
<h2>Schemas</h2>
{{range .Schemas}}<h3 id="{{.Name}}">{{.Name}}</h3>
<table><thead><tr><th scope="col">Field</th><th scope="col">Type</th><th scope="col">Required</th><th scope="col">Notes</th></tr></thead>
<tbody>{{range .Fields}}<tr><td><code>{{.Name}}</code></td><td><code>{{.Type}}</code></td><td>{{if .Required}}yes{{end}}</td><td>{{.Description}}</td></tr>
{{end}}</tbody></table>
{{end}}</body></html>
`))
