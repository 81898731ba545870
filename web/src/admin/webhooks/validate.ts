// The "Add webhook" form: event types (docs/telemed.md, "Webhooks and EHR
// notifications") and checks with plain messages.
import type { NewWebhook } from "../api";

export const EVENT_TYPES = [
  { value: "meeting.created", label: "Visit created" },
  { value: "meeting.guest_invited", label: "Guest invited" },
  { value: "meeting.participant_joined", label: "Someone joined the call" },
  { value: "meeting.participant_left", label: "Someone left the call" },
  { value: "meeting.ended", label: "Visit ended" },
  { value: "ping", label: "Test ping from “Send test”" },
] as const;

export function eventLabel(t: string): string {
  return EVENT_TYPES.find((x) => x.value === t)?.label ?? t;
}

export interface WebhookForm {
  url: string;
  description: string;
  secret: string;
  /** "all" sends every type (an empty filter). */
  scope: "all" | "some";
  events: string[];
}

export const emptyWebhookForm: WebhookForm = { url: "", description: "", secret: "", scope: "all", events: [] };

export type WebhookErrors = Partial<Record<"url" | "description" | "secret" | "events", string>>;

export const MIN_SECRET = 16;

function parse(s: string): URL | null {
  try {
    return new URL(s);
  } catch {
    return null;
  }
}

export function validateWebhook(f: WebhookForm): WebhookErrors {
  const e: WebhookErrors = {};
  const url = f.url.trim();
  const u = parse(url);
  if (!url) e.url = "Enter the address that receives the events.";
  else if (!u || (u.protocol !== "https:" && u.protocol !== "http:") || !u.hostname) e.url = "Enter a full web address starting with https://.";
  else if (url.length > 2000) e.url = "Use at most 2000 characters.";
  else if (u.hash) e.url = "Remove the # part of the address.";

  if (f.description.trim().length > 500) e.description = "Use at most 500 characters.";
  if (f.secret && f.secret.length < MIN_SECRET) e.secret = `Use at least ${MIN_SECRET} characters, or “Generate” one.`;
  else if (new TextEncoder().encode(f.secret).length > 500) e.secret = "Use at most 500 characters.";
  else if (/\s/.test(f.secret)) e.secret = "The secret cannot contain spaces.";
  if (f.scope === "some" && f.events.length === 0) e.events = "Choose at least one event, or send all events.";
  return e;
}

/** A warning that does not block saving, or "". */
export function webhookWarning(f: WebhookForm): string {
  const u = parse(f.url.trim());
  if (u?.protocol !== "http:") return "";
  const h = u.hostname.replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.startsWith("127.") || h === "::1") return "";
  return "This address uses http: deliveries travel unencrypted. Use https unless the receiver is on a private network.";
}

export function toNewWebhook(f: WebhookForm): NewWebhook {
  const w: NewWebhook = { url: f.url.trim() };
  const d = f.description.trim();
  if (d) w.description = d;
  if (f.secret) w.secret = f.secret;
  w.events = f.scope === "some" ? EVENT_TYPES.map((t) => t.value as string).filter((t) => f.events.includes(t)) : [];
  return w;
}

/** 32 random bytes, base64url: a signing secret nobody has to invent. */
export function generateSecret(): string {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
