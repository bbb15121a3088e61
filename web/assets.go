package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// The pages and their files are part of the binary: `go build` is all it takes.
//
//go:embed static templates
var assets embed.FS

// staticFiles serves /static/ from the embedded files, each with an ETag (the
// embedded files have no modification time), revalidated on every use so that
// an upgraded server never leaves a browser with stale scripts.
type staticFiles struct {
	files map[string]staticFile
}

type staticFile struct {
	body        []byte
	etag        string
	contentType string
}

func newStaticFiles() (*staticFiles, error) {
	sf := &staticFiles{files: map[string]staticFile{}}
	err := fs.WalkDir(assets, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "text/plain; charset=utf-8" // LICENSE, README.md
		}
		sf.files[strings.TrimPrefix(p, "static")] = staticFile{
			body: body, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`, contentType: ct,
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: read the embedded files: %w", err)
	}
	return sf, nil
}

func (sf *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := sf.files[r.URL.Path]
	if !ok {
		http.Error(w, "There is no such file here.", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", f.etag) // ServeContent answers If-None-Match with 304
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

// pages are the HTML templates.
type pages struct {
	t *template.Template
}

func newPages() (*pages, error) {
	t, err := template.ParseFS(assets, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse the page templates: %w", err)
	}
	return &pages{t: t}, nil
}

// render writes the page name with status. Pages are never cached: they
// depend on who is signed in.
func (p *pages) render(w http.ResponseWriter, name string, status int, data any) {
	var buf bytes.Buffer
	if err := p.t.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "This page could not be drawn; please reload it.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
