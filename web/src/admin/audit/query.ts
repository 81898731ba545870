// The audit trail's filters and the FHIR AuditEvent search they become
// (internal/audit/event.go: agent.name is the user's e-mail, agent.who
// their FHIR resource, every patient touched is an entity that
// AuditEvent?patient= finds, recorded is what date= searches).
import { query, type SearchParams } from "../../api/fhir";
import { isReference } from "../users/validate";

export type AuditAction = "" | "C" | "R" | "U" | "D" | "E";
export type AuditOutcome = "" | "0" | "4" | "8" | "12";

export interface AuditFilter {
  /** An e-mail (or its beginning) or a reference like Practitioner/12. */
  user: string;
  /** A patient id or Patient/id. */
  patient: string;
  action: AuditAction;
  /** yyyy-mm-dd in the viewer's time zone, inclusive. */
  from: string;
  to: string;
  outcome: AuditOutcome;
}

export const emptyAuditFilter: AuditFilter = { user: "", patient: "", action: "", from: "", to: "", outcome: "" };

export const ACTIONS: { value: Exclude<AuditAction, "">; label: string }[] = [
  { value: "C", label: "Create" },
  { value: "R", label: "Read" },
  { value: "U", label: "Update" },
  { value: "D", label: "Delete" },
  { value: "E", label: "Execute (searches, sign-ins, operations)" },
];

export const OUTCOMES: { value: Exclude<AuditOutcome, "">; label: string }[] = [
  { value: "0", label: "Success" },
  { value: "4", label: "Refused or failed request" },
  { value: "8", label: "Server error" },
  { value: "12", label: "Major failure" },
];

export const PAGE_SIZE = 50;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** "+02:00" / "-05:00": the viewer's UTC offset at that moment. */
export function offsetOf(d: Date): string {
  const mins = -d.getTimezoneOffset();
  const sign = mins >= 0 ? "+" : "-";
  const abs = Math.abs(mins);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, "0");
}

/** The instant a local wall-clock time falls on, written with the viewer's offset. */
function local(date: string, h: number, m: number, s: number): string {
  const [, y, mo, d] = DATE.exec(date)!;
  // Date normalizes wall-clock times a daylight-saving change skips.
  const t = new Date(Number(y), Number(mo) - 1, Number(d), h, m, s);
  return `${pad(t.getFullYear(), 4)}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}T${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}${offsetOf(t)}`;
}

/** Start of that day in the viewer's zone: "2024-07-01T00:00:00-04:00". */
export function dayStart(date: string): string {
  return local(date, 0, 0, 0);
}

/** Last second of that day in the viewer's zone. */
export function dayEnd(date: string): string {
  return local(date, 23, 59, 59);
}

/** "Patient/7" from "7" or "Patient/7"; "" when it is neither. */
export function patientRef(p: string): string {
  const s = p.trim();
  if (isReference(s, ["Patient"])) return s;
  if (/^[A-Za-z0-9\-.]{1,64}$/.test(s)) return `Patient/${s}`;
  return "";
}

function validDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return d.getMonth() === Number(m[2]) - 1 && d.getDate() === Number(m[3]);
}

export type AuditFilterErrors = Partial<Record<keyof AuditFilter, string>>;

export function validateAuditFilter(f: AuditFilter): AuditFilterErrors {
  const e: AuditFilterErrors = {};
  if (f.patient.trim() && !patientRef(f.patient)) e.patient = "Choose a patient from the list, or type an id such as Patient/123.";
  if (f.from && !validDate(f.from)) e.from = "Enter a date.";
  if (f.to && !validDate(f.to)) e.to = "Enter a date.";
  if (!e.from && !e.to && f.from && f.to && f.to < f.from) e.to = "“To” must be on or after “From”.";
  return e;
}

/** The AuditEvent search parameters of a (valid) filter: newest first, one page. */
export function auditSearchParams(f: AuditFilter, count = PAGE_SIZE): SearchParams {
  const p: SearchParams = { _sort: "-date", _count: count };
  const user = f.user.trim();
  if (user) {
    if (isReference(user)) p.agent = user;
    else p["agent-name"] = user;
  }
  const patient = patientRef(f.patient);
  if (patient) p.patient = patient;
  if (f.action) p.action = f.action;
  const dates: string[] = [];
  if (f.from) dates.push(`ge${dayStart(f.from)}`);
  if (f.to) dates.push(`le${dayEnd(f.to)}`);
  if (dates.length) p.date = dates;
  if (f.outcome) p.outcome = f.outcome;
  return p;
}

/** "?_sort=-date&_count=50&agent-name=…": the query string of GET /fhir/r4/AuditEvent. */
export function auditQuery(f: AuditFilter, count = PAGE_SIZE): string {
  return query(auditSearchParams(f, count));
}

const KEYS: (keyof AuditFilter)[] = ["user", "patient", "action", "from", "to", "outcome"];

/** The filter kept in the page's address (/admin/audit?user=…), so it survives reloads and can be shared. */
export function filterToSearch(f: AuditFilter): string {
  const q = new URLSearchParams();
  for (const k of KEYS) {
    const v = f[k].trim();
    if (v) q.set(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export function filterFromSearch(q: URLSearchParams): AuditFilter {
  const f = { ...emptyAuditFilter };
  for (const k of KEYS) (f as Record<string, string>)[k] = q.get(k) ?? "";
  if (!ACTIONS.some((a) => a.value === f.action)) f.action = "";
  if (!OUTCOMES.some((o) => o.value === f.outcome)) f.outcome = "";
  return f;
}
