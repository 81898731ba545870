package oauth

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
)

//go:embed web
var webFS embed.FS

var styleCSS = func() []byte {
	b, err := webFS.ReadFile("web/style.css")
	if err != nil {
		panic(err)
	}
	return b
}()

func parsePages() (*template.Template, error) {
	t, err := template.ParseFS(webFS, "web/page.html")
	if err != nil {
		return nil, fmt.Errorf("oauth: pages: %w", err)
	}
	return t, nil
}

// pageData is everything a page may show.
type pageData struct {
	Title, Step   string
	Error, Notice string
	ClientName    string
	CSRF          string
	Hidden        []hiddenField
	Email         string // as typed, to refill the form
	UserEmail     string // the signed-in account
	CodeLogin     bool
	Dev           bool
	SignedIn      bool
	Secret        string
	OTPAuthURL    template.URL
	RecoveryCodes []string
	ContinueURL   string
	Scopes        []scopeLine
}

// render writes a page. The page has no scripts and no inline styles, so
// the Content-Security-Policy set by web() applies unchanged.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, d pageData) {
	d.CSRF = s.csrfToken(w, r)
	d.Dev = s.dev
	d.CodeLogin = s.sender != nil
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, "page", d); err != nil {
		s.log.ErrorContext(r.Context(), "oauth: rendering page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, pageData{Title: "Cannot continue", Step: "error", Error: msg})
}

func (s *Server) handleCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(styleCSS)
}
