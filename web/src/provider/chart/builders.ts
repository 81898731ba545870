// FHIR R4 resources written from the chart panel during and after a video
// visit: diagnoses (Condition), prescriptions (MedicationRequest), orders
// (ServiceRequest) and the visit note (DocumentReference). Plain functions
// so that the shapes are tested without a browser.
import type { Resource } from "../../api/fhir";
import { diagnosisCoding, parseDose, parseFrequency, routeCoding, UCUM, type Coding } from "./codes";

export interface Reference {
  reference: string;
  display?: string;
}

/** Who and what a chart entry belongs to. */
export interface ChartContext {
  /** Encounter id. */
  encounter: string;
  /** "Patient/123" */
  patient: Reference;
  /** The signed-in practitioner, when the user has a clinical profile. */
  me?: Reference;
  /** The current time (tests pass a fixed one). */
  now?: () => Date;
}

function nowISO(ctx: ChartContext): string {
  return (ctx.now?.() ?? new Date()).toISOString();
}

const CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical";
const CONDITION_VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
const CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category";

/** The roles that may record a Condition or request a medication. */
function clinician(me: Reference | undefined): Reference | undefined {
  return me && /^(Practitioner|PractitionerRole)\//.test(me.reference) ? me : undefined;
}

function encounterRef(ctx: ChartContext): Reference {
  return { reference: `Encounter/${ctx.encounter}` };
}

export interface DiagnosisInput {
  text: string;
  code: string;
}

export class FormError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "FormError";
  }
}

/** An encounter diagnosis. Throws FormError for a missing text or an unrecognised code. */
export function buildCondition(ctx: ChartContext, input: DiagnosisInput, base?: Resource): Resource {
  const text = input.text.trim();
  if (!text) throw new FormError("text", "Enter the diagnosis.");
  const { coding, error } = diagnosisCoding(input.code);
  if (error) throw new FormError("code", error);
  const recorder = clinician(ctx.me);
  const c: Resource = {
    ...(base ?? {}),
    resourceType: "Condition",
    clinicalStatus: { coding: [{ system: CONDITION_CLINICAL, code: "active" }] },
    verificationStatus: { coding: [{ system: CONDITION_VER, code: "confirmed" }] },
    category: [{ coding: [{ system: CONDITION_CATEGORY, code: "encounter-diagnosis", display: "Encounter Diagnosis" }] }],
    code: coding ? { coding: [coding], text } : { text },
    subject: ctx.patient,
    encounter: encounterRef(ctx),
    recordedDate: base?.recordedDate ?? nowISO(ctx),
  };
  if (recorder) c.recorder = recorder;
  else delete c.recorder;
  return c;
}

/** A diagnosis recorded by mistake: entered-in-error (which carries no clinical status, con-5). */
export function retractCondition(c: Resource): Resource {
  const { clinicalStatus: _drop, ...rest } = c;
  return { ...rest, verificationStatus: { coding: [{ system: CONDITION_VER, code: "entered-in-error" }] } };
}

export function isRetracted(r: Resource): boolean {
  if (r.resourceType === "Condition") return r.verificationStatus?.coding?.some((c: Coding) => c.code === "entered-in-error") ?? false;
  if (r.resourceType === "DocumentReference") return r.status === "entered-in-error";
  return r.status === "cancelled" || r.status === "entered-in-error" || r.status === "revoked";
}

export interface PrescriptionInput {
  medication: string;
  dose: string;
  route: string;
  frequency: string;
  durationDays: string;
  quantity: string;
  refills: string;
}

function wholeNumber(field: string, label: string, s: string, min: number): number | undefined {
  const t = s.trim();
  if (!t) return undefined;
  if (!/^\d+$/.test(t) || Number(t) < min) {
    throw new FormError(field, min > 0 ? `${label} must be a whole number of at least ${min}.` : `${label} must be a whole number (0 or more).`);
  }
  return Number(t);
}

function days(n: number) {
  return { value: n, unit: n === 1 ? "day" : "days", system: UCUM, code: "d" };
}

/** The sentence a pharmacist and a patient read: "500 mg By mouth Twice a day for 7 days". */
export function sigText(input: Pick<PrescriptionInput, "dose" | "route" | "frequency" | "durationDays">): string {
  const parts = [input.dose, input.route, input.frequency].map((s) => s.trim()).filter(Boolean);
  const d = input.durationDays.trim();
  if (/^\d+$/.test(d) && Number(d) > 0) parts.push(`for ${d} ${Number(d) === 1 ? "day" : "days"}`);
  return parts.join(" ");
}

/** A prescription. Throws FormError for missing or malformed fields. */
export function buildMedicationRequest(ctx: ChartContext, input: PrescriptionInput, base?: Resource): Resource {
  const medication = input.medication.trim();
  if (!medication) throw new FormError("medication", "Enter the medication.");
  const duration = wholeNumber("durationDays", "Duration (days)", input.durationDays, 1);
  const quantity = wholeNumber("quantity", "Quantity", input.quantity, 1);
  const refills = wholeNumber("refills", "Refills", input.refills, 0);

  const dosage: Record<string, any> = {};
  const text = sigText(input);
  if (text) dosage.text = text;
  const route = input.route.trim();
  if (route) {
    const coding = routeCoding(route);
    dosage.route = coding ? { coding: [coding], text: route } : { text: route };
  }
  const freqText = input.frequency.trim();
  const freq = freqText ? parseFrequency(freqText) : null;
  const repeat: Record<string, any> = {};
  if (freq?.frequency !== undefined) {
    repeat.frequency = freq.frequency;
    repeat.period = freq.period;
    repeat.periodUnit = freq.periodUnit;
  }
  if (freq?.when) repeat.when = freq.when;
  if (duration !== undefined) repeat.boundsDuration = days(duration);
  if (Object.keys(repeat).length > 0 || freqText) {
    dosage.timing = {};
    if (Object.keys(repeat).length > 0) dosage.timing.repeat = repeat;
    if (freqText) dosage.timing.code = { text: freqText };
  }
  if (freq?.asNeeded) dosage.asNeededBoolean = true;
  const doseText = input.dose.trim();
  if (doseText) {
    const d = parseDose(doseText);
    if (!d) throw new FormError("dose", "Enter the dose as a number and a unit, for example 500 mg or 1 tablet.");
    const q = (value: number) => ({ value, ...(d.unit ? { unit: d.unit } : {}), ...(d.code ? { system: UCUM, code: d.code } : {}) });
    dosage.doseAndRate = [d.value !== undefined ? { doseQuantity: q(d.value) } : { doseRange: { low: q(d.low!), high: q(d.high!) } }];
  }

  const dispense: Record<string, any> = {};
  if (quantity !== undefined) dispense.quantity = { value: quantity };
  if (duration !== undefined) dispense.expectedSupplyDuration = days(duration);
  if (refills !== undefined) dispense.numberOfRepeatsAllowed = refills;

  const requester = clinician(ctx.me);
  const mr: Resource = {
    ...(base ?? {}),
    resourceType: "MedicationRequest",
    status: "active",
    intent: "order",
    medicationCodeableConcept: { text: medication },
    subject: ctx.patient,
    encounter: encounterRef(ctx),
    authoredOn: base?.authoredOn ?? nowISO(ctx),
  };
  delete mr.dosageInstruction;
  delete mr.dispenseRequest;
  delete mr.requester;
  if (requester) mr.requester = requester;
  if (Object.keys(dosage).length > 0) mr.dosageInstruction = [dosage];
  if (Object.keys(dispense).length > 0) mr.dispenseRequest = dispense;
  return mr;
}

/** The form values of a prescription written by buildMedicationRequest (for editing). */
export function prescriptionInputFrom(mr: Resource): PrescriptionInput {
  const d = mr.dosageInstruction?.[0] ?? {};
  const route: string = d.route?.text ?? d.route?.coding?.[0]?.display ?? "";
  const frequency: string = d.timing?.code?.text ?? "";
  const duration = mr.dispenseRequest?.expectedSupplyDuration?.value ?? d.timing?.repeat?.boundsDuration?.value;
  const dr = d.doseAndRate?.[0];
  const unit = (q: any) => (q?.unit ? ` ${q.unit}` : "");
  let dose = "";
  if (dr?.doseQuantity) dose = `${dr.doseQuantity.value}${unit(dr.doseQuantity)}`;
  else if (dr?.doseRange) dose = `${dr.doseRange.low?.value}-${dr.doseRange.high?.value}${unit(dr.doseRange.high)}`;
  const str = (v: unknown) => (v === undefined || v === null ? "" : String(v));
  return {
    medication: mr.medicationCodeableConcept?.text ?? mr.medicationCodeableConcept?.coding?.[0]?.display ?? "",
    dose,
    route,
    frequency,
    durationDays: str(duration),
    quantity: str(mr.dispenseRequest?.quantity?.value),
    refills: str(mr.dispenseRequest?.numberOfRepeatsAllowed),
  };
}

/** A lab test or other order. */
export function buildServiceRequest(ctx: ChartContext, input: { text: string }, base?: Resource): Resource {
  const text = input.text.trim();
  if (!text) throw new FormError("text", "Enter the test or order.");
  const requester = clinician(ctx.me);
  const sr: Resource = {
    ...(base ?? {}),
    resourceType: "ServiceRequest",
    status: "active",
    intent: "order",
    code: { text },
    subject: ctx.patient,
    encounter: encounterRef(ctx),
    authoredOn: base?.authoredOn ?? nowISO(ctx),
  };
  delete sr.requester;
  if (requester) sr.requester = requester;
  return sr;
}

/** A prescription or order withdrawn: status cancelled. */
export function cancelRequest(r: Resource): Resource {
  return { ...r, status: "cancelled" };
}

export const NOTE_TYPE = { system: "http://loinc.org", code: "11506-3", display: "Progress note" };
export const NOTE_TITLE = "Visit note";
export const INSTRUCTIONS_TITLE = "Instructions for the patient";

/** UTF-8 text → base64 (Attachment.data). */
export function toBase64(s: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(s)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** base64 (Attachment.data) → UTF-8 text. */
export function fromBase64(b64: string): string {
  try {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new TextDecoder().decode(bytes);
  } catch {
    return "";
  }
}

export interface NoteInput {
  note: string;
  instructions: string;
}

/**
 * The visit note: a progress note (LOINC 11506-3) with the note and the
 * patient's instructions as two text attachments. final=false keeps it a
 * draft (docStatus preliminary); a final note edited again becomes amended.
 */
export function buildDocumentReference(ctx: ChartContext, input: NoteInput, final: boolean, base?: Resource): Resource {
  const note = input.note.trim();
  const instructions = input.instructions.trim();
  if (!note && !instructions) throw new FormError("note", "Write the visit note or the instructions for the patient first.");
  const now = nowISO(ctx);
  const content: any[] = [];
  // FHIR allows no empty strings: an empty part is left out.
  if (note) content.push({ attachment: { contentType: "text/plain", data: toBase64(note), title: NOTE_TITLE, creation: now } });
  if (instructions) content.push({ attachment: { contentType: "text/plain", data: toBase64(instructions), title: INSTRUCTIONS_TITLE, creation: now } });
  const wasFinal = base?.docStatus === "final" || base?.docStatus === "amended";
  const author = clinician(ctx.me);
  const doc: Resource = {
    ...(base ?? {}),
    resourceType: "DocumentReference",
    status: "current",
    docStatus: final ? (wasFinal ? "amended" : "final") : wasFinal ? base!.docStatus : "preliminary",
    type: { coding: [NOTE_TYPE], text: NOTE_TYPE.display },
    subject: ctx.patient,
    date: now,
    description: NOTE_TYPE.display,
    content,
    context: { ...(base?.context ?? {}), encounter: [encounterRef(ctx)] },
  };
  delete doc.author;
  if (author) doc.author = [author];
  return doc;
}

/** The note and instructions of a DocumentReference written by buildDocumentReference. */
export function noteInputFrom(doc: Resource | undefined): NoteInput {
  const out: NoteInput = { note: "", instructions: "" };
  for (const c of doc?.content ?? []) {
    const a = c?.attachment;
    if (!a?.data) continue;
    if (a.title === INSTRUCTIONS_TITLE) out.instructions = fromBase64(a.data);
    else if (!out.note) out.note = fromBase64(a.data);
  }
  return out;
}

/** Whether a note counts as done (for the "To finish" list). */
export function isFinalNote(doc: Resource): boolean {
  return doc.status === "current" && (doc.docStatus === "final" || doc.docStatus === "amended");
}

/** Whether a DocumentReference is a progress note. */
export function isProgressNote(doc: Resource): boolean {
  return doc.type?.coding?.some((c: Coding) => c.system === NOTE_TYPE.system && c.code === NOTE_TYPE.code) ?? false;
}
