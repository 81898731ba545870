import { describe, expect, it, vi } from "vitest";
import type { Fhir } from "../api/fhir";
import { ApiError } from "../api/http";
import { buildConsent, CONSENT_POLICY, intakeProgress, reasonPatch } from "./intake";

describe("consent", () => {
  it("has the contract's shape and names the visit", () => {
    const c = buildConsent("p1", "e7", new Date("2025-03-01T10:00:00Z"));
    expect(c).toEqual({
      resourceType: "Consent",
      status: "active",
      scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "treatment", display: "Treatment" }] },
      category: [{ coding: [{ system: "http://loinc.org", code: "59284-0", display: "Patient Consent" }] }],
      patient: { reference: "Patient/p1" },
      dateTime: "2025-03-01T10:00:00.000Z",
      performer: [{ reference: "Patient/p1" }],
      policy: [{ uri: "https://housecall.dev/policy/telehealth-consent" }],
      provision: { type: "permit", data: [{ meaning: "related", reference: { reference: "Encounter/e7" } }] },
    });
  });
});

describe("reason for the visit", () => {
  it("creates reasonCode or appends to the clinic's", () => {
    expect(reasonPatch({ resourceType: "Encounter" }, " Cough ")).toEqual([{ op: "add", path: "/reasonCode", value: [{ text: "Cough" }] }]);
    expect(reasonPatch({ resourceType: "Encounter", reasonCode: [{ text: "Follow-up" }] }, "Cough")).toEqual([
      { op: "add", path: "/reasonCode/-", value: { text: "Cough" } },
    ]);
    expect(reasonPatch({ resourceType: "Encounter", reasonCode: [{ text: "Cough" }] }, "Cough")).toEqual([]);
  });
});

describe("intake progress", () => {
  it("finds this visit's response and consent", async () => {
    const search = vi.fn(async (type: string) => {
      if (type === "QuestionnaireResponse") return { resourceType: "Bundle", entry: [{ resource: { resourceType: "QuestionnaireResponse", status: "completed" } }] };
      return {
        resourceType: "Bundle",
        entry: [
          // Another visit's consent, and a withdrawn one, do not count.
          { resource: { resourceType: "Consent", status: "active", policy: [{ uri: CONSENT_POLICY }], provision: { data: [{ reference: { reference: "Encounter/other" } }] } } },
          { resource: { resourceType: "Consent", status: "inactive", policy: [{ uri: CONSENT_POLICY }], provision: { data: [{ reference: { reference: "Encounter/e7" } }] } } },
        ],
      };
    });
    const fhir = { search } as unknown as Fhir;
    expect(await intakeProgress(fhir, "e7", "p1")).toEqual({ answered: true, consented: false });
    expect(search).toHaveBeenCalledWith("QuestionnaireResponse", { encounter: "Encounter/e7", _count: 20 });
    expect(search).toHaveBeenCalledWith("Consent", { patient: "Patient/p1", data: "Encounter/e7", _count: 20 });

    search.mockImplementation(async (type: string) => ({
      resourceType: "Bundle",
      entry:
        type === "Consent"
          ? [{ resource: { resourceType: "Consent", status: "active", policy: [{ uri: CONSENT_POLICY }], provision: { data: [{ reference: { reference: "Encounter/e7" } }] } } }]
          : [],
    }));
    expect(await intakeProgress(fhir, "e7", "p1")).toEqual({ answered: false, consented: true });
  });

  it("filters the patient's consents itself when the server can't search by data", async () => {
    const search = vi.fn(async (type: string, params: Record<string, unknown>) => {
      if (type === "Consent" && params.data) throw new ApiError(400, "unknown search parameter");
      if (type === "Consent")
        return { resourceType: "Bundle", entry: [{ resource: { resourceType: "Consent", status: "active", policy: [{ uri: CONSENT_POLICY }], provision: { data: [{ reference: { reference: "Encounter/e7" } }] } } }] };
      return { resourceType: "Bundle" };
    });
    expect(await intakeProgress({ search } as unknown as Fhir, "e7", "p1")).toEqual({ answered: false, consented: true });
    expect(search).toHaveBeenCalledWith("Consent", { patient: "Patient/p1", _count: 100 });
  });
});
