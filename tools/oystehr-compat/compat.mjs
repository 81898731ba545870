// compat.mjs — drives Housecall with @oystehr/sdk exactly as an app built on
// it would: FHIR interactions through oystehr.fhir, then a meeting for an
// existing Encounter through oystehr.telemed. Prints one JSON line
// {ok, error, sdkVersion, steps, result}; exits 1 on the first failure.
//
// Env: HOUSECALL_URL (server base, no trailing slash), TOKEN (a
// practitioner's access token), PATIENT (Patient id), PRACTITIONER
// (Practitioner id, the token's fhirUser).
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import Oystehr from '@oystehr/sdk';

const VIRTUAL_SERVICE = 'https://extensions.fhir.zapehr.com/encounter-virtual-service-pre-release';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`env ${name} is not set`);
  return v;
};

const report = { ok: false, error: '', sdkVersion: '', steps: [], result: {} };
const started = Date.now();

function finish(code) {
  report.ms = Date.now() - started;
  process.stdout.write(JSON.stringify(report) + '\n');
  process.exit(code);
}

// step runs fn, records its outcome (and the details it returns), and stops
// the run on failure.
async function step(name, fn) {
  try {
    const detail = (await fn()) ?? {};
    report.steps.push({ step: name, ok: true, ...detail });
    return detail;
  } catch (err) {
    const entry = { step: name, ok: false, error: describe(err) };
    if (err?.code !== undefined) entry.code = err.code;
    report.steps.push(entry);
    report.error = `${name}: ${entry.error}`;
    finish(1);
  }
}

// describe keeps an error's message and, for FHIR errors, the
// OperationOutcome's diagnostics (the SDK keeps only details.text).
function describe(err) {
  if (!err) return String(err);
  const diags = (err.cause?.issue ?? []).map((i) => i.diagnostics || i.details?.text).filter(Boolean);
  return [err.message || String(err), ...diags].filter(Boolean).join(' | ');
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

// expectError runs fn, which must fail with the SDK error code status.
async function expectError(fn, status) {
  try {
    await fn();
  } catch (err) {
    check(err?.code === status, `error code ${err?.code} (${describe(err)}), want ${status}`);
    return err;
  }
  throw new Error(`the call succeeded; want error ${status}`);
}

function meetingOf(encounter) {
  const vs = (encounter?.extension ?? []).find((x) => x.url === VIRTUAL_SERVICE);
  const sub = (url) => vs?.extension?.find((x) => x.url === url);
  return {
    present: !!vs,
    addressString: sub('addressString')?.valueString ?? '',
    channel: sub('channelType')?.valueCoding?.code ?? '',
  };
}

async function main() {
  const base = env('HOUSECALL_URL');
  const accessToken = env('TOKEN');
  const patientId = env('PATIENT');
  const practitionerId = env('PRACTITIONER');
  const patientRef = `Patient/${patientId}`;
  const practitionerRef = `Practitioner/${practitionerId}`;
  report.sdkVersion = JSON.parse(
    readFileSync(new URL('./node_modules/@oystehr/sdk/package.json', import.meta.url), 'utf8'),
  ).version;

  // The SDK's default retry policy, as apps run it: the Go test's proxy
  // flags a retry (a repeated x-oystehr-request-id) and any 5xx.
  const oystehr = new Oystehr({ accessToken, projectApiUrl: base + '/v1', fhirApiUrl: base + '/fhir/r4' });
  const r = report.result;

  // The app books the visit: an Encounter with the practitioner, and the
  // virtual-service extension without an address yet (Oystehr's pattern).
  const created = await step('fhir.create Encounter', async () => {
    const enc = await oystehr.fhir.create({
      resourceType: 'Encounter',
      status: 'planned',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'VR', display: 'virtual' },
      subject: { reference: patientRef },
      participant: [{ individual: { reference: practitionerRef, display: 'Dr Compat' } }],
      extension: [
        {
          url: VIRTUAL_SERVICE,
          extension: [
            {
              url: 'channelType',
              valueCoding: { system: 'https://fhir.zapehr.com/virtual-service-type', code: 'chime-video-meetings' },
            },
          ],
        },
      ],
    });
    check(typeof enc?.id === 'string' && enc.id !== '', 'the created Encounter has an id');
    check(enc.meta?.versionId === '1', `versionId ${enc.meta?.versionId}, want 1`);
    return { id: enc.id, versionId: enc.meta.versionId, encounter: enc };
  });
  const encounterId = created.id;
  delete created.encounter; // keep the report small
  r.encounterId = encounterId;

  await step('fhir.search Encounter (POST _search, repeated names)', async () => {
    const bundle = await oystehr.fhir.search({
      resourceType: 'Encounter',
      params: [
        { name: 'subject', value: patientRef },
        { name: 'participant', value: practitionerRef },
        { name: 'status', value: 'planned,arrived' },
        { name: 'status', value: 'planned' },
        { name: '_count', value: 10 },
      ],
    });
    check(bundle.resourceType === 'Bundle' && bundle.type === 'searchset', 'a searchset Bundle');
    const ids = bundle.unbundle().filter((x) => x.resourceType === 'Encounter').map((x) => x.id);
    check(ids.length === 1 && ids[0] === encounterId, `ids ${JSON.stringify(ids)}, want [${encounterId}]`);
    r.searchIds = ids;
    return { total: bundle.total, ids };
  });

  await step('fhir.search Patient (empty body)', async () => {
    const bundle = await oystehr.fhir.search({ resourceType: 'Patient' });
    const ids = bundle.unbundle().map((x) => x.id);
    check(ids.includes(patientId), `the patient is among ${ids.length} Patients`);
    return { count: ids.length };
  });

  let current = await oystehr.fhir.get({ resourceType: 'Encounter', id: encounterId });

  await step('fhir.update Encounter (If-Match)', async () => {
    const updated = await oystehr.fhir.update(
      { ...current, priority: { text: 'routine' } },
      { optimisticLockingVersionId: current.meta.versionId },
    );
    check(updated.meta?.versionId === '2', `versionId ${updated.meta?.versionId}, want 2`);
    check(updated.priority?.text === 'routine', 'the update was stored');
    current = updated;
    return { versionId: updated.meta.versionId };
  });

  await step('fhir.update with a stale version (412)', async () => {
    const err = await expectError(
      () => oystehr.fhir.update({ ...current, priority: { text: 'stale' } }, { optimisticLockingVersionId: '1' }),
      412,
    );
    return { code: err.code };
  });

  await step('fhir.patch Encounter (JSON Patch)', async () => {
    const patched = await oystehr.fhir.patch({
      resourceType: 'Encounter',
      id: encounterId,
      operations: [
        { op: 'test', path: '/status', value: 'planned' },
        { op: 'add', path: '/serviceType', value: { text: 'Video visit' } },
      ],
    });
    check(patched.meta?.versionId === '3', `versionId ${patched.meta?.versionId}, want 3`);
    check(patched.serviceType?.text === 'Video visit', 'the patch was applied');
    current = patched;
    return { versionId: patched.meta.versionId };
  });

  await step('fhir.patch with a failing test (422)', async () => {
    const err = await expectError(
      () =>
        oystehr.fhir.patch({
          resourceType: 'Encounter',
          id: encounterId,
          operations: [{ op: 'test', path: '/status', value: 'finished' }],
        }),
      422,
    );
    return { code: err.code };
  });

  // A transaction: a new Condition (urn:uuid fullUrl), a Procedure that
  // points at it and at the visit, and a PATCH of the Encounter (the SDK
  // wraps the JSON Patch in a Binary).
  const tx = await step('fhir.transaction (urn:uuid, Binary PATCH)', async () => {
    const conditionUrn = `urn:uuid:${randomUUID()}`;
    const bundle = await oystehr.fhir.transaction({
      requests: [
        {
          method: 'POST',
          url: '/Condition',
          fullUrl: conditionUrn,
          resource: {
            resourceType: 'Condition',
            subject: { reference: patientRef },
            encounter: { reference: `Encounter/${encounterId}` },
            code: { text: 'Sore throat' },
          },
        },
        {
          method: 'POST',
          url: '/Procedure',
          resource: {
            resourceType: 'Procedure',
            status: 'preparation',
            subject: { reference: patientRef },
            encounter: { reference: `Encounter/${encounterId}` },
            reasonReference: [{ reference: conditionUrn }],
            code: { text: 'Video consultation' },
          },
        },
        {
          method: 'PATCH',
          url: `/Encounter/${encounterId}`,
          operations: [{ op: 'add', path: '/reasonCode', value: [{ text: 'Sore throat' }] }],
        },
      ],
    });
    check(bundle.resourceType === 'Bundle' && bundle.type === 'transaction-response', `type ${bundle.type}`);
    const entries = bundle.entry ?? [];
    check(entries.length === 3, `${entries.length} entries, want 3`);
    const statuses = entries.map((e) => e.response?.status ?? '');
    check(statuses[0].startsWith('201') && statuses[1].startsWith('201'), `statuses ${statuses}`);
    check(statuses[2].startsWith('200'), `PATCH status ${statuses[2]}`);
    const loc = (i) => (entries[i].response?.location ?? '').replace(/\/_history\/.*$/, '').replace(/^.*?(\w+\/[^/]+)$/, '$1');
    const conditionRef = loc(0);
    const procedureRef = loc(1);
    check(conditionRef.startsWith('Condition/'), `Condition location ${entries[0].response?.location}`);
    check(procedureRef.startsWith('Procedure/'), `Procedure location ${entries[1].response?.location}`);
    return { statuses, conditionRef, procedureRef };
  });
  r.conditionRef = tx.conditionRef;

  await step('fhir.get after the transaction', async () => {
    const proc = await oystehr.fhir.get({ resourceType: 'Procedure', id: tx.procedureRef.split('/')[1] });
    const reason = proc.reasonReference?.[0]?.reference;
    check(reason === tx.conditionRef, `Procedure.reasonReference ${reason}, want ${tx.conditionRef}`);
    current = await oystehr.fhir.get({ resourceType: 'Encounter', id: encounterId });
    check(current.reasonCode?.[0]?.text === 'Sore throat', 'the Binary PATCH was applied');
    check(current.meta?.versionId === '4', `versionId ${current.meta?.versionId}, want 4`);
    return { reasonReference: reason, versionId: current.meta.versionId };
  });

  await step('fhir.history Encounter', async () => {
    const all = await oystehr.fhir.history({ resourceType: 'Encounter', id: encounterId });
    check(all.type === 'history', `type ${all.type}`);
    const versions = (all.entry ?? []).map((e) => e.resource?.meta?.versionId);
    check(JSON.stringify(versions) === '["4","3","2","1"]', `versions ${JSON.stringify(versions)}`);
    // The SDK asks for _total=accurate: the history of one resource counts
    // its versions.
    r.historyTotal = all.total ?? null;
    check(all.total === 4, `total ${all.total}, want 4`);
    const page = await oystehr.fhir.history({ resourceType: 'Encounter', id: encounterId, count: 2 });
    const pageVersions = (page.entry ?? []).map((e) => e.resource?.meta?.versionId);
    check(JSON.stringify(pageVersions) === '["4","3"]', `first page ${JSON.stringify(pageVersions)}`);
    // With offset too, the SDK's URL template leaves _count padded with
    // spaces ("_count=2%20%20…&_offset=2"); _offset skips the newest versions.
    const offsetPage = await oystehr.fhir.history({ resourceType: 'Encounter', id: encounterId, count: 2, offset: 2 });
    r.historyOffsetVersions = (offsetPage.entry ?? []).map((e) => e.resource?.meta?.versionId);
    check(JSON.stringify(r.historyOffsetVersions) === '["2","1"]', `offset page ${JSON.stringify(r.historyOffsetVersions)}`);
    const v2 = await oystehr.fhir.history({ resourceType: 'Encounter', id: encounterId, versionId: '2' });
    check(v2.meta?.versionId === '2' && v2.priority?.text === 'routine', 'vread of version 2');
    return { versions, pageVersions, total: all.total ?? null };
  });

  // The meeting for the existing Encounter: it must be updated, not
  // duplicated.
  const meeting = await step('telemed.createMeeting (existing Encounter)', async () => {
    const res = await oystehr.telemed.createMeeting({ encounter: current });
    const enc = res?.encounter;
    check(enc?.id === encounterId, `answer's Encounter id ${enc?.id}, want ${encounterId}`);
    const m = meetingOf(enc);
    check(m.addressString !== '', 'addressString is set');
    const vsCount = (enc.extension ?? []).filter((x) => x.url === VIRTUAL_SERVICE).length;
    check(vsCount === 1, `${vsCount} virtual-service extensions, want 1`);
    return { meetingId: m.addressString, channel: m.channel, versionId: enc.meta?.versionId };
  });
  r.meetingId = meeting.meetingId;

  await step('no second Encounter', async () => {
    const bundle = await oystehr.fhir.search({ resourceType: 'Encounter', params: [{ name: 'subject', value: patientRef }] });
    const ids = bundle.unbundle().map((x) => x.id);
    check(ids.length === 1 && ids[0] === encounterId, `Encounters of the patient ${JSON.stringify(ids)}`);
    return { ids };
  });

  await step('telemed.joinMeeting', async () => {
    const res = await oystehr.telemed.joinMeeting({ encounterId });
    check(res?.Meeting?.MeetingId === meeting.meetingId, `MeetingId ${res?.Meeting?.MeetingId}, want ${meeting.meetingId}`);
    check(typeof res?.Attendee?.JoinToken === 'string' && res.Attendee.JoinToken.split('.').length === 3, 'a JoinToken (JWT)');
    check(!!res.Attendee.AttendeeId, 'an AttendeeId');
    r.join = {
      meetingId: res.Meeting.MeetingId,
      externalMeetingId: res.Meeting.ExternalMeetingId,
      mediaRegion: res.Meeting.MediaRegion,
      signalingUrl: res.Meeting.MediaPlacement?.SignalingUrl ?? '',
      attendeeId: res.Attendee.AttendeeId,
      externalUserId: res.Attendee.ExternalUserId,
      joinTokenParts: res.Attendee.JoinToken.split('.').length,
    };
    return { externalUserId: res.Attendee.ExternalUserId };
  });

  await step('fhir.get Encounter (virtual-service extension)', async () => {
    const enc = await oystehr.fhir.get({ resourceType: 'Encounter', id: encounterId });
    const m = meetingOf(enc);
    check(m.addressString === meeting.meetingId, `addressString ${m.addressString}, want ${meeting.meetingId}`);
    check(m.channel !== '', 'channelType is set');
    r.readBack = { addressString: m.addressString, channel: m.channel, status: enc.status, versionId: enc.meta?.versionId };
    return {};
  });

  // @oystehr/sdk 4.2.6 has no endMeeting: call Housecall's end endpoint.
  await step('end meeting', async () => {
    const sdkEnd = typeof oystehr.telemed.endMeeting === 'function';
    r.sdkHasEndMeeting = sdkEnd;
    let enc;
    if (sdkEnd) {
      enc = (await oystehr.telemed.endMeeting({ encounterId }))?.encounter;
    } else {
      const res = await fetch(`${base}/v1/telemed/v2/meeting/${encodeURIComponent(encounterId)}/end`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: '{}',
      });
      const body = await res.json().catch(() => null);
      check(res.status === 200, `status ${res.status}: ${body?.message ?? ''}`);
      enc = body?.encounter;
    }
    check(enc?.status === 'finished', `status ${enc?.status}, want finished`);
    const after = await oystehr.fhir.get({ resourceType: 'Encounter', id: encounterId });
    check(after.status === 'finished', `stored status ${after.status}`);
    r.endedStatus = after.status;
    return { via: sdkEnd ? 'sdk' : 'fetch' };
  });

  await step('telemed.joinMeeting after the end (410)', async () => {
    const err = await expectError(() => oystehr.telemed.joinMeeting({ encounterId }), 410);
    return { code: err.code };
  });

  await step('fhir.delete Procedure', async () => {
    const id = tx.procedureRef.split('/')[1];
    await oystehr.fhir.delete({ resourceType: 'Procedure', id });
    await expectError(() => oystehr.fhir.get({ resourceType: 'Procedure', id }), 410);
    return {};
  });

  report.ok = true;
  finish(0);
}

main().catch((err) => {
  report.error = describe(err);
  finish(1);
});
