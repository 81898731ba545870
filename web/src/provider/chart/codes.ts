// Reading what a provider types into the chart forms: diagnosis codes
// (ICD-10-CM or SNOMED CT), routes, frequencies and doses. Free text stays
// free text; only what is recognised gets coded.

export const ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm";
export const SNOMED = "http://snomed.info/sct";
export const UCUM = "http://unitsofmeasure.org";

export interface Coding {
  system: string;
  code: string;
  display?: string;
}

// An ICD-10-CM code: a letter, a digit, a digit or letter (C4A, M1A), then
// up to four characters after the dot (placeholder X, 7th characters A/D/S).
const ICD10_RE = /^([A-Z]\d[0-9A-Z])\.?([0-9A-Z]{1,4})?$/;

/** True when s looks like an ICD-10-CM code ("J06.9", "j069", "S52.501A", "E11"). */
export function isICD10(s: string): boolean {
  return ICD10_RE.test(s.trim().toUpperCase());
}

/** An ICD-10-CM code in its usual form: upper case with the dot after the third character. */
export function normalizeICD10(s: string): string {
  const m = ICD10_RE.exec(s.trim().toUpperCase());
  if (!m) return s.trim();
  return m[2] ? `${m[1]}.${m[2]}` : m[1];
}

export type CodeResult = { coding?: Coding; error?: string };

/**
 * Turns the optional "Code" field into a Coding: ICD-10-CM when it looks
 * like one, SNOMED CT when it is a number (a concept id has 6 to 18
 * digits). Empty input gives no coding and no error.
 */
export function diagnosisCoding(input: string): CodeResult {
  const s = input.trim().replace(/\s+/g, "");
  if (!s) return {};
  if (isICD10(s)) return { coding: { system: ICD10CM, code: normalizeICD10(s) } };
  if (/^\d+$/.test(s)) {
    if (s.length < 6 || s.length > 18) return { error: "A SNOMED CT code has 6 to 18 digits. Check the number, or leave the code empty." };
    return { coding: { system: SNOMED, code: s } };
  }
  return { error: "Enter an ICD-10-CM code (for example J06.9) or a SNOMED CT number, or leave the code empty." };
}

/** Routes of administration (SNOMED CT) with the words people type for them. */
export const ROUTES: { code: string; display: string; label: string; words: string[] }[] = [
  { code: "26643006", display: "Oral route", label: "By mouth", words: ["oral", "by mouth", "po", "p.o.", "orally", "mouth"] },
  { code: "37839007", display: "Sublingual route", label: "Under the tongue", words: ["sublingual", "under the tongue", "sl"] },
  { code: "6064005", display: "Topical route", label: "On the skin", words: ["topical", "topically", "on the skin", "skin"] },
  { code: "45890007", display: "Transdermal route", label: "Skin patch", words: ["transdermal", "patch", "skin patch"] },
  { code: "447694001", display: "Respiratory tract route", label: "Inhaled", words: ["inhaled", "inhalation", "inhale", "inh"] },
  { code: "46713006", display: "Nasal route", label: "In the nose", words: ["nasal", "intranasal", "in the nose", "nose"] },
  { code: "54485002", display: "Ophthalmic route", label: "In the eye", words: ["ophthalmic", "eye", "in the eye", "eyes"] },
  { code: "10547007", display: "Otic route", label: "In the ear", words: ["otic", "ear", "in the ear", "ears"] },
  { code: "34206005", display: "Subcutaneous route", label: "Under the skin (injection)", words: ["subcutaneous", "subcut", "sc", "sq", "subq", "under the skin"] },
  { code: "78421000", display: "Intramuscular route", label: "Into a muscle (injection)", words: ["intramuscular", "im", "into a muscle"] },
  { code: "47625008", display: "Intravenous route", label: "Into a vein", words: ["intravenous", "iv", "into a vein"] },
  { code: "37161004", display: "Rectal route", label: "Rectal", words: ["rectal", "rectally", "pr"] },
  { code: "16857009", display: "Vaginal route", label: "Vaginal", words: ["vaginal", "vaginally", "pv"] },
];

/** The SNOMED CT route for what was typed, if recognised. */
export function routeCoding(input: string): Coding | undefined {
  const s = input.trim().toLowerCase();
  if (!s) return undefined;
  const r = ROUTES.find((x) => x.label.toLowerCase() === s || x.display.toLowerCase() === s || x.words.includes(s));
  return r ? { system: SNOMED, code: r.code, display: r.display } : undefined;
}

export interface Frequency {
  frequency?: number;
  period?: number;
  periodUnit?: "h" | "d" | "wk";
  when?: string[];
  asNeeded?: boolean;
}

const NUMBER_WORDS: Record<string, number> = {
  once: 1, one: 1, twice: 2, two: 2, three: 3, thrice: 3, four: 4, five: 5, six: 6, eight: 8, twelve: 12,
};

function num(s: string): number {
  return NUMBER_WORDS[s] ?? Number(s);
}

/**
 * Understands common ways of writing how often: "twice a day", "BID",
 * "3 times daily", "every 8 hours", "q6h", "at bedtime", "weekly",
 * "as needed" (alone or after another frequency). Returns null when the
 * text is not understood (it is then kept as text only).
 */
export function parseFrequency(input: string): Frequency | null {
  let s = input.trim().toLowerCase().replace(/\./g, "").replace(/\s+/g, " ");
  if (!s) return null;
  const out: Frequency = {};
  const prn = /(?:^|[ ,])(?:as needed|when needed|if needed|prn)$/;
  if (prn.test(s) || s === "as needed" || s === "prn") {
    out.asNeeded = true;
    s = s.replace(prn, "").replace(/^(as needed|prn)$/, "").replace(/[ ,]+$/, "");
    if (!s) return out;
  }
  const abbrev: Record<string, Frequency> = {
    qd: { frequency: 1, period: 1, periodUnit: "d" },
    od: { frequency: 1, period: 1, periodUnit: "d" },
    daily: { frequency: 1, period: 1, periodUnit: "d" },
    "every day": { frequency: 1, period: 1, periodUnit: "d" },
    bid: { frequency: 2, period: 1, periodUnit: "d" },
    tid: { frequency: 3, period: 1, periodUnit: "d" },
    qid: { frequency: 4, period: 1, periodUnit: "d" },
    weekly: { frequency: 1, period: 1, periodUnit: "wk" },
    "every week": { frequency: 1, period: 1, periodUnit: "wk" },
    "at bedtime": { frequency: 1, period: 1, periodUnit: "d", when: ["HS"] },
    bedtime: { frequency: 1, period: 1, periodUnit: "d", when: ["HS"] },
    qhs: { frequency: 1, period: 1, periodUnit: "d", when: ["HS"] },
    "every morning": { frequency: 1, period: 1, periodUnit: "d", when: ["MORN"] },
    "in the morning": { frequency: 1, period: 1, periodUnit: "d", when: ["MORN"] },
    "every evening": { frequency: 1, period: 1, periodUnit: "d", when: ["EVE"] },
    "in the evening": { frequency: 1, period: 1, periodUnit: "d", when: ["EVE"] },
  };
  if (abbrev[s]) return { ...abbrev[s], ...out };
  const unit = (u: string): Frequency["periodUnit"] => (u.startsWith("h") ? "h" : u.startsWith("w") ? "wk" : "d");
  // "twice a day", "3 times daily", "2x per day", "once a week"
  let m = /^(once|twice|thrice|one|two|three|four|five|six|\d+)(?: ?(?:times|time|x))? ?(?:a|per|each|every|\/)? ?(day|daily|week|weekly)$/.exec(s);
  if (m) return { frequency: num(m[1]), period: 1, periodUnit: unit(m[2]), ...out };
  // "every 8 hours", "every 2 days", "q8h", "q 6 h", "every other day"
  m = /^(?:every|q) ?(\d+|one|two|three|four|six|eight|twelve|other) ?(hours?|hrs?|h|days?|d|weeks?|wk|w)$/.exec(s);
  if (m) {
    const n = m[1] === "other" ? 2 : num(m[1]);
    if (n > 0) return { frequency: 1, period: n, periodUnit: unit(m[2]), ...out };
  }
  m = /^(?:every|q) ?(hour|day|week)$/.exec(s);
  if (m) return { frequency: 1, period: 1, periodUnit: unit(m[1]), ...out };
  return null;
}

export interface Dose {
  value?: number;
  low?: number;
  high?: number;
  unit: string;
  /** UCUM code of the unit, when it has one. */
  code?: string;
}

const UCUM_UNITS: Record<string, string> = {
  mg: "mg", milligram: "mg", milligrams: "mg",
  g: "g", gram: "g", grams: "g",
  mcg: "ug", µg: "ug", ug: "ug", microgram: "ug", micrograms: "ug",
  ml: "mL", milliliter: "mL", milliliters: "mL", millilitre: "mL", millilitres: "mL",
  l: "L",
  iu: "[iU]", unit: "[U]", units: "[U]",
  meq: "meq",
  "%": "%",
};

function decimal(s: string): number {
  return Number(s.replace(",", "."));
}

/** "500 mg", "1 tablet", "1-2 puffs", "2.5 mL" → a dose; null when not a number and unit. */
export function parseDose(input: string): Dose | null {
  const s = input.trim().replace(/\s+/g, " ");
  const n = "(\\d+(?:[.,]\\d+)?)";
  let m = new RegExp(`^${n} ?(?:-|–|to) ?${n} ?(.*)$`, "i").exec(s);
  if (m) {
    const unit = m[3].trim();
    const code = UCUM_UNITS[unit.toLowerCase()];
    return { low: decimal(m[1]), high: decimal(m[2]), unit, ...(code ? { code } : {}) };
  }
  m = new RegExp(`^${n} ?(.*)$`).exec(s);
  if (!m) return null;
  const unit = m[2].trim();
  const code = UCUM_UNITS[unit.toLowerCase()];
  return { value: decimal(m[1]), unit, ...(code ? { code } : {}) };
}
