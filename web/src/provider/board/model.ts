// The provider board's state: today's visits (Encounters) and the people in
// their waiting rooms, kept current by live events. Pure functions: the
// React side only loads, dispatches and renders.
import { type Resource } from "../../api/fhir";
import type { WaitingEntry } from "../../api/telemed";
import type { VisitEvent } from "../../api/events";
import { nameOf } from "../common/names";

export interface BoardVisit {
  id: string;
  /** Encounter.status */
  status: string;
  start?: string;
  end?: string;
  patientName: string;
  /** "Patient/123" */
  patientRef?: string;
  reason?: string;
  /** References of Encounter.participant.individual. */
  participants: string[];
  /** True while only known from a waiting-room entry (the Encounter is being fetched). */
  partial?: boolean;
}

export type BoardEntry = WaitingEntry & { encounterId: string };

export interface BoardState {
  visits: Record<string, BoardVisit>;
  /** By entryId(). Only people waiting or admitted (not those who left). */
  entries: Record<string, BoardEntry>;
}

export const emptyBoard: BoardState = { visits: {}, entries: {} };

export type ColumnId = "scheduled" | "waiting" | "inCall" | "finished";

export const COLUMNS: { id: ColumnId; label: string; empty: string }[] = [
  { id: "scheduled", label: "Scheduled", empty: "No more visits scheduled for today." },
  { id: "waiting", label: "Waiting", empty: "Nobody is waiting." },
  { id: "inCall", label: "In call", empty: "No visit in progress." },
  { id: "finished", label: "Finished", empty: "No finished visits yet today." },
];

export interface BoardCard {
  visit: BoardVisit;
  /** People waiting to be admitted, longest first. */
  waiting: BoardEntry[];
  /** People admitted who have not joined the call yet. */
  admitted: BoardEntry[];
  /** When the first person still waiting arrived. */
  waitingSince?: string;
}

export function entryId(encounterId: string, key: string): string {
  return `${encounterId}|${key}`;
}

function refOf(x: any): string | undefined {
  return typeof x?.reference === "string" ? x.reference : undefined;
}

/** A board visit from an Encounter and the Patients included with it. */
export function visitFromEncounter(enc: Resource, patients: Record<string, Resource> = {}): BoardVisit {
  const patientRef = refOf(enc.subject);
  const patient = patientRef ? patients[patientRef] : undefined;
  const reason = (enc.reasonCode ?? [])
    .map((c: any) => c?.text ?? c?.coding?.[0]?.display)
    .filter(Boolean)
    .join(", ");
  return {
    id: enc.id ?? "",
    status: enc.status ?? "planned",
    start: enc.period?.start,
    end: enc.period?.end,
    patientName: nameOf(patient) || enc.subject?.display || "Patient",
    patientRef,
    reason: reason || undefined,
    participants: (enc.participant ?? []).map((p: any) => refOf(p?.individual)).filter(Boolean) as string[],
  };
}

/** Patients (and anything else) included in a search, by "Type/id". */
export function byReference(included: Resource[]): Record<string, Resource> {
  const out: Record<string, Resource> = {};
  for (const r of included) if (r.id) out[`${r.resourceType}/${r.id}`] = r;
  return out;
}

/** The whole board from a fresh load. */
export function buildBoard(encounters: Resource[], included: Resource[], entries: WaitingEntry[]): BoardState {
  const patients = byReference(included);
  const visits: Record<string, BoardVisit> = {};
  for (const e of encounters) if (e.id) visits[e.id] = visitFromEncounter(e, patients);
  const es: Record<string, BoardEntry> = {};
  for (const w of entries) {
    if (!w.encounterId || w.state === "left") continue;
    es[entryId(w.encounterId, w.key)] = { ...w, encounterId: w.encounterId };
  }
  return withPlaceholders({ visits, entries: es });
}

/** Adds a visit (or replaces what was known of it). */
export function upsertVisit(state: BoardState, v: BoardVisit): BoardState {
  return { ...state, visits: { ...state.visits, [v.id]: v } };
}

/** Removes a visit and its waiting entries (not this viewer's after all). */
export function dropVisit(state: BoardState, id: string): BoardState {
  if (!state.visits[id] && !Object.values(state.entries).some((e) => e.encounterId === id)) return state;
  const visits = { ...state.visits };
  delete visits[id];
  const entries: Record<string, BoardEntry> = {};
  for (const [k, e] of Object.entries(state.entries)) if (e.encounterId !== id) entries[k] = e;
  return { visits, entries };
}

// A person can be waiting for a visit the board has not loaded yet (it was
// created by someone else, or just now): show them at once from the entry.
function withPlaceholders(state: BoardState): BoardState {
  let visits = state.visits;
  for (const e of Object.values(state.entries)) {
    if (visits[e.encounterId]) continue;
    if (visits === state.visits) visits = { ...visits };
    const patient = Object.values(state.entries).find((x) => x.encounterId === e.encounterId && x.role === "patient");
    visits[e.encounterId] = {
      id: e.encounterId,
      status: "arrived",
      patientName: (patient ?? e).name || "Patient",
      patientRef: patient?.profile,
      participants: [],
      partial: true,
    };
  }
  return visits === state.visits ? state : { ...state, visits };
}

export interface Applied {
  state: BoardState;
  /** An Encounter the board does not know yet and should fetch. */
  fetch?: string;
}

/**
 * Applies one live event. Idempotent, so events that arrive during a
 * reload can be applied again to its result.
 */
export function applyEvent(state: BoardState, ev: VisitEvent): Applied {
  const id = ev.encounterId;
  if (!id) return { state };
  const known = state.visits[id];
  let visits = state.visits;
  let entries = state.entries;
  const setVisit = (v: BoardVisit) => {
    visits = { ...visits, [id]: v };
  };
  const p = ev.participant;
  switch (ev.type) {
    case "waiting.joined": {
      if (!p) break;
      const k = entryId(id, p.key);
      const prev = entries[k];
      entries = {
        ...entries,
        [k]: {
          ...(prev ?? {}),
          encounterId: id,
          key: p.key,
          profile: p.profile,
          name: p.name,
          role: (p.role as BoardEntry["role"]) ?? "patient",
          state: "waiting",
          present: true,
          arrivedAt: prev?.state === "waiting" ? prev.arrivedAt : ev.time,
          admittedAt: undefined,
        },
      };
      if (known && known.status === "planned") setVisit({ ...known, status: "arrived" });
      break;
    }
    case "waiting.admitted": {
      if (!p) break;
      const k = entryId(id, p.key);
      const prev = entries[k];
      if (prev) entries = { ...entries, [k]: { ...prev, state: "admitted", admittedAt: prev.admittedAt ?? ev.time } };
      break;
    }
    case "waiting.left": {
      if (!p) break;
      const k = entryId(id, p.key);
      if (entries[k]) {
        entries = { ...entries };
        delete entries[k];
      }
      break;
    }
    case "waiting.message": {
      if (!ev.message) break;
      const next = { ...entries };
      for (const [k, e] of Object.entries(entries)) {
        if (e.encounterId !== id || e.state !== "waiting") continue;
        if (p && p.key !== e.key) continue;
        next[k] = { ...e, message: { text: ev.message, time: ev.time } };
      }
      entries = next;
      break;
    }
    case "visit.ended": {
      if (known) setVisit({ ...known, status: "finished", end: known.end ?? ev.time });
      const next = { ...entries };
      for (const [k, e] of Object.entries(entries)) if (e.encounterId === id) delete next[k];
      entries = next;
      break;
    }
    case "visit.created":
    case "visit.updated":
    case "participant.joined":
    case "participant.left":
      if (known && ev.status && ev.status !== known.status) {
        setVisit({ ...known, status: ev.status, end: ev.status === "finished" ? (known.end ?? ev.time) : known.end });
      }
      break;
  }
  let next: BoardState = visits === state.visits && entries === state.entries ? state : { visits, entries };
  next = withPlaceholders(next);
  const needsFetch = (!known || known.partial) && ev.type !== "visit.ended" && ev.type !== "waiting.left";
  return { state: next, fetch: needsFetch ? id : undefined };
}

/** The column a visit belongs in; null for visits not shown (cancelled). */
export function columnOf(v: BoardVisit, waitingCount: number): ColumnId | null {
  switch (v.status) {
    case "finished":
      return "finished";
    case "cancelled":
    case "entered-in-error":
    case "unknown":
      return null;
    case "in-progress":
    case "onleave":
      return "inCall";
    case "arrived":
    case "triaged":
      return "waiting";
    default:
      return waitingCount > 0 ? "waiting" : "scheduled";
  }
}

function time(s: string | undefined): number {
  const t = s ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? Number.MAX_SAFE_INTEGER : t;
}

/** The four columns, each sorted the way a provider works through it. */
export function columns(state: BoardState): Record<ColumnId, BoardCard[]> {
  const byVisit: Record<string, BoardEntry[]> = {};
  for (const e of Object.values(state.entries)) (byVisit[e.encounterId] ??= []).push(e);
  const out: Record<ColumnId, BoardCard[]> = { scheduled: [], waiting: [], inCall: [], finished: [] };
  for (const v of Object.values(state.visits)) {
    const es = (byVisit[v.id] ?? []).sort((a, b) => time(a.arrivedAt) - time(b.arrivedAt));
    const waiting = es.filter((e) => e.state === "waiting");
    const admitted = es.filter((e) => e.state === "admitted");
    const col = columnOf(v, waiting.length);
    if (!col) continue;
    out[col].push({ visit: v, waiting, admitted, waitingSince: waiting[0]?.arrivedAt });
  }
  out.scheduled.sort((a, b) => time(a.visit.start) - time(b.visit.start));
  out.waiting.sort((a, b) => time(a.waitingSince ?? a.visit.start) - time(b.waitingSince ?? b.visit.start));
  out.inCall.sort((a, b) => time(a.visit.start) - time(b.visit.start));
  out.finished.sort((a, b) => time(b.visit.end) - time(a.visit.end));
  return out;
}

/** Everyone waiting to be admitted (for the page title). */
export function waitingPeople(state: BoardState): BoardEntry[] {
  return Object.values(state.entries).filter((e) => e.state === "waiting" && state.visits[e.encounterId]?.status !== "finished");
}

/** People waiting in next who were not waiting in prev: the arrivals to announce. */
export function newArrivals(prev: BoardState, next: BoardState): BoardEntry[] {
  return waitingPeople(next).filter((e) => prev.entries[entryId(e.encounterId, e.key)]?.state !== "waiting");
}

/** The page title: the waiting count first, so it shows in a crowded tab bar. */
export function boardTitle(waiting: number): string {
  return waiting > 0 ? `(${waiting}) waiting · Today's visits · Housecall` : "Today's visits · Housecall";
}
