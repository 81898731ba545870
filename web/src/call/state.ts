// The call screen's state as plain data, and the pure rules that decide what
// the screen shows: which layout, who is in the spotlight, the reconnecting
// banner, chat with its unread count. The controller (controller.ts) turns
// the SDK room's events into actions; components only read this state.
import type { Problem } from "./problems";

export type Layout = "speaker" | "gallery";
export type LeaveReason = "left" | "ended" | "removed";
/** joining: fetching the join answer and connecting; failed: could not join (see problem). */
export type Phase = "joining" | "connected" | "reconnecting" | "failed" | "ended";
export type QualityLevel = "good" | "fair" | "poor";

/** One person as the screen shows them. */
export interface PersonView {
  id: string;
  name: string;
  role: string;
  isLocal: boolean;
  /** Their connection is recovering (remote) — the tile says so. */
  reconnecting: boolean;
  /** 0 (lost) … 5 (excellent); -1 until measured. */
  quality: number;
  speaking: boolean;
  /** No microphone published, or it is muted. */
  micMuted: boolean;
  /** The moderator who muted the microphone, when it was not them. */
  mutedBy?: string;
  /** Identity of the camera track shown (changes when the track is replaced); null: camera off. */
  camera: string | null;
  /** Identity of the shared screen track; null: not sharing. */
  screen: string | null;
  /** Identity of the received microphone track (remote only). */
  mic: string | null;
}

export interface ChatEntry {
  id: string;
  text: string;
  fromName: string;
  local: boolean;
  time: Date;
}

export interface CallState {
  phase: Phase;
  /** Why joining failed, or a problem to show during the call (device switch, screen share). */
  problem: Problem | null;
  endReason: LeaveReason | null;
  me: PersonView;
  /** Everyone else, in the order they appeared. */
  people: PersonView[];
  /** The remote participant who spoke last (kept while they are silent, so the spotlight does not flicker). */
  speaker: string | null;
  /** The layout the user picked; null follows the room (auto). */
  layoutChoice: Layout | null;
  chat: { open: boolean; unread: number; messages: ChatEntry[] };
  /** A short announcement ("Sam joined"); shown for a few seconds. */
  notice: string | null;
  /** The browser refused to play sound without a tap. */
  soundBlocked: boolean;
  /** The devices in use ("" = the browser's default). */
  selected: SelectedDevices;
  /** The connection as the statistics describe it, for the settings dialog. */
  connection: ConnectionInfo | null;
}

export interface SelectedDevices {
  camera: string;
  microphone: string;
  speaker: string;
}

export interface ConnectionInfo {
  /** Round trip to the server in ms, -1 unknown. */
  rttMs: number;
  /** Media goes through the TURN relay. */
  relayed: boolean;
}

export type Action =
  | { type: "joining" }
  | { type: "connected"; me: PersonView; people: PersonView[] }
  | { type: "people"; me: PersonView; people: PersonView[] }
  | { type: "speaker"; id: string | null }
  | { type: "reconnecting" }
  | { type: "reconnected" }
  | { type: "failed"; problem: Problem }
  | { type: "ended"; reason: LeaveReason }
  | { type: "problem"; problem: Problem | null }
  | { type: "chat"; message: ChatEntry }
  | { type: "chatOpen"; open: boolean }
  | { type: "layout"; layout: Layout }
  | { type: "notice"; text: string | null }
  | { type: "soundBlocked"; blocked: boolean }
  | { type: "selected"; devices: Partial<SelectedDevices> }
  | { type: "connection"; info: ConnectionInfo | null };

/** Chat kept on screen; older lines are dropped (the full chat is stored on the visit). */
export const MAX_CHAT = 500;

export function emptyPerson(id = "", name = "", isLocal = true): PersonView {
  return { id, name, role: "", isLocal, reconnecting: false, quality: -1, speaking: false, micMuted: true, camera: null, screen: null, mic: null };
}

export function initialState(displayName: string, devices: Partial<SelectedDevices> = {}): CallState {
  return {
    phase: "joining",
    problem: null,
    endReason: null,
    me: emptyPerson("", displayName, true),
    people: [],
    speaker: null,
    layoutChoice: null,
    chat: { open: false, unread: 0, messages: [] },
    notice: null,
    soundBlocked: false,
    selected: { camera: devices.camera ?? "", microphone: devices.microphone ?? "", speaker: devices.speaker ?? "" },
    connection: null,
  };
}

export function reduce(s: CallState, a: Action): CallState {
  // Nothing changes a call that is over, except what the user does with the panels.
  if (s.phase === "ended" && a.type !== "chatOpen" && a.type !== "layout" && a.type !== "joining") return s;
  switch (a.type) {
    case "joining":
      return { ...s, phase: "joining", problem: null, endReason: null, people: [], speaker: null, soundBlocked: false, connection: null };
    case "connected":
      return { ...s, phase: "connected", problem: null, me: a.me, people: a.people, speaker: keepSpeaker(s.speaker, a.people) };
    case "people":
      return { ...s, me: a.me, people: a.people, speaker: keepSpeaker(s.speaker, a.people) };
    case "speaker":
      // Only a remote speaker takes the spotlight; silence keeps the last one.
      if (a.id && s.people.some((p) => p.id === a.id)) return { ...s, speaker: a.id };
      return s;
    case "reconnecting":
      return s.phase === "connected" ? { ...s, phase: "reconnecting" } : s;
    case "reconnected":
      return s.phase === "reconnecting" ? { ...s, phase: "connected" } : s;
    case "failed":
      // Nobody is shown once the connection is gone.
      return { ...s, phase: "failed", problem: a.problem, people: [], speaker: null, soundBlocked: false };
    case "ended":
      return { ...s, phase: "ended", endReason: a.reason };
    case "problem":
      return { ...s, problem: a.problem };
    case "chat": {
      const m = a.message;
      if (m.id && s.chat.messages.some((x) => x.id === m.id)) return s;
      const messages = [...s.chat.messages, m].slice(-MAX_CHAT);
      const unread = !m.local && !s.chat.open ? s.chat.unread + 1 : s.chat.unread;
      return { ...s, chat: { ...s.chat, messages, unread } };
    }
    case "chatOpen":
      return { ...s, chat: { ...s.chat, open: a.open, unread: a.open ? 0 : s.chat.unread } };
    case "layout":
      return { ...s, layoutChoice: a.layout };
    case "notice":
      return { ...s, notice: a.text };
    case "soundBlocked":
      return s.soundBlocked === a.blocked ? s : { ...s, soundBlocked: a.blocked };
    case "selected":
      return { ...s, selected: { ...s.selected, ...a.devices } };
    case "connection":
      return { ...s, connection: a.info };
  }
}

function keepSpeaker(id: string | null, people: PersonView[]): string | null {
  return id && people.some((p) => p.id === id) ? id : null;
}

/**
 * The layout shown: the user's choice, else speaker view while someone
 * shares a screen or the call has two people (the other person large, the
 * self view small), gallery for three or more.
 */
export function layoutOf(s: Pick<CallState, "layoutChoice" | "people" | "me">): Layout {
  if (s.layoutChoice) return s.layoutChoice;
  if (s.me.screen || s.people.some((p) => p.screen)) return "speaker";
  return s.people.length <= 1 ? "speaker" : "gallery";
}

/** What the big tile of speaker view shows. */
export interface Spotlight {
  id: string;
  /** Show the person's shared screen rather than their camera. */
  screen: boolean;
}

/**
 * The speaker view's main tile: a remote screen share first, then the
 * person speaking (or who spoke last), then the first remote person, and
 * the self view only when alone.
 */
export function spotlightOf(s: Pick<CallState, "people" | "me" | "speaker">): Spotlight {
  const sharing = s.people.find((p) => p.screen);
  if (sharing) return { id: sharing.id, screen: true };
  if (s.speaker && s.people.some((p) => p.id === s.speaker)) return { id: s.speaker, screen: false };
  if (s.people.length > 0) return { id: s.people[0].id, screen: false };
  return { id: s.me.id, screen: false };
}

/** The tiles of speaker view's strip: everyone but the spotlight, the self view last. */
export function stripOf(s: Pick<CallState, "people" | "me" | "speaker">): PersonView[] {
  const spot = spotlightOf(s);
  const others = s.people.filter((p) => spot.screen || p.id !== spot.id);
  return spot.id === s.me.id && !spot.screen ? others : [...others, s.me];
}

/** Columns of the gallery grid for count tiles; a narrow (phone) screen has at most two. */
export function galleryColumns(count: number, narrow: boolean): number {
  const c = count <= 1 ? 1 : count <= 4 ? 2 : count <= 9 ? 3 : 4;
  if (narrow) return count <= 2 ? 1 : 2;
  return c;
}

/**
 * Network quality in words. The server scores 0–5 every few seconds; -1
 * (not yet scored) counts as good because media already flows once the
 * call has connected. A connection that is recovering is poor.
 */
export function qualityLevel(score: number, reconnecting = false): QualityLevel {
  if (reconnecting) return "poor";
  if (score < 0 || score >= 4) return "good";
  if (score === 3) return "fair";
  return "poor";
}

/** How a room's "disconnected" reason ends the call for the app, or null when it is a failure to explain. */
export function leaveReasonOf(disconnectReason: string): LeaveReason | null {
  switch (disconnectReason) {
    case "client":
      return "left";
    case "room-closed":
      return "ended";
    case "removed":
      return "removed";
    default:
      return null;
  }
}

/** The banner above the call, or null. */
export function bannerOf(s: Pick<CallState, "phase">): string | null {
  return s.phase === "reconnecting" ? "Reconnecting…" : null;
}

/** Initials for a tile without video. */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return "?";
  const first = parts[0][0] ?? "";
  const last = parts.length > 1 ? (parts[parts.length - 1][0] ?? "") : "";
  return (first + last).toUpperCase();
}

/** A person's name for the screen; nameless guests get their role. */
export function displayNameOf(p: Pick<PersonView, "name" | "role" | "isLocal">): string {
  if (p.isLocal) return p.name ? `${p.name} (you)` : "You";
  if (p.name) return p.name;
  switch (p.role) {
    case "host":
      return "Provider";
    case "guest":
      return "Guest";
    default:
      return "Participant";
  }
}
