// Loading the NDJSON sample and the official R4 SearchParameter definitions,
// and extracting search values with fhirpath.js (the reference FHIRPath
// implementation) over its R4 model.
import fs from 'node:fs';
import path from 'node:path';
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4/index.js';

// Literal relative reference "Type/id" (optionally with a /_history/n tail).
const literalRef = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/[^/]+)?$/;

// parseReference returns {type, id} for a literal reference, or null for a
// conditional ("Type?query"), contained, urn or absent reference: those do
// not name a resource on this server and cannot be matched by id.
export function parseReference(ref) {
  if (typeof ref !== 'string') return null;
  const m = literalRef.exec(ref);
  return m ? { type: m[1], id: m[2] } : null;
}

export class Dataset {
  constructor(dir) {
    this.byType = new Map(); // type -> Map(id -> resource)
    for (const name of fs.readdirSync(dir).sort()) {
      if (!name.endsWith('.ndjson')) continue;
      const text = fs.readFileSync(path.join(dir, name), 'utf8');
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        const res = JSON.parse(line);
        if (!this.byType.has(res.resourceType)) this.byType.set(res.resourceType, new Map());
        this.byType.get(res.resourceType).set(res.id, res);
      }
    }
  }
  types() { return [...this.byType.keys()].sort(); }
  resources(type) { return [...(this.byType.get(type) || new Map()).values()]; }
  get(type, id) { return this.byType.get(type)?.get(id); }
}

// Wraps a stand-in resource as a fhirpath node so that `resolve() is Patient`
// works: fhirpath.js resolves references over HTTP only, and search
// parameters use resolve() purely to test the target's type.
const self = fhirpath.compile('$this', r4, { resolveInternalTypes: false });

export class SearchDefs {
  constructor(bundlePath) {
    const bundle = JSON.parse(fs.readFileSync(bundlePath, 'utf8'));
    this.params = new Map(); // `${base}.${code}` -> def
    for (const e of bundle.entry) {
      const sp = e.resource;
      if (sp.resourceType !== 'SearchParameter') continue;
      for (const base of sp.base) {
        this.params.set(`${base}.${sp.code}`, {
          code: sp.code, type: sp.type, expression: sp.expression, target: sp.target || [],
          component: sp.component || [], url: sp.url,
        });
      }
    }
  }
  lookup(type, code) {
    return this.params.get(`${type}.${code}`) || this.params.get(`DomainResource.${code}`) || this.params.get(`Resource.${code}`);
  }
  byUrl(url) {
    for (const d of this.params.values()) if (d.url === url) return d;
    return undefined;
  }
  codes(type) {
    const out = new Set();
    for (const k of this.params.keys()) {
      const [base, code] = k.split('.');
      if (base === type || base === 'Resource' || base === 'DomainResource') out.add(code);
    }
    return [...out].sort();
  }
}

// Extractor evaluates SearchParameter expressions and caches, per resource
// type and parameter, the typed values of every resource.
export class Extractor {
  constructor(data, defs) {
    this.data = data;
    this.defs = defs;
    this.cache = new Map();
    const table = {
      resolve: {
        fn: (inputs) => {
          const out = [];
          for (const it of inputs) {
            const v = fhirpath.util.valData(it);
            const ref = parseReference(v && v.reference);
            if (!ref) continue;
            out.push(...self(data.get(ref.type, ref.id) || { resourceType: ref.type, id: ref.id }));
          }
          return out;
        },
        arity: { 0: [] },
      },
    };
    this.options = { resolveInternalTypes: false, userInvocationTable: table };
    this.compiled = new Map();
  }

  compile(expression) {
    let f = this.compiled.get(expression);
    if (!f) {
      f = fhirpath.compile(expression, r4, this.options);
      this.compiled.set(expression, f);
    }
    return f;
  }

  // values(type, code) -> Map(id -> [{type: 'FHIR.Coding', value}...]).
  values(type, code) {
    const key = `${type}.${code}`;
    let m = this.cache.get(key);
    if (m) return m;
    const def = this.defs.lookup(type, code);
    if (!def || !def.expression) throw new Error(`no expression for ${key}`);
    m = this.evaluate(type, def.expression);
    this.cache.set(key, m);
    return m;
  }

  evaluate(type, expression) {
    const f = this.compile(expression);
    const m = new Map();
    for (const res of this.data.resources(type)) {
      const raw = f(res);
      const types = fhirpath.types(raw);
      const vals = fhirpath.resolveInternalTypes(raw);
      const list = [];
      for (let i = 0; i < vals.length; i++) {
        if (vals[i] === null || vals[i] === undefined) continue;
        list.push({ type: types[i], value: vals[i] });
      }
      m.set(res.id, list);
    }
    return m;
  }
}
