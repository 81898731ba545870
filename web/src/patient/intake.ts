// The FHIR side of intake and consent (docs/visit-flow.md): the intake
// Questionnaire, the patient's QuestionnaireResponse, the reason for the
// visit on Encounter.reasonCode, and the telehealth Consent.
import type { Fhir, Resource } from "../api/fhir";
import { ApiError } from "../api/http";
import { INTAKE_URL, type Questionnaire } from "./questionnaire";

export const CONSENT_POLICY = "https://housecall.dev/policy/telehealth-consent";

/** The intake questionnaire, or null when the server has none. */
export async function loadQuestionnaire(fhir: Fhir): Promise<Questionnaire | null> {
  const b = await fhir.search<Questionnaire>("Questionnaire", { url: INTAKE_URL });
  const all = (b.entry ?? []).map((e) => e.resource).filter((r) => r?.resourceType === "Questionnaire");
  return all.find((q) => q.status === "active") ?? all.find((q) => q.status !== "retired") ?? null;
}

export interface IntakeProgress {
  /** A QuestionnaireResponse for this visit exists. */
  answered: boolean;
  /** The patient consented to this visit by video. */
  consented: boolean;
}

function isConsentFor(c: Resource, encounterRef: string): boolean {
  return (
    c.status === "active" &&
    (c.policy ?? []).some((p: any) => p?.uri === CONSENT_POLICY) &&
    (c.provision?.data ?? []).some((d: any) => d?.reference?.reference === encounterRef)
  );
}

/** What the patient already did for this visit (so a reload does not ask again). */
export async function intakeProgress(fhir: Fhir, encounterId: string, patientId: string): Promise<IntakeProgress> {
  const encounterRef = `Encounter/${encounterId}`;
  const patient = `Patient/${patientId}`;
  const [qr, consent] = await Promise.all([
    fhir.search("QuestionnaireResponse", { encounter: encounterRef, _count: 20 }),
    fhir.search("Consent", { patient, data: encounterRef, _count: 20 }).catch((e) => {
      // A server that does not search Consent by data: all of the patient's, filtered here.
      if (e instanceof ApiError && e.status === 400) return fhir.search("Consent", { patient, _count: 100 });
      throw e;
    }),
  ]);
  return {
    answered: (qr.entry ?? []).some((e) => e.resource?.resourceType === "QuestionnaireResponse" && ["completed", "amended"].includes(e.resource.status)),
    consented: (consent.entry ?? []).some((e) => e.resource?.resourceType === "Consent" && isConsentFor(e.resource, encounterRef)),
  };
}

/** The telehealth Consent of the contract, tied to the visit through provision.data. */
export function buildConsent(patientId: string, encounterId: string, now = new Date()): Resource {
  const patient = { reference: `Patient/${patientId}` };
  return {
    resourceType: "Consent",
    status: "active",
    scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "treatment", display: "Treatment" }] },
    category: [{ coding: [{ system: "http://loinc.org", code: "59284-0", display: "Patient Consent" }] }],
    patient,
    dateTime: now.toISOString(),
    performer: [patient],
    policy: [{ uri: CONSENT_POLICY }],
    provision: {
      type: "permit",
      data: [{ meaning: "related", reference: { reference: `Encounter/${encounterId}` } }],
    },
  };
}

/**
 * The JSON Patch that records the reason for the visit: appended to an
 * existing Encounter.reasonCode (the clinic may have set one when booking)
 * or creating it.
 */
export function reasonPatch(enc: Resource, reason: string): unknown[] {
  const text = reason.trim();
  const existing: any[] = Array.isArray(enc.reasonCode) ? enc.reasonCode : [];
  if (existing.some((r) => r?.text === text)) return [];
  if (existing.length > 0) return [{ op: "add", path: "/reasonCode/-", value: { text } }];
  return [{ op: "add", path: "/reasonCode", value: [{ text }] }];
}

export async function saveReason(fhir: Fhir, encounterId: string, reason: string): Promise<void> {
  const enc = await fhir.read("Encounter", encounterId);
  const ops = reasonPatch(enc, reason);
  if (ops.length) await fhir.patch("Encounter", encounterId, ops);
}
