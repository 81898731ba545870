#!/usr/bin/env node
// search-oracle: the expected answers of FHIR R4 searches over an NDJSON
// folder, computed independently of Housecall's Go search: every
// SearchParameter expression is evaluated with fhirpath.js (R4 model) and the
// matching rules of https://hl7.org/fhir/R4/search.html are applied here.
//
// Usage:
//   node oracle.mjs --data DIR --defs Bundle-searchParams.json [--seed N]
//        [--queries FILE|-] [--out FILE]
// Without --queries a deterministic (seeded) query list is generated from
// the data. With --queries, FILE (or stdin) holds
// [{"type": "Patient", "query": "name=smi"}...].
// Output: {"seed", "count", "dropped", "queries": [{category, type, query,
// matches: [ids], includes: ["Type/id"]}]} with sorted ids.
import fs from 'node:fs';
import { Dataset, SearchDefs, Extractor } from './lib/data.mjs';
import { Searcher } from './lib/search.mjs';
import { Generator } from './lib/generate.mjs';
import './lib/combos.mjs';

function args(argv) {
  const out = { seed: 20240601 };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    switch (k) {
      case '--data': out.data = v; i++; break;
      case '--defs': out.defs = v; i++; break;
      case '--seed': out.seed = Number(v); i++; break;
      case '--queries': out.queries = v; i++; break;
      case '--out': out.out = v; i++; break;
      default: throw new Error(`unknown argument ${k}`);
    }
  }
  if (!out.data || !out.defs) throw new Error('usage: oracle.mjs --data DIR --defs Bundle-searchParams.json [--seed N] [--queries FILE|-] [--out FILE]');
  return out;
}

function main() {
  const opt = args(process.argv);
  const data = new Dataset(opt.data);
  const defs = new SearchDefs(opt.defs);
  const ex = new Extractor(data, defs);
  const searcher = new Searcher(data, defs, ex);
  let result;
  if (opt.queries) {
    const list = JSON.parse(fs.readFileSync(opt.queries === '-' ? 0 : opt.queries, 'utf8'));
    const queries = list.map((q) => ({ category: q.category || 'given', type: q.type, query: q.query, ...searcher.run(q.type, q.query) }));
    result = { seed: null, count: queries.length, dropped: 0, queries };
  } else {
    const gen = new Generator(data, defs, ex, searcher, opt.seed);
    const queries = gen.generate();
    result = { seed: opt.seed, count: queries.length, dropped: gen.dropped, queries };
  }
  const text = JSON.stringify(result, null, 1) + '\n';
  if (opt.out) fs.writeFileSync(opt.out, text);
  else process.stdout.write(text);
}

try {
  main();
} catch (err) {
  process.stderr.write(`search-oracle: ${err.stack || err}\n`);
  process.exit(1);
}
