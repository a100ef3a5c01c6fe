package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// The /docs page is rendered on the server from the embedded OpenAPI
// document: plain HTML and CSS, no script and nothing fetched from elsewhere,
// so it works offline and cannot drift from /openapi.json.

type apiDoc struct {
	Info struct {
		Title, Version, Description string
	}
	Tags []struct {
		Name, Description string
	}
	Paths      map[string]map[string]apiOp
	Components struct {
		Schemas map[string]apiSchema
	}
}

type apiOp struct {
	Summary, Description string
	Tags                 []string
	Parameters           []struct {
		Name, In, Description string
		Required              bool
		Schema                apiSchema
	}
	RequestBody *struct {
		Content map[string]struct{ Schema apiSchema }
	} `json:"requestBody"`
	Responses map[string]struct {
		Description string
		Content     map[string]struct{ Schema apiSchema }
	}
}

type apiSchema struct {
	Ref         string `json:"$ref"`
	Type        any
	Format      string
	Enum        []any
	Description string
	Required    []string
	Properties  map[string]apiSchema
	Items       *apiSchema
}

// label is a one-line description of a schema's type.
func (s apiSchema) label() string {
	if s.Ref != "" {
		return s.Ref[strings.LastIndex(s.Ref, "/")+1:]
	}
	t := fmt.Sprint(s.Type)
	if ts, ok := s.Type.([]any); ok {
		parts := make([]string, len(ts))
		for i, v := range ts {
			parts[i] = fmt.Sprint(v)
		}
		t = strings.Join(parts, " | ")
	}
	if s.Items != nil {
		t = "array of " + s.Items.label()
	}
	if s.Format != "" {
		t += " (" + s.Format + ")"
	}
	if len(s.Enum) > 0 {
		t += ": " + strings.Trim(fmt.Sprint(s.Enum), "[]")
	}
	return t
}

type docField struct{ Name, Type, Description string }

type docOp struct {
	Method, Path, Summary, Description, Anchor string
	Params, Body                               []docField
	Responses                                  []docField
}

type docTag struct {
	Name, Description string
	Ops               []docOp
}

type docPage struct {
	Title, Version, Description string
	Tags                        []docTag
	Schemas                     []docTag // name and fields, reusing docOp.Params
}

var (
	docsOnce sync.Once
	docsHTML []byte
	docsErr  error
)

func (a *App) docsPage(c *fiber.Ctx) error {
	docsOnce.Do(func() { docsHTML, docsErr = renderDocs(openapiDoc) })
	if docsErr != nil {
		return docsErr
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	return c.Send(docsHTML)
}

func renderDocs(raw []byte) ([]byte, error) {
	var d apiDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	page := docPage{Title: d.Info.Title, Version: d.Info.Version, Description: d.Info.Description}
	for _, t := range d.Tags {
		page.Tags = append(page.Tags, docTag{Name: t.Name, Description: t.Description, Ops: opsOfTag(d, t.Name)})
	}
	names := make([]string, 0, len(d.Components.Schemas))
	for n := range d.Components.Schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := d.Components.Schemas[n]
		page.Schemas = append(page.Schemas, docTag{Name: n, Description: s.Description, Ops: []docOp{{Params: fieldsOf(s)}}})
	}
	var out bytes.Buffer
	if err := docsTemplate.Execute(&out, page); err != nil {
		return nil, fmt.Errorf("docs page: %w", err)
	}
	return out.Bytes(), nil
}

func opsOfTag(d apiDoc, tag string) []docOp {
	var ops []docOp
	paths := make([]string, 0, len(d.Paths))
	for p := range d.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		for _, m := range []string{"get", "post", "put", "patch", "delete"} {
			o, ok := d.Paths[p][m]
			if !ok || !slices.Contains(o.Tags, tag) {
				continue
			}
			ops = append(ops, docOpOf(m, p, o))
		}
	}
	return ops
}

func docOpOf(method, path string, o apiOp) docOp {
	op := docOp{Method: strings.ToUpper(method), Path: path, Summary: o.Summary, Description: o.Description,
		Anchor: method + strings.NewReplacer("/", "-", "{", "", "}", "", ".", "-").Replace(path)}
	for _, p := range o.Parameters {
		name := p.Name + " (" + p.In + ")"
		if p.Required {
			name += " *"
		}
		op.Params = append(op.Params, docField{name, p.Schema.label(), p.Description})
	}
	if o.RequestBody != nil {
		for ct, c := range o.RequestBody.Content {
			if len(c.Schema.Properties) == 0 {
				op.Body = append(op.Body, docField{ct, c.Schema.label(), ""})
			}
			for _, f := range fieldsOf(c.Schema) {
				f.Name += " (" + ct + ")"
				op.Body = append(op.Body, f)
			}
		}
	}
	codes := make([]string, 0, len(o.Responses))
	for code := range o.Responses {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		r := o.Responses[code]
		var types []string
		for ct, c := range r.Content {
			types = append(types, ct+": "+c.Schema.label())
		}
		sort.Strings(types)
		op.Responses = append(op.Responses, docField{code, strings.Join(types, "; "), r.Description})
	}
	return op
}

func fieldsOf(s apiSchema) []docField {
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]docField, 0, len(names))
	for _, n := range names {
		p := s.Properties[n]
		if slices.Contains(s.Required, n) {
			n += " *"
		}
		out = append(out, docField{n, p.label(), p.Description})
	}
	return out
}

var docsTemplate = template.Must(template.New("docs").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
main{max-width:1000px;margin:0 auto;padding:1.5rem}
h1{margin:.2rem 0}h2{margin-top:2rem;border-bottom:1px solid #d5d9e0}
section.op{background:#fff;border:1px solid #d5d9e0;border-radius:6px;padding:.6rem 1rem;margin:.8rem 0}
.m{display:inline-block;min-width:4.2rem;font-weight:700;font-family:monospace}
.GET{color:#1760a8}.POST{color:#1d7a3a}.DELETE{color:#b3261e}
code,.p{font-family:ui-monospace,monospace}
table{border-collapse:collapse;width:100%;margin:.4rem 0}td,th{border-top:1px solid #e4e7ec;padding:.25rem .4rem;text-align:left;vertical-align:top}
th{font-weight:600;color:#555}nav a{margin-right:1rem}
</style></head><body><main>
<h1>{{.Title}} API <small>v{{.Version}}</small></h1>
<p>{{.Description}}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Fields marked * are required.</p>
<nav>{{range .Tags}}<a href="#tag-{{.Name}}">{{.Name}}</a>{{end}}<a href="#schemas">schemas</a></nav>
{{range .Tags}}<h2 id="tag-{{.Name}}">{{.Name}}</h2><p>{{.Description}}</p>
{{range .Ops}}<section class="op" id="{{.Anchor}}"><div><span class="m {{.Method}}">{{.Method}}</span> <span class="p">{{.Path}}</span> — {{.Summary}}</div>
{{if .Description}}<p>{{.Description}}</p>{{end}}
{{if .Params}}<table><tr><th>parameter</th><th>type</th><th></th></tr>{{range .Params}}<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td>{{.Description}}</td></tr>{{end}}</table>{{end}}
{{if .Body}}<table><tr><th>body field</th><th>type</th><th></th></tr>{{range .Body}}<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td>{{.Description}}</td></tr>{{end}}</table>{{end}}
<table><tr><th>response</th><th>content</th><th></th></tr>{{range .Responses}}<tr><td>{{.Name}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>{{end}}</table>
</section>{{end}}{{end}}
<h2 id="schemas">Schemas</h2>
{{range .Schemas}}<section class="op" id="schema-{{.Name}}"><strong>{{.Name}}</strong>{{if .Description}} — {{.Description}}{{end}}
{{range .Ops}}<table>{{range .Params}}<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td>{{.Description}}</td></tr>{{end}}</table>{{end}}</section>{{end}}
</main></body></html>
`))
