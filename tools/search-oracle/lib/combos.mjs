// Generated queries that combine parameters: AND lists, chains (one and two
// hops), _has (also nested), _include, _include:iterate and _revinclude.
import * as V from './values.mjs';
import { Generator, enc } from './generate.mjs';

const G = Generator.prototype;

// codeOf picks a real "system|code" token of a CodeableConcept/Coding parameter.
G.tokenOf = function tokenOf(type, code, withSystem = true) {
  const entries = this.values(type, code).flatMap(({ v }) => V.tokenEntries(v)).filter((e) => e.code !== undefined);
  if (!entries.length) return 'none';
  const e = this.pick(entries);
  return withSystem && e.system ? `${enc(e.system)}|${enc(e.code)}` : enc(e.code);
};

// prefixOf picks a starts-with value of a string parameter.
G.prefixOf = function prefixOf(type, code) {
  const parts = this.values(type, code).flatMap(({ v }) => V.stringParts(v)).filter((p) => /^[A-Za-z]{3}/.test(p));
  const p = this.pick(parts);
  return enc(p.slice(0, this.int(3, Math.min(8, p.length))));
};

G.yearOf = function yearOf(type, code) {
  const r = this.pick(this.values(type, code).flatMap(({ v }) => V.targetRanges(v, 0)).filter((x) => Number.isFinite(x.low)));
  return new Date(r.low).toISOString().slice(0, 4);
};

G.ands = function ands() {
  for (let i = 0; i < 4; i++) {
    this.add('AND', 'Condition', `clinical-status=${this.tokenOf('Condition', 'clinical-status', false)}&code=${this.tokenOf('Condition', 'code')}`);
    this.add('AND', 'Encounter', `class=${this.tokenOf('Encounter', 'class', false)}&date=ge${this.yearOf('Encounter', 'date')}`);
    this.add('AND', 'MedicationRequest', `status=${this.tokenOf('MedicationRequest', 'status')}&authoredon=lt${this.yearOf('MedicationRequest', 'authoredon')}`);
    this.add('AND', 'Procedure', `code=${this.tokenOf('Procedure', 'code')}&date=ge${this.yearOf('Procedure', 'date')}&status=completed`);
    this.add('AND same param', 'Patient', `given=${this.prefixOf('Patient', 'given')}&given=${this.prefixOf('Patient', 'given')}`);
    this.add('AND', 'Immunization', `vaccine-code=${this.tokenOf('Immunization', 'vaccine-code', false)}&date=le${this.yearOf('Immunization', 'date')}`);
    this.add('AND', 'DocumentReference', `type=${this.tokenOf('DocumentReference', 'type')}&date=ge${this.yearOf('DocumentReference', 'date')}`);
    this.add('AND _id', 'Patient', `_id=${this.pickId('Patient')},${this.pickId('Patient')}&gender=female`);
  }
};

G.pickId = function pickId(type) { return enc(this.pick(this.data.resources(type)).id); };

G.chains = function chains() {
  for (let i = 0; i < 3; i++) {
    this.add('chain', 'Encounter', `subject.name=${this.prefixOf('Patient', 'name')}`);
    this.add('chain', 'Encounter', `patient.family=${this.prefixOf('Patient', 'family')}`);
    this.add('chain :Type', 'Condition', `subject:Patient.birthdate=le${this.yearOf('Patient', 'birthdate')}`);
    this.add('chain token', 'Procedure', `patient.gender=${this.pick(['male', 'female'])}`);
    this.add('chain token', 'MedicationRequest', `encounter.type=${this.tokenOf('Encounter', 'type')}`);
    this.add('chain date', 'Condition', `encounter.date=ge${this.yearOf('Encounter', 'date')}`);
    this.add('chain', 'Device', `patient.birthdate=ge${this.yearOf('Patient', 'birthdate')}`);
    this.add('chain', 'DocumentReference', `subject:Patient.address-city=${this.prefixOf('Patient', 'address-city')}`);
    this.add('chain reference', 'Procedure', `reason-reference:Condition.code=${this.tokenOf('Condition', 'code')}`);
    this.add('chain _id', 'Encounter', `subject._id=${this.pickId('Patient')}`);
    // two hops
    this.add('chain 2 hops', 'Condition', `encounter.subject:Patient.name=${this.prefixOf('Patient', 'name')}`);
    this.add('chain 2 hops', 'Procedure', `reason-reference:Condition.encounter.type=${this.tokenOf('Encounter', 'type')}`);
    this.add('chain 2 hops', 'Procedure', `reason-reference:Condition.subject:Patient.gender=${this.pick(['male', 'female'])}`);
    this.add('chain 2 hops', 'DocumentReference', `encounter.patient.birthdate=ge${this.yearOf('Patient', 'birthdate')}`);
    // a chain through references that only name their target by a
    // conditional query: they resolve to nothing
    this.add('chain unresolvable', 'Encounter', `service-provider.name=${this.prefixOf('Organization', 'name')}`);
  }
};

G.hases = function hases() {
  for (let i = 0; i < 3; i++) {
    this.add('_has', 'Patient', `_has:Condition:patient:code=${this.tokenOf('Condition', 'code')}`);
    this.add('_has', 'Patient', `_has:Encounter:subject:class=${this.tokenOf('Encounter', 'class', false)}`);
    this.add('_has', 'Encounter', `_has:Condition:encounter:code=${this.tokenOf('Condition', 'code', false)}`);
    this.add('_has', 'Encounter', `_has:Procedure:encounter:code=${this.tokenOf('Procedure', 'code')}`);
    this.add('_has', 'Condition', `_has:Procedure:reason-reference:code=${this.tokenOf('Procedure', 'code')}`);
    this.add('_has date', 'Patient', `_has:Immunization:patient:date=ge${this.yearOf('Immunization', 'date')}`);
    this.add('_has nested', 'Patient', `_has:Encounter:patient:_has:Condition:encounter:code=${this.tokenOf('Condition', 'code')}`);
    this.add('_has + param', 'Patient', `gender=${this.pick(['male', 'female'])}&_has:MedicationRequest:subject:code=${this.tokenOf('MedicationRequest', 'code')}`);
  }
};

G.includes = function includes() {
  for (let i = 0; i < 3; i++) {
    this.add('_include', 'Encounter', `type=${this.tokenOf('Encounter', 'type')}&_include=Encounter:patient`);
    this.add('_include', 'Condition', `code=${this.tokenOf('Condition', 'code')}&_include=Condition:encounter`);
    this.add('_include :type', 'Condition', `code=${this.tokenOf('Condition', 'code')}&_include=Condition:subject:Patient`);
    this.add('_include x2', 'Procedure', `code=${this.tokenOf('Procedure', 'code')}&_include=Procedure:reason-reference&_include=Procedure:patient`);
    this.add('_include:iterate', 'Procedure', `code=${this.tokenOf('Procedure', 'code')}&_include=Procedure:reason-reference&_include:iterate=Condition:encounter`);
    this.add('_include', 'MedicationRequest', `code=${this.tokenOf('MedicationRequest', 'code')}&_include=MedicationRequest:encounter`);
    this.add('_include unresolvable', 'Encounter', `class=${this.tokenOf('Encounter', 'class', false)}&_include=Encounter:service-provider`);
    this.add('_revinclude', 'Patient', `_id=${this.pickId('Patient')}&_revinclude=Condition:subject`);
    this.add('_revinclude', 'Encounter', `type=${this.tokenOf('Encounter', 'type')}&_revinclude=Condition:encounter`);
    this.add('_revinclude', 'Condition', `code=${this.tokenOf('Condition', 'code')}&_revinclude=Procedure:reason-reference`);
    this.add('_include+_revinclude', 'Encounter', `date=ge${this.yearOf('Encounter', 'date')}&class=${this.tokenOf('Encounter', 'class', false)}&_include=Encounter:subject&_revinclude=Procedure:encounter`);
  }
};
