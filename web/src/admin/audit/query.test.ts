import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditQuery, dayEnd, dayStart, emptyAuditFilter, filterFromSearch, filterToSearch, patientRef, validateAuditFilter, type AuditFilter } from "./query";

const savedTZ = process.env.TZ;
beforeAll(() => {
  process.env.TZ = "America/New_York";
});
afterAll(() => {
  process.env.TZ = savedTZ;
});

const f = (patch: Partial<AuditFilter>): AuditFilter => ({ ...emptyAuditFilter, ...patch });

describe("auditQuery", () => {
  it.each<[string, Partial<AuditFilter>, string]>([
    ["no filter: newest first, one page", {}, "?_sort=-date&_count=50"],
    ["user by e-mail → agent-name", { user: " alice@clinic.org " }, "?_sort=-date&_count=50&agent-name=alice%40clinic.org"],
    ["user by reference → agent", { user: "Practitioner/12" }, "?_sort=-date&_count=50&agent=Practitioner%2F12"],
    ["patient id → Patient reference", { patient: "7" }, "?_sort=-date&_count=50&patient=Patient%2F7"],
    ["patient reference kept", { patient: "Patient/abc-1" }, "?_sort=-date&_count=50&patient=Patient%2Fabc-1"],
    ["action", { action: "D" }, "?_sort=-date&_count=50&action=D"],
    ["outcome", { outcome: "4" }, "?_sort=-date&_count=50&outcome=4"],
    // Summer: UTC-4; the whole local day, both ends inclusive.
    [
      "date range in the viewer's zone",
      { from: "2024-07-01", to: "2024-07-02" },
      "?_sort=-date&_count=50&date=ge2024-07-01T00%3A00%3A00-04%3A00&date=le2024-07-02T23%3A59%3A59-04%3A00",
    ],
    // Winter: UTC-5.
    ["from only, winter offset", { from: "2024-01-15" }, "?_sort=-date&_count=50&date=ge2024-01-15T00%3A00%3A00-05%3A00"],
    [
      "everything together",
      { user: "bob@x.org", patient: "Patient/9", action: "R", from: "2024-03-10", to: "2024-03-10", outcome: "0" },
      // 10 March 2024 is the spring-forward day: midnight is still -05:00, the evening -04:00.
      "?_sort=-date&_count=50&agent-name=bob%40x.org&patient=Patient%2F9&action=R&date=ge2024-03-10T00%3A00%3A00-05%3A00&date=le2024-03-10T23%3A59%3A59-04%3A00&outcome=0",
    ],
  ])("%s", (_, patch, want) => {
    expect(auditQuery(f(patch))).toBe(want);
  });

  it("decodes back to the FHIR parameters the server reads", () => {
    const q = new URLSearchParams(auditQuery(f({ user: "a+b@x.org", from: "2024-07-01" })).slice(1));
    expect(q.get("agent-name")).toBe("a+b@x.org");
    expect(q.getAll("date")).toEqual(["ge2024-07-01T00:00:00-04:00"]);
  });
});

describe("day bounds", () => {
  it("uses the offset of each day", () => {
    expect(dayStart("2024-11-03")).toBe("2024-11-03T00:00:00-04:00");
    expect(dayEnd("2024-11-03")).toBe("2024-11-03T23:59:59-05:00");
  });
  it("follows the viewer's zone", () => {
    process.env.TZ = "Asia/Kolkata";
    try {
      expect(dayStart("2024-07-01")).toBe("2024-07-01T00:00:00+05:30");
    } finally {
      process.env.TZ = "America/New_York";
    }
  });
});

describe("validateAuditFilter", () => {
  it.each<[Partial<AuditFilter>, Record<string, string>]>([
    [{}, {}],
    [{ patient: "Jane Doe" }, { patient: "Choose a patient from the list, or type an id such as Patient/123." }],
    [{ patient: "Practitioner/1" }, { patient: "Choose a patient from the list, or type an id such as Patient/123." }],
    [{ from: "2024-02-30" }, { from: "Enter a date." }],
    [{ from: "2024-05-02", to: "2024-05-01" }, { to: "“To” must be on or after “From”." }],
    [{ from: "2024-05-01", to: "2024-05-01" }, {}],
  ])("%j", (patch, want) => {
    expect(validateAuditFilter(f(patch))).toEqual(want);
  });
});

describe("filter in the address", () => {
  it("round-trips and drops unknown codes", () => {
    const x = f({ user: "a@b.org", patient: "Patient/1", action: "U", from: "2024-01-01", outcome: "8" });
    expect(filterFromSearch(new URLSearchParams(filterToSearch(x).slice(1)))).toEqual(x);
    expect(filterToSearch(emptyAuditFilter)).toBe("");
    expect(filterFromSearch(new URLSearchParams("action=X&outcome=5"))).toEqual(emptyAuditFilter);
  });
  it("patientRef", () => {
    expect(patientRef("12")).toBe("Patient/12");
    expect(patientRef("Patient/12")).toBe("Patient/12");
    expect(patientRef("a b")).toBe("");
  });
});
