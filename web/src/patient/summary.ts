// Turning the provider's FHIR records into words a patient reads: what a
// CodeableConcept says, a prescription's directions and supply, the text of
// a note's attachments.
import type { Resource } from "../api/fhir";

type CC = { text?: string; coding?: { system?: string; code?: string; display?: string }[] } | undefined;

/** The words of a CodeableConcept (its text, else a coding's display or code). */
export function conceptText(c: CC): string {
  if (!c) return "";
  if (c.text) return c.text;
  const withDisplay = c.coding?.find((x) => x.display);
  return withDisplay?.display ?? c.coding?.find((x) => x.code)?.code ?? "";
}

/** The code shown next to a diagnosis (e.g. "J06.9"), if it has one. */
export function conceptCode(c: CC): string {
  return c?.coding?.find((x) => x.code)?.code ?? "";
}

const NUMBERS = ["", "once", "twice", "three times", "four times", "five times", "six times"];
const UNITS: Record<string, [string, string]> = {
  s: ["second", "seconds"],
  min: ["minute", "minutes"],
  h: ["hour", "hours"],
  d: ["day", "days"],
  wk: ["week", "weeks"],
  mo: ["month", "months"],
  a: ["year", "years"],
};
const TIMING_CODES: Record<string, string> = {
  QD: "once a day",
  BID: "twice a day",
  TID: "three times a day",
  QID: "four times a day",
  QOD: "every other day",
  AM: "every morning",
  PM: "every evening",
  HS: "at bedtime",
  Q4H: "every 4 hours",
  Q6H: "every 6 hours",
  Q8H: "every 8 hours",
  Q12H: "every 12 hours",
  WK: "once a week",
  MO: "once a month",
};

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

function times(n: number): string {
  return NUMBERS[n] ?? `${n} times`;
}

/** "once a day", "three times a day", "every 8 hours", "twice a week", "as needed". */
export function frequencyText(timing: any, asNeeded?: boolean): string {
  const r = timing?.repeat;
  let out = "";
  if (r && (r.frequency || r.period)) {
    const f: number = r.frequency ?? 1;
    const fMax: number | undefined = r.frequencyMax;
    const p: number = r.period ?? 1;
    const [one, many] = UNITS[r.periodUnit ?? "d"] ?? [r.periodUnit, r.periodUnit];
    const count = fMax && fMax > f ? `${f} to ${fMax} times` : times(f);
    if (p === 1) out = `${count} a ${one}`;
    else if (f === 1 && !fMax) out = `every ${p} ${many}`;
    else out = `${count} every ${p} ${many}`;
  } else if (timing?.code) {
    const code = timing.code.coding?.find((c: any) => c.code)?.code;
    out = timing.code.text || (code && TIMING_CODES[code]) || conceptText(timing.code);
  }
  if (asNeeded) out = out ? `${out}, as needed` : "as needed";
  return out;
}

function qty(q: any): string {
  if (!q || q.value === undefined || q.value === null) return "";
  const unit: string = q.unit ?? q.code ?? "";
  if (!unit) return String(q.value);
  // Words get a plural ("2 tablets"); abbreviations stay as they are ("500 mg").
  let u = unit;
  if (q.value !== 1 && /^[a-z]{4,}$/i.test(unit) && !/s$/i.test(unit)) u = /(ch|sh|x)$/i.test(unit) ? `${unit}es` : `${unit}s`;
  return `${q.value} ${u}`;
}

function routeText(route: CC): string {
  const t = conceptText(route);
  if (!t) return "";
  if (/^(oral|by mouth|po|swallow)/i.test(t) || route?.coding?.some((c) => c.code === "26643006")) return "by mouth";
  return t.toLowerCase();
}

function durationText(d: any): string {
  if (!d || typeof d.value !== "number") return "";
  const key = d.code ?? (typeof d.unit === "string" ? d.unit.replace(/s$/, "") : "d");
  const map: Record<string, string> = { day: "d", week: "wk", month: "mo", year: "a", hour: "h", minute: "min" };
  const [one, many] = UNITS[map[key] ?? key] ?? [d.unit ?? "days", d.unit ?? "days"];
  return `for ${d.value} ${plural(d.value, one, many)}`;
}

function capitalize(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

export interface MedicationWords {
  /** The medicine ("Amoxicillin 500 mg capsules"). */
  name: string;
  /** How to take it ("Take 1 capsule by mouth, three times a day, for 7 days."). */
  directions: string;
  /** What the pharmacy gives ("Quantity: 21 capsules · 2 refills"). */
  supply: string;
}

/** A MedicationRequest in words: dose, route, frequency, duration, quantity and refills. */
export function describeMedication(mr: Resource): MedicationWords {
  const name = conceptText(mr.medicationCodeableConcept) || mr.medicationReference?.display || "Medicine";
  const d = (mr.dosageInstruction ?? [])[0] ?? {};
  const dr = (d.doseAndRate ?? [])[0] ?? {};
  let dose = qty(dr.doseQuantity);
  if (!dose && dr.doseRange) dose = `${qty(dr.doseRange.low).replace(/ .*/, "")}–${qty(dr.doseRange.high)}`;
  const route = routeText(d.route);
  const freq = frequencyText(d.timing, d.asNeededBoolean);
  const duration = durationText(mr.dispenseRequest?.expectedSupplyDuration) || durationText(d.timing?.repeat?.boundsDuration);

  let directions = "";
  if (dose || freq) {
    const parts = [[dose, route].filter(Boolean).join(" "), freq, duration].filter(Boolean);
    directions = `Take ${parts.join(", ")}.`;
  } else if (d.text) {
    directions = d.text.trim().replace(/([^.!?])$/, "$1.");
    if (duration && !directions.toLowerCase().includes(duration)) directions = `${directions} ${capitalize(duration)}.`;
  } else if (route || duration) {
    directions = `${capitalize([route, duration].filter(Boolean).join(", "))}.`;
  }
  if (d.patientInstruction) directions = [directions, d.patientInstruction.trim()].filter(Boolean).join(" ");

  const supply: string[] = [];
  const q = qty(mr.dispenseRequest?.quantity);
  if (q) supply.push(`Quantity: ${q}`);
  const refills = mr.dispenseRequest?.numberOfRepeatsAllowed;
  if (typeof refills === "number") supply.push(refills === 0 ? "No refills" : `${refills} ${plural(refills, "refill", "refills")}`);
  return { name, directions, supply: supply.join(" · ") };
}

/** A base64 attachment's text (UTF-8). */
export function attachmentText(a: { data?: string; contentType?: string } | undefined): string {
  if (!a?.data) return "";
  try {
    const bin = atob(a.data);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return new TextDecoder().decode(bytes).trim();
  } catch {
    return "";
  }
}

export const INSTRUCTIONS_TITLE = "Instructions for the patient";

/** The visit note and the instructions for the patient from the visit's DocumentReferences. */
export function notesOf(docs: Resource[]): { note: string; instructions: string } {
  const usable = docs.filter((d) => d.status !== "entered-in-error" && d.status !== "superseded");
  // A final note wins over drafts; the newest first.
  const finals = usable.filter((d) => d.docStatus === "final");
  const pick = (finals.length ? finals : usable).sort((a, b) => (b.meta?.lastUpdated ?? b.date ?? "").localeCompare(a.meta?.lastUpdated ?? a.date ?? ""));
  const notes: string[] = [];
  const instructions: string[] = [];
  for (const d of pick.slice(0, 1)) {
    for (const c of d.content ?? []) {
      const text = attachmentText(c.attachment);
      if (!text) continue;
      if ((c.attachment?.title ?? "").toLowerCase() === INSTRUCTIONS_TITLE.toLowerCase()) instructions.push(text);
      else notes.push(text);
    }
  }
  return { note: notes.join("\n\n"), instructions: instructions.join("\n\n") };
}

/** Records the provider withdrew or cancelled are not part of the summary. */
export function isCurrent(r: Resource): boolean {
  if (r.resourceType === "Condition") {
    const v = r.verificationStatus?.coding?.find((c: any) => c.code)?.code;
    return v !== "entered-in-error" && v !== "refuted";
  }
  return !["cancelled", "entered-in-error", "revoked", "stopped"].includes(r.status);
}
