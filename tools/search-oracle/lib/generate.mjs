// Deterministic (seeded) generation of search queries from the data: every
// parameter type, modifier and prefix, OR lists, AND combinations, chains,
// _has, _include and _revinclude, with values picked from real resources.
import * as V from './values.mjs';
import { defaultOptions } from './search.mjs';

// Resource types of the Synthea sample the queries cover.
export const syntheaTypes = ['AllergyIntolerance', 'Condition', 'Device', 'DocumentReference', 'Encounter', 'Immunization',
  'Location', 'MedicationRequest', 'Organization', 'Patient', 'Practitioner', 'PractitionerRole', 'Procedure'];

// Parameters left out, with the reason.
const skipped = {
  _lastUpdated: 'server-assigned',
  _text: 'narrative search is server-defined', _content: 'full-text search is server-defined',
  _query: 'named queries', _list: 'needs List resources', phonetic: 'algorithm is server-defined',
  near: 'geo distance is server-defined',
};

// Queries kept per category (the generator makes many more candidates).
const defaultCap = 8;
const caps = { missing: 30, 'date ap': 6, 'token code': 12, string: 12, 'date eq': 10 };

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// enc percent-encodes what would change the meaning of a query string,
// keeping the FHIR syntax characters (, | : / $) readable.
export function enc(s) {
  return s.replace(/[^A-Za-z0-9\-._~:|,/$]/g, (c) => encodeURIComponent(c));
}

// esc escapes the characters that have a meaning inside a FHIR search value.
function esc(s) { return s.replace(/([\\,|$])/g, '\\$1'); }

export class Generator {
  constructor(data, defs, ex, searcher, seed) {
    this.data = data;
    this.defs = defs;
    this.ex = ex;
    this.s = searcher;
    this.rand = mulberry32(seed);
    this.cands = new Map(); // category -> candidates
    this.seen = new Set();
    this.dropped = 0;
    // Variants of the choices the specification leaves open; a query is kept
    // only when its answer is the same under all of them.
    const now = defaultOptions.now;
    this.variants = [
      { ...defaultOptions, now },
      { ...defaultOptions, now, tzMinutes: 14 * 60 },
      { ...defaultOptions, now, tzMinutes: -12 * 60 },
      { ...defaultOptions, now, apWidth: 0.05 },
      { ...defaultOptions, now, apWidth: 0.2 },
      { ...defaultOptions, now, textMode: 'contains' },
    ];
  }

  pick(a) { return a[Math.floor(this.rand() * a.length)]; }
  int(lo, hi) { return lo + Math.floor(this.rand() * (hi - lo + 1)); }

  // add records a candidate query; select() evaluates and keeps some.
  add(category, type, query) {
    const key = `${type}?${query}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (!this.cands.has(category)) this.cands.set(category, []);
    this.cands.get(category).push({ category, type, query });
    return true;
  }

  // evaluate answers a candidate, or null when the answer depends on a choice
  // the specification leaves to the server (time zone of dates without one,
  // width of "ap", starts-with vs contains for :text).
  evaluate(c) {
    const first = this.s.run(c.type, c.query, this.variants[0]);
    if (/:text|(^|[=,&.])(eq|ne|gt|lt|ge|le|sa|eb|ap)?\d{4}/.test(c.query)) {
      const want = JSON.stringify(first);
      for (const o of this.variants.slice(1)) {
        if (JSON.stringify(this.s.run(c.type, c.query, o)) !== want) return null;
      }
    }
    return { ...c, ...first };
  }

  // select keeps up to `cap` unambiguous queries per category, chosen at
  // random (seeded) among the candidates.
  select() {
    const out = [];
    for (const [category, list] of this.cands) {
      const cap = caps[category] ?? defaultCap;
      for (let i = list.length - 1; i > 0; i--) {
        const j = Math.floor(this.rand() * (i + 1));
        [list[i], list[j]] = [list[j], list[i]];
      }
      let kept = 0;
      for (const c of list) {
        if (kept >= cap) break;
        const r = this.evaluate(c);
        if (!r) { this.dropped++; continue; }
        out.push(r);
        kept++;
      }
    }
    return out;
  }

  // values lists [{id, v}] of a parameter over the data.
  values(type, code) {
    const out = [];
    for (const [id, vals] of this.ex.values(type, code)) for (const v of vals) out.push({ id, v });
    return out;
  }

  hasLiteralOnlyRefs(type, code) {
    return this.values(type, code).every(({ v }) => V.referenceTargets([v]).length === 1);
  }

  generate() {
    for (const type of syntheaTypes) {
      for (const code of this.defs.codes(type)) {
        if (skipped[code]) continue;
        const def = this.defs.lookup(type, code);
        if (!def.expression) continue;
        const vals = this.values(type, code);
        switch (def.type) {
          case 'string': this.strings(type, code, vals); break;
          case 'token': this.tokens(type, code, vals); break;
          case 'date': this.dates(type, code, vals); break;
          case 'reference': this.references(type, code, def, vals); break;
          case 'uri': this.uris(type, code, vals); break;
          case 'quantity': case 'number': this.numbers(type, code, def, vals); break;
          default: break; // composite / special: no data in the sample
        }
      }
    }
    this.ands();
    this.chains();
    this.hases();
    this.includes();
    return this.select();
  }

  missing(type, code, vals) {
    if (vals.length === 0 && this.rand() < 0.5) return; // keep a few for absent parameters
    this.add('missing', type, `${code}:missing=true`);
    this.add('missing', type, `${code}:missing=false`);
  }

  // ---- string ----
  strings(type, code, vals) {
    this.missing(type, code, vals);
    const parts = vals.flatMap(({ v }) => V.stringParts(v)).filter((p) => /^[A-Za-z0-9]/.test(p));
    if (parts.length === 0) {
      this.add('string', type, `${code}=${enc('zz')}`);
      return;
    }
    for (let i = 0; i < 3; i++) {
      const p = this.pick(parts);
      const clean = /^[A-Za-z0-9]+(?: [A-Za-z0-9]+)*/.exec(p)[0];
      const prefix = clean.slice(0, this.int(Math.min(2, clean.length), Math.min(clean.length, 9))).trim();
      this.add('string', type, `${code}=${enc(prefix)}`);
      this.add('string case', type, `${code}=${enc(this.rand() < 0.5 ? prefix.toUpperCase() : prefix.toLowerCase())}`);
      if (/[aeiouAEIOU]/.test(prefix)) {
        const accented = prefix.replace(/[aeiou]/, (c) => ({ a: 'á', e: 'é', i: 'í', o: 'ö', u: 'ü' })[c])
          .replace(/[AEIOU]/, (c) => ({ A: 'Á', E: 'É', I: 'Í', O: 'Ö', U: 'Ü' })[c]);
        this.add('string accent', type, `${code}=${enc(accented)}`);
      }
      if (!/[\\$|]/.test(p)) {
        this.add('string :exact', type, `${code}:exact=${enc(esc(p))}`);
        this.add('string :exact case', type, `${code}:exact=${enc(esc(p.toLowerCase()))}`);
      }
      if (clean.length >= 5) {
        const start = this.int(1, clean.length - 3);
        const sub = clean.slice(start, start + this.int(2, 4)).trim();
        if (sub) this.add('string :contains', type, `${code}:contains=${enc(sub)}`);
      }
    }
    const a = this.pick(parts).slice(0, 3).replace(/[^A-Za-z0-9]/g, '');
    const b = this.pick(parts).slice(0, 4).replace(/[^A-Za-z0-9]/g, '');
    if (a && b) this.add('string OR', type, `${code}=${enc(a)},${enc(b)}`);
    this.add('string empty', type, `${code}=${enc('Qxzq')}`);
  }

  // ---- token ----
  tokens(type, code, vals) {
    this.missing(type, code, vals);
    const entries = vals.flatMap(({ v }) => V.tokenEntries(v)).filter((e) => e.code !== undefined);
    if (entries.length === 0) {
      this.add('token', type, `${code}=nothing`);
      return;
    }
    const n = code === '_id' ? 2 : 3;
    for (let i = 0; i < n; i++) {
      const e = this.pick(entries);
      this.add('token code', type, `${code}=${enc(esc(e.code))}`);
      this.add('token :not', type, `${code}:not=${enc(esc(e.code))}`);
      if (e.kind === 'coded') {
        if (e.system !== undefined) {
          this.add('token system|code', type, `${code}=${enc(esc(e.system))}|${enc(esc(e.code))}`);
          this.add('token system|', type, `${code}=${enc(esc(e.system))}|`);
          this.add('token :not system|code', type, `${code}:not=${enc(esc(e.system))}|${enc(esc(e.code))}`);
          this.add('token wrong system', type, `${code}=http://example.org/other|${enc(esc(e.code))}`);
        }
        this.add('token |code', type, `${code}=|${enc(esc(e.code))}`);
        const text = e.texts.find((t) => /^[A-Za-z]/.test(t));
        if (text) {
          const word = /^[A-Za-z0-9]+(?: [A-Za-z0-9]+)?/.exec(text)[0];
          this.add('token :text', type, `${code}:text=${enc(word.toLowerCase())}`);
        }
      }
    }
    const e1 = this.pick(entries);
    const e2 = this.pick(entries);
    this.add('token OR', type, `${code}=${enc(esc(e1.code))},${enc(esc(e2.code))}`);
    this.add('token :not OR', type, `${code}:not=${enc(esc(e1.code))},${enc(esc(e2.code))}`);
    this.add('token case', type, `${code}=${enc(esc(e1.code.toUpperCase() === e1.code ? e1.code.toLowerCase() : e1.code.toUpperCase()))}`);
  }

  // ---- date ----
  dates(type, code, vals) {
    this.missing(type, code, vals);
    const ranges = vals.flatMap(({ v }) => V.targetRanges(v, 0)).filter((r) => Number.isFinite(r.low));
    const raw = vals.map(({ v }) => v.value).filter((x) => typeof x === 'string');
    if (ranges.length === 0) {
      this.add('date', type, `${code}=ge2000`);
      return;
    }
    const prefixes = ['', 'eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'];
    for (const prefix of prefixes) {
      for (let i = 0; i < (prefix === 'ap' ? 8 : 2); i++) {
        const r = this.pick(ranges);
        this.add(`date ${prefix || 'eq'}`, type, `${code}=${prefix}${enc(this.renderDate(r.low))}`);
      }
    }
    if (raw.length) {
      const x = this.pick(raw);
      this.add('date exact value', type, `${code}=${enc(x)}`);
      this.add('date exact value', type, `${code}=le${enc(x)}`);
    }
    const a = this.pick(ranges).low;
    const b = this.pick(ranges).low;
    const [lo, hi] = a < b ? [a, b] : [b, a];
    this.add('date AND range', type, `${code}=ge${enc(this.renderDate(lo, 'month'))}&${code}=lt${enc(this.renderDate(hi, 'year'))}`);
    this.add('date OR', type, `${code}=${enc(this.renderDate(a, 'year'))},${enc(this.renderDate(b, 'month'))}`);
  }

  renderDate(ms, precision) {
    const p = precision || this.pick(['year', 'month', 'day', 'day', 'second', 'secondtz']);
    const iso = new Date(ms).toISOString();
    switch (p) {
      case 'year': return iso.slice(0, 4);
      case 'month': return iso.slice(0, 7);
      case 'day': return iso.slice(0, 10);
      case 'second': return iso.slice(0, 19) + 'Z';
      default: {
        const d = new Date(ms - 5 * 3600000).toISOString();
        return d.slice(0, 19) + '-05:00';
      }
    }
  }

  // ---- reference ----
  references(type, code, def, vals) {
    const literal = this.hasLiteralOnlyRefs(type, code);
    if (literal && !def.expression.includes('resolve()')) this.missing(type, code, vals);
    const refs = vals.flatMap(({ v }) => V.referenceTargets([v]));
    if (refs.length === 0) {
      const ids = vals.filter(({ v }) => v.value?.identifier).map(({ v }) => v.value.identifier);
      for (let i = 0; i < 2 && ids.length; i++) {
        const idf = this.pick(ids);
        this.add('reference :identifier', type, `${code}:identifier=${enc(esc(idf.system))}|${enc(esc(idf.value))}`);
        this.add('reference :identifier', type, `${code}:identifier=${enc(esc(idf.value))}`);
      }
      return;
    }
    for (let i = 0; i < 2; i++) {
      const r = this.pick(refs);
      this.add('reference Type/id', type, `${code}=${r.type}/${enc(r.id)}`);
      this.add('reference id', type, `${code}=${enc(r.id)}`);
      this.add('reference :Type', type, `${code}:${r.type}=${enc(r.id)}`);
    }
    const r1 = this.pick(refs);
    const r2 = this.pick(refs);
    this.add('reference OR', type, `${code}=${r1.type}/${enc(r1.id)},${r2.type}/${enc(r2.id)}`);
    // A type the parameter allows but the data does not use: no match.
    const other = def.target.find((t) => !refs.some((r) => r.type === t));
    if (other) this.add('reference other type', type, `${code}:${other}=${enc(r1.id)}`);
  }

  // ---- uri ----
  uris(type, code, vals) {
    this.missing(type, code, vals);
    const us = vals.map(({ v }) => v.value).filter((x) => typeof x === 'string');
    if (!us.length) return;
    const u = this.pick(us);
    this.add('uri', type, `${code}=${enc(u)}`);
    this.add('uri :below', type, `${code}:below=${enc(u.slice(0, u.lastIndexOf('/') + 1))}`);
    this.add('uri prefix is not a match', type, `${code}=${enc(u.slice(0, u.lastIndexOf('/') + 1))}`);
  }

  // ---- number / quantity (no values in the sample: absent-data behaviour) ----
  numbers(type, code, def, vals) {
    this.missing(type, code, vals);
    this.add(`${def.type}`, type, `${code}=gt0`);
  }
}
