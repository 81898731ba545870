// The chart of one visit: what has been saved (loaded from FHIR, updated as
// the provider adds, edits and removes) and the unsaved note. Lives on the
// visit page, so leaving and rejoining the call keeps the draft.
import { useCallback, useEffect, useRef, useState } from "react";
import type { Resource } from "../../api/fhir";
import { fhir } from "../../auth/session";
import { isProgressNote, isRetracted, noteInputFrom, type NoteInput } from "./builders";

export interface ChartList {
  items: Resource[];
  status: "loading" | "ready" | "error";
  error: unknown;
  reload(): void;
  /** Creates or updates (If-Match) and returns the stored resource. */
  save(r: Resource): Promise<Resource>;
  /** Stores a withdrawn version (entered-in-error, cancelled) and drops it from the list. */
  retract(r: Resource): Promise<void>;
}

function byNewest(a: Resource, b: Resource): number {
  return (b.meta?.lastUpdated ?? "").localeCompare(a.meta?.lastUpdated ?? "");
}

export function useChartList(type: string, encounterId: string): ChartList {
  const [items, setItems] = useState<Resource[]>([]);
  const [status, setStatus] = useState<ChartList["status"]>("loading");
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    setStatus("loading");
    fhir.searchAll(type, { encounter: `Encounter/${encounterId}`, _count: 100 }).then(
      ({ matches }) => {
        if (!live) return;
        setItems(matches.filter((r) => r.resourceType === type && !isRetracted(r)).sort(byNewest));
        setStatus("ready");
        setError(null);
      },
      (e) => {
        if (!live) return;
        setError(e);
        setStatus("error");
      },
    );
    return () => {
      live = false;
    };
  }, [type, encounterId, attempt]);

  const save = useCallback(async (r: Resource) => {
    const stored = r.id ? await fhir.update(r) : await fhir.create(r);
    const saved = stored ?? r;
    setItems((xs) => (r.id ? xs.map((x) => (x.id === r.id ? saved : x)) : [saved, ...xs]));
    return saved;
  }, []);

  const retract = useCallback(async (r: Resource) => {
    await fhir.update(r);
    setItems((xs) => xs.filter((x) => x.id !== r.id));
  }, []);

  return { items, status, error, reload: () => setAttempt((n) => n + 1), save, retract };
}

export interface NoteDraft extends NoteInput {
  /** Changed since the last save. */
  dirty: boolean;
}

export interface Chart {
  conditions: ChartList;
  medications: ChartList;
  orders: ChartList;
  documents: ChartList;
  /** The visit's progress note, once saved. */
  note: Resource | undefined;
  draft: NoteDraft;
  setDraft(d: Partial<NoteInput>): void;
  markSaved(): void;
}

export function useChart(encounterId: string): Chart {
  const conditions = useChartList("Condition", encounterId);
  const medications = useChartList("MedicationRequest", encounterId);
  const orders = useChartList("ServiceRequest", encounterId);
  const documents = useChartList("DocumentReference", encounterId);
  const note = documents.items.find(isProgressNote);
  const [draft, setDraftState] = useState<NoteDraft>({ note: "", instructions: "", dirty: false });
  const seeded = useRef<string | undefined>(undefined);

  // Fill the form from the saved note once it has loaded (never over unsaved typing).
  useEffect(() => {
    if (documents.status !== "ready" || !note?.id || seeded.current === note.id) return;
    seeded.current = note.id;
    setDraftState((d) => (d.dirty ? d : { ...noteInputFrom(note), dirty: false }));
  }, [documents.status, note]);

  // Unsaved note text: let the browser ask before the page is closed.
  useEffect(() => {
    if (!draft.dirty) return;
    const warn = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = "";
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [draft.dirty]);

  return {
    conditions,
    medications,
    orders,
    documents,
    note,
    draft,
    setDraft: (d) => setDraftState((cur) => ({ ...cur, ...d, dirty: true })),
    markSaved: () => setDraftState((cur) => ({ ...cur, dirty: false })),
  };
}
