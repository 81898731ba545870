// One visit's live side for the provider on the visit page: who is in its
// waiting room (guests arriving mid-call, or the patient when the provider
// opened the visit first) and its status, from the visit's event stream.
import { useCallback, useEffect, useRef, useState } from "react";
import { subscribe, type StreamState, type VisitEvent } from "../../api/events";
import type { WaitingEntry } from "../../api/telemed";
import { http, telemed } from "../../auth/session";
import { playChime, primeChime, soundEnabled } from "../common/chime";

export interface VisitLive {
  /** People waiting to be admitted, longest first. */
  waiting: WaitingEntry[];
  /** Encounter.status as last announced (undefined until an event says). */
  status?: string;
  stream: StreamState;
  admit(key: string): Promise<void>;
}

/** Applies one event to the list of people waiting (pure; exported for tests). */
export function applyWaiting(list: WaitingEntry[], ev: VisitEvent): WaitingEntry[] {
  const p = ev.participant;
  switch (ev.type) {
    case "waiting.joined": {
      if (!p) return list;
      const prev = list.find((e) => e.key === p.key);
      const entry: WaitingEntry = {
        key: p.key,
        profile: p.profile,
        name: p.name,
        role: p.role as WaitingEntry["role"],
        state: "waiting",
        present: true,
        arrivedAt: prev?.arrivedAt ?? ev.time,
      };
      return [...list.filter((e) => e.key !== p.key), entry].sort((a, b) => a.arrivedAt.localeCompare(b.arrivedAt));
    }
    case "waiting.admitted":
    case "waiting.left":
      return p ? list.filter((e) => e.key !== p.key) : list;
    case "visit.ended":
      return [];
  }
  return list;
}

export function useVisitLive(encounterId: string, enabled: boolean): VisitLive {
  const [waiting, setWaiting] = useState<WaitingEntry[]>([]);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [stream, setStream] = useState<StreamState>("connecting");
  const known = useRef(new Set<string>());
  const ready = useRef(false);

  const update = useCallback((next: WaitingEntry[]) => {
    // A chime for someone new (not for the list as it was when the page opened).
    const fresh = next.some((e) => !known.current.has(e.key));
    known.current = new Set(next.map((e) => e.key));
    if (fresh && ready.current && soundEnabled()) playChime();
    setWaiting(next);
  }, []);

  useEffect(() => {
    if (!enabled) return;
    const stopPrime = primeChime();
    let list: WaitingEntry[] = [];
    let live = true;
    const reload = () =>
      telemed.waitingEntries(encounterId).then(
        (r) => {
          if (!live) return;
          list = (r.entries ?? []).filter((e) => e.state === "waiting").sort((a, b) => a.arrivedAt.localeCompare(b.arrivedAt));
          update(list);
          ready.current = true;
        },
        () => undefined, // the visit page works without the waiting list
      );
    void reload();
    const sub = subscribe(http, {
      encounter: encounterId,
      onOpen: () => void reload(),
      onState: setStream,
      onEvent: (ev) => {
        if (ev.encounterId && ev.encounterId !== encounterId) return;
        list = applyWaiting(list, ev);
        update(list);
        if (ev.type === "visit.ended") setStatus("finished");
        else if (ev.status) setStatus(ev.status);
      },
    });
    return () => {
      live = false;
      sub.close();
      stopPrime();
    };
  }, [encounterId, enabled, update]);

  const admit = useCallback(
    async (key: string) => {
      await telemed.admit(encounterId, key);
      setWaiting((w) => w.filter((e) => e.key !== key));
    },
    [encounterId],
  );

  return { waiting, status, stream, admit };
}
