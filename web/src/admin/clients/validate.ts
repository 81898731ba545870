// Checks of the "Create client" form, mirroring internal/auth/account
// (validateClient, checkRedirectURI) and internal/auth/scope so that
// mistakes show up next to the field instead of as a server refusal.
import type { NewClient } from "../api";

export const GRANTS = [
  { value: "authorization_code", label: "Authorization code", hint: "people sign in through the app" },
  { value: "refresh_token", label: "Refresh token", hint: "stay signed in without asking again" },
  { value: "client_credentials", label: "Client credentials", hint: "a backend service acting on its own, no person" },
] as const;

export type Grant = (typeof GRANTS)[number]["value"];

export function grantLabel(g: string): string {
  return GRANTS.find((x) => x.value === g)?.label ?? g;
}

/** Common scope sets, offered as shortcuts. */
export const SCOPE_PRESETS = [
  { label: "Sign-in (OpenID)", scopes: "openid fhirUser" },
  { label: "Stay signed in", scopes: "offline_access" },
  { label: "Read as the user", scopes: "user/*.rs" },
  { label: "Patient app", scopes: "launch/patient patient/*.rs" },
  { label: "Backend read", scopes: "system/*.rs" },
];

export interface ClientForm {
  name: string;
  type: "confidential" | "public";
  grants: Grant[];
  /** One per line. */
  redirectUris: string;
  /** Space-separated. */
  scopes: string;
}

export const emptyClientForm: ClientForm = { name: "", type: "confidential", grants: ["authorization_code", "refresh_token"], redirectUris: "", scopes: "" };

export type ClientErrors = Partial<Record<"name" | "grants" | "redirectUris" | "scopes", string>>;

export function lines(s: string): string[] {
  return s
    .split(/\r?\n/)
    .map((x) => x.trim())
    .filter(Boolean);
}

export function scopeTokens(s: string): string[] {
  return s.split(/\s+/).filter(Boolean);
}

/** Why a redirect URI would be refused, or "". */
export function redirectProblem(s: string): string {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return `“${s}” is not a full address: start it with https://.`;
  }
  if (s.includes("#")) return `“${s}” must not contain a # part.`;
  if (s.length > 2000) return "A redirect URI may have at most 2000 characters.";
  const scheme = u.protocol.slice(0, -1);
  if (scheme === "https") return u.host ? "" : `“${s}” has no host name.`;
  if (scheme === "http") {
    const h = u.hostname.replace(/^\[|\]$/g, "");
    const loopback = h === "localhost" || /^127(\.\d{1,3}){3}$/.test(h) || h === "::1";
    return loopback ? "" : `“${s}” uses http: only allowed for localhost while developing. Use https.`;
  }
  return scheme.includes(".") ? "" : `“${s}”: use https, http on localhost, or an app scheme like com.example.app:/callback.`;
}

const RESOURCE_SCOPE = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]+)\.(?:(read|write|\*)|(c?r?u?d?s?)(\?[^;?]+=[^;]*)?)$/;

/** Why a scope token would be refused, or "". */
export function scopeProblem(tok: string): string {
  if (/[^\x21-\x7e]|["\\]/.test(tok)) return `“${tok}” contains a character scopes cannot have.`;
  if (!/^(patient|user|system)\//.test(tok)) return "";
  const m = RESOURCE_SCOPE.exec(tok);
  if (!m || (m[4] === "" && !m[3])) return `“${tok}” is not a valid scope: write it like user/Patient.rs or system/*.read.`;
  return "";
}

export function validateClientForm(f: ClientForm): ClientErrors {
  const e: ClientErrors = {};
  const name = f.name.trim();
  if (!name) e.name = "Enter a name that says which app or service this is.";
  else if (name.length > 200) e.name = "Use at most 200 characters.";
  else if (/[\x00-\x1f\x7f]/.test(name)) e.name = "Use printable characters only.";

  const isPublic = f.type === "public";
  if (f.grants.length === 0) e.grants = "Choose at least one way the client gets tokens.";
  else if (isPublic && f.grants.includes("client_credentials")) e.grants = "A public app has no secret, so it cannot use client credentials.";

  const uris = lines(f.redirectUris);
  const needsRedirect = f.grants.includes("authorization_code") || f.grants.includes("refresh_token");
  const badUri = uris.map(redirectProblem).find(Boolean);
  if (badUri) e.redirectUris = badUri;
  else if (needsRedirect && uris.length === 0) e.redirectUris = "Enter where the app receives the sign-in answer (its redirect URI).";

  const toks = scopeTokens(f.scopes);
  const badScope = toks.map(scopeProblem).find(Boolean);
  if (toks.length === 0) e.scopes = "Enter the scopes the client may ask for, such as openid fhirUser user/*.rs.";
  else if (badScope) e.scopes = badScope;
  else if (isPublic && toks.some((t) => t.startsWith("system/"))) e.scopes = "A public app cannot have system/ scopes.";
  else if (!isPublic && f.grants.includes("client_credentials") && !toks.some((t) => t.startsWith("system/"))) {
    e.scopes = "A backend service (client credentials) needs system/ scopes, such as system/*.rs.";
  }
  return e;
}

export function toNewClient(f: ClientForm): NewClient {
  return {
    name: f.name.trim(),
    scopes: Array.from(new Set(scopeTokens(f.scopes))).join(" "),
    redirectUris: lines(f.redirectUris),
    grantTypes: GRANTS.map((g) => g.value).filter((g) => f.grants.includes(g)),
    public: f.type === "public",
  };
}
