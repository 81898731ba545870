// The steps of a visit as people take them in the web app, by the labels
// of /work/briefs/ui-contract.md (docs: the web app's UI contract).
import { bare } from "./browser.mjs";
import { totp } from "./totp.mjs";
import { answerItem, button, fill, heading, named, valueOf } from "./ui.mjs";

/** The provider signs in on the server's own page: e-mail and password, then the TOTP code. */
export async function signIn(who, base, { email, password, totpSecret }) {
  const page = who.page;
  await page.goto(`${base}/board`);
  const form = page.locator('form[action="/oauth2/signin"]');
  const start = button(page, "Sign in");
  // The board either sends a signed-out visitor to sign in at once or offers a button.
  await form.or(start).first().waitFor();
  if ((await form.count()) === 0) await start.click();
  await form.waitFor();
  await form.locator('input[name="email"]').fill(email);
  await form.locator('input[name="password"]').fill(password);
  await form.locator('button[type="submit"]').click();
  const second = page.locator('form[action="/oauth2/signin/totp"]');
  await second.or(page.locator("#form-error")).first().waitFor();
  if ((await second.count()) === 0) throw new Error("the password was refused: " + (await page.locator("#form-error").textContent()));
  // Computed at the last moment, like a person reading their phone.
  await second.locator('input[name="code"]').fill(totp(totpSecret));
  await second.locator('button[type="submit"]').click();
  await heading(page, "Today's visits").or(page.locator("#form-error")).first().waitFor();
  if ((await page.locator("#form-error").count()) > 0) throw new Error("the TOTP code was refused: " + (await page.locator("#form-error").textContent()));
  return bare(page.url());
}

/** Closes the open dialog (its Close/Done button, else Escape) and waits until it is gone. */
export async function closeDialog(page) {
  const dialog = page.getByRole("dialog");
  if ((await dialog.count()) === 0) return;
  const close = dialog.getByRole("button", { name: /^\s*(close|done)\s*$/i });
  if ((await close.count()) > 0) await close.first().click();
  else await page.keyboard.press("Escape");
  await dialog.first().waitFor({ state: "hidden" });
}

/** "New visit" for a patient → "Create visit" → the "Visit link"; returns { encounterId, link }. */
export async function createVisit(who, base, { search, name }) {
  const page = who.page;
  await button(page, "New visit").click();
  const patientRE = new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i");
  const field = page.getByLabel(named("Patient")).first();
  await field.waitFor();
  if ((await field.getAttribute("role")) === "combobox") {
    await fill(page, "Patient", search, { option: patientRE, mustPick: true });
  } else {
    // A search box with a list of matches to choose from.
    await field.fill(search);
    await page.getByRole("option", { name: patientRE }).or(page.getByRole("radio", { name: patientRE })).or(page.getByRole("button", { name: patientRE })).first().click();
  }
  const created = page.waitForResponse((r) => r.request().method() === "POST" && /\/v1\/telemed\/v2\/meeting$/.test(bare(r.url())));
  await button(page, "Create visit").click();
  const res = await created;
  if (!res.ok()) throw new Error(`creating the visit answered ${res.status()}`);
  const encounterId = (await res.json())?.encounter?.id;
  if (!encounterId) throw new Error("the create-meeting answer names no Encounter");
  const link = await waitValue(page, "Visit link");
  if (!link.startsWith(`${base}/visit#invite=`)) throw new Error(`"Visit link" is not ${base}/visit#invite=…: ${bare(link)}`);
  return { encounterId, link };
}

/** The value of a read-only text field once the app has filled it. */
export async function waitValue(page, label, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await valueOf(page, label);
    if (v) return v;
    await page.waitForTimeout(100);
  }
  throw new Error(`"${label}" stays empty`);
}

/**
 * The patient's path from the link to the waiting room: greeting, device
 * check, intake, consent. Returns the link → waiting-room time (without
 * the test's own screenshots), how long each screen took the app to show
 * or to get ready, the moment the check-in was sent, the intake answers.
 */
export async function patientToWaitingRoom(who, link, { given, reason, intake, shot }) {
  const page = who.page;
  // Whether the app sent the check-in is seen here; when it did is read
  // from the page's own resource timing (below), on the browser's clock like
  // the provider page's notice time. Node's arrival time for the request
  // event can lag the browser by hundreds of milliseconds on a loaded
  // machine, after the notice already showed.
  let checkInSent = false;
  const onRequest = (r) => {
    if (r.method() === "POST" && CHECK_IN.test(bare(r.url()))) checkInSent = true;
  };
  page.on("request", onRequest);
  // The default buffer keeps 250 entries and drops later ones.
  await page.addInitScript(() => performance.setResourceTimingBufferSize(10000));
  let shotMs = 0;
  // Same signature as shot: deviceCheck takes either.
  const snap = async (w, name) => {
    const s = Date.now();
    await shot(w, name);
    shotMs += Date.now() - s;
  };
  const phases = {};
  let mark = Date.now();
  const lap = (name, minus = 0) => {
    const now = Date.now();
    phases[name] = now - mark - minus;
    mark = now;
  };
  const t0 = mark;
  await page.goto(link);
  await heading(page, "Before your visit").waitFor();
  await page.getByText(new RegExp(`\\b${given}\\b`)).first().waitFor();
  lap("load");
  await snap(who, "before-your-visit");
  mark = Date.now();
  const before = shotMs;
  await deviceCheck(who, snap);
  lap("deviceCheck", shotMs - before);

  await heading(page, "About your visit").waitFor();
  lap("intakeShown");
  await fill(page, "Reason for your visit", reason);
  const answers = [];
  for (const item of intake) await answerItem(page, item, answers);
  lap("typing");
  await snap(who, "intake");
  mark = Date.now();
  await button(page, "Continue").click();
  await heading(page, "Consent to a video visit").waitFor();
  lap("intakeSaved");
  await page.getByRole("checkbox", { name: named("I agree to have this visit by video") }).check();
  await snap(who, "consent");
  mark = Date.now();
  await button(page, "Agree and continue").click();
  await heading(page, "Waiting room").waitFor();
  lap("consentSaved");
  const ms = Date.now() - t0 - shotMs;
  await page.getByText(/Your provider will be with you shortly|You are number \d+ in line/i).first().waitFor();
  await snap(who, "waiting-room");
  page.off("request", onRequest);
  if (!checkInSent) throw new Error("the waiting room showed without a check-in request");
  // The entry appears once the response has been read, which on a loaded
  // machine can be after the waiting room already shows.
  const sent = await page.waitForFunction((source) => {
    const re = new RegExp(source);
    const e = performance.getEntriesByType("resource").find((e) => re.test(new URL(e.name).pathname));
    return e ? Math.round(performance.timeOrigin + e.startTime) : 0;
  }, CHECK_IN.source);
  const checkInAt = await sent.jsonValue();
  return { ms, phases, checkInAt, answers };
}

const CHECK_IN = /\/check-in$/;

// The device check's network test may take seconds on a busy machine;
// "Continue" is enabled once it has a verdict.
const DEVICE_CHECK_MS = 30000;

/** The pre-call check: the camera preview plays, then "Continue". */
export async function deviceCheck(who, shot) {
  const page = who.page;
  await heading(page, "Check your camera and microphone").waitFor();
  await page.waitForFunction(() => {
    const v = document.querySelector('video[data-testid="preview-video"]');
    return v && v.videoWidth > 0;
  });
  await shot(who, "device-check");
  await button(page, "Continue").click({ timeout: DEVICE_CHECK_MS });
}

/** Records in the page when "<name> is waiting" first appears in a status element (MutationObserver: no polling delay). */
export function watchNotice(page, name) {
  return page.evaluate((want) => {
    window.__e2eNotice = null;
    const seen = () => [...document.querySelectorAll('[role="status"], [role="alert"], output')].some((e) => e.textContent.includes(want));
    const mo = new MutationObserver(() => {
      if (!window.__e2eNotice && seen()) {
        window.__e2eNotice = { t: Date.now() };
        mo.disconnect();
      }
    });
    mo.observe(document.body, { subtree: true, childList: true, characterData: true });
    return seen();
  }, `${name} is waiting`);
}

/**
 * Admits a guest waiting for a visit the provider is in: from the
 * "<name> is waiting" notice on the visit page, else from the board in a
 * second tab (window.open shares the tab's session) kept out of the call.
 */
export async function admitGuest(who, name, timeoutMs) {
  const page = who.page;
  const admit = { name: /^\s*admit\b/i };
  const notice = page.locator("[role=status], [role=alert], article, li").filter({ hasText: `${name} is waiting` }).getByRole("button", admit);
  if (await notice.first().waitFor({ state: "visible", timeout: timeoutMs }).then(() => true, () => false)) {
    await notice.first().click();
    return "visit page";
  }
  const [board] = await Promise.all([who.ctx.waitForEvent("page"), page.evaluate(() => void window.open("/board", "_blank"))]);
  try {
    await board.route(/\/v1\/telemed\/v2\/meeting\/[^/]+\/join/, (r) => r.abort());
    const card = board.getByRole("region", { name: named("Waiting") }).getByRole("article").filter({ hasText: name });
    const answered = board.waitForResponse((r) => r.request().method() === "POST" && /\/admit$/.test(bare(r.url())));
    await button(card.first(), "Admit").click();
    const res = await answered;
    if (!res.ok()) throw new Error(`admitting the guest answered ${res.status()}`);
  } finally {
    await board.close();
  }
  return "board (second tab)";
}

/**
 * Saves a chart entry: fills its fields, presses its button, waits for the
 * FHIR write (create, update or a Bundle) to succeed and the entry to be
 * listed. Whether the resource is right is Go's check (FHIR search).
 */
export async function saveChartEntry(page, { tab, fields, add, listed }) {
  await page.getByRole("tab", { name: named(tab) }).click();
  for (const [label, value, opts] of fields) await fill(page, label, value, opts);
  const saved = page.waitForResponse((r) => ["POST", "PUT"].includes(r.request().method()) && /\/fhir\/r4(\/[A-Za-z]+(\/[^/]+)?)?$/.test(bare(r.url())));
  await button(page, add).click();
  const res = await saved;
  if (!res.ok()) throw new Error(`saving from "${add}" answered ${res.status()}`);
  await page.getByText(listed).first().waitFor();
}
