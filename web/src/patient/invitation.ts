// Opening a visit link: the token is read from the address's fragment
// (#invite=…), removed from the address bar at once (so it does not linger
// in the history or get copied along), and exchanged for a session. A
// reload continues with the session kept in this tab.
import { useEffect, useState } from "react";
import { ApiError } from "../api/http";
import { getSession, startInviteSession, type InvitationSession } from "../auth/session";

/** The token of "#invite=…" (also accepted among other fragment parameters). */
export function readInviteToken(hash: string): string {
  const h = hash.startsWith("#") ? hash.slice(1) : hash;
  return new URLSearchParams(h).get("invite")?.trim() ?? "";
}

/** The address without the fragment that held the token. */
export function stripInviteToken(): void {
  const { pathname, search } = window.location;
  window.history.replaceState(window.history.state, "", pathname + search);
}

export const LINK_EXPIRED = "This link has expired or was withdrawn — ask your clinic for a new one";

export interface InviteProblem {
  title: string;
  text: string;
  /** Trying again may help (network, server trouble, rate limit). */
  retry: boolean;
  /** The visit is over (410). */
  ended?: boolean;
}

/** What a person reads when a visit link can't be opened. */
export function inviteErrorMessage(e: unknown): InviteProblem {
  if (e === "missing") {
    return {
      title: "This page needs your visit link",
      text: "Open the link from the e-mail or text message your clinic sent you. If you copied it, make sure you copied all of it.",
      retry: false,
    };
  }
  if (e instanceof ApiError) {
    switch (e.status) {
      case 400:
      case 401:
      case 403:
      case 404:
        return { title: "This link no longer works", text: LINK_EXPIRED, retry: false };
      case 410:
        return { title: "This visit has ended", text: "The visit this link was for is over. You can close this page.", retry: false, ended: true };
      case 429:
        return { title: "Please wait a moment", text: "Too many attempts in a short time. Wait a minute, then try again.", retry: true };
      case 0:
        return {
          title: "We can't reach Housecall",
          text: "Check that you're connected to the internet (Wi-Fi or mobile data), then try again.",
          retry: true,
        };
    }
    if (e.status >= 500) {
      return {
        title: "Something went wrong on our side",
        text: "Please try again in a moment. If it keeps happening, call your clinic.",
        retry: true,
      };
    }
  }
  return { title: "We couldn't open your visit", text: "Please try again. If it keeps happening, call your clinic.", retry: true };
}

// One exchange per token: React's development double-mount (and a quick
// second render) must not spend the link twice.
const exchanges = new Map<string, Promise<InvitationSession>>();

function exchange(token: string): Promise<InvitationSession> {
  let p = exchanges.get(token);
  if (!p) {
    p = startInviteSession(token);
    exchanges.set(token, p);
    p.catch(() => exchanges.delete(token));
  }
  return p;
}

export type InvitationState =
  | { state: "loading" }
  | { state: "error"; problem: InviteProblem; retry: () => void }
  | { state: "ready"; session: InvitationSession };

// The token of this page load, kept after it left the address bar so that
// "Try again" can repeat the exchange.
let pageToken = "";

/** The invitation session of this page: from the link, or the one kept in this tab. */
export function useInvitation(): InvitationState {
  const [st, setSt] = useState<InvitationState>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    const fromLink = readInviteToken(window.location.hash);
    if (fromLink) {
      pageToken = fromLink;
      stripInviteToken();
    }
    const retry = () => setAttempt((n) => n + 1);
    const kept = getSession();
    if (!pageToken) {
      if (kept?.kind === "invite" && kept.expiresAt > Date.now()) setSt({ state: "ready", session: kept });
      else setSt({ state: "error", problem: inviteErrorMessage("missing"), retry });
      return;
    }
    // The same link reopened in this tab: no second exchange.
    if (!fromLink && kept?.kind === "invite" && kept.expiresAt > Date.now()) {
      setSt({ state: "ready", session: kept });
      return;
    }
    setSt({ state: "loading" });
    exchange(pageToken).then(
      (session) => live && setSt({ state: "ready", session }),
      (e) => live && setSt({ state: "error", problem: inviteErrorMessage(e), retry }),
    );
    return () => {
      live = false;
    };
  }, [attempt]);
  return st;
}

/** Test hook: forget the tokens of earlier page loads. */
export function resetInvitationForTests(): void {
  pageToken = "";
  exchanges.clear();
}
