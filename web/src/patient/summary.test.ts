import { describe, expect, it } from "vitest";
import { conceptText, describeMedication, frequencyText, isCurrent, notesOf } from "./summary";

const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));

describe("prescriptions in words", () => {
  it("says dose, route, frequency, duration, quantity and refills", () => {
    const w = describeMedication({
      resourceType: "MedicationRequest",
      status: "active",
      intent: "order",
      medicationCodeableConcept: { text: "Amoxicillin 500 mg capsule" },
      dosageInstruction: [
        {
          text: "500 mg three times daily",
          route: { coding: [{ system: "http://snomed.info/sct", code: "26643006", display: "Oral route" }], text: "Oral" },
          timing: { repeat: { frequency: 3, period: 1, periodUnit: "d" } },
          doseAndRate: [{ doseQuantity: { value: 1, unit: "capsule" } }],
        },
      ],
      dispenseRequest: {
        quantity: { value: 21, unit: "capsule" },
        expectedSupplyDuration: { value: 7, unit: "days", system: "http://unitsofmeasure.org", code: "d" },
        numberOfRepeatsAllowed: 0,
      },
    });
    expect(w).toEqual({
      name: "Amoxicillin 500 mg capsule",
      directions: "Take 1 capsule by mouth, three times a day, for 7 days.",
      supply: "Quantity: 21 capsules · No refills",
    });
  });

  it("handles intervals, as-needed, other routes and refills", () => {
    const w = describeMedication({
      resourceType: "MedicationRequest",
      medicationCodeableConcept: { coding: [{ display: "Ibuprofen 200 mg tablet" }] },
      dosageInstruction: [
        {
          route: { text: "Sublingual" },
          timing: { repeat: { frequency: 1, period: 8, periodUnit: "h" } },
          asNeededBoolean: true,
          doseAndRate: [{ doseQuantity: { value: 400, unit: "mg" } }],
        },
      ],
      dispenseRequest: { quantity: { value: 30 }, numberOfRepeatsAllowed: 2, expectedSupplyDuration: { value: 1, code: "wk" } },
    });
    expect(w.name).toBe("Ibuprofen 200 mg tablet");
    expect(w.directions).toBe("Take 400 mg sublingual, every 8 hours, as needed, for 1 week.");
    expect(w.supply).toBe("Quantity: 30 · 2 refills");
  });

  it("falls back to the written directions when there is no structured dose", () => {
    const w = describeMedication({
      resourceType: "MedicationRequest",
      medicationCodeableConcept: { text: "Hydrocortisone 1% cream" },
      dosageInstruction: [{ text: "Apply thinly to the rash twice a day" }],
      dispenseRequest: { expectedSupplyDuration: { value: 5, unit: "days" }, numberOfRepeatsAllowed: 1 },
    });
    expect(w.directions).toBe("Apply thinly to the rash twice a day. For 5 days.");
    expect(w.supply).toBe("1 refill");
  });

  it("says frequencies people understand", () => {
    expect(frequencyText({ repeat: { frequency: 1, period: 1, periodUnit: "d" } })).toBe("once a day");
    expect(frequencyText({ repeat: { frequency: 2, period: 1, periodUnit: "d" } })).toBe("twice a day");
    expect(frequencyText({ repeat: { frequency: 2, period: 1, periodUnit: "wk" } })).toBe("twice a week");
    expect(frequencyText({ repeat: { frequency: 1, frequencyMax: 2, period: 1, periodUnit: "d" } })).toBe("1 to 2 times a day");
    expect(frequencyText({ repeat: { frequency: 3, period: 2, periodUnit: "d" } })).toBe("three times every 2 days");
    expect(frequencyText({ code: { coding: [{ code: "BID" }] } })).toBe("twice a day");
    expect(frequencyText({ code: { text: "with meals" } })).toBe("with meals");
    expect(frequencyText(undefined, true)).toBe("as needed");
  });
});

describe("summary records", () => {
  it("reads the note and the instructions from the newest final note", () => {
    const docs = [
      {
        resourceType: "DocumentReference",
        status: "current",
        docStatus: "final",
        meta: { lastUpdated: "2025-03-01T11:00:00Z" },
        content: [
          { attachment: { contentType: "text/plain", data: b64("Viral pharyngitis. Café visit.") } },
          { attachment: { contentType: "text/plain", title: "Instructions for the patient", data: b64("Drink fluids, rest.") } },
        ],
      },
      {
        resourceType: "DocumentReference",
        status: "current",
        docStatus: "final",
        meta: { lastUpdated: "2025-03-01T10:00:00Z" },
        content: [{ attachment: { contentType: "text/plain", data: b64("Old note") } }],
      },
      { resourceType: "DocumentReference", status: "entered-in-error", content: [{ attachment: { data: b64("Wrong") } }] },
    ];
    expect(notesOf(docs)).toEqual({ note: "Viral pharyngitis. Café visit.", instructions: "Drink fluids, rest." });
    expect(notesOf([])).toEqual({ note: "", instructions: "" });
  });

  it("leaves out withdrawn records", () => {
    expect(isCurrent({ resourceType: "Condition", verificationStatus: { coding: [{ code: "entered-in-error" }] } })).toBe(false);
    expect(isCurrent({ resourceType: "Condition", verificationStatus: { coding: [{ code: "confirmed" }] } })).toBe(true);
    expect(isCurrent({ resourceType: "MedicationRequest", status: "cancelled" })).toBe(false);
    expect(isCurrent({ resourceType: "ServiceRequest", status: "active" })).toBe(true);
  });

  it("uses a concept's text, else its display, else its code", () => {
    expect(conceptText({ text: "Strep throat", coding: [{ display: "x" }] })).toBe("Strep throat");
    expect(conceptText({ coding: [{ code: "J02.0" }, { display: "Streptococcal pharyngitis" }] })).toBe("Streptococcal pharyngitis");
    expect(conceptText({ coding: [{ code: "J02.0" }] })).toBe("J02.0");
  });
});
