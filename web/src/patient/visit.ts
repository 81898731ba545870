// What the patient screens know about the visit, whether it came from an
// invitation session or from the signed-in patient's own Encounter.
import { displayName, splitRef, type Fhir, type Resource } from "../api/fhir";
import type { InviteSession } from "../api/telemed";

export const WAITING_ROOM_EXT = "https://housecall.dev/fhir/StructureDefinition/meeting-waiting-room";

export interface Visit {
  encounterId: string;
  /** "Patient/1" for the patient; "RelatedPerson/9" for a guest. */
  profile: string;
  /** The patient's id (patients only). */
  patientId?: string;
  /** The person's name, for the greeting and the call. */
  name: string;
  role: "patient" | "interpreter" | "family";
  status: string;
  start?: string;
  waitingRoom: boolean;
  practitioners: string[];
  /** Where the media server is (invitation sessions): lets the pre-call check test STUN/TURN before admission. */
  mediaPlacement?: InviteSession["mediaPlacement"];
}

export function visitFromInvite(inv: InviteSession): Visit {
  return {
    encounterId: inv.encounterId,
    profile: inv.profile,
    patientId: inv.patient,
    name: inv.name,
    role: inv.role,
    status: inv.status,
    start: inv.start,
    waitingRoom: inv.waitingRoom,
    practitioners: (inv.practitioners ?? []).map((p) => p.display || "").filter(Boolean),
    mediaPlacement: inv.mediaPlacement,
  };
}

/** The practitioners' names as the Encounter gives them. */
export function practitionerNames(enc: Resource): string[] {
  const out: string[] = [];
  for (const p of enc.participant ?? []) {
    const ref: string | undefined = p?.individual?.reference;
    const t = splitRef(ref)?.[0];
    if ((t === "Practitioner" || t === "PractitionerRole") && p.individual.display) out.push(p.individual.display);
  }
  return out;
}

export function hasWaitingRoom(enc: Resource): boolean {
  return !!(enc.extension ?? []).find((e: any) => e?.url === WAITING_ROOM_EXT)?.valueBoolean;
}

/** The visit of a signed-in patient, read from its Encounter. */
export async function loadUserVisit(fhir: Fhir, encounterId: string, me: { patient?: string; name?: string }): Promise<Visit> {
  const enc = await fhir.read("Encounter", encounterId);
  const subject = splitRef(enc.subject?.reference);
  const patientId = me.patient ?? (subject?.[0] === "Patient" ? subject[1] : undefined);
  let name = me.name ?? enc.subject?.display ?? "";
  if (!name && patientId) {
    name = await fhir.read("Patient", patientId).then((p) => displayName({ name: p.name }), () => "");
  }
  return {
    encounterId,
    profile: patientId ? `Patient/${patientId}` : "",
    patientId,
    name,
    role: "patient",
    status: enc.status ?? "",
    start: enc.period?.start,
    waitingRoom: hasWaitingRoom(enc),
    practitioners: practitionerNames(enc),
  };
}

/** The first name for a friendly greeting ("Ana" of "Ana María López"). */
export function firstName(name: string): string {
  return name.trim().split(/\s+/)[0] ?? "";
}

export function isOver(status: string): boolean {
  return status === "finished" || status === "cancelled" || status === "entered-in-error";
}
