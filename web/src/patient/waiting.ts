// The waiting room as a reducer: the server's WaitingState (check-in,
// reload) and live events turn into what the waiting person sees.
import type { VisitEvent, StreamState } from "../api/events";
import type { WaitingState } from "../api/telemed";

export interface WaitMessage {
  text: string;
  time: string;
}

export interface WaitingView {
  /** checking-in: before the first answer (or after the server marked us away). */
  phase: "checking-in" | "waiting" | "admitted" | "ended";
  /** 1-based place in the queue; 0 when unknown. */
  position: number;
  /** A host of the visit is online. */
  providerPresent: boolean;
  /** Keys of the hosts in the visit's call right now. */
  hostsInCall: string[];
  /** The provider's messages, oldest first. */
  messages: WaitMessage[];
  arrivedAt?: string;
  stream: StreamState | "idle";
}

/** Who is waiting: events about other people of the visit are not ours. */
export interface Me {
  profile: string;
}

export type WaitingAction =
  | { type: "state"; state: WaitingState }
  | { type: "event"; event: VisitEvent; me: Me }
  | { type: "stream"; state: StreamState }
  | { type: "ended" };

export const initialWaiting: WaitingView = {
  phase: "checking-in",
  position: 0,
  providerPresent: false,
  hostsInCall: [],
  messages: [],
  stream: "idle",
};

function sameTime(a: string, b: string): boolean {
  const x = Date.parse(a);
  const y = Date.parse(b);
  return Number.isNaN(x) || Number.isNaN(y) ? a === b : Math.abs(x - y) < 1000;
}

function addMessage(list: WaitMessage[], m: WaitMessage): WaitMessage[] {
  if (!m.text || list.some((x) => x.text === m.text && sameTime(x.time, m.time))) return list;
  return [...list, m].sort((a, b) => (Date.parse(a.time) || 0) - (Date.parse(b.time) || 0));
}

// Targeted events (messages, positions) reach only the person concerned, but
// a shared visit (patient plus interpreter) must not take the other's
// admission for its own: match the profile when the event names one.
function aboutMe(ev: VisitEvent, me: Me, strict: boolean): boolean {
  const p = ev.participant?.profile;
  if (!p) return !strict;
  return p === me.profile;
}

const OVER = new Set(["finished", "cancelled", "entered-in-error"]);

export function waitingReducer(s: WaitingView, a: WaitingAction): WaitingView {
  if (s.phase === "ended") return a.type === "stream" ? { ...s, stream: a.state } : s;
  switch (a.type) {
    case "ended":
      return { ...s, phase: "ended" };
    case "stream":
      return { ...s, stream: a.state };
    case "state": {
      const st = a.state;
      const phase = st.state === "admitted" ? "admitted" : st.state === "waiting" ? "waiting" : "checking-in";
      return {
        ...s,
        phase: s.phase === "admitted" ? "admitted" : phase,
        position: st.state === "waiting" ? st.position || 0 : 0,
        providerPresent: !!st.providerPresent,
        arrivedAt: st.arrivedAt || s.arrivedAt,
        messages: st.message ? addMessage(s.messages, st.message) : s.messages,
      };
    }
    case "event": {
      const ev = a.event;
      if (ev.type === "visit.ended" || (ev.status && OVER.has(ev.status))) return { ...s, phase: "ended" };
      switch (ev.type) {
        case "waiting.admitted":
          return aboutMe(ev, a.me, true) ? { ...s, phase: "admitted", position: 0 } : s;
        case "waiting.position":
          return aboutMe(ev, a.me, false) && typeof ev.position === "number" ? { ...s, position: ev.position } : s;
        case "waiting.message":
          return aboutMe(ev, a.me, false) && ev.message ? { ...s, messages: addMessage(s.messages, { text: ev.message, time: ev.time }) } : s;
        case "waiting.left":
          // The server took us out of the queue (the page was away too long); the hook checks in again.
          return aboutMe(ev, a.me, true) && s.phase === "waiting" ? { ...s, phase: "checking-in" } : s;
        case "participant.joined": {
          const p = ev.participant;
          if (p?.role !== "host" || s.hostsInCall.includes(p.key)) return s;
          return { ...s, hostsInCall: [...s.hostsInCall, p.key], providerPresent: true };
        }
        case "participant.left": {
          const p = ev.participant;
          if (p?.role !== "host") return s;
          return { ...s, hostsInCall: s.hostsInCall.filter((k) => k !== p.key) };
        }
      }
      return s;
    }
  }
}

/** The main line of the waiting room. */
export function waitingHeadline(s: WaitingView): string {
  if (s.phase === "ended") return "This visit has ended";
  if (s.phase === "admitted") return "Your provider is ready — connecting you now";
  if (s.hostsInCall.length > 0) return "Your provider has joined";
  if (s.position > 1) return `You are number ${s.position} in line`;
  return "Your provider will be with you shortly";
}

/** The line under it. */
export function waitingDetail(s: WaitingView): string {
  if (s.phase === "checking-in") return "Letting your provider know you're here…";
  if (s.phase !== "waiting") return "";
  if (s.hostsInCall.length > 0) return "They will let you in to the call in a moment. Please stay on this page.";
  if (s.position > 1) return "Your provider is finishing with other patients. Please keep this page open — you'll join the call automatically.";
  if (s.providerPresent) return "Your provider knows you're here. Please keep this page open — you'll join the call automatically.";
  return "We've let your provider know you're here. Please keep this page open — you'll join the call automatically.";
}
