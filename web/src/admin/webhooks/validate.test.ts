import { describe, expect, it } from "vitest";
import { emptyWebhookForm, generateSecret, toNewWebhook, validateWebhook, type WebhookForm, webhookWarning } from "./validate";

const f = (patch: Partial<WebhookForm>): WebhookForm => ({ ...emptyWebhookForm, url: "https://ehr.example.org/hooks/housecall", ...patch });

describe("validateWebhook", () => {
  it.each<[string, Partial<WebhookForm>, Record<string, string>]>([
    ["all events", {}, {}],
    ["no URL", { url: "" }, { url: "Enter the address that receives the events." }],
    ["not a web address", { url: "ehr.example.org" }, { url: "Enter a full web address starting with https://." }],
    ["ftp", { url: "ftp://ehr.example.org/x" }, { url: "Enter a full web address starting with https://." }],
    ["short secret", { secret: "abc" }, { secret: "Use at least 16 characters, or “Generate” one." }],
    ["some events but none chosen", { scope: "some" }, { events: "Choose at least one event, or send all events." }],
    ["chosen events", { scope: "some", events: ["meeting.ended", "ping"] }, {}],
  ])("%s", (_, patch, want) => expect(validateWebhook(f(patch))).toEqual(want));

  it("warns about plain http beyond this machine", () => {
    expect(webhookWarning(f({ url: "http://ehr.internal/hook" }))).toMatch(/unencrypted/);
    expect(webhookWarning(f({ url: "http://127.0.0.1:9000/hook" }))).toBe("");
    expect(webhookWarning(f({}))).toBe("");
  });
});

it("toNewWebhook sends an empty filter for all events and the chosen ones in order", () => {
  expect(toNewWebhook(f({ description: " EHR ", secret: "0123456789abcdefXYZ" }))).toEqual({
    url: "https://ehr.example.org/hooks/housecall",
    description: "EHR",
    secret: "0123456789abcdefXYZ",
    events: [],
  });
  expect(toNewWebhook(f({ scope: "some", events: ["ping", "meeting.created"] })).events).toEqual(["meeting.created", "ping"]);
});

it("generateSecret makes long, different secrets", () => {
  const a = generateSecret();
  expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(generateSecret()).not.toBe(a);
});
