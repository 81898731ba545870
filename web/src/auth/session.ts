// Who is using the app in this tab: a signed-in user (OAuth tokens from the
// server's sign-in page) or a patient/guest holding an invitation session.
// Kept in memory and in sessionStorage (gone when the tab closes).
import { useSyncExternalStore } from "react";
import { Http } from "../api/http";
import { Fhir } from "../api/fhir";
import { Telemed, type InviteSession } from "../api/telemed";

export type Role = "admin" | "practitioner" | "staff" | "patient";

export interface UserSession {
  kind: "user";
  accessToken: string;
  refreshToken?: string;
  /** epoch ms */
  expiresAt: number;
  scope: string;
  role: Role;
  /** "Practitioner/1" */
  fhirUser: string;
  patient?: string;
  name?: string;
  email?: string;
}

export interface InvitationSession {
  kind: "invite";
  accessToken: string;
  expiresAt: number;
  invite: InviteSession;
}

export type Session = UserSession | InvitationSession;

const KEY = "housecall.session";
let current: Session | null = load();
const listeners = new Set<() => void>();

function load(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    return s.expiresAt > Date.now() || (s.kind === "user" && s.refreshToken) ? s : null;
  } catch {
    return null;
  }
}

export function getSession(): Session | null {
  return current;
}

export function setSession(s: Session | null): void {
  current = s;
  try {
    if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
    else sessionStorage.removeItem(KEY);
  } catch {
    // Private mode without storage: the session lives in memory only.
  }
  for (const l of listeners) l();
}

export function useSession(): Session | null {
  return useSyncExternalStore(
    (cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    () => current,
    () => null,
  );
}

/** Decodes a JWT's payload (no verification: the server verifies; the app only reads its own claims). */
export function jwtClaims(tok: string): Record<string, any> {
  const part = tok.split(".")[1] ?? "";
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  try {
    return JSON.parse(decodeURIComponent(escape(atob(b64))));
  } catch {
    return {};
  }
}

type Refresher = (s: UserSession) => Promise<UserSession | null>;
let refresher: Refresher | null = null;
let refreshing: Promise<UserSession | null> | null = null;

/** Installed by auth/oauth.ts so that this module does not import it. */
export function setRefresher(r: Refresher): void {
  refresher = r;
}

/** The current access token, refreshed a minute before it expires. */
export async function accessToken(): Promise<string | null> {
  const s = current;
  if (!s) return null;
  if (s.expiresAt - Date.now() > 60_000) return s.accessToken;
  if (s.kind === "user" && s.refreshToken && refresher) {
    refreshing ??= refresher(s).finally(() => {
      refreshing = null;
    });
    const fresh = await refreshing;
    if (fresh) {
      setSession(fresh);
      return fresh.accessToken;
    }
    setSession(null);
    return null;
  }
  return s.expiresAt > Date.now() ? s.accessToken : null;
}

/** API clients bound to the current session. */
export const http = new Http(accessToken);
export const fhir = new Fhir(http);
export const telemed = new Telemed(http);

// One exchange per token in flight: the main bundle starts it as soon as it
// runs (startEarlyInvite) and the visit screens pick up the same promise.
const inviteExchanges = new Map<string, Promise<InvitationSession>>();

/** Turns an invitation into a session (replacing any other in this tab). */
export function startInviteSession(invite: string): Promise<InvitationSession> {
  let p = inviteExchanges.get(invite);
  if (!p) {
    p = (async () => {
      const anon = new Telemed(new Http(async () => null));
      const inv = await anon.inviteSession(invite);
      const s: InvitationSession = { kind: "invite", accessToken: inv.access_token, expiresAt: Date.now() + inv.expires_in * 1000, invite: inv };
      setSession(s);
      return s;
    })();
    inviteExchanges.set(invite, p);
    // A failed exchange may be tried again ("Try again").
    p.catch(() => inviteExchanges.delete(invite));
  }
  return p;
}

/**
 * Starts the exchange of an invitation link while the visit screens are
 * still downloading (they are a separate chunk): the page is ready a few
 * hundred milliseconds sooner. Errors are left to the screens, which ask
 * for the same promise.
 */
export function startEarlyInvite(loc: Pick<Location, "pathname" | "hash"> = window.location): void {
  if (loc.pathname !== "/visit" && loc.pathname !== "/visit/guest") return;
  const token = new URLSearchParams(loc.hash.replace(/^#/, "")).get("invite")?.trim();
  if (token) startInviteSession(token).catch(() => undefined);
}
