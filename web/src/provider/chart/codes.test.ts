import { describe, expect, it } from "vitest";
import { diagnosisCoding, ICD10CM, isICD10, normalizeICD10, parseDose, parseFrequency, routeCoding, SNOMED } from "./codes";

describe("ICD-10-CM detection", () => {
  const yes = ["J06.9", "j06.9", "J069", "E11", "E11.9", "S52.501A", "M1A.0110", "C4A.9", "Z3A.20", "U07.1", " i10 ", "T36.0X1A"];
  const no = ["", "J0", "106.9", "JJ6.9", "J06.98765", "J06..9", "diabetes", "38341003", "J06-9", "E11.9.1"];
  it.each(yes)("%s is ICD-10-CM", (s) => expect(isICD10(s)).toBe(true));
  it.each(no)("%s is not ICD-10-CM", (s) => expect(isICD10(s)).toBe(false));
  it("normalises case and the dot", () => {
    expect(normalizeICD10("j069")).toBe("J06.9");
    expect(normalizeICD10("s52501a")).toBe("S52.501A");
    expect(normalizeICD10("e11")).toBe("E11");
    expect(normalizeICD10(" I10 ")).toBe("I10");
  });
});

describe("diagnosisCoding", () => {
  it("codes ICD-10-CM, SNOMED CT numbers, and nothing for empty input", () => {
    expect(diagnosisCoding("j06.9")).toEqual({ coding: { system: ICD10CM, code: "J06.9" } });
    expect(diagnosisCoding("38341003")).toEqual({ coding: { system: SNOMED, code: "38341003" } });
    expect(diagnosisCoding(" 54150009 ")).toEqual({ coding: { system: SNOMED, code: "54150009" } });
    expect(diagnosisCoding("")).toEqual({});
    expect(diagnosisCoding("   ")).toEqual({});
  });
  it("explains what is wrong with other input", () => {
    expect(diagnosisCoding("12345").error).toMatch(/6 to 18 digits/);
    expect(diagnosisCoding("1234567890123456789").error).toMatch(/6 to 18 digits/);
    expect(diagnosisCoding("flu").error).toMatch(/ICD-10-CM code/);
  });
});

describe("routeCoding", () => {
  it("recognises common words and abbreviations", () => {
    expect(routeCoding("by mouth")).toEqual({ system: SNOMED, code: "26643006", display: "Oral route" });
    expect(routeCoding("PO")?.code).toBe("26643006");
    expect(routeCoding("Oral")?.code).toBe("26643006");
    expect(routeCoding("inhaled")?.code).toBe("447694001");
    expect(routeCoding("IM")?.code).toBe("78421000");
    expect(routeCoding("Under the skin (injection)")?.code).toBe("34206005");
    expect(routeCoding("through a feeding tube")).toBeUndefined();
    expect(routeCoding("")).toBeUndefined();
  });
});

describe("parseFrequency", () => {
  const cases: [string, ReturnType<typeof parseFrequency>][] = [
    ["Twice a day", { frequency: 2, period: 1, periodUnit: "d" }],
    ["BID", { frequency: 2, period: 1, periodUnit: "d" }],
    ["b.i.d.", { frequency: 2, period: 1, periodUnit: "d" }],
    ["once daily", { frequency: 1, period: 1, periodUnit: "d" }],
    ["daily", { frequency: 1, period: 1, periodUnit: "d" }],
    ["3 times daily", { frequency: 3, period: 1, periodUnit: "d" }],
    ["three times a day", { frequency: 3, period: 1, periodUnit: "d" }],
    ["4x/day", { frequency: 4, period: 1, periodUnit: "d" }],
    ["qid", { frequency: 4, period: 1, periodUnit: "d" }],
    ["every 8 hours", { frequency: 1, period: 8, periodUnit: "h" }],
    ["q6h", { frequency: 1, period: 6, periodUnit: "h" }],
    ["every other day", { frequency: 1, period: 2, periodUnit: "d" }],
    ["once a week", { frequency: 1, period: 1, periodUnit: "wk" }],
    ["weekly", { frequency: 1, period: 1, periodUnit: "wk" }],
    ["at bedtime", { frequency: 1, period: 1, periodUnit: "d", when: ["HS"] }],
    ["as needed", { asNeeded: true }],
    ["PRN", { asNeeded: true }],
    ["every 6 hours as needed", { frequency: 1, period: 6, periodUnit: "h", asNeeded: true }],
    ["twice a day, as needed", { frequency: 2, period: 1, periodUnit: "d", asNeeded: true }],
    ["with meals", null],
    ["", null],
  ];
  it.each(cases)("%s", (s, want) => expect(parseFrequency(s)).toEqual(want));
});

describe("parseDose", () => {
  it("reads amounts, units and ranges", () => {
    expect(parseDose("500 mg")).toEqual({ value: 500, unit: "mg", code: "mg" });
    expect(parseDose("500mg")).toEqual({ value: 500, unit: "mg", code: "mg" });
    expect(parseDose("2.5 mL")).toEqual({ value: 2.5, unit: "mL", code: "mL" });
    expect(parseDose("0,5 g")).toEqual({ value: 0.5, unit: "g", code: "g" });
    expect(parseDose("100 mcg")).toEqual({ value: 100, unit: "mcg", code: "ug" });
    expect(parseDose("1 tablet")).toEqual({ value: 1, unit: "tablet" });
    expect(parseDose("1-2 puffs")).toEqual({ low: 1, high: 2, unit: "puffs" });
    expect(parseDose("1 to 2 tablets")).toEqual({ low: 1, high: 2, unit: "tablets" });
    expect(parseDose("two tablets")).toBeNull();
    expect(parseDose("")).toBeNull();
  });
});
