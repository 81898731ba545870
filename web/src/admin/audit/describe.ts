// Turns an AuditEvent (as internal/audit/event.go writes it) into the cells
// of one audit-trail row.
import type { Resource } from "../../api/fhir";

export interface AuditRow {
  id: string;
  recorded: string;
  who: string;
  /** Role and app, e.g. "Practitioner · via housecall-web". */
  whoDetail: string;
  action: string;
  /** What happened, e.g. "Read", "Search", "Login". */
  event: string;
  /** Resources or queries the event was about (patients excluded). */
  what: string[];
  patients: string[];
  outcome: string;
  outcomeDesc: string;
  /** The outcome is not success. */
  failed: boolean;
  ip: string;
}

const RESOURCE_TYPES = "http://hl7.org/fhir/resource-types";
const ACTION_LABELS: Record<string, string> = { C: "Create", R: "Read", U: "Update", D: "Delete", E: "Execute" };
const OUTCOME_LABELS: Record<string, string> = { "0": "Success", "4": "Refused or failed", "8": "Server error", "12": "Major failure" };
const ROLE_LABELS: Record<string, string> = { admin: "Administrator", practitioner: "Practitioner", staff: "Staff", patient: "Patient", client: "App" };
const INTERACTION_LABELS: Record<string, string> = {
  read: "Read",
  vread: "Read a version",
  "search-type": "Search",
  "history-instance": "History",
  create: "Create",
  update: "Update",
  patch: "Change",
  delete: "Delete",
  operation: "Operation",
  transaction: "Transaction",
  batch: "Batch",
};

function requestor(agents: any[]): any {
  return agents.find((a) => a?.requestor) ?? agents[0] ?? {};
}

function isApp(a: any): boolean {
  return (a?.type?.coding ?? []).some((c: any) => c?.code === "110150");
}

function b64decode(s: string): string {
  try {
    const bin = atob(s);
    return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return "";
  }
}

/** What kind of event: the subtype ("read", "Login", "Token issued") in words. */
function eventName(ev: Resource): string {
  const subs: any[] = Array.isArray(ev.subtype) ? ev.subtype : [];
  const names = subs.map((c) => INTERACTION_LABELS[c?.code] ?? c?.display ?? c?.code).filter(Boolean);
  if (names.length) return Array.from(new Set(names)).join(", ");
  return ev.type?.display ?? ev.type?.code ?? "";
}

export function describeAuditEvent(ev: Resource): AuditRow {
  const agents: any[] = Array.isArray(ev.agent) ? ev.agent : [];
  const people = agents.filter((a) => !isApp(a));
  const app = agents.find(isApp);
  const main = people.length ? requestor(people) : requestor(agents);
  const who =
    main?.name ??
    main?.who?.display ??
    main?.who?.reference ??
    main?.who?.identifier?.value ??
    (app ? app.who?.identifier?.value ?? "An app" : "Unknown");
  const detail: string[] = [];
  const role = main?.role?.[0]?.coding?.[0]?.code;
  if (role) detail.push(ROLE_LABELS[role] ?? role);
  if (main?.who?.reference && main.who.reference !== who) detail.push(main.who.reference);
  const appId = app?.who?.identifier?.value;
  if (appId && app !== main) detail.push(`via ${appId}`);

  const what: string[] = [];
  const patients: string[] = [];
  for (const en of Array.isArray(ev.entity) ? ev.entity : []) {
    const ref: string | undefined = en?.what?.reference;
    const roleCode = en?.role?.code;
    if (roleCode === "1" && ref?.startsWith("Patient/")) {
      if (!patients.includes(ref)) patients.push(ref);
      continue;
    }
    const q = typeof en?.query === "string" ? b64decode(en.query) : "";
    // A bare resource type for searches ("Observation" + its query); a
    // system object (an admin action such as "POST /v1/admin/users") is
    // named by its query alone.
    const typ = en?.type?.system === RESOURCE_TYPES ? en.type.code : "";
    const base: string = ref ?? (typ || en?.name || "");
    const text = base && q ? `${base}?${q}` : base || q;
    if (text && !what.includes(text)) what.push(text);
  }

  const ip = (agents.find((a) => a?.network?.address) ?? {}).network?.address ?? "";
  const outcome = String(ev.outcome ?? "0");
  return {
    id: ev.id ?? "",
    recorded: ev.recorded ?? "",
    who: String(who),
    whoDetail: detail.join(" · "),
    action: ACTION_LABELS[ev.action] ?? ev.action ?? "",
    event: eventName(ev),
    what,
    patients,
    outcome: OUTCOME_LABELS[outcome] ?? outcome,
    outcomeDesc: typeof ev.outcomeDesc === "string" ? ev.outcomeDesc : "",
    failed: outcome !== "0",
    ip,
  };
}
