import { describe, expect, it } from "vitest";
import type { Fhir, Resource, SearchParams } from "../../api/fhir";
import type { Telemed, WaitingEntry } from "../../api/telemed";
import { adHocEncounter, dayRange, isVideoVisit, loadBoard, loadToFinish } from "./data";
import { columns } from "./model";

const VS = "https://extensions.fhir.zapehr.com/encounter-virtual-service-pre-release";

function fakeFhir(handler: (type: string, params: SearchParams) => { matches: Resource[]; included?: Resource[] }) {
  const calls: [string, SearchParams][] = [];
  const f = {
    async searchAll(type: string, params: SearchParams = {}) {
      calls.push([type, params]);
      const r = handler(type, params);
      return { matches: r.matches, included: r.included ?? [] };
    },
  } as unknown as Fhir;
  return { f, calls };
}

function fakeTelemed(entries: WaitingEntry[]) {
  return { allWaiting: async () => ({ entries }) } as unknown as Telemed;
}

const me = { fhirUser: "Practitioner/dr1", seesAll: false };
const mine = [{ individual: { reference: "Practitioner/dr1" } }];

describe("dayRange", () => {
  it("is midnight to midnight in the viewer's zone", () => {
    const now = new Date(2025, 2, 4, 15, 30);
    const r = dayRange(now);
    expect(new Date(r.start).getTime()).toBe(new Date(2025, 2, 4).getTime());
    expect(new Date(r.end).getTime()).toBe(new Date(2025, 2, 5).getTime());
    expect(new Date(dayRange(now, 7).start).getTime()).toBe(new Date(2025, 1, 25).getTime());
  });
});

describe("loadBoard", () => {
  it("asks for today's visits of this practitioner with their patients, and fetches visits people wait for", async () => {
    const { f, calls } = fakeFhir((type, p) => {
      if (p._id === "e9") return { matches: [{ resourceType: "Encounter", id: "e9", status: "planned", class: { code: "VR" }, subject: { reference: "Patient/p9" }, participant: mine }], included: [{ resourceType: "Patient", id: "p9", name: [{ text: "Late Larry" }] }] };
      return {
        matches: [
          { resourceType: "Encounter", id: "e1", status: "planned", extension: [{ url: VS }], subject: { reference: "Patient/p1" }, participant: mine },
          { resourceType: "Encounter", id: "e2", status: "planned", class: { code: "AMB" }, subject: { reference: "Patient/p1" }, participant: mine },
        ],
        included: [{ resourceType: "Patient", id: "p1", name: [{ text: "Jane Doe" }] }],
      };
    });
    const board = await loadBoard(f, fakeTelemed([{ encounterId: "e9", key: "k", name: "Larry", role: "patient", state: "waiting", present: true, arrivedAt: "2025-03-04T10:00:00Z" }]), me, new Date(2025, 2, 4, 12));
    const [type, params] = calls[0];
    expect(type).toBe("Encounter");
    expect(params.participant).toBe("Practitioner/dr1");
    expect(params._include).toBe("Encounter:subject");
    expect(params.date).toEqual([`ge${new Date(2025, 2, 4).toISOString()}`, `lt${new Date(2025, 2, 5).toISOString()}`]);
    expect(calls[1][1]._id).toBe("e9");
    // The in-person (AMB) visit is not a video visit.
    expect(Object.keys(board.visits).sort()).toEqual(["e1", "e9"]);
    expect(columns(board).waiting.map((c) => c.visit.patientName)).toEqual(["Late Larry"]);
  });

  it("staff see every visit (no participant filter)", async () => {
    const { f, calls } = fakeFhir(() => ({ matches: [] }));
    await loadBoard(f, fakeTelemed([]), { fhirUser: "Practitioner/s1", seesAll: true });
    expect(calls[0][1].participant).toBeUndefined();
  });
});

describe("loadToFinish", () => {
  it("lists finished visits of the last week without a final progress note", async () => {
    const fin = (id: string, end: string): Resource => ({ resourceType: "Encounter", id, status: "finished", class: { code: "VR" }, subject: { reference: "Patient/p1" }, period: { start: end, end }, participant: mine });
    const note = (enc: string, docStatus: string): Resource => ({
      resourceType: "DocumentReference",
      status: "current",
      docStatus,
      type: { coding: [{ system: "http://loinc.org", code: "11506-3" }] },
      context: { encounter: [{ reference: `Encounter/${enc}` }] },
    });
    const { f, calls } = fakeFhir((type) => {
      if (type === "Encounter") return { matches: [fin("a", "2025-03-01T10:00:00Z"), fin("b", "2025-03-03T10:00:00Z"), fin("c", "2025-03-02T10:00:00Z")], included: [{ resourceType: "Patient", id: "p1", name: [{ text: "Jane Doe" }] }] };
      return { matches: [note("a", "final"), note("c", "preliminary")] };
    });
    const list = await loadToFinish(f, me, new Date(2025, 2, 4, 12));
    expect(list.map((v) => v.id)).toEqual(["b", "c"]);
    expect(list[0].patientName).toBe("Jane Doe");
    expect(calls[0][1]).toMatchObject({ status: "finished", participant: "Practitioner/dr1", date: `ge${new Date(2025, 1, 25).toISOString()}` });
    expect(calls[1]).toEqual(["DocumentReference", { encounter: "Encounter/a,Encounter/b,Encounter/c", type: "http://loinc.org|11506-3", _count: 200 }]);
  });
});

describe("adHocEncounter", () => {
  it("is a planned virtual visit starting now with me as primary performer", () => {
    const now = new Date("2025-03-04T10:00:00Z");
    const e = adHocEncounter({ resourceType: "Patient", id: "p1", name: [{ text: "Jane Doe" }] }, { reference: "Practitioner/dr1", display: "Dr Lee" }, now);
    expect(e).toEqual({
      resourceType: "Encounter",
      status: "planned",
      class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "VR", display: "virtual" },
      subject: { reference: "Patient/p1", display: "Jane Doe" },
      period: { start: "2025-03-04T10:00:00.000Z" },
      participant: [
        {
          type: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "PPRF", display: "primary performer" }] }],
          individual: { reference: "Practitioner/dr1", display: "Dr Lee" },
        },
      ],
    });
    expect(isVideoVisit(e)).toBe(true);
    expect(adHocEncounter({ resourceType: "Patient", id: "p1" }, { reference: "" }, now).participant).toBeUndefined();
  });
});
