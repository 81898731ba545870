import { describe, expect, it } from "vitest";
import { describeAuditEvent } from "./describe";

// Shaped like internal/audit/event.go's Event.Resource output.
const search = {
  resourceType: "AuditEvent",
  id: "ae1",
  type: { system: "http://terminology.hl7.org/CodeSystem/audit-event-type", code: "rest", display: "RESTful Operation" },
  subtype: [{ system: "http://hl7.org/fhir/restful-interaction", code: "search-type", display: "search-type" }],
  action: "E",
  recorded: "2024-07-01T14:03:05.123456Z",
  outcome: "0",
  agent: [
    {
      requestor: true,
      who: { reference: "Practitioner/12" },
      altId: "u-1",
      name: "dr.lee@clinic.org",
      role: [{ coding: [{ system: "https://housecall.dev/fhir/CodeSystem/user-role", code: "practitioner" }] }],
      network: { address: "203.0.113.9", type: "2" },
    },
    {
      type: { coding: [{ system: "http://dicom.nema.org/resources/ontology/DCM", code: "110150", display: "Application" }] },
      who: { identifier: { system: "https://housecall.dev/fhir/NamingSystem/oauth-client", value: "housecall-web" } },
      requestor: false,
    },
  ],
  source: { observer: { display: "Housecall" } },
  entity: [
    { what: { reference: "Observation/5" }, type: { code: "Observation" }, role: { code: "4" } },
    { type: { system: "http://hl7.org/fhir/resource-types", code: "Observation" }, role: { code: "24" }, query: btoa("code=1234-5&patient=Patient/7") },
    { what: { reference: "Patient/7" }, type: { code: "Patient" }, role: { code: "1" } },
  ],
};

describe("describeAuditEvent", () => {
  it("reads who, what, patient, outcome and source IP", () => {
    expect(describeAuditEvent(search)).toEqual({
      id: "ae1",
      recorded: "2024-07-01T14:03:05.123456Z",
      who: "dr.lee@clinic.org",
      whoDetail: "Practitioner · Practitioner/12 · via housecall-web",
      action: "Execute",
      event: "Search",
      what: ["Observation/5", "Observation?code=1234-5&patient=Patient/7"],
      patients: ["Patient/7"],
      outcome: "Success",
      outcomeDesc: "",
      failed: false,
      ip: "203.0.113.9",
    });
  });

  it("names a machine client when no person acted, and shows failures", () => {
    const row = describeAuditEvent({
      resourceType: "AuditEvent",
      id: "ae2",
      subtype: [{ code: "110122", display: "Login" }],
      action: "E",
      recorded: "2024-07-01T15:00:00Z",
      outcome: "4",
      outcomeDesc: "wrong password",
      agent: [
        {
          type: { coding: [{ code: "110150" }] },
          who: { identifier: { value: "lab-sync" } },
          requestor: true,
          network: { address: "10.0.0.4", type: "2" },
        },
      ],
    });
    expect(row.who).toBe("lab-sync");
    expect(row.event).toBe("Login");
    expect(row.outcome).toBe("Refused or failed");
    expect(row.failed).toBe(true);
    expect(row.outcomeDesc).toBe("wrong password");
    expect(row.ip).toBe("10.0.0.4");
    expect(row.patients).toEqual([]);
  });

  it("names an administrator's action by its request line", () => {
    const row = describeAuditEvent({
      resourceType: "AuditEvent",
      subtype: [{ code: "operation", display: "operation" }],
      action: "C",
      recorded: "2024-07-01T15:00:00Z",
      outcome: "0",
      outcomeDesc: "admin: create user u9",
      agent: [{ requestor: true, name: "admin@clinic.org", role: [{ coding: [{ code: "admin" }] }] }],
      entity: [
        { type: { system: "http://terminology.hl7.org/CodeSystem/audit-entity-type", code: "2" }, role: { code: "13" }, query: btoa("POST /v1/admin/users") },
        { what: { reference: "Practitioner/31" }, role: { code: "6" } },
      ],
    });
    expect(row.what).toEqual(["POST /v1/admin/users", "Practitioner/31"]);
    expect(row.whoDetail).toBe("Administrator");
    expect(row.event).toBe("Operation");
    expect(row.action).toBe("Create");
  });
});
