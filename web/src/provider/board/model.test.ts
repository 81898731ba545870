import { describe, expect, it } from "vitest";
import type { Resource } from "../../api/fhir";
import type { VisitEvent } from "../../api/events";
import type { WaitingEntry } from "../../api/telemed";
import { applyEvent, boardTitle, buildBoard, columns, dropVisit, emptyBoard, newArrivals, waitingPeople, type BoardState } from "./model";

const VR = { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "VR" };

function enc(id: string, status: string, patient: string, start: string, extra: Partial<Resource> = {}): Resource {
  return {
    resourceType: "Encounter",
    id,
    status,
    class: VR,
    subject: { reference: `Patient/${patient}` },
    period: { start },
    participant: [{ individual: { reference: "Practitioner/dr1" } }],
    ...extra,
  };
}

const patients: Resource[] = [
  { resourceType: "Patient", id: "p1", name: [{ given: ["Jane"], family: "Doe" }] },
  { resourceType: "Patient", id: "p2", name: [{ text: "Omar Haddad" }] },
  { resourceType: "Patient", id: "p3", name: [{ given: ["Li"], family: "Wei" }] },
  { resourceType: "Patient", id: "p4", name: [{ given: ["Ana"], family: "Silva" }] },
];

function entry(encounterId: string, key: string, name: string, arrivedAt: string, extra: Partial<WaitingEntry> = {}): WaitingEntry {
  return { encounterId, key, name, role: "patient", state: "waiting", present: true, arrivedAt, ...extra };
}

function ev(type: string, encounterId: string, extra: Partial<VisitEvent> = {}): VisitEvent {
  return { id: String(Math.random()), type, time: "2025-03-04T10:30:00Z", encounterId, ...extra };
}

function names(state: BoardState) {
  const c = columns(state);
  return {
    scheduled: c.scheduled.map((x) => x.visit.patientName),
    waiting: c.waiting.map((x) => x.visit.patientName),
    inCall: c.inCall.map((x) => x.visit.patientName),
    finished: c.finished.map((x) => x.visit.patientName),
  };
}

const base = () =>
  buildBoard(
    [
      enc("e1", "planned", "p1", "2025-03-04T11:00:00Z"),
      enc("e2", "arrived", "p2", "2025-03-04T10:00:00Z", { reasonCode: [{ text: "Cough" }] }),
      enc("e3", "in-progress", "p3", "2025-03-04T09:30:00Z"),
      enc("e4", "finished", "p4", "2025-03-04T08:00:00Z", { period: { start: "2025-03-04T08:00:00Z", end: "2025-03-04T08:20:00Z" } }),
      enc("e5", "planned", "p1", "2025-03-04T09:00:00Z"),
      enc("e6", "cancelled", "p2", "2025-03-04T09:00:00Z"),
    ],
    patients,
    [entry("e2", "k2", "Omar Haddad", "2025-03-04T10:05:00Z"), entry("e5", "k5", "Jane Doe", "2025-03-04T10:01:00Z")],
  );

describe("board grouping", () => {
  it("puts visits in columns by status and by who is waiting", () => {
    const b = base();
    // e5 is still "planned" but its patient checked in: waiting (longest first).
    expect(names(b)).toEqual({ scheduled: ["Jane Doe"], waiting: ["Jane Doe", "Omar Haddad"], inCall: ["Li Wei"], finished: ["Ana Silva"] });
    const c = columns(b);
    expect(c.waiting[0].visit.id).toBe("e5");
    expect(c.waiting[0].waitingSince).toBe("2025-03-04T10:01:00Z");
    expect(c.waiting[1].visit.reason).toBe("Cough");
    expect(waitingPeople(b)).toHaveLength(2);
    expect(boardTitle(2)).toBe("(2) waiting · Today's visits · Housecall");
    expect(boardTitle(0)).toBe("Today's visits · Housecall");
  });

  it("ignores entries of people who left and shows a waiting person before their visit is loaded", () => {
    const b = buildBoard([], [], [entry("e9", "k9", "Sam Roe", "2025-03-04T10:00:00Z"), entry("e8", "k8", "Gone", "2025-03-04T10:00:00Z", { state: "left" })]);
    expect(names(b).waiting).toEqual(["Sam Roe"]);
    expect(b.visits.e9.partial).toBe(true);
    expect(b.visits.e8).toBeUndefined();
  });

  it("keeps an in-progress visit in the call column when a guest waits, listing the guest", () => {
    const b = buildBoard([enc("e3", "in-progress", "p3", "2025-03-04T09:30:00Z")], patients, [
      entry("e3", "g1", "Maria (interpreter)", "2025-03-04T09:40:00Z", { role: "interpreter" }),
    ]);
    const c = columns(b);
    expect(c.inCall).toHaveLength(1);
    expect(c.inCall[0].waiting.map((e) => e.name)).toEqual(["Maria (interpreter)"]);
  });
});

describe("board events", () => {
  it("an arrival moves a scheduled visit to waiting and is announced once", () => {
    const b0 = base();
    const r = applyEvent(b0, ev("waiting.joined", "e1", { participant: { key: "k1", name: "Jane Doe", role: "patient", profile: "Patient/p1" } }));
    expect(r.fetch).toBeUndefined();
    expect(r.state.visits.e1.status).toBe("arrived");
    expect(names(r.state).scheduled).toEqual([]);
    expect(names(r.state).waiting).toContain("Jane Doe");
    expect(newArrivals(b0, r.state).map((e) => e.key)).toEqual(["k1"]);
    // The same event again (replayed after a reload) changes nothing and announces nobody.
    const again = applyEvent(r.state, ev("waiting.joined", "e1", { time: "2025-03-04T10:40:00Z", participant: { key: "k1", name: "Jane Doe", role: "patient" } }));
    expect(newArrivals(r.state, again.state)).toEqual([]);
    expect(again.state.entries["e1|k1"].arrivedAt).toBe("2025-03-04T10:30:00Z");
  });

  it("admitted, joined, ended: waiting → in call → finished", () => {
    let s = base();
    s = applyEvent(s, ev("waiting.admitted", "e2", { participant: { key: "k2", name: "Omar Haddad", role: "patient" } })).state;
    expect(s.entries["e2|k2"].state).toBe("admitted");
    expect(columns(s).waiting.find((c) => c.visit.id === "e2")?.admitted).toHaveLength(1);
    expect(waitingPeople(s).map((e) => e.key)).toEqual(["k5"]);
    s = applyEvent(s, ev("participant.joined", "e2", { status: "in-progress" })).state;
    expect(names(s).inCall).toEqual(["Li Wei", "Omar Haddad"]);
    s = applyEvent(s, ev("visit.ended", "e2", { time: "2025-03-04T10:50:00Z" })).state;
    expect(s.visits.e2.status).toBe("finished");
    expect(s.visits.e2.end).toBe("2025-03-04T10:50:00Z");
    expect(s.entries["e2|k2"]).toBeUndefined();
    expect(names(s).finished).toEqual(["Omar Haddad", "Ana Silva"]);
  });

  it("a person leaving the waiting room takes the visit back to scheduled if it never arrived", () => {
    let s = base();
    s = applyEvent(s, ev("waiting.left", "e5", { participant: { key: "k5", name: "Jane Doe", role: "patient" } })).state;
    expect(names(s).scheduled).toEqual(["Jane Doe", "Jane Doe"]);
    expect(waitingPeople(s)).toHaveLength(1);
  });

  it("a message to the waiting room is shown on the card", () => {
    const s = applyEvent(base(), ev("waiting.message", "e2", { message: "Five more minutes" })).state;
    expect(s.entries["e2|k2"].message).toEqual({ text: "Five more minutes", time: "2025-03-04T10:30:00Z" });
  });

  it("asks to fetch visits it does not know, shows their waiting people meanwhile, and can drop them", () => {
    const r = applyEvent(base(), ev("waiting.joined", "e7", { participant: { key: "k7", name: "New Person", role: "patient" } }));
    expect(r.fetch).toBe("e7");
    expect(r.state.visits.e7).toMatchObject({ patientName: "New Person", partial: true, status: "arrived" });
    expect(applyEvent(base(), ev("visit.created", "e8")).fetch).toBe("e8");
    expect(applyEvent(base(), ev("visit.updated", "e1", { status: "planned" })).fetch).toBeUndefined();
    const dropped = dropVisit(r.state, "e7");
    expect(dropped.visits.e7).toBeUndefined();
    expect(dropped.entries["e7|k7"]).toBeUndefined();
    expect(dropVisit(dropped, "nope")).toBe(dropped);
  });

  it("status changes from visit.updated, unknown events ignored", () => {
    let s = applyEvent(base(), ev("visit.updated", "e1", { status: "cancelled" })).state;
    expect(names(s).scheduled).toEqual([]);
    const before = s;
    s = applyEvent(s, ev("something.else", "e1")).state;
    expect(s).toBe(before);
    expect(applyEvent(emptyBoard, { ...ev("visit.updated", ""), encounterId: "" }).state).toBe(emptyBoard);
  });
});
