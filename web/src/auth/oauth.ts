// Signing in through the server's own sign-in page: OAuth 2.0 authorization
// code with PKCE (S256) for the first-party public client "housecall-web"
// (docs/visit-flow.md). Password + TOTP and the patient one-time code are
// handled by that page; the app only sees the resulting tokens.
import { ApiError, plainMessage, serverMessage } from "../api/http";
import { getSession, jwtClaims, setRefresher, setSession, type Role, type UserSession } from "./session";

export const CLIENT_ID = "housecall-web";
export const SCOPES = "openid fhirUser offline_access user/*.cruds patient/*.cruds launch/patient";
const PENDING = "housecall.signin";

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function random(n = 32): string {
  const a = new Uint8Array(n);
  crypto.getRandomValues(a);
  return b64url(a);
}

async function challenge(verifier: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return b64url(new Uint8Array(d));
}

function redirectURI(): string {
  return `${window.location.origin}/auth/callback`;
}

/** Sends the browser to the sign-in page; it comes back to /auth/callback and then to returnTo. */
export async function signIn(returnTo = "/"): Promise<void> {
  const verifier = random(48);
  const state = random(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }));
  const q = new URLSearchParams({
    response_type: "code",
    client_id: CLIENT_ID,
    redirect_uri: redirectURI(),
    scope: SCOPES,
    state,
    aud: `${window.location.origin}/fhir/r4`,
    code_challenge: await challenge(verifier),
    code_challenge_method: "S256",
  });
  window.location.assign(`/oauth2/authorize?${q}`);
}

interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
  scope: string;
  patient?: string;
  id_token?: string;
}

async function tokenRequest(form: Record<string, string>): Promise<TokenResponse> {
  let res: Response;
  try {
    res = await fetch("/oauth2/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams(form),
    });
  } catch {
    throw new ApiError(0, plainMessage(0, ""));
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const detail = serverMessage(body);
    throw new ApiError(res.status, res.status === 400 ? "Signing in did not complete. Please sign in again." : plainMessage(res.status, detail), detail);
  }
  return body as TokenResponse;
}

function toSession(t: TokenResponse, prev?: UserSession): UserSession {
  const claims = jwtClaims(t.access_token);
  const id = t.id_token ? jwtClaims(t.id_token) : {};
  const fhirUser = String(claims.fhirUser ?? id.fhirUser ?? prev?.fhirUser ?? "").replace(/^.*\/(\w+\/[^/]+)$/, "$1");
  return {
    kind: "user",
    accessToken: t.access_token,
    refreshToken: t.refresh_token ?? prev?.refreshToken,
    expiresAt: Date.now() + t.expires_in * 1000,
    scope: t.scope,
    role: (claims.role ?? prev?.role) as Role,
    fhirUser,
    patient: t.patient ?? claims.patient ?? prev?.patient,
    name: id.name ?? prev?.name,
    email: id.email ?? prev?.email,
  };
}

/** Completes sign-in on /auth/callback; returns where to go next. */
export async function completeSignIn(search: URLSearchParams): Promise<string> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? "null") as { verifier: string; state: string; returnTo: string } | null;
  sessionStorage.removeItem(PENDING);
  const err = search.get("error");
  if (err) {
    throw new ApiError(400, err === "access_denied" ? "Sign-in was cancelled." : "Signing in did not complete. Please try again.", search.get("error_description") ?? err);
  }
  if (!pending || search.get("state") !== pending.state) {
    throw new ApiError(400, "This sign-in link is no longer valid. Please sign in again.");
  }
  const t = await tokenRequest({
    grant_type: "authorization_code",
    code: search.get("code") ?? "",
    redirect_uri: redirectURI(),
    client_id: CLIENT_ID,
    code_verifier: pending.verifier,
  });
  setSession(toSession(t));
  return pending.returnTo || "/";
}

setRefresher(async (s) => {
  try {
    const t = await tokenRequest({ grant_type: "refresh_token", refresh_token: s.refreshToken ?? "", client_id: CLIENT_ID });
    return toSession(t, s);
  } catch {
    return null;
  }
});

/** Signs out: revokes the refresh token and ends the server's sign-in session. */
export async function signOut(): Promise<void> {
  const s = getSession();
  setSession(null);
  if (s?.kind === "user" && s.refreshToken) {
    await fetch("/oauth2/revoke", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: s.refreshToken, client_id: CLIENT_ID }),
    }).catch(() => undefined);
  }
  // The server's sign-out page ends its sign-in session too.
  window.location.assign("/oauth2/logout");
}
