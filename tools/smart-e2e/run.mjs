// SMART App Launch standalone launch in headless Chromium.
//
// Opens the static app in app/ (launch.html), which sends the browser to
// Housecall's authorization endpoint through fhirclient; signs in with an
// e-mail address and password, allows the consent page, and waits for the
// app (index.html) to show the patient it read, or an error. Prints one
// JSON line with the outcome and exits 1 on failure.
//
// Environment:
//   APP           base URL serving app/ and fhir-client.js (required)
//   FHIR          the FHIR base URL, the launch's iss (required)
//   CLIENT        the client id registered for ${APP}/index.html (required)
//   USER_EMAIL    e-mail address of the patient account (required)
//   USER_PASSWORD its password (required; never printed)
//   SCREENSHOTS   directory for one PNG per step (optional)
//   CHROMIUM      the browser binary (default /usr/bin/chromium)
//   STEP_TIMEOUT_MS  how long one step may wait (default 20000)
//
// Used by internal/e2e/smart_test.go; it also works by hand against
// `housecall serve --dev` with any static server for app/.

import { chromium } from "playwright-core";
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const env = process.env;
const stepTimeout = Number(env.STEP_TIMEOUT_MS || 20000);

// withoutQuery drops the query and fragment of a URL for reports: they
// carry authorization codes and state.
function withoutQuery(u) {
  try {
    const x = new URL(u);
    return x.origin + x.pathname;
  } catch {
    return "";
  }
}

function need(name) {
  const v = env[name];
  if (!v) {
    console.log(JSON.stringify({ ok: false, step: "config", error: `${name} is not set` }));
    process.exit(2);
  }
  return v;
}

const app = need("APP").replace(/\/$/, "");
const fhir = need("FHIR");
const clientId = need("CLIENT");
const email = need("USER_EMAIL");
const password = need("USER_PASSWORD");
const shots = env.SCREENSHOTS || "";

const report = { ok: false, steps: [], console: [] };
const started = Date.now();
let step = "launch";

async function shot(page, name) {
  if (!shots) return;
  const path = join(shots, name + ".png");
  await page.screenshot({ path, fullPage: true });
  report.steps.push({ step: name, ms: Date.now() - started, url: withoutQuery(page.url()), screenshot: path });
}

async function main() {
  if (shots) await mkdir(shots, { recursive: true });
  const profile = await mkdtemp(join(tmpdir(), "smart-e2e-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
    ],
    viewport: { width: 900, height: 900 },
  });
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(stepTimeout);
  page.setDefaultNavigationTimeout(stepTimeout);
  // Console errors and failed requests explain most failures (CORS, a
  // refused token); only their text and a query-less URL are kept.
  page.on("console", (m) => {
    if (m.type() === "error" && report.console.length < 20) report.console.push(m.text().slice(0, 300));
  });
  page.on("response", (r) => {
    if (r.status() >= 400 && report.console.length < 20) report.console.push(`HTTP ${r.status()}: ${r.request().method()} ${withoutQuery(r.url())}`);
  });
  page.on("requestfailed", (r) => {
    if (report.console.length < 20) report.console.push(`request failed: ${r.method()} ${withoutQuery(r.url())} ${r.failure()?.errorText || ""}`);
  });
  try {
    const launch = `${app}/launch.html?${new URLSearchParams({ iss: fhir, clientId })}`;
    await page.goto(launch);

    step = "signin";
    const signin = page.locator('form[action="/oauth2/signin"]');
    // launch.html shows #error when fhirclient cannot start (discovery).
    await page.locator('form[action="/oauth2/signin"], #error').first().waitFor();
    if ((await signin.count()) === 0) throw new Error("launch: " + (await page.locator("#error").textContent()));
    report.authorizeURL = withoutQuery(page.url());
    await shot(page, "1-signin");
    await signin.locator('input[name="email"]').fill(email);
    await signin.locator('input[name="password"]').fill(password);
    await signin.locator('button[type="submit"]').click();

    step = "consent";
    const consent = page.locator('form[action="/oauth2/consent"]');
    await page.locator('form[action="/oauth2/consent"], #form-error').first().waitFor();
    if ((await consent.count()) === 0) {
      throw new Error("sign-in refused: " + (await page.locator("#form-error").textContent()));
    }
    report.consentScopes = await page.locator("ul.scopes .scope").allTextContents();
    await shot(page, "2-consent");
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(app + "/index.html")),
      consent.locator('button[name="decision"][value="allow"]').click(),
    ]);

    step = "app";
    const outcome = page.locator("#result, #error");
    await outcome.first().waitFor();
    await shot(page, "3-app");
    if ((await page.locator("#result").count()) > 0) {
      report.result = JSON.parse(await page.locator("#result").textContent());
      report.ok = true;
    } else {
      report.error = "app: " + (await page.locator("#error").textContent());
    }
  } catch (err) {
    report.error = `${step}: ${String(err && err.message || err).split("\n")[0]}`;
    report.url = withoutQuery(page.url());
    await shot(page, "failed-" + step).catch(() => {});
  } finally {
    await context.close().catch(() => {});
    await rm(profile, { recursive: true, force: true }).catch(() => {});
  }
  report.ms = Date.now() - started;
  console.log(JSON.stringify(report));
  process.exit(report.ok ? 0 : 1);
}

main().catch((err) => {
  console.log(JSON.stringify({ ok: false, step, error: String(err && err.message || err) }));
  process.exit(1);
});
