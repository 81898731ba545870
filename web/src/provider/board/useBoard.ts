// The board's live state: loaded once, reloaded whenever the event stream
// (re)opens (so nothing missed while disconnected is lost), and otherwise
// kept current by events alone — no polling.
import { useCallback, useEffect, useRef, useState } from "react";
import { subscribe, type StreamState, type VisitEvent } from "../../api/events";
import { fhir, http, telemed } from "../../auth/session";
import { playChime, soundEnabled } from "../common/chime";
import { fetchVisit, loadBoard, type Viewer } from "./data";
import { applyEvent, dropVisit, emptyBoard, entryId, newArrivals, upsertVisit, type BoardEntry, type BoardState } from "./model";

export interface Arrival {
  id: string;
  name: string;
  role: string;
  encounterId: string;
}

export interface BoardData {
  board: BoardState;
  /** loading until the first load; error when that failed. */
  status: "loading" | "ready" | "error";
  /** The last load error (also after the first load, while stale data stays on screen). */
  error: unknown;
  stream: StreamState;
  /** Arrivals to announce, while the person is still waiting. */
  arrivals: Arrival[];
  dismiss(id: string): void;
  reload(): void;
  /** Bumped whenever a visit finishes (the "To finish" list reloads). */
  finishedTick: number;
}

export function useBoard(viewer: Viewer): BoardData {
  const [board, setBoard] = useState<BoardState>(emptyBoard);
  const [status, setStatus] = useState<BoardData["status"]>("loading");
  const [error, setError] = useState<unknown>(null);
  const [stream, setStream] = useState<StreamState>("connecting");
  const [arrivals, setArrivals] = useState<Arrival[]>([]);
  const [finishedTick, setFinishedTick] = useState(0);

  // The source of truth lives in a ref so that events, loads and fetches
  // (all asynchronous) always build on the latest state.
  const state = useRef<BoardState>(emptyBoard);
  const loaded = useRef(false);
  const loading = useRef({ running: false, again: false, events: [] as VisitEvent[] });
  const fetching = useRef(new Set<string>());
  const viewerRef = useRef(viewer);
  viewerRef.current = viewer;

  const commit = useCallback((next: BoardState) => {
    const prev = state.current;
    if (next === prev) return;
    state.current = next;
    setBoard(next);
    if (!loaded.current) return;
    const arrived = newArrivals(prev, next);
    const still = (a: Arrival) => next.entries[a.id]?.state === "waiting" && !arrived.some((e) => entryId(e.encounterId, e.key) === a.id);
    setArrivals((a) => (arrived.length === 0 && a.every(still) ? a : [...a.filter(still), ...arrived.map(toArrival)]));
    if (arrived.length > 0 && soundEnabled()) playChime();
  }, []);

  const load = useCallback(async () => {
    const l = loading.current;
    if (l.running) {
      l.again = true;
      return;
    }
    l.running = true;
    l.events = [];
    try {
      let next = await loadBoard(fhir, telemed, viewerRef.current);
      // Events that came in while loading may or may not be in the answer;
      // applying them again is harmless (applyEvent is idempotent).
      for (const ev of l.events) next = applyEvent(next, ev).state;
      commit(next);
      loaded.current = true;
      setStatus("ready");
      setError(null);
    } catch (e) {
      setError(e);
      setStatus((s) => (s === "loading" ? "error" : s));
    } finally {
      l.running = false;
      if (l.again) {
        l.again = false;
        void load();
      }
    }
  }, [commit]);

  const fetchOne = useCallback(
    async (id: string) => {
      if (fetching.current.has(id)) return;
      fetching.current.add(id);
      try {
        const v = await fetchVisit(fhir, id, viewerRef.current);
        commit(v ? upsertVisit(state.current, v) : dropVisit(state.current, id));
      } catch {
        // Not readable or the network failed: the next reload settles it.
      } finally {
        fetching.current.delete(id);
      }
    },
    [commit],
  );

  useEffect(() => {
    void load();
    const sub = subscribe(http, {
      onOpen: () => void load(),
      onState: setStream,
      onEvent: (ev) => {
        if (loading.current.running) loading.current.events.push(ev);
        const r = applyEvent(state.current, ev);
        commit(r.state);
        if (r.fetch) void fetchOne(r.fetch);
        if (ev.type === "visit.ended" || (ev.status === "finished" && ev.type === "visit.updated")) setFinishedTick((n) => n + 1);
      },
    });
    return () => sub.close();
  }, [load, fetchOne, commit]);

  // Only announce people who are still waiting.
  const visible = arrivals.filter((a) => board.entries[a.id]?.state === "waiting");

  return {
    board,
    status,
    error,
    stream,
    arrivals: visible,
    dismiss: (id) => setArrivals((a) => a.filter((x) => x.id !== id)),
    reload: () => void load(),
    finishedTick,
  };
}

function toArrival(e: BoardEntry): Arrival {
  return { id: entryId(e.encounterId, e.key), name: e.name, role: e.role, encounterId: e.encounterId };
}
