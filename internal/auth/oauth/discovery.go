package oauth

import (
	"net/http"
)

// Scopes and capabilities advertised by the discovery documents. They
// list what is implemented, nothing more.
var (
	scopesSupported = []string{
		"openid", "fhirUser", "launch/patient", "offline_access", "online_access",
		"patient/*.cruds", "patient/*.rs", "patient/*.read", "patient/*.write",
		"user/*.cruds", "user/*.rs", "user/*.read", "user/*.write",
		"system/*.cruds", "system/*.rs", "system/*.read", "system/*.write",
	}
	grantTypesSupported    = []string{"authorization_code", "refresh_token", "client_credentials"}
	authMethodsSupported   = []string{"client_secret_basic", "client_secret_post", "private_key_jwt"}
	assertionAlgsSupported = []string{"RS384", "ES384", "RS256", "ES256"}
	smartCapabilities      = []string{
		"launch-standalone", "client-public", "client-confidential-symmetric", "client-confidential-asymmetric",
		"context-standalone-patient", "permission-v1", "permission-v2", "permission-patient", "permission-user",
		"permission-offline", "permission-online", "sso-openid-connect", "authorize-post",
	}
)

func (s *Server) endpoints() map[string]any {
	return map[string]any{
		"issuer":                                           s.issuer,
		"authorization_endpoint":                           s.issuer + "/oauth2/authorize",
		"token_endpoint":                                   s.tokenURL,
		"jwks_uri":                                         s.issuer + "/.well-known/jwks.json",
		"revocation_endpoint":                              s.issuer + "/oauth2/revoke",
		"introspection_endpoint":                           s.issuer + "/oauth2/introspect",
		"response_types_supported":                         []string{"code"},
		"grant_types_supported":                            grantTypesSupported,
		"scopes_supported":                                 scopesSupported,
		"code_challenge_methods_supported":                 []string{"S256"},
		"token_endpoint_auth_methods_supported":            authMethodsSupported,
		"token_endpoint_auth_signing_alg_values_supported": assertionAlgsSupported,
		"revocation_endpoint_auth_methods_supported":       append([]string{"none"}, authMethodsSupported...),
		"introspection_endpoint_auth_methods_supported":    authMethodsSupported,
	}
}

func (s *Server) handleOpenIDConfig(w http.ResponseWriter, r *http.Request) {
	doc := s.endpoints()
	doc["response_modes_supported"] = []string{"query"}
	doc["subject_types_supported"] = []string{"public"}
	doc["id_token_signing_alg_values_supported"] = []string{"RS256"}
	doc["claims_supported"] = []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "fhirUser"}
	doc["request_parameter_supported"] = false
	doc["request_uri_parameter_supported"] = false
	doc["authorization_response_iss_parameter_supported"] = true
	doc["prompt_values_supported"] = []string{"none", "login", "consent"}
	writePublicJSON(w, doc)
}

func (s *Server) handleSMARTConfig(w http.ResponseWriter, r *http.Request) {
	doc := s.endpoints()
	doc["capabilities"] = smartCapabilities
	writePublicJSON(w, doc)
}

func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	b, err := s.Keys().JWKS()
	if err != nil {
		s.log.ErrorContext(r.Context(), "oauth: JWKS", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(b)
}

// writePublicJSON answers a cacheable discovery document.
func writePublicJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.WriteHeader(http.StatusOK)
	_ = jsonEncoder(w).Encode(v)
}
