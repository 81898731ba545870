// The oracle's own FHIR R4 search: query parsing, parameters ANDed across
// repetitions and ORed across comma-separated values, modifiers, chains,
// _has, _include and _revinclude, all over the values that fhirpath.js
// extracted.
import { parseReference } from './data.mjs';
import * as V from './values.mjs';

// Defaults for the choices the specification leaves to the server; the
// generator re-evaluates candidate queries under other choices and keeps only
// those whose answer does not depend on them.
export const defaultOptions = { tzMinutes: 0, apWidth: 0.1, textMode: 'starts', now: Date.now() };

// Result parameters the oracle accepts and ignores (they do not select).
const ignored = new Set(['_count', '_sort', '_total', '_summary', '_elements', '_format']);

// parseQuery splits "a=b&c=d" into [{name, value}] (form decoding).
export function parseQuery(q) {
  if (!q) return [];
  return q.split('&').filter(Boolean).map((p) => {
    const i = p.indexOf('=');
    const dec = (s) => decodeURIComponent(s.replace(/\+/g, ' '));
    return i < 0 ? { name: dec(p), value: '' } : { name: dec(p.slice(0, i)), value: dec(p.slice(i + 1)) };
  });
}

// splitOr splits a value at unescaped commas (escapes stay for the type).
export function splitOr(s) {
  const out = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) { cur += s[i] + s[i + 1]; i++; continue; }
    if (s[i] === ',') { out.push(cur); cur = ''; continue; }
    cur += s[i];
  }
  out.push(cur);
  return out;
}

export class Searcher {
  constructor(data, defs, extractor) {
    this.data = data;
    this.defs = defs;
    this.ex = extractor;
  }

  // run evaluates a query on a resource type: {matches, includes} (sorted
  // "Type/id" for includes, ids for matches).
  run(type, query, opts = defaultOptions) {
    const params = parseQuery(query);
    let ids = new Set(this.data.resources(type).map((r) => r.id));
    const includes = [];
    const revincludes = [];
    for (const { name, value } of params) {
      if (ignored.has(name)) continue;
      if (name === '_include' || name === '_include:iterate') { includes.push({ spec: value, iterate: name.endsWith(':iterate') }); continue; }
      if (name === '_revinclude' || name === '_revinclude:iterate') { revincludes.push({ spec: value, iterate: name.endsWith(':iterate') }); continue; }
      const set = this.param(type, name, value, opts);
      ids = new Set([...ids].filter((id) => set.has(id)));
    }
    const matches = [...ids].sort();
    const inc = this.includes(type, matches, includes, revincludes);
    return { matches, includes: inc };
  }

  // param returns the ids of `type` matching one parameter (all its OR values).
  param(type, name, value, opts) {
    if (name.startsWith('_has:')) return this.has(type, name, value, opts);
    const dot = name.indexOf('.');
    if (dot >= 0) return this.chain(type, name.slice(0, dot), name.slice(dot + 1), value, opts);
    const [code, modifier] = splitModifier(name);
    const def = this.defs.lookup(type, code);
    if (!def) throw new Error(`unknown parameter ${type}.${code}`);
    const values = this.ex.values(type, code);
    const alts = splitOr(value);
    const out = new Set();
    for (const [id, vals] of values) {
      if (modifier === 'missing') {
        if ((vals.length === 0) === (value === 'true')) out.add(id);
        continue;
      }
      if (modifier === 'not' && def.type === 'token') {
        // :not selects resources with no value matching any alternative,
        // which includes resources with no value at all.
        const entries = vals.flatMap(V.tokenEntries);
        if (!alts.some((a) => entries.some((e) => V.matchTokenEntry(e, a)))) out.add(id);
        continue;
      }
      if (alts.some((a) => this.matchOne(def, vals, a, modifier, opts))) out.add(id);
    }
    return out;
  }

  matchOne(def, vals, search, modifier, opts) {
    switch (def.type) {
      case 'string': {
        const parts = vals.flatMap(V.stringParts);
        return V.matchString(parts, V.unescape(search), modifier);
      }
      case 'token': {
        const entries = vals.flatMap(V.tokenEntries);
        if (modifier === 'text') return entries.some((e) => V.matchTokenText(e, V.unescape(search), opts.textMode));
        if (modifier) throw new Error(`token modifier ${modifier}`);
        return entries.some((e) => V.matchTokenEntry(e, search));
      }
      case 'date':
        if (modifier) throw new Error(`date modifier ${modifier}`);
        return V.matchDate(vals, search, opts);
      case 'number':
        return V.matchNumber(vals.map((v) => Number(v.value)), search);
      case 'quantity':
        return V.matchQuantity(vals, search);
      case 'uri':
        return V.matchUri(vals, V.unescape(search), modifier);
      case 'reference':
        if (modifier === 'identifier') return V.matchReferenceIdentifier(vals, search);
        if (modifier && !/^[A-Z]/.test(modifier)) throw new Error(`reference modifier ${modifier}`);
        return V.matchReference(vals, V.unescape(search), modifier);
      default:
        throw new Error(`unsupported parameter type ${def.type}`);
    }
  }

  // chain: "ref[:Type].rest=value" selects resources whose reference points
  // to a resource (of Type, or of any target type that defines the next
  // parameter) matching "rest=value".
  chain(type, head, rest, value, opts) {
    const [code, typeModifier] = splitModifier(head);
    const def = this.defs.lookup(type, code);
    if (!def || def.type !== 'reference') throw new Error(`${type}.${code} is not a reference parameter`);
    const nextCode = splitModifier(rest.split('.')[0])[0];
    const targetTypes = typeModifier ? [typeModifier]
      : def.target.filter((t) => nextCode.startsWith('_has:') || this.defs.lookup(t, nextCode));
    const wanted = new Set();
    for (const t of targetTypes) {
      if (!this.data.byType.has(t)) continue;
      for (const id of this.param(t, rest, value, opts)) wanted.add(`${t}/${id}`);
    }
    const out = new Set();
    for (const [id, vals] of this.ex.values(type, code)) {
      if (V.referenceTargets(vals).some((r) => wanted.has(`${r.type}/${r.id}`))) out.add(id);
    }
    return out;
  }

  // has: "_has:Other:ref:rest=value" selects resources of `type` referred to,
  // through Other's reference parameter ref, by an Other matching rest=value.
  has(type, name, value, opts) {
    const m = /^_has:([A-Za-z]+):([A-Za-z0-9_-]+):(.+)$/.exec(name);
    if (!m) throw new Error(`bad _has ${name}`);
    const [, other, ref, rest] = m;
    const others = this.param(other, rest, value, opts);
    const refValues = this.ex.values(other, ref);
    const out = new Set();
    for (const id of others) {
      for (const r of V.referenceTargets(refValues.get(id) || [])) {
        if (r.type === type && this.data.get(type, r.id)) out.add(r.id);
      }
    }
    return out;
  }

  // includes: resources referenced from the matches (_include) and
  // resources referring to them (_revinclude), as "Type/id", excluding the
  // matches themselves; :iterate repeats over what was included.
  includes(type, matches, includes, revincludes) {
    const matchKeys = new Set(matches.map((id) => `${type}/${id}`));
    const found = new Set();
    let frontier = [...matchKeys];
    for (let round = 0; round < 10 && frontier.length; round++) {
      const next = [];
      const add = (key) => {
        if (matchKeys.has(key) || found.has(key)) return;
        found.add(key);
        next.push(key);
      };
      for (const { spec, iterate } of includes) {
        if (round > 0 && !iterate) continue;
        const [srcType, code, targetType] = spec.split(':');
        for (const key of frontier) {
          const [t, id] = key.split('/');
          if (t !== srcType) continue;
          const vals = this.ex.values(srcType, code).get(id) || [];
          for (const r of V.referenceTargets(vals)) {
            if (targetType && r.type !== targetType) continue;
            if (this.data.get(r.type, r.id)) add(`${r.type}/${r.id}`);
          }
        }
      }
      for (const { spec, iterate } of revincludes) {
        if (round > 0 && !iterate) continue;
        const [srcType, code, targetType] = spec.split(':');
        const keys = new Set(frontier);
        for (const [id, vals] of this.ex.values(srcType, code)) {
          for (const r of V.referenceTargets(vals)) {
            if (targetType && r.type !== targetType) continue;
            if (keys.has(`${r.type}/${r.id}`)) add(`${srcType}/${id}`);
          }
        }
      }
      frontier = next;
    }
    return [...found].sort();
  }
}

export function splitModifier(name) {
  const i = name.indexOf(':');
  return i < 0 ? [name, ''] : [name.slice(0, i), name.slice(i + 1)];
}

export { parseReference };
