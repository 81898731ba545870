// Loading the board from the server: today's video visits (FHIR
// Encounters with their patients), the waiting rooms (Telemed API) and the
// visits whose charting is not finished.
import { type Fhir, type Resource } from "../../api/fhir";
import type { Telemed } from "../../api/telemed";
import { isFinalNote, isProgressNote, NOTE_TYPE } from "../chart/builders";
import { buildBoard, byReference, visitFromEncounter, type BoardState, type BoardVisit } from "./model";
import { nameOf } from "../common/names";

/** Whose board this is. */
export interface Viewer {
  /** The user's FHIR profile ("Practitioner/1"), if any. */
  fhirUser?: string;
  /** Staff and administrators see every visit, practitioners their own. */
  seesAll: boolean;
}

/** Midnight to midnight in the viewer's own time zone, as instants. */
export function dayRange(now = new Date(), daysBack = 0): { start: string; end: string } {
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() - daysBack);
  const end = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  return { start: start.toISOString(), end: end.toISOString() };
}

const VIRTUAL_SERVICE = "https://extensions.fhir.zapehr.com/encounter-virtual-service-pre-release";

/** A video visit: created through the Telemed API (or at least of class virtual). */
export function isVideoVisit(e: Resource): boolean {
  return e.class?.code === "VR" || (e.extension ?? []).some((x: any) => x?.url === VIRTUAL_SERVICE);
}

function mine(e: Resource, viewer: Viewer): boolean {
  if (viewer.seesAll || !viewer.fhirUser) return true;
  return (e.participant ?? []).some((p: any) => p?.individual?.reference === viewer.fhirUser);
}

function encounterParams(viewer: Viewer, extra: Record<string, string | string[] | number>) {
  const p: Record<string, string | string[] | number> = { _include: "Encounter:subject", _count: 100, ...extra };
  if (!viewer.seesAll && viewer.fhirUser) p.participant = viewer.fhirUser;
  return p;
}

/** The whole board: today's visits plus any visit someone is waiting for. */
export async function loadBoard(fhir: Fhir, telemed: Telemed, viewer: Viewer, now = new Date()): Promise<BoardState> {
  const { start, end } = dayRange(now);
  const [today, waiting] = await Promise.all([
    fhir.searchAll("Encounter", encounterParams(viewer, { date: [`ge${start}`, `lt${end}`] })),
    telemed.allWaiting(),
  ]);
  const encounters = today.matches.filter((e) => isVideoVisit(e) && mine(e, viewer));
  const included = [...today.included];
  const have = new Set(encounters.map((e) => e.id));
  const missing = [...new Set(waiting.entries.map((w) => w.encounterId).filter((id): id is string => !!id && !have.has(id)))];
  for (let i = 0; i < missing.length; i += 40) {
    const more = await fhir.searchAll("Encounter", { _id: missing.slice(i, i + 40).join(","), _include: "Encounter:subject", _count: 100 });
    encounters.push(...more.matches.filter((e) => mine(e, viewer)));
    included.push(...more.included);
  }
  const onBoard = new Set(encounters.map((e) => e.id));
  return buildBoard(
    encounters,
    included,
    waiting.entries.filter((w) => w.encounterId && onBoard.has(w.encounterId)),
  );
}

/** One visit for the board (after an event about a visit it did not know); null if it is not this viewer's. */
export async function fetchVisit(fhir: Fhir, id: string, viewer: Viewer): Promise<BoardVisit | null> {
  const { matches, included } = await fhir.searchAll("Encounter", { _id: id, _include: "Encounter:subject" }, 1);
  const e = matches.find((m) => m.id === id);
  if (!e || !isVideoVisit(e) || !mine(e, viewer)) return null;
  return visitFromEncounter(e, byReference(included));
}

/**
 * Visits finished in the last 7 days that have no final visit note yet:
 * the provider's charting still to do.
 */
export async function loadToFinish(fhir: Fhir, viewer: Viewer, now = new Date()): Promise<BoardVisit[]> {
  const { start } = dayRange(now, 7);
  const { matches, included } = await fhir.searchAll("Encounter", encounterParams(viewer, { status: "finished", date: `ge${start}` }));
  const finished = matches.filter((e) => isVideoVisit(e) && mine(e, viewer));
  const done = new Set<string>();
  const ids = finished.map((e) => e.id!).filter(Boolean);
  for (let i = 0; i < ids.length; i += 40) {
    const chunk = ids.slice(i, i + 40);
    const notes = await fhir.searchAll("DocumentReference", {
      encounter: chunk.map((id) => `Encounter/${id}`).join(","),
      type: `${NOTE_TYPE.system}|${NOTE_TYPE.code}`,
      _count: 200,
    });
    for (const d of notes.matches) {
      if (!isProgressNote(d) || !isFinalNote(d)) continue;
      for (const c of d.context?.encounter ?? []) {
        const ref: string | undefined = c?.reference;
        if (ref?.startsWith("Encounter/")) done.add(ref.slice("Encounter/".length));
      }
    }
  }
  const patients = byReference(included);
  return finished
    .filter((e) => !done.has(e.id!))
    .map((e) => visitFromEncounter(e, patients))
    .sort((a, b) => (b.end ?? b.start ?? "").localeCompare(a.end ?? a.start ?? ""));
}

/** The Encounter a provider creates for an ad-hoc video visit (the meeting is added by the server). */
export function adHocEncounter(patient: Resource, me: { reference?: string; display?: string }, now = new Date()): Resource {
  const name = patientName(patient);
  const e: Resource = {
    resourceType: "Encounter",
    status: "planned",
    class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "VR", display: "virtual" },
    subject: { reference: `Patient/${patient.id}`, ...(name ? { display: name } : {}) },
    period: { start: now.toISOString() },
  };
  if (me.reference && /^(Practitioner|PractitionerRole)\//.test(me.reference)) {
    e.participant = [
      {
        type: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "PPRF", display: "primary performer" }] }],
        individual: { reference: me.reference, ...(me.display ? { display: me.display } : {}) },
      },
    ];
  }
  return e;
}

/** A patient's name for lists; falls back to a neutral word. */
export function patientName(p: Resource | undefined): string {
  return nameOf(p) || "";
}
