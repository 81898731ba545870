// Browser end-to-end test of a whole video visit in the web app, driven by
// playwright-core in headless Chromium with a fake camera and microphone.
// Run by internal/e2e/webapp (go test); prints one JSON line and exits 1
// on failure. Every step leaves a screenshot.
//
//  1. The provider (1280×800) signs in on the server's page (password,
//     then a TOTP code computed here), opens "New visit", picks the
//     patient, "Create visit", reads the "Visit link".
//  2. The patient opens the link: greeting, device check, intake, consent,
//     waiting room. Measured: link → waiting room, and the JavaScript the
//     patient downloaded (compressed bytes on the wire).
//  3. The provider sees "<name> is waiting" (measured from the check-in
//     request) and admits; both decode each other's video (inbound-rtp
//     stats and the remote <video> elements).
//  4. A guest joins from a guest link, waits, is admitted, decodes video.
//  5. The provider charts a diagnosis and a prescription; the Go side
//     checks them through FHIR (CONTROL); "End visit for everyone"; the
//     patient's "Visit summary" lists both.
//  6. A second visit for the patient on a 390×844 phone, to the waiting room.
//
// Environment (secrets only here, never in argv or the report):
//   BASE             the server (issuer) URL
//   PROVIDER_EMAIL, PROVIDER_PASSWORD, TOTP_SECRET   the provider's account
//   PATIENT_NAME     as the app shows it ("Ada Okafor"); PATIENT_GIVEN; PATIENT_SEARCH (typed in "Patient")
//   INTAKE           JSON file: the intake Questionnaire's items
//   CONTROL          the Go test's control server (GET /chart?encounter=ID)
//   DIAGNOSIS, DIAGNOSIS_CODE, MEDICATION, REASON, GUEST_NAME   what is typed
//   SCREENSHOTS      folder for PNGs (optional)
//   CHROMIUM         browser binary (default /usr/bin/chromium)
//   STEP_TIMEOUT_MS  how long one step may wait (default 25000)
//   DEADLINE_MS      report and exit after this long (default: no limit)
import { readFile } from "node:fs/promises";
import { bare, launch, person, shooter } from "./lib/browser.mjs";
import { waitForVideo } from "./lib/media.mjs";
import { admitGuest, closeDialog, createVisit, deviceCheck, patientToWaitingRoom, saveChartEntry, signIn, waitValue, watchNotice } from "./lib/steps.mjs";
import { button, fill, heading, named } from "./lib/ui.mjs";

const env = process.env;
const started = Date.now();
const report = { ok: false, steps: [], console: [], metrics: {}, results: {} };
let step = "setup";

function need(name) {
  if (!env[name]) throw new Error(`${name} is not set`);
  return env[name];
}

/** Asks the Go side what FHIR holds for the visit's chart, until both entries are there. */
async function chartAsGoSeesIt(control, encounterId) {
  let last;
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`${control}/chart?encounter=${encodeURIComponent(encounterId)}`);
    last = await res.json().catch(() => ({ error: `control answered ${res.status}` }));
    if (res.ok && last.conditions?.length && last.medicationRequests?.length) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`FHIR does not hold the charted diagnosis and prescription for the visit: ${JSON.stringify(last)}`);
}

async function main() {
  const base = need("BASE").replace(/\/$/, "");
  const creds = { email: need("PROVIDER_EMAIL"), password: need("PROVIDER_PASSWORD"), totpSecret: need("TOTP_SECRET") };
  const patient = { name: need("PATIENT_NAME"), given: need("PATIENT_GIVEN"), search: need("PATIENT_SEARCH") };
  const intake = JSON.parse(await readFile(need("INTAKE"), "utf8"));
  const control = need("CONTROL").replace(/\/$/, "");
  const data = { diagnosis: need("DIAGNOSIS"), code: need("DIAGNOSIS_CODE"), medication: need("MEDICATION"), reason: need("REASON"), guest: need("GUEST_NAME") };
  const stepTimeout = Number(env.STEP_TIMEOUT_MS || 25000);
  const shot = shooter(report, env.SCREENSHOTS || "", started);
  const m = report.metrics;
  const r = report.results;

  step = "launch";
  const browser = await launch();
  const people = [];
  const open = async (name, opts) => {
    const p = await person(browser, report, name, { stepTimeout, ...opts });
    people.push(p);
    return p;
  };
  try {
    const prov = await open("provider", { viewport: { width: 1280, height: 800 } });

    step = "provider signs in (password, then TOTP)";
    await signIn(prov, base, creds);
    r.boardURL = bare(prov.page.url());
    await shot(prov, "board");

    step = "provider creates a visit";
    const visit = await createVisit(prov, base, patient);
    r.encounterId = visit.encounterId;
    await shot(prov, "visit-link");
    await closeDialog(prov.page);
    if (await watchNotice(prov.page, patient.name)) throw new Error(`"${patient.name} is waiting" shows before the patient checked in`);

    step = "patient: link → waiting room";
    const pat = await open("patient", { viewport: { width: 1280, height: 800 } });
    const desk = await patientToWaitingRoom(pat, visit.link, { given: patient.given, reason: data.reason, intake, shot });
    m.linkToWaitingRoomMs = desk.ms;
    m.linkToWaitingRoomPhases = desk.phases;
    m.patientJSAtWaitingRoom = await pat.js();
    r.intakeAnswers = desk.answers;

    step = "provider: arrival notice";
    const notice = prov.page.getByRole("status").filter({ hasText: `${patient.name} is waiting` }).first();
    await notice.waitFor({ state: "visible" });
    const seen = (await prov.page.evaluate(() => window.__e2eNotice?.t)) || Date.now();
    m.arrivalToNoticeMs = seen - desk.checkInAt;
    await shot(prov, "arrival-notice");

    step = "provider admits the patient";
    const card = prov.page.getByRole("region", { name: named("Waiting") }).getByRole("article", { name: named(patient.name) });
    await button(card, "Admit").click();
    await prov.page.waitForURL(new RegExp(`/board/visit/${visit.encounterId}(\\b|$)`));

    step = "call: each decodes the other's video";
    const [atProvider, atPatient] = await Promise.all([waitForVideo(prov.page, "the provider"), waitForVideo(pat.page, "the patient")]);
    r.call = { atProvider, atPatient };
    m.patientJS = await pat.js();
    await shot(prov, "in-call");
    await shot(pat, "in-call");

    step = "provider invites a guest";
    await button(prov.page, "Invite guest").click();
    await fill(prov.page, "Guest's name", data.guest);
    await fill(prov.page, "Role", "Interpreter");
    await button(prov.page, "Create link").click();
    const guestLink = await waitValue(prov.page, "Guest link");
    if (!guestLink.startsWith(`${base}/visit/guest#invite=`)) throw new Error(`"Guest link" is not ${base}/visit/guest#invite=…: ${bare(guestLink)}`);
    await shot(prov, "guest-link");
    await closeDialog(prov.page);

    step = "guest: link → waiting room";
    const guest = await open("guest", { viewport: { width: 1024, height: 768 } });
    await guest.page.goto(guestLink);
    await heading(guest.page, "Join a video visit").waitFor();
    await fill(guest.page, "Your name", data.guest);
    await shot(guest, "join");
    await button(guest.page, "Continue").click();
    await deviceCheck(guest, shot);
    await heading(guest.page, "Waiting room").waitFor();
    await shot(guest, "waiting-room");

    step = "provider admits the guest";
    r.guestAdmittedFrom = await admitGuest(prov, data.guest, stepTimeout);

    step = "guest in the call decodes video";
    r.call.atGuest = await waitForVideo(guest.page, "the guest");
    await shot(guest, "in-call");
    await shot(prov, "three-in-call");

    step = "provider charts a diagnosis";
    await saveChartEntry(prov.page, {
      tab: "Diagnoses", add: "Add diagnosis", listed: data.diagnosis,
      fields: [["Diagnosis", data.diagnosis], ["Code", data.code]],
    });
    step = "provider charts a prescription";
    await saveChartEntry(prov.page, {
      tab: "Prescriptions", add: "Add prescription", listed: data.medication,
      fields: [
        ["Medication", data.medication], ["Dose", "500 mg"],
        ["Route", "Oral", { option: /oral|by mouth/i }],
        ["Frequency", "3 times a day", { option: /three times|3 times|\btid\b/i }],
        ["Duration (days)", "7"], ["Quantity", "21"], ["Refills", "0"],
      ],
    });
    await shot(prov, "chart");

    step = "FHIR holds the chart (Go side)";
    r.chart = await chartAsGoSeesIt(control, visit.encounterId);

    step = "provider ends the visit";
    await button(prov.page, "End visit").click();
    const ended = prov.page.waitForResponse((x) => x.request().method() === "POST" && /\/v1\/telemed\/v2\/meeting\/[^/]+\/end$/.test(bare(x.url())));
    await button(prov.page, "End visit for everyone").click();
    const endRes = await ended;
    if (!endRes.ok()) throw new Error(`ending the visit answered ${endRes.status()}: ${(await endRes.text()).slice(0, 200)}`);

    step = "patient: visit summary";
    await heading(pat.page, "Visit summary").waitFor({ timeout: 2 * stepTimeout });
    for (const h of ["Diagnoses", "Prescriptions"]) await heading(pat.page, h).first().waitFor();
    await pat.page.getByText(data.diagnosis).first().waitFor();
    await pat.page.getByText(new RegExp(data.medication.split(" ")[0], "i")).first().waitFor();
    r.summary = { diagnosis: true, prescription: true };
    await shot(pat, "visit-summary");
    await shot(prov, "after-end");
    await guest.ctx.close();

    step = "provider creates a second visit";
    if (!(await heading(prov.page, "Today's visits").waitFor({ timeout: 5000 }).then(() => true, () => false))) {
      await prov.page.goto(`${base}/board`);
      await heading(prov.page, "Today's visits").waitFor();
    }
    const second = await createVisit(prov, base, patient);
    r.secondEncounterId = second.encounterId;
    await closeDialog(prov.page);

    step = "patient on a phone (390×844): link → waiting room";
    const phone = await open("phone", { viewport: { width: 390, height: 844 }, mobile: true });
    const mob = await patientToWaitingRoom(phone, second.link, { given: patient.given, reason: data.reason, intake, shot });
    m.mobile = {
      linkToWaitingRoomMs: mob.ms,
      linkToWaitingRoomPhases: mob.phases,
      patientJSAtWaitingRoom: await phone.js(),
      // A page wider than the phone scrolls sideways: the quality bar is 360 px.
      overflowPx: await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    };
    report.ok = true;
  } catch (err) {
    // What each person saw when it went wrong.
    for (const p of people) await shot(p, "failed").catch(() => {});
    throw err;
  } finally {
    await browser.close().catch(() => {});
  }
}

// The Go side kills the script at its own timeout; reporting a little
// before that keeps the step it had reached.
const deadline = Number(env.DEADLINE_MS || 0);
if (deadline > 0) {
  setTimeout(() => {
    report.error = `${step}: the run did not finish within ${deadline} ms`;
    report.step = step;
    report.ms = Date.now() - started;
    console.log(JSON.stringify(report));
    process.exit(1);
  }, deadline).unref();
}

main()
  .catch((err) => {
    // Playwright's first line says what timed out, its call log what it waited for.
    const lines = String((err && err.message) || err).replace(/\x1b\[[0-9;]*m/g, "").split("\n");
    const waited = lines.find((l) => /waiting for /.test(l));
    report.error = `${step}: ${lines[0]}${waited ? " (" + waited.trim().replace(/^- /, "") + ")" : ""}`;
    report.step = step;
  })
  .finally(() => {
    report.ms = Date.now() - started;
    console.log(JSON.stringify(report));
    process.exit(report.ok ? 0 : 1);
  });
