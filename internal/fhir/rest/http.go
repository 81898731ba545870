package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
)

// HandlerOptions configure the HTTP adapter.
type HandlerOptions struct {
	// Prefix is the path the FHIR base is mounted at ("/fhir/r4").
	Prefix string
	// PublicURL, when set, is used for absolute links instead of the request's host.
	PublicURL string
	// MaxBodyBytes caps request bodies (413 beyond).
	MaxBodyBytes int64
	Logger       *slog.Logger
}

// Handler serves the FHIR REST API over HTTP.
type Handler struct {
	engine *Engine
	opts   HandlerOptions
}

// NewHandler returns the HTTP adapter for an Engine.
func NewHandler(e *Engine, o HandlerOptions) *Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 16 << 20
	}
	return &Handler{engine: e, opts: o}
}

const fhirJSON = "application/fhir+json"

func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(ct))
	}
	return mt
}

func isXML(mt string) bool {
	return mt == "xml" || strings.HasSuffix(mt, "/xml") || strings.HasSuffix(mt, "+xml")
}

// wantsXMLOnly reports an Accept header that excludes JSON.
func wantsXMLOnly(accept string) bool {
	if accept == "" {
		return false
	}
	xml := false
	for _, part := range strings.Split(accept, ",") {
		mt := mediaType(part)
		switch {
		case isXML(mt):
			xml = true
		case mt == "*/*" || mt == "application/*" || strings.Contains(mt, "json"):
			return false
		}
	}
	return xml
}

func (h *Handler) base(r *http.Request) string {
	if h.opts.PublicURL != "" {
		return strings.TrimRight(h.opts.PublicURL, "/") + h.opts.Prefix
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + h.opts.Prefix
}

// ServeHTTP parses the request, runs it and writes the answer.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pretty := r.URL.Query().Get("_pretty") == "true"
	resp, err := h.serve(w, r)
	if err != nil {
		fe := asError(err)
		if fe.Status >= 500 {
			h.opts.Logger.ErrorContext(r.Context(), "fhir request failed", "method", r.Method, "status", fe.Status, "err", fe.Cause)
		}
		switch fe.Status {
		case http.StatusUnauthorized:
			w.Header().Set("WWW-Authenticate", `Bearer realm="housecall"`)
		case http.StatusForbidden:
			w.Header().Set("WWW-Authenticate", `Bearer realm="housecall", error="insufficient_scope"`)
		}
		resp = &Response{Status: fe.Status, Resource: outcome(fe.Issues)}
	}
	h.write(w, r, resp, pretty)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) (*Response, error) {
	q := r.URL.Query()
	if f := q.Get("_format"); f != "" {
		mt := mediaType(f)
		switch {
		case mt == "json" || mt == fhirJSON || mt == "application/json" || mt == "application/fhir json":
		case isXML(mt):
			return nil, errorf(http.StatusUnsupportedMediaType, "not-supported", "", "XML is not supported; use JSON (_format=json)")
		default:
			return nil, errorf(http.StatusUnsupportedMediaType, "not-supported", "", "Unsupported _format %q; use json", f)
		}
	} else if wantsXMLOnly(r.Header.Get("Accept")) {
		return nil, errorf(http.StatusUnsupportedMediaType, "not-supported", "", "XML is not supported; ask for application/fhir+json")
	}
	path := strings.TrimPrefix(r.URL.Path, h.opts.Prefix)
	raw := path
	if r.URL.RawQuery != "" {
		raw += "?" + r.URL.RawQuery
	}
	req, err := ParseURL(r.Method, raw)
	if err != nil {
		return nil, err
	}
	req.ContentType = mediaType(r.Header.Get("Content-Type"))
	if r.Body != nil && r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodDelete {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, errorf(http.StatusRequestEntityTooLarge, "too-costly", "", "The request body is larger than %d bytes", h.opts.MaxBodyBytes)
			}
			return nil, invalid("", "Could not read the request body")
		}
		req.Body = body
		if err := checkContentType(req); err != nil {
			return nil, err
		}
	}
	req.IfMatch = r.Header.Get("If-Match")
	req.IfNoneMatch = r.Header.Get("If-None-Match")
	req.IfNoneExist = r.Header.Get("If-None-Exist")
	req.IfModifiedSince = r.Header.Get("If-Modified-Since")
	req.Prefer = ParsePrefer(strings.Join(r.Header.Values("Prefer"), ","))
	ctx := WithBase(r.Context(), h.base(r))
	return h.engine.Do(ctx, req)
}

// checkContentType accepts JSON under its proper names and, because some
// SDKs send text/plain or nothing, any body that looks like a JSON object.
func checkContentType(req *Request) error {
	mt := req.ContentType
	if len(bytes.TrimSpace(req.Body)) == 0 {
		return nil
	}
	switch {
	case isXML(mt):
		return errorf(http.StatusUnsupportedMediaType, "not-supported", "", "XML is not supported; send application/fhir+json")
	case req.Interaction == SearchType:
		return nil // form-encoded _search
	case mt == fhirJSON || mt == "application/json" || mt == "application/json-patch+json":
		return nil
	}
	first := bytes.TrimLeft(req.Body, " \t\r\n")
	if len(first) > 0 && (first[0] == '{' || first[0] == '[') {
		if first[0] == '[' && (req.Interaction == Patch || req.Interaction == ConditionalPatch) {
			req.ContentType = "application/json-patch+json"
		}
		return nil
	}
	return errorf(http.StatusUnsupportedMediaType, "not-supported", "", "Unsupported content type %q; send application/fhir+json", mt)
}

func (h *Handler) write(w http.ResponseWriter, r *http.Request, resp *Response, pretty bool) {
	hdr := w.Header()
	if resp.ETag != "" {
		hdr.Set("ETag", resp.ETag)
	}
	if !resp.LastModified.IsZero() {
		hdr.Set("Last-Modified", resp.LastModified.UTC().Format(http.TimeFormat))
	}
	if resp.Location != "" {
		hdr.Set("Location", resp.Location)
		if resp.Status == http.StatusCreated {
			hdr.Set("Content-Location", resp.Location)
		}
	}
	body := resp.Body
	if body == nil && resp.Resource != nil {
		var err error
		if body, err = encode(resp.Resource); err != nil {
			h.opts.Logger.ErrorContext(r.Context(), "encoding response", "err", err)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
	}
	if body == nil || resp.Status == http.StatusNotModified || resp.Status == http.StatusNoContent {
		w.WriteHeader(resp.Status)
		return
	}
	if pretty {
		var buf bytes.Buffer
		if json.Indent(&buf, body, "", "  ") == nil {
			body = buf.Bytes()
		}
	}
	hdr.Set("Content-Type", fhirJSON+"; charset=utf-8")
	w.WriteHeader(resp.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
