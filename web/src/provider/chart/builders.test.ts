import { describe, expect, it } from "vitest";
import type { Resource } from "../../api/fhir";
import {
  buildCondition,
  buildDocumentReference,
  buildMedicationRequest,
  buildServiceRequest,
  cancelRequest,
  FormError,
  fromBase64,
  INSTRUCTIONS_TITLE,
  isFinalNote,
  isRetracted,
  noteInputFrom,
  prescriptionInputFrom,
  retractCondition,
  sigText,
  toBase64,
  type ChartContext,
  type PrescriptionInput,
} from "./builders";
import { ICD10CM, SNOMED, UCUM } from "./codes";

const NOW = new Date("2025-03-04T10:15:00Z");
const ctx: ChartContext = {
  encounter: "enc-1",
  patient: { reference: "Patient/p1", display: "Jane Doe" },
  me: { reference: "Practitioner/dr1", display: "Dr Ada Lee" },
  now: () => NOW,
};

// R4 rules every resource must keep: no empty or null values anywhere
// (ele-1), references of the form Type/id, codings and quantities with a
// code carry their system (qty-3), dateTimes in the right format.
function r4Problems(res: Resource): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (v === null || v === undefined) out.push(`${path}: null/undefined`);
    else if (typeof v === "string") {
      if (v.trim() === "" && v !== "") out.push(`${path}: whitespace only`);
      if (v === "") out.push(`${path}: empty string`);
    } else if (Array.isArray(v)) {
      if (v.length === 0) out.push(`${path}: empty array`);
      v.forEach((x, i) => walk(x, `${path}[${i}]`));
    } else if (typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (Object.keys(o).length === 0) out.push(`${path}: empty object`);
      if ("reference" in o && !/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(String(o.reference))) out.push(`${path}: bad reference ${o.reference}`);
      // A Coding or Quantity with a code names its system (qty-3).
      if (typeof o.code === "string" && !("system" in o)) out.push(`${path}: code without system`);
      for (const [k, x] of Object.entries(o)) walk(x, path ? `${path}.${k}` : k);
    }
  };
  walk(res, "");
  for (const k of ["recordedDate", "authoredOn", "date"]) {
    if (k in res && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(res[k])) out.push(`${k}: not a dateTime`);
  }
  return out;
}

describe("r4Problems (the checker itself)", () => {
  it("finds empty values, bad references, codes without system, bad dates", () => {
    const bad = {
      resourceType: "Condition",
      note: [],
      code: { text: "" },
      subject: { reference: "Jane" },
      x: { value: 1, code: "mg" },
      y: null,
      z: {},
      recordedDate: "yesterday",
    } as unknown as Resource;
    expect(r4Problems(bad)).toEqual([
      "note: empty array",
      "code.text: empty string",
      "subject: bad reference Jane",
      "x: code without system",
      "y: null/undefined",
      "z: empty object",
      "recordedDate: not a dateTime",
    ]);
  });
});

describe("buildCondition", () => {
  it("writes an encounter diagnosis with an ICD-10-CM code", () => {
    const c = buildCondition(ctx, { text: "Acute upper respiratory infection", code: "j069" });
    expect(c).toEqual({
      resourceType: "Condition",
      clinicalStatus: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-clinical", code: "active" }] },
      verificationStatus: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-ver-status", code: "confirmed" }] },
      category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-category", code: "encounter-diagnosis", display: "Encounter Diagnosis" }] }],
      code: { coding: [{ system: ICD10CM, code: "J06.9" }], text: "Acute upper respiratory infection" },
      subject: { reference: "Patient/p1", display: "Jane Doe" },
      encounter: { reference: "Encounter/enc-1" },
      recordedDate: "2025-03-04T10:15:00.000Z",
      recorder: { reference: "Practitioner/dr1", display: "Dr Ada Lee" },
    });
    expect(r4Problems(c)).toEqual([]);
  });

  it("uses SNOMED CT for numbers, text only without a code", () => {
    expect(buildCondition(ctx, { text: "Hypertension", code: "38341003" }).code).toEqual({ coding: [{ system: SNOMED, code: "38341003" }], text: "Hypertension" });
    const plain = buildCondition(ctx, { text: " Sore throat ", code: "" });
    expect(plain.code).toEqual({ text: "Sore throat" });
    expect(r4Problems(plain)).toEqual([]);
  });

  it("leaves out the recorder when the user has no clinical profile", () => {
    const c = buildCondition({ ...ctx, me: { reference: "Person/9" } }, { text: "Cough", code: "" });
    expect(c.recorder).toBeUndefined();
    expect(buildCondition({ ...ctx, me: undefined }, { text: "Cough", code: "" }).recorder).toBeUndefined();
  });

  it("rejects a missing diagnosis and a malformed code, naming the field", () => {
    expect(() => buildCondition(ctx, { text: "  ", code: "" })).toThrow(FormError);
    try {
      buildCondition(ctx, { text: "Flu", code: "flu" });
      expect.unreachable();
    } catch (e) {
      expect((e as FormError).field).toBe("code");
    }
  });

  it("keeps id, meta and the first recorded date when editing", () => {
    const base = { ...buildCondition(ctx, { text: "Flu", code: "" }), id: "c1", meta: { versionId: "2" }, recordedDate: "2025-03-04T09:00:00Z" };
    const edited = buildCondition({ ...ctx, now: () => new Date("2025-03-04T11:00:00Z") }, { text: "Influenza", code: "J11.1" }, base);
    expect(edited.id).toBe("c1");
    expect(edited.meta).toEqual({ versionId: "2" });
    expect(edited.recordedDate).toBe("2025-03-04T09:00:00Z");
    expect(edited.code.coding[0].code).toBe("J11.1");
  });

  it("retracts as entered-in-error without a clinical status (con-5)", () => {
    const r = retractCondition({ ...buildCondition(ctx, { text: "Flu", code: "" }), id: "c1" });
    expect(r.verificationStatus.coding[0].code).toBe("entered-in-error");
    expect("clinicalStatus" in r).toBe(false);
    expect(isRetracted(r)).toBe(true);
    expect(r4Problems(r)).toEqual([]);
  });
});

const rx: PrescriptionInput = {
  medication: "Amoxicillin 500 mg capsule",
  dose: "500 mg",
  route: "By mouth",
  frequency: "Three times a day",
  durationDays: "7",
  quantity: "21",
  refills: "0",
};

describe("buildMedicationRequest", () => {
  it("writes dose, route, timing, duration, quantity and refills", () => {
    const m = buildMedicationRequest(ctx, rx);
    expect(m).toEqual({
      resourceType: "MedicationRequest",
      status: "active",
      intent: "order",
      medicationCodeableConcept: { text: "Amoxicillin 500 mg capsule" },
      subject: { reference: "Patient/p1", display: "Jane Doe" },
      encounter: { reference: "Encounter/enc-1" },
      authoredOn: "2025-03-04T10:15:00.000Z",
      requester: { reference: "Practitioner/dr1", display: "Dr Ada Lee" },
      dosageInstruction: [
        {
          text: "500 mg By mouth Three times a day for 7 days",
          route: { coding: [{ system: SNOMED, code: "26643006", display: "Oral route" }], text: "By mouth" },
          timing: {
            repeat: { frequency: 3, period: 1, periodUnit: "d", boundsDuration: { value: 7, unit: "days", system: UCUM, code: "d" } },
            code: { text: "Three times a day" },
          },
          doseAndRate: [{ doseQuantity: { value: 500, unit: "mg", system: UCUM, code: "mg" } }],
        },
      ],
      dispenseRequest: {
        quantity: { value: 21 },
        expectedSupplyDuration: { value: 7, unit: "days", system: UCUM, code: "d" },
        numberOfRepeatsAllowed: 0,
      },
    });
    expect(r4Problems(m)).toEqual([]);
  });

  it("keeps unrecognised route and frequency as text, ranges and as-needed structured", () => {
    const m = buildMedicationRequest(ctx, { ...rx, dose: "1-2 puffs", route: "via spacer", frequency: "every 4 hours as needed", durationDays: "", quantity: "", refills: "" });
    const d = m.dosageInstruction[0];
    expect(d.route).toEqual({ text: "via spacer" });
    expect(d.timing).toEqual({ repeat: { frequency: 1, period: 4, periodUnit: "h" }, code: { text: "every 4 hours as needed" } });
    expect(d.asNeededBoolean).toBe(true);
    expect(d.doseAndRate).toEqual([{ doseRange: { low: { value: 1, unit: "puffs" }, high: { value: 2, unit: "puffs" } } }]);
    expect(m.dispenseRequest).toBeUndefined();
    expect(r4Problems(m)).toEqual([]);

    const free = buildMedicationRequest(ctx, { ...rx, frequency: "with meals", durationDays: "" });
    expect(free.dosageInstruction[0].timing).toEqual({ code: { text: "with meals" } });
    expect(r4Problems(free)).toEqual([]);
  });

  it("needs only the medication", () => {
    const m = buildMedicationRequest(ctx, { medication: "Ibuprofen", dose: "", route: "", frequency: "", durationDays: "", quantity: "", refills: "" });
    expect(m.dosageInstruction).toBeUndefined();
    expect(m.dispenseRequest).toBeUndefined();
    expect(r4Problems(m)).toEqual([]);
  });

  it.each([
    [{ medication: "" }, "medication"],
    [{ dose: "a few" }, "dose"],
    [{ durationDays: "0" }, "durationDays"],
    [{ durationDays: "1.5" }, "durationDays"],
    [{ quantity: "-3" }, "quantity"],
    [{ refills: "two" }, "refills"],
  ] as [Partial<PrescriptionInput>, string][])("rejects %o in field %s", (patch, field) => {
    try {
      buildMedicationRequest(ctx, { ...rx, ...patch });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FormError);
      expect((e as FormError).field).toBe(field);
    }
  });

  it("round-trips through the edit form and clears removed parts", () => {
    const m = { ...buildMedicationRequest(ctx, rx), id: "m1" };
    expect(prescriptionInputFrom(m)).toEqual(rx);
    const edited = buildMedicationRequest(ctx, { ...prescriptionInputFrom(m), quantity: "", refills: "", durationDays: "" }, m);
    expect(edited.id).toBe("m1");
    expect(edited.dispenseRequest).toBeUndefined();
    expect(edited.dosageInstruction[0].timing.repeat.boundsDuration).toBeUndefined();
  });

  it("writes a plain sig sentence", () => {
    expect(sigText({ dose: "1 tablet", route: "", frequency: "once a day", durationDays: "1" })).toBe("1 tablet once a day for 1 day");
    expect(sigText({ dose: "", route: "", frequency: "", durationDays: "" })).toBe("");
  });

  it("cancels", () => {
    const c = cancelRequest({ ...buildMedicationRequest(ctx, rx), id: "m1" });
    expect(c.status).toBe("cancelled");
    expect(isRetracted(c)).toBe(true);
  });
});

describe("buildServiceRequest", () => {
  it("writes an active order", () => {
    const s = buildServiceRequest(ctx, { text: " Complete blood count (CBC) " });
    expect(s).toEqual({
      resourceType: "ServiceRequest",
      status: "active",
      intent: "order",
      code: { text: "Complete blood count (CBC)" },
      subject: { reference: "Patient/p1", display: "Jane Doe" },
      encounter: { reference: "Encounter/enc-1" },
      authoredOn: "2025-03-04T10:15:00.000Z",
      requester: { reference: "Practitioner/dr1", display: "Dr Ada Lee" },
    });
    expect(r4Problems(s)).toEqual([]);
    expect(() => buildServiceRequest(ctx, { text: "" })).toThrow(FormError);
  });
});

describe("buildDocumentReference", () => {
  const note = { note: "Sore throat for 2 days. No fever. Café — ok ✓", instructions: "Drink fluids.\nCall us if the fever rises above 39 °C." };

  it("writes a final progress note with the instructions as a second attachment", () => {
    const d = buildDocumentReference(ctx, note, true);
    expect(d.resourceType).toBe("DocumentReference");
    expect(d.status).toBe("current");
    expect(d.docStatus).toBe("final");
    expect(d.type).toEqual({ coding: [{ system: "http://loinc.org", code: "11506-3", display: "Progress note" }], text: "Progress note" });
    expect(d.subject).toEqual({ reference: "Patient/p1", display: "Jane Doe" });
    expect(d.context).toEqual({ encounter: [{ reference: "Encounter/enc-1" }] });
    expect(d.author).toEqual([{ reference: "Practitioner/dr1", display: "Dr Ada Lee" }]);
    expect(d.date).toBe("2025-03-04T10:15:00.000Z");
    expect(d.content).toHaveLength(2);
    expect(d.content[0].attachment.contentType).toBe("text/plain");
    expect(fromBase64(d.content[0].attachment.data)).toBe(note.note);
    expect(d.content[1].attachment.title).toBe(INSTRUCTIONS_TITLE);
    expect(fromBase64(d.content[1].attachment.data)).toBe(note.instructions);
    expect(d.content[0].attachment.data).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(r4Problems(d)).toEqual([]);
    expect(noteInputFrom(d)).toEqual(note);
    expect(isFinalNote(d)).toBe(true);
  });

  it("drafts are preliminary; a final note saved again is amended; empty parts are left out", () => {
    const draft = buildDocumentReference(ctx, { note: "Started", instructions: "" }, false);
    expect(draft.docStatus).toBe("preliminary");
    expect(draft.content).toHaveLength(1);
    expect(isFinalNote(draft)).toBe(false);
    const final = buildDocumentReference(ctx, { note: "Done", instructions: "" }, true, { ...draft, id: "d1" });
    expect(final.docStatus).toBe("final");
    expect(final.id).toBe("d1");
    const amended = buildDocumentReference(ctx, { note: "Done, addendum", instructions: "" }, true, final);
    expect(amended.docStatus).toBe("amended");
    expect(isFinalNote(amended)).toBe(true);
    const onlyInstructions = buildDocumentReference(ctx, { note: "", instructions: "Rest" }, true);
    expect(onlyInstructions.content).toHaveLength(1);
    expect(onlyInstructions.content[0].attachment.title).toBe(INSTRUCTIONS_TITLE);
    expect(r4Problems(onlyInstructions)).toEqual([]);
    expect(() => buildDocumentReference(ctx, { note: " ", instructions: "" }, true)).toThrow(FormError);
  });

  it("base64 round-trips any UTF-8", () => {
    for (const s of ["", "plain", "Ünïcödé — 東京 🩺"]) expect(fromBase64(toBase64(s))).toBe(s);
    expect(fromBase64("%%%")).toBe("");
  });
});
