// Per-type value semantics of FHIR R4 search (https://hl7.org/fhir/R4/search.html):
// how a typed value extracted by a SearchParameter expression compares with
// a search value, for string, token, date, number, quantity, uri and reference
// parameters. Written from the specification only.
import { parseReference } from './data.mjs';

// ---- strings -------------------------------------------------------------

// normalize implements "case-insensitive and accent-insensitive": Unicode
// decomposition, combining marks dropped, lower case.
export function normalize(s) {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

// stringParts lists the strings a string parameter searches in a value: for
// HumanName and Address "any of the string fields" of the datatype.
export function stringParts(v) {
  const x = v.value;
  switch (v.type) {
    case 'FHIR.HumanName':
      return [x.family, ...(x.given || []), ...(x.prefix || []), ...(x.suffix || []), x.text].filter(isStr);
    case 'FHIR.Address':
      return [...(x.line || []), x.city, x.district, x.state, x.postalCode, x.country, x.text].filter(isStr);
    default:
      return isStr(x) ? [x] : [];
  }
}

function isStr(s) { return typeof s === 'string'; }

// matchString: default = starts with, :contains = anywhere (both case- and
// accent-insensitive), :exact = whole string, case and accents included.
export function matchString(parts, search, modifier) {
  if (modifier === 'exact') return parts.some((p) => p === search);
  const q = normalize(search);
  if (modifier === 'contains') return parts.some((p) => normalize(p).includes(q));
  return parts.some((p) => normalize(p).startsWith(q));
}

// ---- tokens --------------------------------------------------------------

// tokenEntries turns a value into {kind, system, code, texts}: one per Coding
// of a CodeableConcept. kind tells which systems are meaningful: "coded"
// (Coding, CodeableConcept, Identifier: explicit system), "implicit" (code,
// boolean, string, id, uri: the system is implied), "contact" (ContactPoint:
// the value only).
export function tokenEntries(v) {
  const x = v.value;
  switch (v.type) {
    case 'FHIR.Coding':
      return [{ kind: 'coded', system: x.system, code: x.code, texts: [x.display].filter(isStr) }];
    case 'FHIR.CodeableConcept': {
      const texts = [x.text, ...(x.coding || []).map((c) => c.display)].filter(isStr);
      const out = (x.coding || []).map((c) => ({ kind: 'coded', system: c.system, code: c.code, texts }));
      if (out.length === 0) out.push({ kind: 'coded', system: undefined, code: undefined, texts });
      return out;
    }
    case 'FHIR.Identifier':
      return [{ kind: 'coded', system: x.system, code: x.value, texts: [x.type?.text].filter(isStr) }];
    case 'FHIR.ContactPoint':
      return [{ kind: 'contact', system: undefined, code: x.value, texts: [] }];
    case 'FHIR.boolean':
    case 'System.Boolean':
      return [{ kind: 'implicit', system: undefined, code: String(x), texts: [] }];
    default:
      if (typeof x === 'string') return [{ kind: 'implicit', system: undefined, code: x, texts: [] }];
      return [];
  }
}

// splitToken splits "system|code" at the first unescaped bar.
export function splitToken(s) {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') { i++; continue; }
    if (s[i] === '|') return { hasBar: true, system: unescape(s.slice(0, i)), code: unescape(s.slice(i + 1)) };
  }
  return { hasBar: false, code: unescape(s) };
}

export function unescape(s) { return s.replace(/\\([\\,|$])/g, '$1'); }

// matchTokenEntry: "code" matches the code whatever the system; "system|code"
// both; "|code" a code with no system; "system|" any code of that system.
export function matchTokenEntry(e, search) {
  const t = splitToken(search);
  if (!t.hasBar) return e.code !== undefined && e.code === t.code;
  if (t.system === '') return e.system === undefined && e.code !== undefined && e.code === t.code;
  if (t.code === '') return e.system === t.system;
  return e.system === t.system && e.code === t.code;
}

// :text searches the text of the concept (CodeableConcept.text,
// Coding.display, Identifier.type.text) with string matching (starts with,
// case- and accent-insensitive), or, in the "contains" variant, anywhere.
export function matchTokenText(e, search, textMode) {
  return matchString(e.texts, search, textMode === 'contains' ? 'contains' : '');
}

// ---- dates ---------------------------------------------------------------

const dateRe = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

// dateRange gives the implicit range [low, high] (ms since epoch, inclusive)
// of a date, dateTime or instant at its precision. Values without a time zone
// are taken in tzMinutes east of UTC (UTC by default).
export function dateRange(s, tzMinutes = 0) {
  const m = dateRe.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi, se, frac, tz] = m;
  let offset = tzMinutes;
  if (tz === 'Z') offset = 0;
  else if (tz) offset = (tz[0] === '-' ? -1 : 1) * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6)));
  const Y = Number(y);
  const base = (M, D, H, Mi, S, ms) => Date.UTC(Y, M, D, H, Mi, S, ms) - offset * 60000;
  let low;
  let high;
  if (mo === undefined) { low = base(0, 1, 0, 0, 0, 0); high = Date.UTC(Y + 1, 0, 1) - offset * 60000 - 1; }
  else if (d === undefined) { const M = Number(mo) - 1; low = base(M, 1, 0, 0, 0, 0); high = Date.UTC(Y, M + 1, 1) - offset * 60000 - 1; }
  else if (h === undefined) { const M = Number(mo) - 1; const D = Number(d); low = base(M, D, 0, 0, 0, 0); high = low + 86400000 - 1; }
  else if (se === undefined) { low = base(Number(mo) - 1, Number(d), Number(h), Number(mi), 0, 0); high = low + 60000 - 1; }
  else if (frac === undefined) { low = base(Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se), 0); high = low + 999; }
  else {
    const ms = Number((frac + '00').slice(0, 3));
    low = base(Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se), ms);
    // Precision finer than a millisecond still covers the whole millisecond.
    high = frac.length >= 3 ? low : low + 10 ** (3 - frac.length) - 1;
  }
  return { low, high };
}

// targetRange: the range of an extracted value; a Period is [start.low,
// end.high] with a missing side open.
export function targetRanges(v, tzMinutes) {
  const x = v.value;
  switch (v.type) {
    case 'FHIR.Period': {
      const s = x.start ? dateRange(x.start, tzMinutes) : null;
      const e = x.end ? dateRange(x.end, tzMinutes) : null;
      if (!s && !e) return [];
      return [{ low: s ? s.low : -Infinity, high: e ? e.high : Infinity }];
    }
    case 'FHIR.Timing':
      return (x.event || []).map((ev) => dateRange(ev, tzMinutes)).filter(Boolean);
    default: {
      if (typeof x !== 'string') return [];
      const r = dateRange(x, tzMinutes);
      return r ? [r] : [];
    }
  }
}

const prefixes = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'];

export function splitPrefix(s) {
  const p = s.slice(0, 2);
  if (prefixes.includes(p) && s.length > 2 && /[0-9-]/.test(s[2])) return { prefix: p, value: s.slice(2) };
  return { prefix: 'eq', value: s };
}

// compareRanges applies a prefix to target range t and search range q,
// following the R4 table literally ("the range above the search value
// intersects the range of the target value", ...).
export function compareRanges(prefix, t, q) {
  const contained = t.low >= q.low && t.high <= q.high;
  switch (prefix) {
    case 'eq': return contained;
    case 'ne': return !contained;
    case 'gt': return t.high > q.high;
    case 'lt': return t.low < q.low;
    case 'ge': return t.high > q.high || contained;
    case 'le': return t.low < q.low || contained;
    case 'sa': return t.low > q.high;
    case 'eb': return t.high < q.low;
    case 'ap': return t.low <= q.high && t.high >= q.low; // q already widened
    default: throw new Error(`prefix ${prefix}`);
  }
}

// matchDate: apWidth is the fraction of |now - value| added on each side for
// "ap" (the spec recommends 10%).
export function matchDate(vals, search, opts) {
  const { prefix, value } = splitPrefix(search);
  const q = dateRange(value, opts.tzMinutes);
  if (!q) throw new Error(`bad date ${search}`);
  if (prefix === 'ap') {
    const gap = Math.abs(opts.now - q.low) * opts.apWidth;
    q.low -= gap;
    q.high += gap;
  }
  return vals.some((v) => targetRanges(v, opts.tzMinutes).some((t) => compareRanges(prefix, t, q)));
}

// ---- numbers and quantities ------------------------------------------------

// numberRange: the implicit range of a decimal by its significant figures
// ("100" -> [99.5, 100.5)).
export function numberRange(s) {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m) throw new Error(`bad number ${s}`);
  const decimals = (m[3] || '').length - Number(m[4] || 0);
  const v = Number(s);
  const half = 0.5 * 10 ** -decimals;
  return { value: v, low: v - half, high: v + half };
}

export function matchNumber(nums, search) {
  const { prefix, value } = splitPrefix(search);
  const q = numberRange(value);
  return nums.some((n) => {
    switch (prefix) {
      case 'eq': return n >= q.low && n < q.high;
      case 'ne': return !(n >= q.low && n < q.high);
      case 'gt': return n > q.value;
      case 'lt': return n < q.value;
      case 'ge': return n >= q.value;
      case 'le': return n <= q.value;
      case 'sa': return n > q.value;
      case 'eb': return n < q.value;
      case 'ap': return n >= q.value * 0.9 && n <= q.value * 1.1;
      default: return false;
    }
  });
}

// matchQuantity: "[prefix]number|system|code" without unit conversion.
export function matchQuantity(vals, search) {
  const parts = search.split('|');
  const num = parts[0];
  const system = parts.length > 1 ? parts[1] : '';
  const code = parts.length > 2 ? parts[2] : '';
  const nums = [];
  for (const v of vals) {
    const x = v.value;
    if (typeof x?.value !== 'number') continue;
    if (code && x.code !== code && x.unit !== code) continue;
    if (system && x.system !== system) continue;
    nums.push(x.value);
  }
  return matchNumber(nums, num);
}

// ---- uris and references ---------------------------------------------------

export function matchUri(vals, search, modifier) {
  return vals.some((v) => {
    if (typeof v.value !== 'string') return false;
    if (modifier === 'below') return v.value.startsWith(search);
    if (modifier === 'above') return search.startsWith(v.value);
    return v.value === search;
  });
}

// matchReference: "Type/id" the literal reference; "id" any type with that
// id (or only typeModifier when given).
export function matchReference(vals, search, typeModifier) {
  let want;
  if (search.includes('/')) {
    want = parseReference(search);
    if (!want) return false;
  } else {
    want = { type: typeModifier, id: search };
  }
  if (typeModifier && want.type !== typeModifier) return false;
  return vals.some((v) => {
    const r = parseReference(v.value?.reference);
    return r && r.id === want.id && (!want.type || r.type === want.type);
  });
}

// referenceTargets lists the literal references of a reference parameter's values.
export function referenceTargets(vals) {
  return vals.map((v) => parseReference(v.value?.reference)).filter(Boolean);
}

// matchReferenceIdentifier implements :identifier (token match on Reference.identifier).
export function matchReferenceIdentifier(vals, search) {
  return vals.some((v) => v.value?.identifier &&
    matchTokenEntry({ system: v.value.identifier.system, code: v.value.identifier.value }, search));
}
