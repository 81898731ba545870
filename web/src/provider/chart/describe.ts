// How saved chart entries read in the lists under each form.
import type { Resource } from "../../api/fhir";
import { formatTime } from "../../format";
import { ICD10CM, SNOMED } from "./codes";

const SYSTEM_NAMES: Record<string, string> = { [ICD10CM]: "ICD-10-CM", [SNOMED]: "SNOMED CT" };

export function describeCondition(c: Resource): { primary: string; secondary?: string } {
  const coding = c.code?.coding?.[0];
  const parts: string[] = [];
  if (coding?.code) parts.push(`${SYSTEM_NAMES[coding.system] ?? "Code"} ${coding.code}`);
  if (c.recordedDate) parts.push(`recorded ${formatTime(c.recordedDate)}`);
  return { primary: c.code?.text ?? coding?.display ?? coding?.code ?? "Diagnosis", secondary: parts.join(" · ") || undefined };
}

export function describeMedication(m: Resource): { primary: string; secondary?: string } {
  const d = m.dosageInstruction?.[0];
  const disp = m.dispenseRequest ?? {};
  const parts: string[] = [];
  if (d?.text) parts.push(d.text);
  if (disp.quantity?.value !== undefined) parts.push(`quantity ${disp.quantity.value}${disp.quantity.unit ? ` ${disp.quantity.unit}` : ""}`);
  if (disp.numberOfRepeatsAllowed !== undefined) {
    const n = disp.numberOfRepeatsAllowed;
    parts.push(n === 0 ? "no refills" : `${n} ${n === 1 ? "refill" : "refills"}`);
  }
  return { primary: m.medicationCodeableConcept?.text ?? m.medicationCodeableConcept?.coding?.[0]?.display ?? "Medication", secondary: parts.join(" · ") || undefined };
}

export function describeOrder(s: Resource): { primary: string; secondary?: string } {
  return { primary: s.code?.text ?? s.code?.coding?.[0]?.display ?? "Order", secondary: s.authoredOn ? `ordered ${formatTime(s.authoredOn)}` : undefined };
}
