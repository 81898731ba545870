// The intake questionnaire as plain data: which items show, how answers
// are checked, and how a filled form becomes a FHIR QuestionnaireResponse.
// Kept free of React so that it is easy to test.
import type { Resource } from "../api/fhir";

export const INTAKE_URL = "https://housecall.dev/fhir/Questionnaire/telehealth-intake";

export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}

export interface AnswerOption {
  valueCoding?: Coding;
  valueString?: string;
  valueInteger?: number;
  valueDate?: string;
  initialSelected?: boolean;
}

export interface EnableWhen {
  question: string;
  operator: "exists" | "=" | "!=" | ">" | "<" | ">=" | "<=";
  answerBoolean?: boolean;
  answerString?: string;
  answerInteger?: number;
  answerDecimal?: number;
  answerCoding?: Coding;
}

export interface QItem {
  linkId: string;
  text?: string;
  prefix?: string;
  type: string;
  required?: boolean;
  repeats?: boolean;
  readOnly?: boolean;
  maxLength?: number;
  answerOption?: AnswerOption[];
  initial?: { valueString?: string; valueInteger?: number; valueDecimal?: number; valueBoolean?: boolean; valueDate?: string; valueCoding?: Coding }[];
  enableWhen?: EnableWhen[];
  enableBehavior?: "all" | "any";
  extension?: { url: string; [k: string]: unknown }[];
  item?: QItem[];
}

export interface Questionnaire extends Resource {
  resourceType: "Questionnaire";
  url?: string;
  version?: string;
  title?: string;
  status?: string;
  item?: QItem[];
}

/**
 * A form's answers by linkId: text of string/text/integer/decimal/date
 * inputs, true/false for booleans, the chosen option's index ("0", "1", …)
 * for choices, and a list of indexes for choices that repeat.
 */
export type FormValue = string | boolean | string[] | undefined;
export type FormValues = Record<string, FormValue>;

const MIN_EXT = "http://hl7.org/fhir/StructureDefinition/minValue";
const MAX_EXT = "http://hl7.org/fhir/StructureDefinition/maxValue";

/** Item types the form can show as questions (others are skipped). */
const ANSWERABLE = new Set(["string", "text", "integer", "decimal", "boolean", "choice", "open-choice", "date"]);

function extNumber(item: QItem, url: string): number | undefined {
  const e = item.extension?.find((x) => x.url === url);
  const v = e?.valueInteger ?? e?.valueDecimal;
  return typeof v === "number" ? v : undefined;
}

/** The allowed range of a number item, from the minValue/maxValue extensions. */
export function numberRange(item: QItem): { min?: number; max?: number } {
  return { min: extNumber(item, MIN_EXT), max: extNumber(item, MAX_EXT) };
}

export function isAnswerable(item: QItem): boolean {
  return ANSWERABLE.has(item.type);
}

/** What a person sees for an answer option. */
export function optionLabel(o: AnswerOption): string {
  if (o.valueCoding) return o.valueCoding.display || o.valueCoding.code || "";
  if (o.valueString !== undefined) return o.valueString;
  if (o.valueInteger !== undefined) return String(o.valueInteger);
  return o.valueDate ?? "";
}

/** Every item, depth first (groups included). */
export function allItems(items: QItem[] | undefined): QItem[] {
  const out: QItem[] = [];
  for (const it of items ?? []) {
    out.push(it);
    out.push(...allItems(it.item));
  }
  return out;
}

function emptyValue(v: FormValue): boolean {
  return v === undefined || (typeof v === "string" && v.trim() === "") || (Array.isArray(v) && v.length === 0);
}

/** The starting answers: item.initial and options marked initialSelected. */
export function initialValues(items: QItem[] | undefined): FormValues {
  const values: FormValues = {};
  for (const it of allItems(items)) {
    const init = it.initial?.[0];
    const selected = (it.answerOption ?? []).map((o, i) => (o.initialSelected ? String(i) : "")).filter(Boolean);
    if (it.type === "choice" || it.type === "open-choice") {
      if (selected.length) values[it.linkId] = it.repeats ? selected : selected[0];
    } else if (init) {
      if (it.type === "boolean" && init.valueBoolean !== undefined) values[it.linkId] = init.valueBoolean;
      else {
        const v = init.valueString ?? init.valueInteger ?? init.valueDecimal ?? init.valueDate;
        if (v !== undefined) values[it.linkId] = String(v);
      }
    }
  }
  return values;
}

// The value of an answer for enableWhen comparisons.
function comparable(item: QItem | undefined, v: FormValue): unknown[] {
  if (!item || emptyValue(v)) return [];
  if (item.type === "choice" || item.type === "open-choice") {
    const idx = Array.isArray(v) ? v : [String(v)];
    return idx.map((i) => item.answerOption?.[Number(i)]).filter(Boolean) as AnswerOption[];
  }
  if (item.type === "integer" || item.type === "decimal") {
    const n = Number(v);
    return Number.isFinite(n) ? [n] : [];
  }
  return [v];
}

function matches(ew: EnableWhen, got: unknown): boolean {
  if (ew.answerCoding) {
    const o = got as AnswerOption;
    const c = o?.valueCoding;
    const eq = !!c && c.code === ew.answerCoding.code && (!ew.answerCoding.system || !c.system || c.system === ew.answerCoding.system);
    return ew.operator === "!=" ? !eq : eq;
  }
  let want: unknown = ew.answerBoolean ?? ew.answerString ?? ew.answerInteger ?? ew.answerDecimal;
  let have = got;
  if (typeof have === "object" && have !== null) {
    const o = have as AnswerOption;
    have = o.valueString ?? o.valueInteger ?? o.valueDate;
  }
  if (typeof want === "number") have = Number(have);
  switch (ew.operator) {
    case "=":
      return have === want;
    case "!=":
      return have !== want;
    case ">":
      return (have as number) > (want as number);
    case "<":
      return (have as number) < (want as number);
    case ">=":
      return (have as number) >= (want as number);
    case "<=":
      return (have as number) <= (want as number);
  }
  return false;
}

/** Whether an item is shown, following its enableWhen conditions. */
export function isEnabled(item: QItem, values: FormValues, byId: Map<string, QItem>): boolean {
  const conds = item.enableWhen ?? [];
  if (conds.length === 0) return true;
  const results = conds.map((ew) => {
    const answers = comparable(byId.get(ew.question), values[ew.question]);
    if (ew.operator === "exists") return (answers.length > 0) === (ew.answerBoolean ?? true);
    if (answers.length === 0) return ew.operator === "!=";
    return ew.operator === "!=" ? answers.every((a) => matches(ew, a)) : answers.some((a) => matches(ew, a));
  });
  return item.enableBehavior === "any" ? results.some(Boolean) : results.every(Boolean);
}

export function itemIndex(items: QItem[] | undefined): Map<string, QItem> {
  return new Map(allItems(items).map((it) => [it.linkId, it]));
}

function rangeText(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return `from ${min} to ${max}`;
  if (min !== undefined) return `of at least ${min}`;
  if (max !== undefined) return `of at most ${max}`;
  return "";
}

/** A hint shown under number items ("A number from 0 to 10"). */
export function numberHint(item: QItem): string {
  const { min, max } = numberRange(item);
  const r = rangeText(min, max);
  return r ? `A number ${r}` : "";
}

/** Checks one answer; returns the message to show, or "". */
export function validateItem(item: QItem, v: FormValue): string {
  if (emptyValue(v)) {
    if (!item.required) return "";
    if (item.type === "choice" || item.type === "open-choice" || item.type === "boolean") return "Please choose an answer.";
    return "Please answer this question.";
  }
  if (item.type === "integer" || item.type === "decimal") {
    const s = String(v).trim();
    const ok = item.type === "integer" ? /^[-+]?\d+$/.test(s) : /^[-+]?(\d+([.,]\d*)?|[.,]\d+)$/.test(s);
    if (!ok) return item.type === "integer" ? "Enter a whole number." : "Enter a number.";
    const n = Number(s.replace(",", "."));
    const { min, max } = numberRange(item);
    if ((min !== undefined && n < min) || (max !== undefined && n > max)) return `Enter a number ${rangeText(min, max)}.`;
  }
  if ((item.type === "string" || item.type === "text") && item.maxLength && String(v).length > item.maxLength) {
    return `Use at most ${item.maxLength} characters.`;
  }
  if (item.type === "date" && !/^\d{4}-\d{2}-\d{2}$/.test(String(v))) return "Enter a date.";
  return "";
}

/** Messages by linkId for every shown item with a problem (empty: all good). */
export function validate(items: QItem[] | undefined, values: FormValues): Record<string, string> {
  const byId = itemIndex(items);
  const errors: Record<string, string> = {};
  const walk = (list: QItem[] | undefined) => {
    for (const it of list ?? []) {
      if (!isEnabled(it, values, byId)) continue;
      if (isAnswerable(it)) {
        const msg = validateItem(it, values[it.linkId]);
        if (msg) errors[it.linkId] = msg;
      }
      walk(it.item);
    }
  };
  walk(items);
  return errors;
}

type Answer = Record<string, unknown>;

function answersOf(item: QItem, v: FormValue): Answer[] {
  if (emptyValue(v)) return [];
  switch (item.type) {
    case "boolean":
      return typeof v === "boolean" ? [{ valueBoolean: v }] : [];
    case "integer":
      return [{ valueInteger: parseInt(String(v).trim(), 10) }];
    case "decimal":
      return [{ valueDecimal: Number(String(v).trim().replace(",", ".")) }];
    case "date":
      return [{ valueDate: String(v) }];
    case "choice":
    case "open-choice": {
      const idx = Array.isArray(v) ? v : [String(v)];
      return idx
        .map((i) => item.answerOption?.[Number(i)])
        .filter((o): o is AnswerOption => !!o)
        .map((o) => {
          if (o.valueCoding) return { valueCoding: o.valueCoding };
          if (o.valueString !== undefined) return { valueString: o.valueString };
          if (o.valueInteger !== undefined) return { valueInteger: o.valueInteger };
          return { valueDate: o.valueDate };
        });
    }
    default:
      return [{ valueString: String(v).trim() }];
  }
}

function responseItems(items: QItem[] | undefined, values: FormValues, byId: Map<string, QItem>): Answer[] {
  const out: Answer[] = [];
  for (const it of items ?? []) {
    if (!isEnabled(it, values, byId)) continue;
    if (it.type === "group") {
      const children = responseItems(it.item, values, byId);
      if (children.length) out.push({ linkId: it.linkId, ...(it.text ? { text: it.text } : {}), item: children });
      continue;
    }
    if (!isAnswerable(it)) continue;
    const answer = answersOf(it, values[it.linkId]);
    if (answer.length === 0) continue;
    const entry: Answer = { linkId: it.linkId, ...(it.text ? { text: it.text } : {}), answer };
    const nested = responseItems(it.item, values, byId);
    if (nested.length) (answer[0] as Answer).item = nested;
    out.push(entry);
  }
  return out;
}

export interface ResponseContext {
  patient: string; // "Patient/1"
  encounter: string; // "Encounter/7"
  authored?: string;
}

/** The completed QuestionnaireResponse for a filled form (unanswered items are left out). */
export function buildResponse(q: Questionnaire, values: FormValues, ctx: ResponseContext): Resource {
  // FHIR JSON has no empty arrays: a form with nothing answered has no item.
  const item = responseItems(q.item, values, itemIndex(q.item));
  return {
    resourceType: "QuestionnaireResponse",
    questionnaire: q.url ?? INTAKE_URL,
    status: "completed",
    subject: { reference: ctx.patient },
    encounter: { reference: ctx.encounter },
    author: { reference: ctx.patient },
    source: { reference: ctx.patient },
    authored: ctx.authored ?? new Date().toISOString(),
    ...(item.length ? { item } : {}),
  };
}
