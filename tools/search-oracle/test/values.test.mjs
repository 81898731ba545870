// Hand-checked cases from https://hl7.org/fhir/R4/search.html for the
// oracle's own matching rules (run: npm test --prefix tools/search-oracle).
import test from 'node:test';
import assert from 'node:assert/strict';
import * as V from '../lib/values.mjs';
import { parseQuery, splitOr } from '../lib/search.mjs';

const opts = { tzMinutes: 0, apWidth: 0.1, textMode: 'starts', now: Date.UTC(2025, 0, 1) };
const dt = (s) => ({ type: 'FHIR.dateTime', value: s });
const period = (start, end) => ({ type: 'FHIR.Period', value: { start, end } });

test('date ranges follow the precision of the value', () => {
  assert.deepEqual(V.dateRange('2013'), { low: Date.UTC(2013, 0, 1), high: Date.UTC(2014, 0, 1) - 1 });
  assert.deepEqual(V.dateRange('2013-02'), { low: Date.UTC(2013, 1, 1), high: Date.UTC(2013, 2, 1) - 1 });
  assert.deepEqual(V.dateRange('2013-01-14T10:00:00-05:00'), { low: Date.UTC(2013, 0, 14, 15), high: Date.UTC(2013, 0, 14, 15) + 999 });
  assert.deepEqual(V.dateRange('2013-01-14T10:00:00.5Z'), { low: Date.UTC(2013, 0, 14, 10, 0, 0, 500), high: Date.UTC(2013, 0, 14, 10, 0, 0, 599) });
});

test('date prefixes', () => {
  const cases = [
    // [target, search, expected]
    [dt('2013-03-14T10:00:00Z'), '2013-03-14', true], // eq: search contains target
    [dt('2013-03-14T10:00:00Z'), '2013-03', true],
    [dt('2013-03-14'), '2013-03-14T10:00:00Z', false], // a day is not inside a second
    [dt('2013-03-14'), 'ne2013-03-14T10:00:00Z', true],
    [dt('2013-03-14T10:00:00Z'), 'gt2013-03-14', false],
    [dt('2013-03-15T00:00:00Z'), 'gt2013-03-14', true],
    [dt('2013-03-14T10:00:00Z'), 'ge2013-03-14', true],
    [dt('2013-03-13T23:59:59Z'), 'ge2013-03-14', false],
    [dt('2013-03-13T23:59:59Z'), 'lt2013-03-14', true],
    [dt('2013-03-14T00:00:00Z'), 'le2013-03-14', true],
    [dt('2013-03-15T00:00:00Z'), 'le2013-03-14', false],
    [dt('2013-03-15T00:00:00Z'), 'sa2013-03-14', true],
    [dt('2013-03-14T23:00:00Z'), 'sa2013-03-14', false],
    [dt('2013-03-13T23:00:00Z'), 'eb2013-03-14', true],
    // a Period from 21-Jan 2013 onwards is included by ge2013-03-14 (spec example)
    [period('2013-01-21', undefined), 'ge2013-03-14', true],
    [period('2013-01-21', undefined), 'lt2013-03-14', true],
    [period('2013-01-21', '2013-02-01'), 'ge2013-03-14', false],
    // a period overlapping the start of the searched day only from below
    [period('2013-03-13T23:00:00Z', '2013-03-14T01:00:00Z'), 'ge2013-03-14', false],
    [period('2013-03-13T23:00:00Z', '2013-03-14T01:00:00Z'), 'le2013-03-14', true],
    [period('2013-03-13T23:00:00Z', '2013-03-14T01:00:00Z'), 'ap2013-03-14', true],
  ];
  for (const [target, search, want] of cases) {
    assert.equal(V.matchDate([target], search, opts), want, `${JSON.stringify(target.value)} ${search}`);
  }
});

test('strings: starts-with, case and accent insensitive; :exact; :contains', () => {
  const name = { type: 'FHIR.HumanName', value: { family: 'Zoë', given: ['Ada'], prefix: ['Mrs.'] } };
  const parts = V.stringParts(name);
  assert.ok(V.matchString(parts, 'zoe', ''));
  assert.ok(V.matchString(parts, 'ZO', ''));
  assert.ok(V.matchString(parts, 'mrs', ''));
  assert.ok(!V.matchString(parts, 'oe', ''));
  assert.ok(V.matchString(parts, 'oe', 'contains'));
  assert.ok(V.matchString(parts, 'Zoë', 'exact'));
  assert.ok(!V.matchString(parts, 'Zoe', 'exact'));
  assert.ok(!V.matchString(parts, 'zoë', 'exact'));
});

test('tokens', () => {
  const cc = { type: 'FHIR.CodeableConcept', value: { coding: [{ system: 'http://snomed.info/sct', code: '123', display: 'Sepsis' }], text: 'Blood infection' } };
  const e = V.tokenEntries(cc);
  const any = (q) => e.some((x) => V.matchTokenEntry(x, q));
  assert.ok(any('123'));
  assert.ok(any('http://snomed.info/sct|123'));
  assert.ok(any('http://snomed.info/sct|'));
  assert.ok(!any('|123'));
  assert.ok(!any('http://loinc.org|123'));
  assert.ok(e.some((x) => V.matchTokenText(x, 'blood', 'starts')));
  assert.ok(e.some((x) => V.matchTokenText(x, 'seps', 'starts')));
  assert.ok(!e.some((x) => V.matchTokenText(x, 'infection', 'starts')));
  const noSystem = V.tokenEntries({ type: 'FHIR.Coding', value: { code: 'x' } });
  assert.ok(V.matchTokenEntry(noSystem[0], '|x'));
  assert.ok(V.matchTokenEntry(V.tokenEntries({ type: 'System.Boolean', value: false })[0], 'false'));
});

test('references', () => {
  const ref = [{ type: 'FHIR.Reference', value: { reference: 'Patient/p1' } }];
  assert.ok(V.matchReference(ref, 'p1', ''));
  assert.ok(V.matchReference(ref, 'Patient/p1', ''));
  assert.ok(V.matchReference(ref, 'p1', 'Patient'));
  assert.ok(!V.matchReference(ref, 'p1', 'Group'));
  assert.ok(!V.matchReference(ref, 'Group/p1', ''));
  const conditional = [{ type: 'FHIR.Reference', value: { reference: 'Practitioner?identifier=x|1' } }];
  assert.deepEqual(V.referenceTargets(conditional), []);
});

test('query syntax', () => {
  assert.deepEqual(parseQuery('name=a%20b&given:exact=X+Y'), [{ name: 'name', value: 'a b' }, { name: 'given:exact', value: 'X Y' }]);
  assert.deepEqual(splitOr('a,b\\,c'), ['a', 'b\\,c']);
  assert.equal(V.unescape('b\\,c'), 'b,c');
  assert.deepEqual(V.splitToken('a\\|b|c'), { hasBar: true, system: 'a|b', code: 'c' });
});
